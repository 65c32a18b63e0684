"""The indicators of DOMAIN §5, one object each (:class:`~.base.Indicator`: definition, the
computation for every community under a root, the roll-up, the persons behind it), and the
fact sheet that computes those a rule set needs for every unit under a root at once.

Each module of this package holds one indicator or one tight family (its ``INDICATORS``); the
package finds them itself, so adding an indicator touches its module and the rule set that uses
it. :mod:`.base` holds the indicator object and the fact sheet, :mod:`.lists` and
:mod:`.worklist` what the lists behind them share.

The value of every indicator is computed for all communities under the root by one or a few
aggregated queries (the status-vector, service and survey ones read the incremental aggregates
when they are fresh); a street's or district's value is rolled up from its communities' in
memory.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from django.db import connection, connections

from jiuye.lib.workdays import WorkdayCalendarError
from jiuye.standards import aggregates
from jiuye.standards.indicators.base import (
    CHILD_LEVELS,
    COMMUNITY_LEVELS,
    BehindQuery,
    FactSheet,
    Indicator,
    Period,
    Row,
    communities_under,
    period_of,
)
from jiuye.standards.rules import Unavailable
from jiuye.units.models import Level, Unit


def _discover() -> dict[str, Indicator]:
    found: dict[str, Indicator] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        for item in getattr(loaded, "INDICATORS", ()):
            if item.id in found:
                raise ValueError(f"indicator {item.id} defined twice")
            found[item.id] = item
    return found


INDICATORS: dict[str, Indicator] = _discover()


def indicator(indicator_id: str) -> Indicator:
    try:
        return INDICATORS[indicator_id]
    except KeyError:
        raise KeyError(f"unknown indicator: {indicator_id}") from None


def _source(source: str) -> str:
    if source == "auto":
        return "aggregates" if aggregates.aggregates_fresh() else "direct"
    if source == "aggregates":
        freshness = aggregates.aggregates_freshness()
        if not freshness.fresh:
            raise RuntimeError(f"aggregates are stale: {freshness.reason}")
        return source
    if source == "direct":
        return source
    raise ValueError(f"unknown source {source!r}")


def fact_sheet(
    *,
    root: Unit | None,
    on: date,
    start: date | None = None,
    ruleset: str = "",
    indicators: Iterable[str] | None = None,
    source: str = "auto",
    parallel: bool = False,
) -> FactSheet:
    """Compute ``indicators`` (default: all) for every community under ``root`` (None: every
    community) at ``on`` over
    the period from ``start`` (default: January 1st). ``source``: ``aggregates`` (fail if they
    are stale), ``direct`` (from scratch), or ``auto`` (aggregates when fresh). ``parallel``:
    on :data:`CONNECTIONS` connections at once, for work in the background (a command, a task)
    over a large root, never for a page, whose users share the cores. An indicator
    that needs working days outside the years the holiday calendar knows is
    :class:`~jiuye.standards.rules.Unavailable` (with the years), the others are computed."""
    period = period_of(on, start)
    keys = list(dict.fromkeys(indicators if indicators is not None else INDICATORS))
    unknown = set(keys) - set(INDICATORS)
    if unknown:
        raise KeyError(f"unknown indicators: {sorted(unknown)}")
    under = Unit.objects.all() if root is None else Unit.objects.filter(path__startswith=root.path)
    units = {
        u.pk: u
        for u in under.exclude(level=Level.GRID).only(
            "pk", "code", "name", "level", "parent_id", "path"
        )
    }
    sheet = FactSheet(
        root=root,
        period=period,
        ruleset=ruleset,
        source=_source(source),
        units=units,
        indicators={key: INDICATORS[key] for key in keys},
    )
    if parallel and _may_share_out():
        with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
            for done in [pool.submit(_compute_apart, sheet, key) for key in sheet.indicators]:
                done.result()  # an indicator's error is raised here, as it would be in turn
    else:
        for key in sheet.indicators:
            _compute(sheet, key)
    return sheet


# ``fact_sheet(parallel=True)`` computes on this many connections at once: a large root's
# queries each read hundreds of thousands of rows one by one, and the machine class has two
# cores (the 10M city's QG-2016, every unit: 4.6 s on one connection, 3.3 s on two).
CONNECTIONS = 2


def _may_share_out() -> bool:
    """May indicators be computed on other connections? On PostgreSQL, and only outside a
    transaction: another connection would not see its uncommitted rows. (The queries read with
    a snapshot each either way, as they do in turn.)"""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _compute(sheet: FactSheet, key: str) -> None:
    try:
        sheet.parts[key] = sheet.indicators[key].compute(sheet)
    except WorkdayCalendarError as error:
        sheet.parts[key] = None
        sheet.unavailable[key] = Unavailable(error.years)


def _compute_apart(sheet: FactSheet, key: str) -> None:
    """:func:`_compute` on a worker thread, which has a connection of its own: closed after."""
    try:
        _compute(sheet, key)
    finally:
        connections.close_all()  # this thread's only


__all__ = [
    "CHILD_LEVELS",
    "COMMUNITY_LEVELS",
    "INDICATORS",
    "BehindQuery",
    "FactSheet",
    "Indicator",
    "Period",
    "Row",
    "communities_under",
    "fact_sheet",
    "indicator",
    "period_of",
]
