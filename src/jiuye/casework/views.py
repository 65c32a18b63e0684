"""Casework pages: the worklist, a person's services and ten clears, the assistance workflow,
zero-family cases and the ledgers. Thin: reads go through ``casework.selectors`` and the registry
selectors (a foreign person is 404), writes through ``casework.services``.

Writes are for the community workers and grid coordinators of the person's place
(``units.scope.may_write``, asked again by every service): a street or district user reads these
pages without their forms and buttons, and a write of theirs answers 403 (issue 11, finding 4).
Every page that shows residents records whom it showed (``audit.services.audit_read``, one row
per request: issue 11, finding 10)."""

from __future__ import annotations

import operator
from collections.abc import Iterable
from datetime import date
from functools import reduce
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jiuye.accounts.models import User
from jiuye.audit.services import audit_read
from jiuye.casework import deadlines, panels, selectors, services, tenclears
from jiuye.casework.deadlines import Action, Item, State
from jiuye.casework.deadlines.context import SMALL_LEVELS
from jiuye.casework.forms import (
    AssistanceOpenForm,
    AssistanceStepForm,
    ProfileForm,
    ServiceRecordForm,
    StatusForm,
    WithdrawForm,
)
from jiuye.casework.models import ServiceKind, ZeroFamilyCase, ZeroFamilyCloseReason
from jiuye.lib.dates import DateParams
from jiuye.lib.masking import mask_text
from jiuye.registry import definitions
from jiuye.registry.models import Person, Status, StatusEvent
from jiuye.registry.selectors import household_get, person_get, persons_visible, status_history
from jiuye.registry.services import person_change_status, placement, status_event_delete
from jiuye.units.models import Unit
from jiuye.units.scope import check_write, may_write, scope_to_jurisdiction

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


def _dates(request: HttpRequest) -> DateParams:
    """The page's date parameters (``lib.dates``); call :func:`_date_errors` once read."""
    return DateParams(request.GET)


def _date_errors(request: HttpRequest, params: DateParams) -> None:
    """A malformed or out-of-range date is the user's mistake: said above the page, which shows
    its default date instead (issue 11, finding 8)."""
    for error in params.errors:
        messages.error(request, error)


def _shown(
    request: HttpRequest,
    what: str,
    *,
    persons: Iterable[int | None] = (),
    households: Iterable[int | None] = (),
    obj: Any = None,
) -> None:
    """Record the residents this page shows (one audit row, ids only)."""
    audit_read(
        actor=_user(request),
        what=f"casework.{what}",
        persons=[pk for pk in persons if pk],
        households=[pk for pk in households if pk],
        obj=obj,
        unit=getattr(obj, "community", None),
    )


def _writable(request: HttpRequest, person: Person) -> None:
    """A write to ``person`` by a user who may not (a street or district reviewer): 403."""
    check_write(_user(request), placement(person))


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


def _rows(items: list[Item], *, writes: bool) -> list[dict[str, Any]]:
    """The rows of a worklist; ``writes``: whether the user records services (a reviewer's
    rows have no action buttons)."""
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
                "action_url": action_url(item, urls) if open_item and writes else "",
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


WORKLIST_PAGE = 50  # items per page of a community's or grid's worklist
SUMMARY_PAGE = 50  # communities per page of a street's or district's worklist
TEN_PAGE = 50  # incomplete ten-clears records per page
RULE_PAGE = 100  # items per page of one rule's list


def _page_number(request: HttpRequest, name: str = "page") -> int:
    """A page number from the query string; anything else is the first page."""
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and 0 < int(value) < 1_000_000 else 1


def _small(units: list[Unit]) -> bool:
    """Only communities and grids: their items are listed; above them, counted per community."""
    return all(u.level in SMALL_LEVELS for u in deadlines.outermost_units(units))


