"""``jiuye holidays list | check | install``: a district loads a newly published year.

The 2027 files here are synthetic test data (made-up holidays named 测试…), not the 2027 notice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jiuye.lib import workdays
from jiuye.lib.workdays import WorkdayCalendarError

SYNTHETIC_2027 = """\
notice = "测试数据"
[[holiday]]
name = "测试元旦"
start = 2027-01-01
end = 2027-01-03
days = 3
[[holiday]]
name = "测试春节"
start = 2027-02-08
end = 2027-02-12
workdays = [
  2027-02-06,
  2027-02-20,
]
"""


@pytest.fixture
def holidays_dir(tmp_path: Path, settings: Any) -> Iterator[Path]:
    from jiuye.casework import deadlines

    directory = tmp_path / "district"
    settings.JIUYE_HOLIDAYS_DIR = str(directory)
    yield directory
    workdays.clear_cache()
    deadlines.clear_cache()  # results computed with the synthetic year


@pytest.fixture
def notice(tmp_path: Path) -> Path:
    path = tmp_path / "typed" / "2027.toml"
    path.parent.mkdir()
    path.write_text(SYNTHETIC_2027, encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, str]:
    call_command("holidays", *args)
    captured = capsys.readouterr()
    return captured.out, captured.err


def _entries() -> list[Any]:
    from jiuye.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(action="holidays.install").order_by("id"))


def test_list_shows_years_and_where_they_come_from(
    holidays_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holidays_dir.mkdir()
    (holidays_dir / "2027.toml").write_text(SYNTHETIC_2027, encoding="utf-8")
    (holidays_dir / "2028.toml").write_text('[[holiday]]\nname = "x"\n', encoding="utf-8")
    out, err = _run(capsys, "list")
    assert "2004—2025  chinesecalendar 1.11.0（软件包）" in out
    assert f"2026       {workdays.SHIPPED_DIR / '2026.toml'}（随程序发布）" in out
    assert f"2027       {holidays_dir / '2027.toml'}（本地（JIUYE_HOLIDAYS_DIR））" in out
    assert f"JIUYE_HOLIDAYS_DIR：{holidays_dir}" in out
    assert f"有错误，未载入：{holidays_dir / '2028.toml'}" in err


def test_list_in_english(holidays_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _err = _run(capsys, "--lang", "en", "list")
    assert "chinesecalendar 1.11.0 (package)" in out
    assert "JIUYE_HOLIDAYS_DIR: not set" not in out  # it is set by the fixture
    assert f"JIUYE_HOLIDAYS_DIR: {holidays_dir}" in out


def test_check_prints_the_year_back_for_proofreading(
    notice: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, err = _run(capsys, "check", str(notice))
    assert f"{notice}：2027 年，2 个假日，2 个调休上班日（测试数据）" in out
    assert "测试春节  2027-02-08（周一）  2027-02-12（周五）  5" in out
    assert "调休上班：2027-02-06（周六）、2027-02-20（周六）" in out
    assert "法定节假日" in err  # a warning: 7 weekdays off net of 2 make-up days is not 13


@pytest.mark.parametrize(
    ("edit", "located"),
    [
        (
            ("end = 2027-02-12", 'end = 2027-02-14\n[[holiday]]\nname = "乙"\nstart = 2027-02-14'),
            ":13: holiday[3] (乙): 与 holiday[2]（测试春节 2027-02-08 至 2027-02-14）重叠",
        ),
        (("2027-02-20,", "2027-02-10,"), ":13: holiday[2] (测试春节).workdays: 2027-02-10 是周三"),
        (
            ("end = 2027-02-12", "end = 2027-02-21"),
            ":13: holiday[2] (测试春节).workdays: 2027-02-20 在",
        ),
        (
            ("end = 2027-01-03", "end = 2028-01-03"),
            ":5: holiday[1] (测试元旦).end: 2028-01-03 不在",
        ),
    ],
)
def test_check_reports_located_errors(
    notice: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str], located: str
) -> None:
    notice.write_text(notice.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("holidays", "check", str(notice))
    assert info.value.returncode == 1
    assert f"错误：{notice}{located}" in capsys.readouterr().err


def test_install_a_new_year(
    holidays_dir: Path, notice: Path, capsys: pytest.CaptureFixture[str], db: Any
) -> None:
    with pytest.raises(WorkdayCalendarError):
        workdays.is_workday(date(2027, 2, 8))
    out, _err = _run(capsys, "install", str(notice))
    target = holidays_dir / "2027.toml"
    assert target.read_bytes() == notice.read_bytes()
    assert f"已载入 {target}" in out and "无需重启" in out
    assert workdays.is_workday(date(2027, 2, 8)) is False
    assert workdays.is_workday(date(2027, 2, 6)) is True
    assert workdays.year_sources()[2027] == workdays.YearSource("district", target)
    [entry] = _entries()
    assert entry.changes["year"] == 2027
    assert entry.changes["file"] == [None, str(target)]
    assert entry.changes["sha256"] == [None, hashlib.sha256(notice.read_bytes()).hexdigest()]
    assert (entry.changes["holidays"], entry.changes["workdays"]) == (2, 2)
    assert entry.actor_name == "system"


def test_the_worklist_runs_into_the_installed_year(
    holidays_dir: Path, notice: Path, tree: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    person_unit = tree["a"].code
    from jiuye.casework import deadlines

    with pytest.raises(WorkdayCalendarError):
        deadlines.horizon(date(2026, 12, 28))
    # The worklist no longer fails for want of next year's holidays: it lists what it can and
    # names the fix (issue 11, finding 8).
    call_command("worklist", person_unit, "--date", "2026-12-28")
    before = capsys.readouterr().out
    assert "2026-12-28：0 项" in before and "jiuye holidays install 2027.toml" in before
    call_command("holidays", "install", str(notice))
    call_command("worklist", person_unit, "--date", "2026-12-28")
    after = capsys.readouterr().out
    assert "2026-12-28：0 项" in after and "holidays install" not in after
    # 29, 30, 31 Dec; 1–3 Jan off; 4, 5 Jan.
    assert deadlines.horizon(date(2026, 12, 28)) == date(2027, 1, 5)


def test_install_refuses_a_file_with_errors(
    holidays_dir: Path, notice: Path, capsys: pytest.CaptureFixture[str], db: Any
) -> None:
    notice.write_text(SYNTHETIC_2027.replace("2027-02-20", "2027-02-19"), encoding="utf-8")
    with pytest.raises(CommandError, match="未载入"):
        call_command("holidays", "install", str(notice))
    assert "2027-02-19 是周五" in capsys.readouterr().err
    assert not (holidays_dir / "2027.toml").exists()
    assert _entries() == []


def test_install_replaces_only_when_asked(
    holidays_dir: Path, notice: Path, capsys: pytest.CaptureFixture[str], db: Any
) -> None:
    call_command("holidays", "install", str(notice))
    out, _err = _run(capsys, "install", str(notice))
    assert "未改动" in out and len(_entries()) == 1  # the same file again: nothing to do

    corrected = notice.parent / "2027-corrected.toml"
    corrected.write_text(
        "year = 2027\n" + SYNTHETIC_2027.replace("end = 2027-02-12", "end = 2027-02-15"),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="--replace"):
        call_command("holidays", "install", str(corrected))
    out, _err = _run(capsys, "install", str(corrected), "--replace")
    target = holidays_dir / "2027.toml"
    assert target.read_bytes() == corrected.read_bytes()
    assert f"取代了 {target}" in out
    assert "2027-02-15（周一）  上班 → 放假" in out and "请重启服务" in out
    entry = _entries()[-1]
    assert entry.changes["changed_days"] == ["2027-02-15"]
    assert entry.changes["sha256"][0] == hashlib.sha256(notice.read_bytes()).hexdigest()


def test_install_a_correction_of_a_packaged_year(
    holidays_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], db: Any
) -> None:
    path = tmp_path / "2025.toml"
    path.write_text('[[holiday]]\nname = "测试"\nstart = 2025-03-03\n', encoding="utf-8")
    out, _err = _run(capsys, "install", str(path))
    assert "取代了 chinesecalendar 1.11.0" in out
    assert "2025-03-03（周一）  上班 → 放假" in out
    assert "2025-01-26（周日）  上班 → 放假" in out  # the package's make-up days are gone


def test_install_needs_the_directory_setting(
    notice: Path, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.JIUYE_HOLIDAYS_DIR = ""
    with pytest.raises(CommandError, match="JIUYE_HOLIDAYS_DIR"):
        call_command("holidays", "install", str(notice))
