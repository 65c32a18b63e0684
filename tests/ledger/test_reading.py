"""Reading in a helper process gives what reading in the import's process gives: the same
sheets, the same issues at the same places, the same data written; and the packing of grids
for the pipe loses nothing (a cell holding the separator, dates, mixed columns)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.ledger.conftest import Book, codes, registry_counts, write_csv

from jiuye.ledger import grids, readers
from jiuye.ledger.grids import SEP, Grid, Item, Problem, ProcessReader, pack, unpack

pytestmark = pytest.mark.django_db


def _roundtrip(columns: list[list[Any]]) -> list[list[Any]]:
    n = len(columns[0]) if columns else 0
    grid = Grid(head=[], columns=columns, n=n, blank=[], first_row=1)
    return [list(c) for c in unpack(pack(grid)).columns]


def test_pack_keeps_every_kind_of_column() -> None:
    columns: list[list[Any]] = [
        ["a", "", "长文本 with spaces", "x\ny"],  # text: joined
        ["a", f"b{SEP}c", "d", ""],  # the separator in a cell: sent as a list
        [date(2020, 1, 1), date(1900, 1, 1), date(2100, 12, 31), date(2024, 2, 29)],
        [date(2020, 1, 1), datetime(2020, 1, 1, 12, 30), "2020-01-01", 1.5],  # mixed
        [1.0, 2, True, None],
        ["", "", "", ""],
    ]
    back = _roundtrip(columns)
    assert back == columns
    for before, after in zip(columns, back, strict=True):
        assert [type(v) for v in before] == [type(v) for v in after]


def test_pack_of_an_empty_grid() -> None:
    assert _roundtrip([]) == []
    grid = Grid(head=[["代码"]], columns=[("代码",)], n=1, blank=[], first_row=3)
    back = unpack(pack(grid))
    assert (back.head, [list(c) for c in back.columns], back.first_row) == (
        [["代码"]],
        [["代码"]],
        3,
    )


def test_the_process_reads_what_this_process_reads(tmp_path: Path, book: Book) -> None:
    path = book.save(tmp_path / "book.xlsx")
    csv_path = write_csv(tmp_path / "户.csv", book.sheets["户"])
    items = [
        Item("csv", str(csv_path)),
        *(
            Item("xlsx", str(path), name=name, member=f"xl/worksheets/sheet{i}.xml")
            for i, name in enumerate(book.sheets, start=1)
        ),
    ]
    here = list(grids.read_items(items))
    reader = ProcessReader(items)
    try:
        there = list(reader)
    finally:
        reader.close()
    assert len(here) == len(there) == len(items)
    for a, b in zip(here, there, strict=True):
        assert isinstance(a, Grid) and isinstance(b, Grid)
        assert (a.head, a.n, a.blank, a.first_row) == (b.head, b.n, b.blank, b.first_row)
        assert [list(c) for c in a.columns] == [list(c) for c in b.columns]


def test_problems_come_through_the_pipe(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x41")  # a UTF-16 mark, then half a character
    reader = ProcessReader([Item("csv", str(bad))])
    try:
        found = list(reader)
    finally:
        reader.close()
    assert len(found) == 1 and isinstance(found[0], Problem)
    assert found[0].fatal


def test_a_reader_that_dies_fails_the_import_cleanly(
    tree: Any, book: Book, tmp_path: Path, run_import: Any, settings: Any, monkeypatch: Any
) -> None:
    settings.LEDGER_READ_PROCESS_MB = 0
    real_init = ProcessReader.__init__

    def dying(self: ProcessReader, items: Any) -> None:
        real_init(self, items)
        self.process.kill()

    monkeypatch.setattr(ProcessReader, "__init__", dying)
    before = registry_counts()
    result = run_import(book.save(tmp_path / "book.xlsx"))
    assert not result.written and "crashed" in codes(result)
    assert registry_counts() == before


def _outcome(result: Any) -> tuple[Any, ...]:
    return (
        result.written,
        result.summary()["counts"],
        [(i.code, i.sheet, i.row, i.column) for i in result.issues],
    )


def test_an_import_reads_the_same_either_way(
    tree: Any,
    book: Book,
    tmp_path: Path,
    run_import: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same workbook with problems (a formula, a bad date, an unknown household, a
    continuation sheet), checked with both readers: the same report."""
    book.sheets["服务记录"].append([book.ids["son"], "职业指导", "2025-13-01", "", "", ""])
    book.sheets["户"].append(["LH-X", "110108001001A1", "城镇", "=A1", "否"])
    book.sheets["人员(2)"] = [
        book.sheets["人员"][0],
        [book.ids["other"][:-1] + "0", "赵六", "LH-NONE", *book.sheets["人员"][1][3:]],
    ]
    path = book.save(tmp_path / "book.xlsx")
    outcomes = []
    for limit, piece in ((10_000, None), (0, None), (0, 0)):
        settings.LEDGER_READ_PROCESS_MB = limit
        if piece is not None:  # the largest worksheet (the persons) in two pieces
            monkeypatch.setattr(readers, "PIECE_BYTES", piece)
        outcomes.append(_outcome(run_import(path, mode="dry_run")))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert outcomes[0][2]  # there were problems to report


