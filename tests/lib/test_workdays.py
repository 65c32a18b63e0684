"""Working days against the installed chinesecalendar data (2026 notice: 国办发明电〔2025〕7号).

2026 as the package has it: New Year 1–3 Jan (Sun 4 Jan worked); Spring Festival 15–23 Feb
(Sat 14 Feb and Sat 28 Feb worked); Labour Day 1–5 May (Sat 9 May worked); Dragon Boat 19–21 Jun;
Mid-autumn 25–27 Sep (Sun 20 Sep worked); National Day 1–7 Oct (Sat 10 Oct worked).
"""

from __future__ import annotations

from datetime import date

import pytest

from jiuye.lib import workdays
from jiuye.lib.workdays import WorkdayCalendarError


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 4, 30), True),  # Thursday before May Day
        (date(2026, 5, 1), False),
        (date(2026, 5, 2), False),
        (date(2026, 5, 3), False),
        (date(2026, 5, 4), False),  # Monday, holiday
        (date(2026, 5, 5), False),  # Tuesday, holiday
        (date(2026, 5, 6), True),
        (date(2026, 5, 8), True),
        (date(2026, 5, 9), True),  # Saturday, make-up workday
        (date(2026, 5, 10), False),  # ordinary Sunday
        (date(2026, 5, 16), False),  # ordinary Saturday
        (date(2026, 1, 2), False),  # Friday, New Year
        (date(2026, 1, 4), True),  # Sunday, make-up workday
        (date(2026, 2, 13), True),
        (date(2026, 2, 14), True),  # Saturday, make-up workday
        (date(2026, 2, 15), False),  # Spring Festival 15–23 Feb
        (date(2026, 2, 17), False),  # 春节 (正月初一)
        (date(2026, 2, 23), False),  # Monday, last holiday
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, make-up workday
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday, make-up workday
        (date(2025, 1, 26), True),  # Sunday, make-up for Spring Festival 2025
        (date(2025, 5, 5), False),
    ],
)
def test_is_workday(day: date, working: bool) -> None:
    assert workdays.is_workday(day) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 4, 30), 1, date(2026, 5, 6)),
        (date(2026, 4, 30), 3, date(2026, 5, 8)),  # registration before May Day
        (date(2026, 5, 7), 1, date(2026, 5, 8)),
        (date(2026, 5, 7), 2, date(2026, 5, 9)),  # the make-up Saturday counts
        (date(2026, 5, 7), 3, date(2026, 5, 11)),
        (date(2026, 5, 1), 1, date(2026, 5, 6)),  # start on a holiday
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 13), 2, date(2026, 2, 24)),  # across Spring Festival
        (date(2026, 2, 13), 3, date(2026, 2, 25)),
        (date(2026, 2, 27), 1, date(2026, 2, 28)),
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # ordinary Friday → Monday
        (date(2026, 3, 6), 0, date(2026, 3, 6)),
        (date(2026, 5, 2), 0, date(2026, 5, 2)),  # n = 0 returns start even on a holiday
    ],
)
def test_add_workdays(start: date, n: int, expected: date) -> None:
    assert workdays.add_workdays(start, n) == expected


def test_add_workdays_rejects_negative() -> None:
    with pytest.raises(ValueError, match="n must be >= 0"):
        workdays.add_workdays(date(2026, 5, 7), -1)


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (date(2026, 4, 30), date(2026, 5, 8), 3),
        (date(2026, 5, 7), date(2026, 5, 11), 3),
        (date(2026, 5, 7), date(2026, 5, 12), 4),
        (date(2026, 2, 13), date(2026, 2, 28), 6),  # 14, 24, 25, 26, 27, 28
        (date(2026, 5, 7), date(2026, 5, 7), 0),
        (date(2026, 5, 7), date(2026, 5, 1), 0),  # end before start
        # The whole of 2026 except 1 Jan: 365 days - 104 weekend days - 13 statutory holidays
        # (since 2025) = 248, and 1 Jan is one of the 13, so (1 Jan, 31 Dec] still holds 248.
        (date(2026, 1, 1), date(2026, 12, 31), 248),
    ],
)
def test_workdays_between(start: date, end: date, count: int) -> None:
    assert workdays.workdays_between(start, end) == count


