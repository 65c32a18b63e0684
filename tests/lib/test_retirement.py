"""Retirement ages against the annex tables of 全国人大常委会关于实施渐进式延迟法定退休年龄的决定
(2024): one month added per 4 birth months for men (base 60, up to 63) and women on the 55 base
(up to 58), per 2 birth months for women on the 50 base (up to 55), starting with the first
group (born 1965-01 / 1970-01 / 1975-01 gain one month already).
"""

from __future__ import annotations

from datetime import date

import pytest

from jiuye.lib import retirement
from jiuye.lib.idcard import Sex
from jiuye.lib.retirement import COHORTS, RetirementBase

M60, F55, F50 = RetirementBase.MALE_60, RetirementBase.FEMALE_55, RetirementBase.FEMALE_50


def _working_age(birth: date, sex: Sex, on: date) -> bool:
    """The registry's working-age rule over the dates this module derives."""
    from jiuye.registry.definitions import is_working_age

    return is_working_age(
        work_from=retirement.working_age_from(birth),
        retire_on=retirement.retirement_date(birth, sex),
        on=on,
    )


def age(years: int, months: int = 0) -> int:
    return years * 12 + months


@pytest.mark.parametrize(
    ("base", "born", "expected"),
    [
        # Men, base 60 (annex table 1).
        (M60, (1964, 12), age(60)),
        (M60, (1965, 1), age(60, 1)),
        (M60, (1965, 4), age(60, 1)),
        (M60, (1965, 5), age(60, 2)),
        (M60, (1965, 8), age(60, 2)),
        (M60, (1965, 9), age(60, 3)),
        (M60, (1966, 1), age(60, 4)),
        (M60, (1966, 3), age(60, 4)),
        (M60, (1970, 1), age(61, 4)),
        (M60, (1976, 8), age(62, 11)),
        (M60, (1976, 9), age(63)),
        (M60, (1976, 12), age(63)),
        (M60, (1990, 6), age(63)),
        # Women, base 55 (annex table 2): same step, same cap in months.
        (F55, (1969, 12), age(55)),
        (F55, (1970, 1), age(55, 1)),
        (F55, (1970, 4), age(55, 1)),
        (F55, (1970, 5), age(55, 2)),
        (F55, (1975, 1), age(56, 4)),
        (F55, (1981, 8), age(57, 11)),
        (F55, (1981, 9), age(58)),
        (F55, (1995, 1), age(58)),
        # Women, base 50 (annex table 3): one month per 2 birth months, cap 60 months.
        (F50, (1974, 12), age(50)),
        (F50, (1975, 1), age(50, 1)),
        (F50, (1975, 2), age(50, 1)),
        (F50, (1975, 3), age(50, 2)),
        (F50, (1980, 1), age(52, 7)),
        (F50, (1984, 10), age(54, 11)),
        (F50, (1984, 11), age(55)),
        (F50, (1984, 12), age(55)),
        (F50, (2000, 1), age(55)),
    ],
)
def test_published_cohort_boundaries(
    base: RetirementBase, born: tuple[int, int], expected: int
) -> None:
    for day in (1, 15, 28):  # only the birth month matters
        assert retirement.retirement_age_months(date(*born, day), base) == expected


