"""The monthly roll-ups (``models.MonthlyRollup``): per unit and month, the counts at the month's
last day and the services of the month, so that a trend of any unit is one indexed read.

Every figure comes from what already states the rule once:

- the status counts (DOMAIN §5: labor force, employed, registered unemployed, difficult
  persons…) are the standards' community timelines in force on the month's last day
  (``standards.aggregates``, kept by ``registry.definitions``);
- the zero-employment families are the zero-family cases open that day
  (``definitions.episode_open_sql``; urban ones by the household's hukou, CQ-2);
- the services are the service records dated in the month, by kind, counted for the person's
  community (as the standards' service days are).

Only communities' rows are stored: a unit above is the sum of its communities' rows, read in
one query, so two writers of two communities of a street never update the same row. The
roll-ups are built with the aggregates (``aggregates_rebuilt``) and then kept by
:func:`community_refresh`: a write that changes a community's timeline, zero-family cases or
service records recomputes that community's months from the first one it touches and adds the
*difference* to its rows (``monitoring.receivers``), inside the writer's transaction. Months
after the last built one (a new month began) are read live until the daily job extends them
(:func:`rollups_extend`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from jiuye.casework.models import ServiceRecord, ZeroFamilyCase
from jiuye.lib.sql import lock_community
from jiuye.monitoring.models import (
    ROLLUP_FIELDS,
    SERVICE_FIELDS,
    STOCK_FIELDS,
    MonthlyRollup,
    RollupState,
)
from jiuye.registry import definitions
from jiuye.registry.models import Household
from jiuye.standards import aggregates
from jiuye.standards.aggregates.tables import CT, as_date, sql_value, truncate, write_rows
from jiuye.standards.models import VECTOR_FIELDS, AggregateState
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit
from jiuye.units.sharding import citus, rows_of

RT = MonthlyRollup._meta.db_table
N = len(ROLLUP_FIELDS)
_VECTOR = len(VECTOR_FIELDS)
_ZERO_AT = _VECTOR  # zero_families, then zero_families_urban
_SERVICE_AT = len(STOCK_FIELDS)
_SERVICE_INDEX = {f.removeprefix("svc_"): _SERVICE_AT + i for i, f in enumerate(SERVICE_FIELDS)}
_COMMUNITY_LEVELS = tuple(str(level) for level in COMMUNITY_LEVELS)

Values = dict[tuple[int, date], list[int]]  # (community id, month) → ROLLUP_FIELDS

# What a write may change, so that a refresh recomputes only that part of a community's months.
STOCKS = "stocks"
ZERO = "zero"
SERVICES = "services"
ALL_PARTS = (STOCKS, ZERO, SERVICES)
_PART_SLICE = {
    STOCKS: slice(0, _VECTOR),
    ZERO: slice(_ZERO_AT, _SERVICE_AT),
    SERVICES: slice(_SERVICE_AT, N),
}


# --------------------------------------------------------------------------------------------
# Months
# --------------------------------------------------------------------------------------------


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def months_between(first: date, last: date) -> list[date]:
    months = []
    month = month_of(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def months_kept() -> int:
    return max(2, int(getattr(settings, "JIUYE_ROLLUP_MONTHS", 36)))


# --------------------------------------------------------------------------------------------
# Computing communities' months from the sources
# --------------------------------------------------------------------------------------------


def _months_cte(months: Sequence[date]) -> tuple[str, list[Any]]:
    rows = ", ".join(["(%s, %s)"] * len(months))
    params: list[Any] = []
    for month in months:
        params += [sql_value(month), sql_value(month_end(month))]
    if connection.vendor == "postgresql":
        rows = ", ".join(["(%s::date, %s::date)"] * len(months))
    return f"m(month, day) AS (VALUES {rows})", params


def _communities_where(alias: str, ids: Sequence[int] | None) -> tuple[str, list[Any]]:
    if ids is None:
        return "", []
    return f" AND {alias} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _stocks(months: Sequence[date], ids: Sequence[int] | None, into: Values) -> None:
    """The community timelines' counts in force on each month's last day."""
    cte, params = _months_cte(months)
    cols = ", ".join(f"t.{f}" for f in VECTOR_FIELDS)
    unit = Unit._meta.db_table
    # (Citus joins no LATERAL sub-query of a distributed table to the unit tree: the range.)
    if connection.vendor == "postgresql" and not citus():
        where, more = _communities_where("u.id", ids)
        more = [*_COMMUNITY_LEVELS, *more]
        sql = f"""WITH {cte}
            SELECT u.id, m.month, {cols} FROM {unit} u CROSS JOIN m
            CROSS JOIN LATERAL (
                SELECT * FROM {CT} c WHERE c.community_id = u.id AND c.valid_from <= m.day
                ORDER BY c.valid_from DESC LIMIT 1
            ) t
            WHERE u.level IN (%s, %s) AND (t.valid_until IS NULL OR t.valid_until > m.day){where}"""
    else:
        where, more = _communities_where("t.community_id", ids)
        sql = f"""WITH {cte}
            SELECT t.community_id, m.month, {cols} FROM {CT} t
            JOIN m ON t.valid_from <= m.day AND (t.valid_until IS NULL OR t.valid_until > m.day)
            WHERE 1 = 1{where}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *more])
        for community_id, month, *vector in cursor.fetchall():
            values = into.setdefault((community_id, as_date(month)), [0] * N)
            values[:_VECTOR] = [int(v) for v in vector]


