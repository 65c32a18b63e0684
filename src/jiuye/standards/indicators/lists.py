"""Building the lists behind the indicators: persons and households read through the user's
jurisdiction (a user who may see nothing gets nothing), picked in the database by the SQL forms
of ``registry.definitions`` and counted and paged there (:class:`~.base.QueryRows`); only the
page shown is made into rows, with the status in force at the date read for its persons alone.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from jiuye.accounts.models import User
from jiuye.lib.sql import Sql, sql_list
from jiuye.registry import definitions
from jiuye.registry.models import Household, Person, Status, StatusEvent
from jiuye.standards.indicators.base import (
    QueryRows,
    Row,
    community_ids_under,
    household_url,
    in_communities,
    person_url,
)
from jiuye.units.models import Unit
from jiuye.units.scope import scope_to_jurisdiction
from jiuye.units.sharding import citus, rows_of

PERSON = Person._meta.db_table
EVENT = StatusEvent._meta.db_table
HOUSEHOLD = Household._meta.db_table

# The order of every list of persons: by community, then name (the id breaks ties, so pages
# never overlap).
PERSON_ORDER = ("community_id", "name", "pk")


def persons(unit: Unit, user: User) -> QuerySet[Person]:
    """The persons of the communities under ``unit`` that ``user`` may see."""
    persons = Person.objects.filter(community_id__in=community_ids_under(unit))
    return scope_to_jurisdiction(persons, user)


def households(unit: Unit, user: User) -> QuerySet[Household]:
    """The households of the communities under ``unit`` that ``user`` may see."""
    return scope_to_jurisdiction(
        Household.objects.filter(community_id__in=community_ids_under(unit)), user
    )


def picked_sql(
    condition: Sql, unit: Unit, on: date, statuses: Collection[str] | None = None
) -> RawSQL:
    """The ids of the persons under ``unit`` for whom ``condition`` holds on ``on``: an SQL
    condition over ``p`` (the person), ``h`` (their household) and ``e`` (their status event in
    force, NULL when unknown), one set-based subquery.

    ``statuses``: the condition needs a status in force among these (a necessary condition,
    which it states itself too). The few events in force with one of them then drive the
    query instead of every person of the unit; without the fence PostgreSQL flattens the
    subquery back into the persons' scan. It pays where the persons' plan is poor (the job
    preparation list: 2.0 s against 4.6 s at 1M persons on PostgreSQL, under load); where
    PostgreSQL pages the persons by their community index and stops early (the employment
    list), it costs instead."""
    in_force = definitions.in_force_sql("e", on)
    units = in_communities("p.community_id", unit)
    if statuses is None:
        sql = (
            f"SELECT p.id FROM {PERSON} p "
            f"JOIN {HOUSEHOLD} h ON {rows_of('p', 'household_id', 'h')} "
            f"LEFT JOIN {EVENT} e ON {rows_of('e', 'person_id', 'p')} AND {in_force.text} "
            f"WHERE {units.text} AND {condition.text}"
        )
    else:
        fence = "OFFSET 0" if connection.vendor == "postgresql" and not citus() else ""
        sql = (
            f"SELECT p.id FROM (SELECT * FROM {EVENT} e WHERE {in_force.text} "
            f"AND e.status IN ({sql_list(statuses)}) {fence}) e "
            f"JOIN {PERSON} p ON {rows_of('e', 'person_id', 'p')} "
            f"JOIN {HOUSEHOLD} h ON {rows_of('p', 'household_id', 'h')} "
            f"WHERE {units.text} AND {condition.text}"
        )
    return RawSQL(sql, (*in_force.params, *units.params, *condition.params))


def picked(
    qs: QuerySet[Person],
    condition: Sql,
    unit: Unit,
    on: date,
    statuses: Collection[str] | None = None,
) -> QuerySet[Person]:
    """The persons of ``qs`` for whom ``condition`` holds on ``on`` (:func:`picked_sql`)."""
    return qs.filter(pk__in=picked_sql(condition, unit, on, statuses))


def not_employed_sql(on: date) -> Sql:
    """SQL over ``p`` and ``e``: in the labor force on ``on`` and not employed (whom an
    employment rate waits for). The labor force has a known status, so the negation is
    plain."""
    employed = definitions.employed_sql("e.status")
    return definitions.labor_force_sql("p", "e.status", on) & Sql(
        f"NOT ({employed.text})", employed.params
    )


def status_label(status: str | None) -> str:
    return str(Status(status).label) if status else _("无状态记录")


def statuses(person_ids: Sequence[int], on: date) -> dict[int, str]:
    """The status in force on ``on`` of each of these persons (a page of them; one query)."""
    return dict(
        StatusEvent.objects.filter(definitions.in_force_q(on), person_id__in=list(person_ids))
        .order_by()
        .values_list("person_id", "status")
    )


def person_listing(
    qs: QuerySet[Person],
    on: date,
    detail: str | Callable[[Person], str] | None = None,
    url: Callable[[int], str] = person_url,
) -> QueryRows:
    """The persons of ``qs`` by community and name, a page at a time; each row's detail is the
    status in force on ``on`` (read for the page's persons only) unless ``detail`` is given
    (a text, or a function of the person)."""

    def to_rows(page: list[Person]) -> list[Row]:
        status = statuses([p.pk for p in page], on) if detail is None else {}
        return [
            Row(
                "person",
                p.name,
                status_label(status.get(p.pk))
                if detail is None
                else (detail if isinstance(detail, str) else detail(p)),
                url(p.pk),
                p.community_id,
            )
            for p in page
        ]

    return QueryRows(qs.only("pk", "name", "community_id").order_by(*PERSON_ORDER), to_rows)


def household_rows(
    page: Sequence[Any], details: dict[int, str], on: date | None = None
) -> list[Row]:
    """One row per household of the page (with ``number`` and ``community_id``), its detail
    from ``details`` by id."""
    return [
        Row("household", h.number, details.get(h.pk, ""), household_url(h.pk), h.community_id, on)
        for h in page
    ]
