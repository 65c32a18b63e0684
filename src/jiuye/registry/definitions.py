"""Each rule of DOMAIN §3 stated once, in the forms its consumers need, side by side.

A rule here has a Python form (for one person, one household, one sweep) and, where a set-based
query needs it, an SQL form (:class:`Sql`, a fragment with its parameters) or an ORM filter
(``Q``) right beside it. ``tests/registry/test_definitions.py`` generates random histories and
checks that the forms agree. Indicators, aggregates, worklists, zero-family cases, the importer,
the forms, the exports and the persons-behind lists call these; none restates them.

The readings (DOMAIN §3, "Readings fixed in 2026-12"):

- **status on a date** (the event in force): ``since <= D`` and (``until`` NULL or
  ``until > D``); ``until`` is the next event's ``since``. Before a person's first event the
  status is **unknown** (None): such a person is counted in no indicator on that date, not in
  the labor force, not employed, not unemployed; of working age, they are on their
  community's "status not recorded" list (:func:`status_not_recorded`).
- **working age**: from the 16th birthday (``work_from``) up to the day before the retirement
  day (``retire_on``); both columns are derived from the ID number (``registry.derive``).
- **labor force**: working age, able, willing, status known and not student/retired/out.
- **employed** (实现就业): one of :data:`EMPLOYED`.
- **urban hukou** (城镇户籍): 城镇 or 农转非 (:data:`URBAN_HUKOU`).
- **recognised difficult on a date**: ``recognized_on <= D`` and (``ended_on`` NULL or
  ``ended_on > D``).
- **4050**: a woman of 40 or more or a man of 50 or more, unemployed that day.
- **registration** (登记失业): consecutive registered-unemployed events; **long-term** from the
  same month and day a year after it began, while still registered (:func:`is_long_term`).
- **zero-employment family**: at least one labor-force member and none employed; its
  **episodes** (emerged, ended) come from one sweep (:func:`zero_family_episodes`).
- **pure-farming family** (HD): at least one employed labor-force member, all ``farming``.
- **CQ-3 base** (低保有劳动能力人员): members of urban-hukou dibao households of working age,
  able, with a known status other than student/retired; **not employed** among them:
  ``unemployed`` or ``out``, willing or not.

Ability, desire, hukou and the household's dibao standing have no history: their current values
hold for every date (docs/decisions.md).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeVar

from django.db.models import OuterRef, Q

from jiuye.lib.retirement import add_months
from jiuye.lib.sql import Sql, sql_list
from jiuye.lib.workdays import month_deadline
from jiuye.registry.models import HukouType, Sex, Status
from jiuye.units.sharding import by_district, carried, same_district

# ---------------------------------------------------------------------------------------------
# SQL fragments
# ---------------------------------------------------------------------------------------------

T = TypeVar("T")

# A date in an SQL form: a Python date (bound as a parameter) or an SQL expression ("pt.day").
On = date | str


def _on(on: On) -> tuple[str, tuple[Any, ...]]:
    if isinstance(on, date):
        return "%s", (on,)
    return on, ()


# ---------------------------------------------------------------------------------------------
# Statuses and hukou
# ---------------------------------------------------------------------------------------------

EMPLOYED: frozenset[str] = frozenset(
    str(s)
    for s in (
        Status.UNIT,
        Status.FLEXIBLE,
        Status.SELF,
        Status.TRANSFER,
        Status.PUBLIC_POST,
        Status.FARMING,
    )
)
"""实现就业 (DOMAIN §3)."""

OUTSIDE_LABOR_FORCE: frozenset[str] = frozenset(
    str(s) for s in (Status.STUDENT, Status.RETIRED, Status.OUT)
)
"""Not in the labor force whatever their age, ability and desire."""

URBAN_HUKOU: frozenset[str] = frozenset(str(h) for h in (HukouType.URBAN, HukouType.CONVERTED))
"""城镇户籍: 城镇 and 农转非 (DOMAIN §3, 2026-12)."""

UNEMPLOYED = str(Status.UNEMPLOYED)
FARMING = str(Status.FARMING)

# CQ-3: a dibao member with one of these statuses is outside its base (in school or retired).
DIBAO_BASE_EXCLUDED: frozenset[str] = frozenset(str(s) for s in (Status.STUDENT, Status.RETIRED))
# CQ-3's numerator: 有劳动能力的未就业人员, unemployed or out of the labor force by choice.
DIBAO_NOT_EMPLOYED: frozenset[str] = frozenset(str(s) for s in (Status.UNEMPLOYED, Status.OUT))


def is_employed(status: str | None) -> bool:
    return status in EMPLOYED


def employed_sql(status: str) -> Sql:
    """``status`` (an SQL column) is an employed status (NULL, unknown, is not)."""
    return Sql(f"{status} IN ({sql_list(EMPLOYED)})")


def is_urban(hukou: str) -> bool:
    return hukou in URBAN_HUKOU


def urban_sql(hukou: str) -> Sql:
    return Sql(f"{hukou} IN ({sql_list(URBAN_HUKOU)})")


def urban_q(field: str = "hukou_type") -> Q:
    return Q(**{f"{field}__in": sorted(URBAN_HUKOU)})


# ---------------------------------------------------------------------------------------------
# Status on a date
# ---------------------------------------------------------------------------------------------


def event_on(events: Sequence[tuple[date, T]], on: date) -> T | None:
    """What is in force on ``on`` among (since, what) pairs sorted by ``since``: the second
    element of the latest pair that began by then (None before the first)."""
    index = bisect.bisect_right(events, on, key=lambda e: e[0])
    return events[index - 1][1] if index else None


def status_on(events: Sequence[tuple[date, str]], on: date) -> str | None:
    """The status in force on ``on`` among a person's (since, status) events sorted by
    ``since`` (None: unknown, before the first event)."""
    return event_on(events, on)


def in_force(*, since: date, until: date | None, on: date) -> bool:
    """One event is the one in force on ``on`` (the Python form of :func:`in_force_sql`). In a
    chained history (each ``until`` the next ``since``, as the services keep it) the latest
    event begun by ``on`` is in force (:func:`status_on`); an event closed with nothing after
    it (as only a loader writing ``until`` itself could leave) leaves the status unknown from
    its ``until`` on."""
    return since <= on and (until is None or until > on)


def in_force_sql(event: str, on: On) -> Sql:
    """The event ``event`` (an alias) is the one in force on ``on``."""
    day, params = _on(on)
    return Sql(
        f"{event}.since <= {day} AND ({event}.until IS NULL OR {event}.until > {day})",
        params + params,
    )


def status_on_sql(person: str, on: On) -> Sql:
    """The status in force on ``on`` of ``person`` (an alias of the person table; NULL when
    unknown, as :func:`status_on` gives None), read from the person's current-status cache
    when their latest event began by then: a chained history (each ``until`` the next
    ``since``, as the services and both loaders keep it) leaves the latest event open, so it is
    the one in force. Only for an earlier date is the event in force looked up. At today's
    date that spares one index probe per person (the 10M city's registrations: 160,000)."""
    day, params = _on(on)
    in_force = in_force_sql("e", on)
    return Sql(
        f"CASE WHEN {person}.current_since <= {day} THEN {person}.current_status "
        f"ELSE (SELECT e.status FROM registry_statusevent e WHERE e.person_id = {person}.id"
        f"{same_district('e', person)} AND {in_force.text} LIMIT 1) END",
        params + in_force.params,
    )


def in_force_during_q(start: date, end: date | OuterRef, prefix: str = "") -> Q:
    """An event in force on some day of [start, end]: begun by ``end``, not ended by
    ``start`` (``end`` may be an outer query's date column)."""
    return Q(**{f"{prefix}since__lte": end}) & (
        Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gt": start})
    )


def in_force_q(on: date, prefix: str = "") -> Q:
    """ORM form of :func:`in_force_sql` (``prefix`` reaches the event, e.g. ``status_events__``)."""
    return Q(**{f"{prefix}since__lte": on}) & (
        Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gt": on})
    )


# ---------------------------------------------------------------------------------------------
# Working age, labor force, status not recorded
# ---------------------------------------------------------------------------------------------


def is_working_age(*, work_from: date, retire_on: date, on: date) -> bool:
    """From the 16th birthday up to the day before the retirement day (DOMAIN §3)."""
    return work_from <= on < retire_on


def working_age_sql(person: str, on: On) -> Sql:
    day, params = _on(on)
    return Sql(f"{person}.work_from <= {day} AND {person}.retire_on > {day}", params + params)


def working_age_q(on: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}work_from__lte": on, f"{prefix}retire_on__gt": on})


def in_labor_force(
    *, work_from: date, retire_on: date, able: bool, willing: bool, status: str | None, on: date
) -> bool:
    """DOMAIN §3: working age, able, willing, status known and not student/retired/out."""
    return (
        is_working_age(work_from=work_from, retire_on=retire_on, on=on)
        and able
        and willing
        and status is not None
        and status not in OUTSIDE_LABOR_FORCE
    )


def labor_force_candidates_sql(person: str, on: On) -> Sql:
    """The part of the labor-force rule that needs no status: working age, able, willing."""
    return working_age_sql(person, on) & Sql(f"{person}.able AND {person}.willing")


def labor_force_status_sql(status: str) -> Sql:
    """The part that reads the status: known, and not student/retired/out."""
    return Sql(f"{status} IS NOT NULL AND {status} NOT IN ({sql_list(OUTSIDE_LABOR_FORCE)})")


def labor_force_sql(person: str, status: str, on: On) -> Sql:
    """:func:`in_labor_force` for ``person`` (an alias) whose status on ``on`` is the SQL
    expression ``status`` (NULL when unknown): the candidates' part and the status part."""
    return labor_force_candidates_sql(person, on) & labor_force_status_sql(status)


def labor_force_candidates_q(on: date, prefix: str = "") -> Q:
    """The part of the labor-force rule that needs no status (working age, able, willing):
    the persons whose status is worth fetching."""
    return working_age_q(on, prefix) & Q(**{f"{prefix}able": True, f"{prefix}willing": True})


def labor_force_now_q(on: date, prefix: str = "") -> Q:
    """:func:`in_labor_force` from the person's current-status cache (``current_status``, ""
    while unknown): the labor force on ``on`` for any ``on`` on or after the latest event, as
    the registry's list pages ask it (today)."""
    return (
        labor_force_candidates_q(on, prefix)
        & ~Q(**{f"{prefix}current_status": ""})
        & ~Q(**{f"{prefix}current_status__in": sorted(OUTSIDE_LABOR_FORCE)})
    )


def employed_now_q(prefix: str = "") -> Q:
    """An employed current status (the cache of the latest event)."""
    return Q(**{f"{prefix}current_status__in": sorted(EMPLOYED)})


def status_not_recorded(*, work_from: date, retire_on: date, status: str | None, on: date) -> bool:
    """Data quality (DOMAIN §3): of working age on ``on`` with no status recorded by then."""
    return status is None and is_working_age(work_from=work_from, retire_on=retire_on, on=on)


def status_not_recorded_sql(person: str, status: str, on: On) -> Sql:
    return working_age_sql(person, on) & Sql(f"{status} IS NULL")


# ---------------------------------------------------------------------------------------------
# Difficulty recognitions, 4050
# ---------------------------------------------------------------------------------------------


def recognition_in_force(*, recognized_on: date, ended_on: date | None, on: date) -> bool:
    """Recognised difficult on ``on``: from ``recognized_on`` to the day before ``ended_on``."""
    return recognized_on <= on and (ended_on is None or ended_on > on)


def recognition_in_force_sql(recognition: str, on: On) -> Sql:
    day, params = _on(on)
    return Sql(
        f"{recognition}.recognized_on <= {day} "
        f"AND ({recognition}.ended_on IS NULL OR {recognition}.ended_on > {day})",
        params + params,
    )


def recognition_in_force_q(on: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}recognized_on__lte": on}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": on})
    )


