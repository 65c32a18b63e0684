"""The employers' pages (DOMAIN §8): the jobs landing page (the employers of the user's
jurisdiction), an employer with its reports, and the forms that register an employer and record
its staff counts, labor contracts, layoffs and hires.

Thin: reads go through ``jobs.selectors`` (a foreign employer is 404), writes through
``jobs.services``, which check and audit. The forms are offered to those who keep the
employer's data (``jobs.permissions``: its community's workers, its street and district); the
hire form to those who write residents' data (``units.scope``: it changes a person's status),
and the person hired must be one they may write. A write by anyone else answers 403.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiuye.accounts.models import User
from jiuye.audit.services import audit_read
from jiuye.jobs import checks, selectors, services
from jiuye.jobs.employer_forms import (
    ContractForm,
    EmployerForm,
    HireForm,
    LayoffForm,
    StaffForm,
    place_error,
)
from jiuye.jobs.permissions import check_keep_employers, may_keep_employers
from jiuye.lib.form_pages import form_page
from jiuye.lib.idcard import IdNumberError, parse
from jiuye.lib.masking import mask_id_number
from jiuye.registry.selectors import persons_visible
from jiuye.registry.services import placement
from jiuye.units.scope import check_writer, may_write

LIST_PAGE = 50  # employers per page of the landing page
SECTION_PAGE = 20  # rows per page of each of an employer's report sections
RESULTS = "employer-results"
FORM_PAGE = "jobs/employers/form.html"


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


class EmployerFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("名称或统一社会信用代码"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "type": "search"}),
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("单位"),
        required=False,
        queryset=selectors.Unit.objects.none(),
        to_field_name="code",
        empty_label=gettext_lazy("全部"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = selectors.employer_units(user=user)


def _partial(request: HttpRequest, target: str) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == target
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """岗位: the employers of the user's jurisdiction, searched by name or USCC and narrowed to
    a unit, a page at a time, each with its latest staff count, its open postings and the
    persons it laid off in the last twelve months."""
    user = _user(request)
    today = timezone.localdate()
    form = EmployerFilterForm(request.GET, user=user)
    form.is_valid()  # a wrong field is said on the form; the others still filter
    q, unit = form.cleaned_data.get("q") or "", form.cleaned_data.get("unit")
    employers = selectors.employers_search(user=user, q=q, unit=unit, on=today)
    paginator = Paginator(employers, LIST_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "paginator": paginator,
        "today": today,
        "may_create": may_keep_employers(user, None),
        "target": RESULTS,
    }
    template = "jobs/employers/_results.html" if _partial(request, RESULTS) else None
    response = render(request, template or "jobs/employers/index.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _section(request: HttpRequest, name: str, rows: Any) -> Page:
    page = Paginator(rows, SECTION_PAGE).get_page(request.GET.get(f"{name}_page"))
    page.object_list = list(page.object_list)  # read once: shown and audited
    return page


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An employer: its details, staff reports, labor contracts (masked numbers only), layoffs
    (abnormal ones marked), hires and a link to its postings."""
    user = _user(request)
    employer = selectors.employer_get(user=user, pk=pk)
    today = timezone.localdate()
    figures = selectors.with_figures(
        selectors.employers_visible(user=user).filter(pk=employer.pk), on=today
    ).get()
    staff = _section(request, "staff", selectors.staff_reports(user=user, employer=employer))
    contracts = _section(request, "contracts", selectors.contracts(user=user, employer=employer))
    layoffs = _section(request, "layoffs", selectors.layoffs(user=user, employer=employer))
    hires = _section(request, "hires", selectors.hires(user=user, employer=employer))
    # A hired person (or a contract's employee) of another jurisdiction is shown by the masked
    # number only: the employer's staff live anywhere.
    linked = {h.person_id for h in hires.object_list} | {
        c.person_id for c in contracts.object_list if c.person_id
    }
    for hire in hires.object_list:
        hire.person_masked = mask_id_number(hire.person.id_number)  # type: ignore[attr-defined]
    seen = set(persons_visible(user=user).filter(pk__in=linked).values_list("pk", flat=True))
    audit_read(
        actor=user,
        what="jobs.employer",
        persons=sorted(seen),
        obj=employer,
        unit=employer.unit,
    )
    context = {
        "employer": employer,
        "figures": figures,
        "counts": selectors.employer_counts(employer=employer),
        "staff": staff,
        "contracts": contracts,
        "layoffs": layoffs,
        "abnormal": {x.pk for x in layoffs.object_list if checks.is_abnormal(x.reason)},
        "hires": hires,
        "seen": seen,
        "today": today,
        "may_keep": may_keep_employers(user, employer.unit),
        # A hire writes a resident's status: for those who write residents' data.
        "may_hire": user.writes_residents,
        "postings_url": f"{reverse('jobs:posting_list')}?employer={employer.pk}",
    }
    return render(request, "jobs/employers/detail.html", context)


def _page(request: HttpRequest, form: forms.Form, **context: Any) -> HttpResponse:
    return form_page(request, context.pop("template", FORM_PAGE), form, context)


@login_required
def employer_new(request: HttpRequest) -> HttpResponse:
    """新增用人单位: located in a community or village the user keeps employers of."""
    user = _user(request)
    check_keep_employers(user, None)
    form = EmployerForm(_data(request), user=user)
    if form.is_valid():
        try:
            employer = services.employer_create(actor=user, **form.employer_fields())
        except ValidationError as error:
            place_error(form, error)
        else:
            messages.success(request, _("用人单位已登记。"))
            return redirect("jobs:employer_detail", pk=employer.pk)
    return _page(
        request, form, title=_("新增用人单位"), back=reverse("jobs:index"), form_id="employer-form"
    )