@pytest.mark.parametrize(
    ("base", "cap_from"), [(M60, (1976, 9)), (F55, (1981, 9)), (F50, (1984, 11))]
)
def test_each_table_rises_one_month_at_a_time_to_its_cap(
    base: RetirementBase, cap_from: tuple[int, int]
) -> None:
    """Walk every birth month 1955–1995: never falls, never jumps, reaches the cap exactly once."""
    cohort = COHORTS[base]
    previous = None
    for index in range(1955 * 12, 1996 * 12):
        born = date(index // 12, index % 12 + 1, 1)
        months = retirement.retirement_age_months(born, base)
        if previous is not None:
            assert months - previous in (0, 1)
        first_capped = (born.year, born.month) == cap_from
        assert (months == cohort.base_years * 12 + cohort.max_added_months) == (
            (born.year, born.month) >= cap_from
        ), born
        if first_capped:
            assert previous == months - 1
        previous = months


@pytest.mark.parametrize(
    ("birth", "sex", "female_base", "retires"),
    [
        (date(1964, 12, 20), Sex.MALE, None, date(2024, 12, 20)),
        (date(1965, 1, 10), Sex.MALE, None, date(2025, 2, 10)),
        (date(1966, 3, 15), Sex.MALE, None, date(2026, 7, 15)),  # 60y4m
        (date(1976, 9, 1), Sex.MALE, None, date(2039, 9, 1)),
        (date(1969, 12, 5), Sex.FEMALE, None, date(2024, 12, 5)),  # default base 55
        (date(1969, 12, 5), Sex.FEMALE, 55, date(2024, 12, 5)),
        (date(1970, 1, 5), Sex.FEMALE, None, date(2025, 2, 5)),
        (date(1981, 9, 1), Sex.FEMALE, 55, date(2039, 9, 1)),
        (date(1974, 12, 10), Sex.FEMALE, 50, date(2024, 12, 10)),
        (date(1975, 1, 10), Sex.FEMALE, 50, date(2025, 2, 10)),  # 50y1m
        (date(1984, 11, 1), Sex.FEMALE, 50, date(2039, 11, 1)),
        # Month-end clamp: the day does not exist in the retirement month.
        (date(1965, 1, 31), Sex.MALE, None, date(2025, 2, 28)),  # 60y1m → February
        (date(1970, 3, 31), Sex.FEMALE, 55, date(2025, 4, 30)),  # 55y1m → 30-day April
        (date(1965, 5, 31), Sex.MALE, None, date(2025, 7, 31)),  # 60y2m → July has a 31st
        (date(1975, 9, 30), Sex.FEMALE, 50, date(2026, 2, 28)),  # 50y5m → February
        # Born 29 February, retiring in a non-leap year → 28 February.
        (date(1960, 2, 29), Sex.FEMALE, 55, date(2015, 2, 28)),
        (date(1964, 2, 29), Sex.FEMALE, 50, date(2014, 2, 28)),
        (date(1964, 2, 29), Sex.MALE, None, date(2024, 2, 29)),  # 2024 is a leap year
    ],
)
def test_retirement_date(birth: date, sex: Sex, female_base: int | None, retires: date) -> None:
    assert retirement.retirement_date(birth, sex, female_base) == retires


@pytest.mark.parametrize(
    ("sex", "female_base", "base"),
    [
        (Sex.MALE, None, M60),
        (Sex.MALE, 50, M60),  # the female base is ignored for men
        (Sex.FEMALE, None, F55),
        (Sex.FEMALE, 55, F55),
        (Sex.FEMALE, 50, F50),
    ],
)
def test_base_for(sex: Sex, female_base: int | None, base: RetirementBase) -> None:
    assert retirement.base_for(sex, female_base) == base


@pytest.mark.parametrize(
    ("on", "working"),
    [
        (date(2026, 6, 30), True),
        (date(2026, 7, 14), True),  # the day before retirement age is reached
        (date(2026, 7, 15), False),  # 60y4m reached: no longer of working age
        (date(2030, 1, 1), False),
    ],
)
def test_man_born_1966_03_15_working_age(on: date, working: bool) -> None:
    assert _working_age(date(1966, 3, 15), Sex.MALE, on) is working


@pytest.mark.parametrize(
    ("birth", "on", "working"),
    [
        (date(2010, 6, 15), date(2026, 6, 14), False),
        (date(2010, 6, 15), date(2026, 6, 15), True),  # exactly the 16th birthday
        (date(2010, 1, 31), date(2026, 1, 31), True),
    ],
)
def test_working_age_starts_on_16th_birthday(birth: date, on: date, working: bool) -> None:
    assert _working_age(birth, Sex.FEMALE, on) is working


@pytest.mark.parametrize(
    ("birth", "sixteen"),
    [
        (date(2010, 6, 15), date(2026, 6, 15)),
        # birth year + 16 is a leap year whenever the birth year is, so 29 Feb stays 29 Feb …
        (date(2008, 2, 29), date(2024, 2, 29)),
        # … except across a skipped century leap year: 2100 is not a leap year.
        (date(2084, 2, 29), date(2100, 2, 28)),
    ],
)
def test_working_age_from(birth: date, sixteen: date) -> None:
    assert retirement.working_age_from(birth) == sixteen


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 5, 7), 0, date(2026, 5, 7)),
        (date(2026, 1, 15), 24, date(2028, 1, 15)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert retirement.add_months(day, months) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("months", [1, 2, 12, 13])
def test_add_months_sql_agrees_with_add_months(months: int) -> None:
    """The SQL form (worklists' month deadlines, issue 12) on every day of a leap year and the
    years around it: month ends clamp to the target month's last day, 29 February included."""
    from datetime import timedelta

    from django.db import connection

    from jiuye.lib.retirement import add_months_sql

    days = [date(2023, 1, 1) + timedelta(days=n) for n in range(3 * 366)]
    expression = add_months_sql(
        "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s", months
    )
    # Each placeholder in the expression reads the same day.
    per_day = expression.count("%s")
    with connection.cursor() as cursor:
        for day in days:
            cursor.execute(f"SELECT {expression}", [day] * per_day)
            found = cursor.fetchone()[0]
            found = found if isinstance(found, date) else date.fromisoformat(found)
            assert found == retirement.add_months(day, months), day
