"""Small helpers for raw SQL that works on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet


@dataclass(frozen=True, slots=True)
class Sql:
    """An SQL fragment and the parameters of its ``%s`` placeholders, in order."""

    text: str
    params: tuple[Any, ...] = ()

    def __and__(self, other: Sql) -> Sql:
        return Sql(f"({self.text}) AND ({other.text})", self.params + other.params)

    def __str__(self) -> str:
        return self.text


def citus() -> bool:
    """Whether the database is a Citus cluster (settings.JIUYE_CITUS, from the environment;
    docs/decisions.md, "A province on Citus")."""
    return bool(getattr(settings, "JIUYE_CITUS", False))


def sql_list(values: Iterable[str]) -> str:
    """A literal SQL list of our own enum values (quote-safe by construction)."""
    items = sorted(str(v) for v in values)
    assert all(v.replace("_", "").isalnum() for v in items)
    return ", ".join(f"'{v}'" for v in items)


def by_person(column: str) -> str:
    """The tail of a subquery whose rows then look up their persons one by one (PostgreSQL):
    in person-id order, behind a fence that keeps the order and the subquery. Persons are
    stored in id order, so the lookups walk the table forwards instead of jumping around it:
    the 350,000 registrations of the 10M city found their persons in 2.0 s instead of 4.5 s.
    Nothing on SQLite, whose joins need no such help, nor on Citus, which cannot send a
    fenced subquery to the shards (it would gather its rows on the coordinator first)."""
    if connection.vendor == "postgresql" and not citus():
        return f"ORDER BY {column} OFFSET 0"
    return ""


def subquery(queryset: QuerySet[Any]) -> Sql:
    """``SELECT id`` over a queryset, to use as ``IN (...)``; its ordering dropped.

    A queryset that cannot match (``.none()``, as the jurisdiction scope returns for a user who
    may see nothing) has no SQL; it becomes a subquery with no rows.
    """
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return Sql("SELECT -1 WHERE 1 = 0")
    return Sql(sql, tuple(params))


def lock_community(community_id: int) -> None:
    """Serialise the writers of one community's derived rows (the standards' timelines, the
    stored deadline items) until the transaction ends: one lock per community, so writers of
    different communities never wait on each other, and both kinds of rows share it (a
    transaction holding it may take it again; no order between two locks to get wrong).
    PostgreSQL only: SQLite has one writer."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x5354_0000_0000 + community_id])


def read_date(value: Any) -> date | None:
    """A date column as a raw query reads it back: a date (PostgreSQL), ISO text (SQLite, for
    a computed or a plain date column), or NULL."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
