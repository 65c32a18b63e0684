"""Casework pages: the worklist, a person's services and ten clears, the assistance workflow,
zero-family cases and the ledgers. Thin: reads go through ``casework.selectors`` and the registry
selectors (a foreign person is 404), writes through ``casework.services``."""

from __future__ import annotations

import operator
from collections.abc import Iterable
from datetime import date
from functools import reduce
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jiuye.accounts.models import User
from jiuye.casework import deadlines, selectors, services, tenclears
from jiuye.casework.deadlines import Action, Item, State
from jiuye.casework.deadlines.context import SMALL_LEVELS
from jiuye.casework.forms import (
    AssistanceOpenForm,
    AssistanceStepForm,
    EmploymentForm,
    ProfileForm,
    ServiceRecordForm,
)
from jiuye.casework.models import ServiceKind, ZeroFamilyCase, ZeroFamilyCloseReason
from jiuye.lib.workdays import WorkdayCalendarError
from jiuye.registry import definitions
from jiuye.registry.models import Person
from jiuye.registry.selectors import household_get, person_get, persons_visible
from jiuye.registry.services import person_change_status
from jiuye.units.models import Unit

LEDGER_TITLES = {
    "training": gettext_lazy("就业再就业培训台账"),
    "services": gettext_lazy("就业服务台账（职业介绍、职业指导）"),
    "policy": gettext_lazy("就业再就业政策落实台账"),
}
SERVICE_ACTIONS = {
    Action.GUIDANCE: ServiceKind.GUIDANCE,
    Action.REFERRAL: ServiceKind.REFERRAL,
    Action.VISIT: ServiceKind.VISIT,
    Action.CONTACT: ServiceKind.CONTACT,
}


MISSING_STATUS_PAGE = 50  # persons per page of the "status not recorded" list


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here is ``login_required``)."""
    return cast(User, request.user)


def _date_param(request: HttpRequest, name: str, default: date) -> date:
    raw = request.GET.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return default


def _units(request: HttpRequest) -> tuple[list[Unit], Unit | None]:
    """The user's units, and the one chosen with ``?unit=CODE`` (any unit they may see)."""
    mine = list(selectors.user_units(_user(request)))
    code = request.GET.get("unit")
    if code:
        unit = selectors.unit_get(user=_user(request), code=code)
        return [unit], unit
    return mine, None


def _unit_names(items: Iterable[Any]) -> dict[int, str]:
    ids: set[int] = set()
    for item in items:
        ids.update(i for i in (item.community_id, item.grid_id) if i)
    return dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))


STATE_CLASSES = {
    State.OVERDUE: "text-bg-danger",
    State.DUE_SOON: "text-bg-warning",
    State.MET: "text-bg-success",
    State.LATE: "text-bg-secondary",
    State.PENDING: "text-bg-light border",
}


class _Urls:
    """URL patterns reversed once per page (a worklist can have hundreds of rows)."""

    def __init__(self) -> None:
        marker = 987654321
        self.patterns = {
            name: reverse(f"casework:{name}", args=[marker]).replace(str(marker), "{}")
            for name in ("person", "household", "service_new", "assistance")
        }

    def __call__(self, name: str, pk: int | None) -> str:
        return self.patterns[name].format(pk)


def action_url(item: Item, urls: _Urls | None = None) -> str:
    """Where the one action that clears ``item`` is taken."""
    urls = urls or _Urls()
    if item.action in SERVICE_ACTIONS:
        return f"{urls('service_new', item.person_id)}?kind={SERVICE_ACTIONS[item.action]}"
    if item.action == Action.EMPLOY_MEMBER:
        return urls("household", item.household_id)
    if item.action == Action.PLACE:
        return urls("assistance", item.case_id)
    return urls("person", item.person_id) + "#employment"