def recognition_overlaps_q(start: date, end: date, prefix: str = "") -> Q:
    """Recognised on some day of [start, end]."""
    return Q(**{f"{prefix}recognized_on__lte": end}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": start})
    )


AGE_4050 = {str(Sex.FEMALE): 40, str(Sex.MALE): 50}


def is_4050(*, sex: str, birth_date: date, status: str | None, on: date) -> bool:
    """4050 (DOMAIN §3): women aged 40 or more and men aged 50 or more, unemployed on ``on``."""
    return status == UNEMPLOYED and add_months(birth_date, AGE_4050[str(sex)] * 12) <= on


# ---------------------------------------------------------------------------------------------
# Registrations (登记失业) and long-term unemployment
# ---------------------------------------------------------------------------------------------

LONG_TERM_MONTHS = 12  # CQ-5 / QG-3


@dataclass(frozen=True, slots=True)
class Spell:
    """A registration: consecutive registered-unemployed events of one person."""

    person_id: int
    start: date
    end: date | None  # first day no longer registered (None: still registered at the date)


def spells(events: Iterable[tuple[int, date, date | None]], on: date) -> list[Spell]:
    """Chain (person, since, until) registered-unemployed events into spells as of ``on``:
    events with ``since`` after ``on`` are ignored, an end after ``on`` is not yet known."""
    by_person: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for person_id, since, until in events:
        if since <= on:
            by_person[person_id].append((since, until))
    found = []
    for person_id, rows in by_person.items():
        rows.sort()
        start, end = rows[0]
        for since, until in rows[1:]:
            if end is not None and since == end:
                end = until
            else:
                found.append(Spell(person_id, start, end))
                start, end = since, until
        found.append(Spell(person_id, start, end))
    return [
        Spell(s.person_id, s.start, s.end if s.end is not None and s.end <= on else None)
        for s in found
    ]


