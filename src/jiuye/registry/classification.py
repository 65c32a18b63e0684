"""As-of-date classification of persons and households (DOMAIN §3, the facts behind §5).

Definitions, all taken *at a date* D:

- **status at D**: the status event with ``since <= D`` and (``until`` NULL or ``until > D``).
  ``until`` is the next event's ``since``, so this range filter picks the one event in force
  without a per-person "latest event" subquery, and PostgreSQL can hash-join it.
- **no status yet**: a person with no event in force at D (nothing recorded before D) is neither
  employed nor outside the labor force: if of working age, able and willing, they are in the
  labor force and count as *not employed* (so they can make a zero-employment family), but not
  as ``unemployed`` either, which counts only a recorded ``unemployed`` status. Hence
  ``labor_force - employed - unemployed`` is the labor force with no status on record.
- **working age**: ``work_from <= D < retire_on`` (16th birthday inclusive, retirement day
  exclusive; both columns are derived from the ID number by ``registry.derive``).
- **labor force**: working age, ``able``, ``willing``, and status not in
  :data:`OUTSIDE_LABOR_FORCE`. Ability and desire have no history: their current values are
  used for every date.
- **employed / unemployed / registered unemployed**: counted *within the labor force* only
  (DOMAIN §5 always takes rates over the labor force).
- **zero-employment family**: a household with at least one labor-force member and no
  labor-force member employed. **Pure-farming family**: at least one employed labor-force
  member and all of them ``farming``. Urban-only counting (CQ) filters on the *household's*
  hukou type.

Household counts and labor-force counts are grouped by the household's community; ``persons``
and ``working_age`` by the person's (``registry.services`` keeps the two equal). ``persons``
counts members born on or before D.

A consequence of the "no status yet" rule: a working-age member whose first recorded event is
later than their 16th birthday was, before it, in the labor force and not employed; so the
sweep may date a zero family's emergence back to that birthday. Loaders should record each
person's first status from the day it is known to hold.

Two forms of the same definitions live here, and a test keeps them equal: the aggregated SQL
(for every household or community at once, one query, on SQLite and PostgreSQL alike) and the
pure Python predicates (for one person, and for the change-point sweep that dates when a zero
family emerged and was eliminated).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet

from jiuye.registry.models import (
    EMPLOYED,
    OUTSIDE_LABOR_FORCE,
    Household,
    HukouType,
    Person,
    Status,
    StatusEvent,
)
from jiuye.units.models import Level, Unit

EndReason = Literal["employed", "no_labor_force"]

# ---------------------------------------------------------------------------------------------
# One person, in Python
# ---------------------------------------------------------------------------------------------


def is_working_age(*, work_from: date, retire_on: date, on: date) -> bool:
    """From the 16th birthday up to the day before the retirement day (DOMAIN §3)."""
    return work_from <= on < retire_on


def in_labor_force(
    *, work_from: date, retire_on: date, able: bool, willing: bool, status: str | None, on: date
) -> bool:
    """The labor-force predicate; ``status`` None means nothing recorded yet (counts as in)."""
    return (
        is_working_age(work_from=work_from, retire_on=retire_on, on=on)
        and able
        and willing
        and status not in OUTSIDE_LABOR_FORCE
    )


def status_at(person: Person, on: date) -> str | None:
    """The status in force on ``on`` (None before the first event), by the ``until`` range."""
    in_force = Q(until__isnull=True) | Q(until__gt=on)
    return (
        StatusEvent.objects.filter(in_force, person=person, since__lte=on)
        .values_list("status", flat=True)
        .first()
    )


def labor_force_on(person: Person, on: date) -> bool:
    """Is ``person`` in the labor force on ``on``? At most one query (their status then)."""
    if (
        not person.able
        or not person.willing
        or not is_working_age(work_from=person.work_from, retire_on=person.retire_on, on=on)
    ):
        return False
    return in_labor_force(
        work_from=person.work_from,
        retire_on=person.retire_on,
        able=person.able,
        willing=person.willing,
        status=status_at(person, on),
        on=on,
    )


def employed_on(person: Person, on: date) -> bool:
    """In the labor force on ``on`` with an employed status (实现就业)."""
    status = status_at(person, on)
    return status in EMPLOYED and in_labor_force(
        work_from=person.work_from,
        retire_on=person.retire_on,
        able=person.able,
        willing=person.willing,
        status=status,
        on=on,
    )


# ---------------------------------------------------------------------------------------------
# Every household or community at once, in SQL
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HouseholdRow:
    """One household's facts at a date. Status counts are over its labor-force members."""

    household_id: int
    community_id: int
    hukou_type: str
    persons: int
    working_age: int
    labor_force: int
    employed: int
    farming_employed: int
    unemployed: int
    registered_unemployed: int
    is_zero: bool
    is_pure_farming: bool


