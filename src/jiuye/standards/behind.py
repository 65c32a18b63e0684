"""The persons, households, records or units behind an indicator (DOMAIN §5: "with the people
or households behind them"): who is not employed, which families are zero and since when, whose
guidance was late… Each indicator lists its own (``Indicator.behind``: a listing, counted and
paged in the database); this reads one page of it.

Every list is read through the user's jurisdiction, so a user sees only their own people, and
it fails closed: no user, no rows. A page holds :data:`PAGE_SIZE` rows; ``total`` says how many
there are, counted up to :data:`COUNT_CAP` (beyond it the list says "more than", ``capped``):
counting a district's whole list costs as much as reading it, and nobody pages that far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jiuye.accounts.models import User
from jiuye.standards.indicators import INDICATORS, BehindQuery, Period, Row
from jiuye.standards.indicators.base import NOTHING, Listing
from jiuye.standards.rules import Unavailable
from jiuye.units.models import Unit

PAGE_SIZE = 50
COUNT_CAP = 10_000


@dataclass
class Behind:
    """One page of what lies behind an indicator: ``rows`` from ``offset`` (at most ``limit``)
    of ``total`` (at most :data:`COUNT_CAP`; ``capped``: there are more)."""

    indicator: str
    title: str
    rows: list[Row] = field(default_factory=list)
    total: int = 0
    capped: bool = False
    offset: int = 0
    limit: int = PAGE_SIZE
    # Rows left out because they need a year without a holiday calendar (None: none).
    unavailable: Unavailable | None = None

    @property
    def truncated(self) -> bool:
        """More rows than this page shows."""
        return self.capped or self.total > len(self.rows)

    # The page's place among the pages (for the page's links).
    @property
    def number(self) -> int:
        return self.offset // self.limit + 1

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def listing(
    *, indicator: str, unit: Unit, period: Period, user: User | None, ruleset: str = ""
) -> tuple[Listing, BehindQuery | None]:
    """The whole listing behind ``indicator`` as ``user`` may see it (none without a user),
    with the query it was asked with (whose ``missing_years`` it fills as it is read)."""
    if user is None:
        return NOTHING, None
    query = BehindQuery(unit=unit, period=period, user=user, ruleset=ruleset)
    return INDICATORS[indicator].behind(query), query


def behind(
    *,
    indicator: str,
    unit: Unit,
    period: Period,
    user: User | None,
    ruleset: str = "",
    offset: int = 0,
    limit: int | None = None,
    page: int | None = None,
) -> Behind:
    """What lies behind ``indicator`` for ``unit`` over ``period``, as ``user`` may see it:
    ``limit`` rows (default :data:`PAGE_SIZE`) from ``offset``, or page ``page`` (from 1; a
    page past the end is the last one)."""
    limit = limit or PAGE_SIZE
    found = INDICATORS[indicator]
    result = Behind(indicator, str(found.label), limit=limit)
    rows, query = listing(indicator=indicator, unit=unit, period=period, user=user, ruleset=ruleset)
    if page is not None:
        offset = (max(page, 1) - 1) * limit
    result.rows = rows.rows(offset, limit)
    if offset == 0 and len(result.rows) < limit:
        result.total = len(result.rows)  # all of it on the first page: no count needed
    else:
        counted = rows.count(cap=COUNT_CAP)
        result.total, result.capped = min(counted, COUNT_CAP), counted > COUNT_CAP
        if page is not None and offset >= max(result.total, 1):
            offset = (result.num_pages - 1) * limit  # past the end (or the cap): the last page
            result.rows = rows.rows(offset, limit)
    result.offset = offset
    if query is not None and query.missing_years:
        result.unavailable = Unavailable(tuple(sorted(query.missing_years)))
    return result


__all__ = ["COUNT_CAP", "PAGE_SIZE", "Behind", "Row", "behind", "listing"]
