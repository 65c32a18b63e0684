"""Chinese working days (statutory holidays and make-up workdays) and calendar periods.

Deadlines such as "guidance within 3 working days of an unemployment registration" (CQ-4) count
working days as the State Council publishes them each year (节假日安排): a weekday can be a
holiday and a Saturday or Sunday can be a make-up workday (调休上班). Two sources, later wins:

1. the ``chinesecalendar`` package (2004–2026 in 1.11.0);
2. holiday files, one per year: ``lib/holidays/*.toml`` shipped here, then ``*.toml`` in the
   directory ``JIUYE_HOLIDAYS_DIR`` (a district loads a newly published year there with
   ``jiuye holidays install 2027.toml``, without upgrading anything). A file replaces everything
   the package says about its year.

A date in a year neither knows raises :class:`WorkdayCalendarError` instead of guessing from
weekdays: a guessed deadline would be silently wrong around every holiday.

The file a year is taken from is read once and kept in memory; a year missing from memory is
looked up again in ``JIUYE_HOLIDAYS_DIR`` (a newly installed year needs no restart, unless it
changes days of the December before: deadlines cache their results). Correcting a year already
in use needs a restart of the server.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from chinese_calendar.constants import holidays as _CC_HOLIDAYS
from chinese_calendar.constants import workdays as _CC_WORKDAYS
from django.conf import settings
from django.core.signals import setting_changed
from django.utils.translation import gettext as _

from jiuye.lib.holiday_files import DECEMBER_FROM, HolidayYear, Problem, check_file, file_year
from jiuye.lib.retirement import add_months

logger = logging.getLogger(__name__)

_ONE_DAY = timedelta(days=1)
SHIPPED_DIR = Path(__file__).resolve().parent / "holidays"
SETTING = "JIUYE_HOLIDAYS_DIR"


class WorkdayCalendarError(ValueError):
    """The holiday calendar has no data for the requested date's year (``years``: the years
    missing, for :func:`unavailable_text`)."""

    def __init__(self, message: str, *, years: Iterable[int] = ()) -> None:
        super().__init__(message)
        self.years: tuple[int, ...] = tuple(sorted(set(years)))


@dataclass(frozen=True)
class YearSource:
    """Where a year's holidays come from: ``package`` (chinesecalendar), ``shipped`` (a file of
    ``lib/holidays``) or ``district`` (a file of ``JIUYE_HOLIDAYS_DIR``)."""

    kind: str
    path: Path | None = None

    def label(self) -> str:
        if self.kind == "package":
            return f"chinesecalendar {_package_version()}"
        return str(self.path)


@dataclass(frozen=True)
class _Calendar:
    special: dict[date, bool]  # a holiday (False) or make-up working day (True)
    known: frozenset[int]
    sources: dict[int, YearSource]
    invalid: dict[Path, list[Problem]]
    signature: tuple[tuple[str, int, int], ...]


def _package_version() -> str:
    try:
        return metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "?"


def _district_dir() -> Path | None:
    value = getattr(settings, SETTING, "")
    return Path(value) if value else None


def _year_files(directory: Path | None) -> list[Path]:
    if directory is None or not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.toml") if file_year(p) is not None)


def _signature(directory: Path | None) -> tuple[tuple[str, int, int], ...]:
    found = []
    for path in _year_files(directory):
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def _build() -> _Calendar:
    district = _district_dir()
    signature = _signature(district)
    special: dict[date, bool] = dict.fromkeys(_CC_HOLIDAYS, False)
    special.update(dict.fromkeys(_CC_WORKDAYS, True))
    package_years = {day.year for day in _CC_HOLIDAYS}
    sources = {
        year: YearSource("package") for year in range(min(package_years), max(package_years) + 1)
    }
    files: dict[int, tuple[HolidayYear, YearSource]] = {}
    invalid: dict[Path, list[Problem]] = {}
    for kind, directory in (("shipped", SHIPPED_DIR), ("district", district)):
        for path in _year_files(directory):
            result = check_file(path)
            if result.holiday_year is None:
                invalid[path] = result.errors
                logger.warning("holiday file %s not loaded: %s", path, result.errors[0])
                continue
            files[result.holiday_year.year] = (result.holiday_year, YearSource(kind, path))
    for year in sorted(files):
        holiday_year, source = files[year]
        # A year's notice decides from the last week of the December before to just before
        # its own last week of December (which the next year's notice decides).
        first, last = date(year - 1, 12, DECEMBER_FROM), date(year, 12, DECEMBER_FROM - 1)
        for day in [d for d in special if first <= d <= last]:
            del special[day]
        special.update(holiday_year.special_days())
        sources[year] = source
    return _Calendar(
        special=special,
        known=frozenset(sources),
        sources=dict(sorted(sources.items())),
        invalid=invalid,
        signature=signature,
    )


_state: _Calendar | None = None


def _calendar() -> _Calendar:
    global _state
    if _state is None:
        _state = _build()
    return _state


def clear_cache() -> None:
    """Forget the loaded files: the next lookup reads them again."""
    global _state
    _state = None


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING:
        clear_cache()


setting_changed.connect(_on_setting_changed, dispatch_uid="jiuye.lib.workdays")


def _refreshed() -> _Calendar:
    """The calendar, read again if ``JIUYE_HOLIDAYS_DIR`` changed since it was read."""
    calendar = _calendar()
    if _signature(_district_dir()) != calendar.signature:
        clear_cache()
        calendar = _calendar()
    return calendar


def year_sources() -> dict[int, YearSource]:
    """Every year with holiday data, and where it comes from."""
    return dict(_refreshed().sources)


def invalid_files() -> dict[Path, list[Problem]]:
    """Holiday files found but not loaded, with their errors."""
    return dict(_refreshed().invalid)


def supported_years() -> tuple[int, int]:
    """The first and last year (inclusive) with holiday data."""
    known = _calendar().known
    return min(known), max(known)


def year_ranges(years: Iterable[int]) -> str:
    """2004—2026, 2028: the years folded into runs."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][1] + 1:
            runs[-1][1] = year
        else:
            runs.append([year, year])
    return ", ".join(f"{a}—{b}" if a != b else f"{a}" for a, b in runs)


