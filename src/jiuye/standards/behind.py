"""The persons, households, records or units behind an indicator (DOMAIN §5: "with the people
or households behind them"): who is not employed, which families are zero and since when, whose
guidance was late… Each indicator lists its own (``Indicator.behind``); this caps the list.

Every list is read through the user's jurisdiction, so a user sees only their own people, and
it fails closed: no user, no rows. Lists are capped at :data:`LIMIT` rows; ``total`` says how
many there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jiuye.accounts.models import User
from jiuye.standards.indicators import INDICATORS, BehindQuery, Period, Row
from jiuye.standards.rules import Unavailable
from jiuye.units.models import Unit

LIMIT = 500


@dataclass
class Behind:
    indicator: str
    title: str
    rows: list[Row] = field(default_factory=list)
    total: int = 0
    # Rows left out because they need a year without a holiday calendar (None: none).
    unavailable: Unavailable | None = None

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def behind(
    *, indicator: str, unit: Unit, period: Period, user: User | None, ruleset: str = ""
) -> Behind:
    """What lies behind ``indicator`` for ``unit`` over ``period``, as ``user`` may see it."""
    found = INDICATORS[indicator]
    result = Behind(indicator, str(found.label))
    if user is None:
        return result
    query = BehindQuery(unit=unit, period=period, user=user, ruleset=ruleset)
    rows = found.behind(query)
    if query.missing_years:
        result.unavailable = Unavailable(tuple(sorted(query.missing_years)))
    result.total = len(rows)
    result.rows = rows[:LIMIT]
    return result


__all__ = ["LIMIT", "Behind", "Row", "behind"]
