"""CSV per sheet, English aliases, shuffled columns, Excel serial dates and text dates, and the
cell converters on their own."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.ledger.conftest import Book, codes, write_csv, write_xlsx

from jiuye.ledger import cells, columns
from jiuye.ledger.columns import HOUSEHOLDS, PERSONS, SERVICES, STATUSES

EN = {
    "公民身份号码": "id_number",
    "姓名": "name",
    "户编号": "household_number",
    "与户主关系": "relation",
    "户籍性质": "hukou_type",
    "联系电话": "phone",
    "劳动能力": "able",
    "就业愿望": "willing",
    "女性退休基准": "female_base",
    "文化程度": "education",
    "技能等级": "skill_level",
    "残疾": "disabled",
    "退役军人": "veteran",
    "农民工": "migrant_worker",
    "失地农民": "landless",
    "高校毕业年份": "graduate_year",
    "代码": "code",
    "名称": "name",
    "层级": "level",
    "上级代码": "parent_code",
    "单位代码": "unit_code",
    "地址": "address",
    "低保户": "dibao",
    "状态": "status",
    "起始日期": "since",
    "登记失业": "registered",
    "单位或去向": "employer",
    "失业原因": "cause",
    "类别": "category",
    "认定日期": "recognized_on",
    "退出日期": "ended_on",
    "类型": "kind",
    "日期": "date",
    "培训模式": "training_mode",
    "结果": "outcome",
    "备注": "note",
}
SHEETS_EN = {
    "单位": "units",
    "户": "households",
    "人员": "persons",
    "就业状态": "statuses",
    "困难认定": "recognitions",
    "服务记录": "services",
}


def _shuffled_english(rows: list[list[Any]]) -> list[list[Any]]:
    """English headers, columns in reverse order."""
    header = [EN[h].upper() for h in rows[0]]
    return [list(reversed(header)), *(list(reversed(r)) for r in rows[1:])]


@pytest.mark.django_db
@pytest.mark.usefixtures("reading")  # parsed here and in a helper process
def test_csv_per_sheet(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    from jiuye.registry.models import Person, StatusEvent

    paths = [write_csv(tmp_path / f"{name}.csv", rows) for name, rows in book.sheets.items()]
    result = run_import(paths)
    assert result.ok, result.issues
    assert Person.objects.count() == 4 and StatusEvent.objects.count() == 5
    again = run_import(paths)
    assert again.inserted == 0 and again.updated == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("reading")  # parsed here and in a helper process
def test_csv_in_gb18030_with_english_names(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    """Excel's plain "CSV" on a Chinese Windows is GB18030; English file names and headers."""
    paths = [
        write_csv(tmp_path / f"{SHEETS_EN[name]}.csv", _shuffled_english(rows), encoding="gb18030")
        for name, rows in book.sheets.items()
    ]
    result = run_import(paths)
    assert result.ok, result.issues
    from jiuye.registry.models import Person

    assert Person.objects.get(id_number=book.ids["head"]).name == "张建国"


