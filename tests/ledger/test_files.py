"""Bad input, nothing lost: every kind of unreadable or unsuitable file gets a clear error and
writes nothing; a crash or a kill in the middle leaves the database as it was."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from tests.ledger.conftest import Book, codes, registry_counts, write_xlsx

# every file problem is found the same way whichever process parses the file
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reading")]


def _rejected(run_import: Any, path: Path, code: str) -> Any:
    before = registry_counts()
    result = run_import(path)
    assert code in codes(result), [(i.code, i.message_zh) for i in result.issues]
    issue = next(i for i in result.issues if i.code == code)
    assert issue.message_zh and issue.message_en
    assert not result.written
    assert registry_counts() == before
    return issue


def test_truncated_workbook(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    data = book.save(tmp_path / "full.xlsx").read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    issue = _rejected(run_import, path, "corrupt")
    assert "损坏" in issue.message_zh


def test_damaged_member_fails_its_crc(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    path = book.save(tmp_path / "book.xlsx")
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    sheet = next(name for name in members if name.startswith("xl/worksheets/"))
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w", zipfile.ZIP_STORED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    raw = bytearray(broken.read_bytes())
    at = raw.find(members[sheet][200:240])
    assert at > 0
    raw[at : at + 8] = b"\x00\x01\x02\x03\x04\x05\x06\x07"
    broken.write_bytes(bytes(raw))
    _rejected(run_import, broken, "corrupt")


def test_not_an_excel_file(tree: Any, tmp_path: Path, run_import: Any) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00" * 100)
    _rejected(run_import, path, "not_excel")
    other = tmp_path / "archive.xlsx"  # a zip, but not a workbook
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    _rejected(run_import, other, "not_excel")


def test_old_xls_and_password_protected(tree: Any, tmp_path: Path, run_import: Any) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    path = tmp_path / "old.xlsx"
    path.write_bytes(ole + b"Workbook".ljust(64, b"\x00"))
    _rejected(run_import, path, "xls_format")
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(ole + "EncryptedPackage".encode("utf-16-le"))
    _rejected(run_import, locked, "encrypted")


def test_empty_and_missing_files(tree: Any, tmp_path: Path, run_import: Any) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    _rejected(run_import, empty, "file_empty")
    _rejected(run_import, tmp_path / "nowhere.xlsx", "file_missing")


def test_file_over_the_size_limit(
    tree: Any, book: Book, tmp_path: Path, run_import: Any, settings: Any
) -> None:
    settings.LEDGER_MAX_FILE_MB = 0.001
    _rejected(run_import, book.save(tmp_path / "big.xlsx"), "file_too_large")


def test_wrong_sheet(tree: Any, tmp_path: Path, run_import: Any) -> None:
    path = write_xlsx(tmp_path / "wrong.xlsx", {"Sheet1": [["a", "b"], [1, 2]]})
    issue = _rejected(run_import, path, "unknown_sheet")
    assert issue.sheet == "Sheet1" and "单位、户、人员" in issue.message_zh


def test_merged_header_cells(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    path = book.save(tmp_path / "merged.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["户"].merge_cells("D1:E1")
    workbook.save(path)
    issue = _rejected(run_import, path, "merged_header")
    assert (issue.sheet, issue.row) == ("户", 1) and "D1:E1" in issue.message_zh


def test_title_row_above_the_header_is_fine(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    """A merged title above the header row is common in workers' sheets: the header is the
    first row naming known columns, and the rows keep their worksheet numbers."""
    book.sheets["户"].insert(0, ["翠微社区户籍台账", "", "", "", ""])
    path = book.save(tmp_path / "title.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["户"].merge_cells("A1:E1")
    workbook.save(path)
    assert run_import(path).ok
    book.sheets["户"][2][2] = "外地"
    result = run_import(book.save(tmp_path / "title2.xlsx"))
    assert (result.issues[0].sheet, result.issues[0].row, result.issues[0].code) == (
        "户",
        3,
        "enum",
    )


def test_formula_cells(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["人员"][3][15] = "=2020+5"
    issue = _rejected(run_import, book.save(tmp_path / "formula.xlsx"), "formula")
    assert (issue.sheet, issue.row, issue.column) == ("人员", 4, "P")
    assert "选择性粘贴" in issue.message_zh


def test_a_50_mb_cell(
    tree: Any, book: Book, tmp_path: Path, run_import: Any, settings: Any
) -> None:
    """Excel and openpyxl never write more than 32,767 characters to a cell; a crafted file
    can (written here with our own writer, which does not cut)."""
    from jiuye.ledger.xlsx import Workbook

    # One character repeated packs 1,000 to 1: since issue 11, finding 5 the worksheet is
    # refused as a zip bomb before it is read (test_zip_bombs.py). The cell limit is what is
    # tested here, so the ratio limit is lifted.
    settings.LEDGER_MAX_RATIO = 1_000_000

    path = tmp_path / "huge.xlsx"
    with Workbook(path) as workbook:
        rows = book.sheets["户"]
        sheet = workbook.sheet("户", rows[0])
        sheet.append([*rows[1][:3], "长" * (50 * 2**20 // 3), rows[1][4]])  # 50 MB of UTF-8
    issue = _rejected(run_import, path, "cell_too_long")
    assert (issue.sheet, issue.row, issue.column) == ("户", 2, "地址")
    assert "32767" in issue.message_zh and len(issue.value) < 300


def test_unpacked_size_limit(
    tree: Any, book: Book, tmp_path: Path, run_import: Any, settings: Any
) -> None:
    settings.LEDGER_MAX_UNPACKED_MB = 0.001
    _rejected(run_import, book.save(tmp_path / "bomb.xlsx"), "too_big_inside")


def test_a_crash_in_the_middle_leaves_the_database_as_it_was(
    transactional_db: Any,
    tree: Any,
    book: Book,
    tmp_path: Path,
    run_import: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Raise after units, households and persons were written: all of it is rolled back."""
    from jiuye.audit.models import AuditEntry
    from jiuye.ledger import load

    real_insert = load.insert
    calls = []

    def failing_insert(model: Any, *args: Any, **kwargs: Any) -> None:
        real_insert(model, *args, **kwargs)
        calls.append(model.__name__)
        if model.__name__ == "Person":
            raise RuntimeError("power cut")

    monkeypatch.setattr(load, "insert", failing_insert)
    before = registry_counts()
    result = run_import(book.save(tmp_path / "crash.xlsx"))
    assert calls[:3] == ["Unit", "Household", "Person"]
    assert not result.written and "crashed" in codes(result)
    assert registry_counts() == before
    entry = AuditEntry.objects.filter(action="ledger.import_rejected").order_by("-id").first()
    assert entry is not None and entry.result == "failed"