@login_required
def employer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    employer = selectors.employer_get(user=user, pk=pk)
    check_keep_employers(user, employer.unit)
    initial = {"name": employer.name, "unit": employer.unit, "industry": employer.industry}
    form = EmployerForm(_data(request), user=user, create=False, initial=initial)
    if form.is_valid():
        try:
            services.employer_update(actor=user, employer=employer, **form.employer_fields())
        except ValidationError as error:
            place_error(form, error)
            employer.refresh_from_db()
        else:
            messages.success(request, _("用人单位信息已保存。"))
            return redirect("jobs:employer_detail", pk=employer.pk)
    return _page(
        request,
        form,
        title=_("编辑用人单位"),
        employer=employer,
        back=reverse("jobs:employer_detail", args=[employer.pk]),
        form_id="employer-edit-form",
    )


def _report(
    request: HttpRequest,
    pk: int,
    form_class: type[forms.Form],
    write: Any,
    *,
    title: str,
    done: str,
    form_id: str,
    **context: Any,
) -> HttpResponse:
    """A report form of an employer (staff, contract, layoff): ``write(user, employer, data)``
    calls the service."""
    user = _user(request)
    employer = selectors.employer_get(user=user, pk=pk)
    check_keep_employers(user, employer.unit)
    form = form_class(_data(request))
    if form.is_valid():
        try:
            write(user, employer, form.cleaned_data)
        except ValidationError as error:
            place_error(form, error)
        else:
            messages.success(request, done)
            return redirect("jobs:employer_detail", pk=employer.pk)
    return _page(
        request,
        form,
        title=title,
        employer=employer,
        back=reverse("jobs:employer_detail", args=[employer.pk]),
        form_id=form_id,
        **context,
    )


@login_required
def staff_new(request: HttpRequest, pk: int) -> HttpResponse:
    """职工人数: the staff count on a date (a second report the same day replaces the first)."""
    return _report(
        request,
        pk,
        StaffForm,
        lambda user, employer, data: services.staff_report(
            actor=user, employer=employer, today=timezone.localdate(), **data
        ),
        title=_("报告职工人数"),
        done=_("职工人数已记录。"),
        form_id="staff-form",
    )


@login_required
def contract_new(request: HttpRequest, pk: int) -> HttpResponse:
    """劳动合同: signed (签订), renewed (续订) or ended (终止), by the employee's ID number."""
    return _report(
        request,
        pk,
        ContractForm,
        lambda user, employer, data: services.contract_record(
            actor=user, employer=employer, today=timezone.localdate(), **data
        ),
        title=_("报告劳动合同"),
        done=_("劳动合同已记录。"),
        form_id="contract-form",
    )


@login_required
def layoff_new(request: HttpRequest, pk: int) -> HttpResponse:
    """裁员: date, number of persons, reason (the abnormal reasons suggested)."""
    return _report(
        request,
        pk,
        LayoffForm,
        lambda user, employer, data: services.layoff_record(
            actor=user, employer=employer, today=timezone.localdate(), **data
        ),
        title=_("报告裁员"),
        done=_("裁员已记录。"),
        form_id="layoff-form",
        reasons=checks.ABNORMAL_REASONS,
    )


def _hired_person(form: HireForm, user: User) -> Any:
    """The person of the typed ID number, if the user may write them; else the form's error."""
    try:
        number = parse(form.cleaned_data["id_number"]).number
    except IdNumberError:
        form.add_error("id_number", checks.problem("id_number_invalid").message())
        return None
    person = persons_visible(user=user).filter(id_number=number).select_related("grid").first()
    if person is None:
        form.add_error("id_number", _("您的辖区人员名册中没有这个公民身份号码。"))
        return None
    if not may_write(user, placement(person)):
        form.add_error("id_number", _("该人员不在您可以录入的社区或网格中。"))
        return None
    return person


@login_required
def hire_new(request: HttpRequest, pk: int) -> HttpResponse:
    """录用: a person of the registry hired by the employer; their employment status changes
    in the same step (``services.hire_record``)."""
    user = _user(request)
    employer = selectors.employer_get(user=user, pk=pk)
    check_writer(user)  # a street or district reviewer: 403
    today = timezone.localdate()
    form = HireForm(
        _data(request), postings=selectors.employer_postings(employer=employer, on=today)
    )
    if form.is_valid():
        person = _hired_person(form, user)
        if person is not None:
            try:
                services.hire_record(
                    actor=user,
                    employer=employer,
                    person=person,
                    on=form.cleaned_data["on"],
                    posting=form.cleaned_data["posting"],
                    today=today,
                )
            except ValidationError as error:
                place_error(form, error)
            except PermissionDenied as error:
                form.add_error("id_number", str(error))
            else:
                person.refresh_from_db(fields=["current_status"])
                messages.success(
                    request,
                    _("%(name)s 已录用，其就业状态已改为“%(status)s”。")
                    % {"name": person.name, "status": person.get_current_status_display()},
                )
                return redirect("jobs:employer_detail", pk=employer.pk)
    return _page(
        request,
        form,
        title=_("报告录用"),
        employer=employer,
        back=reverse("jobs:employer_detail", args=[employer.pk]),
        form_id="hire-form",
        note=_(
            "录用后，该人员的就业状态将改为“单位就业”（经公益性岗位录用的为“公益性岗位”），"
            "工作单位为本单位；同一人员同一天被本单位录用只记录一次。"
        ),
    )
