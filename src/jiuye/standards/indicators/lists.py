"""Building the lists behind the indicators: persons and households read through the user's
jurisdiction (a user who may see nothing gets nothing), with the status in force at a date and
the SQL forms of ``registry.definitions`` to pick them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from jiuye.accounts.models import User
from jiuye.lib.sql import Sql
from jiuye.registry import definitions
from jiuye.registry.models import Household, Person, Status, StatusEvent
from jiuye.standards.indicators.base import (
    Row,
    communities_under,
    household_url,
    in_communities,
    person_url,
)
from jiuye.units.models import Unit
from jiuye.units.scope import scope_to_jurisdiction

PERSON = Person._meta.db_table
EVENT = StatusEvent._meta.db_table
HOUSEHOLD = Household._meta.db_table


def persons(unit: Unit, user: User) -> QuerySet[Person]:
    """The persons of the communities under ``unit`` that ``user`` may see."""
    return scope_to_jurisdiction(Person.objects.filter(community__in=communities_under(unit)), user)


def with_status(qs: QuerySet[Person], on: date) -> QuerySet[Person]:
    """Annotated with the status in force on ``on`` (``status_on``, None when unknown) and
    whether it is a registration (``registered_on``)."""
    in_force = StatusEvent.objects.filter(definitions.in_force_q(on), person=OuterRef("pk"))
    return qs.annotate(
        status_on=Subquery(in_force.values("status")[:1]),
        registered_on=Subquery(in_force.values("registered")[:1]),
    )


def picked(qs: QuerySet[Person], condition: Sql, unit: Unit, on: date) -> QuerySet[Person]:
    """The persons of ``qs`` for whom ``condition`` holds on ``on``: an SQL condition over
    ``p`` (the person), ``h`` (their household) and ``e`` (their status event in force, NULL
    when unknown), one set-based subquery over the unit's persons."""
    in_force = definitions.in_force_sql("e", on)
    units = in_communities("p.community_id", unit)
    sql = (
        f"SELECT p.id FROM {PERSON} p JOIN {HOUSEHOLD} h ON h.id = p.household_id "
        f"LEFT JOIN {EVENT} e ON e.person_id = p.id AND {in_force.text} "
        f"WHERE {units.text} AND {condition.text}"
    )
    return qs.filter(pk__in=RawSQL(sql, (*in_force.params, *units.params, *condition.params)))


def labor_force(qs: QuerySet[Person], unit: Unit, on: date) -> QuerySet[Person]:
    """The labor force on ``on`` among ``qs`` (``definitions.labor_force_sql``), with their
    status, ordered by community and name."""
    chosen = picked(qs, definitions.labor_force_sql("p", "e.status", on), unit, on)
    return with_status(chosen, on).order_by("community_id", "name", "pk")


def status_label(status: str | None) -> str:
    return str(Status(status).label) if status else _("无状态记录")


def person_rows(people: Iterable[Any], detail: str | None = None) -> list[Row]:
    """One row per person (annotated by :func:`with_status`): the status as the detail unless
    ``detail`` is given."""
    return [
        Row(
            "person",
            p.name,
            status_label(p.status_on) if detail is None else detail,
            person_url(p.pk),
            p.community_id,
        )
        for p in people
    ]


def household_rows(user: User, found: list[tuple[int, str]], on: date | None = None) -> list[Row]:
    """One row per (household id, detail) the user may see, in the order given."""
    visible = {
        pk: (number, community)
        for pk, number, community in scope_to_jurisdiction(
            Household.objects.filter(pk__in=[h for h, _detail in found]), user
        ).values_list("pk", "number", "community_id")
    }
    return [
        Row("household", visible[h][0], detail, household_url(h), visible[h][1], on)
        for h, detail in found
        if h in visible
    ]
