"""The aggregate tables and the low-level helpers their writers and readers share: table names,
values for SQLite, appending rows, ``IN`` lists, per-community locks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, cast

from django.db import connection

from jiuye.lib.sql import read_date
from jiuye.standards.models import (
    VECTOR_FIELDS,
    CommunityTimeline,
    HouseholdTimeline,
    ServiceDay,
    SurveyFact,
)

HT = HouseholdTimeline._meta.db_table
CT = CommunityTimeline._meta.db_table
SD = ServiceDay._meta.db_table
SF = SurveyFact._meta.db_table
HT_COLUMNS = (
    "household_id",
    "community_id",
    "district_id",
    "valid_from",
    "valid_until",
    *VECTOR_FIELDS,
)
CT_COLUMNS = ("community_id", "district_id", "valid_from", "valid_until", *VECTOR_FIELDS)
SF_COLUMNS = (
    "record_id",
    "person_id",
    "community_id",
    "district_id",
    "day",
    "satisfied",
    "unemployed_until",
)

CHUNK = 500  # ids a statement on SQLite (its parameter limit)


def sql_value(value: Any) -> Any:
    """A date as SQLite compares it (ISO text); anything else as it is."""
    if connection.vendor == "sqlite" and isinstance(value, date):
        return value.isoformat()
    return value


def as_date(value: Any) -> date:
    return cast(date, read_date(value))  # never NULL here


def in_ids(column: str, values: Sequence[int]) -> tuple[str, list[Any]]:
    """``column`` among ``values``: one array parameter on PostgreSQL (planned with index
    probes however long), an IN list elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def write_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Append rows: COPY on PostgreSQL, ``executemany`` elsewhere."""
    count = 0
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(sql_value(v) for v in row))
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def truncate(*tables: str) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {qn(table)}")
            else:
                cursor.execute(f"DELETE FROM {qn(table)}")