def spells_sql(events: Sql, on: On) -> Sql:
    """:func:`spells` in SQL: ``events`` selects the (person_id, since, until) of
    registered-unemployed events; the result selects each spell's (person_id, start, "end")
    as of ``on``. An event starts a new spell unless the person's previous one ends the day it
    begins; a spell's end is its last event's ``until``, unknown (NULL) while any event is open
    or when it falls after ``on``. On Citus ``events`` and the spells also carry the person's
    ``district_id`` (:func:`~jiuye.units.sharding.carried`): the windows and the grouping run
    on the shards only when they name it."""
    day, params = _on(on)
    order = f"PARTITION BY {by_district('ev.person_id', 'ev')} ORDER BY ev.since, ev.until"
    return Sql(
        f"SELECT person_id{carried()}, MIN(since) AS start, "
        f"CASE WHEN COUNT(until) < COUNT(*) OR MAX(until) > {day} THEN NULL "
        'ELSE MAX(until) END AS "end" '
        f"FROM (SELECT ev.person_id{carried('ev')}, ev.since, ev.until, SUM(ev.fresh) OVER ("
        f"{order} ROWS UNBOUNDED PRECEDING) AS spell "
        f"FROM (SELECT e.person_id{carried('e')}, e.since, e.until, "
        f"CASE WHEN LAG(e.until) OVER (PARTITION BY {by_district('e.person_id', 'e')} "
        "ORDER BY e.since, e.until) = e.since THEN 0 ELSE 1 END AS fresh "
        f"FROM ({events.text}) e WHERE e.since <= {day}) ev) chained "
        f"GROUP BY {by_district('person_id, spell')}",
        params + events.params + params,
    )


