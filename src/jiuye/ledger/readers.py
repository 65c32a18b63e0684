"""Reading ledger workbooks (.xlsx) and per-sheet CSV files into columns of raw cell values.

Before anything is parsed a file must pass the checks that protect the server and the data:
its size, what it really is (an .xlsx is a zip with ``xl/workbook.xml``; an old .xls or a
password-protected workbook is an OLE2 file and gets its own message), its unpacked size (zip
bombs), and every imported worksheet's XML is streamed once looking for formulas (cells whose
value Excel computes: we import values only). A truncated or damaged zip fails its directory
or CRC check. Each problem is a :class:`~jiuye.ledger.issues.LedgerFileError`.

Worksheets are parsed by python-calamine (Rust) and CSV files by the csv module into grids of
raw values (``ledger.grids``), lazily, in the contract's order: large files in a helper process
that runs ahead of the validation (parsing the next sheet on the other core while the current
one is validated), small ones here. Values come back as str, float, int, bool, date or
datetime; "" is an empty cell. The header row may sit below a title row or two (the first row
with known column names is the header); merged cells on it are refused.
"""

from __future__ import annotations

import bisect
import dataclasses
import os
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from django.conf import settings

from jiuye.ledger.columns import (
    EXCEL_MAX_CELL,
    HEADER_MAPS,
    IGNORED_COLUMNS,
    SHEET_BY_KEY,
    Column,
    Sheet,
    fold,
    is_view_sheet,
    sheet_for,
)
from jiuye.ledger.grids import HEAD_ROWS, Grid, Item, Problem, ProcessReader, read_items
from jiuye.ledger.issues import Issue, LedgerFileError, make_issue

MB = 1024 * 1024
HEADER_SEARCH_ROWS = HEAD_ROWS
_SHEET_ORDER = ("units", "households", "persons", "statuses", "recognitions", "services")


def max_file_bytes() -> int:
    """The largest file accepted (``LEDGER_MAX_FILE_MB`` setting or ``JIUYE_LEDGER_MAX_FILE_MB``,
    default 300 MB: a million-person workbook is about 60 MB)."""
    value = getattr(settings, "LEDGER_MAX_FILE_MB", None) or os.environ.get(
        "JIUYE_LEDGER_MAX_FILE_MB", "300"
    )
    return int(float(value) * MB)


def read_process_bytes() -> int:
    """Files at least this large together are parsed in a helper process
    (``LEDGER_READ_PROCESS_MB`` setting or ``JIUYE_LEDGER_READ_PROCESS_MB``, default 8 MB;
    below it, starting the process would cost more than it saves)."""
    value = getattr(settings, "LEDGER_READ_PROCESS_MB", None)
    if value is None:
        value = os.environ.get("JIUYE_LEDGER_READ_PROCESS_MB", "8")
    return int(float(value) * MB)


def max_unpacked_bytes() -> int:
    """The largest unpacked workbook (``LEDGER_MAX_UNPACKED_MB``, default 4096 MB)."""
    value = getattr(settings, "LEDGER_MAX_UNPACKED_MB", None) or os.environ.get(
        "JIUYE_LEDGER_MAX_UNPACKED_MB", "4096"
    )
    return int(float(value) * MB)


@dataclass
class Part:
    """One worksheet (or CSV file) of a sheet: its name and where its rows are."""

    name: str
    start: int  # index of its first row in the sheet's columns
    rownums: list[int] | None  # worksheet row numbers, or None: consecutive from first_row
    first_row: int