@pytest.mark.parametrize("formula", [False, True])
def test_a_worksheet_in_pieces_is_the_worksheet(
    tree: Any, book: Book, tmp_path: Path, formula: bool
) -> None:
    """Cut in two and parsed by two processes, the persons sheet (with a blank row, a wider
    row in the second piece, a formula in either) reads as when parsed whole."""
    rows = book.sheets["人员"]
    for k in range(40):
        rows.append([f"X{k}", "名", "LH", *rows[1][3:]])
    rows.insert(30, [""] * 16)
    rows.append([*rows[1], "extra"])
    if formula:
        rows[35][1] = "=1+1"
    path = book.save(tmp_path / "book.xlsx")
    member = "xl/worksheets/sheet3.xml"
    whole = next(grids.read_items([Item("xlsx", str(path), name="人员", member=member)]))
    items = [Item("xlsx", str(path), name="人员", member=member, part=k, parts=2) for k in (1, 2)]
    pieces = []
    for item in items:
        reader = ProcessReader([item])
        try:
            pieces.extend(reader)
        finally:
            reader.close()
    assert isinstance(pieces[1], Grid) and pieces[1].n  # it was cut
    joined = readers._join(pieces)
    if formula:
        assert joined == whole and isinstance(whole, Problem) and whole.code == "formula"
        return
    assert isinstance(joined, Grid) and isinstance(whole, Grid)
    assert (joined.head, joined.n, joined.blank, joined.first_row) == (
        whole.head,
        whole.n,
        whole.blank,
        whole.first_row,
    )
    assert [list(c) for c in joined.columns] == [list(c) for c in whole.columns]


def test_where_a_worksheet_is_not_cut() -> None:
    sheet = (
        b'<worksheet><sheetData><row r="1"><c/></row><row r="2"><c/></row></sheetData></worksheet>'
    )
    assert grids.cut_points(sheet, 2) is not None
    assert grids.cut_points(sheet.replace(b' r="2"', b""), 2) is None  # no row number
    assert grids.cut_points(sheet.replace(b"<c/>", b"<c><![CDATA[x]]></c>", 1), 2) is None
    assert grids.cut_points(b"<worksheet><sheetData/></worksheet>", 2) is None


def test_csv_files_import_the_same_either_way(
    reading: str, tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    paths = [write_csv(tmp_path / f"{name}.csv", rows) for name, rows in book.sheets.items()]
    result = run_import(paths)
    assert result.written, [(i.code, i.message_en) for i in result.issues]
    assert result.counts["persons"].inserted == 4
    assert registry_counts()["services"] == 4
