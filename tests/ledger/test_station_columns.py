"""The 单位 sheet's optional service-station columns (服务站地址, 服务站电话, 服务时间): they set a
unit's public contact (its notice board shows it), English headers are accepted, a re-import
changes nothing, a blank cell keeps the stored value, and the export writes them back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from tests.ledger.conftest import TODAY, codes, write_xlsx

pytestmark = pytest.mark.django_db

# An office number, built from parts like every number in the tests.
OFFICE = "010-6" + "8001" + "001"
ADDRESS = "翠微路1号翠微社区服务中心一层"
HOURS = "周一至周五 8:30-17:30"


def _units(headers: list[str], *rows: list[Any]) -> dict[str, list[list[Any]]]:
    return {"单位": [headers, *rows]}


def test_station_columns_set_the_contact_and_reimport_changes_nothing(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.units.models import Unit

    sheets = _units(
        ["代码", "名称", "层级", "上级代码", "服务站地址", "服务站电话", "服务时间"],
        ["110108001001", "翠微社区", "社区", "110108001", ADDRESS, OFFICE, HOURS],
        ["110108001003", "新建社区", "社区", "110108001", "新建路2号", OFFICE, ""],
    )
    path = write_xlsx(tmp_path / "units.xlsx", sheets)
    result = run_import(path)
    assert result.ok, result.issues
    assert (result.counts["units"].inserted, result.counts["units"].updated) == (1, 1)
    a = Unit.objects.get(code="110108001001")
    assert (a.station_address, a.station_phone, a.station_hours) == (ADDRESS, OFFICE, HOURS)
    new = Unit.objects.get(code="110108001003")
    assert (new.station_address, new.station_phone, new.station_hours) == ("新建路2号", OFFICE, "")
    again = run_import(path)
    assert again.ok and again.inserted == again.updated == 0
    assert again.counts["units"].unchanged == 2


def test_english_headers_blank_cells_and_absent_columns_keep_the_contact(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.units.models import Unit

    english = _units(
        ["code", "name", "level", "parent_code", "station_address", "station_phone", "hours"],
        ["110108001001", "翠微社区", "社区", "110108001", ADDRESS, OFFICE, HOURS],
    )
    assert run_import(write_xlsx(tmp_path / "en.xlsx", english)).ok
    blank = _units(
        ["代码", "名称", "层级", "上级代码", "服务站地址", "服务站电话", "服务时间"],
        ["110108001001", "翠微社区", "社区", "110108001", "", "", "周一至周六 9:00-17:00"],
    )
    result = run_import(write_xlsx(tmp_path / "blank.xlsx", blank))
    assert result.ok and result.counts["units"].updated == 1
    without = _units(
        ["代码", "名称", "层级", "上级代码"], ["110108001001", "翠微社区", "社区", "110108001"]
    )
    result = run_import(write_xlsx(tmp_path / "without.xlsx", without))
    assert result.ok and result.counts["units"].unchanged == 1
    a = Unit.objects.get(code="110108001001")
    assert (a.station_address, a.station_phone, a.station_hours) == (
        ADDRESS,
        OFFICE,
        "周一至周六 9:00-17:00",
    )


def test_a_station_phone_is_checked_like_any_phone(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    sheets = _units(
        ["代码", "名称", "层级", "上级代码", "服务站电话"],
        ["110108001001", "翠微社区", "社区", "110108001", "找王主任"],
    )
    result = run_import(write_xlsx(tmp_path / "bad.xlsx", sheets))
    assert not result.written and "phone" in codes(result)


def test_a_worker_cannot_set_another_communitys_station(
    tree: Any, personas: dict[str, Any], tmp_path: Path, run_import: Any
) -> None:
    from jiuye.units.models import Unit

    sheets = _units(
        ["代码", "名称", "层级", "上级代码", "服务站地址"],
        ["110108001002", "复兴社区", "社区", "110108001", "别处"],
    )
    result = run_import(write_xlsx(tmp_path / "b.xlsx", sheets), user=personas["worker_a"])
    assert not result.written and "out_of_scope" in codes(result)
    assert Unit.objects.get(code="110108001002").station_address == ""


def test_the_export_writes_the_station_back(tree: Any, tmp_path: Path) -> None:
    from jiuye.ledger.export import export_ledgers
    from jiuye.units.models import Unit

    Unit.objects.filter(pk=tree["a"].pk).update(
        station_address=ADDRESS, station_phone=OFFICE, station_hours=HOURS
    )
    out = tmp_path / "out.xlsx"
    export_ledgers(actor=None, unit=tree["a"], target=out, on=TODAY)
    sheet = openpyxl.load_workbook(out, read_only=True)["单位"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][4:7] == ["服务站地址", "服务站电话", "服务时间"]
    row = next(r for r in rows if r[0] == "110108001001")
    assert row[4:7] == [ADDRESS, OFFICE, HOURS]
