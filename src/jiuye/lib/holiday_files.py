"""One year's holiday notice as a data file: reading it and checking it line by line.

A holiday file, typed from the notice (``2026.toml``: the name is the year; the shipped
``lib/holidays/2026.toml`` is the whole 2026 notice)::

    notice = "国办发明电〔2025〕7号"   # optional, for the record
    [[holiday]]                         # one per item of the notice
    name = "春节"
    start = 2026-02-15                  # first day off
    end = 2026-02-23                    # last day off (omit for a single day)
    days = 9                            # optional: the notice's "共9天", checked against the dates
    workdays = [2026-02-14, 2026-02-28] # optional: the make-up working days (上班) it lists
    [[holiday]]
    …

Dates are ``YYYY-MM-DD``, all in the file's year; only New Year's Day's holiday may begin, and
its make-up day fall, in the last week of December of the year before (as in the 2019 and 2024
notices). Make-up days are Saturdays or Sundays outside every holiday; they may also be listed
at the top, before the first ``[[holiday]]`` (``workdays = [...]``), as may ``year = 2026`` (a
file not named after its year). ``jiuye holidays check`` reports every problem with its file,
line and key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

_ONE_DAY = timedelta(days=1)
# The New Year holiday may start (and its make-up day fall) this many days before 1 January.
DECEMBER_FROM = 25
_LONG_HOLIDAY_DAYS = 14
_WEEKDAYS = (
    gettext_noop("周一"),
    gettext_noop("周二"),
    gettext_noop("周三"),
    gettext_noop("周四"),
    gettext_noop("周五"),
    gettext_noop("周六"),
    gettext_noop("周日"),
)


@dataclass(frozen=True)
class Holiday:
    name: str
    start: date
    end: date
    workdays: tuple[date, ...] = ()

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class HolidayYear:
    """One year's notice as read from a file: the holidays and every make-up working day."""

    year: int
    path: Path
    holidays: tuple[Holiday, ...]
    workdays: tuple[date, ...]
    notice: str = ""

    def special_days(self) -> dict[date, bool]:
        """Each day the notice changes: False for a day off, True for a make-up working day."""
        days: dict[date, bool] = {}
        for holiday in self.holidays:
            days.update(dict.fromkeys(holiday.days, False))
        days.update(dict.fromkeys(self.workdays, True))
        return days


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or, as a warning, odd) in a holiday file, where it is and why."""

    path: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


@dataclass
class CheckResult:
    path: Path
    year: int | None
    holiday_year: HolidayYear | None  # None when there are errors
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


class HolidayFileError(ValueError):
    """A holiday file that cannot be used; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def weekday_name(day: date) -> str:
    return _(_WEEKDAYS[day.weekday()])


class _Lines:
    """Finds the line of a key in the text of a holiday file (``[[holiday]]`` tables only)."""

    _HEADER = re.compile(r"^\s*\[\[\s*holiday\s*\]\]")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        headers = [i for i, line in enumerate(self.lines) if self._HEADER.match(line)]
        self.sections = list(zip([0, *headers], [*headers, len(self.lines)], strict=True))

    def find(self, key: str, table: int | None = None, value: str | None = None) -> int | None:
        """1-based line of ``key =`` at the top (``table`` None) or in the ``table``-th (0-based)
        ``[[holiday]]``; with ``value``, the first line from there that contains it."""
        index = 0 if table is None else table + 1
        if index >= len(self.sections):
            return None
        first, last = self.sections[index]
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(first, last):
            if pattern.match(self.lines[i]):
                if value is None:
                    return i + 1
                for j in range(i, last):
                    if value in self.lines[j]:
                        return j + 1
                return i + 1
        return first + 1 if table is not None else None


_TOP_KEYS = {"year", "notice", "holiday", "workdays"}
_HOLIDAY_KEYS = {"name", "start", "end", "days", "workdays"}
_FULL_WIDTH = re.compile(r"[“”‘’＝：，［］｛｝　]")
_UNPADDED = re.compile(r"\b\d{4}-(\d-\d{1,2}|\d{2}-\d)\b")


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):  # a date with a time of day is not what a notice says
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _syntax_hint(text: str, message: str) -> str:
    match = re.search(r"line (\d+)", message)
    if not match:
        return ""
    lines = text.splitlines()
    number = int(match.group(1))
    line = lines[number - 1] if 0 < number <= len(lines) else ""
    if _FULL_WIDTH.search(line):
        return _("该行有全角符号（“”＝：，等），请改成半角")
    if _UNPADDED.search(line):
        return _("日期请写成 2027-01-01 的样式（月、日各两位）")
    return ""


