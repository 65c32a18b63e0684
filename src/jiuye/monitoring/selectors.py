"""Every read of the warnings, through the one jurisdiction scope: a warning of a unit outside
the user's jurisdiction is not found (404). Warnings list residents behind them, so only the
data roles read them."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from jiuye.monitoring.models import EarlyWarning, WarningRecord, WarningState
from jiuye.registry.selectors import households_visible, persons_visible
from jiuye.units.scope import scope_to_jurisdiction

ACTIVE = (WarningState.OPEN, WarningState.ACKNOWLEDGED)


def warnings_visible(*, user: Any) -> QuerySet[EarlyWarning]:
    return scope_to_jurisdiction(EarlyWarning.objects.select_related("unit"), user)


def warnings_filtered(
    *,
    user: Any,
    unit_path: str | None = None,
    state: str | None = None,
    level: str | None = None,
    rule: str | None = None,
) -> QuerySet[EarlyWarning]:
    found = warnings_visible(user=user)
    if unit_path:
        found = found.filter(unit__path__startswith=unit_path)
    if state == "active":
        found = found.filter(state__in=ACTIVE)
    elif state:
        found = found.filter(state=state)
    if level:
        found = found.filter(level=level)
    if rule:
        found = found.filter(rule_id=rule)
    return found.order_by("-fired_on", "-id")


def warning_get(*, user: Any, pk: int) -> EarlyWarning:
    found = warnings_visible(user=user).filter(pk=pk).first()
    if found is None:
        raise Http404("warning")
    return found


def warning_records(*, warning: EarlyWarning) -> QuerySet[WarningRecord]:
    """The records behind a warning the caller already holds (``warning_get`` checked it)."""
    return warning.records.select_related("person", "household", "unit", "employer__unit").order_by(
        "id"
    )


def records_seen(*, user: Any, records: list[WarningRecord]) -> list[tuple[WarningRecord, bool]]:
    """Each record with whether ``user`` sees its person or household today (one who moved out
    of the user's jurisdiction since the warning fired is listed without a name). A unit or
    employer record is no resident's data: always seen."""
    person_ids = {r.person_id for r in records if r.person_id}
    household_ids = {r.household_id for r in records if r.household_id}
    persons = set(
        persons_visible(user=user).filter(pk__in=person_ids).values_list("pk", flat=True)
        if person_ids
        else ()
    )
    households = set(
        households_visible(user=user).filter(pk__in=household_ids).values_list("pk", flat=True)
        if household_ids
        else ()
    )

    def seen(record: WarningRecord) -> bool:
        if record.person_id:
            return record.person_id in persons
        if record.household_id:
            return record.household_id in households
        return True

    return [(record, seen(record)) for record in records]


def active_counts(*, user: Any, paths: list[str] | None = None) -> dict[str, int]:
    """Open and acknowledged warnings by level, for the worklist and the big screen (of the
    units under ``paths`` only, when given)."""
    found = (
        open_for_units(user=user, paths=paths)
        if paths is not None
        else warnings_visible(user=user).filter(state__in=ACTIVE)
    )
    rows = found.order_by().values("level").annotate(n=Count("id"))
    return {row["level"]: row["n"] for row in rows}


def open_for_units(*, user: Any, paths: list[str]) -> QuerySet[EarlyWarning]:
    """The active warnings of the units under ``paths`` (a worklist's units)."""
    if not paths:
        return EarlyWarning.objects.none()
    within = Q()
    for path in paths:
        within |= Q(unit__path__startswith=path)
    return warnings_visible(user=user).filter(within, state__in=ACTIVE).order_by("-fired_on", "-id")
