"""Standards pages: a unit's evaluation under a rule set (each criterion green or red with value,
threshold, gap and a link to the persons behind it), the checklist ticks, the QG-2016 score,
the child units' standing; the persons behind one indicator. Thin: reads through
``standards.selectors`` (a foreign unit is 404), writes through ``standards.services``."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiuye.accounts.models import User
from jiuye.lib.dates import DateParams
from jiuye.lib.text import join_list
from jiuye.standards import selectors, services
from jiuye.standards.evaluation import UnitEvaluation
from jiuye.standards.indicators import INDICATORS
from jiuye.standards.models import Certification, TickRole
from jiuye.standards.rules import CriterionResult, Unavailable
from jiuye.standards.rulesets import RuleSetError
from jiuye.units.models import Unit

# Far past any list's end (a page past the end shows the last one), and a safe offset anywhere.
MAX_PAGE = 1_000_000


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here is ``login_required``)."""
    return cast(User, request.user)


def _params(request: HttpRequest, unit: Unit) -> dict[str, Any]:
    """Rule set (default: the first that applies to the unit), level, date and period start.

    A malformed or out-of-range date (``lib.dates``) is said above the page, which evaluates
    at today instead; a period start after the date is dropped, also saying so (issue 11,
    finding 8)."""
    choices = selectors.rulesets_for(unit)
    wanted = request.GET.get("ruleset") or request.POST.get("ruleset")
    if wanted:
        ruleset = selectors.ruleset_or_404(wanted)
    elif choices:
        ruleset = choices[0]
    else:
        raise Http404("no rule set applies")
    dates = DateParams(ChainMap(request.GET, request.POST))  # a tick posts to ?date=…
    on = dates.get("date", timezone.localdate(), label=_("时点"))
    start = dates.optional("from", label=_("评估期起"))
    if start is not None and start > on:
        dates.errors.append(
            _("评估期起（%(start)s）晚于时点（%(on)s），按当年1月1日起算。")
            % {"start": start.isoformat(), "on": on.isoformat()}
        )
        start = None
    for error in dates.errors:
        messages.error(request, error)
    level = request.GET.get("level") or None
    return {
        "ruleset": ruleset,
        "choices": choices,
        "on": on,
        "start": start,
        "level": level,
        "date_errors": dates.errors,
    }


def _query(p: dict[str, Any], **extra: Any) -> str:
    params = {"ruleset": p["ruleset"].id, "date": p["on"].isoformat()}
    if p["start"]:
        params["from"] = p["start"].isoformat()
    if p.get("level"):
        params["level"] = p["level"]
    params.update({k: v for k, v in extra.items() if v})
    return urlencode(params)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    # Only units a rule set evaluates: a grid's coordinator has none (no standard has a grid
    # level) and is told so here instead of being sent to a page that has nothing to show.
    units = [u for u in selectors.user_units(user=_user(request)) if selectors.rulesets_for(u)]
    if len(units) == 1:
        return redirect(reverse("standards:unit", args=[units[0].code]))
    return render(request, "standards/index.html", {"units": units})