@dataclass
class RawSheet:
    """A contract sheet as read: column key → raw values, with each value's location."""

    sheet: Sheet
    columns: dict[str, Sequence[Any]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # key → the header as in the file
    parts: list[Part] = field(default_factory=list)
    length: int = 0

    @property
    def name(self) -> str:
        return self.parts[0].name if self.parts else self.sheet.zh

    def locate(self, index: int) -> tuple[str, int]:
        """(worksheet name, row number) of row ``index``."""
        starts = [p.start for p in self.parts]
        part = self.parts[bisect.bisect_right(starts, index) - 1]
        offset = index - part.start
        if part.rownums is not None:
            return part.name, part.rownums[offset]
        return part.name, part.first_row + offset

    def header(self, key: str) -> str:
        return self.headers.get(key) or self.sheet.column(key).zh


@dataclass
class Source:
    """Everything read from the files of one import.

    Worksheets and CSV files are parsed lazily, in the contract's order: :meth:`get` takes
    grids from the loader up to the sheet asked for (the helper process, when there is one, is
    already parsing the next ones)."""

    sheets: dict[str, RawSheet] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # file names
    rows: int = 0
    weights: dict[str, int] = field(default_factory=dict)  # sheet key → bytes, for progress
    # yields each sheet's key once a part of it is added, and whether that was its last part
    loader: Iterator[tuple[str, bool]] | None = None
    pending: set[str] = field(default_factory=set)  # sheet keys still to be parsed

    def get(self, key: str) -> RawSheet | None:
        """The sheet ``key`` (None if the files have none), parsing it first if need be."""
        while key in self.pending and self.loader is not None:
            try:
                loaded, last = next(self.loader)
            except StopIteration:
                self.loader = None
                self.pending.clear()
                break
            if last:
                self.pending.discard(loaded)
        return self.sheets.get(key)

    def load_all(self) -> None:
        if self.loader is not None:
            for _item in self.loader:
                pass
            self.loader = None
        self.pending.clear()

    def close(self) -> None:
        loader, self.loader = self.loader, None
        close = getattr(loader, "close", None)
        if close is not None:
            close()


# ---------------------------------------------------------------------------------------------
# Header rows
# ---------------------------------------------------------------------------------------------


def _header_row(rows: Sequence[Sequence[Any]], sheet: Sheet) -> int | None:
    """Index of the header row: the first of the top rows naming a known column."""
    names = HEADER_MAPS[sheet.key]
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        known = sum(1 for cell in row if isinstance(cell, str) and fold(cell) in names)
        if known >= min(2, len(sheet.columns)):
            return index
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(cell not in ("", None) for cell in row):
            return index
    return None


def _map_headers(
    header: Sequence[Any],
    sheet: Sheet,
    name: str,
    row_number: int,
    column_has_data: Callable[[int], bool],
) -> tuple[dict[str, int], dict[str, str], list[Issue]]:
    """Column key → index in the row, key → header text, and the header problems."""
    names = HEADER_MAPS[sheet.key]
    found: dict[str, int] = {}
    texts: dict[str, str] = {}
    issues: list[Issue] = []
    for index, cell in enumerate(header):
        text = "" if cell is None else str(cell).strip()
        if isinstance(cell, float) and cell.is_integer():
            text = str(int(cell))
        if not text:
            if column_has_data(index):
                from jiuye.ledger.xlsx import column_letter

                issues.append(
                    make_issue(
                        "unknown_column", sheet=name, row=row_number, column=column_letter(index)
                    )
                )
            continue
        if len(text) > EXCEL_MAX_CELL:
            issues.append(
                make_issue(
                    "cell_too_long",
                    sheet=name,
                    row=row_number,
                    value=text,
                    length=len(text),
                    limit=EXCEL_MAX_CELL,
                )
            )
            continue
        folded = fold(text)
        if folded in IGNORED_COLUMNS:
            continue
        column: Column | None = names.get(folded)
        if column is None:
            issues.append(
                make_issue("unknown_column", sheet=name, row=row_number, column=text, value=text)
            )
            continue
        if column.key in found:
            issues.append(
                make_issue("duplicate_column", sheet=name, row=row_number, column=text, value=text)
            )
            continue
        found[column.key] = index
        texts[column.key] = text
    for column in sheet.columns:
        if column.required and column.key not in found:
            issues.append(
                make_issue("missing_column", sheet=name, row=row_number, column=column.zh)
            )
    return found, texts, issues


# ---------------------------------------------------------------------------------------------
# Building a sheet's columns from rows
# ---------------------------------------------------------------------------------------------


def _add_grid(
    raw: RawSheet,
    name: str,
    grid: Grid,
    header_index: int,
    found: dict[str, int],
    texts: dict[str, str],
) -> None:
    """Append the data rows under the header (blank rows skipped, their numbers kept)."""
    start = header_index + 1
    data_first = grid.first_row + start
    n = max(grid.n - start, 0)
    blank = {i - start for i in grid.blank if i >= start}
    keep: list[int] | None = None
    rownums: list[int] | None = None
    if blank:
        keep = [i for i in range(n) if i not in blank]
        rownums = [data_first + i for i in keep]
        n = len(keep)

    def data(index: int) -> Sequence[Any]:
        if index >= len(grid.columns):
            return ("",) * n
        column = grid.columns[index]
        if keep is not None:
            return [column[start + i] for i in keep]
        return column[start:] if start else column

    previous = raw.length
    for key, index in found.items():
        values = data(index)
        if key in raw.columns:
            raw.columns[key] = [*raw.columns[key], *values]
        else:
            raw.columns[key] = ([""] * previous + list(values)) if previous else values
    for key in list(raw.columns):
        if key not in found:
            raw.columns[key] = [*raw.columns[key], *([""] * n)]
    for key, text in texts.items():
        raw.headers.setdefault(key, text)
    raw.parts.append(Part(name=name, start=previous, rownums=rownums, first_row=data_first))
    raw.length = previous + n


# ---------------------------------------------------------------------------------------------
# xlsx
# ---------------------------------------------------------------------------------------------

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _col_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _sniff(path: Path, name: str) -> str:
    """ "xlsx", "csv" or a :class:`LedgerFileError`."""
    if not path.is_file():
        raise LedgerFileError(make_issue("file_missing", sheet=name, name=name))
    size = path.stat().st_size
    limit = max_file_bytes()
    if size > limit:
        raise LedgerFileError(
            make_issue(
                "file_too_large", sheet=name, size=round(size / MB, 1), limit=round(limit / MB)
            )
        )
    if size == 0:
        raise LedgerFileError(make_issue("file_empty", sheet=name))
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if "EncryptedPackage".encode("utf-16-le") in head or b"EncryptedPackage" in head:
            raise LedgerFileError(make_issue("encrypted", sheet=name))
        raise LedgerFileError(make_issue("xls_format", sheet=name))
    if path.suffix.lower() in (".csv", ".txt"):
        if b"\x00" in head[:4096]:
            raise LedgerFileError(make_issue("not_excel", sheet=name))
        return "csv"
    raise LedgerFileError(make_issue("not_excel", sheet=name))


def _workbook_sheets(archive: zipfile.ZipFile, name: str) -> list[tuple[str, str, bool]]:
    """(sheet name, zip member, hidden) in workbook order."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        raise LedgerFileError(make_issue("not_excel", sheet=name)) from None
    except (ElementTree.ParseError, zipfile.BadZipFile, OSError, EOFError) as error:
        raise LedgerFileError(make_issue("corrupt", sheet=name, detail=str(error)[:100])) from None
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        if target.startswith("/"):
            target = target[1:]
        elif not target.startswith("xl/"):
            target = "xl/" + target
        targets[rel.get("Id")] = target
    out = []
    sheets = workbook.find("m:sheets", _NS)
    for element in sheets if sheets is not None else []:
        rid = element.get(f"{{{_NS['r']}}}id")
        hidden = element.get("state", "visible") != "visible"
        out.append((element.get("name", ""), targets.get(rid, ""), hidden))
    return out


def _plan_xlsx(path: Path, display: str, source: Source) -> list[tuple[Sheet, int, str, str, int]]:
    """Check the archive; the worksheets to import as (sheet, part, name, zip member, its
    unpacked size)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise LedgerFileError(
            make_issue("corrupt", sheet=display, detail=str(error)[:100])
        ) from None
    with archive:
        total = sum(info.file_size for info in archive.infolist())
        limit = max_unpacked_bytes()
        if total > limit:
            raise LedgerFileError(
                make_issue(
                    "too_big_inside", sheet=display, size=round(total / MB), limit=round(limit / MB)
                )
            )
        listed = _workbook_sheets(archive, display)
        wanted: list[tuple[Sheet, int, str, str, int]] = []
        seen: dict[tuple[str, int], str] = {}
        for sheet_name, member, hidden in listed:
            sheet, part = sheet_for(sheet_name)
            if sheet is None:
                if hidden or is_view_sheet(sheet_name):
                    continue
                source.issues.append(make_issue("unknown_sheet", sheet=sheet_name, name=sheet_name))
                continue
            if (sheet.key, part) in seen:
                source.issues.append(
                    make_issue("duplicate_sheet", sheet=sheet_name, name=sheet_name)
                )
                continue
            seen[(sheet.key, part)] = sheet_name
            try:
                size = archive.getinfo(member).file_size
            except KeyError:
                raise LedgerFileError(
                    make_issue("corrupt", sheet=sheet_name, detail=f"{member} missing")
                ) from None
            source.weights[sheet.key] = source.weights.get(sheet.key, 0) + size
            wanted.append((sheet, part, sheet_name, member, size))
    wanted.sort(key=lambda w: (_SHEET_ORDER.index(w[0].key), w[1]))
    return wanted


def _take_grid(source: Source, sheet: Sheet, name: str, grid: Grid) -> None:
    header_index = _header_row(grid.head, sheet)
    if header_index is None:
        source.issues.append(make_issue("no_header", sheet=name))
        return
    header_number = grid.first_row + header_index
    for (r0, c0), (r1, c1) in grid.merged:
        if r0 <= header_number - 1 <= r1:
            from jiuye.ledger.xlsx import column_letter

            ref = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
            source.issues.append(
                make_issue(
                    "merged_header",
                    sheet=name,
                    row=header_number,
                    column=column_letter(c0),
                    ref=ref,
                )
            )
            return

    def has_data(index: int) -> bool:
        if index >= len(grid.columns):
            return False
        column = grid.columns[index]
        return any(column[i] not in ("", None) for i in range(header_index + 1, grid.n))

    found, texts, issues = _map_headers(
        grid.head[header_index], sheet, name, header_number, has_data
    )
    source.issues.extend(issues)
    if issues:
        return
    raw = source.sheets.get(sheet.key)
    if raw is None:
        raw = source.sheets[sheet.key] = RawSheet(sheet=sheet)
    before = raw.length
    _add_grid(raw, name, grid, header_index, found, texts)
    source.rows += raw.length - before


@dataclass(frozen=True)
class _Entry:
    """An item to parse and where it goes: the sheet, the name its rows are reported under,
    the name its file-level problems are reported under."""

    item: Item
    sheet: Sheet
    name: str
    problem_name: str
    size: int = 0  # a worksheet's unpacked XML


def _load(
    source: Source,
    entries: list[_Entry],
    found: Iterator[Grid | Problem],
    close: Callable[[], None],
) -> Iterator[tuple[str, bool]]:
    """Add each parsed item to its sheet; yields (sheet key, whether it was its last part)."""
    remaining = Counter(entry.sheet.key for entry in entries)
    pieces: list[Grid | Problem] = []
    try:
        for entry, got in zip(entries, found, strict=False):
            key = entry.sheet.key
            remaining[key] -= 1
            if entry.item.parts > 1:  # a worksheet parsed in pieces: join them
                pieces.append(got)
                if entry.item.part < entry.item.parts:
                    continue
                got, pieces = _join(pieces), []
            if isinstance(got, Problem):
                issue = make_issue(got.code, sheet=entry.problem_name, **got.params)
                if got.fatal:
                    raise LedgerFileError(issue)
                source.issues.append(issue)
            else:
                _take_grid(source, entry.sheet, entry.name, got)
            del got
            yield key, remaining[key] == 0
    finally:
        close()


def _join(pieces: list[Grid | Problem]) -> Grid | Problem:
    """A worksheet from the pieces it was parsed in (``grids._xlsx_piece``): the first piece's
    problem if it has one (it checked the whole worksheet), else any other's; else the rows
    of all, in order, as one grid parsed whole would have them (the rows between two pieces
    that calamine skipped as empty put back as blank rows, every row as wide as the widest)."""
    first = pieces[0]
    if isinstance(first, Problem):
        return first
    grids_: list[Grid] = []
    for piece in pieces:
        if isinstance(piece, Problem):
            return piece
        if piece.n:
            grids_.append(piece)
    if len(grids_) <= 1:
        return first
    width = max(len(g.columns) for g in grids_)
    columns: list[list[Any]] = [[] for _ in range(width)]
    blank: list[int] = []
    n = 0
    origin = grids_[0].first_row
    for grid in grids_:
        gap = grid.first_row - (origin + n)
        if gap < 0:
            raise LedgerFileError(make_issue("corrupt", detail="rows out of order"))
        if gap:
            for column in columns:
                column.extend([""] * gap)
            blank.extend(range(n, n + gap))
            n += gap
        for index, column in enumerate(columns):
            column.extend(grid.columns[index] if index < len(grid.columns) else [""] * grid.n)
        blank.extend(n + i for i in grid.blank)
        n += grid.n
    head = [row + [""] * (width - len(row)) for row in grids_[0].head]
    joined: list[Sequence[Any]] = list(columns)
    return Grid(head=head, columns=joined, n=n, blank=blank, first_row=origin, merged=first.merged)


# A worksheet whose XML is at least this large is parsed in two pieces by two processes.
PIECE_BYTES = 64 * MB


def _start(
    entries: list[_Entry], total: int, weights: dict[str, int]
) -> tuple[list[_Entry], Iterator[Grid | Problem], Callable[[], None]]:
    """The grids of the entries, parsed here as they are asked for, or, for large files, by
    helper processes: one parses the sheets up to the largest (the persons, in a district's
    workbook), which the validation needs first, another the sheets after it meanwhile (the
    validation mostly waits for the first: the two cores go to the two processes)."""
    # (under an embedding server sys.executable may not be a Python to start the helper with)
    if total < read_process_bytes() or "python" not in Path(sys.executable).name.lower():
        here = read_items([entry.item for entry in entries])
        return entries, here, here.close
    largest = max(weights, key=weights.__getitem__) if weights else ""
    big = [i for i, e in enumerate(entries) if e.sheet.key == largest]
    if (
        len(big) == 1
        and entries[big[0]].item.kind == "xlsx"
        and entries[big[0]].size >= PIECE_BYTES
    ):
        # one large worksheet: two pieces, one for each process
        whole = entries[big[0]]
        pieces = [
            dataclasses.replace(whole, item=dataclasses.replace(whole.item, part=k, parts=2))
            for k in (1, 2)
        ]
        entries = [*entries[: big[0]], *pieces, *entries[big[0] + 1 :]]
        split = big[0] + 1
    else:
        split = max((i + 1 for i, e in enumerate(entries) if e.sheet.key == largest), default=0)
    items = [entry.item for entry in entries]
    if split == 0 or split == len(items):
        split = len(items)
    readers: list[ProcessReader] = []
    try:
        readers.append(ProcessReader(items[:split]))
        if split < len(items):
            readers.append(ProcessReader(items[split:]))
    except OSError:  # no process could be started: parse here
        for reader in readers:
            reader.close()
        entries = [e for e in entries if e.item.part <= 1]
        entries = [
            dataclasses.replace(e, item=dataclasses.replace(e.item, part=0, parts=0))
            for e in entries
        ]
        here = read_items([entry.item for entry in entries])
        return entries, here, here.close

    def close() -> None:
        for reader in readers:
            reader.close()

    def found() -> Iterator[Grid | Problem]:
        for reader in readers:
            yield from reader

    return entries, found(), close


def read_files(
    files: Sequence[tuple[Path, str]],
    *,
    sheet_key: str | None = None,
) -> Source:
    """Check every file (path, display name); worksheets and CSV files are parsed later, on
    demand (:meth:`Source.get`). Raises :class:`LedgerFileError` for a file that cannot be read
    at all; sheet-level problems are collected in ``Source.issues``."""
    source = Source(names=[display for _path, display in files])
    csv_files: list[tuple[Path, str]] = []
    xlsx_entries: list[_Entry] = []
    total = 0
    for path, display in files:
        kind = _sniff(path, display)
        total += path.stat().st_size
        if kind == "xlsx":
            for planned, _part, name, member, size in _plan_xlsx(path, display, source):
                item = Item("xlsx", str(path), name=name, member=member)
                xlsx_entries.append(_Entry(item, planned, name, name, size))
        else:
            csv_files.append((path, display))
    csv_entries: list[_Entry] = []
    for path, display in csv_files:
        sheet: Sheet | None
        if sheet_key:
            sheet = SHEET_BY_KEY[sheet_key]
        else:
            sheet, _part = sheet_for(Path(display).stem)
        if sheet is None:
            raise LedgerFileError(make_issue("csv_sheet", sheet=display, name=display))
        source.weights[sheet.key] = source.weights.get(sheet.key, 0) + path.stat().st_size
        csv_entries.append(_Entry(Item("csv", str(path)), sheet, Path(display).stem, display))
    if not source.weights and not source.issues:
        raise LedgerFileError(
            make_issue("no_sheets", sheet=source.names[0] if source.names else "")
        )
    # CSV files first, in the order given, then the workbooks' worksheets (as before).
    entries = csv_entries + xlsx_entries
    if entries:
        source.pending.update(entry.sheet.key for entry in entries)
        entries, found, close = _start(entries, total, source.weights)
        source.loader = _load(source, entries, found, close)
    return source