def _summary(request: HttpRequest, units: list[Unit], on: date) -> dict[str, Any]:
    """A street's or district's worklist: per community, the items overdue and due soon per
    rule (one grouped query), the communities with the most overdue first, each a link to its
    own list."""
    counts, gaps = deadlines.community_counts(_user(request), on, units=units)
    places = {
        pk: (code, name)
        for pk, code, name in Unit.objects.filter(pk__in=[pk for pk in counts if pk]).values_list(
            "pk", "code", "name"
        )
    }
    rules = list(deadlines.RULES)
    rows = []
    for pk, by_rule in counts.items():
        if pk not in places:
            continue
        cells = [
            (
                by_rule.get(rule, {}).get(State.OVERDUE, 0),
                by_rule.get(rule, {}).get(State.DUE_SOON, 0),
            )
            for rule in rules
        ]
        rows.append(
            {
                "code": places[pk][0],
                "name": places[pk][1],
                "cells": cells,
                "overdue": sum(o for o, _soon in cells),
                "due_soon": sum(soon for _o, soon in cells),
            }
        )
    rows.sort(key=lambda r: (-cast(int, r["overdue"]), -cast(int, r["due_soon"]), str(r["code"])))
    return {
        "rows": rows,
        "rules": [(rule, deadlines.RULES[rule]) for rule in rules],
        "overdue": sum(r["overdue"] for r in rows),
        "due_soon": sum(r["due_soon"] for r in rows),
        "gaps": gaps,
    }


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """The worklist: overdue and due in the next 5 working days, most urgent first, a page at a
    time, for a community or grid; for a street or district, the counts per community, each
    drilling down to that community's list."""
    today = timezone.localdate()
    params = _dates(request)
    on = params.get("date", today)
    _date_errors(request, params)
    units, chosen = _units(request)
    context: dict[str, Any] = {
        "on": on,
        "today": today,
        "units": units,
        "chosen": chosen,
        "rows": [],
        "sees": getattr(request.user, "sees_personal_data", False),
        "rules": deadlines.RULES,
        "soon_until": deadlines.soon_horizon(on, deadlines.CalendarGaps()),
    }
    shown: list[int | None] = []
    households: list[int | None] = []
    if context["sees"] and units and not _small(units):
        summary = _summary(request, units, on)
        context.update(summary=summary, gaps=summary["gaps"])
        context["overdue"], context["due_soon"] = summary["overdue"], summary["due_soon"]
        # A district has hundreds of communities: those that lag most come first, 50 a page.
        paging = _paging(_page_number(request), len(summary["rows"]), SUMMARY_PAGE)
        first = (paging["number"] - 1) * SUMMARY_PAGE
        summary["rows"] = summary["rows"][first : first + SUMMARY_PAGE]
        context["paging"], context["paging_base"] = paging, _paging_base(chosen, on)
    elif context["sees"] and units:
        # Items whose due date needs a year without a holiday calendar are left out and named
        # in ``gaps`` (shown as a banner with the fix); the rest of the worklist still shows.
        found = deadlines.worklist_page(
            _user(request), on, units=units, page=_page_number(request), size=WORKLIST_PAGE
        )
        context["gaps"] = found.gaps
        context["rows"] = _rows(found.items, writes=_user(request).writes_residents)
        context["overdue"], context["due_soon"] = found.overdue, found.due_soon
        context["paging"] = _paging(_page_number(request), found.total, WORKLIST_PAGE)
        context["paging_base"] = _paging_base(chosen, on)
        shown = [item.person_id for item in found.items]
        households = [item.household_id for item in found.items]
    if context["sees"] and units:
        # What other apps put on the units' list (``casework.panels``: the early warnings).
        context["panels"] = panels.worklist_panels(request, units, on)
        context["missing"] = _status_not_recorded(request, units, on)
        if context["missing"]["page"] is not None:
            shown += [person.pk for person in context["missing"]["page"].object_list]
    _shown(request, "worklist", persons=shown, households=households)
    return render(request, "casework/worklist.html", context)


def _paging_base(chosen: Unit | None, on: date, **extra: str | None) -> str:
    """The query string a page link keeps (unit, date, filters), ready for ``page=N``."""
    keep = {"unit": chosen.code if chosen else None, "date": on.isoformat(), **extra}
    return urlencode({k: v for k, v in keep.items() if v}) + "&"


