"""The policies pages (DOMAIN §9): the catalog, a policy's eligible list (and the worklist of
those eligible but not paid), the application form, applications, entitlements, payments and
budgets.

Thin: eligibility and amounts come from ``policies.eligibility``, reads through
``policies.selectors`` (a foreign row is 404), writes through ``policies.services`` (which
check and audit; their refusals land on the form). The pages are for the data roles with a
unit; what a user may do on them (prepare, approve, pay, set budgets) is
``policies.permissions``. No personal number is in a URL: a person is found by the ID number
in a posted form, and named by their database id.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiuye.accounts.models import User
from jiuye.audit.services import audit_read
from jiuye.jobs.models import Employer
from jiuye.jobs.selectors import employers_visible
from jiuye.lib.dates import DateParams
from jiuye.lib.form_pages import form_page
from jiuye.lib.idcard import IdNumberError, parse
from jiuye.lib.masking import mask_id_number
from jiuye.policies import permissions, selectors, services
from jiuye.policies.catalog import Policy, UnknownPolicy, catalog, parameters, policies, policy_get
from jiuye.policies.eligibility import EligibleSet, Row, describe, eligible, explain
from jiuye.policies.forms import (
    ApplyForm,
    BudgetForm,
    DecideForm,
    EvidenceForm,
    FindPersonForm,
    PayForm,
    ReverseForm,
    place_error,
)
from jiuye.policies.models import Application, AppState, Entitlement, Payment, PaymentKind
from jiuye.policies.words import STATE_WORDS, amount_words, inputs_rows
from jiuye.registry.models import Person
from jiuye.registry.selectors import persons_visible
from jiuye.units.models import Unit
from jiuye.units.scope import member_units, scope_to_jurisdiction

PAGE = 50
DOCUMENT_ORDER = ("HD-2018", "004", "CERT")


def _user(request: HttpRequest) -> User:
    """The signed-in user, who must see residents' data and have a unit (else 403)."""
    user = cast(User, request.user)
    if not user.sees_personal_data or not member_units(user):
        raise PermissionDenied(_("政策页面只对有管辖单位的业务人员开放"))
    return user


def batchable(policy: Policy) -> bool:
    """Whether the worklist can be applied for at once (not a declared amount or evidence)."""
    return (
        policy.computed
        and not policy.attested
        and policy.amount.kind
        not in (
            "range",
            "declared_share",
        )
    )


def _policy(policy_id: str) -> Policy:
    try:
        return policy_get(policy_id)
    except UnknownPolicy:
        raise Http404("policy") from None


def _int(raw: str | None) -> int | None:
    if raw and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


def _pages(request: HttpRequest, rows: Any, size: int = PAGE) -> Any:
    page = Paginator(rows, size).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return page


def _query(request: HttpRequest, *keys: str) -> str:
    return urlencode({k: request.GET[k] for k in keys if request.GET.get(k)})


def _units(user: User) -> Any:
    return scope_to_jurisdiction(Unit.objects.all(), user, personal=False).order_by("path")


def _masked(row: Any) -> str:
    """A beneficiary's number on a page: a person's ID number masked, an employer's USCC, a
    unit's code."""
    if row.person_id:
        return mask_id_number(row.person.id_number)
    if row.employer_id:
        return str(row.employer.uscc)
    return str(row.unit.code)


def _name(row: Any) -> str:
    return str(row.beneficiary.name)


def _decorate(rows: list[Any]) -> list[Any]:
    for row in rows:
        row.masked = _masked(row)
        row.who = _name(row)
        known = policies().get(row.policy)
        row.policy_name = known.name if known else row.policy
    return rows


def _persons_of(rows: list[Any]) -> list[int]:
    return [r.person_id for r in rows if r.person_id]