def percent(value: float | int | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def value_text(value: float | int | None, kind: str) -> str:
    if value is None:
        return "—"
    return percent(value) if kind == "ratio" else str(value)


def _row(result: CriterionResult, unit: Unit, p: dict[str, Any]) -> dict[str, Any]:
    info = INDICATORS[result.criterion.indicator]
    threshold = result.criterion.threshold_number
    return {
        "r": result,
        "info": info,
        "value": value_text(result.value, info.kind),
        "threshold": f"{result.criterion.op} {value_text(threshold, info.kind)}",
        "gap": info.gap_text(result.gap),
        "behind_url": reverse("standards:behind", args=[unit.code, result.criterion.indicator])
        + "?"
        + _query(p),
    }


def _certification(certification: Certification | None, p: dict[str, Any]) -> dict[str, Any]:
    """A certification in force for display: its level's name and date (None: not certified)."""
    if certification is None:
        return {}
    level = p["ruleset"].levels.get(certification.level)
    return {
        "level": level.name if level else certification.level,
        "year": certification.year,
        "on": certification.certified_on,
    }


def _children(
    results: list[UnitEvaluation],
    unit: Unit,
    p: dict[str, Any],
    certified: dict[int, Certification],
) -> list[dict[str, Any]]:
    rows = []
    for e in results:
        if e.unit.parent_id != unit.pk:
            continue
        failed = [r.criterion.id for r in e.evaluation.failed if r.unavailable is None]
        undecided = [r.criterion.id for r in e.evaluation.failed if r.unavailable is not None]
        text = join_list(failed)
        if undecided:  # values waiting for a year's holidays: neither failed nor passed
            text += ("；" if text else "") + _("待定：%(ids)s") % {"ids": join_list(undecided)}
        rows.append(
            {
                "e": e,
                "failed": failed,
                "failed_text": text,
                "certified": _certification(certified.get(e.unit.pk), p),
                "url": reverse("standards:unit", args=[e.unit.code]) + "?" + _query(p, level=None),
            }
        )
    return rows


@login_required
def unit_evaluation(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_get(user=_user(request), code=code)
    p = _params(request, unit)
    children_units = selectors.children_of(user=_user(request), unit=unit)
    applies = bool(p["ruleset"].levels_for(unit.level)) or any(
        p["ruleset"].levels_for(child.level) for child in children_units
    )
    try:
        if not applies:
            # Neither this unit nor the ones under it are assessed by the rule set (a district
            # under a community standard): nothing to show but the way down, so nothing is
            # computed (it was every community of the district, 1.5 s at 1M persons).
            results = []
        elif unit.is_community:
            results = [
                selectors.evaluation(
                    user=_user(request),
                    unit=unit,
                    ruleset=p["ruleset"],
                    on=p["on"],
                    start=p["start"],
                    level_key=p["level"],
                )
            ]
        else:
            results = selectors.evaluations_below(
                user=_user(request), unit=unit, ruleset=p["ruleset"], on=p["on"], start=p["start"]
            )
    except RuleSetError as error:
        raise Http404(str(error)) from None
    own = next((e for e in results if e.unit.pk == unit.pk), None)
    certified = selectors.certifications_in_force(
        user=_user(request),
        ruleset=p["ruleset"].id,
        on=p["on"],
        unit_ids=[
            e.unit.pk for e in results if e.unit.pk == unit.pk or e.unit.parent_id == unit.pk
        ],
    )
    children = _children(results, unit, p, certified)
    levels = p["ruleset"].levels_for(unit.level)
    context = {
        "unit": unit,
        "p": p,
        "e": own,
        "levels": levels,
        "rows": [_row(r, unit, p) for r in own.results] if own else [],
        "children": children,
        "children_passed": sum(1 for c in children if c["e"].passed),
        "criteria_children_passed": sum(1 for c in children if c["e"].criteria_passed),
        "children_certified": sum(1 for c in children if c["certified"]),
        "children_unavailable": _unavailable(c["e"] for c in children),
        "certified": _certification(certified.get(unit.pk), p),
        "may_self": services.may_tick(_user(request), unit, TickRole.SELF),
        "may_street": services.may_tick(_user(request), unit, TickRole.STREET),
        "may_assess": services.may_tick(_user(request), unit, TickRole.ASSESSOR),
        # A street or a district has no street review column (the district accepts it).
        "street_column": unit.is_community,
        "score_checklist": _score_checklist(own),
        "sees_personal": bool(getattr(_user(request), "sees_personal_data", False)),
        "drill_down": []
        if applies
        else [
            (child, reverse("standards:unit", args=[child.code]) + "?" + _query(p, level=None))
            for child in children_units
        ],
    }
    return render(request, "standards/unit.html", context)


def _unavailable(results: Iterable[UnitEvaluation]) -> Unavailable | None:
    """The years without a holiday calendar that leave criteria of ``results`` undecided."""
    years = {y for e in results for r in e.results if r.unavailable for y in r.unavailable.years}
    return Unavailable(tuple(sorted(years))) if years else None


def _score_checklist(e: UnitEvaluation | None) -> list[dict[str, Any]]:
    """The score table's checklist deductions, with each column's tick, for the tick forms."""
    if e is None or e.score is None:
        return []
    rows = []
    for item in e.score.items:
        for d in item.deductions:
            if d.deduction.kind == "checklist":
                rows.append(
                    {
                        "id": d.deduction.id,
                        "text": f"{item.item.no}. {d.deduction.text}",
                        "self": e.ticks.get((d.deduction.id, TickRole.SELF)),
                        "street": e.ticks.get((d.deduction.id, TickRole.STREET)),
                        "assessor": e.ticks.get((d.deduction.id, TickRole.ASSESSOR)),
                    }
                )
    return rows


def _page_number(value: str | None) -> int:
    """``?page=``: a page number from 1 (anything else is the first page, never an error)."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


@login_required
def indicator_behind(request: HttpRequest, code: str, indicator: str) -> HttpResponse:
    if indicator not in INDICATORS:
        raise Http404("indicator")
    unit = selectors.unit_get(user=_user(request), code=code)
    p = _params(request, unit)
    found = selectors.indicator_behind(
        user=_user(request),
        unit=unit,
        indicator=indicator,
        on=p["on"],
        start=p["start"],
        ruleset=p["ruleset"].id,
        page=_page_number(request.GET.get("page")),
    )
    names = dict(
        Unit.objects.filter(
            pk__in={r.community_id for r in found.rows if r.community_id}
        ).values_list("pk", "name")
    )
    context = {
        "unit": unit,
        "p": p,
        "info": INDICATORS[indicator],
        "behind": found,
        "back_url": reverse("standards:unit", args=[unit.code]) + "?" + _query(p),
        "rows": [{"row": r, "community": names.get(r.community_id or 0, "")} for r in found.rows],
    }
    return render(request, "standards/behind.html", context)


@login_required
@require_POST
def tick(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_get(user=_user(request), code=code)
    p = _params(request, unit)
    back = _next(request)
    if p["date_errors"]:  # said above the page; a tick for a year nobody meant is not saved
        return redirect(back or reverse("standards:unit", args=[unit.code]) + "?" + _query(p))
    try:
        services.checklist_tick_set(
            actor=_user(request),
            unit=unit,
            ruleset=p["ruleset"],
            item=request.POST.get("item", ""),
            year=p["on"].year,
            role=request.POST.get("role", ""),
            ticked=request.POST.get("ticked") == "on",
            note=request.POST.get("note", "")[:500],
            evidence=request.POST.get("evidence", "")[:500],
        )
    except PermissionDenied:
        raise Http404("tick") from None
    except ValidationError as error:
        messages.error(request, join_list(error.messages, clauses=True))
    else:
        messages.success(request, _("已保存检查项 {item}").format(item=request.POST.get("item")))
    if back:
        return redirect(back)
    return redirect(reverse("standards:unit", args=[unit.code]) + "?" + _query(p) + "#checklist")


def _next(request: HttpRequest) -> str | None:
    """The page a tick form came from (a certification application shows the same checklist),
    when it is one of this site's: never a redirect to another host."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None