@dataclass(frozen=True, slots=True)
class CommunityCounts:
    """One community's facts at a date (status counts over its labor force)."""

    community_id: int
    persons: int = 0
    working_age: int = 0
    labor_force: int = 0
    employed: int = 0
    unemployed: int = 0
    registered_unemployed: int = 0
    households: int = 0
    labor_force_households: int = 0
    zero_families: int = 0
    zero_families_urban: int = 0
    pure_farming_families: int = 0


def _sql_list(values: Iterable[str]) -> str:
    """A literal SQL list of our own enum values (quote-safe by construction)."""
    items = sorted(str(v) for v in values)
    assert all(v.replace("_", "").isalnum() for v in items)
    return ", ".join(f"'{v}'" for v in items)


_EMPLOYED_SQL = _sql_list(EMPLOYED)
_OUTSIDE_SQL = _sql_list(OUTSIDE_LABOR_FORCE)
_COMMUNITY_LEVELS_SQL = _sql_list([Level.COMMUNITY, Level.VILLAGE])
_URBAN = str(HukouType.URBAN)
_FARMING = str(Status.FARMING)
_UNEMPLOYED = str(Status.UNEMPLOYED)
_PERSON = Person._meta.db_table
_EVENT = StatusEvent._meta.db_table
_HOUSEHOLD = Household._meta.db_table
_UNIT = Unit._meta.db_table

# The household predicates, written once over the per-household aggregate ``hh``.
_ZERO_SQL = "hh.labor_force > 0 AND hh.employed = 0"
_PURE_FARMING_SQL = "hh.employed > 0 AND hh.employed = hh.farming_employed"

# An SQL fragment and its parameters.
Fragment = tuple[str, tuple[Any, ...]]


def _subquery(queryset: QuerySet[Any]) -> Fragment:
    """The SQL of ``SELECT id`` over a queryset, to use as ``IN (...)``; ordering dropped.

    A queryset that cannot match (``.none()``, as the jurisdiction scope returns for a user who
    may see nothing) has no SQL; it becomes a subquery with no rows.
    """
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return "SELECT -1 WHERE 1 = 0", ()
    return sql, tuple(params)