# ---- the catalog ----------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """政策: every policy by document with its amount and, for those the registry can list,
    how many are eligible in the user's jurisdiction at the date and how many are not paid
    (each policy's two cells come from :func:`counts` once the page is shown)."""
    _user(request)  # the data roles with a unit only
    today = timezone.localdate()
    params = DateParams(request.GET)
    on = params.get("date", today, label=_("日期"))
    found = catalog()
    order = {doc: n for n, doc in enumerate(DOCUMENT_ORDER)}
    groups = []
    for document in sorted(found.documents, key=lambda d: (order.get(d, 99), d)):
        rows = []
        for policy in found.policies.values():
            if policy.document != document:
                continue
            rows.append({"policy": policy, "amount": amount_words(policy, on)})
        if rows:
            groups.append({"id": document, "title": found.documents[document], "rows": rows})
    shown = [
        {"parameter": p, "current": p.value_on(today), "values": list(p.values)}
        for p in parameters().values()
    ]
    context = {"groups": groups, "parameters": shown, "on": on, "today": today}
    context["date_errors"] = params.errors
    return render(request, "policies/index.html", context)


@login_required
def counts(request: HttpRequest, policy_id: str) -> HttpResponse:
    """The catalog's two cells of one policy (loaded by the catalog page after it is shown):
    how many are eligible in the user's jurisdiction at the date, and how many not paid."""
    user = _user(request)
    policy = _policy(policy_id)
    params = DateParams(request.GET)
    on = params.get("date", timezone.localdate(), label=_("日期"))
    context = {"policy": policy, "on": on, "eligible": 0, "unpaid": 0}
    context["date_errors"] = params.errors
    if policy.computed and not params.errors:
        context["eligible"] = eligible(user=user, policy=policy, on=on).count()
        context["unpaid"] = eligible(user=user, policy=policy, on=on, unpaid=True).count()
    return render(request, "policies/_counts.html", context)


# ---- one policy: who is eligible --------------------------------------------------------------


class _Rows:
    """An eligible set as a paginator's list: counted and sliced in the database."""

    def __init__(self, found: EligibleSet) -> None:
        self.found = found

    def count(self) -> int:
        return self.found.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Row]:
        start = index.start or 0
        return self.found.page(start, (index.stop or start) - start)


def apply_url(policy: Policy, kind: str, pk: int, period: str = "", on: date | None = None) -> str:
    query: dict[str, Any] = {kind: pk}
    if kind == "unit" and period:
        query["period"] = period
    if on is not None:
        query["date"] = on.isoformat()
    return f"{reverse('policies:apply', args=[policy.id])}?{urlencode(query)}"


@login_required
def policy_detail(request: HttpRequest, policy_id: str) -> HttpResponse:
    """A policy: its clause and words, conditions and amount, and who is eligible at the date
    (``unpaid=1``: the worklist of those eligible but not paid), under a unit of the user's
    jurisdiction, a page at a time."""
    user = _user(request)
    policy = _policy(policy_id)
    today = timezone.localdate()
    params = DateParams(request.GET)
    on = params.get("date", today, label=_("日期"))
    errors = list(params.errors)
    units = _units(user)
    unit = None
    code = (request.GET.get("unit") or "").strip()[:40]
    if code:
        unit = units.filter(code=code).first()
        if unit is None:
            errors.append(_("单位不在您的管辖范围内：%(code)s") % {"code": code})
    unpaid = request.GET.get("unpaid") == "1"
    context: dict[str, Any] = {
        "policy": policy,
        "amount": amount_words(policy, on),
        "on": on,
        "today": today,
        "unit": unit,
        "units": units,
        "unpaid": unpaid,
        "date_errors": errors,
        "may_prepare": permissions.may_prepare(user, None),
        "may_prepare_all": permissions.may_prepare(user, None) and batchable(policy),
        "conditions": describe(policy),
        "query": _query(request, "date", "unit", "unpaid"),
    }
    if policy.computed:
        found = eligible(user=user, policy=policy, on=on, unit=unit, unpaid=unpaid)
        page = _pages(request, _Rows(found))
        for row in page.object_list:
            row.state_words = str(STATE_WORDS.get(row.state, row.state))
            row.may_apply = not row.state and permissions.may_prepare(user, row.place)
            row.apply = apply_url(policy, row.kind, row.pk, row.period, on)
        context.update(page=page, total=found.total(), period=found.period)
        shown = [r.pk for r in page.object_list if r.kind == "person"]
        audit_read(actor=user, what="policies.eligible", persons=shown)
    context["start"] = reverse("policies:apply", args=[policy.id])
    return render(request, "policies/policy.html", context)