def file_year(path: Path) -> int | None:
    return int(path.stem) if re.fullmatch(r"\d{4}", path.stem) else None


def check_file(path: Path | str) -> CheckResult:
    """Read and validate one holiday file; never raises for a bad file."""
    path = Path(path)
    name = str(path)
    result = CheckResult(path=path, year=file_year(path), holiday_year=None)
    errors, warnings = result.errors, result.warnings

    def error(message: str, key: str = "", line: int | None = None) -> None:
        errors.append(Problem(name, line, key, message))

    try:
        raw = path.read_bytes()
    except OSError as exc:
        error(_("无法读取文件：%(why)s") % {"why": exc.strerror or exc})
        return result
    try:
        text = raw.decode("utf-8-sig")  # Windows Notepad's BOM is fine
    except UnicodeDecodeError:
        error(_("文件不是 UTF-8 编码（可能是 GBK），请另存为 UTF-8"))
        return result
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        hint = _syntax_hint(text, message)
        error(
            _("格式错误：%(why)s") % {"why": message} + (f"；{hint}" if hint else ""),
            line=int(match.group(1)) if match else None,
        )
        return result
    lines = _Lines(text)

    for key in sorted(set(data) - _TOP_KEYS):
        error(_("不认识的项（可用：%(keys)s）") % {"keys": ", ".join(sorted(_TOP_KEYS))}, key)

    year = result.year
    if "year" in data:
        line = lines.find("year")
        if not isinstance(data["year"], int) or isinstance(data["year"], bool):
            error(_("应为年份数字，如 2027"), "year", line)
        elif year is not None and data["year"] != year:
            error(
                _("与文件名的年份 %(name)s 不同") % {"name": year},
                "year",
                line,
            )
        else:
            year = data["year"]
    if year is None:
        error(_("无法确定年份：文件名应为年份（如 2027.toml），或写 year = 2027"))
    result.year = year
    notice = data.get("notice", "")
    if not isinstance(notice, str):
        error(_("应为文字（放在引号中）"), "notice", lines.find("notice"))
        notice = ""

    def in_year(day: date) -> bool:
        return year is None or day.year == year

    def in_december_before(day: date) -> bool:
        return year is not None and day >= date(year - 1, 12, DECEMBER_FROM) and day.year < year

    def outside(day: date) -> str:
        return _("%(day)s 不在 %(year)s 年内（只有元旦假期可以从上一年 12 月最后一周开始）") % {
            "day": day.isoformat(),
            "year": year,
        }

    def date_list(value: Any, key: str, table: int | None, label: str) -> list[date]:
        found: list[date] = []
        if not isinstance(value, list):
            error(_("应为日期列表，如 [2027-02-06, 2027-02-20]"), label, lines.find(key, table))
            return found
        for item in value:
            day = _as_date(item)
            line = lines.find(key, table, str(item))
            if day is None:
                error(_("“%(value)s” 不是日期（YYYY-MM-DD）") % {"value": item}, label, line)
            else:
                found.append(day)
        return found

    holidays: list[tuple[int, Holiday]] = []
    makeup: list[tuple[date, str, int | None]] = []  # day, key label, table
    raw_holidays = data.get("holiday", [])
    if not isinstance(raw_holidays, list) or not all(isinstance(h, dict) for h in raw_holidays):
        error(_("假日应写成 [[holiday]] 表"), "holiday")
        raw_holidays = []
    if not raw_holidays and not errors:
        error(_("没有任何假日（每个假日写一个 [[holiday]] 表）"))

    for index, entry in enumerate(raw_holidays):
        hname = entry.get("name")
        label = f"holiday[{index + 1}]" + (
            f" ({hname})" if isinstance(hname, str) and hname.strip() else ""
        )
        for key in sorted(set(entry) - _HOLIDAY_KEYS):
            error(
                _("不认识的项（可用：%(keys)s）") % {"keys": ", ".join(sorted(_HOLIDAY_KEYS))},
                f"{label}.{key}",
                lines.find(key, index),
            )
        if not isinstance(hname, str) or not hname.strip():
            error(
                _("缺少假日名称 name（名称放在半角引号中）"),
                f"{label}.name",
                lines.find("name", index),
            )
            hname = ""
        days: dict[str, date] = {}
        for key in ("start", "end"):
            if key not in entry:
                if key == "start":
                    error(_("缺少第一天 start"), f"{label}.start", lines.find("name", index))
                continue
            day = _as_date(entry[key])
            line = lines.find(key, index)
            if day is None:
                error(
                    _("“%(value)s” 不是日期（YYYY-MM-DD）") % {"value": entry[key]},
                    f"{label}.{key}",
                    line,
                )
                continue
            days[key] = day
        for day in date_list(entry.get("workdays", []), "workdays", index, f"{label}.workdays"):
            makeup.append((day, f"{label}.workdays", index))
        if "start" not in days or ("end" in entry and "end" not in days):
            continue
        start, end = days["start"], days.get("end", days["start"])
        if end < start:
            error(
                _("最后一天 %(end)s 早于第一天 %(start)s") % {"end": end, "start": start},
                f"{label}.end",
                lines.find("end", index),
            )
            continue
        for key, day in (("start", start), ("end", end)):
            if not in_year(day) and not (
                key == "start" and in_december_before(day) and end.year == year
            ):
                error(outside(day), f"{label}.{key}", lines.find(key, index))
        count = (end - start).days + 1
        if "days" in entry:
            stated = entry["days"]
            if not isinstance(stated, int) or isinstance(stated, bool) or stated != count:
                error(
                    _("写的是共 %(stated)s 天，但 %(start)s 至 %(end)s 是 %(count)s 天")
                    % {"stated": stated, "start": start, "end": end, "count": count},
                    f"{label}.days",
                    lines.find("days", index),
                )
        if count > _LONG_HOLIDAY_DAYS:
            warnings.append(
                Problem(
                    name,
                    lines.find("end", index),
                    f"{label}.end",
                    _("假期长达 %(count)s 天，请核对最后一天") % {"count": count},
                )
            )
        holidays.append((index, Holiday(hname, start, end)))

    for day in date_list(data.get("workdays", []), "workdays", None, "workdays"):
        makeup.append((day, "workdays", None))

    ordered = sorted(holidays, key=lambda h: (h[1].start, h[1].end))
    for (i, a), (j, b) in pairwise(ordered):
        if b.start <= a.end:
            error(
                _("与 holiday[%(other)s]（%(name)s %(start)s 至 %(end)s）重叠")
                % {"other": i + 1, "name": a.name, "start": a.start, "end": a.end},
                f"holiday[{j + 1}] ({b.name})" if b.name else f"holiday[{j + 1}]",
                lines.find("start", j),
            )
    seen: set[date] = set()
    for day, label, table in makeup:
        line = lines.find("workdays", table, day.isoformat())
        if day in seen:
            error(_("%(day)s 重复列出") % {"day": day}, label, line)
            continue
        seen.add(day)
        if not in_year(day) and not in_december_before(day):
            error(outside(day), label, line)
        if day.weekday() < 5:
            error(
                _("%(day)s 是%(weekday)s：调休上班日应是周六或周日（平日本来就上班），请核对日期")
                % {"day": day, "weekday": weekday_name(day)},
                label,
                line,
            )
        for _index, holiday in holidays:
            if holiday.start <= day <= holiday.end:
                error(
                    _("%(day)s 在假日“%(name)s”（%(start)s 至 %(end)s）之内")
                    % {
                        "day": day,
                        "name": holiday.name,
                        "start": holiday.start,
                        "end": holiday.end,
                    },
                    label,
                    line,
                )

    errors.sort(key=lambda p: p.line or 0)
    if errors or year is None:
        return result
    workdays = tuple(sorted(seen))
    holiday_year = HolidayYear(
        year=year,
        path=path,
        holidays=tuple(h for _i, h in ordered),
        workdays=workdays,
        notice=notice,
    )
    # Net of make-up days the weekdays off equal the statutory holidays (11 days 2008–2024, 13
    # since 2025): a different count usually means a mistyped date.
    statutory = 13 if year >= 2025 else 11
    if year >= 2008:
        off = sum(
            1
            for day, working in holiday_year.special_days().items()
            if not working and day.weekday() < 5
        )
        if off - len(workdays) != statutory:
            warnings.append(
                Problem(
                    name,
                    None,
                    "",
                    _(
                        "扣除调休上班日后，工作日放假共 %(net)s 天，"
                        "而法定节假日是 %(statutory)s 天："
                        "请与通知核对日期（国家另有安排的年份除外）"
                    )
                    % {"net": off - len(workdays), "statutory": statutory},
                )
            )
    result.holiday_year = holiday_year
    return result


def load_file(path: Path | str) -> HolidayYear:
    """The year of a valid holiday file; :class:`HolidayFileError` lists the problems."""
    result = check_file(path)
    if result.holiday_year is None:
        raise HolidayFileError(result.errors)
    return result.holiday_year