def _rows(items: list[Item]) -> list[dict[str, Any]]:
    names = _unit_names(items)
    urls = _Urls()
    rule_labels = {rule: str(label) for rule, label in deadlines.RULES.items()}
    state_labels = {state: state.label for state in State}
    action_labels = {action: action.label for action in Action}
    rows = []
    for item in items:
        open_item = item.actionable and item.state not in (State.MET, State.LATE)
        rows.append(
            {
                "item": item,
                "target": urls("person", item.person_id)
                if item.person_id
                else urls("household", item.household_id),
                "action_url": action_url(item, urls) if open_item else "",
                "action_label": action_labels[item.action],
                "state_label": state_labels[item.state],
                "state_class": STATE_CLASSES[item.state],
                "rule_label": rule_labels.get(item.rule_id, item.rule_id),
                "unit": " / ".join(
                    names[i] for i in (item.community_id, item.grid_id) if i and i in names
                ),
            }
        )
    return rows


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """The worker's worklist: overdue and due in the next 5 working days, most urgent first."""
    today = timezone.localdate()
    on = _date_param(request, "date", today)
    units, chosen = _units(request)
    context: dict[str, Any] = {
        "on": on,
        "today": today,
        "units": units,
        "chosen": chosen,
        "rows": [],
        "error": None,
        "sees": getattr(request.user, "sees_personal_data", False),
    }
    try:
        context["soon_until"] = deadlines.horizon(on)
        items = deadlines.user_worklist(_user(request), on, units=units)
    except WorkdayCalendarError as error:
        context["error"] = str(error)
        items = []
    context["rows"] = _rows(items)
    context["overdue"] = sum(1 for i in items if i.state == State.OVERDUE)
    context["due_soon"] = sum(1 for i in items if i.state == State.DUE_SOON)
    context["rules"] = deadlines.RULES
    if context["sees"] and units:
        context["missing"] = _status_not_recorded(request, units, on)
    return render(request, "casework/worklist.html", context)


def _status_not_recorded(request: HttpRequest, units: list[Unit], on: date) -> dict[str, Any]:
    """The worklist's data-quality section (DOMAIN §3, "status not recorded"): for the user's
    communities and grids, the persons, a page at a time (``?missing_page=N``); for a street or
    district, the count per community (each a link to that community's worklist)."""
    user = _user(request)
    outer = deadlines.outermost_units(units)
    small = [u for u in outer if u.level in SMALL_LEVELS]
    counts = [
        row
        for unit in outer
        if unit not in small
        for row in selectors.status_not_recorded_counts(unit=unit, on=on, user=user)
    ]
    page = None
    if small:
        persons = reduce(
            operator.or_,
            (selectors.status_not_recorded(unit=u, on=on, user=user) for u in small),
        ).select_related("community", "grid", "household")
        page = Paginator(persons, MISSING_STATUS_PAGE).get_page(request.GET.get("missing_page"))
    total = sum(n for _unit, n in counts) + (page.paginator.count if page else 0)
    return {"total": total, "counts": counts, "page": page}


@login_required
def rule(request: HttpRequest, rule_id: str) -> HttpResponse:
    """Every item of one rule (met, late, overdue, due soon, pending) for the user's units."""
    if rule_id not in deadlines.RULE_FUNCTIONS:
        raise Http404
    today = timezone.localdate()
    on = _date_param(request, "date", today)
    units, chosen = _units(request)
    error, items = None, []
    try:
        for unit in deadlines.outermost_units(units):
            items.extend(deadlines.deadline_items(unit, on, user=_user(request), rules=[rule_id]))
    except WorkdayCalendarError as exc:
        error = str(exc)
    items.sort(key=lambda i: (i.due, i.name))
    state = request.GET.get("state")
    counts = {s: sum(1 for i in items if i.state == s) for s in State}
    if state in State.__members__.values():
        items = [i for i in items if i.state == state]
    return render(
        request,
        "casework/rule.html",
        {
            "rule_id": rule_id,
            "rule_label": deadlines.RULES[rule_id],
            "on": on,
            "chosen": chosen,
            "rows": _rows(items[:1000]),
            "total": len(items),
            "error": error,
            "counts": [(s, s.label, counts[s]) for s in State],
            "state": state,
        },
    )