@login_required
@require_POST
def apply_all(request: HttpRequest, policy_id: str) -> HttpResponse:
    """Applications for the whole worklist at the date (under a unit), at once."""
    user = _user(request)
    policy = _policy(policy_id)
    params = DateParams(request.POST)
    on = params.get("date", timezone.localdate(), label=_("日期"))
    back = reverse("policies:policy", args=[policy.id])
    unit = None
    code = (request.POST.get("unit") or "").strip()[:40]
    if code:
        unit = get_object_or_404(_units(user), code=code)
    if params.errors:
        messages.error(request, "；".join(params.errors))
        return redirect(back)
    try:
        batch = services.applications_prepare_all(actor=user, policy=policy, on=on, unit=unit)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect(f"{back}?{urlencode({'date': on.isoformat(), 'unpaid': 1})}")
    messages.success(
        request,
        _("已为 %(n)s 个对象提交申请，等待审批。") % {"n": batch.prepared}
        + (_("还有 %(n)s 个未提交，请再次执行。") % {"n": batch.left} if batch.left else ""),
    )
    query = urlencode({"state": AppState.SUBMITTED.value, "policy": policy.id})
    return redirect(f"{reverse('policies:applications')}?{query}")


@login_required
@require_POST
def approve_many(request: HttpRequest) -> HttpResponse:
    """Approve the chosen applications: each checked again on its own; the refused are said
    with their reasons."""
    user = _user(request)
    ids = [pk for pk in (_int(v) for v in request.POST.getlist("application")) if pk][:500]
    chosen = list(
        selectors.applications_visible(user=user)
        .filter(pk__in=ids, state=AppState.SUBMITTED)
        .order_by("pk")
    )
    next_url = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("policies:applications")
    if not chosen:
        messages.error(request, _("请先选择待审批的申请。"))
        return redirect(next_url)
    done = services.applications_approve_many(actor=user, applications=chosen)
    if done.approved:
        messages.success(request, _("已批准 %(n)s 份申请。") % {"n": len(done.approved)})
    for application, why in done.refused[:20]:
        messages.error(request, f"#{application.pk}：{why}")
    return redirect(next_url)


# ---- the application form ----------------------------------------------------------------------


def _beneficiary(request: HttpRequest, user: User) -> Person | Employer | Unit | None:
    """The beneficiary named by the query string (database ids, never a personal number):
    one of the user's jurisdiction (else 404)."""
    person, employer, unit = (_int(request.GET.get(k)) for k in ("person", "employer", "unit"))
    if person is not None:
        found: Any = persons_visible(user=user).select_related("community").filter(pk=person)
    elif employer is not None:
        found = employers_visible(user=user).select_related("unit").filter(pk=employer)
    elif unit is not None:
        found = _units(user).filter(pk=unit)
    else:
        if any(request.GET.get(k) for k in ("person", "employer", "unit")):
            raise Http404("beneficiary")
        return None
    got = found.first()
    if got is None:
        raise Http404("beneficiary")
    return cast("Person | Employer | Unit", got)


def _place(beneficiary: Person | Employer | Unit) -> Unit:
    if isinstance(beneficiary, Person):
        return beneficiary.community
    if isinstance(beneficiary, Employer):
        return beneficiary.unit
    return beneficiary


def _chooser(request: HttpRequest, user: User, policy: Policy) -> HttpResponse:
    """No beneficiary yet: find a person by ID number (posted), or choose an employer or a
    unit of the user's jurisdiction."""
    find = FindPersonForm(request.POST if request.method == "POST" else None)
    if find.is_bound and find.is_valid():
        number = find.cleaned_data["id_number"].strip().upper()
        try:
            parse(number)
        except IdNumberError as error:
            find.add_error("id_number", str(error))
        else:
            person = persons_visible(user=user).filter(id_number=number).first()
            if person is not None and permissions.may_prepare(user, person.community):
                return redirect(apply_url(policy, "person", person.pk))
            find.add_error("id_number", _("在您的管辖范围内没有找到该人员"))
    q = (request.GET.get("q") or "").strip()[:60]
    employers: list[Employer] = []
    if policy.beneficiary == "employer":
        rows = employers_visible(user=user).select_related("unit").order_by("name", "pk")
        if q:
            rows = rows.filter(name__icontains=q) | rows.filter(uscc__iexact=q)
        employers = list(rows[:30])
    units = list(_units(user)[:60]) if policy.beneficiary == "unit" else []
    context = {
        "policy": policy,
        "q": q,
        "employers": [(e, apply_url(policy, "employer", e.pk)) for e in employers],
        "units": [(u, apply_url(policy, "unit", u.pk)) for u in units],
    }
    return form_page(request, "policies/choose.html", find, context)


