"""Chinese working days (statutory holidays and make-up workdays) and calendar periods.

Deadlines such as "guidance within 3 working days of an unemployment registration" (CQ-4) count
working days as the State Council publishes them each year: a weekday can be a holiday and a
Saturday or Sunday can be a make-up workday (调休上班). The ``chinesecalendar`` package carries
those notices. It only knows the years already published, so a date outside them raises
:class:`WorkdayCalendarError` instead of guessing from weekdays: a guessed deadline would be
silently wrong around every holiday. Upgrade ``chinesecalendar`` when a new year is published.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
from chinese_calendar.constants import holidays as _HOLIDAYS

from jiuye.lib.retirement import add_months

_ONE_DAY = timedelta(days=1)


class WorkdayCalendarError(ValueError):
    """The holiday calendar has no data for the requested date's year."""


def supported_years() -> tuple[int, int]:
    """The first and last year (inclusive) the installed ``chinesecalendar`` has data for."""
    years = [day.year for day in _HOLIDAYS]
    return min(years), max(years)


def _unsupported(day: date) -> WorkdayCalendarError:
    first, last = supported_years()
    return WorkdayCalendarError(
        f"节假日数据不含{day.year}年（{day.isoformat()}），仅支持{first}—{last}年；"
        f"no holiday data for {day.year}, supported years are {first}-{last}"
    )


def is_workday(d: date) -> bool:
    """Whether ``d`` is a working day in mainland China (holidays and make-up days applied)."""
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:  # chinese_calendar's signal for a year it has no data for
        raise _unsupported(d) from None


def add_workdays(start: date, n: int) -> date:
    """The ``n``-th working day after ``start``; ``start`` itself is never counted.

    A registration on 2026-04-30 plus 3 working days is 2026-05-08 (1–5 May are holidays).
    ``n == 0`` returns ``start`` unchanged; a negative ``n`` is a programming error.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    day = start
    remaining = n
    while remaining:
        day += _ONE_DAY
        if is_workday(day):
            remaining -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days in the half-open span (start, end]; 0 when ``end`` is not after ``start``.

    "Done within k working days of X" is on time exactly when ``workdays_between(X, done) <= k``.
    """
    count = 0
    day = start + _ONE_DAY
    while day <= end:
        if is_workday(day):
            count += 1
        day += _ONE_DAY
    return count


def quarter_of(d: date) -> tuple[int, int]:
    """(year, quarter 1–4) of ``d``: the period of "contacted at least once a quarter" (QG-6)."""
    return d.year, (d.month - 1) // 3 + 1


def quarter_bounds(year: int, q: int) -> tuple[date, date]:
    """First and last day (both inclusive) of quarter ``q`` of ``year``."""
    if q not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, got {q}")
    first = date(year, 3 * q - 2, 1)
    return first, add_months(first, 3) - _ONE_DAY


def month_deadline(d: date) -> date:
    """Due date of "within one month" (CQ-2): the same day number next month, or its last day.

    01-31 → 02-28 (02-29 in a leap year); 03-31 → 04-30; 12-15 → next year's 01-15.
    """
    return add_months(d, 1)