def is_registered(*, status: str | None, registered: bool) -> bool:
    """A registered-unemployed status event (登记失业): the rows :func:`spells` chains."""
    return status == UNEMPLOYED and registered


def registered_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": UNEMPLOYED, f"{prefix}registered": True})


def registered_sql(event: str) -> Sql:
    return Sql(f"{event}.status = '{UNEMPLOYED}' AND {event}.registered")


def registration_start(events: Sequence[tuple[date, str, bool]], on: date) -> date | None:
    """The first day of the registration in force on ``on`` among a person's (since, status,
    registered) events sorted by ``since``: the start of the run of consecutive registered
    events that holds that day (None: not registered on ``on``). :func:`spells`, for one
    person's history."""
    start: date | None = None
    for since, status, registered in events:
        if since > on:
            break
        registered_then = is_registered(status=status, registered=registered)
        start = (start or since) if registered_then else None
    return start


def long_term_from(spell_start: date) -> date:
    """The first day a registration that began on ``spell_start`` is a continuous year old: the
    same month and day a year later (registered 2025-03-01 → long-term on 2026-03-01). A
    registration of 29 February turns a year old on 28 February of a common year (the month's
    last day, as every month-based rule here). docs/decisions.md, "Long-term unemployed"."""
    return add_months(spell_start, LONG_TERM_MONTHS)