@login_required
def apply(request: HttpRequest, policy_id: str) -> HttpResponse:
    """申请: the verdict (each condition ✓ or ✗), the amount and what produced it, and the form
    that prepares the application (a maker: ``permissions.may_prepare``)."""
    user = _user(request)
    policy = _policy(policy_id)
    if not permissions.may_prepare(user, None):
        raise PermissionDenied(_("您不能准备政策申请"))
    beneficiary = _beneficiary(request, user)
    if beneficiary is None:
        return _chooser(request, user, policy)
    place = _place(beneficiary)
    permissions.check(
        permissions.may_prepare(user, place), _("您不能为该对象准备政策申请（不在管辖范围内）")
    )
    today = timezone.localdate()
    params = DateParams(request.GET)
    initial_on = params.get("date", today, label=_("日期"))
    period = (request.GET.get("period") or "").strip()[:60] or None
    declares = policy.amount.kind in ("range", "declared_share")
    form = ApplyForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        declares=declares,
        initial={"on": initial_on},
    )
    on, declared = initial_on, None
    if form.is_bound and form.is_valid():
        on, declared = form.cleaned_data["on"], form.cleaned_data.get("declared")
        upload = form.cleaned_data.get("file")
        try:
            with transaction.atomic():
                application = services.application_prepare(
                    actor=user,
                    policy=policy,
                    beneficiary=beneficiary,
                    on=on,
                    declared=declared,
                    note=form.cleaned_data.get("note") or "",
                    period=period,
                )
                if upload is not None:
                    services.evidence_add(
                        actor=user, application=application, name=upload.name, data=upload.read()
                    )
        except ValidationError as error:
            place_error(form, error)
        else:
            messages.success(request, _("申请已提交，等待审批。"))
            return redirect("policies:application", pk=application.pk)
    verdict = explain(
        policy=policy, beneficiary=beneficiary, on=on, declared=declared, period=period
    )
    masked = mask_id_number(beneficiary.id_number) if isinstance(beneficiary, Person) else ""
    if isinstance(beneficiary, Person):
        audit_read(actor=user, what="policies.apply", persons=[beneficiary.pk], obj=beneficiary)
    context = {
        "policy": policy,
        "beneficiary": beneficiary,
        "masked": masked or getattr(beneficiary, "uscc", "") or getattr(beneficiary, "code", ""),
        "place": place,
        "verdict": verdict,
        "inputs": inputs_rows(verdict.inputs),
        "on": on,
        "amount": amount_words(policy, on),
    }
    return form_page(request, "policies/apply.html", form, context)


# ---- applications --------------------------------------------------------------------------------