def _zero_families(months: Sequence[date], ids: Sequence[int] | None, into: Values) -> None:
    """The zero-family cases open on each month's last day, all and urban (CQ-2)."""
    cte, params = _months_cte(months)
    open_sql = definitions.episode_open_sql("z", "m.day")
    urban = definitions.urban_sql("h.hukou_type")
    where, more = _communities_where("h.community_id", ids)
    sql = f"""WITH {cte}
        SELECT h.community_id, m.month, COUNT(*),
               SUM(CASE WHEN {urban.text} THEN 1 ELSE 0 END)
        FROM {ZeroFamilyCase._meta.db_table} z
        JOIN {Household._meta.db_table} h ON {rows_of("z", "household_id", "h")}
        JOIN m ON {open_sql.text}
        WHERE 1 = 1{where}
        GROUP BY h.community_id, m.month"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *urban.params, *open_sql.params, *more])
        for community_id, month, count, urban_count in cursor.fetchall():
            values = into.setdefault((community_id, as_date(month)), [0] * N)
            values[_ZERO_AT] = int(count)
            values[_ZERO_AT + 1] = int(urban_count or 0)


def _services(months: Sequence[date], ids: Sequence[int] | None, into: Values) -> None:
    """The service records dated in each month, by kind, for the person's community."""
    records = ServiceRecord.objects.filter(on__gte=months[0], on__lte=month_end(months[-1]))
    if ids is not None:
        records = records.filter(person__community_id__in=list(ids))
    rows = (
        records.order_by()
        .annotate(month=TruncMonth("on"))
        .values_list("person__community_id", "kind", "month")
        .annotate(n=Count("id"))
    )
    for community_id, kind, month, n in rows:
        index = _SERVICE_INDEX.get(kind)
        if index is None:
            continue
        key = (community_id, month if isinstance(month, date) else as_date(month))
        into.setdefault(key, [0] * N)[index] = int(n)


def community_values(
    months: Sequence[date], ids: Sequence[int] | None = None, parts: Iterable[str] = ALL_PARTS
) -> Values:
    """Every (community, month) with anything to count, over ``months`` (all communities, or
    ``ids``); only ``parts`` are filled."""
    found: Values = {}
    if not months:
        return found
    chosen = set(parts)
    if STOCKS in chosen:
        _stocks(months, ids, found)
    if ZERO in chosen:
        _zero_families(months, ids, found)
    if SERVICES in chosen:
        _services(months, ids, found)
    return found


# --------------------------------------------------------------------------------------------
# The unit tree
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Build, extend, refresh
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildSummary:
    first_month: date
    last_month: date
    units: int
    rows: int
    seconds: float


def _state() -> RollupState | None:
    return RollupState.objects.filter(pk=1).first()


def _aggregates_built_at() -> Any:
    return AggregateState.objects.filter(pk=1).values_list("built_at", flat=True).first()


def _write_months(months: Sequence[date]) -> tuple[int, int]:
    """Every community's rows of ``months`` (zeros included, so the upkeep finds a row to add
    to): the units above them are summed when read, so that writers of two communities of a
    street never update the same row (they would wait for each other's commit)."""
    communities = list(
        Unit.objects.filter(level__in=COMMUNITY_LEVELS).order_by("pk").values_list("pk", flat=True)
    )
    values = community_values(months)
    zero = [0] * N
    rows = (
        (community_id, month, *values.get((community_id, month), zero))
        for community_id in communities
        for month in months
    )
    return write_rows(RT, ("unit_id", "month", *ROLLUP_FIELDS), rows), len(communities)


