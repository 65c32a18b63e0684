"""Parsing worksheets and CSV files into grids of raw cell values, in this process or another.

A :class:`Grid` is one worksheet (or CSV file) as read: its first rows as they are (the header
is looked for there) and every row column by column. Turning grids into the contract's sheets
(header row, column names, blank rows) is ``ledger.readers``'s business; this module knows
nothing of the contract and imports nothing of Django, so that it can run in a helper process.

Why a process: python-calamine and the csv module hold the interpreter lock while they parse,
so a thread parsing the next sheet does not run beside the validation of the current one, it
takes turns with it. A helper process (:class:`ProcessReader`) parses the sheets one after
another, in the order the validation asks for them, on the other core; each grid comes back
through a pipe with its text columns packed as one string each (:func:`pack`), which the
import's process splits again at C speed: a fraction of what parsing costs. Small files are
parsed in the import's own process (:func:`read_items`, the same code), where starting a
process would cost more than it saves.

What is checked here, per item, is reported as a :class:`Problem` (an issue code and its
parameters): a formula cell (the import takes values only), a damaged worksheet (the zip's CRC
is checked as the XML is streamed), a CSV file in an unknown encoding, unparsable or empty.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import io
import os
import pickle
import queue
import re
import struct
import subprocess
import sys
import threading
import zipfile
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from jiuye.ledger.formulas import may_need_restoring, restore

MB = 1024 * 1024
HEAD_ROWS = 10  # the header row is looked for among the first rows
SEP = "\x1f"  # joins a packed text column (a cell holding it makes the column go as a list)
_LENGTH = struct.Struct(">Q")


@dataclass
class Grid:
    """One worksheet or CSV file: ``head`` its first rows as read, ``columns`` every row column by
    column (rows padded with "" to the widest), ``blank`` the rows without any value, ``first_row``
    the worksheet row number of row 0, ``merged`` its merged cell ranges ((r0, c0), (r1, c1))."""

    head: list[list[Any]]
    columns: list[Sequence[Any]]
    n: int
    blank: list[int]
    first_row: int
    merged: list[Any] = field(default_factory=list)


@dataclass
class Problem:
    """An issue found reading an item: ``fatal`` ones stop the import (a damaged file)."""

    code: str
    params: dict[str, Any]
    fatal: bool


@dataclass(frozen=True)
class Item:
    """One worksheet of an .xlsx file (``member`` its zip member) or one CSV file."""

    kind: str  # "xlsx" or "csv"
    path: str
    name: str = ""  # the worksheet's name
    member: str = ""
    # a large worksheet parsed in pieces by several processes: this is piece ``part`` (from 1)
    # of ``parts`` (see :func:`_xlsx_piece`); 0 of 0 for a whole worksheet
    part: int = 0
    parts: int = 0


def grid_from_rows(rows: list[Any], *, first_row: int, merged: Sequence[Any] = ()) -> Grid:
    head = [list(r) for r in rows[:HEAD_ROWS]]
    width = max(map(len, rows), default=0)
    if any(len(r) != width for r in rows):
        rows = [r if len(r) == width else [*r, *([""] * (width - len(r)))] for r in rows]
    blank = [i for i, row in enumerate(rows) if not any(row)]  # "" (or 0) everywhere
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else []
    return Grid(
        head=head,
        columns=columns,
        n=len(rows),
        blank=blank,
        first_row=first_row,
        merged=list(merged),
    )


# ---------------------------------------------------------------------------------------------
# xlsx
# ---------------------------------------------------------------------------------------------

_FORMULA = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?f[\s>/]")
_CELL_REF = re.compile(rb'<(?:[A-Za-z][\w.-]*:)?c\b[^>]*?\br="([A-Z]+)(\d+)"')


def find_formula(data: bytes) -> re.Match[bytes] | None:
    """A formula element in worksheet XML: ``<f>``, ``<f …>`` or a prefixed ``<x:f>``. Found
    with ``bytes.find`` (memchr speed) and confirmed by the pattern; a regex scan of the whole
    XML would cost more than the decompression."""
    for needle in (b"<f", b":f"):
        start = data.find(needle)
        while start != -1:
            begin = data.rfind(b"<", 0, start + 1)
            match = _FORMULA.match(data, begin) if begin != -1 else None
            if match:
                return match
            start = data.find(needle, start + 2)
    return None


def scan_member(archive: zipfile.ZipFile, member: str) -> Problem | None:
    """Stream one worksheet's XML: the first formula cell, or a damaged member (the zip CRC
    is checked at the end of the stream)."""
    tail = b""
    try:
        with archive.open(member) as stream:
            while True:
                chunk = stream.read(4 * MB)
                if not chunk:
                    return None
                data = tail + chunk
                match = find_formula(data)
                if match:
                    cells = list(_CELL_REF.finditer(data, 0, match.start()))
                    if cells:
                        letters, row = cells[-1].group(1).decode(), int(cells[-1].group(2))
                        return Problem("formula", {"row": row, "column": letters}, fatal=False)
                    return Problem("formula", {}, fatal=False)
                tail = data[-512:]
    except KeyError:
        return Problem("corrupt", {"detail": f"{member} missing"}, fatal=True)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        return Problem("corrupt", {"detail": str(error)[:100]}, fatal=True)


def _corrupt(error: BaseException) -> Problem:
    return Problem("corrupt", {"detail": str(error)[:100]}, fatal=True)


def _parse_sheet(workbook: Any, name: str) -> Grid | Problem:
    try:
        parsed = workbook.get_sheet_by_name(name)
        rows = parsed.to_python(skip_empty_area=True)
        start_row, start_col = parsed.start or (0, 0)
        merged = parsed.merged_cell_ranges or []
    except Exception as error:
        return _corrupt(error)
    del parsed
    if start_col:
        rows = [[""] * start_col + list(r) for r in rows]
    return grid_from_rows(rows, first_row=start_row + 1, merged=merged)


def _xlsx_grids(path: str, items: list[Item]) -> Iterator[Grid | Problem]:
    """The worksheets ``items`` of one workbook, in order; stops after a fatal problem."""
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(path)
    except Exception as error:  # calamine raises its own error types for damaged files
        yield _corrupt(error)
        return
    try:
        archive = zipfile.ZipFile(path)
    except Exception as error:
        workbook.close()
        yield _corrupt(error)
        return
    with archive, contextlib.closing(workbook):
        for item in items:
            found: Grid | Problem | None
            if item.parts > 1:
                found = _xlsx_piece(archive, workbook, item)
            else:
                found = scan_member(archive, item.member)
                if found is None:
                    found = _parse_sheet(workbook, item.name)
            yield found
            if isinstance(found, Problem) and found.fatal:
                return
            del found


# A worksheet in pieces. Calamine parses a worksheet whole, holding the interpreter lock; the
# persons sheet of a district takes most of the reading time, and the validation can begin
# only once it is parsed. So its XML is cut between rows into pieces, each wrapped in a
# workbook of its own (the original's other parts, the other worksheets left empty) and parsed
# by its own process; the import joins the pieces again (``readers._join``). A cut is made only
# where nothing can go wrong: at a ``<row`` tag carrying its row number (so that calamine puts
# the rows where they were), in XML without CDATA sections; otherwise the first piece is the
# whole worksheet and the others are empty.

_EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData/></worksheet>"
)


def cut_points(data: bytes, parts: int) -> list[int] | None:
    """Where to cut a worksheet's XML into ``parts`` pieces of rows: [start of the first row,
    the cuts…, end of the last row], or None where it cannot be cut safely."""
    opening = data.find(b"<sheetData>")
    closing = data.rfind(b"</sheetData>")
    if opening < 0 or closing < opening or data.find(b"<sheetData", opening + 1) != -1:
        return None
    if data.find(b"<![CDATA[") != -1:
        return None
    start = opening + len(b"<sheetData>")
    points = [start]
    for k in range(1, parts):
        at = data.find(b"<row ", start + (closing - start) * k // parts, closing)
        end = data.find(b">", at)
        if at < 0 or end < 0 or b' r="' not in data[at:end] or at <= points[-1]:
            return None
        points.append(at)
    points.append(closing)
    return points


def _read_member(archive: zipfile.ZipFile, member: str, *, scan: bool) -> bytes | Problem:
    """The member's XML, streamed as :func:`scan_member` streams it (the same formula found
    first, the same damage reported) when ``scan``."""
    chunks: list[bytes] = []
    tail = b""
    try:
        with archive.open(member) as stream:
            while True:
                chunk = stream.read(4 * MB)
                if not chunk:
                    break
                chunks.append(chunk)
                if scan:
                    data = tail + chunk
                    match = find_formula(data)
                    if match:
                        cells = list(_CELL_REF.finditer(data, 0, match.start()))
                        if cells:
                            letters, row = cells[-1].group(1).decode(), int(cells[-1].group(2))
                            return Problem("formula", {"row": row, "column": letters}, False)
                        return Problem("formula", {}, fatal=False)
                    tail = data[-512:]
    except KeyError:
        return Problem("corrupt", {"detail": f"{member} missing"}, fatal=True)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        return Problem("corrupt", {"detail": str(error)[:100]}, fatal=True)
    return b"".join(chunks)


def _xlsx_piece(archive: zipfile.ZipFile, workbook: Any, item: Item) -> Grid | Problem:
    """Piece ``item.part`` of a worksheet cut in ``item.parts``. The first piece checks the
    whole worksheet for formulas and damage, exactly as a whole worksheet is checked (the
    others' problems are not looked at, see ``readers._join``)."""
    import python_calamine

    data = _read_member(archive, item.member, scan=item.part == 1)
    if isinstance(data, Problem):
        return data
    points = cut_points(data, item.parts)
    if points is None:  # not to be cut: the first piece is the whole worksheet
        del data
        if item.part == 1:
            return _parse_sheet(workbook, item.name)
        return Grid(head=[], columns=[], n=0, blank=[], first_row=0)
    xml = b"".join(
        (data[: points[0]], data[points[item.part - 1] : points[item.part]], data[points[-1] :])
    )
    del data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as piece:
        for info in archive.infolist():
            if info.filename == item.member:
                piece.writestr(info.filename, xml)
            elif info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                piece.writestr(info.filename, _EMPTY_SHEET)
            else:
                piece.writestr(info.filename, archive.read(info.filename))
    del xml
    buffer.seek(0)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(buffer)
    except Exception as error:
        return _corrupt(error)
    with contextlib.closing(book):
        return _parse_sheet(book, item.name)


# ---------------------------------------------------------------------------------------------
# csv
# ---------------------------------------------------------------------------------------------


def _decode(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            return None
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def csv_grid(path: str) -> Grid | Problem:
    text = _decode(Path(path).read_bytes())
    if text is None:
        return Problem("csv_encoding", {}, fatal=True)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as error:
        return _corrupt(error)
    if may_need_restoring(text):  # a cell our export kept from being a formula
        # (``ledger.formulas``): rows with an apostrophe anywhere are looked at cell by cell
        rows = [_restore_row(row) if "'" in "".join(row) else row for row in rows]
    del text
    if not rows:
        return Problem("file_empty", {}, fatal=True)
    return grid_from_rows(rows, first_row=1)


def _restore_row(row: list[str]) -> list[str]:
    return [restore(cell) if cell[:1] == "'" else cell for cell in row]


# ---------------------------------------------------------------------------------------------
# Reading a list of items, here or in a helper process
# ---------------------------------------------------------------------------------------------


def read_items(items: Sequence[Item]) -> Generator[Grid | Problem, None, None]:
    """One grid or problem per item, in order (a workbook's worksheets share one opening of
    the file); nothing after a fatal problem."""
    index = 0
    while index < len(items):
        item = items[index]
        if item.kind == "csv":
            found = csv_grid(item.path)
            yield found
            if isinstance(found, Problem) and found.fatal:
                return
            index += 1
            continue
        end = index + 1
        while end < len(items) and items[end].kind == "xlsx" and items[end].path == item.path:
            end += 1
        for found in _xlsx_grids(item.path, list(items[index:end])):
            yield found
            if isinstance(found, Problem) and found.fatal:
                return
        index = end


def pack(grid: Grid) -> Grid:
    """The grid with each column that is all text joined into one string (``("s", text)``),
    each all-date column as ISO dates (``("d", text)``), others as they are (``("l", list)``):
    pickling a few long strings instead of millions of small objects."""
    packed: list[Any] = []
    for column in grid.columns:
        try:
            text = SEP.join(column)  # a TypeError at the first cell that is not text
        except TypeError:
            if all(value.__class__ is date for value in column):
                packed.append(("d", SEP.join(map(date.isoformat, column))))
            else:
                packed.append(("l", list(column)))
            continue
        if text.count(SEP) == len(column) - 1:
            packed.append(("s", text))
        else:  # a cell holds the separator
            packed.append(("l", list(column)))
    return Grid(grid.head, packed, grid.n, grid.blank, grid.first_row, grid.merged)


def unpack(grid: Grid) -> Grid:
    columns: list[Sequence[Any]] = []
    for kind, value in grid.columns:
        if kind == "l":
            columns.append(value)
        elif grid.n == 0:
            columns.append([])
        elif kind == "s":
            columns.append(value.split(SEP))
        else:
            columns.append(list(map(date.fromisoformat, value.split(SEP))))
    return Grid(grid.head, columns, grid.n, grid.blank, grid.first_row, grid.merged)


def _write(out: Any, payload: bytes) -> None:
    out.write(_LENGTH.pack(len(payload)))
    out.write(payload)
    out.flush()


def main() -> None:
    """The helper process: items (pickled) on standard input, each grid or problem out on
    standard output as a length and a pickle, then a zero length."""
    gc.disable()  # millions of short-lived rows: the cyclic collector would only cost time
    items: list[Item] = pickle.loads(sys.stdin.buffer.read())
    out = sys.stdout.buffer
    for found in read_items(items):
        payload = pickle.dumps(pack(found) if isinstance(found, Grid) else found, protocol=5)
        del found
        _write(out, payload)
    out.write(_LENGTH.pack(0))
    out.flush()


class ReaderFailed(RuntimeError):
    """The helper process ended without finishing (killed, out of memory, a crash)."""


class ProcessReader:
    """:func:`read_items` in a helper process, read ahead: a thread takes each grid from the
    pipe as soon as it is ready and unpacks it, so the process is never held up and the
    import's thread gets whole grids. :meth:`close` ends the process if it is still running."""

    _DONE = object()

    def __init__(self, items: Sequence[Item]) -> None:
        import jiuye

        package_root = str(Path(jiuye.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            # not "-m": its classes would be __main__'s, which this side cannot unpickle
            [sys.executable, "-c", "from jiuye.ledger.grids import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdin is not None
        self.slots: queue.Queue[Any] = queue.Queue()
        self.expected = len(items)
        self.thread = threading.Thread(target=self._receive, name="ledger-reader", daemon=True)
        try:
            self.process.stdin.write(pickle.dumps(list(items), protocol=5))
            self.process.stdin.close()
        except OSError:
            pass  # the process died at once: _receive reports it
        self.thread.start()

    def _receive(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while True:
                head = stdout.read(_LENGTH.size)
                if len(head) < _LENGTH.size:
                    raise ReaderFailed(f"reader process ended early ({self.process.wait()})")
                (size,) = _LENGTH.unpack(head)
                if size == 0:
                    break
                payload = stdout.read(size)
                if len(payload) < size:
                    raise ReaderFailed(f"reader process ended early ({self.process.wait()})")
                found = pickle.loads(payload)
                del payload
                self.slots.put(unpack(found) if isinstance(found, Grid) else found)
            self.slots.put(self._DONE)
        except BaseException as error:  # handed over to the import's thread
            self.slots.put(error)

    def __iter__(self) -> Iterator[Grid | Problem]:
        while True:
            found = self.slots.get()
            if found is self._DONE:
                return
            if isinstance(found, BaseException):
                raise found
            yield found

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.thread.join()
        if self.process.stdout is not None:
            self.process.stdout.close()