def _kill_database(tmp_path: Path) -> tuple[str, Any]:
    """A file SQLite database, or on PostgreSQL a scratch database beside the test one:
    (DATABASE_URL, cleanup)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'kill.sqlite3'}", lambda: None
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = f"ledger_kill_{os.getpid()}"
    admin = {
        "host": parsed.hostname,
        "port": parsed.port or 5432,
        "user": parsed.username or "jiuye",
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")

    def cleanup() -> None:
        with psycopg.connect(**admin) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")

    return parsed._replace(path=f"/{name}").geturl(), cleanup


def test_a_killed_import_writes_nothing(tmp_path: Path) -> None:
    """SIGKILL in the middle of writing, in a separate process on a real database (SQLite
    file, or PostgreSQL when the suite runs on it): afterwards the database holds what it held
    before, and opens."""
    url, cleanup = _kill_database(tmp_path)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JIUYE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "jiuye.settings",
    }
    jiuye = str(Path(sys.executable).with_name("jiuye"))
    try:
        _killed_import(env, jiuye, tmp_path)
    finally:
        cleanup()


def _killed_import(env: dict[str, str], jiuye: str, tmp_path: Path) -> None:
    subprocess.run([jiuye, "migrate", "-v0"], env=env, check=True)
    book = Book()
    path = book.save(tmp_path / "kill.xlsx")
    script = f"""
import os, signal, django
django.setup()
from pathlib import Path
from jiuye.units.models import Level
from jiuye.units.services import unit_create
d = unit_create(actor=None, code="110108", name="海淀区", level=Level.DISTRICT)
s = unit_create(actor=None, code="110108001", name="街道", level=Level.STREET, parent=d)
a = unit_create(actor=None, code="110108001001", name="社区", level=Level.COMMUNITY, parent=s)
unit_create(actor=None, code="110108001001A1", name="网格", level=Level.GRID, parent=a)
from jiuye.ledger.services import ledger_import
def progress(phase, done, total):
    if phase == "write" and done >= 3:  # units and households are in: die
        os.kill(os.getpid(), signal.SIGKILL)
p = Path({str(path)!r})
ledger_import(actor=None, files=[(p, p.name)], progress=progress)
print("not killed")
"""
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert out.returncode == -9, out.stdout + out.stderr
    check = """
import django, json
django.setup()
from jiuye.registry.models import Household, Person
from jiuye.units.models import Unit
print(json.dumps([Unit.objects.count(), Household.objects.count(), Person.objects.count()]))
"""
    after = subprocess.run(
        [sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True
    )
    assert after.stdout.strip().splitlines()[-1] == "[4, 0, 0]"
