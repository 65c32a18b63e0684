"""As-of-date classification of persons and households (DOMAIN §3, the facts behind §5), for
every household or community at once.

The rules themselves live in :mod:`jiuye.registry.definitions` (labor force, employed, status in
force, zero and pure-farming families, the zero-family sweep); this module only assembles their
SQL forms into aggregated queries (one query per call, on SQLite and PostgreSQL alike) and runs
the sweep for a household. Status counts are over the labor force (DOMAIN §5 takes rates over
it); a person whose status is unknown on the date counts nowhere.

Household counts and labor-force counts are grouped by the household's community; ``persons``
and ``working_age`` by the person's (``registry.services`` keeps the two equal). ``persons``
counts members born on or before the date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from jiuye.lib.sql import Sql, sql_list, subquery
from jiuye.registry import definitions
from jiuye.registry.definitions import Episode, MemberTimeline, zero_family_episodes
from jiuye.registry.models import Household, Person, StatusEvent
from jiuye.units.models import Level, Unit
from jiuye.units.sharding import by_district, carried, outer_district, rows_of, same_district

# ---------------------------------------------------------------------------------------------
# One person
# ---------------------------------------------------------------------------------------------


def status_at(person: Person, on: date) -> str | None:
    """The status in force on ``on`` (None: unknown, before the first event)."""
    return (
        StatusEvent.objects.filter(definitions.in_force_q(on), person=person)
        .values_list("status", flat=True)
        .first()
    )


def labor_force_on(person: Person, on: date) -> bool:
    """Is ``person`` in the labor force on ``on``? At most one query (their status then)."""
    if not (person.able and person.willing):
        return False
    if not definitions.is_working_age(
        work_from=person.work_from, retire_on=person.retire_on, on=on
    ):
        return False
    return definitions.in_labor_force(
        work_from=person.work_from,
        retire_on=person.retire_on,
        able=person.able,
        willing=person.willing,
        status=status_at(person, on),
        on=on,
    )


def employed_on(person: Person, on: date) -> bool:
    """In the labor force on ``on`` with an employed status (实现就业)."""
    return labor_force_on(person, on) and definitions.is_employed(status_at(person, on))


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


_COMMUNITY_LEVELS_SQL = sql_list([Level.COMMUNITY, Level.VILLAGE])
_PERSON = Person._meta.db_table
_EVENT = StatusEvent._meta.db_table
_HOUSEHOLD = Household._meta.db_table
_UNIT = Unit._meta.db_table

# The household rules, over the per-household aggregate ``hh``.
ZERO_SQL = definitions.zero_family_sql("hh.labor_force", "hh.employed").text
PURE_FARMING_SQL = definitions.pure_farming_sql("hh.employed", "hh.farming_employed").text


def _case(condition: Sql) -> Sql:
    return Sql(f"CASE WHEN {condition.text} THEN 1 ELSE 0 END", condition.params)


def labor_force_cte(on: date, candidate_filter: Sql | None) -> Sql:
    """``WITH candidate AS (...), hh AS (...)``: labor-force counts per household.

    Only *candidates* (of working age, able and willing) can be in the labor force, so only they
    are joined to the event in force, picked by its date range (a plain hash join, no
    per-person subquery). Each candidate's labor-force flag is computed once, with the rule's
    SQL form; the counts then read it. The household's community and hukou ride along in the
    same pipeline, so the per-household aggregate is never joined back to the household table:
    a join *after* the aggregate lets PostgreSQL's parallel plans rebuild that aggregate in
    every worker.
    """
    # labor force = candidate (the WHERE below) and a status that counts (the flag).
    lf = definitions.labor_force_status_sql("e.status")
    params: list[Any] = list(lf.params)
    in_force = definitions.in_force_sql("e", on)
    params += in_force.params
    candidates = definitions.labor_force_candidates_sql("p", on)
    if candidate_filter is not None:
        candidates = candidates & candidate_filter
    params += candidates.params
    in_lf = "c.lf = 1"
    employed = definitions.employed_sql("c.status").text
    unemployed = f"c.status = '{definitions.UNEMPLOYED}'"
    registered = definitions.registered_sql("c").text
    sql = f"""
    WITH candidate AS (
        SELECT p.household_id AS household_id{carried("p")},
               h.community_id AS community_id,
               h.hukou_type AS hukou_type,
               e.status AS status,
               e.registered AS registered,
               CASE WHEN {lf.text} THEN 1 ELSE 0 END AS lf
        FROM {_PERSON} p
        JOIN {_HOUSEHOLD} h ON {rows_of("p", "household_id", "h")}
        LEFT JOIN {_EVENT} e ON {rows_of("e", "person_id", "p")} AND {in_force.text}
        WHERE {candidates.text}
    ),
    hh AS (
        SELECT household_id{carried()}, community_id, hukou_type,
               SUM(c.lf) AS labor_force,
               SUM(CASE WHEN {in_lf} AND {employed} THEN 1 ELSE 0 END) AS employed,
               SUM(CASE WHEN {in_lf} AND c.status = '{definitions.FARMING}' THEN 1 ELSE 0 END)
                   AS farming_employed,
               SUM(CASE WHEN {in_lf} AND {unemployed} THEN 1 ELSE 0 END) AS unemployed,
               SUM(CASE WHEN {in_lf} AND {registered} THEN 1 ELSE 0 END)
                   AS registered_unemployed
        FROM candidate c
        GROUP BY {by_district("household_id, community_id, hukou_type")}
    )"""
    return Sql(sql, tuple(params))


def _members_sql(on: date, group_by: str, person_filter: Sql | None) -> Sql:
    """Persons born by the date and persons of working age, grouped by ``p.<group_by>``."""
    working_age = _case(definitions.working_age_sql("p", on))
    params: list[Any] = [on, *working_age.params]
    where = ""
    if person_filter is not None:
        where = f"WHERE {person_filter.text}"
        params.extend(person_filter.params)
    sql = f"""
        SELECT p.{group_by} AS {group_by}{carried("p")},
               SUM(CASE WHEN p.birth_date <= %s THEN 1 ELSE 0 END) AS persons,
               SUM({working_age.text}) AS working_age
        FROM {_PERSON} p
        {where}
        GROUP BY {by_district(f"p.{group_by}", alias="p")}"""
    return Sql(sql, tuple(params))


def _in(column: str, fragment: Sql) -> Sql:
    return Sql(f"{column} IN ({fragment.text})", fragment.params)


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
    household_ids = subquery(households) if households is not None else None
    person_filter = _in("p.household_id", household_ids) if household_ids else None
    cte = labor_force_cte(on, person_filter)
    members = _members_sql(on, "household_id", person_filter)
    params = [*cte.params, *members.params]
    counts = ", ".join(f"COALESCE(hh.{c}, 0)" for c in _HOUSEHOLD_COUNTS)
    conditions = []
    if household_ids is not None:
        conditions.append(f"h.id IN ({household_ids.text})")
        params.extend(household_ids.params)
    if zero_only:
        conditions.append(ZERO_SQL)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    sql = f"""{cte.text},
    m AS ({members.text})
    SELECT h.id, h.community_id, h.hukou_type,
           COALESCE(m.persons, 0), COALESCE(m.working_age, 0), {counts},
           CASE WHEN {ZERO_SQL} THEN 1 ELSE 0 END,
           CASE WHEN {PURE_FARMING_SQL} THEN 1 ELSE 0 END
    FROM {_HOUSEHOLD} h
    LEFT JOIN m ON m.household_id = h.id{same_district("m", "h")}
    {"JOIN" if zero_only else "LEFT JOIN"} hh ON hh.household_id = h.id{same_district("hh", "h")}
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
    unit_ids = subquery(units) if units is not None else None
    cte = labor_force_cte(on, _in("h.community_id", unit_ids) if unit_ids else None)
    members = _members_sql(
        on, "community_id", _in("p.community_id", unit_ids) if unit_ids else None
    )
    params = [*cte.params, *members.params]
    household_where = unit_where = ""
    if unit_ids is not None:
        household_where = f"WHERE community_id IN ({unit_ids.text})"
        unit_where = f"AND u.id IN ({unit_ids.text})"
        params += [*unit_ids.params, *unit_ids.params]
    urban = definitions.urban_sql("hh.hukou_type").text
    outer = ", ".join(f"COALESCE({c}, 0)" for c in _COMMUNITY_COLUMNS)
    sql = f"""{cte.text},
    lf AS (
        SELECT community_id,
               SUM(hh.labor_force) AS labor_force,
               SUM(hh.employed) AS employed,
               SUM(hh.unemployed) AS unemployed,
               SUM(hh.registered_unemployed) AS registered_unemployed,
               SUM(CASE WHEN hh.labor_force > 0 THEN 1 ELSE 0 END) AS labor_force_households,
               SUM(CASE WHEN {ZERO_SQL} THEN 1 ELSE 0 END) AS zero_families,
               SUM(CASE WHEN {ZERO_SQL} AND {urban} THEN 1 ELSE 0 END) AS zero_families_urban,
               SUM(CASE WHEN {PURE_FARMING_SQL} THEN 1 ELSE 0 END) AS pure_farming_families
        FROM hh
        GROUP BY community_id
    ),
    m AS ({members.text}),
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


def persons_without_status(*, on: date, persons: QuerySet[Person]) -> QuerySet[Person]:
    """Data quality (DOMAIN §3, "status not recorded"): the persons among ``persons`` of working
    age on ``on`` with no status recorded by then (counted in no indicator that day)."""
    in_force = StatusEvent.objects.filter(
        definitions.in_force_q(on), outer_district(), person=OuterRef("pk")
    )
    return persons.filter(definitions.working_age_q(on)).exclude(Exists(in_force))


# ---------------------------------------------------------------------------------------------
# Zero-employment family history: the sweep of ``definitions`` over a household's members
# ---------------------------------------------------------------------------------------------

MEMBER_FIELDS = ("id", "household_id", "work_from", "retire_on", "able", "willing")


def member_timelines(household_ids: Sequence[int]) -> dict[int, list[MemberTimeline]]:
    """The members' timelines of these households (two queries), grouped by household id."""
    persons = Person.objects.filter(household_id__in=household_ids).order_by()
    events = StatusEvent.objects.filter(person__household_id__in=household_ids).order_by()
    by_person: dict[int, list[tuple[date, str]]] = defaultdict(list)
    for person_id, since, status in events.values_list("person_id", "since", "status"):
        by_person[person_id].append((since, status))
    households: dict[int, list[MemberTimeline]] = defaultdict(list)
    for p in persons.values(*MEMBER_FIELDS):
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


def household_episodes(household_id: int, *, until: date | None = None) -> list[Episode]:
    """The household's zero-employment episodes (with what is known up to ``until``; None:
    everything recorded, ends the calendar decides included)."""
    members = member_timelines([household_id]).get(household_id, [])
    return zero_family_episodes(members, until=until)


def household_zero_on(*, household_id: int, on: date) -> bool:
    """Was the household a zero-employment family on ``on``?"""
    return any(e.open_on(on) for e in household_episodes(household_id, until=on))
