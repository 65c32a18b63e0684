"""The deadline rules of DOMAIN §4 as set-based SQL: every item of every rule for any set of
persons and households in one query, its due date, when it was done and its state at a date.

The rule functions (:mod:`.rules`) and the worklists read these queries, so a worklist, a rule's
list, the counts per community of a street or district and the indicators that count what a rule
asks all come from one statement of each rule, answered by the database for a whole unit level
at once: nothing loops over persons in Python, and a list is paged in the database.

Every query selects the same columns (:data:`COLUMNS`): ``rule_id``, ``person_id``,
``household_id``, ``case_id``, ``due``, ``done_on``, ``actionable``, ``day`` (the registration,
emergence or quarter the item is about), ``n`` (referrals so far), ``community_id``,
``grid_id``, ``name`` and ``state``. The rules' dates are the single definitions: registrations
are ``definitions.spells_sql``, month deadlines ``lib.retirement.add_months_sql``, a recognition
in force ``definitions.recognition_in_force_sql``; due dates counted in working days (CQ-4) are
the Python ``guidance_due`` of each day that can hold one, passed as a table of values, and
states are :func:`classify_sql`, the SQL form of ``dates.classify``.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import reduce
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import QuerySet

from jiuye.casework.deadlines.dates import (
    REFERRAL_MONTHS,
    REFERRALS_NEEDED,
    VISIT_MONTHS,
    guidance_due,
    period_start_of,
    quarters_between,
    soon_horizon,
)
from jiuye.casework.deadlines.items import RULE_ORDER, CalendarGaps, State
from jiuye.casework.models import (
    AssistanceCase,
    AssistanceStep,
    AssistanceStepKind,
    DeadlineItem,
    DeadlineStore,
    ServiceKind,
    ServiceRecord,
    ZeroFamilyCase,
)
from jiuye.lib import workdays
from jiuye.lib.retirement import add_months_sql
from jiuye.lib.sql import Sql, citus, read_date, subquery
from jiuye.registry import definitions
from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
from jiuye.registry.selectors import Reader, households_visible, persons_visible, unit_filter
from jiuye.units.models import Unit
from jiuye.units.scope import scope_to_jurisdiction
from jiuye.units.sharding import carried, same_district

COLUMNS = (
    "rule_id",
    "person_id",
    "household_id",
    "case_id",
    "due",
    "done_on",
    "actionable",
    "day",
    "n",
    "community_id",
    "grid_id",
    "name",
    "state",
)
_BASE = COLUMNS[:9]  # what each rule selects; the rest is joined on
# Typed NULLs: PostgreSQL reads an untyped NULL in a subquery as text, which a UNION with
# integer or date columns refuses.
NULL_INT = "CAST(NULL AS integer)"
NULL_DATE = "CAST(NULL AS date)"
ON = '"on"'  # the service and step date column: a reserved word, quoted

# Registrations older than this cannot have a CQ-4 deadline in the period (3 working days
# never span a month), and their days may lie before the years the holiday calendar knows.
GUIDANCE_LOOKBACK = timedelta(days=31)


def _t(model: Any) -> str:
    return str(model._meta.db_table)


def classify_sql(
    *, due: str, done_on: str, on: date, soon_until: date, due_day_overdue: str
) -> Sql:
    """``dates.classify`` in SQL over the columns ``due`` and ``done_on``: met or late when done
    by ``on``, overdue once ``on`` is past ``due`` (on ``due`` itself where
    ``due_day_overdue`` is true: CQ-5's year is complete that day), due soon up to
    ``soon_until``, pending after."""
    return Sql(
        f"CASE WHEN {done_on} IS NOT NULL AND {done_on} <= %s "
        f"THEN (CASE WHEN {done_on} <= {due} THEN '{State.MET}' ELSE '{State.LATE}' END) "
        f"WHEN %s > {due} OR ({due_day_overdue} = 1 AND %s >= {due}) THEN '{State.OVERDUE}' "
        f"WHEN {due} <= %s THEN '{State.DUE_SOON}' ELSE '{State.PENDING}' END",
        (on, on, on, soon_until),
    )


def _values(rows: Sequence[tuple[Any, ...]], names: str) -> Sql:
    """A table of literal rows (``names``: its column list) usable in FROM on both databases."""
    if not rows:
        nulls = ", ".join(f"{NULL_DATE} AS {n.strip()}" for n in names.split(","))
        return Sql(f"SELECT {nulls} WHERE 1 = 0")
    width = len(rows[0])
    cast = "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s"
    row = "(" + ", ".join([cast] * width) + ")"
    columns = ", ".join(f"column{i + 1}" for i in range(width))
    aliases = ", ".join(
        f"{c} AS {n.strip()}" for c, n in zip(columns.split(", "), names.split(","), strict=True)
    )
    values = ", ".join([row] * len(rows))
    return Sql(
        f"SELECT {aliases} FROM (VALUES {values}) v",
        tuple(value for r in rows for value in r),
    )


P = _t(Person)
H = _t(Household)


def table_where(queryset: QuerySet[Any]) -> Sql:
    """The WHERE clause of ``queryset`` over its own table, by the table's name: a query that
    joins that table (unaliased) keeps its rows. A filter through a join falls back to
    ``id IN (subquery)``; a queryset that cannot match gives no rows."""
    query, table = queryset.query, _t(queryset.model)
    joined = [alias for alias, count in query.alias_refcount.items() if count]
    if len(joined) > 1:
        ids = subquery(queryset)
        return Sql(f"{table}.id IN ({ids.text})", ids.params)
    try:
        sql, params = query.where.as_sql(query.get_compiler(connection=connection), connection)
    except EmptyResultSet:
        return Sql("1 = 0")
    except FullResultSet:
        return Sql("1 = 1")
    return Sql(sql or "1 = 1", tuple(params))


@dataclass
class Scope:
    """The persons and households the items are about (already narrowed to a unit and a
    user's jurisdiction), the date and the assessment period."""

    persons: QuerySet[Person]
    households: QuerySet[Household]
    on: date
    period_start: date
    soon_until: date
    gaps: CalendarGaps = field(default_factory=CalendarGaps)
    _undated: dict[date, workdays.WorkdayCalendarError] = field(default_factory=dict)
    # Only the items an action can still change (the worklist's): the rules then skip ended
    # registrations and past quarters before looking up what was done.
    actionable_only: bool = False
    # The same persons' and households' items as stored for ``on`` (``deadlines.store``), when
    # that day is stored and ready: read instead of working the rules out again.
    stored: QuerySet[DeadlineItem] | None = None
    # The only days a registration can begin on, when the caller knows them (the store's
    # refresh of a few households): CQ-4's table of due dates then holds just those.
    start_days: frozenset[date] | None = None

    def person_where(self) -> Sql:
        return table_where(self.persons)

    def household_where(self) -> Sql:
        return table_where(self.households)

    def spells(self) -> Sql:
        """The persons' registrations as of ``on`` (``definitions.spells_sql``), each with its
        person's place, name and labor-force facts: the ``spells`` table the rules read."""
        registered, where = definitions.registered_sql("e"), self.person_where()
        events = Sql(
            f"SELECT e.person_id{carried('e')}, e.since, e.until FROM {_t(StatusEvent)} e "
            f"JOIN {P} ON {P}.id = e.person_id{same_district('e', P)} "
            f"WHERE {registered.text} AND {where.text}",
            registered.params + where.params,
        )
        spells = definitions.spells_sql(events, self.on)
        return Sql(
            f'SELECT sp.person_id{carried("sp")}, sp.start, sp."end", {P}.community_id, '
            f"{P}.grid_id, {P}.name, {P}.work_from, {P}.retire_on, {P}.able, {P}.willing "
            f"FROM ({spells.text}) sp JOIN {P} ON {P}.id = sp.person_id{same_district('sp', P)}",
            spells.params,
        )

    def guidance_days(self) -> Sql:
        """CQ-4's due date of each day a registration it looks at can begin on, from the one
        Python rule (``dates.guidance_due``); a day whose due date needs a year the holiday
        calendar does not know has none (NULL), and is remembered for ``gaps``."""
        rows: list[tuple[date, date | None]] = []
        first = self.period_start - GUIDANCE_LOOKBACK
        for day in self._days(first):
            try:
                rows.append((day, guidance_due(day)))
            except workdays.WorkdayCalendarError as error:
                rows.append((day, None))
                self._undated[day] = error
        return _values(rows, "day, due")

    def _days(self, first: date) -> list[date]:
        if self.start_days is not None:
            return sorted(d for d in self.start_days if first <= d <= self.on)
        return [first + timedelta(days=n) for n in range((self.on - first).days + 1)]

    def note_undated(self, days: Iterable[tuple[date | None, int]], rule: str) -> None:
        """Record in ``gaps`` the items of ``rule`` left out for want of a holiday calendar."""
        for day, count in days:
            error = self._undated.get(read_date(day))  # type: ignore[arg-type]
            if error is not None:
                for _ in range(count):
                    self.gaps.add(error, rule=rule)


def scope_for(
    reader: Reader | None,
    on: date,
    *,
    units: Sequence[Unit] | None,
    period_start: date | None = None,
    gaps: CalendarGaps | None = None,
) -> Scope:
    """The scope of ``units``' persons and households (``None``: every one) as ``reader`` may
    see them (no reader, or no unit: nothing), at ``on`` over the period from ``period_start``
    (default: the calendar year). ``gaps`` collects what could not be dated."""
    persons, households = persons_visible(user=reader), households_visible(user=reader)
    if units is not None and not units:
        persons, households = persons.none(), households.none()
    elif units is not None:
        where = reduce(operator.or_, (unit_filter(u) for u in units))
        persons, households = persons.filter(where), households.filter(where)
    gaps = gaps if gaps is not None else CalendarGaps()
    start = period_start_of(on, period_start)
    return Scope(
        persons=persons,
        households=households,
        on=on,
        period_start=start,
        soon_until=soon_horizon(on, gaps),
        gaps=gaps,
        stored=stored_items(reader, on, start, units),
    )


def stored_items(
    reader: Reader | None, on: date, period_start: date, units: Sequence[Unit] | None
) -> QuerySet[DeadlineItem] | None:
    """The stored items of ``units`` (None: all) at ``on`` as ``reader`` may see them (the
    one jurisdiction scope, as the persons and households), or None when that day and period
    are not stored and ready (then the rules are worked out from the registry)."""
    if not DeadlineStore.objects.filter(as_of=on, period_start=period_start, ready=True).exists():
        from jiuye.casework.deadlines import store  # it builds with these queries

        store.request_build(on)
        return None
    items = scope_to_jurisdiction(DeadlineItem.objects.filter(as_of=on), reader)
    if units is not None and not units:
        return items.none()
    if units is not None:
        items = items.filter(reduce(operator.or_, (unit_filter(u) for u in units)))
    return items


def _services(kinds: Iterable[str]) -> str:
    listed = ", ".join(f"'{k}'" for k in sorted(str(k) for k in kinds))
    return f"{_t(ServiceRecord)} s WHERE s.kind IN ({listed})"


def _head(
    rule: str, person: str = NULL_INT, household: str = NULL_INT, case: str = NULL_INT
) -> str:
    """The leading columns of a rule's items."""
    return (
        f"SELECT '{rule}' AS rule_id, {person} AS person_id, {household} AS household_id, "
        f"{case} AS case_id, "
    )


PLACE = "community_id, grid_id, name"  # the trailing columns, from the spells table
SPELL_PLACE = "sp.community_id, sp.grid_id, sp.name"
PERSON_PLACE = f"{P}.community_id, {P}.grid_id, {P}.name"


def cq4_sql(scope: Scope) -> Sql:
    """CQ-4: each registration whose guidance deadline (``guidance_due``) falls in the period
    or that began in it; done on its first guidance on or after its first day, before it ended."""
    days = scope.guidance_days()
    done = (
        f"(SELECT MIN(s.{ON}) FROM {_services([ServiceKind.GUIDANCE])} "
        f"AND s.person_id = sp.person_id{same_district('s', 'sp')} "
        f'AND s.{ON} >= sp.start AND (sp."end" IS NULL OR s.{ON} < sp."end") AND s.{ON} <= %s)'
    )
    return Sql(
        _head("CQ-4", "sp.person_id") + f"gd.due, {done} AS done_on, "
        'CASE WHEN sp."end" IS NULL THEN 1 ELSE 0 END AS actionable, sp.start AS day, '
        f"{NULL_INT} AS n, {SPELL_PLACE} "
        f"FROM spells sp JOIN ({days.text}) gd ON gd.day = sp.start "
        "WHERE gd.due IS NOT NULL AND (sp.start >= %s OR gd.due >= %s)"
        + (' AND sp."end" IS NULL' if scope.actionable_only else ""),
        (scope.on, *days.params, scope.period_start, scope.period_start),
    )


def cq4_undated_sql(scope: Scope) -> Sql:
    """The CQ-4 registrations left out for want of a holiday calendar, per first day."""
    spells, days = scope.spells(), scope.guidance_days()
    return Sql(
        f"SELECT sp.start, COUNT(*) FROM ({spells.text}) sp "
        f"JOIN ({days.text}) gd ON gd.day = sp.start WHERE gd.due IS NULL GROUP BY sp.start",
        spells.params + days.params,
    )


# The registrations in force at ``on``, each with ``base``: the later of its first day and the
# period's (the day QG-6's and QG-3's month deadlines count from).
OPEN_SPELLS = (
    "(SELECT sp.*, CASE WHEN sp.start > %s THEN sp.start ELSE %s END AS base "
    'FROM spells sp WHERE sp."end" IS NULL) sp'
)


def qg6_visit_sql(scope: Scope) -> Sql:
    """QG-6 (visit): each person registered at ``on``, due a month after the registration or
    the period's start (``dates.visit_due``), done on the first visit in the period."""
    done = (
        f"(SELECT MIN(s.{ON}) FROM {_services([ServiceKind.VISIT])} AND s.person_id = sp.person_id"
        f"{same_district('s', 'sp')} AND s.{ON} >= %s AND s.{ON} <= %s)"
    )
    return Sql(
        _head("QG-6-visit", "sp.person_id")
        + f"{add_months_sql('sp.base', VISIT_MONTHS)} AS due, {done} AS done_on, "
        f"1 AS actionable, sp.start AS day, {NULL_INT} AS n, {SPELL_PLACE} FROM {OPEN_SPELLS}",
        (scope.period_start, scope.on, scope.period_start, scope.period_start),
    )


def qg3_referral_sql(scope: Scope) -> Sql:
    """QG-3: each person registered at ``on`` and in the labor force (working age, able,
    willing: registered means unemployed), due two months after the registration or the
    period's start (``dates.referral_due``), done on the 2nd referral in the period."""
    referrals = (
        f"FROM {_services([ServiceKind.REFERRAL])} AND s.person_id = sp.person_id"
        f"{same_district('s', 'sp')} AND s.{ON} >= %s AND s.{ON} <= %s"
    )
    candidates = definitions.labor_force_candidates_sql("sp", scope.on)
    return Sql(
        _head("QG-3", "sp.person_id") + f"{add_months_sql('sp.base', REFERRAL_MONTHS)} AS due, "
        f"(SELECT s.{ON} {referrals} ORDER BY s.{ON} LIMIT 1 OFFSET {REFERRALS_NEEDED - 1}) "
        "AS done_on, 1 AS actionable, sp.start AS day, "
        f"(SELECT COUNT(*) {referrals}) AS n, {SPELL_PLACE} "
        f"FROM {OPEN_SPELLS} WHERE {candidates.text}",
        (
            scope.period_start,
            scope.on,
            scope.period_start,
            scope.on,
            scope.period_start,
            scope.period_start,
            *candidates.params,
        ),
    )


def cq5_sql(scope: Scope) -> Sql:
    """CQ-5: registrations in force at ``on`` or ended in the period, due the day they turn a
    year old (``definitions.long_term_from``), done when they ended."""
    due = add_months_sql("sp.start", definitions.LONG_TERM_MONTHS)
    return Sql(
        _head("CQ-5", "sp.person_id") + f'{due} AS due, sp."end" AS done_on, '
        'CASE WHEN sp."end" IS NULL THEN 1 ELSE 0 END AS actionable, sp.start AS day, '
        f"{NULL_INT} AS n, {SPELL_PLACE} "
        'FROM spells sp WHERE sp."end" IS NULL'
        + ("" if scope.actionable_only else ' OR sp."end" >= %s'),
        () if scope.actionable_only else (scope.period_start,),
    )


def qg6_contact_sql(scope: Scope) -> Sql:
    """QG-6 (contact): each person recognised difficult on some day of a quarter of the period
    up to ``on`` (a recognition in force on the later of its first day and the quarter's),
    due the quarter's last day, done on the first contact or visit in it."""
    quarters = []
    for year, q in quarters_between(scope.period_start, scope.on):
        first, last = workdays.quarter_bounds(year, q)
        if last >= scope.on or not scope.actionable_only:
            quarters.append((max(first, scope.period_start), min(last, scope.on), last))
    table = _values(quarters, "first, upto, last")
    day = "(CASE WHEN r.recognized_on > qt.first THEN r.recognized_on ELSE qt.first END)"
    in_force = definitions.recognition_in_force_sql("r", day)
    done = (
        f"(SELECT MIN(s.{ON}) FROM {_services([ServiceKind.CONTACT, ServiceKind.VISIT])} "
        f"AND s.person_id = d.person_id{same_district('s', 'd')} AND s.{ON} >= d.first "
        f"AND s.{ON} <= d.last AND s.{ON} <= %s)"
    )
    where = scope.person_where()
    return Sql(
        _head("QG-6-contact", "d.person_id") + f"d.last AS due, {done} AS done_on, "
        "CASE WHEN d.last >= %s THEN 1 ELSE 0 END AS actionable, d.last AS day, "
        f"{NULL_INT} AS n, {PLACE} "
        f"FROM (SELECT DISTINCT r.person_id{carried('r')}, qt.first, qt.last, {PERSON_PLACE} "
        f"FROM {_t(DifficultyRecognition)} r JOIN ({table.text}) qt ON {day} <= qt.upto "
        f"AND {in_force.text} JOIN {P} ON {P}.id = r.person_id{same_district('r', P)} "
        "WHERE r.recognized_on <= %s AND (r.ended_on IS NULL OR r.ended_on > %s) "
        f"AND {where.text}) d",
        (
            scope.on,
            scope.on,
            *table.params,
            *in_force.params,
            scope.on,
            scope.period_start,
            *where.params,
        ),
    )


def cq2_sql(scope: Scope) -> Sql:
    """CQ-2: the urban zero-family cases open on ``on`` or in the period up to it, due a month
    after emerging (``definitions.zero_family_due``), done when eliminated by ``on``."""
    cases = ZeroFamilyCase.objects.of_period(scope.period_start, scope.on).urban()
    inner = table_where(cases)
    where = scope.household_where()
    due = add_months_sql(f"{_t(ZeroFamilyCase)}.emerged_on", 1)
    z = _t(ZeroFamilyCase)
    return Sql(
        _head("CQ-2", household=f"{z}.household_id", case=f"{z}.id")
        + f"{due} AS due, CASE WHEN {z}.eliminated_on <= %s THEN {z}.eliminated_on END "
        f"AS done_on, 1 AS actionable, {z}.emerged_on AS day, {NULL_INT} AS n, "
        f"{H}.community_id, {H}.grid_id, {H}.number AS name "
        f"FROM {z} JOIN {H} ON {H}.id = {z}.household_id{same_district(z, H)} "
        f"WHERE {inner.text} AND {where.text}",
        (scope.on, *inner.params, *where.params),
    )


def as1_sql(scope: Scope) -> Sql:
    """AS-1: assistance cases with a placement deadline, not yet placed at ``on`` or placed in
    the period; done on the placement."""
    placed, last_placed, joined = _placements(scope.on)
    where = scope.person_where()
    return Sql(
        _head("AS-1", "c.person_id", case="c.id")
        + f"c.placement_due AS due, {placed.text} AS done_on, 1 AS actionable, "
        f"c.opened_on AS day, {NULL_INT} AS n, {PERSON_PLACE} FROM {_t(AssistanceCase)} c"
        f"{joined.text} JOIN {P} ON {P}.id = c.person_id "
        "WHERE c.placement_due IS NOT NULL AND c.opened_on <= %s "
        f"AND {where.text} AND ({placed.text} IS NULL OR {last_placed.text} >= %s)",
        (
            *placed.params,
            *joined.params,
            scope.on,
            *where.params,
            *placed.params,
            *last_placed.params,
            scope.period_start,
        ),
    )


def _placements(on: date) -> tuple[Sql, Sql, Sql]:
    """The first and the last placement step of the case ``c`` by ``on``, and what AS-1 joins
    for them. On one server two sub-queries correlated with the case. On Citus the cases and
    their steps are reference tables, which Citus does not correlate in a sub-query nested
    under the persons' shards: it reads the steps grouped by case (``pl``, joined to the
    cases) first."""
    steps = (
        f"FROM {_t(AssistanceStep)} st WHERE st.case_id = c.id "
        f"AND st.kind = '{AssistanceStepKind.PLACEMENT}' AND st.{ON} <= %s)"
    )
    if not citus():
        first, last = f"(SELECT MIN(st.{ON}) {steps}", f"(SELECT MAX(st.{ON}) {steps}"
        return Sql(first, (on,)), Sql(last, (on,)), Sql("")
    grouped = Sql(
        f" LEFT JOIN (SELECT st.case_id, MIN(st.{ON}) AS first, MAX(st.{ON}) AS last "
        f"FROM {_t(AssistanceStep)} st WHERE st.kind = '{AssistanceStepKind.PLACEMENT}' "
        f"AND st.{ON} <= %s GROUP BY st.case_id) pl ON pl.case_id = c.id",
        (on,),
    )
    return Sql("pl.first"), Sql("pl.last"), grouped


RULE_SQL = {
    "CQ-4": cq4_sql,
    "CQ-2": cq2_sql,
    "QG-6-visit": qg6_visit_sql,
    "QG-6-contact": qg6_contact_sql,
    "QG-3": qg3_referral_sql,
    "CQ-5": cq5_sql,
    "AS-1": as1_sql,
}


SPELL_RULES = frozenset({"CQ-4", "QG-6-visit", "QG-3", "CQ-5"})


def _state_of(scope: Scope, table: str) -> Sql:
    return classify_sql(
        due=f"{table}.due",
        done_on=f"{table}.done_on",
        on=scope.on,
        soon_until=scope.soon_until,
        due_day_overdue=f"(CASE WHEN {table}.rule_id = 'CQ-5' THEN 1 ELSE 0 END)",
    )


D = _t(DeadlineItem)


def stored_sql(scope: Scope, rules: Sequence[str]) -> Sql:
    """:func:`items_sql` read from the stored items of the scope (``Scope.stored``): the same
    columns, the name joined on, the state classified at ``on``."""
    assert scope.stored is not None
    where, state = table_where(scope.stored), _state_of(scope, D)
    chosen = ", ".join(f"'{rule}'" for rule in rules if rule in RULE_SQL)
    items = f"{D}.rule_id IN ({chosen or 'NULL'}) AND {where.text}"
    persons = rows_for_coordinator(
        P,
        "sp",
        "id, name",
        Sql(f"id IN (SELECT {D}.person_id FROM {D} WHERE {items})", where.params),
    )
    households = rows_for_coordinator(
        H,
        "sh",
        "id, number",
        Sql(
            f"id IN (SELECT {D}.household_id FROM {D} WHERE {D}.person_id IS NULL AND {items})",
            where.params,
        ),
    )
    return Sql(
        f"SELECT {D}.rule_id, {D}.person_id, {D}.household_id, {D}.case_id, {D}.due, "
        f"{D}.done_on, {D}.actionable, {D}.day, {D}.n, {D}.community_id, {D}.grid_id, "
        f"COALESCE(sp.name, sh.number) AS name, {state.text} AS state "
        f"FROM {D} LEFT JOIN {persons.text} ON sp.id = {D}.person_id "
        f"LEFT JOIN {households.text} ON sh.id = {D}.household_id AND {D}.person_id IS NULL "
        f"WHERE {items}",
        state.params + persons.params + households.params + where.params,
    )


def rows_for_coordinator(table: str, alias: str, columns: str, where: Sql) -> Sql:
    """``table alias``, to join with rows held on the coordinator (the stored items, or items
    worked out there): on Citus only the ``columns`` of the rows ``where`` selects (over the
    table by its name), which the shards send first; Citus would otherwise send every row of
    the table to join it there. On one server the table itself."""
    if not citus():
        return Sql(f"{table} {alias}")
    return Sql(f"(SELECT {columns} FROM {table} WHERE {where.text}) {alias}", where.params)


def items_sql(scope: Scope, rules: Iterable[str] | None = None) -> Sql:
    """Every item of ``rules`` (default: all) for the scope, with its community, grid, name
    and state at ``on`` (:data:`COLUMNS`): read from the store when the scope's day is stored
    (:func:`stored_sql`), else worked out here. The registrations are worked out once for the
    rules that read them, and each item once (its state reads its dates several times)."""
    chosen = list(rules or RULE_SQL)
    if scope.stored is not None:
        return stored_sql(scope, chosen)
    return rules_sql(scope, chosen)


def rules_sql(scope: Scope, chosen: Sequence[str]) -> Sql:
    """:func:`items_sql` worked out from the registry, the casework and the holiday calendar."""
    parts = [RULE_SQL[rule](scope) for rule in chosen]
    union = " UNION ALL ".join(f"SELECT * FROM ({p.text}) r{i}" for i, p in enumerate(parts))
    state = _state_of(scope, "items")
    spells = scope.spells() if SPELL_RULES & set(chosen) else Sql("SELECT 1")
    # On Citus the spells are inlined into each rule that reads them: a CTE is materialized on
    # the coordinator, whose rows could not be joined on the shards with each person's
    # services (Citus inlines a CTE read more than once only when told NOT MATERIALIZED).
    materialized = " NOT MATERIALIZED" if citus() else " MATERIALIZED"
    return Sql(
        f"WITH spells AS{materialized} ({spells.text}), items AS MATERIALIZED ({union}) "
        f"SELECT items.*, {state.text} AS state FROM items",
        spells.params + tuple(v for p in parts for v in p.params) + state.params,
    )


def note_gaps(scope: Scope, rules: Iterable[str] | None = None) -> None:
    """Record in ``scope.gaps`` what ``rules`` left out for want of a holiday calendar."""
    if "CQ-4" in list(rules or RULE_SQL):
        query = cq4_undated_sql(scope)
        if scope._undated:
            with connection.cursor() as cursor:
                cursor.execute(query.text, query.params)
                scope.note_undated(cursor.fetchall(), "CQ-4")


URGENT_ORDER = (
    f"CASE WHEN state = '{State.OVERDUE}' THEN 0 ELSE 1 END, due, "
    + "CASE rule_id "
    + " ".join(f"WHEN '{rule}' THEN {index}" for rule, index in RULE_ORDER.items())
    + " ELSE 99 END, name, person_id, household_id"
)
URGENT_STATES = (State.OVERDUE, State.DUE_SOON)


def fetch(query: Sql) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(query.text, query.params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def select_items(
    scope: Scope,
    *,
    rules: Iterable[str] | None = None,
    urgent: bool = False,
    states: Iterable[str] | None = None,
    order: str = URGENT_ORDER,
    limit: int | None = None,
    offset: int = 0,
    where: Sql | None = None,
) -> Sql:
    """The items, filtered in the database (``urgent``: what the worklist shows, actionable and
    overdue or due soon) and ordered (most urgent first), a page of them with ``limit``."""
    if urgent:
        scope = replace(scope, actionable_only=True)
    inner = items_sql(scope, rules)
    conditions: list[Sql] = []
    if urgent:
        conditions.append(Sql("actionable = 1"))
        states = URGENT_STATES
    if states is not None:
        chosen = tuple(str(s) for s in states)
        conditions.append(Sql("state IN (" + ", ".join(["%s"] * len(chosen)) + ")", chosen))
    if where is not None:
        conditions.append(where)
    text = f"SELECT * FROM ({inner.text}) items"
    if conditions:
        text += " WHERE " + " AND ".join(f"({c.text})" for c in conditions)
    text += f" ORDER BY {order}"
    if limit is not None:
        text += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return Sql(text, inner.params + tuple(v for c in conditions for v in c.params))


def counts_sql(scope: Scope, rules: Iterable[str] | None = None, *, urgent: bool = False) -> Sql:
    """How many items per community, rule and state (``urgent``: actionable ones only)."""
    if urgent:
        scope = replace(scope, actionable_only=True)
    inner = items_sql(scope, rules)
    where = " WHERE actionable = 1" if urgent else ""
    return Sql(
        "SELECT community_id, rule_id, state, COUNT(*) AS n "
        f"FROM ({inner.text}) items{where} GROUP BY community_id, rule_id, state",
        inner.params,
    )
