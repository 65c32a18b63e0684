"""Holiday files (``YEAR.toml``): a year a file knows overrides or extends chinesecalendar.

The 2027 files here are synthetic test data (made-up holidays named 测试…), not the 2027 notice.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest
from chinese_calendar.constants import holidays as CC_HOLIDAYS
from chinese_calendar.constants import workdays as CC_WORKDAYS
from django.utils import translation

from jiuye.lib import holiday_files, workdays
from jiuye.lib.workdays import WorkdayCalendarError

SHIPPED_2026 = workdays.SHIPPED_DIR / "2026.toml"

# Synthetic: a New Year holiday from the December before (as in the 2019 notice), a make-up
# Sunday, a one-day holiday without ``end``, and make-up days listed at the top.
SYNTHETIC_2027 = """\
notice = "测试数据"
workdays = [2027-06-06]
[[holiday]]
name = "测试元旦"
start = 2026-12-31
end = 2027-01-02
days = 3
workdays = [2026-12-27]
[[holiday]]
name = "测试单日"
start = 2027-06-07
"""


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def cc_notice(year: int) -> str:
    """chinesecalendar's data for ``year``'s notice, written as a holiday file."""
    first, last = date(year - 1, 12, 25), date(year, 12, 24)
    ranges: list[list[Any]] = []
    for day in sorted(d for d in CC_HOLIDAYS if first <= d <= last):
        name = CC_HOLIDAYS[day]
        if ranges and ranges[-1][0] == name and ranges[-1][2] + timedelta(days=1) == day:
            ranges[-1][2] = day
        else:
            ranges.append([name, day, day, []])
    loose: list[date] = []
    for day in sorted(d for d in CC_WORKDAYS if first <= d <= last):
        owner = next((r for r in ranges if r[0] == CC_WORKDAYS[day]), None)
        (owner[3] if owner else loose).append(day)
    lines = [f"workdays = [{', '.join(d.isoformat() for d in loose)}]"]
    for name, start, end, makeup in ranges:
        lines += [
            "[[holiday]]",
            f'name = "{name}"',
            f"start = {start}",
            f"end = {end}",
            f"workdays = [{', '.join(d.isoformat() for d in makeup)}]",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def holidays_dir(tmp_path: Path, settings: Any) -> Iterator[Path]:
    directory = tmp_path / "holidays"
    directory.mkdir()
    settings.JIUYE_HOLIDAYS_DIR = str(directory)
    yield directory
    workdays.clear_cache()


# -- the shipped 2026 file is chinesecalendar's 2026 ---------------------------------------------


def test_shipped_2026_is_used_and_has_no_problems() -> None:
    result = holiday_files.check_file(SHIPPED_2026)
    assert result.errors == [] and result.warnings == []
    assert workdays.year_sources()[2026] == workdays.YearSource("shipped", SHIPPED_2026)
    assert workdays.year_sources()[2025].kind == "package"


def test_shipped_2026_equals_chinesecalendar_every_day() -> None:
    special = holiday_files.load_file(SHIPPED_2026).special_days()
    assert {d for d, working in special.items() if not working} == {
        d for d in CC_HOLIDAYS if d.year == 2026
    }
    assert {d for d, working in special.items() if working} == {
        d for d in CC_WORKDAYS if d.year == 2026
    }
    for day in _days(date(2026, 1, 1), date(2026, 12, 31)):
        assert workdays.is_workday(day) is chinese_calendar.is_workday(day), day


def test_every_packaged_day_is_unchanged() -> None:
    for day in _days(date(2004, 1, 1), date(2026, 12, 31)):
        assert workdays.is_workday(day) is chinese_calendar.is_workday(day), day


def test_files_for_every_year_reproduce_chinesecalendar(holidays_dir: Path) -> None:
    """Each year's notice as a file, December spill-overs (2007, 2008, 2012, 2019, 2023, 2024)
    included: the calendar built from files alone agrees with the package on every day."""
    for year in range(2005, 2027):
        (holidays_dir / f"{year}.toml").write_text(cc_notice(year), encoding="utf-8")
        assert holiday_files.check_file(holidays_dir / f"{year}.toml").errors == [], year
    sources = workdays.year_sources()
    assert all(sources[y].kind == "district" for y in range(2005, 2027))
    for day in _days(date(2005, 1, 1), date(2026, 12, 31)):
        assert workdays.is_workday(day) is chinese_calendar.is_workday(day), day


# -- a year from a file --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 25), True),  # Friday; 2026 itself still from the shipped file
        (date(2026, 12, 27), True),  # Sunday, the synthetic make-up day from the 2027 file
        (date(2026, 12, 31), False),  # Thursday, the synthetic New Year holiday starts
        (date(2027, 1, 1), False),
        (date(2027, 1, 2), False),  # Saturday in the holiday
        (date(2027, 1, 3), False),  # ordinary Sunday
        (date(2027, 1, 4), True),  # ordinary Monday
        (date(2027, 6, 6), True),  # Sunday, a top-level make-up day
        (date(2027, 6, 7), False),  # Monday, a one-day holiday (no ``end``)
        (date(2027, 10, 1), True),  # nothing in the file: an ordinary Friday
    ],
)
def test_a_year_from_a_file(holidays_dir: Path, day: date, working: bool) -> None:
    (holidays_dir / "2027.toml").write_text(SYNTHETIC_2027, encoding="utf-8")
    assert workdays.is_workday(day) is working
    assert workdays.year_sources()[2027] == workdays.YearSource(
        "district", holidays_dir / "2027.toml"
    )
    assert workdays.supported_years() == (2004, 2027)


def test_deadlines_run_into_the_new_year(holidays_dir: Path) -> None:
    with pytest.raises(WorkdayCalendarError):
        workdays.add_workdays(date(2026, 12, 28), 5)
    (holidays_dir / "2027.toml").write_text(SYNTHETIC_2027, encoding="utf-8")
    # 29, 30 Dec; 31 Dec – 2 Jan off; 3 Jan Sunday; 4, 5, 6 Jan.
    assert workdays.add_workdays(date(2026, 12, 28), 5) == date(2027, 1, 6)
    assert workdays.workdays_between(date(2026, 12, 28), date(2027, 1, 6)) == 5


def test_a_year_installed_while_running_is_read_without_a_restart(holidays_dir: Path) -> None:
    assert workdays.is_workday(date(2026, 5, 6)) is True  # the files are read and kept
    with pytest.raises(WorkdayCalendarError):
        workdays.is_workday(date(2027, 1, 4))
    (holidays_dir / "2027.toml").write_text(SYNTHETIC_2027, encoding="utf-8")
    assert workdays.is_workday(date(2027, 1, 1)) is False


def test_a_district_file_replaces_the_shipped_year(holidays_dir: Path) -> None:
    text = SHIPPED_2026.read_text(encoding="utf-8").replace(
        'name = "端午节"\nstart = 2026-06-19', 'name = "端午节"\nstart = 2026-06-18'
    )
    text = text.replace("days = 3\n\n# 六", "days = 4\n\n# 六")
    (holidays_dir / "2026.toml").write_text(text, encoding="utf-8")
    assert workdays.is_workday(date(2026, 6, 18)) is False
    assert workdays.year_sources()[2026].kind == "district"


def test_a_district_file_replaces_a_packaged_year(holidays_dir: Path) -> None:
    (holidays_dir / "2025.toml").write_text(
        '[[holiday]]\nname = "测试"\nstart = 2025-03-03\n', encoding="utf-8"
    )
    assert workdays.is_workday(date(2025, 3, 3)) is False
    assert workdays.is_workday(date(2025, 5, 5)) is True  # the package's 2025 is gone entirely
    assert workdays.is_workday(date(2024, 5, 1)) is False  # other years unchanged


def test_an_invalid_file_is_skipped_and_named_in_the_error(holidays_dir: Path) -> None:
    (holidays_dir / "2027.toml").write_text(
        '[[holiday]]\nname = "测试"\nstart = 2027-03-03\nworkdays = [2027-03-04]\n',
        encoding="utf-8",
    )
    (holidays_dir / "notes.toml").write_text("not a year", encoding="utf-8")  # ignored
    with pytest.raises(WorkdayCalendarError) as info:
        workdays.is_workday(date(2027, 3, 3))
    assert "jiuye holidays check" in str(info.value)
    assert str(holidays_dir / "2027.toml") in str(info.value)
    assert list(workdays.invalid_files()) == [holidays_dir / "2027.toml"]
    assert 2027 not in workdays.year_sources()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ["没有 2027 年的节假日数据", "2004—2026", "jiuye holidays install 2027.toml"]),
        ("en", ["No holiday data for 2027", "2004—2026", "jiuye holidays install 2027.toml"]),
    ],
)
def test_unknown_year_says_how_to_load_it(
    holidays_dir: Path, language: str, words: list[str]
) -> None:
    with translation.override(language), pytest.raises(WorkdayCalendarError) as info:
        workdays.is_workday(date(2027, 2, 1))
    for word in words:
        assert word in str(info.value)


def test_a_datetime_counts_as_its_date() -> None:
    from datetime import datetime

    assert workdays.is_workday(datetime(2026, 5, 1, 9, 30)) is False  # type: ignore[arg-type]


# -- validation ----------------------------------------------------------------------------------

HEAD = '[[holiday]]\nname = "测试"\nstart = 2027-03-05\nend = 2027-03-07\n'  # Fri–Sun


@pytest.mark.parametrize(
    ("text", "line", "key", "why"),
    [
        # overlapping ranges
        (
            HEAD + '[[holiday]]\nname = "乙"\nstart = 2027-03-07\nend = 2027-03-09\n',
            7,
            "holiday[2] (乙)",
            "重叠",
        ),
        # a make-up day inside a holiday
        (HEAD + "workdays = [2027-03-06]\n", 5, "holiday[1] (测试).workdays", "之内"),
        # a make-up day on a weekday (make-up days are Saturdays or Sundays)
        (HEAD + "workdays = [2027-03-10]\n", 5, "holiday[1] (测试).workdays", "是周三"),
        # a date outside the file's year
        (HEAD.replace("end = 2027-03-07", "end = 2028-03-07"), 4, "holiday[1] (测试).end", "不在"),
        (
            HEAD.replace("start = 2027-03-05", "start = 2026-11-28"),
            3,
            "holiday[1] (测试).start",
            "不在 2027 年内",
        ),
        ("workdays = [2026-06-06]\n" + HEAD, 1, "workdays", "不在 2027 年内"),
        # the last day before the first
        (HEAD.replace("end = 2027-03-07", "end = 2027-03-04"), 4, "holiday[1] (测试).end", "早于"),
        # the notice's "共N天" does not match the dates
        (HEAD + "days = 4\n", 5, "holiday[1] (测试).days", "共 4 天"),
        # not a date, a misspelt key, a missing name, no holiday at all
        (HEAD.replace("2027-03-07", '"3月7日"'), 4, "holiday[1] (测试).end", "不是日期"),
        (HEAD + "workday = [2027-03-06]\n", 5, "holiday[1] (测试).workday", "不认识"),
        ("[[holiday]]\nstart = 2027-03-01\n", 1, "holiday[1].name", "缺少假日名称"),
        ('notice = "x"\n', None, "", "没有任何假日"),
        ("year = 2028\n" + HEAD, 1, "year", "文件名"),
        (HEAD + "workdays = [2027-03-13, 2027-03-13]\n", 5, "holiday[1] (测试).workdays", "重复"),
        # TOML syntax, with hints for what a clerk typing Chinese would get wrong
        (HEAD + "name = “乙”\n", 5, "", "全角"),
        (HEAD.replace("2027-03-07", "2027-3-7"), 4, "", "两位"),
    ],
)
def test_check_file_errors(tmp_path: Path, text: str, line: int | None, key: str, why: str) -> None:
    path = tmp_path / "2027.toml"
    path.write_text(text, encoding="utf-8")
    result = holiday_files.check_file(path)
    assert result.holiday_year is None
    problem = result.errors[0]
    assert (problem.path, problem.line, problem.key) == (str(path), line, key), result.errors
    assert why in problem.message
    assert str(problem).startswith(f"{path}:{line}: " if line else f"{path}: ")
    with pytest.raises(holiday_files.HolidayFileError):
        holiday_files.load_file(path)


@pytest.mark.parametrize(
    ("name", "raw", "why"),
    [
        ("notice.toml", HEAD.encode(), "文件名应为年份"),
        ("2027.toml", HEAD.encode("gb18030"), "UTF-8"),
        ("missing.toml", None, "无法读取"),
    ],
)
def test_check_file_errors_of_the_whole_file(
    tmp_path: Path, name: str, raw: bytes | None, why: str
) -> None:
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw)
    result = holiday_files.check_file(path)
    assert result.holiday_year is None and why in result.errors[0].message


def test_year_key_names_a_file_not_named_after_it(tmp_path: Path) -> None:
    path = tmp_path / "notice.toml"
    path.write_bytes(b"\xef\xbb\xbf" + ("year = 2027\n" + HEAD).encode())  # BOM is fine
    assert holiday_files.load_file(path).year == 2027


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (HEAD.replace("2027-03-07", "2027-04-07"), "34 天"),
        (HEAD, "法定节假日是 13 天"),  # 1 weekday off net of make-up days, not 13
    ],
)
def test_check_file_warnings(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "2027.toml"
    path.write_text(text, encoding="utf-8")
    result = holiday_files.check_file(path)
    assert result.errors == [] and result.holiday_year is not None
    assert any(why in w.message for w in result.warnings), result.warnings


def test_message_in_english(tmp_path: Path) -> None:
    path = tmp_path / "2027.toml"
    path.write_text(HEAD + "workdays = [2027-03-10]\n", encoding="utf-8")
    with translation.override("en"):
        message = holiday_files.check_file(path).errors[0].message
    assert "2027-03-10 is a Wednesday" in message


def test_year_ranges() -> None:
    assert workdays.year_ranges([2026, 2004, 2005, 2028]) == "2004—2005, 2026, 2028"


def test_synthetic_2027_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "2027.toml"
    path.write_text(textwrap.dedent(SYNTHETIC_2027), encoding="utf-8")
    year = holiday_files.load_file(path)
    assert [h.name for h in year.holidays] == ["测试元旦", "测试单日"]
    assert year.workdays == (date(2026, 12, 27), date(2027, 6, 6))