@pytest.mark.django_db
@pytest.mark.usefixtures("reading")  # parsed here and in a helper process
def test_csv_named_otherwise_needs_the_sheet(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    units = write_csv(tmp_path / "export-2026.csv", book.sheets["单位"])
    assert codes(run_import(units)) == ["csv_sheet"]
    assert run_import(units, sheet="units").ok


@pytest.mark.django_db
@pytest.mark.usefixtures("reading")  # parsed here and in a helper process
def test_xlsx_with_english_aliases_and_shuffled_columns(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    sheets = {SHEETS_EN[name]: _shuffled_english(rows) for name, rows in book.sheets.items()}
    result = run_import(write_xlsx(tmp_path / "english.xlsx", sheets))
    assert result.ok, result.issues
    assert result.inserted == sum(len(rows) - 1 for rows in book.sheets.values())


@pytest.mark.django_db
@pytest.mark.usefixtures("reading")  # parsed here and in a helper process
def test_serial_dates_and_text_dates_are_the_same(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.registry.models import StatusEvent

    excel_day = (date(2021, 5, 1) - date(1899, 12, 30)).days
    book.sheets["就业状态"][2][2] = excel_day  # a plain number, as when the format was lost
    book.sheets["就业状态"][1][2] = "2020/1/1"
    book.sheets["就业状态"][5][2] = "2019年3月1日"
    path = book.save(tmp_path / "dates.xlsx")
    assert run_import(path).ok
    days = set(StatusEvent.objects.values_list("since", flat=True))
    assert {date(2021, 5, 1), date(2020, 1, 1), date(2019, 3, 1)} <= days
    # The same workbook with real dates: nothing changes.
    book.sheets["就业状态"][2][2] = date(2021, 5, 1)
    book.sheets["就业状态"][1][2] = datetime(2020, 1, 1)
    book.sheets["就业状态"][5][2] = date(2019, 3, 1)
    again = run_import(book.save(tmp_path / "dates2.xlsx"))
    assert again.ok and again.inserted == 0 and again.updated == 0


# ---- the converters on their own --------------------------------------------------------


def _run(converter: Any, column: Any, values: list[Any]) -> tuple[list[Any], list[tuple]]:
    errors: list[tuple] = []
    out = converter(values, column, lambda i, code, value=None, **p: errors.append((i, code)))
    return out, errors


def test_dates() -> None:
    column = STATUSES.column("since")
    out, errors = _run(
        cells.dates,
        column,
        [
            date(2024, 1, 5),
            datetime(2024, 1, 5, 0, 0),
            "2024-01-05",
            "2024/1/5",
            "2024.1.5",
            "2024年1月5日",
            "20240105",
            45296.0,
            45296,
            "",
            None,
            "2024-13-01",
            "yesterday",
            1.5,
        ],
    )
    assert out[:9] == [date(2024, 1, 5)] * 9
    assert out[9:11] == [None, None]
    assert [code for _i, code in errors] == ["date", "date", "date"]
    fast, none = _run(cells.dates, column, ["2024-01-05", "2023-12-31"])
    assert fast == [date(2024, 1, 5), date(2023, 12, 31)] and not none


def test_enumerations_accept_labels_values_and_spacing() -> None:
    column = STATUSES.column("status")
    out, errors = _run(
        cells.enum, column, ["失业", " 失业 ", "unemployed", "UNEMPLOYED", "个体", "", None, "上班"]
    )
    assert out[:5] == ["unemployed", "unemployed", "unemployed", "unemployed", "self"]
    assert out[5:7] == [None, None] and errors == [(7, "enum")]


def test_booleans() -> None:
    out, errors = _run(
        cells.boolean,
        PERSONS.column("able"),
        ["有", "无", "是", "否", "Y", "no", True, "", None, "maybe"],
    )
    assert out[:7] == [True, False, True, False, True, False, True]
    assert out[7:9] == [None, None] and errors == [(9, "bool")]


def test_text_codes_numbers_phones() -> None:
    out, errors = _run(cells.text, HOUSEHOLDS.column("number"), [" H-1 ", 1001.0, 12, "x" * 33])
    assert out == ["H-1", "1001", "12", ""] and errors == [(3, "too_long")]
    code = columns.UNITS.column("code")
    _out, errors = _run(cells.text, code, ["110108", "11-01"])
    assert errors == [(1, "code")]
    phone = PERSONS.column("phone")
    out, errors = _run(cells.phone, phone, ["010-6255 0000", "139****0000", "call me"])
    assert out[0] == "010-6255 0000" and errors == [(1, "phone_masked"), (2, "phone")]


def test_integers_and_amounts() -> None:
    out, errors = _run(
        cells.integer, PERSONS.column("graduate_year"), [2020.0, "2021", "", 1800, "soon"]
    )
    assert out[:3] == [2020, 2021, None] and [c for _i, c in errors] == ["int", "int"]
    out, errors = _run(cells.decimal, SERVICES.column("amount"), [1000, 12.5, "1,234.567", "", -1])
    assert out[:4] == [Decimal("1000.00"), Decimal("12.50"), Decimal("1234.57"), None]
    assert errors == [(4, "decimal")]


def test_sheet_names_aliases_and_continuations() -> None:
    assert columns.sheet_for("人员") == (PERSONS, 1)
    assert columns.sheet_for(" Persons ") == (PERSONS, 1)
    assert columns.sheet_for("人员(2)") == (PERSONS, 2)
    assert columns.sheet_for("人员（3）") == (PERSONS, 3)
    assert columns.sheet_for("employment") == (STATUSES, 1)
    assert columns.sheet_for("Sheet1") == (None, 0)
    assert columns.is_view_sheet("劳动力资源台账") and columns.is_view_sheet("填写说明")
    names = columns.HEADER_MAPS["persons"]
    assert names[columns.fold("身份证号码")].key == "id_number"
    assert names[columns.fold("ID_Number")].key == "id_number"
