"""Reading the aggregates for every community under a unit (``path``) at once: the status
counts at a date, the service counts and the satisfaction surveys of a period. Only read when
``state.aggregates_fresh()``; the indicators compute the same numbers from the registry
otherwise."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection

from jiuye.standards.aggregates.records import SERVICE_COLUMNS
from jiuye.standards.aggregates.tables import CT, SD, SF, sql_value
from jiuye.standards.models import VECTOR_FIELDS
from jiuye.units.models import Level, Unit
from jiuye.units.sharding import citus

_UNIT = Unit._meta.db_table
_COMMUNITY_LEVELS = (str(Level.COMMUNITY), str(Level.VILLAGE))


def _under(column: str, path: str | None) -> tuple[str, list[Any]]:
    if not path:
        return "", []
    return f" AND {column} IN (SELECT id FROM {_UNIT} WHERE path LIKE %s)", [path + "%"]


def community_vectors(*, on: date, path: str | None = None) -> dict[int, dict[str, int]]:
    """Every community's counts at ``on`` (those under ``path`` when given), from the community
    timelines: PostgreSQL looks up each community's row in force with one index probe (LATERAL);
    elsewhere the rows in force are filtered by their date range."""
    cols = ", ".join(f"t.{f}" for f in VECTOR_FIELDS)
    unit_where = "u.level IN (%s, %s)"
    unit_params: list[Any] = list(_COMMUNITY_LEVELS)
    if path:
        unit_where += " AND u.path LIKE %s"
        unit_params.append(path + "%")
    # (Citus joins no LATERAL sub-query of a distributed table to the unit tree: the range.)
    if connection.vendor == "postgresql" and not citus():
        sql = f"""
        SELECT u.id, {cols} FROM {_UNIT} u
        CROSS JOIN LATERAL (
            SELECT * FROM {CT} c
            WHERE c.community_id = u.id AND c.valid_from <= %s
            ORDER BY c.valid_from DESC LIMIT 1
        ) t
        WHERE {unit_where}"""
        params = [on, *unit_params]
    else:
        sql = f"""
        SELECT u.id, {cols} FROM {_UNIT} u
        JOIN {CT} t ON t.community_id = u.id
        WHERE t.valid_from <= %s AND (t.valid_until IS NULL OR t.valid_until > %s)
          AND {unit_where}"""
        params = [sql_value(on), sql_value(on), *unit_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            row[0]: dict(zip(VECTOR_FIELDS, (int(v) for v in row[1:]), strict=True))
            for row in cursor.fetchall()
        }


def service_counts(*, start: date, end: date, path: str | None = None) -> dict[int, dict[str, int]]:
    """Per community: trainings, three-mode trainings and valid complaints dated in
    [start, end]."""
    sums = ", ".join(f"SUM(s.{c})" for c in SERVICE_COLUMNS)
    under, params = _under("s.community_id", path)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.community_id, {sums} FROM {SD} s WHERE s.day >= %s AND s.day <= %s"
            f"{under} GROUP BY s.community_id",
            [sql_value(start), sql_value(end), *params],
        )
        return {
            row[0]: dict(zip(SERVICE_COLUMNS, (int(v or 0) for v in row[1:]), strict=True))
            for row in cursor.fetchall()
        }


def survey_counts(*, start: date, end: date, path: str | None = None) -> dict[int, tuple[int, int]]:
    """Per community: (satisfied, surveys) among the surveys ``satisfaction_rate`` counts over
    [start, end]: dated in it and answered by a person unemployed on some day of
    [start, survey day] (``models.SurveyFact``)."""
    under, params = _under("f.community_id", path)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT f.community_id, SUM(CASE WHEN f.satisfied THEN 1 ELSE 0 END), COUNT(*)
                FROM {SF} f
                WHERE f.day >= %s AND f.day <= %s
                  AND (f.unemployed_until IS NULL OR f.unemployed_until > %s){under}
                GROUP BY f.community_id""",
            [sql_value(start), sql_value(end), sql_value(start), *params],
        )
        return {row[0]: (int(row[1] or 0), int(row[2])) for row in cursor.fetchall()}
