"""Escalation pages (托底, HD-2018 二(六)1): the candidates, the open and the closed cases of the
user's jurisdiction (paged in the database), a case with its steps and forms, and a panel on
the person's casework page.

Thin: reads through ``policies.escalation`` (a foreign person or case is 404), writes through
``policies.escalation_services``, whose refusals are said above the form and change nothing; a
user who may not act on the person gets 403 (``escalation.check_handle``).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiuye.accounts.models import User
from jiuye.audit.services import audit_read
from jiuye.lib.dates import DateParams
from jiuye.lib.masking import mask_id_number
from jiuye.policies import escalation
from jiuye.policies import escalation_services as services
from jiuye.policies.escalation_forms import (
    CloseForm,
    OfferForm,
    OpenForm,
    PlacedForm,
    StepForm,
)
from jiuye.policies.models import EscalationCase, EscalationState
from jiuye.registry.selectors import person_get

PAGE_SIZE = 50
TABS = ("candidates", "open", "closed")


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _fail(form: Any, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


@login_required
@require_GET
def escalation_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    tab = request.GET.get("tab", "candidates")
    tab = tab if tab in TABS else "candidates"
    params = DateParams(request.GET)
    on = params.get("date", today, label=_("日期")) if tab == "candidates" else today
    context: dict[str, Any] = {"tab": tab, "on": on, "date_errors": params.errors}
    if tab == "candidates":
        found = escalation.candidates(user=user, on=on)
        page: Any = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
        people = list(page.object_list)
        context["rows"] = [
            {
                "p": p,
                "masked": mask_id_number(p.id_number),
                "category": escalation.category_label(p.esc_category),
                "may": escalation.may_handle(user, p),
            }
            for p in people
        ]
        query = {"tab": tab, "date": on.isoformat()}
        context["open_form"] = OpenForm(initial={"on": on})
        persons = [p.pk for p in people]
        what = "escalation_candidates"
    else:
        cases = escalation.escalations_listed(user=user, closed=tab == "closed")
        page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
        shown = list(page.object_list)
        context["cases"] = [{"c": c, "masked": mask_id_number(c.person.id_number)} for c in shown]
        query = {"tab": tab}
        persons = [c.person_id for c in shown]
        what = "escalation_list"
    context |= {"page": page, "query": urlencode(query), "rule": escalation.rule()}
    if persons:
        audit_read(actor=user, what=what, persons=persons)
    return render(request, "policies/escalation/list.html", context)


@login_required
@require_POST
def escalation_open(request: HttpRequest, pk: int) -> HttpResponse:
    """移交: hand a candidate over (from the candidates' list or the person's page)."""
    user = _user(request)
    person = person_get(user=user, pk=pk)
    escalation.check_handle(user, person)
    form = OpenForm(request.POST)
    if form.is_valid():
        try:
            case = services.escalation_open(actor=user, person=person, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("已移交区级专业援助。"))
            return redirect("policies:escalation_detail", pk=case.pk)
    else:
        errors = [str(e) for field in form for e in field.errors]
        messages.error(request, _("未移交：") + "；".join(errors))
    return redirect("casework:person", pk=person.pk)


ACTIONS = ("step", "offer", "placed", "close")


@login_required
def escalation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    case = escalation.escalation_get(user=user, pk=pk)
    person = case.person
    may = escalation.may_handle(user, person)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST":
        escalation.check_handle(user, person)  # a reader: 403 in the guard's words
    closed = case.closed_on is not None
    hired = escalation.hired_offer(case) if not closed else None
    postings = escalation.offer_postings(user=user, person=person, on=today)
    initial = {"on": today}
    forms: dict[str, Any] = {}
    if may and not closed:
        forms = {
            "step": StepForm(initial=initial, prefix="step"),
            "offer": OfferForm(initial=initial, prefix="offer", postings=postings),
            "close": CloseForm(initial=initial, prefix="close"),
        }
        if hired is not None:
            forms["placed"] = PlacedForm(initial=initial, prefix="placed")
    if action in forms:
        form = _bound(action, request, postings)
        forms[action] = form
        if form.is_valid():
            try:
                done = _act(action, user, case, form.cleaned_data, today)
            except ValidationError as error:
                _fail(form, error)
            else:
                messages.success(request, done)
                return redirect("policies:escalation_detail", pk=case.pk)
    elif request.method == "POST":
        return redirect("policies:escalation_detail", pk=case.pk)
    steps = escalation.steps_of(case)
    audit_read(actor=user, what="escalation_case", persons=[person.pk], obj=person)
    context = {
        "case": case,
        "person": person,
        "masked": mask_id_number(person.id_number),
        "steps": steps,
        "forms": forms,
        "action": action,
        "hired": hired,
        "no_postings": "offer" in forms and not postings.exists(),
        "rule": escalation.rule(),
    }
    response = render(request, "policies/escalation/detail.html", context)
    if request.method == "POST":
        response["Cache-Control"] = "no-store"
    return response


def _bound(action: str, request: HttpRequest, postings: Any) -> Any:
    data = request.POST
    if action == "step":
        return StepForm(data, prefix="step")
    if action == "offer":
        return OfferForm(data, prefix="offer", postings=postings)
    if action == "placed":
        return PlacedForm(data, prefix="placed")
    return CloseForm(data, prefix="close")


def _act(action: str, user: User, case: EscalationCase, data: dict[str, Any], today: Any) -> str:
    if action == "step":
        services.escalation_step(actor=user, case=case, today=today, **data)
        return _("援助环节已记录。")
    if action == "offer":
        services.escalation_offer(actor=user, case=case, today=today, **data)
        return _("已推荐公益性岗位；录用结果由社区在推荐记录上登记。")
    services.escalation_close(actor=user, case=case, today=today, placed=action == "placed", **data)
    return _("已记录安置上岗并结案。") if action == "placed" else _("已结案。")


# ---- the person's escalation cases (a panel of casework's person page) ------------------------

PERSON_PANEL = "policies/escalation/_person_panel.html"


def person_panel(request: HttpRequest, person: Any) -> dict[str, Any] | None:
    """The person's escalation cases and, for a candidate today, the handover form."""
    user = _user(request)
    today = timezone.localdate()
    cases = escalation.escalations_of(user=user, person=person)
    may = escalation.may_handle(user, person)
    found = escalation.person_verdict(person, today) if may else None
    if not cases and not (found and found.candidate):
        return None
    return {
        "person": person,
        "cases": cases,
        "candidate": bool(found and found.candidate),
        "services": found.services if found else 0,
        "open_form": OpenForm(initial={"on": today}, prefix=None),
        "states": EscalationState,
    }