def _person_page(
    request: HttpRequest, person: Person, *, employment_form: EmploymentForm | None = None
) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    profile = selectors.profile_of(user=user, person=person)
    context = {
        "person": person,
        "today": today,
        "records": selectors.service_records(user=user, person=person)[:200],
        "ten_clears": tenclears.person_ten_clears(person, today),
        "profile": profile,
        "cases": selectors.assistance_cases(user=user, person=person),
        "kinds": ServiceKind.choices,
        "profile_form": ProfileForm(
            initial={key: getattr(profile, key) for key in services.PROFILE_FIELDS}
            if profile
            else None
        ),
        "assist_form": AssistanceOpenForm(initial={"on": today}),
        "employment_form": employment_form
        or EmploymentForm(person=person, initial={"since": today}),
    }
    return render(request, "casework/person.html", context)


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_page(request, person_get(user=_user(request), pk=pk))


def _fail(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal (its checks ran after the form's) above the form, in its words."""
    for message in error.messages:
        form.add_error(None, message)


@login_required
def service_new(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_get(user=_user(request), pk=pk)
    today = timezone.localdate()
    if request.method == "POST":
        form = ServiceRecordForm(request.POST, person=person, today=today)
        if form.is_valid():
            try:
                services.service_record_create(
                    actor=_user(request), person=person, today=today, **form.service_kwargs()
                )
            except ValidationError as error:
                _fail(form, error)
            else:
                messages.success(request, _("服务记录已保存。"))
                return redirect("casework:person", pk=person.pk)
    else:
        kind = request.GET.get("kind", ServiceKind.GUIDANCE)
        form = ServiceRecordForm(
            person=person, today=today, initial={"kind": kind, "on": today, "enrolled": True}
        )
    return render(request, "casework/service_form.html", {"person": person, "form": form})


@login_required
@require_POST
def service_delete(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.service_record_get(user=_user(request), pk=pk)
    person_pk = record.person_id
    services.service_record_delete(actor=_user(request), record=record)
    messages.success(request, _("服务记录已删除。"))
    return redirect("casework:person", pk=person_pk)


@login_required
@require_POST
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_get(user=_user(request), pk=pk)
    form = ProfileForm(request.POST)
    if form.is_valid():
        services.profile_update(actor=_user(request), person=person, **form.cleaned_data)
        messages.success(request, _("十清信息已保存。"))
    else:
        messages.error(request, _("十清信息未保存：请检查输入。"))
    return redirect(reverse("casework:person", args=[person.pk]) + "#ten-clears")


@login_required
@require_POST
def employment(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that the person is employed from a date (the registry's one status writer). A
    refusal (e.g. employment before the 16th birthday, ``registry.checks``) shows on the form's
    field, on the person's page; nothing is written."""
    person = person_get(user=_user(request), pk=pk)
    form = EmploymentForm(request.POST, person=person)
    if form.is_valid():
        try:
            person_change_status(
                actor=_user(request),
                person=person,
                status=form.cleaned_data["status"],
                since=form.cleaned_data["since"],
                employer=form.cleaned_data["employer"],
            )
        except ValidationError as error:
            _fail(form, error)
        else:
            messages.success(request, _("就业状态已登记。"))
            return redirect(reverse("casework:person", args=[person.pk]) + "#employment")
    return _person_page(request, person, employment_form=form)


@login_required
@require_POST
def assistance_open(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_get(user=_user(request), pk=pk)
    form = AssistanceOpenForm(request.POST)
    if form.is_valid():
        try:
            case = services.assistance_open(
                actor=_user(request), person=person, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("援助申请已登记。"))
            return redirect("casework:assistance", pk=case.pk)
    else:
        messages.error(request, _("援助申请未登记：请检查输入。"))
    return redirect(reverse("casework:person", args=[person.pk]) + "#assistance")


@login_required
def assistance(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.assistance_case_get(user=_user(request), pk=pk)
    step = case.next_step
    form = None
    if step is not None:
        if request.method == "POST":
            form = AssistanceStepForm(request.POST, step=step)
            if form.is_valid():
                data = dict(form.cleaned_data)
                if "accepts_any_post" in data:
                    data["accepts_any_post"] = {"yes": True, "no": False}.get(
                        data["accepts_any_post"]
                    )
                if "status" in data:
                    data["status"] = data["status"] or None
                try:
                    services.assistance_step_record(
                        actor=_user(request), case=case, kind=step, **data
                    )
                except ValidationError as error:
                    _fail(form, error)
                else:
                    messages.success(request, _("援助环节已记录。"))
                    return redirect("casework:assistance", pk=case.pk)
        else:
            form = AssistanceStepForm(step=step, initial={"on": timezone.localdate()})
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "casework/assistance.html",
        {
            "case": case,
            "person": case.person,
            "steps": case.steps.all(),
            "step": step,
            "form": form,
        },
    )


@login_required
def household(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    household = household_get(user=user, pk=pk)
    today = timezone.localdate()
    members = persons_visible(user=user).filter(household=household).order_by("id")
    cases = selectors.zero_family_cases(user=user, on=today, open_only=False).filter(
        household=household
    )
    return render(
        request,
        "casework/household.html",
        {
            "household": household,
            "urban": definitions.is_urban(household.hukou_type),
            "members": members,
            "rows": [_case_row(case, today) for case in cases],
            "today": today,
        },
    )


def _case_row(case: ZeroFamilyCase, on: date) -> dict[str, Any]:
    """A zero-family case as of ``on``: its standing, whether it is (or was) late for CQ-2 (an
    urban household's only), and an end the calendar already dates (the last labor-force
    member's retirement)."""
    due = case.due_on
    ended = case.eliminated_on if case.eliminated_on and case.eliminated_on <= on else None
    open_now = case.open_on(on)
    urban = definitions.is_urban(case.household.hukou_type)
    return {
        "case": case,
        "due": due,
        "standing": case.standing_on(on),
        "ended": ended,
        "late": urban and ((open_now and on > due) or (ended is not None and ended > due)),
        "scheduled_end": case.eliminated_on
        if open_now
        and case.eliminated_on is not None
        and case.close_reason == ZeroFamilyCloseReason.NO_LABOR_FORCE
        else None,
        "urban": urban,
    }


@login_required
def zero_families(request: HttpRequest) -> HttpResponse:
    """The zero-family cases as of ``?date=`` (default today): open that day, or every case
    emerged by then (``?show=all``); every household, with its hukou (CQ-2 counts urban ones)."""
    show = request.GET.get("show", "open")
    today = timezone.localdate()
    on = _date_param(request, "date", today)
    cases = selectors.zero_family_cases(user=_user(request), on=on, open_only=show != "all")
    rows = [_case_row(case, on) for case in cases[:1000]]
    return render(
        request,
        "casework/zero_families.html",
        {"rows": rows, "show": show, "today": today, "on": on, "total": cases.count()},
    )


@login_required
def ten_clears(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    on = _date_param(request, "date", today)
    units, chosen = _units(request)
    results = [
        (unit, tenclears.unit_completeness(unit, on, user=_user(request)))
        for unit in deadlines.outermost_units(units)
    ]
    return render(
        request,
        "casework/ten_clears.html",
        {
            "results": results,
            "on": on,
            "chosen": chosen,
            "fields": tenclears.FIELDS,
        },
    )


@login_required
def ledger(request: HttpRequest, name: str) -> HttpResponse:
    if name not in selectors.LEDGERS:
        raise Http404
    today = timezone.localdate()
    start = _date_param(request, "start", date(today.year, 1, 1))
    end = _date_param(request, "end", today)
    records = selectors.LEDGERS[name](user=_user(request), start=start, end=end)
    return render(
        request,
        "casework/ledger.html",
        {
            "name": name,
            "title": LEDGER_TITLES[name],
            "start": start,
            "end": end,
            "records": records[:2000],
            "total": records.count(),
            "ledgers": LEDGER_TITLES,
        },
    )