@transaction.atomic
def rollups_build(*, through: date | None = None) -> BuildSummary:
    """Recompute every unit's months, the last ``JIUYE_ROLLUP_MONTHS`` up to ``through``'s
    (default: today's), from the aggregates, the zero-family cases and the service records."""
    started = time.perf_counter()
    last = month_of(through or timezone.localdate())
    first = add_months(last, 1 - months_kept())
    RollupState.objects.filter(pk=1).delete()
    truncate(RT)
    months = months_between(first, last)
    rows, units = _write_months(months)
    RollupState.objects.create(
        pk=1,
        built_at=timezone.now(),
        first_month=first,
        last_month=last,
        aggregates_built_at=_aggregates_built_at(),
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(RT)}")
    return BuildSummary(first, last, units, rows, time.perf_counter() - started)


@transaction.atomic
def rollups_extend(*, through: date) -> int:
    """Add the months after the last built one up to ``through``'s (a new month began); build
    everything when the roll-ups are not usable. Returns the months added."""
    state = RollupState.objects.select_for_update().filter(pk=1).first()
    if state is None or not rollups_fresh(state):
        summary = rollups_build(through=through)
        return len(months_between(summary.first_month, summary.last_month))
    last = month_of(through)
    if last <= state.last_month:
        return 0
    months = months_between(add_months(state.last_month, 1), last)
    _write_months(months)
    state.last_month = last
    state.save(update_fields=["last_month"])
    return len(months)


def rollups_fresh(state: RollupState | None = None) -> bool:
    """The roll-ups may be read: built from the aggregates as they are now (a full rebuild of
    those rebuilds these; a bulk load that made those stale makes these stale too)."""
    state = state if state is not None else _state()
    if state is None or not aggregates.aggregates_fresh():
        return False
    return bool(state.aggregates_built_at == _aggregates_built_at())


def community_refresh(
    community_id: int,
    since: date | None,
    parts: Iterable[str] = ALL_PARTS,
    state: RollupState | None = None,
) -> None:
    """Make one community's months from ``since``'s on equal to the sources, and add the
    difference to its rows (in the writer's transaction). A no-op before a build."""
    state = state or _state()
    if state is None:
        return
    first = state.first_month if since is None else max(state.first_month, month_of(since))
    if first > state.last_month:
        return
    months = months_between(first, state.last_month)
    chosen = tuple(parts)
    lock_community(community_id)
    new = community_values(months, [community_id], chosen)
    old = _stored(community_id, months)
    chain = [community_id]  # the units above sum it when read (no shared row to wait on)
    if len(old) < len(months):
        _ensure_rows(chain, months)
    runs: list[tuple[date, date, list[int]]] = []
    zero = [0] * N
    for month in months:
        after, before = new.get((community_id, month), zero), old.get(month, zero)
        delta = [0] * N
        for part in chosen:
            span = _PART_SLICE[part]
            delta[span] = [a - b for a, b in zip(after[span], before[span], strict=True)]
        if not any(delta):
            continue
        if runs and runs[-1][2] == delta and runs[-1][1] == add_months(month, -1):
            runs[-1] = (runs[-1][0], month, delta)
        else:
            runs.append((month, month, delta))
    _apply(chain, runs)


def _stored(community_id: int, months: Sequence[date]) -> dict[date, list[int]]:
    rows = MonthlyRollup.objects.filter(
        unit_id=community_id, month__gte=months[0], month__lte=months[-1]
    ).values_list("month", *ROLLUP_FIELDS)
    return {month: [int(v) for v in values] for month, *values in rows}


def _ensure_rows(chain: Sequence[int], months: Sequence[date]) -> None:
    """Rows for a unit created after the build (zeros, then the difference is added)."""
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {RT} (unit_id, month, {', '.join(ROLLUP_FIELDS)}) "
            f"VALUES (%s, %s, {', '.join(['0'] * N)}) ON CONFLICT (unit_id, month) DO NOTHING",
            [(unit_id, sql_value(month)) for unit_id in chain for month in months],
        )


def _apply(chain: Sequence[int], runs: Sequence[tuple[date, date, list[int]]]) -> None:
    """Add each run's difference to the chain's rows of its months (one statement a run)."""
    units = ", ".join(["%s"] * len(chain))
    with connection.cursor() as cursor:
        for first, last, delta in runs:
            changed = [(f, d) for f, d in zip(ROLLUP_FIELDS, delta, strict=True) if d]
            assignments = ", ".join(f"{f} = {f} + %s" for f, _d in changed)
            cursor.execute(
                f"UPDATE {RT} SET {assignments} "
                f"WHERE unit_id IN ({units}) AND month >= %s AND month <= %s",
                [*(d for _f, d in changed), *chain, sql_value(first), sql_value(last)],
            )