def _labor_force_cte(on: date, candidate_filter: Fragment | None) -> tuple[str, list[Any]]:
    """``WITH candidate AS (...), hh AS (...)``: labor-force counts per household.

    Only *candidates* (of working age, able and willing) need their status, so only they are
    joined to the event in force, picked by its date range (a plain hash join, no per-person
    subquery); a candidate with no event in force is in the labor force and not employed. The
    household's community and hukou ride along in the same pipeline, so the per-household
    aggregate is never joined back to the household table: a join *after* the aggregate lets
    PostgreSQL's parallel plans rebuild that aggregate in every worker.
    """
    where, params = "", [on, on, on, on]
    if candidate_filter is not None:
        where = f"AND {candidate_filter[0]}"
        params.extend(candidate_filter[1])
    status = "e.status IS NOT NULL AND e.status"
    sql = f"""
    WITH candidate AS (
        SELECT p.household_id AS household_id,
               h.community_id AS community_id,
               h.hukou_type AS hukou_type,
               CASE WHEN {status} IN ({_OUTSIDE_SQL}) THEN 0 ELSE 1 END AS lf,
               CASE WHEN {status} IN ({_EMPLOYED_SQL}) THEN 1 ELSE 0 END AS employed,
               CASE WHEN {status} = '{_FARMING}' THEN 1 ELSE 0 END AS farming,
               CASE WHEN {status} = '{_UNEMPLOYED}' THEN 1 ELSE 0 END AS unemployed,
               CASE WHEN {status} = '{_UNEMPLOYED}' AND e.registered THEN 1 ELSE 0 END
                   AS registered
        FROM {_PERSON} p
        JOIN {_HOUSEHOLD} h ON h.id = p.household_id
        LEFT JOIN {_EVENT} e
               ON e.person_id = p.id AND e.since <= %s AND (e.until IS NULL OR e.until > %s)
        WHERE p.work_from <= %s AND p.retire_on > %s AND p.able AND p.willing {where}
    ),
    hh AS (
        SELECT household_id, community_id, hukou_type,
               SUM(lf) AS labor_force,
               SUM(employed) AS employed,
               SUM(farming) AS farming_employed,
               SUM(unemployed) AS unemployed,
               SUM(registered) AS registered_unemployed
        FROM candidate
        GROUP BY household_id, community_id, hukou_type
    )"""
    return sql, params


def _members_sql(
    on: date,
    group_by: str,
    person_filter: Fragment | None,
) -> tuple[str, list[Any]]:
    """Persons born by the date and persons of working age, grouped by ``p.<group_by>``."""
    where, params = "", [on, on, on]
    if person_filter is not None:
        where = f"WHERE {person_filter[0]}"
        params.extend(person_filter[1])
    sql = f"""
        SELECT p.{group_by} AS {group_by},
               SUM(CASE WHEN p.birth_date <= %s THEN 1 ELSE 0 END) AS persons,
               SUM(CASE WHEN p.work_from <= %s AND p.retire_on > %s THEN 1 ELSE 0 END)
                   AS working_age
        FROM {_PERSON} p
        {where}
        GROUP BY p.{group_by}"""
    return sql, params


def _in(column: str, fragment: Fragment) -> Fragment:
    return f"{column} IN ({fragment[0]})", fragment[1]


_HOUSEHOLD_COUNTS = (
    "labor_force",
    "employed",
    "farming_employed",
    "unemployed",
    "registered_unemployed",
)


def _household_rows_sql(
    on: date, households: QuerySet[Household] | None, *, zero_only: bool
) -> tuple[str, list[Any]]:
    household_ids = _subquery(households) if households is not None else None
    person_filter = _in("p.household_id", household_ids) if household_ids else None
    cte, params = _labor_force_cte(on, person_filter)
    members, member_params = _members_sql(on, "household_id", person_filter)
    params += member_params
    counts = ", ".join(f"COALESCE(hh.{c}, 0)" for c in _HOUSEHOLD_COUNTS)
    conditions = []
    if household_ids is not None:
        conditions.append(f"h.id IN ({household_ids[0]})")
        params.extend(household_ids[1])
    if zero_only:
        conditions.append(_ZERO_SQL)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    sql = f"""{cte},
    m AS ({members})
    SELECT h.id, h.community_id, h.hukou_type,
           COALESCE(m.persons, 0), COALESCE(m.working_age, 0), {counts},
           CASE WHEN {_ZERO_SQL} THEN 1 ELSE 0 END,
           CASE WHEN {_PURE_FARMING_SQL} THEN 1 ELSE 0 END
    FROM {_HOUSEHOLD} h
    LEFT JOIN m ON m.household_id = h.id
    {"JOIN" if zero_only else "LEFT JOIN"} hh ON hh.household_id = h.id
    {where}
    ORDER BY h.id"""
    return sql, params


