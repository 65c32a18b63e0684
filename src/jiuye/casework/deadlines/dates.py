"""The deadlines' pure date logic (no database): when each rule falls due and an item's state.

Working days come from :mod:`jiuye.lib.workdays`; a date outside the years the holiday calendar
knows raises :class:`~jiuye.lib.workdays.WorkdayCalendarError`. The CQ-2 due date and the CQ-5
anniversary are rules of the registry (``definitions.zero_family_due``,
``definitions.long_term_from``); the rules here are casework's own deadlines and readings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache

from jiuye.casework.deadlines.items import CalendarGaps, State
from jiuye.lib import workdays
from jiuye.lib.retirement import add_months

SOON_WORKDAYS = 5  # the worklist shows what falls due within the next 5 working days
GUIDANCE_WORKDAYS = 3  # CQ-4
PLACEMENT_WORKDAYS = 2  # 004
VISIT_MONTHS = 1  # QG-6 visit, our reading
REFERRALS_NEEDED = 2  # QG-3
REFERRAL_MONTHS = 2  # QG-3, our reading

_add_workdays = lru_cache(maxsize=8192)(workdays.add_workdays)


def clear_cache() -> None:
    """Forget the working-day sums computed so far (after the holiday calendar changed)."""
    _add_workdays.cache_clear()


def horizon(on: date) -> date:
    """The last day that counts as "due soon" at ``on``: the 5th working day after it."""
    return _add_workdays(on, SOON_WORKDAYS)


def soon_horizon(on: date, gaps: CalendarGaps) -> date:
    """:func:`horizon`, or, when it needs a year the holiday calendar does not know (recorded
    in ``gaps``), the 5th day after ``on``: the 5th working day is never earlier, so what is
    due by then is certainly due soon."""
    try:
        return horizon(on)
    except workdays.WorkdayCalendarError as error:
        gaps.add(error)
        return on + timedelta(days=SOON_WORKDAYS)


def classify(*, due: date, done_on: date | None, on: date, soon_until: date) -> State:
    """State at ``on`` of something due by ``due`` (inclusive) and done on ``done_on``."""
    if done_on is not None and done_on <= on:
        return State.MET if done_on <= due else State.LATE
    if on > due:
        return State.OVERDUE
    return State.DUE_SOON if due <= soon_until else State.PENDING


def guidance_due(registered_on: date) -> date:
    """CQ-4: the 3rd working day after the registration day (which is not counted)."""
    return _add_workdays(registered_on, GUIDANCE_WORKDAYS)


def guidance_on_time(registered_on: date, guided_on: date) -> bool:
    """CQ-4: guidance on the registration day or up to its 3rd working day after."""
    return registered_on <= guided_on <= guidance_due(registered_on)


def visit_due(registered_on: date, period_start: date) -> date:
    """QG-6 (our reading): a visit within a month of the registration or the period's start."""
    return add_months(max(registered_on, period_start), VISIT_MONTHS)


def referral_due(registered_on: date, period_start: date) -> date:
    """QG-3 (our reading): the 2nd referral within two months of registration or period start."""
    return add_months(max(registered_on, period_start), REFERRAL_MONTHS)


def placement_due(committed_on: date) -> date:
    """004 (AS-1): placed by the 2nd working day after the commitment."""
    return _add_workdays(committed_on, PLACEMENT_WORKDAYS)


def quarters_between(start: date, end: date) -> list[tuple[int, int]]:
    """The (year, quarter) pairs that intersect [start, end], in order."""
    quarters = []
    year, q = workdays.quarter_of(start)
    while workdays.quarter_bounds(year, q)[0] <= end:
        quarters.append((year, q))
        year, q = (year, q + 1) if q < 4 else (year + 1, 1)
    return quarters


def first_on_or_after(days: Sequence[date], start: date, before: date | None = None) -> date | None:
    """The first of the sorted ``days`` in [start, before)."""
    for day in days:
        if day >= start and (before is None or day < before):
            return day
    return None


def period_start_of(on: date, period_start: date | None) -> date:
    """The assessment period's first day (DOMAIN §5; default: 1 January of ``on``'s year)."""
    return period_start or date(on.year, 1, 1)
