"""``jiuye import``, ``jiuye export ledgers`` and ``jiuye template`` on the command line."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from tests.ledger.conftest import Book, registry_counts, write_csv

from jiuye.ledger.terminal import ProgressBar

pytestmark = pytest.mark.django_db


def _call(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_then_reimport(tree: Any, book: Book, tmp_path: Path) -> None:
    path = book.save(tmp_path / "book.xlsx")
    out = _call("import", str(path), "--no-progress")
    assert "导入完成" in out and "新增 18" in out
    out = _call("import", str(path), "--no-progress", "--lang", "en")
    assert "0 new, 0 updated, 18 unchanged" in out


def test_errors_exit_nonzero_and_go_to_a_workbook(tree: Any, book: Book, tmp_path: Path) -> None:
    book.sheets["户"][1][1] = "999999999999"
    errors = tmp_path / "errors.xlsx"
    before = registry_counts()
    with pytest.raises(CommandError) as raised:
        _call(
            "import",
            str(book.save(tmp_path / "bad.xlsx")),
            "--errors",
            str(errors),
            "--no-progress",
        )
    assert raised.value.returncode == 1 and "未导入任何数据" in str(raised.value)
    assert registry_counts() == before
    rows = list(openpyxl.load_workbook(errors).active.iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行", "列", "值", "错误代码", "原因")
    assert rows[1][:5] == ("户", 2, "单位代码", "999999999999", "unknown_unit")


def test_partial_exit_code(tree: Any, book: Book, tmp_path: Path) -> None:
    book.sheets["户"][1][1] = "999999999999"
    with pytest.raises(CommandError) as raised:
        _call(
            "import",
            str(book.save(tmp_path / "bad.xlsx")),
            "--partial",
            "--no-progress",
            "--lang",
            "en",
        )
    assert raised.value.returncode == 3 and "rows rejected" in str(raised.value)
    from jiuye.registry.models import Person

    assert Person.objects.filter(id_number=book.ids["other"]).exists()


def test_dry_run(tree: Any, book: Book, tmp_path: Path) -> None:
    before = registry_counts()
    out = _call("import", str(book.save(tmp_path / "book.xlsx")), "--dry-run", "--no-progress")
    assert "试运行" in out and "将新增 18" in out
    assert registry_counts() == before


def test_directory_of_csv_files(tree: Any, book: Book, tmp_path: Path) -> None:
    directory = tmp_path / "csv"
    directory.mkdir()
    for name, rows in book.sheets.items():
        write_csv(directory / f"{name}.csv", rows)
    write_csv(directory / "劳动力资源台账.csv", [["序号", "姓名"]])  # a ledger view: skipped
    out = _call("import", str(directory), "--no-progress")
    assert "新增 18" in out


def test_import_as_a_user(personas: dict[str, Any], book: Book, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as raised:
        _call(
            "import", str(book.save(tmp_path / "book.xlsx")), "--user", "worker_b", "--no-progress"
        )
    assert raised.value.returncode == 1
    with pytest.raises(CommandError):
        _call("import", str(tmp_path / "book.xlsx"), "--user", "nobody-at-all")


def test_export_and_template_commands(tree: Any, book: Book, tmp_path: Path) -> None:
    _call("import", str(book.save(tmp_path / "book.xlsx")), "--no-progress")
    target = tmp_path / "ledgers.xlsx"
    out = _call("export", "ledgers", "110108001001", "-o", str(target), "--date", "2026-11-22")
    assert "号码已脱敏" in out and target.exists()
    with pytest.raises(CommandError, match="原因"):
        _call("export", "ledgers", "110108001001", "-o", str(target), "--reveal")
    out = _call(
        "export", "ledgers", "110108001001", "-o", str(target), "--reveal", "--reason", "导出核对"
    )
    assert "完整号码" in out
    sheet = openpyxl.load_workbook(target)["人员"]
    assert book.ids["head"] in [r[0] for r in sheet.iter_rows(values_only=True)]
    with pytest.raises(CommandError, match="单位不存在"):
        _call("export", "ledgers", "999", "-o", str(target))
    csv_dir = tmp_path / "csv"
    _call("export", "ledgers", "110108", "-o", str(csv_dir), "--format", "csv")
    assert (csv_dir / "人员.csv").exists()
    template = tmp_path / "template.xlsx"
    _call("template", "-o", str(template))
    assert openpyxl.load_workbook(template).sheetnames[0] == "填写说明"


def test_progress_bar_draws_on_a_terminal() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, enabled=True)
    bar("validate", 500, 1000)
    bar("write", 10, 10)
    bar.done()
    text = stream.getvalue()
    assert "50%" in text and "校验" in text and "100%" in text and "10 / 10" in text
    quiet = io.StringIO()
    ProgressBar(quiet, enabled=False)("write", 1, 2)
    assert quiet.getvalue() == ""