def communities_refresh(since: dict[int, date | None], parts: Iterable[str] = ALL_PARTS) -> None:
    """:func:`community_refresh` of each community (a no-op before a build)."""
    state = _state() if since else None
    if state is None:
        return
    for community_id in sorted(since):
        community_refresh(community_id, since[community_id], parts, state)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRow:
    month: date
    values: dict[str, int]
    live: bool = False  # computed from the sources (a month after the last built one)

    def __getitem__(self, key: str) -> int:
        return self.values[key]


def _summed_under(
    paths: Sequence[str], first: date, last: date
) -> list[tuple[str, date, list[int]]]:
    """The stored community rows of months ``first``..``last`` under any of ``paths``, each with
    its community's path (one indexed read: the units by path, their rows by unit and month)."""
    if not paths:
        return []
    unit = Unit._meta.db_table
    cols = ", ".join(f"r.{f}" for f in ROLLUP_FIELDS)
    under = " OR ".join(["u.path LIKE %s"] * len(paths))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.path, r.month, {cols} FROM {RT} r JOIN {unit} u ON u.id = r.unit_id "
            f"WHERE ({under}) AND r.month >= %s AND r.month <= %s",
            [*(p + "%" for p in paths), sql_value(first), sql_value(last)],
        )
        return [(row[0], as_date(row[1]), [int(v) for v in row[2:]]) for row in cursor.fetchall()]


def unit_months(*, unit: Unit, last: date, count: int = 24) -> list[MonthRow] | None:
    """``count`` months of ``unit`` up to ``last``'s: its communities' stored rows summed (one
    indexed read), and months after the last built one computed from the sources. None when
    the roll-ups are not usable (not built, or the aggregates are stale): the caller says so."""
    state = _state()
    if state is None or not rollups_fresh(state) or unit.level == Level.GRID:
        return None
    last_month = month_of(last)
    first = max(add_months(last_month, 1 - count), state.first_month)
    totals: dict[date, list[int]] = {}
    for _path, month, vector in _summed_under([unit.path], first, last_month):
        target = totals.setdefault(month, [0] * N)
        for i, v in enumerate(vector):
            target[i] += v
    wanted = months_between(first, last_month)
    rows = {
        month: MonthRow(month, dict(zip(ROLLUP_FIELDS, totals.get(month, [0] * N), strict=True)))
        for month in wanted
        if month <= state.last_month
    }
    missing = [m for m in wanted if m not in rows]
    if missing:
        rows.update(_live(unit, missing))
    return [rows[m] for m in wanted if m in rows]


def units_month(*, units: Sequence[Unit], month: date) -> dict[int, dict[str, int]] | None:
    """One month of several units (a ranking of child units): their communities' stored rows
    in one indexed read, summed per unit."""
    state = _state()
    if state is None or not rollups_fresh(state):
        return None
    month = month_of(month)
    wanted = [u for u in units if u.level != Level.GRID]
    if month > state.last_month or month < state.first_month:
        return _live_units(wanted, month) if wanted else {}
    totals = {u.pk: [0] * N for u in wanted}
    rows = _summed_under([u.path for u in wanted], month, month)
    for path, _month, vector in rows:
        for unit in wanted:
            if path.startswith(unit.path):
                target = totals[unit.pk]
                for i, v in enumerate(vector):
                    target[i] += v
    return {pk: dict(zip(ROLLUP_FIELDS, total, strict=True)) for pk, total in totals.items()}


def _live_units(units: Sequence[Unit], month: date) -> dict[int, dict[str, int]]:
    """One month of several units computed from the sources at once (a month after the last
    built one): their communities' values in one pass, summed per unit."""
    under = Q()
    for unit in units:
        under |= Q(path__startswith=unit.path)
    communities = dict(
        Unit.objects.filter(under, level__in=COMMUNITY_LEVELS).values_list("pk", "path")
    )
    totals = {unit.pk: [0] * N for unit in units}
    if communities:
        for (community, _month), vector in community_values([month], list(communities)).items():
            for unit in units:
                if communities[community].startswith(unit.path):
                    target = totals[unit.pk]
                    for i, v in enumerate(vector):
                        target[i] += v
    return {pk: dict(zip(ROLLUP_FIELDS, total, strict=True)) for pk, total in totals.items()}


def _live(unit: Unit, months: Sequence[date]) -> dict[date, MonthRow]:
    communities = list(
        Unit.objects.filter(path__startswith=unit.path, level__in=COMMUNITY_LEVELS).values_list(
            "pk", flat=True
        )
    )
    totals: dict[date, list[int]] = defaultdict(lambda: [0] * N)
    if communities:
        for (_community, month), vector in community_values(months, communities).items():
            target = totals[month]
            for i, v in enumerate(vector):
                target[i] += v
    return {
        month: MonthRow(month, dict(zip(ROLLUP_FIELDS, totals[month], strict=True)), live=True)
        for month in months
    }
