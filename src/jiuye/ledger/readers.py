"""Reading ledger workbooks (.xlsx) and per-sheet CSV files into columns of raw cell values.

Before anything is parsed a file must pass the checks that protect the server and the data
(:class:`FileLimits`): its size, what it really is (an .xlsx is a zip with ``xl/workbook.xml``;
an old .xls or a password-protected workbook is an OLE2 file and gets its own message), and for
a workbook, from the zip's directory alone, before any member is unpacked (zip bombs, issue 11,
finding 5): the number of members (read from the end record, before the directory itself is
loaded), their unpacked size together, and each member's compression ratio. The sizes checked
are the declared ones; no reader unpacks more than a member declares (Python's zipfile stops at
the declared size and checks the CRC, calamine's zip reader refuses a member "larger than its
declared uncompressed size"), so the declared sizes bound the work. Every imported worksheet's
XML is then streamed once looking for formulas (cells whose value Excel computes: we import
values only). A truncated or damaged zip fails its directory or CRC check. Each problem is a
:class:`~jiuye.ledger.issues.LedgerFileError`.

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
import struct
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
    SHEETS,
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
_SHEET_ORDER = tuple(sheet.key for sheet in SHEETS)


# The issues of a file over a limit (as opposed to a damaged or unsuitable one).
LIMIT_CODES = frozenset({"file_too_large", "too_big_inside", "zip_ratio", "zip_members"})
# Members unpacking to less than this are not held to the ratio: a small styles or relations part
# can be very compressible, and cannot hurt.
RATIO_GRACE = 1 * MB
# A central directory entry is 46 bytes and the member's name (and extra fields); a workbook's
# names are short, so the directory of ``members`` entries takes at most this much per entry.
DIRECTORY_ENTRY_BYTES = 1024


def _setting(name: str, default: float) -> float:
    value = getattr(settings, name, None)
    return float(default if value is None else value)


@dataclass(frozen=True)
class FileLimits:
    """What a file may be before anything in it is parsed (the ``LEDGER_*`` settings).

    ``file_bytes``: each file as given (a workbook packed, a CSV file); ``unpacked_bytes``: a
    workbook's members together, unpacked; ``ratio``: a member's unpacked size over its packed
    size (for members of at least :data:`RATIO_GRACE`); ``members``: entries in a workbook."""

    file_bytes: int
    unpacked_bytes: int
    ratio: float
    members: int

    @classmethod
    def _make(cls, prefix: str, file_mb: float, unpacked_mb: float) -> FileLimits:
        return cls(
            file_bytes=int(_setting(f"{prefix}_FILE_MB", file_mb) * MB),
            unpacked_bytes=int(_setting(f"{prefix}_UNPACKED_MB", unpacked_mb) * MB),
            ratio=_setting("LEDGER_MAX_RATIO", 100),
            members=int(_setting("LEDGER_MAX_MEMBERS", 1000)),
        )

    @classmethod
    def command_line(cls) -> FileLimits:
        """``jiuye import`` on the server, and ``ledger_import`` called directly: a district's
        workbook (1M persons: 117 MB packed, about 1.3 GB unpacked)."""
        return cls._make("LEDGER_MAX", 300, 4096)

    @classmethod
    def upload(cls) -> FileLimits:
        """A file uploaded through the web pages (a community's workbook is a few MB)."""
        return cls._make("LEDGER_UPLOAD_MAX", 50, 512)


def read_process_bytes() -> int:
    """Files at least this large together are parsed in a helper process
    (``LEDGER_READ_PROCESS_MB`` setting or ``JIUYE_LEDGER_READ_PROCESS_MB``, default 8 MB;
    below it, starting the process would cost more than it saves)."""
    value = getattr(settings, "LEDGER_READ_PROCESS_MB", None)
    if value is None:
        value = os.environ.get("JIUYE_LEDGER_READ_PROCESS_MB", "8")
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


def _sniff(path: Path, name: str, limits: FileLimits) -> str:
    """ "xlsx", "csv" or a :class:`LedgerFileError`."""
    if not path.is_file():
        raise LedgerFileError(make_issue("file_missing", sheet=name, name=name))
    size = path.stat().st_size
    limit = limits.file_bytes
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


_END = struct.Struct("<4s4H2LH")  # the end of central directory record
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")


def _directory_size(path: Path, display: str) -> tuple[int, int]:
    """(entries, bytes) of a zip's central directory, from its end record (and the zip64 one),
    read before the directory itself: a directory of millions of entries would take gigabytes
    as Python's zipfile loads it. A missing end record is left to zipfile to report."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - (_END.size + 0xFFFF)))
        tail = handle.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _END.size:
            return 0, 0
        _sig, _disk, _start, _here, entries, directory, _offset, _comment = _END.unpack_from(
            tail, at
        )
        if entries == 0xFFFF or directory == 0xFFFFFFFF:  # the real numbers are in zip64 records
            before = size - len(tail) + at - _END64_LOCATOR.size
            if before < 0:
                return entries, directory
            handle.seek(before)
            locator = handle.read(_END64_LOCATOR.size)
            if locator[:4] != b"PK\x06\x07":
                return entries, directory
            handle.seek(_END64_LOCATOR.unpack(locator)[2])
            record = handle.read(_END64.size)
            if len(record) < _END64.size or record[:4] != b"PK\x06\x06":
                raise LedgerFileError(
                    make_issue("corrupt", sheet=display, detail="zip64 end record")
                )
            fields = _END64.unpack(record)
            entries, directory = fields[7], fields[8]
    return entries, directory


def _check_archive(archive: zipfile.ZipFile, display: str, limits: FileLimits) -> None:
    """The limits on a workbook's members, from the zip's directory alone (nothing unpacked)."""
    members = archive.infolist()
    if len(members) > limits.members:
        raise LedgerFileError(
            make_issue("zip_members", sheet=display, count=len(members), limit=limits.members)
        )
    total = 0
    for info in members:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # Excel writes deflate; other methods (bzip2, lzma…) only widen what can be sent
            raise LedgerFileError(
                make_issue(
                    "corrupt",
                    sheet=display,
                    detail=f"{info.filename[:60]}: compression {info.compress_type}",
                )
            )
        total += info.file_size
        if info.file_size >= RATIO_GRACE and info.file_size > limits.ratio * info.compress_size:
            ratio = info.file_size / max(info.compress_size, 1)
            raise LedgerFileError(
                make_issue(
                    "zip_ratio",
                    sheet=display,
                    member=info.filename[:100],
                    ratio=f"{ratio:,.0f}",
                    limit=f"{limits.ratio:,.0f}",
                )
            )
    if total > limits.unpacked_bytes:
        raise LedgerFileError(
            make_issue(
                "too_big_inside",
                sheet=display,
                size=round(total / MB),
                limit=round(limits.unpacked_bytes / MB),
            )
        )


def _open_archive(path: Path, display: str, limits: FileLimits) -> zipfile.ZipFile:
    """The workbook's zip, once its directory has passed ``limits`` (nothing parsed yet)."""
    entries, directory = _directory_size(path, display)
    if entries > limits.members or directory > limits.members * DIRECTORY_ENTRY_BYTES:
        raise LedgerFileError(
            make_issue("zip_members", sheet=display, count=entries, limit=limits.members)
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise LedgerFileError(
            make_issue("corrupt", sheet=display, detail=str(error)[:100])
        ) from None
    try:
        _check_archive(archive, display, limits)
    except BaseException:
        archive.close()
        raise
    return archive


def check_file(path: Path, display: str, limits: FileLimits) -> str:
    """The checks made before anything in a file is parsed: "xlsx" or "csv", or a
    :class:`LedgerFileError` (a web upload is refused with it at once, before it is queued)."""
    kind = _sniff(path, display, limits)
    if kind == "xlsx":
        _open_archive(path, display, limits).close()
    return kind


def _plan_xlsx(
    path: Path, display: str, source: Source, limits: FileLimits
) -> list[tuple[Sheet, int, str, str, int]]:
    """Check the archive; the worksheets to import as (sheet, part, name, zip member, its
    unpacked size)."""
    with _open_archive(path, display, limits) as archive:
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
    limits: FileLimits | None = None,
) -> Source:
    """Check every file (path, display name) against ``limits`` (default: the command line's);
    worksheets and CSV files are parsed later, on demand (:meth:`Source.get`). Raises
    :class:`LedgerFileError` for a file that cannot be read at all; sheet-level problems are
    collected in ``Source.issues``."""
    limits = limits or FileLimits.command_line()
    source = Source(names=[display for _path, display in files])
    csv_files: list[tuple[Path, str]] = []
    xlsx_entries: list[_Entry] = []
    total = 0
    # Every file passes its checks before any is parsed.
    kinds = [_sniff(path, display, limits) for path, display in files]
    for (path, display), kind in zip(files, kinds, strict=True):
        total += path.stat().st_size
        if kind == "xlsx":
            for planned, _part, name, member, size in _plan_xlsx(path, display, source, limits):
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