def _paging(number: int, total: int, size: int) -> dict[str, Any]:
    pages = max(1, -(-total // size))
    number = min(number, pages)
    return {
        "number": number,
        "pages": pages,
        "total": total,
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if number < pages else None,
    }


def _status_not_recorded(request: HttpRequest, units: list[Unit], on: date) -> dict[str, Any]:
    """The worklist's data-quality section (DOMAIN §3, "status not recorded"): for the user's
    communities and grids, the persons, a page at a time (``?missing_page=N``); for a street or
    district, the count per community (each a link to that community's worklist), from the
    standards aggregates when they can answer (``selectors.status_not_recorded_counts``)."""
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
        page.object_list = list(page.object_list)  # read once: shown and audited
    total = sum(n for _unit, n in counts) + (page.paginator.count if page else 0)
    return {"total": total, "counts": counts, "page": page}


@login_required
def rule(request: HttpRequest, rule_id: str) -> HttpResponse:
    """Every item of one rule (met, late, overdue, due soon, pending) for the user's units, the
    count per state and a page of the items (filtered by ``?state=``), all from the database."""
    if rule_id not in deadlines.RULE_FUNCTIONS:
        raise Http404
    today = timezone.localdate()
    params = _dates(request)
    on = params.get("date", today)
    _date_errors(request, params)
    units, chosen = _units(request)
    state = request.GET.get("state")
    chosen_states = [State(state)] if state and state in State.__members__.values() else None
    counts, gaps = deadlines.rule_counts(_user(request), on, rule_id, units=units)
    number = _page_number(request)
    total = sum(counts[s] for s in (chosen_states or State))
    paging = _paging(number, total, RULE_PAGE)
    items = deadlines.rule_page(
        _user(request),
        on,
        rule_id,
        units=units,
        states=chosen_states,
        page=paging["number"],
        size=RULE_PAGE,
    )
    _shown(
        request,
        "rule",
        persons=[i.person_id for i in items],
        households=[i.household_id for i in items],
    )
    return render(
        request,
        "casework/rule.html",
        {
            "rule_id": rule_id,
            "rule_label": deadlines.RULES[rule_id],
            "on": on,
            "chosen": chosen,
            "rows": _rows(items, writes=_user(request).writes_residents),
            "total": total,
            "paging": paging,
            "paging_base": _paging_base(chosen, on, state=state if chosen_states else None),
            "gaps": gaps,
            "counts": [(s, s.label, counts[s]) for s in State],
            "state": state,
        },
    )


def _person_page(
    request: HttpRequest, person: Person, *, employment_form: StatusForm | None = None
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
        # Shown masked like any free text (issue 11, finding 2); the service puts a number
        # left masked back (``lib.masking.restore_masked``).
        "profile_form": ProfileForm(
            initial={key: mask_text(getattr(profile, key)) for key in services.PROFILE_FIELDS}
            if profile
            else None
        ),
        "assist_form": AssistanceOpenForm(initial={"on": today}),
        "employment_form": employment_form or StatusForm(person=person, initial={"since": today}),
        "history": status_history(user=user, person=person),
        # The forms and buttons only for those who may write here (issue 11, finding 4).
        "may_write": may_write(user, placement(person)),
        # What other apps show of the person (``casework.panels``: the jobs app's referrals).
        "person_panels": panels.person_panels(request, person),
    }
    _shown(request, "person", persons=[person.pk], obj=person)
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
    _writable(request, person)
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


def _withdraw_page(
    request: HttpRequest, person: Person, form: WithdrawForm, context: dict[str, Any]
) -> HttpResponse:
    _shown(request, "withdraw", persons=[person.pk], obj=person)
    return render(request, "casework/withdraw.html", {"person": person, "form": form, **context})


@login_required
def service_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a wrong service record, with the reason (a page: GET asks for the reason)."""
    record = selectors.service_record_get(user=_user(request), pk=pk)
    _writable(request, record.person)
    person = record.person
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.service_record_delete(
                actor=_user(request), record=record, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _fail(form, error)
        else:
            messages.success(request, _("服务记录已撤销。"))
            return redirect(reverse("casework:person", args=[person.pk]) + "#services")
    return _withdraw_page(request, person, form, {"record": record})


def _status_event_get(request: HttpRequest, pk: int) -> StatusEvent:
    """A status event inside the user's jurisdiction (else 404)."""
    events = StatusEvent.objects.select_related("person__community", "person__grid")
    return get_object_or_404(scope_to_jurisdiction(events, _user(request)), pk=pk)


@login_required
def status_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a wrong status event, with the reason: the history closes up around it (a
    wrong status is corrected by withdrawing it, or by recording the right one on its day)."""
    event = _status_event_get(request, pk)
    person = event.person
    _writable(request, person)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            status_event_delete(
                actor=_user(request), event=event, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _fail(form, error)
        else:
            messages.success(request, _("就业状态记录已撤销。"))
            return redirect(reverse("casework:person", args=[person.pk]) + "#status-history")
    return _withdraw_page(request, person, form, {"event": event})


@login_required
@require_POST
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_get(user=_user(request), pk=pk)
    _writable(request, person)
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
    """Record the person's status from a date (any status; 登记失业 with its cause), through
    the registry's one status writer. A refusal (e.g. employment before the 16th birthday,
    ``registry.checks``) shows on the form's field, on the person's page; nothing is written."""
    person = person_get(user=_user(request), pk=pk)
    _writable(request, person)
    form = StatusForm(request.POST, person=person)
    if form.is_valid():
        data = form.cleaned_data
        try:
            person_change_status(
                actor=_user(request),
                person=person,
                status=data["status"],
                since=data["since"],
                registered=data["registered"],
                employer=data["employer"],
                cause=data["cause"],
            )
        except ValidationError as error:
            _fail(form, error)
        else:
            messages.success(request, _("就业状态已登记。"))
            if data["status"] == Status.UNEMPLOYED and not data["cause"].strip():
                # The importer takes it so too; the ten clears then miss the cause.
                messages.warning(request, _("未填写失业原因：此人的十清信息不完整。"))
            return redirect(reverse("casework:person", args=[person.pk]) + "#employment")
    return _person_page(request, person, employment_form=form)


@login_required
@require_POST
def assistance_open(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_get(user=_user(request), pk=pk)
    _writable(request, person)
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
    writes = may_write(_user(request), placement(case.person))
    if request.method == "POST" and not writes:
        _writable(request, case.person)  # 403, in the guard's words
    if step is not None and writes:
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
    _shown(request, "assistance", persons=[case.person_id], obj=case.person)
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
    members = list(persons_visible(user=user).filter(household=household).order_by("id"))
    cases = selectors.zero_family_cases(user=user, on=today, open_only=False).filter(
        household=household
    )
    _shown(
        request,
        "household",
        persons=[m.pk for m in members],
        households=[household.pk],
        obj=household,
    )
    return render(
        request,
        "casework/household.html",
        {
            "household": household,
            "urban": definitions.is_urban(household.hukou_type),
            "may_write": may_write(user, placement(household)),
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
    params = _dates(request)
    on = params.get("date", today)
    _date_errors(request, params)
    cases = selectors.zero_family_cases(user=_user(request), on=on, open_only=show != "all")
    rows = [_case_row(case, on) for case in cases[:1000]]
    _shown(request, "zero_families", households=[row["case"].household_id for row in rows])
    return render(
        request,
        "casework/zero_families.html",
        {"rows": rows, "show": show, "today": today, "on": on, "total": cases.count()},
    )


@login_required
def ten_clears(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    params = _dates(request)
    on = params.get("date", today)
    _date_errors(request, params)
    units, chosen = _units(request)
    number = _page_number(request)
    results = []
    for unit in deadlines.outermost_units(units):
        # Counted and paged in the database: a district's records are never all read.
        result = tenclears.unit_page(unit, on, user=_user(request), page=number, size=TEN_PAGE)
        incomplete = result.denominator - result.numerator
        results.append((unit, result, _paging(number, incomplete, TEN_PAGE)))
    _shown(
        request,
        "ten_clears",
        persons=[r.person_id for _u, result, _p in results for r in result.records],
    )
    return render(
        request,
        "casework/ten_clears.html",
        {
            "results": results,
            "on": on,
            "chosen": chosen,
            "fields": tenclears.FIELDS,
            "paging_base": _paging_base(chosen, on),
        },
    )


@login_required
def ledger(request: HttpRequest, name: str) -> HttpResponse:
    if name not in selectors.LEDGERS:
        raise Http404
    today = timezone.localdate()
    params = _dates(request)
    start = params.get("start", date(today.year, 1, 1), label=_("起始日期"))
    end = params.get("end", today, label=_("截止日期"))
    _date_errors(request, params)
    records = selectors.LEDGERS[name](user=_user(request), start=start, end=end)
    shown = list(records[:2000])
    _shown(request, f"ledger.{name}", persons=[r.person_id for r in shown])
    return render(
        request,
        "casework/ledger.html",
        {
            "name": name,
            "title": LEDGER_TITLES[name],
            "start": start,
            "end": end,
            "records": shown,
            "total": records.count(),
            "ledgers": LEDGER_TITLES,
        },
    )
