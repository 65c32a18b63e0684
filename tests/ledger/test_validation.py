"""Every kind of validation error, with where it is: sheet, row, column, value, reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_id
from tests.ledger.conftest import HEADERS, TODAY, Book, registry_counts, write_xlsx

from jiuye.lib.masking import mask_id_number

pytestmark = pytest.mark.django_db


def _issue(result: Any, code: str) -> Any:
    found = [i for i in result.issues if i.code == code]
    assert found, f"no {code} in {[(i.code, i.message_zh) for i in result.issues]}"
    return found[0]


def _check(
    run_import: Any, book: Book, tmp_path: Path, code: str, sheet: str, row: int, column: str
) -> Any:
    before = registry_counts()
    result = run_import(book.save(tmp_path / f"{code}.xlsx"))
    issue = _issue(result, code)
    assert (issue.sheet, issue.row, issue.column) == (sheet, row, column), issue
    assert issue.message_zh and issue.message_en and issue.message_zh != issue.message_en
    assert not result.written
    assert registry_counts() == before
    return issue


def _bump_check_digit(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def test_id_check_digit(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["人员"][2][0] = _bump_check_digit(book.ids["spouse"])
    issue = _check(run_import, book, tmp_path, "id_checksum", "人员", 3, "公民身份号码")
    assert "校验位" in issue.message_zh and "check digit" in issue.message_en
    # The reported value is masked like everything the system shows.
    assert issue.value == mask_id_number(book.sheets["人员"][2][0])


def test_masked_id_number_cannot_be_imported(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    book.sheets["人员"][1][0] = mask_id_number(book.ids["head"])
    issue = _check(run_import, book, tmp_path, "id_masked", "人员", 2, "公民身份号码")
    assert issue.message_zh == "身份证号码已脱敏，无法导入"


def test_id_number_stored_by_excel_as_a_number(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    digits = next(n for n in book.ids.values() if not n.endswith("X"))
    book.sheets["人员"][1][0] = float(digits)
    _check(run_import, book, tmp_path, "id_as_number", "人员", 2, "公民身份号码")


def test_unknown_unit_code(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["户"][1][1] = "999999999999"
    issue = _check(run_import, book, tmp_path, "unknown_unit", "户", 2, "单位代码")
    assert "999999999999" in issue.message_zh


def test_unknown_parent_unit(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["单位"][1][3] = "110108009009"
    _check(run_import, book, tmp_path, "unknown_unit", "单位", 2, "上级代码")


def test_unknown_household_number(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["人员"][4][2] = "NOPE-1"
    _check(run_import, book, tmp_path, "unknown_household", "人员", 5, "户编号")


def test_unknown_person_in_a_dependent_sheet(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    stranger = make_id(date(1990, 1, 1))
    book.sheets["就业状态"].append([stranger, "失业", date(2024, 1, 1), "", "", ""])
    _check(run_import, book, tmp_path, "unknown_person", "就业状态", 7, "公民身份号码")


def test_duplicate_id_within_the_file(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    book.sheets["人员"].append(list(book.sheets["人员"][2]))
    issue = _check(run_import, book, tmp_path, "duplicate_in_file", "人员", 6, "公民身份号码")
    assert "第 3 行" in issue.message_zh and "row 3" in issue.message_en


def test_duplicate_against_the_registry(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    """The ID number is registered to someone of another name: a mistyped number is not
    allowed to overwrite another resident."""
    assert run_import(book.save(tmp_path / "first.xlsx")).ok
    book.sheets["人员"][1][1] = "张冒名"
    issue = _check(run_import, book, tmp_path, "duplicate_registry", "人员", 2, "姓名")
    assert "张建国" in issue.message_zh


def test_status_before_birth(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["就业状态"][3][2] = date(2001, 1, 1)  # the son, born 2003
    issue = _check(run_import, book, tmp_path, "before_birth", "就业状态", 4, "起始日期")
    assert issue.value == "2001-01-01"


def test_recognition_end_before_start(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    book.sheets["困难认定"][2][3] = date(2022, 12, 31)
    _check(run_import, book, tmp_path, "end_before_start", "困难认定", 3, "退出日期")


def test_unknown_enumeration_value(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["就业状态"][1][1] = "上班"
    issue = _check(run_import, book, tmp_path, "enum", "就业状态", 2, "状态")
    assert "单位就业" in issue.message_zh and issue.value == "上班"


def test_bad_yes_no(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["户"][1][4] = "也许"
    _check(run_import, book, tmp_path, "bool", "户", 2, "低保户")


def test_missing_required_cell(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["人员"][2][1] = ""
    _check(run_import, book, tmp_path, "required", "人员", 3, "姓名")


def test_missing_required_column(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    for row in book.sheets["户"]:
        del row[2]  # 户籍性质
    issue = _check(run_import, book, tmp_path, "missing_column", "户", 1, "户籍性质")
    assert "户籍性质" in issue.message_zh


def test_unknown_and_duplicate_columns(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    book.sheets["户"][0].append("走访情况")
    book.sheets["户"][1].append("已走访")
    _check(run_import, book, tmp_path, "unknown_column", "户", 1, "走访情况")
    book.sheets["户"][0][-1] = "地址"
    _check(run_import, book, tmp_path, "duplicate_column", "户", 1, "地址")


def test_impossible_and_malformed_dates(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    book.sheets["就业状态"][1][2] = "2023-02-30"
    _check(run_import, book, tmp_path, "date", "就业状态", 2, "起始日期")
    book.sheets["就业状态"][1][2] = "1850-01-01"
    _check(run_import, book, tmp_path, "date_range", "就业状态", 2, "起始日期")


def test_registered_only_when_unemployed(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    book.sheets["就业状态"][1][3] = "是"
    _check(run_import, book, tmp_path, "registered_not_unemployed", "就业状态", 2, "登记失业")


def test_female_base_only_for_women(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["人员"][1][8] = "50"
    _check(run_import, book, tmp_path, "female_base_male", "人员", 2, "女性退休基准")


def test_4050_condition(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["困难认定"].append([book.ids["son"], "4050", date(2025, 8, 1), ""])
    _check(run_import, book, tmp_path, "not_4050", "困难认定", 4, "类别")


def test_training_needs_a_mode(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["服务记录"][2][3] = ""
    _check(run_import, book, tmp_path, "training_mode_required", "服务记录", 3, "培训模式")


def test_outcome_must_fit_the_kind(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["服务记录"][3][4] = "有效"  # a survey with a complaint's outcome
    _check(run_import, book, tmp_path, "outcome_kind", "服务记录", 4, "结果")


def test_service_in_the_future(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["服务记录"][1][2] = date(TODAY.year + 1, 1, 1)
    _check(run_import, book, tmp_path, "future", "服务记录", 2, "日期")


def test_conflicting_rows_for_the_same_day(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    book.sheets["就业状态"].append([book.ids["head"], "灵活就业", date(2020, 1, 1), "", "", ""])
    _check(run_import, book, tmp_path, "conflict_in_file", "就业状态", 7, "起始日期")


def test_household_only_in_a_community_or_grid(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    book.sheets["户"][1][1] = "110108001"  # a street
    _check(run_import, book, tmp_path, "household_unit_level", "户", 2, "单位代码")


def test_unit_placement_and_changes(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["单位"][1][3] = "110108001"  # a grid directly under a street
    _check(run_import, book, tmp_path, "unit_level", "单位", 2, "层级")
    book.sheets["单位"][1] = ["110108001001", "翠微社区", "村", "110108001"]
    _check(run_import, book, tmp_path, "unit_changed", "单位", 2, "层级")


def test_name_check_in_dependent_sheets(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    """An optional 姓名 column in a dependent sheet must match the person."""
    rows = book.sheets["就业状态"]
    rows[0] = [*rows[0], "姓名"]
    for row in rows[1:]:
        row.append("")
    rows[1][-1] = "别人"
    _check(run_import, book, tmp_path, "name_mismatch", "就业状态", 2, "姓名")


def test_too_long_and_huge_cells(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["户"][1][3] = "路" * 201
    issue = _check(run_import, book, tmp_path, "too_long", "户", 2, "地址")
    assert "201" in issue.message_zh
    book.sheets["户"][1][3] = "x" * 32_767  # Excel's own limit: our field limit applies
    _check(run_import, book, tmp_path, "too_long", "户", 2, "地址")


def test_all_errors_are_reported_at_once(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    book.sheets["人员"][2][0] = _bump_check_digit(book.ids["spouse"])
    book.sheets["户"][2][2] = "外地"
    book.sheets["服务记录"][2][3] = ""
    result = run_import(book.save(tmp_path / "many.xlsx"))
    assert {"id_checksum", "enum", "training_mode_required"} <= {i.code for i in result.issues}


def test_english_messages(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["户"][1][1] = "999999999999"
    issue = _issue(run_import(book.save(tmp_path / "en.xlsx")), "unknown_unit")
    assert issue.message("en") == "Unit code 999999999999 does not exist"
    assert issue.location("en") == "户 row 2 单位代码"


def test_scope_rows_for_foreign_units_are_errors(
    personas: dict[str, Any], tree: Any, tmp_path: Path, run_import: Any
) -> None:
    """A worker of community A cannot write households or persons into sibling B."""
    worker = personas["worker_a"]
    a, b = make_id(date(1980, 1, 1)), make_id(date(1981, 1, 1))
    path = write_xlsx(
        tmp_path / "scope.xlsx",
        {
            "户": [
                HEADERS["户"],
                ["SA-1", "110108001001", "城镇", "", ""],
                ["SB-1", "110108001002", "城镇", "", ""],
            ],
            "人员": [["公民身份号码", "姓名", "户编号"], [a, "甲", "SA-1"], [b, "乙", "SB-1"]],
        },
    )
    result = run_import(path, user=worker, mode="partial")
    issue = _issue(result, "out_of_scope")
    assert (issue.sheet, issue.row, issue.column) == ("户", 3, "单位代码")
    assert _issue(result, "depends_on_failed_row").row == 3
    from jiuye.registry.models import Person

    assert list(Person.objects.values_list("id_number", flat=True)) == [a]
    # A grid coordinator of A1 may not write into A's grid-less households either.
    result = run_import(path, user=personas["grid_a1"], mode="dry_run")
    assert _issue(result, "out_of_scope").row == 2


def test_person_registered_outside_the_jurisdiction(
    personas: dict[str, Any], tree: Any, tmp_path: Path, run_import: Any
) -> None:
    number = make_id(date(1979, 5, 5))
    run_import(
        write_xlsx(
            tmp_path / "b.xlsx",
            {
                "户": [HEADERS["户"], ["SB-9", "110108001002", "城镇", "", ""]],
                "人员": [["公民身份号码", "姓名", "户编号"], [number, "丙", "SB-9"]],
            },
        )
    )
    result = run_import(
        write_xlsx(
            tmp_path / "a.xlsx",
            {
                "户": [HEADERS["户"], ["SA-9", "110108001001", "城镇", "", ""]],
                "人员": [["公民身份号码", "姓名", "户编号"], [number, "丙", "SA-9"]],
                "就业状态": [HEADERS["就业状态"], [number, "失业", date(2024, 1, 1), "", "", ""]],
            },
        ),
        user=personas["worker_a"],
    )
    assert _issue(result, "registered_elsewhere").sheet == "人员"
    assert not result.written
