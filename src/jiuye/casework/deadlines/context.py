"""What several deadline rules share for one unit and date, fetched once per worklist: the unit's
persons, their registrations (登记失业 spells), their service dates, names and places.

Only records dated on or before the date count, so a past date gives the answer it gave then.
A registration is :func:`registry.definitions.spells` over the registered-unemployed events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from django.db import connection
from django.db.models import BooleanField, F, Func, Model, Q, QuerySet

from jiuye.casework.deadlines.dates import period_start_of, soon_horizon
from jiuye.casework.deadlines.items import CalendarGaps, Item
from jiuye.casework.models import ServiceRecord
from jiuye.lib.workdays import WorkdayCalendarError
from jiuye.registry import definitions
from jiuye.registry.definitions import Spell
from jiuye.registry.models import Person, StatusEvent
from jiuye.registry.selectors import Reader, persons_of, unit_filter
from jiuye.units.models import Level, Unit
from jiuye.units.scope import scope_to_jurisdiction

M = TypeVar("M", bound=Model)

# Units small enough to list their persons' ids (see ``RuleContext.of_persons``).
SMALL_LEVELS = frozenset({Level.COMMUNITY, Level.VILLAGE, Level.GRID})


def chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    """``ids`` in lists short enough for one query's parameters on the database in use."""
    size = max(100, (connection.features.max_query_params or 20000) - 100)
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


class _AnyOf(Func):
    """``field = ANY(%s)`` with the ids as one array parameter (PostgreSQL): planned in a
    fraction of the time of an ``IN`` list of thousands of literals, same index probes."""

    output_field = BooleanField()

    def __init__(self, field: str, ids: list[int]) -> None:
        super().__init__(F(field))
        self.ids = ids

    def as_sql(
        self, compiler: Any, connection: Any, *args: Any, **kwargs: Any
    ) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"{sql} = ANY(%s)", (*params, self.ids)


def id_filters(field: str, ids: Sequence[int]) -> list[Any]:
    """Filters, each for one query, that together select the rows whose ``field`` is in
    ``ids`` (none when ``ids`` is empty)."""
    if not ids:
        return []
    if connection.vendor == "postgresql":
        return [_AnyOf(field, list(ids))]
    return [Q(**{f"{field}__in": chunk}) for chunk in chunks(ids)]


@dataclass
class RuleContext:
    """What several rules share for one unit and date: fetched once per worklist. Every read
    goes through ``user``'s jurisdiction (None: nothing; a system job passes ``SYSTEM``).
    ``gaps``: what the rules could not date for want of a year's holiday calendar."""

    unit: Unit
    on: date
    period_start: date
    user: Reader | None
    soon_until: date
    gaps: CalendarGaps = field(default_factory=CalendarGaps)
    _persons: dict[int, dict[str, Any]] = field(default_factory=dict)
    _spells: list[Spell] | None = None
    _person_ids: list[int] | None = None

    def scoped(self, queryset: QuerySet[M], prefix: str = "person__") -> QuerySet[M]:
        """Rows of the unit reached through ``prefix`` (a join on the indexed community or grid
        column), through the user's jurisdiction."""
        return scope_to_jurisdiction(queryset.filter(unit_filter(self.unit, prefix)), self.user)

    def person_ids(self) -> list[int]:
        if self._person_ids is None:
            persons = persons_of(self.unit, user=self.user).order_by()
            self._person_ids = list(persons.values_list("pk", flat=True))
        return self._person_ids

    def of_persons(self, queryset: QuerySet[M]) -> list[QuerySet[M]]:
        """``queryset`` restricted to the unit's persons, as one or more querysets.

        For a community or grid (a few thousand persons) the ids are fetched first and passed
        as one array (PostgreSQL) or lists (SQLite): the planner then probes the ``person_id``
        index once per person instead of joining, which PostgreSQL plans as a scan of the whole
        event table once it holds millions of rows. Above a community, the join is the better
        plan.
        """
        if self.unit.level in SMALL_LEVELS:
            return [queryset.filter(f) for f in id_filters("person_id", self.person_ids())]
        return [self.scoped(queryset)]

    def person_info(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        missing = set(ids) - set(self._persons)
        for chunk in id_filters("id", sorted(missing)):
            for row in Person.objects.filter(chunk).values(
                "pk",
                "name",
                "community_id",
                "grid_id",
                "work_from",
                "retire_on",
                "able",
                "willing",
            ):
                self._persons[row["pk"]] = dict(row)
        return self._persons

    def registration_spells(self) -> list[Spell]:
        """Every registration of the unit's persons up to ``on`` (each rule picks its own)."""
        if self._spells is None:
            # Every registered-unemployed event up to ``on`` (a spell's start may lie years
            # back); the spells that matter are picked by the rules.
            events = StatusEvent.objects.filter(
                definitions.registered_q(), since__lte=self.on
            ).order_by()
            rows = [
                row
                for qs in self.of_persons(events)
                for row in qs.values_list("person_id", "since", "until")
            ]
            self._spells = definitions.spells(rows, self.on)
        return self._spells

    def service_days(
        self, kinds: Iterable[str], person_ids: Iterable[int], start: date
    ) -> dict[int, list[date]]:
        """Sorted dates of services of ``kinds`` in [start, on] for each person."""
        days: dict[int, list[date]] = defaultdict(list)
        for ids in id_filters("person_id", sorted(set(person_ids))):
            rows = (
                ServiceRecord.objects.filter(
                    ids,
                    kind__in=list(kinds),
                    on__gte=start,
                    on__lte=self.on,
                )
                .order_by()
                .values_list("person_id", "on")
            )
            for person_id, day in rows:
                days[person_id].append(day)
        for values in days.values():
            values.sort()
        return days

    def workday_due(self, rule: str, due: Callable[[date], date], day: date) -> date | None:
        """``due(day)``, a due date counted in working days; None (recorded in ``gaps``) when
        it needs a year the holiday calendar does not know."""
        try:
            return due(day)
        except WorkdayCalendarError as error:
            self.gaps.add(error, rule=rule)
            return None

    def person_item(self, person_id: int, **kwargs: Any) -> Item:
        info = self._persons[person_id]
        return Item(
            name=info["name"],
            person_id=person_id,
            community_id=info["community_id"],
            grid_id=info["grid_id"],
            **kwargs,
        )


def rule_context(
    unit: Unit,
    on: date,
    *,
    user: Reader | None,
    period_start: date | None = None,
    context: RuleContext | None = None,
) -> RuleContext:
    """``context`` when a worklist shares one, else a new one for ``unit`` at ``on``."""
    if context is not None:
        return context
    gaps = CalendarGaps()
    return RuleContext(
        unit=unit,
        on=on,
        period_start=period_start_of(on, period_start),
        user=user,
        soon_until=soon_horizon(on, gaps),
        gaps=gaps,
    )
