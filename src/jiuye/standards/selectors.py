"""Every read of standards goes through the jurisdiction scope: a foreign unit is 404.

Evaluations are for the data roles (worker, grid, street, district) inside their jurisdiction:
an evaluation is built from residents' records and links to them, so the administrators and the
auditor, who hold no data role, get 404 like for any personal page (the permission matrix in
``tests/security``). The persons behind an indicator are read through the same scope
(``standards.behind``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve

from jiuye.accounts.models import User
from jiuye.audit.services import audit_read
from jiuye.standards import aggregates
from jiuye.standards import behind as behind_module
from jiuye.standards import evaluation as evaluation_module
from jiuye.standards.evaluation import UnitEvaluation, evaluate_unit, evaluate_units
from jiuye.standards.indicators import period_of
from jiuye.standards.models import Certification, ChecklistTick
from jiuye.standards.rulesets import RuleSet, RuleSetError, ruleset_get, rulesets
from jiuye.units.models import Level, Unit
from jiuye.units.scope import SYSTEM, scope_to_jurisdiction

EVALUATED_LEVELS = (
    Level.CITY,
    Level.DISTRICT,
    Level.STREET,
    Level.TOWN,
    Level.COMMUNITY,
    Level.VILLAGE,
)


def units_evaluable(user: User) -> QuerySet[Unit]:
    """Units whose evaluation the user may see: inside their jurisdiction, data roles only."""
    return scope_to_jurisdiction(Unit.objects.all(), user, personal=True)


def unit_get(*, user: User, code: str) -> Unit:
    """A unit the user may evaluate, else 404."""
    return get_object_or_404(units_evaluable(user), code=code)


def user_units(*, user: User) -> QuerySet[Unit]:
    """The units the user is a member of (their starting points)."""
    return units_evaluable(user).filter(memberships__user=user).order_by("path").distinct()


def status_not_recorded_counts(*, unit: Unit, on: date, user: Any) -> list[tuple[Unit, int]] | None:
    """The worklist's count of persons whose status is not recorded (DOMAIN §3 data quality),
    per community under ``unit`` with any, in tree order, from the community timelines: one
    index probe a community instead of an anti-join over every person and status event
    (``casework.selectors.status_not_recorded_counts`` asks here first, the same numbers).
    None, and casework counts them itself, when the aggregates are not fresh, for a grid (not
    a sum of communities), or when ``user`` does not see the whole unit (no data role, a unit
    above their own)."""
    if unit.level == Level.GRID or not (
        user is SYSTEM or units_evaluable(user).filter(pk=unit.pk).exists()
    ):
        return None
    if not aggregates.aggregates_fresh():
        return None
    field = "status_not_recorded"
    counts = {
        pk: vector[field]
        for pk, vector in aggregates.community_vectors(on=on, path=unit.path).items()
        if vector[field]
    }
    communities = Unit.objects.filter(pk__in=list(counts)).order_by("path")
    return [(community, counts[community.pk]) for community in communities]


def children_of(*, user: User, unit: Unit) -> list[Unit]:
    """The units directly under ``unit`` that the user may evaluate, in tree order."""
    return list(units_evaluable(user).filter(parent=unit).order_by("path"))


def ruleset_or_404(ruleset_id: str) -> RuleSet:
    try:
        return ruleset_get(ruleset_id)
    except RuleSetError as error:
        raise Http404(str(error)) from None


def rulesets_for(unit: Unit) -> list[RuleSet]:
    """The rule sets with a level for this unit."""
    return [r for r in rulesets().values() if r.levels_for(unit.level)]


def evaluation(
    *,
    user: User,
    unit: Unit,
    ruleset: RuleSet,
    on: date,
    start: date | None = None,
    level_key: str | None = None,
) -> UnitEvaluation:
    if not units_evaluable(user).filter(pk=unit.pk).exists():
        raise Http404("unit")
    return evaluate_unit(unit=unit, ruleset=ruleset, on=on, start=start, level_key=level_key)


def evaluations_below(
    *, user: User, unit: Unit, ruleset: RuleSet, on: date, start: date | None = None
) -> list[UnitEvaluation]:
    """The unit and every unit under it that the rule set applies to (one fact sheet)."""
    if not units_evaluable(user).filter(pk=unit.pk).exists():
        raise Http404("unit")
    return evaluate_units(root=unit, ruleset=ruleset, on=on, start=start)


def indicator_behind(
    *,
    user: User,
    unit: Unit,
    indicator: str,
    on: date,
    start: date | None = None,
    ruleset: str = "",
    offset: int = 0,
    limit: int | None = None,
    page: int | None = None,
) -> behind_module.Behind:
    """One page of the persons, households or records behind an indicator (data roles only,
    scoped; ``limit`` rows from ``offset``, or page ``page``): counted and paged in the
    database. The persons and households the page shows are recorded as read (issue 11,
    finding 10)."""
    if not units_evaluable(user).filter(pk=unit.pk).exists():
        raise Http404("unit")
    found = behind_module.behind(
        indicator=indicator,
        unit=unit,
        period=period_of(on, start),
        user=user,
        ruleset=ruleset,
        offset=offset,
        limit=limit,
        page=page,
    )
    persons, households = _shown(found.rows)
    audit_read(
        actor=user,
        what="standards.behind",
        persons=persons,
        households=households,
        unit=unit,
        extra={"indicator": indicator, "offset": found.offset},
    )
    return found


def _shown(rows: Iterable[Any]) -> tuple[list[int], list[int]]:
    """The ids of the persons and households a list links to (its rows' pages)."""
    persons, households = [], []
    for row in rows:
        if not row.url:
            continue
        try:
            match = resolve(row.url)
        except Resolver404:
            continue
        pk = match.kwargs.get("pk")
        if pk is None:
            continue
        if match.view_name in ("casework:person", "person_detail"):
            persons.append(int(pk))
        elif match.view_name in ("casework:household", "household_detail"):
            households.append(int(pk))
    return persons, households


def ticks(*, user: User, unit: Unit, ruleset: str, year: int) -> QuerySet[ChecklistTick]:
    qs = ChecklistTick.objects.filter(unit=unit, ruleset=ruleset, year=year)
    return scope_to_jurisdiction(qs, user)


def certifications(*, user: User) -> QuerySet[Certification]:
    return scope_to_jurisdiction(Certification.objects.all(), user)


def certifications_in_force(
    *, user: User, ruleset: str, on: date, unit_ids: list[int]
) -> dict[int, Certification]:
    """Per unit the user may evaluate, its certification under ``ruleset`` in force at ``on``
    (the units' standing the unit page shows beside their evaluations)."""
    visible = list(units_evaluable(user).filter(pk__in=unit_ids).values_list("pk", flat=True))
    return evaluation_module.certifications_in_force(ruleset=ruleset, on=on, unit_ids=visible)