def _unsupported(day: date, calendar: _Calendar) -> WorkdayCalendarError:
    message = _(
        "没有 %(year)s 年的节假日数据（%(day)s），已有 %(years)s 年。国务院公布该年节假日安排后，"
        "请系统管理员照通知写成 %(year)s.toml，用“jiuye holidays install %(year)s.toml”载入"
        "（见 README“新年度节假日”）。"
    ) % {"year": day.year, "day": day.isoformat(), "years": year_ranges(calendar.known)}
    for path in calendar.invalid:
        if file_year(path) == day.year:
            message += _("%(path)s 有错误，未载入：用“jiuye holidays check %(path)s”查看。") % {
                "path": path
            }
    return WorkdayCalendarError(message, years=[day.year])


def unavailable_text(years: Iterable[int]) -> str:
    """What a figure that needs working days says when its years have no holiday calendar:
    not available, and the fix (Chinese first; README "Holidays for a new year")."""
    found = sorted(set(years))
    return _(
        "不可用：%(years)s 年的节假日安排尚未载入——%(commands)s（见 README“新年度节假日”）"
    ) % {
        "years": "、".join(str(y) for y in found),
        "commands": "、".join(f"jiuye holidays install {y}.toml" for y in found),
    }


def is_workday(d: date) -> bool:
    """Whether ``d`` is a working day in mainland China (holidays and make-up days applied)."""
    if type(d) is not date:
        d = date(d.year, d.month, d.day)
    calendar = _state or _calendar()
    if d.month == 12 and d.day >= DECEMBER_FROM and d.year + 1 not in calendar.known:
        calendar = _refreshed()  # next year's notice, once installed, decides these days
    special = calendar.special.get(d)
    if special is not None:
        return special
    if d.year in calendar.known:
        return d.weekday() < 5
    calendar = _refreshed()  # a year installed since the files were read
    if d.year in calendar.known:
        return is_workday(d)
    raise _unsupported(d, calendar)


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
