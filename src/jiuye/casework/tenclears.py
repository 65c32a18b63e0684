"""The "ten clears" (十清, CQ 002 §二(二)1): what every unemployed person's record must hold.

Nine of the ten concern the person (the tenth, an employer's labor demand, belongs to the
employers' module: the open vacancies of each employer's postings, which the ledger export
shows as 用工需求台账 beside 岗位开发及需求台账, ``ledger.export_employers``). Where each of the
nine is read:

- ``duration`` 失业时间清: derived, the start of the unemployment in force (``StatusEvent.since``);
- ``cause`` 失业原因清: ``StatusEvent.cause`` of the unemployment in force;
- ``family`` 家庭状况清: ``UnemployedProfile.family_situation``;
- ``desire`` 就业愿望清: ``Person.willing``, a yes/no the registry always holds (never missing);
- ``training_need`` 培训要求清: ``UnemployedProfile.training_need``;
- ``skill`` 技能水平清: ``Person.skill_level``;
- ``destination`` 就业去向清: ``UnemployedProfile.destination`` (the job sought, where headed);
- ``policies`` 政策享受清: a ``policy`` service record (政策落实) of the person up to the date,
  or else the profile's ``policies`` text (e.g. "未享受"), so "enjoys none" can be stated;
- ``social_insurance`` 社会保险关系清: ``UnemployedProfile.social_insurance``.

"Unemployed" is everyone whose status in force at the date (``definitions.in_force_q``) is
``unemployed`` (registered or not): the ``ledger_completeness`` indicator of DOMAIN §5.

Each field's presence is stated twice, side by side: in Python (:func:`missing_fields`, for one
record: the person's page, the ledger export) and in SQL (:func:`present_sql`, for a set: the
indicator's counts per community and its list of incomplete records, counted and paged in the
database). ``tests/casework/test_tenclears.py`` checks that the two agree field by field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import and_
from typing import Any, cast

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from jiuye.casework.models import ServiceKind, ServiceRecord, UnemployedProfile
from jiuye.lib.sql import Sql, by_person, read_date
from jiuye.registry import definitions
from jiuye.registry.models import Person, StatusEvent
from jiuye.registry.selectors import Reader, persons_of
from jiuye.units.models import Level, Unit
from jiuye.units.sharding import COLUMN, carried, citus, rows_of, same_district

FIELDS: dict[str, Any] = {
    "duration": _("失业时间"),
    "cause": _("失业原因"),
    "family": _("家庭状况"),
    "desire": _("就业愿望"),
    "training_need": _("培训要求"),
    "skill": _("技能水平"),
    "destination": _("就业去向"),
    "policies": _("政策享受"),
    "social_insurance": _("社会保险关系"),
}


def missing_fields(
    *,
    unemployed_since: date | None,
    cause: str,
    willing: bool | None,
    skill_level: str,
    family_situation: str = "",
    training_need: str = "",
    destination: str = "",
    policies: str = "",
    has_policy_record: bool = False,
    social_insurance: str = "",
) -> list[str]:
    """The keys of :data:`FIELDS` missing from one record, in the order of the ten clears."""
    present = {
        "duration": unemployed_since is not None,
        "cause": bool(cause.strip()),
        "family": bool(family_situation.strip()),
        "desire": willing is not None,
        "training_need": bool(training_need.strip()),
        "skill": bool(skill_level.strip()),
        "destination": bool(destination.strip()),
        "policies": has_policy_record or bool(policies.strip()),
        "social_insurance": bool(social_insurance.strip()),
    }
    return [key for key in FIELDS if not present[key]]


# What ``str.strip()`` removes: every character ``str.isspace()`` holds (none lies above U+3000,
# the ideographic space), for SQL's TRIM to blank the same text as the Python form.
WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())

_PERSON = Person._meta.db_table
_EVENT = StatusEvent._meta.db_table
_PROFILE = UnemployedProfile._meta.db_table
_RECORD = ServiceRecord._meta.db_table


def _filled(column: str) -> Sql:
    """SQL of ``bool(value.strip())`` for a text column (NULL, when there is no profile, is
    blank)."""
    return Sql(f"TRIM(COALESCE({column}, ''), %s) <> ''", (WHITESPACE,))


def present_sql(on: date) -> dict[str, Sql]:
    """:func:`missing_fields`'s presence of each field, in SQL: over ``p`` (the person), ``e``
    (their unemployment event in force at ``on``) and ``u`` (their profile, LEFT JOINed: NULL
    when they have none), keyed as :data:`FIELDS`. Never NULL, so it may be negated."""
    day = connection.ops.quote_name("on")
    policies = _filled("u.policies")
    return {
        "duration": Sql("e.since IS NOT NULL"),
        "cause": _filled("e.cause"),
        "family": _filled("u.family_situation"),
        "desire": Sql("p.willing IS NOT NULL"),
        "training_need": _filled("u.training_need"),
        "skill": _filled("p.skill_level"),
        "destination": _filled("u.destination"),
        "policies": Sql(
            f"EXISTS (SELECT 1 FROM {_RECORD} s WHERE {rows_of('s', 'person_id', 'p')} "
            f"AND s.kind = '{ServiceKind.POLICY.value}' AND s.{day} <= %s) OR ({policies.text})",
            (on, *policies.params),
        ),
        "social_insurance": _filled("u.social_insurance"),
    }


def complete_sql(on: date) -> Sql:
    """SQL over ``p``, ``e`` and ``u``: the record holds every field (:func:`present_sql`)."""
    return reduce(and_, present_sql(on).values())


# The person's columns the SQL forms read (``p``).
PERSON_COLUMNS = ("id", "name", "community_id", "grid_id", "willing", "skill_level")


def _persons_sql(persons: QuerySet[Person], *, of_event: bool = False) -> Sql:
    """``persons`` as a derived table of :data:`PERSON_COLUMNS` (``of_event``: only the person
    of the event ``e``, for a LATERAL join). A queryset that cannot match (the jurisdiction
    scope's ``.none()``) has no rows."""
    if of_event:
        persons = persons.filter(pk=RawSQL("e.person_id", ()))
    columns = (*PERSON_COLUMNS, *([COLUMN] if citus() else []))  # Citus: the district too
    try:
        sql, params = persons.order_by().values(*columns).query.sql_with_params()
    except EmptyResultSet:
        return Sql(f"SELECT {', '.join(columns)} FROM {_PERSON} WHERE 1 = 0")
    return Sql(sql, tuple(params))


def unemployed_sql(
    on: date, persons: QuerySet[Person], *, events_first: bool = False, persons_first: bool = False
) -> Sql:
    """``FROM …`` the persons ``p`` of ``persons`` (their :data:`PERSON_COLUMNS`) whose status in
    force at ``on`` (``e``) is unemployment, with their profile ``u`` (NULL when they have
    none): :func:`present_sql` reads them.

    ``events_first``: the unemployed events in force (a few percent of the persons) drive the
    query, each finding its person by id (PostgreSQL: fenced subqueries and a LATERAL join),
    as suits a district; PostgreSQL otherwise hashes every person of the district (0.8 s
    against 0.25 s at 1M persons). For a street or a community (or a page of persons) the
    persons drive it better, by their indexes: leave it False.

    ``persons_first``: each person finds their own event (PostgreSQL: a fenced LATERAL
    join), for a unit small beside the database (``Unit.is_large``), whose persons are fewer
    than all the unemployed: the planner otherwise hashes every unemployed event of the
    database (a street of the 10M city: 0.88 s; a community of the 1M district: 50 ms
    against 6 ms)."""
    in_force = definitions.in_force_sql("e", on)
    # (The fenced LATERAL forms are one server's: Citus would gather them on the coordinator.)
    postgres = connection.vendor == "postgresql" and not citus()
    if persons_first and postgres:
        person = _persons_sql(persons)
        text = (
            f"FROM ({person.text}) p JOIN LATERAL (SELECT e.person_id, e.since, e.cause "
            f"FROM {_EVENT} e WHERE e.person_id = p.id AND {in_force.text} AND e.status = %s "
            "OFFSET 0) e ON TRUE"
        )
        params = (*person.params, *in_force.params, definitions.UNEMPLOYED)
    elif events_first and postgres:
        person = _persons_sql(persons, of_event=True)
        text = (
            f"FROM (SELECT e.person_id, e.since, e.cause FROM {_EVENT} e "
            f"WHERE {in_force.text} AND e.status = %s {by_person('e.person_id')}) e "
            f"JOIN LATERAL ({person.text} OFFSET 0) p ON TRUE"
        )
        params = (*in_force.params, definitions.UNEMPLOYED, *person.params)
    else:
        person = _persons_sql(persons)
        text = (
            f"FROM ({person.text}) p JOIN {_EVENT} e ON {rows_of('e', 'person_id', 'p')} "
            f"AND {in_force.text} AND e.status = %s"
        )
        params = (*person.params, *in_force.params, definitions.UNEMPLOYED)
    return Sql(f"{text} LEFT JOIN {_PROFILE} u ON {rows_of('u', 'person_id', 'p')}", params)


def community_counts(
    on: date, persons: QuerySet[Person], *, events_first: bool = False, persons_first: bool = False
) -> dict[int, tuple[int, int]]:
    """Per community: (complete records, unemployed) among the persons of ``persons``
    unemployed at ``on``, in one grouped query (``events_first``, ``persons_first``: see
    :func:`unemployed_sql`). Communities with none are left out."""
    complete = complete_sql(on)
    source = unemployed_sql(on, persons, events_first=events_first, persons_first=persons_first)
    sql = (
        f"SELECT p.community_id, SUM(CASE WHEN {complete.text} THEN 1 ELSE 0 END), COUNT(*) "
        f"{source.text} GROUP BY p.community_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*complete.params, *source.params))
        return {row[0]: (int(row[1] or 0), int(row[2])) for row in cursor.fetchall()}


def incomplete_sql(
    on: date,
    persons: QuerySet[Person],
    *,
    events_first: bool = False,
    persons_first: bool = False,
    joined: bool = False,
) -> Sql:
    """``SELECT p.id, p.name, p.community_id`` of the persons of ``persons`` unemployed at ``on``
    whose record misses a field, unordered (``events_first``, ``persons_first``: see
    :func:`unemployed_sql`); ``joined``: to be joined with their rows again, which on Citus
    needs their district too (a fourth column)."""
    complete = complete_sql(on)
    source = unemployed_sql(on, persons, events_first=events_first, persons_first=persons_first)
    district = carried("p") if joined else ""
    return Sql(
        f"SELECT p.id, p.name, p.community_id{district} {source.text} WHERE NOT ({complete.text})",
        (*source.params, *complete.params),
    )


def missing_of(person_ids: Sequence[int], on: date) -> dict[int, list[str]]:
    """The keys of :data:`FIELDS` each of these persons' record misses at ``on`` by the SQL
    form (a page of them; one query); the persons not unemployed then are left out."""
    if not person_ids:
        return {}
    present = present_sql(on)
    flags = ", ".join(f"CASE WHEN {sql.text} THEN 1 ELSE 0 END" for sql in present.values())
    source = unemployed_sql(on, Person.objects.filter(pk__in=list(person_ids)))
    params = [param for sql in present.values() for param in sql.params]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT p.id, {flags} {source.text}", (*params, *source.params))
        return {
            row[0]: [key for key, flag in zip(present, row[1:], strict=True) if not flag]
            for row in cursor.fetchall()
        }


def labels(keys: Iterable[str]) -> list[str]:
    return [str(FIELDS[key]) for key in keys]


@dataclass(frozen=True)
class Record:
    person_id: int
    name: str
    community_id: int
    grid_id: int | None
    unemployed_since: date
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def missing_labels(self) -> list[str]:
        return labels(self.missing)


@dataclass(frozen=True)
class Completeness:
    """十清完整率: complete records / unemployed records (no value when there are none)."""

    numerator: int
    denominator: int
    records: list[Record]

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def incomplete(self) -> list[Record]:
        return [r for r in self.records if r.missing]


def _profiles(person_ids: list[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(person_ids), 500):
        for row in UnemployedProfile.objects.filter(
            person_id__in=person_ids[start : start + 500]
        ).values(
            "person_id",
            "family_situation",
            "training_need",
            "destination",
            "policies",
            "social_insurance",
        ):
            found[row["person_id"]] = dict(row)
    return found


def _with_policy(person_ids: list[int], on: date) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(person_ids), 500):
        found.update(
            ServiceRecord.objects.filter(
                person_id__in=person_ids[start : start + 500], kind=ServiceKind.POLICY, on__lte=on
            )
            .order_by()
            .values_list("person_id", flat=True)
            .distinct()
        )
    return found


def completeness(persons: QuerySet[Person], on: date) -> Completeness:
    """The ten clears of every person of ``persons`` unemployed at ``on``."""
    events = list(
        StatusEvent.objects.filter(
            definitions.in_force_q(on),
            status=definitions.UNEMPLOYED,
            person__in=persons.order_by().values("pk"),
        )
        .order_by("person__name", "person_id")
        .values(
            "person_id",
            "since",
            "cause",
            "person__name",
            "person__community_id",
            "person__grid_id",
            "person__willing",
            "person__skill_level",
        )
    )
    ids = [e["person_id"] for e in events]
    profiles = _profiles(ids)
    policy = _with_policy(ids, on)
    records = []
    for e in events:
        profile = profiles.get(e["person_id"], {})
        missing = missing_fields(
            unemployed_since=e["since"],
            cause=e["cause"],
            willing=e["person__willing"],
            skill_level=e["person__skill_level"],
            family_situation=profile.get("family_situation", ""),
            training_need=profile.get("training_need", ""),
            destination=profile.get("destination", ""),
            policies=profile.get("policies", ""),
            has_policy_record=e["person_id"] in policy,
            social_insurance=profile.get("social_insurance", ""),
        )
        records.append(
            Record(
                e["person_id"],
                e["person__name"],
                e["person__community_id"],
                e["person__grid_id"],
                e["since"],
                missing,
            )
        )
    complete = sum(1 for r in records if r.complete)
    return Completeness(complete, len(records), records)


# Units above a street: their unemployed drive the queries, not their persons (unemployed_sql).
LARGE_LEVELS = (Level.DISTRICT, Level.CITY)


def unit_page(
    unit: Unit, on: date, *, user: Reader | None, page: int = 1, size: int = 50
) -> Completeness:
    """A unit's completeness at ``on`` over the persons ``user`` may see (one grouped query)
    with one page of its incomplete records (``records``: ``size`` of them from page ``page``,
    by community and name), counted and paged in the database: what the ten-clears page shows
    of a district without reading every record."""
    persons = persons_of(unit, user=user)
    large, small = unit.level in LARGE_LEVELS, not unit.is_large()
    counts = community_counts(on, persons, events_first=large, persons_first=small)
    complete = sum(n for n, _d in counts.values())
    total = sum(d for _n, d in counts.values())
    page = max(1, min(page, -(-(total - complete) // size)))  # past the end: the last page
    picked = incomplete_sql(on, persons, events_first=large, persons_first=small, joined=True)
    query = (
        f"SELECT i.id, i.name, i.community_id, p.grid_id, e.since FROM ({picked.text}) i "
        f"JOIN {_PERSON} p ON p.id = i.id{same_district('p', 'i')} "
        f"JOIN {_EVENT} e ON e.person_id = i.id{same_district('e', 'i')} "
        f"AND {definitions.in_force_sql('e', on).text} AND e.status = %s "
        "ORDER BY i.community_id, i.name, i.id LIMIT %s OFFSET %s"
    )
    in_force = definitions.in_force_sql("e", on)
    params = (*picked.params, *in_force.params, definitions.UNEMPLOYED, size, (page - 1) * size)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    missing = missing_of([row[0] for row in rows], on)
    records = [
        Record(pk, name, community, grid, cast(date, read_date(since)), missing.get(pk, []))
        for pk, name, community, grid, since in rows
    ]
    return Completeness(complete, total, records)


def unit_completeness(unit: Unit, on: date, *, user: Reader | None) -> Completeness:
    """The ten-clears completeness of a unit (every community under it) at ``on``, over the
    persons ``user`` may see (None: none; a system job passes ``units.scope.SYSTEM``)."""
    return completeness(persons_of(unit, user=user), on)


def person_ten_clears(person: Person, on: date) -> Record | None:
    """One person's ten clears at ``on`` (None when not unemployed then)."""
    result = completeness(Person.objects.filter(pk=person.pk), on)
    return result.records[0] if result.records else None