@login_required
def applications(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = selectors.applications_visible(user=user)
    state = request.GET.get("state") or ""
    if state in AppState.values:
        rows = rows.filter(state=state)
    policy = (request.GET.get("policy") or "")[:40]
    if policy:
        rows = rows.filter(policy=policy)
    page = _pages(request, rows.order_by("-prepared_at", "-id"))
    _decorate(page.object_list)
    audit_read(actor=user, what="policies.applications", persons=_persons_of(page.object_list))
    context = {
        "page": page,
        "may_check": user.role in permissions.CHECKERS,
        "state": state,
        "states": AppState.choices,
        "policy": policy,
        "policies": list(policies().values()),
        "query": _query(request, "state", "policy"),
    }
    return render(request, "policies/applications.html", context)


def _evidence_upload(request: HttpRequest, user: User, application: Application) -> Any:
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.evidence_add(
                actor=user, application=application, name=upload.name, data=upload.read()
            )
        except ValidationError as error:
            place_error(form, error)
        else:
            messages.success(request, _("证明材料已上传。"))
            return None
    return form


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An application: the beneficiary (masked), the policy and version, the amount and what
    produced it, the evidence, and for a checker the decision (批准 / 退回)."""
    user = _user(request)
    application = selectors.application_get(user=user, pk=pk)
    refusal = permissions.approve_refusal(user, application)
    submitted = application.state == AppState.SUBMITTED
    decide: DecideForm | None = DecideForm() if submitted and not refusal else None
    evidence_form: EvidenceForm | None = None
    may_upload = submitted and permissions.may_prepare(user, application.place)
    if may_upload:
        evidence_form = EvidenceForm()
    if request.method == "POST":
        if request.POST.get("action") == "evidence":
            permissions.check(may_upload, _("您不能为该申请上传证明材料"))
            evidence_form = _evidence_upload(request, user, application)
            if evidence_form is None:
                return redirect("policies:application", pk=application.pk)
        else:
            if refusal:
                raise PermissionDenied(refusal)
            decide = DecideForm(request.POST)
            if decide.is_valid():
                note = decide.cleaned_data.get("note") or ""
                try:
                    if decide.cleaned_data["decision"] == "approve":
                        entitlement = services.application_approve(
                            actor=user, application=application, note=note
                        )
                    else:
                        services.application_reject(actor=user, application=application, note=note)
                except ValidationError as error:
                    place_error(decide, error)
                else:
                    if decide.cleaned_data["decision"] == "approve":
                        messages.success(request, _("已批准，生成享受资格。"))
                        return redirect("policies:entitlement", pk=entitlement.pk)
                    messages.success(request, _("申请已退回。"))
                    return redirect("policies:application", pk=application.pk)
    _decorate([application])
    known = policies().get(application.policy)
    granted = Entitlement.objects.filter(application=application).first()
    audit_read(
        actor=user,
        what="policies.application",
        persons=_persons_of([application]),
        obj=application,
        unit=application.place,
    )
    context = {
        "application": application,
        "policy": known,
        "inputs": inputs_rows(application.inputs),
        "evidence": list(application.evidence.order_by("id").defer("data")),
        "decide": decide,
        "refusal": refusal if submitted else "",
        "is_maker": application.prepared_by_id == user.pk,
        "evidence_form": evidence_form,
        "entitlement": granted,
    }
    response = render(request, "policies/application.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    evidence = selectors.evidence_get(user=user, pk=pk)
    application = evidence.application
    audit_read(
        actor=user,
        what="policies.evidence",
        persons=_persons_of([application]),
        obj=evidence,
        unit=application.place,
    )
    response = HttpResponse(bytes(evidence.data), content_type=evidence.content_type)
    response["Content-Disposition"] = (
        content_disposition_header(True, evidence.name) or "attachment"
    )
    response["Content-Length"] = str(evidence.size)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- entitlements and payments ------------------------------------------------------------------


def _year(request: HttpRequest, errors: list[str]) -> int | None:
    raw = (request.GET.get("year") or "").strip()
    if not raw:
        return None
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    errors.append(_("年度须为 2000 至 2100 之间的数字：%(v)s") % {"v": raw[:10]})
    return None


@login_required
def entitlements(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    errors: list[str] = []
    rows = selectors.entitlements_visible(user=user)
    year = _year(request, errors)
    if year is not None:
        rows = rows.filter(year=year)
    policy = (request.GET.get("policy") or "")[:40]
    if policy:
        rows = rows.filter(policy=policy)
    page = _pages(request, rows.order_by("-approved_at", "-id"))
    _decorate(page.object_list)
    paid = set(
        Payment.objects.filter(
            entitlement__in=[e.pk for e in page.object_list], kind=PaymentKind.PAYMENT
        ).values_list("entitlement_id", flat=True)
    )
    for row in page.object_list:
        row.paid = row.pk in paid
    audit_read(actor=user, what="policies.entitlements", persons=_persons_of(page.object_list))
    context = {
        "page": page,
        "year": year,
        "policy": policy,
        "policies": list(policies().values()),
        "errors": errors,
        "query": _query(request, "year", "policy"),
    }
    return render(request, "policies/entitlements.html", context)


@login_required
def entitlement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An entitlement with its payments (a reversal beside the payment it cancels) and, for the
    finance side (``permissions.may_pay``), the form that pays it."""
    user = _user(request)
    entitlement = selectors.entitlement_get(user=user, pk=pk)
    today = timezone.localdate()
    may_pay = permissions.may_pay(user, entitlement.place)
    payments = list(entitlement.payments.order_by("on", "id"))
    paid = any(p.kind == PaymentKind.PAYMENT for p in payments)
    form = None
    if may_pay and not paid and entitlement.cancelled_at is None:
        form = PayForm(initial={"on": today})
    if request.method == "POST":
        permissions.check(may_pay, _("您不能登记该笔支付"))
        form = PayForm(request.POST)
        if form.is_valid():
            try:
                services.payment_record(
                    actor=user,
                    entitlement=entitlement,
                    on=form.cleaned_data["on"],
                    reference=form.cleaned_data.get("reference") or "",
                )
            except ValidationError as error:
                place_error(form, error)
            else:
                messages.success(request, _("支付已登记。"))
                return redirect("policies:entitlement", pk=entitlement.pk)
    reversed_ids = {p.reverses_id for p in payments if p.reverses_id}
    rows = [
        {
            "payment": payment,
            "reversed": payment.pk in reversed_ids,
            "form": (
                ReverseForm(initial={"on": today}, prefix=f"r{payment.pk}")
                if may_pay
                and payment.kind == PaymentKind.PAYMENT
                and payment.pk not in reversed_ids
                else None
            ),
        }
        for payment in payments
    ]
    _decorate([entitlement])
    audit_read(
        actor=user,
        what="policies.entitlement",
        persons=_persons_of([entitlement]),
        obj=entitlement,
        unit=entitlement.place,
    )
    context = {
        "entitlement": entitlement,
        "policy": policies().get(entitlement.policy),
        "inputs": inputs_rows(entitlement.inputs),
        "payments": rows,
        "form": form,
        "may_pay": may_pay,
    }
    response = render(request, "policies/entitlement.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def payments(request: HttpRequest) -> HttpResponse:
    """支付台账: every payment and reversal (struck through when reversed), by policy and year."""
    user = _user(request)
    errors: list[str] = []
    rows = selectors.payments_visible(user=user)
    year = _year(request, errors)
    if year is not None:
        rows = rows.filter(on__year=year)
    policy = (request.GET.get("policy") or "")[:40]
    if policy:
        rows = rows.filter(entitlement__policy=policy)
    page = _pages(request, rows.order_by("-on", "-id"))
    reversed_ids = set(
        Payment.objects.filter(reverses__in=[p.pk for p in page.object_list]).values_list(
            "reverses_id", flat=True
        )
    )
    for payment in page.object_list:
        payment.reversed = payment.pk in reversed_ids
        _decorate([payment.entitlement])
    shown = _persons_of([p.entitlement for p in page.object_list])
    audit_read(actor=user, what="policies.payments", persons=shown)
    context = {
        "page": page,
        "year": year,
        "policy": policy,
        "policies": list(policies().values()),
        "errors": errors,
        "query": _query(request, "year", "policy"),
    }
    return render(request, "policies/payments.html", context)


@login_required
def payment_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    """冲正 (posted from the entitlement's page): a reason is required."""
    user = _user(request)
    payment = selectors.payment_get(user=user, pk=pk)
    back = reverse("policies:entitlement", args=[payment.entitlement_id])
    if request.method != "POST":
        return redirect(back)
    permissions.check(permissions.may_pay(user, payment.entitlement.place), _("您不能冲正该笔支付"))
    form = ReverseForm(request.POST, prefix=f"r{payment.pk}")
    if form.is_valid():
        try:
            services.payment_reverse(
                actor=user,
                payment=payment,
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            place_error(form, error)
        else:
            messages.success(request, _("已冲正。"))
            return redirect(back)
    for problems in form.errors.values():
        for message in problems:
            messages.error(request, _("冲正未完成：%(why)s") % {"why": message})
    return redirect(back)


# ---- budgets ----------------------------------------------------------------------------------


@login_required
def budgets(request: HttpRequest) -> HttpResponse:
    """预算: the year's budgets with what is committed, paid and left (red when over), and for
    the district the form that sets one."""
    user = _user(request)
    errors: list[str] = []
    today = timezone.localdate()
    year = _year(request, errors) or today.year
    may_budget = permissions.may_budget(user, None)
    units = _units(user).exclude(level="grid")
    form = BudgetForm(initial={"year": year}, units=units) if may_budget else None
    if request.method == "POST":
        permissions.check(may_budget, _("只有区级管理员可以设置预算"))
        form = BudgetForm(request.POST, units=units)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.budget_set(
                    actor=user,
                    policy=data["policy"],
                    unit=data["unit"],
                    year=data["year"],
                    amount=data["amount"],
                )
            except ValidationError as error:
                place_error(form, error)
            else:
                messages.success(request, _("预算已保存。"))
                return redirect(f"{reverse('policies:budgets')}?year={data['year']}")
    lines = selectors.budgets_report(user=user, year=year)
    names = {p.id: p.name for p in policies().values()}
    rows = [
        {"line": line, "name": names.get(line.budget.policy, ""), "over": line.left < Decimal(0)}
        for line in lines
    ]
    context = {"rows": rows, "year": year, "form": form, "errors": errors}
    return render(request, "policies/budgets.html", context)