_HOUSEHOLD_ROW_FIELDS = (
    "household_id",
    "community_id",
    "hukou_type",
    "persons",
    "working_age",
    *_HOUSEHOLD_COUNTS,
)


def _fetch_household_rows(sql: str, params: list[Any]) -> list[HouseholdRow]:
    """Rows in ``_HOUSEHOLD_ROW_FIELDS`` order, then the two flags (0/1 on both databases)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            HouseholdRow(
                **dict(zip(_HOUSEHOLD_ROW_FIELDS, row[:-2], strict=True)),
                is_zero=bool(row[-2]),
                is_pure_farming=bool(row[-1]),
            )
            for row in cursor.fetchall()
        ]


def household_classification(
    *, on: date, households: QuerySet[Household] | None = None
) -> list[HouseholdRow]:
    """Every household's (or those of ``households``) counts and zero / pure-farming flags at
    ``on``, ordered by id: one aggregated query. Households without members are included."""
    sql, params = _household_rows_sql(on, households, zero_only=False)
    return _fetch_household_rows(sql, params)


def zero_households(
    *, on: date, households: QuerySet[Household] | None = None
) -> list[HouseholdRow]:
    """Only the zero-employment families at ``on`` (the filter runs in the database)."""
    sql, params = _household_rows_sql(on, households, zero_only=True)
    return _fetch_household_rows(sql, params)


_COMMUNITY_COLUMNS = (
    "persons",
    "working_age",
    "labor_force",
    "employed",
    "unemployed",
    "registered_unemployed",
    "households",
    "labor_force_households",
    "zero_families",
    "zero_families_urban",
    "pure_farming_families",
)


def _community_sql(on: date, units: QuerySet[Unit] | None) -> tuple[str, list[Any]]:
    """Three small aggregates per community, joined onto every community unit (so one without
    households still gets its row of zeros):

    - ``m``: persons and working age, one pass over persons into a few hundred groups;
    - ``hc``: households per community, one pass over households;
    - ``lf``: the labor-force counts and household flags: candidates × events × household →
      per household (``hh``) → per community.
    """
    unit_ids = _subquery(units) if units is not None else None
    cte, params = _labor_force_cte(on, _in("h.community_id", unit_ids) if unit_ids else None)
    members, member_params = _members_sql(
        on, "community_id", _in("p.community_id", unit_ids) if unit_ids else None
    )
    params += member_params
    household_where = unit_where = ""
    if unit_ids is not None:
        household_where = f"WHERE community_id IN ({unit_ids[0]})"
        unit_where = f"AND u.id IN ({unit_ids[0]})"
        params += [*unit_ids[1], *unit_ids[1]]
    outer = ", ".join(f"COALESCE({c}, 0)" for c in _COMMUNITY_COLUMNS)
    sql = f"""{cte},
    lf AS (
        SELECT community_id,
               SUM(hh.labor_force) AS labor_force,
               SUM(hh.employed) AS employed,
               SUM(hh.unemployed) AS unemployed,
               SUM(hh.registered_unemployed) AS registered_unemployed,
               SUM(CASE WHEN hh.labor_force > 0 THEN 1 ELSE 0 END) AS labor_force_households,
               SUM(CASE WHEN {_ZERO_SQL} THEN 1 ELSE 0 END) AS zero_families,
               SUM(CASE WHEN {_ZERO_SQL} AND hh.hukou_type = '{_URBAN}' THEN 1 ELSE 0 END)
                   AS zero_families_urban,
               SUM(CASE WHEN {_PURE_FARMING_SQL} THEN 1 ELSE 0 END) AS pure_farming_families
        FROM hh
        GROUP BY community_id
    ),
    m AS ({members}),
    hc AS (
        SELECT community_id, COUNT(*) AS households
        FROM {_HOUSEHOLD}
        {household_where}
        GROUP BY community_id
    )
    SELECT u.id, {outer}
    FROM {_UNIT} u
    LEFT JOIN m ON m.community_id = u.id
    LEFT JOIN hc ON hc.community_id = u.id
    LEFT JOIN lf ON lf.community_id = u.id
    WHERE u.level IN ({_COMMUNITY_LEVELS_SQL}) {unit_where}"""
    return sql, params


def community_classification(
    *, on: date, units: QuerySet[Unit] | None = None
) -> dict[int, CommunityCounts]:
    """Counts for every community/village at ``on`` (those in ``units`` when given; other
    levels in it are ignored, so a jurisdiction's unit queryset can be passed as it is).

    One query. Persons and working age are grouped by the person's community, the rest by the
    household's (``registry.services`` keeps the two equal).
    """
    sql, params = _community_sql(on, units)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        row[0]: CommunityCounts(
            row[0], **{c: int(v) for c, v in zip(_COMMUNITY_COLUMNS, row[1:], strict=True)}
        )
        for row in rows
    }


# ---------------------------------------------------------------------------------------------
# Zero-employment family history: a sweep over change points
# ---------------------------------------------------------------------------------------------


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

    ``ended_on`` is the first day it no longer was (None: still one as of the sweep's date).
    """

    emerged_on: date
    ended_on: date | None = None
    end_reason: EndReason | None = None

    def days(self, on: date) -> int:
        """Days from emergence to the end, or to ``on`` while still open."""
        return ((self.ended_on or on) - self.emerged_on).days


class _Member:
    """A member's events sorted once, so the status at any date is a bisect."""

    __slots__ = ("sinces", "statuses", "timeline")

    def __init__(self, timeline: MemberTimeline) -> None:
        ordered = sorted(timeline.events)
        self.timeline = timeline
        self.sinces = [since for since, _ in ordered]
        self.statuses = [status for _, status in ordered]

    def status_on(self, on: date) -> str | None:
        index = bisect.bisect_right(self.sinces, on)
        return self.statuses[index - 1] if index else None

    def state_on(self, on: date) -> tuple[bool, bool]:
        """(in the labor force, employed) on ``on``."""
        t = self.timeline
        status = self.status_on(on)
        lf = in_labor_force(
            work_from=t.work_from,
            retire_on=t.retire_on,
            able=t.able,
            willing=t.willing,
            status=status,
            on=on,
        )
        return lf, lf and status in EMPLOYED


def _change_points(members: Sequence[_Member], until: date) -> list[date]:
    """Every day the predicate can flip: status events, 16th birthdays, retirement days."""
    points: set[date] = set()
    for member in members:
        points.update((member.timeline.work_from, member.timeline.retire_on))
        points.update(member.sinces)
    return sorted(day for day in points if day <= until)


def zero_family_episodes(members: Sequence[MemberTimeline], *, until: date) -> list[Episode]:
    """The household's zero-employment episodes, judged with what is known up to ``until``.

    Before the first change point nobody is of working age yet, so the household starts
    non-zero; at each change point the predicate is evaluated afresh. An episode ends on the
    day a labor-force member is employed (``employed``) or the day nobody is left in the labor
    force (``no_labor_force``). Change points after ``until`` are ignored, so an episode that
    ends later is still open as of ``until``.
    """
    prepared = [_Member(m) for m in members]
    episodes: list[Episode] = []
    open_since: date | None = None
    for day in _change_points(prepared, until):
        states = [m.state_on(day) for m in prepared]
        labor_force = any(lf for lf, _ in states)
        employed = any(emp for _, emp in states)
        is_zero = labor_force and not employed
        if is_zero and open_since is None:
            open_since = day
        elif not is_zero and open_since is not None:
            reason: EndReason = "employed" if employed else "no_labor_force"
            episodes.append(Episode(open_since, day, reason))
            open_since = None
    if open_since is not None:
        episodes.append(Episode(open_since))
    return episodes


@dataclass(frozen=True, slots=True)
class ZeroStatus:
    """A household's zero-employment standing as of a date, from its latest episode.

    ``eliminated_on`` is the latest episode's end (see ``end_reason``: ``employed`` is an
    elimination proper, ``no_labor_force`` means the household simply stopped qualifying).
    """

    is_zero: bool
    emerged_on: date | None
    eliminated_on: date | None
    end_reason: EndReason | None
    episodes: tuple[Episode, ...]


def _status_from(episodes: Sequence[Episode]) -> ZeroStatus:
    if not episodes:
        return ZeroStatus(False, None, None, None, ())
    latest = episodes[-1]
    return ZeroStatus(
        latest.ended_on is None,
        latest.emerged_on,
        latest.ended_on,
        latest.end_reason,
        tuple(episodes),
    )


_MEMBER_FIELDS = ("id", "household_id", "work_from", "retire_on", "able", "willing")


def _timelines(
    persons: Iterable[dict[str, Any]], events: Iterable[tuple[int, date, str]]
) -> dict[int, list[MemberTimeline]]:
    """Member timelines grouped by household id."""
    by_person: dict[int, list[tuple[date, str]]] = defaultdict(list)
    for person_id, since, status in events:
        by_person[person_id].append((since, status))
    households: dict[int, list[MemberTimeline]] = defaultdict(list)
    for p in persons:
        households[p["household_id"]].append(
            MemberTimeline(
                work_from=p["work_from"],
                retire_on=p["retire_on"],
                able=p["able"],
                willing=p["willing"],
                events=by_person.get(p["id"], []),
            )
        )
    return households


def household_zero_status(*, household: Household, on: date) -> ZeroStatus:
    """The household's zero standing and history as of ``on`` (2 queries: members, events).

    Only events that started on or before ``on`` are read, so later records never change the
    answer for a past date.
    """
    persons = Person.objects.filter(household=household).order_by().values(*_MEMBER_FIELDS)
    events = StatusEvent.objects.filter(person__household=household, since__lte=on).order_by()
    timelines = _timelines(persons, events.values_list("person_id", "since", "status"))
    return _status_from(zero_family_episodes(timelines.get(household.pk, []), until=on))


@dataclass(frozen=True, slots=True)
class ZeroFamily:
    """A zero-employment family at a date and the day its current episode began."""

    household_id: int
    community_id: int
    hukou_type: str
    emerged_on: date

    def days(self, on: date) -> int:
        """Days it has stayed uneliminated as of ``on``."""
        return (on - self.emerged_on).days


_CHUNK = 500  # ids per IN (...) list: well under SQLite's bound-parameter limit


def zero_families_as_of(*, on: date, communities: QuerySet[Unit] | None = None) -> list[ZeroFamily]:
    """The zero families at ``on`` with their emergence dates, ordered by community and id.

    The database finds them (one aggregated query); only for those households are members and
    events loaded (two queries per 500 households) and swept to date the open episode.
    """
    households = None
    if communities is not None:
        households = Household.objects.filter(community__in=communities.order_by().values("pk"))
    rows = zero_households(on=on, households=households)
    found: list[ZeroFamily] = []
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        ids = [row.household_id for row in chunk]
        persons = Person.objects.filter(household_id__in=ids).order_by().values(*_MEMBER_FIELDS)
        events = StatusEvent.objects.filter(person__household_id__in=ids, since__lte=on)
        timelines = _timelines(
            persons, events.order_by().values_list("person_id", "since", "status")
        )
        for row in chunk:
            episodes = zero_family_episodes(timelines.get(row.household_id, []), until=on)
            # The sweep and the SQL share one definition; they can only disagree if the data
            # changed between the two reads, and then the later read (the sweep) wins.
            if episodes and episodes[-1].ended_on is None:
                found.append(
                    ZeroFamily(
                        row.household_id, row.community_id, row.hukou_type, episodes[-1].emerged_on
                    )
                )
    found.sort(key=lambda z: (z.community_id, z.household_id))
    return found