def is_long_term(spell_start: date, on: date, spell_end: date | None = None) -> bool:
    """Long-term unemployment at ``on`` (DOMAIN §5 ``long_term_unemployed``, CQ-5, QG-3): still
    registered that day (``spell_end``, the first day no longer registered, None or later) and
    a continuous year old by then."""
    registered = spell_end is None or spell_end > on
    return registered and on >= long_term_from(spell_start)


# ---------------------------------------------------------------------------------------------
# Households: zero-employment and pure-farming families
# ---------------------------------------------------------------------------------------------


def is_zero_family(*, labor_force: int, employed: int) -> bool:
    """零就业家庭: at least one labor-force member and none of them employed."""
    return labor_force > 0 and employed == 0


def zero_family_sql(labor_force: str, employed: str) -> Sql:
    return Sql(f"{labor_force} > 0 AND {employed} = 0")


def is_pure_farming(*, employed: int, farming: int) -> bool:
    """纯农就业家庭 (HD): someone employed, and every employed member farming."""
    return employed > 0 and employed == farming


def pure_farming_sql(employed: str, farming: str) -> Sql:
    return Sql(f"{employed} > 0 AND {employed} = {farming}")


def in_dibao_base(
    *, work_from: date, retire_on: date, able: bool, status: str | None, on: date
) -> bool:
    """CQ-3's base for a member of an urban dibao household: of working age, able, with a known
    status other than student/retired (willing or not)."""
    return (
        is_working_age(work_from=work_from, retire_on=retire_on, on=on)
        and able
        and status is not None
        and status not in DIBAO_BASE_EXCLUDED
    )


def dibao_base_sql(person: str, status: str, on: On) -> Sql:
    return working_age_sql(person, on) & Sql(
        f"{person}.able AND {status} IS NOT NULL "
        f"AND {status} NOT IN ({sql_list(DIBAO_BASE_EXCLUDED)})"
    )


def dibao_not_employed(status: str | None) -> bool:
    """CQ-3's numerator among its base: unemployed or out (未就业)."""
    return status in DIBAO_NOT_EMPLOYED


def dibao_not_employed_sql(status: str) -> Sql:
    return Sql(f"{status} IN ({sql_list(DIBAO_NOT_EMPLOYED)})")


EndReason = Literal["employed", "no_labor_force"]


@dataclass(frozen=True, slots=True)
class MemberTimeline:
    """What decides one member's part in the household predicate over time."""

    work_from: date
    retire_on: date
    able: bool
    willing: bool
    events: Sequence[tuple[date, str]]  # (since, status), any order, one per day


