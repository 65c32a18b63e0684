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
from datetime import date

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
) -> FactSheet:
    """Compute ``indicators`` (default: all) for every community under ``root`` (None: every
    community) at ``on`` over
    the period from ``start`` (default: January 1st). ``source``: ``aggregates`` (fail if they
    are stale), ``direct`` (from scratch), or ``auto`` (aggregates when fresh). An indicator
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
    for key, item in sheet.indicators.items():
        try:
            sheet.parts[key] = item.compute(sheet)
        except WorkdayCalendarError as error:
            sheet.parts[key] = None
            sheet.unavailable[key] = Unavailable(error.years)
    return sheet


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