@pytest.mark.parametrize(
    ("registered", "guided", "on_time"),
    [
        (date(2026, 4, 30), date(2026, 4, 30), True),  # same day
        (date(2026, 4, 30), date(2026, 5, 8), True),  # third working day after
        (date(2026, 4, 30), date(2026, 5, 9), False),
        (date(2026, 5, 7), date(2026, 5, 11), True),
        (date(2026, 5, 7), date(2026, 5, 12), False),
        (date(2026, 2, 12), date(2026, 2, 24), True),  # 13, 14, 24
        (date(2026, 2, 12), date(2026, 2, 25), False),
    ],
)
def test_guidance_within_3_working_days(registered: date, guided: date, on_time: bool) -> None:
    """CQ-4: the registration day is not counted; on or before the 3rd working day is on time."""
    due = workdays.add_workdays(registered, 3)
    assert (guided <= due) is on_time
    assert (workdays.workdays_between(registered, guided) <= 3) is on_time


def test_supported_years_cover_2026() -> None:
    first, last = workdays.supported_years()
    assert first <= 2025 and last >= 2026


def _unsupported_days() -> list[date]:
    first, last = workdays.supported_years()
    return [date(first - 1, 12, 31), date(last + 1, 1, 4), date(1999, 10, 1)]


@pytest.mark.parametrize("day", _unsupported_days())
def test_unsupported_year_raises(day: date) -> None:
    first, last = workdays.supported_years()
    with pytest.raises(WorkdayCalendarError) as info:
        workdays.is_workday(day)
    message = str(info.value)
    assert str(day.year) in message and f"{first}" in message and f"{last}" in message
    assert isinstance(info.value, ValueError)


def test_counting_into_an_unsupported_year_raises() -> None:
    last = workdays.supported_years()[1]
    with pytest.raises(WorkdayCalendarError):
        workdays.add_workdays(date(last, 12, 30), 5)
    with pytest.raises(WorkdayCalendarError):
        workdays.workdays_between(date(last, 12, 30), date(last + 1, 1, 10))


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2026, 1, 1), (2026, 1)),
        (date(2026, 3, 31), (2026, 1)),
        (date(2026, 4, 1), (2026, 2)),
        (date(2026, 6, 30), (2026, 2)),
        (date(2026, 7, 1), (2026, 3)),
        (date(2026, 9, 30), (2026, 3)),
        (date(2026, 10, 1), (2026, 4)),
        (date(2026, 12, 31), (2026, 4)),
    ],
)
def test_quarter_of(day: date, quarter: tuple[int, int]) -> None:
    assert workdays.quarter_of(day) == quarter


@pytest.mark.parametrize(
    ("year", "q", "first", "last"),
    [
        (2026, 1, date(2026, 1, 1), date(2026, 3, 31)),
        (2026, 2, date(2026, 4, 1), date(2026, 6, 30)),
        (2026, 3, date(2026, 7, 1), date(2026, 9, 30)),
        (2026, 4, date(2026, 10, 1), date(2026, 12, 31)),
        (2028, 1, date(2028, 1, 1), date(2028, 3, 31)),
    ],
)
def test_quarter_bounds(year: int, q: int, first: date, last: date) -> None:
    assert workdays.quarter_bounds(year, q) == (first, last)
    assert workdays.quarter_of(first) == workdays.quarter_of(last) == (year, q)


@pytest.mark.parametrize("q", [0, 5, -1])
def test_quarter_bounds_rejects_bad_quarter(q: int) -> None:
    with pytest.raises(ValueError, match="quarter must be 1-4"):
        workdays.quarter_bounds(2026, q)


@pytest.mark.parametrize(
    ("emerged", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (date(2026, 1, 30), date(2026, 2, 28)),
        (date(2026, 1, 28), date(2026, 2, 28)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 5, 7), date(2026, 6, 7)),
        (date(2026, 12, 15), date(2027, 1, 15)),  # pure date arithmetic: no calendar data
        (date(2026, 12, 31), date(2027, 1, 31)),
    ],
)
def test_month_deadline(emerged: date, due: date) -> None:
    assert workdays.month_deadline(emerged) == due
