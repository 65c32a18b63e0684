"""Statutory retirement ages, including the gradual reform in force since 2025-01-01.

The rule is data: ``COHORTS`` holds, per base category, the base age, the first birth month the
reform touches, how many birth months share one added month, and the cap. That is exactly the
shape of the published tables (全国人大常委会关于实施渐进式延迟法定退休年龄的决定, 2024), e.g.
men born 1965-01..1965-04 retire at 60y1m, men born from 1976-09 at 63; women on the 50 base
born 1975-01..1975-02 at 50y1m, from 1984-11 at 55.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from jiuye.lib.idcard import Sex


class RetirementBase(StrEnum):
    MALE_60 = "M60"
    FEMALE_55 = "F55"  # cadre / managerial posts; the default for women
    FEMALE_50 = "F50"  # worker posts


@dataclass(frozen=True)
class Cohort:
    base_years: int
    reform_from: tuple[int, int]  # first birth (year, month) that gets added months
    months_per_step: int  # this many birth months share one added month
    max_added_months: int


COHORTS: dict[RetirementBase, Cohort] = {
    RetirementBase.MALE_60: Cohort(60, (1965, 1), 4, 36),
    RetirementBase.FEMALE_55: Cohort(55, (1970, 1), 4, 36),
    RetirementBase.FEMALE_50: Cohort(50, (1975, 1), 2, 60),
}

WORKING_AGE_FROM_YEARS = 16


def base_for(sex: Sex, female_base: int | None) -> RetirementBase:
    if sex == Sex.MALE:
        return RetirementBase.MALE_60
    return RetirementBase.FEMALE_50 if female_base == 50 else RetirementBase.FEMALE_55


def retirement_age_months(birth: date, base: RetirementBase) -> int:
    """The statutory retirement age, in months, for someone born on ``birth``."""
    cohort = COHORTS[base]
    months_after = (birth.year - cohort.reform_from[0]) * 12 + birth.month - cohort.reform_from[1]
    added = 0
    if months_after >= 0:
        added = min(months_after // cohort.months_per_step + 1, cohort.max_added_months)
    return cohort.base_years * 12 + added


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months; a day missing in the target month becomes its last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_months_sql(day: str, months: int | str) -> str:
    """:func:`add_months` in SQL for the database in use: ``day`` (an SQL date expression) plus
    whole months (a number, or an SQL integer expression such as a column), a day missing in the
    target month becoming its last day. PostgreSQL's interval arithmetic clamps so already;
    SQLite's ``date(d, '+N months')`` overflows into the next month (01-31 + 1 month = 03-03),
    so its result is replaced by the target month's last day whenever the day number changed."""
    from django.db import connection

    if isinstance(months, int):
        n, next_n = f"'{int(months):+d} months'", f"'{int(months) + 1:+d} months'"
        if connection.vendor == "postgresql":
            return f"CAST({day} + INTERVAL '{int(months)} months' AS date)"
    else:
        if connection.vendor == "postgresql":
            return f"CAST({day} + make_interval(months => CAST({months} AS integer)) AS date)"
        n, next_n = f"(({months}) || ' months')", f"((({months}) + 1) || ' months')"
    plain = f"date({day}, {n})"
    last = f"date({day}, 'start of month', {next_n}, '-1 day')"
    # The day numbers compared as text (no ``%`` in the SQL: it would clash with parameters).
    same_day = f"substr({plain}, 9, 2) = substr(date({day}), 9, 2)"
    return f"(CASE WHEN {same_day} THEN {plain} ELSE {last} END)"


def retirement_date(birth: date, sex: Sex, female_base: int | None = None) -> date:
    """The day the person reaches retirement age (no longer of working age from this day)."""
    return add_months(birth, retirement_age_months(birth, base_for(sex, female_base)))


def working_age_from(birth: date) -> date:
    """The 16th birthday: of working age from this day on."""
    return add_months(birth, WORKING_AGE_FROM_YEARS * 12)