@dataclass(frozen=True, slots=True)
class Episode:
    """A maximal interval during which a household was a zero-employment family.

    ``ended_on`` is the first day it no longer was (None: still one).
    """

    emerged_on: date
    ended_on: date | None = None
    end_reason: EndReason | None = None

    def days(self, on: date) -> int:
        """Days from emergence to the end, or to ``on`` while still open then."""
        end = self.ended_on if self.ended_on is not None and self.ended_on <= on else on
        return (end - self.emerged_on).days

    def open_on(self, on: date) -> bool:
        return self.emerged_on <= on and (self.ended_on is None or self.ended_on > on)


def episode_open_q(on: date, prefix: str = "") -> Q:
    """ORM form of :meth:`Episode.open_on` over stored episodes (``emerged_on``,
    ``eliminated_on``: the zero-family cases)."""
    return Q(**{f"{prefix}emerged_on__lte": on}) & (
        Q(**{f"{prefix}eliminated_on__isnull": True}) | Q(**{f"{prefix}eliminated_on__gt": on})
    )


def episode_open_sql(alias: str, on: On) -> Sql:
    day, params = _on(on)
    return Sql(
        f"{alias}.emerged_on <= {day} "
        f"AND ({alias}.eliminated_on IS NULL OR {alias}.eliminated_on > {day})",
        params + params,
    )


def episode_overlaps_q(start: date, on: date, prefix: str = "") -> Q:
    """Stored episodes open on some day of [start, on] or ended in it (a CQ-2 period's)."""
    return Q(**{f"{prefix}emerged_on__lte": on}) & (
        Q(**{f"{prefix}eliminated_on__isnull": True}) | Q(**{f"{prefix}eliminated_on__gte": start})
    )


def member_state(
    member: MemberTimeline, events: Sequence[tuple[date, str]], on: date
) -> tuple[bool, bool]:
    """(in the labor force, employed) on ``on``; ``events`` sorted by ``since``."""
    status = status_on(events, on)
    lf = in_labor_force(
        work_from=member.work_from,
        retire_on=member.retire_on,
        able=member.able,
        willing=member.willing,
        status=status,
        on=on,
    )
    return lf, lf and is_employed(status)


def zero_family_episodes(
    members: Sequence[MemberTimeline], *, until: date | None = None
) -> list[Episode]:
    """The household's zero-employment episodes: the one sweep behind the zero-family cases,
    the CQ-2 worklist and every zero-family figure.

    The predicate can only flip on a member's change point (a status event, a 16th birthday, a
    retirement day); it is evaluated afresh at each. Before the first, nobody has a known status,
    so the household starts non-zero. An episode ends on the day a labor-force member is employed
    (``employed``) or nobody is left in the labor force (``no_labor_force``). ``until`` ignores
    change points after it (what was known then); None takes them all, so an end that the
    calendar alone decides (the last labor-force member's retirement day) is already dated.
    """
    ordered = [sorted(m.events) for m in members]
    points: set[date] = set()
    for member, events in zip(members, ordered, strict=True):
        points.update((member.work_from, member.retire_on))
        points.update(since for since, _status in events)
    episodes: list[Episode] = []
    open_since: date | None = None
    for day in sorted(points):
        if until is not None and day > until:
            break
        states = [member_state(m, ev, day) for m, ev in zip(members, ordered, strict=True)]
        labor_force = sum(lf for lf, _ in states)
        employed = sum(emp for _, emp in states)
        zero = is_zero_family(labor_force=labor_force, employed=employed)
        if zero and open_since is None:
            open_since = day
        elif not zero and open_since is not None:
            reason: EndReason = "employed" if employed else "no_labor_force"
            episodes.append(Episode(open_since, day, reason))
            open_since = None
    if open_since is not None:
        episodes.append(Episode(open_since))
    return episodes


def zero_family_due(emerged_on: date) -> date:
    """CQ-2: eliminated within one month of emerging, by the same day of the next month
    (01-31 → 02-28, or 02-29 in a leap year)."""
    return month_deadline(emerged_on)
