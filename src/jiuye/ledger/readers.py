"""Reading ledger workbooks (.xlsx) and per-sheet CSV files into columns of raw cell values.

Before anything is parsed a file must pass the checks that protect the server and the data:
its size, what it really is (an .xlsx is a zip with ``xl/workbook.xml``; an old .xls or a
password-protected workbook is an OLE2 file and gets its own message), its unpacked size (zip
bombs), and every imported worksheet's XML is streamed once looking for formulas (cells whose
value Excel computes: we import values only). A truncated or damaged zip fails its directory
or CRC check. Each problem is a :class:`~jiuye.ledger.issues.LedgerFileError`.

Worksheets are parsed by python-calamine (Rust), one after another in a helper thread so that
parsing the next sheet overlaps validating the current one. Values come back as str, float,
int, bool, date or datetime; "" is an empty cell. The header row may sit below a title row or
two (the first row with known column names is the header); merged cells on it are refused.
"""

from __future__ import annotations

import bisect
import codecs
import contextlib
import csv
import io
import os
import queue
import re
import threading
import zipfile
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
from jiuye.ledger.issues import Issue, LedgerFileError, make_issue

MB = 1024 * 1024
HEADER_SEARCH_ROWS = 10
_SHEET_ORDER = ("units", "households", "persons", "statuses", "recognitions", "services")


def max_file_bytes() -> int:
    """The largest file accepted (``LEDGER_MAX_FILE_MB`` setting or ``JIUYE_LEDGER_MAX_FILE_MB``,
    default 300 MB: a million-person workbook is about 60 MB)."""
    value = getattr(settings, "LEDGER_MAX_FILE_MB", None) or os.environ.get(
        "JIUYE_LEDGER_MAX_FILE_MB", "300"
    )
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

    Worksheets are parsed lazily, in the contract's order: :meth:`get` parses up to the sheet
    asked for, so validating one sheet overlaps parsing the next in the reader thread."""

    sheets: dict[str, RawSheet] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # file names
    rows: int = 0
    weights: dict[str, int] = field(default_factory=dict)  # sheet key → bytes, for progress
    # parsers of the .xlsx files, each yielding (sheet key, whether that was its last part)
    loaders: list[Iterator[tuple[str, bool]]] = field(default_factory=list)
    pending: set[str] = field(default_factory=set)  # sheet keys still to be parsed

    def get(self, key: str) -> RawSheet | None:
        """The sheet ``key`` (None if the files have none), parsing it first if need be."""
        while key in self.pending and self.loaders:
            try:
                loaded, last = next(self.loaders[0])
            except StopIteration:
                self.loaders.pop(0)
                if not self.loaders:
                    self.pending.clear()
                continue
            if last and len(self.loaders) == 1:
                self.pending.discard(loaded)
        return self.sheets.get(key)

    def load_all(self) -> None:
        while self.loaders:
            for _item in self.loaders.pop(0):
                pass
        self.pending.clear()

    def close(self) -> None:
        for loader in self.loaders:
            close = getattr(loader, "close", None)
            if close is not None:
                close()
        self.loaders.clear()


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


def _add_part(
    raw: RawSheet,
    name: str,
    rows: list[Any],
    header_index: int,
    first_row: int,
    found: dict[str, int],
    texts: dict[str, str],
) -> None:
    """Append the data rows under the header (``first_row``: the worksheet row of rows[0])."""
    data = rows[header_index + 1 :]
    data_first = first_row + header_index + 1
    keep = [i for i, row in enumerate(data) if any(row)]  # a row of "" (or 0) is blank
    rownums: list[int] | None = None
    if len(keep) != len(data):
        rownums = [data_first + i for i in keep]
        data = [data[i] for i in keep]
    width = max((len(r) for r in data), default=0)
    if data and any(len(r) != width for r in data):
        data = [list(r) + [""] * (width - len(r)) for r in data]
    transposed = list(zip(*data, strict=True)) if data else []
    n = len(data)
    previous = raw.length
    for key, index in found.items():
        values: Sequence[Any] = transposed[index] if index < len(transposed) else ("",) * n
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
_FORMULA = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?f[\s>/]")
_CELL_REF = re.compile(rb'<(?:[A-Za-z][\w.-]*:)?c\b[^>]*?\br="([A-Z]+)(\d+)"')


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


def _find_formula(data: bytes) -> re.Match[bytes] | None:
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


def _scan_member(archive: zipfile.ZipFile, member: str, sheet_name: str) -> Issue | None:
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
                match = _find_formula(data)
                if match:
                    cells = list(_CELL_REF.finditer(data, 0, match.start()))
                    if cells:
                        letters, row = cells[-1].group(1).decode(), int(cells[-1].group(2))
                        return make_issue("formula", sheet=sheet_name, row=row, column=letters)
                    return make_issue("formula", sheet=sheet_name)
                tail = data[-512:]
    except KeyError:
        return make_issue("corrupt", sheet=sheet_name, detail=f"{member} missing")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        return make_issue("corrupt", sheet=sheet_name, detail=str(error)[:100])


def _plan_xlsx(path: Path, display: str, source: Source) -> list[tuple[Sheet, int, str, str]]:
    """Check the archive; the worksheets to import as (sheet, part, name, zip member)."""
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
        wanted: list[tuple[Sheet, int, str, str]] = []
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
            wanted.append((sheet, part, sheet_name, member))
    wanted.sort(key=lambda w: (_SHEET_ORDER.index(w[0].key), w[1]))
    return wanted


def _parse_sheets(
    path: Path, wanted: list[tuple[Sheet, int, str, str]]
) -> Iterator[tuple[Sheet, str, Any]]:
    """Scan and parse the worksheets one ahead in a helper thread (zlib and calamine release
    the interpreter lock for much of their work, so this overlaps the validation of the sheet
    before); yields (sheet, name, calamine sheet, an Issue, or an exception)."""
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own error types for damaged files
        yield wanted[0][0], wanted[0][2], error
        return
    slots: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            archive = zipfile.ZipFile(path)
        except Exception as error:
            slots.put((wanted[0][0], wanted[0][2], error))
            slots.put(None)
            return
        with archive:
            for sheet, _part, name, member in wanted:
                if stop.is_set():
                    return
                item: Any = _scan_member(archive, member, name)
                if item is None:
                    try:
                        item = workbook.get_sheet_by_name(name)
                    except Exception as error:
                        item = error
                slots.put((sheet, name, item))
        slots.put(None)

    worker = threading.Thread(target=produce, name="ledger-xlsx-reader", daemon=True)
    worker.start()
    try:
        while True:
            got = slots.get()
            if got is None:
                return
            yield got
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.1)
        workbook.close()


def read_xlsx(path: Path, display: str, source: Source) -> Iterator[tuple[str, bool]]:
    """Check the workbook now; return the loader that parses its sheets (yielding each sheet's
    key once added, and whether it was that sheet's last part)."""
    wanted = _plan_xlsx(path, display, source)
    source.pending.update(w[0].key for w in wanted)
    return _load_xlsx(path, wanted, source)


def _load_xlsx(
    path: Path, wanted: list[tuple[Sheet, int, str, str]], source: Source
) -> Iterator[tuple[str, bool]]:
    if not wanted:
        return
    remaining = [w[0].key for w in wanted]
    for sheet, name, parsed in _parse_sheets(path, wanted):
        remaining.pop(0)
        last = sheet.key not in remaining
        if isinstance(parsed, Issue):
            if parsed.code == "corrupt":
                raise LedgerFileError(parsed)
            source.issues.append(parsed)
            yield sheet.key, last
            continue
        if isinstance(parsed, BaseException):
            raise LedgerFileError(make_issue("corrupt", sheet=name, detail=str(parsed)[:100]))
        try:
            rows = parsed.to_python(skip_empty_area=True)
            start_row, start_col = parsed.start or (0, 0)
            merged = parsed.merged_cell_ranges or []
        except Exception as error:
            raise LedgerFileError(
                make_issue("corrupt", sheet=name, detail=str(error)[:100])
            ) from None
        if start_col:
            rows = [[""] * start_col + list(r) for r in rows]
        _take_rows(source, sheet, name, rows, first_row=start_row + 1, merged=merged)
        del rows
        yield sheet.key, last


def _take_rows(
    source: Source,
    sheet: Sheet,
    name: str,
    rows: list[Any],
    *,
    first_row: int,
    merged: Sequence[Any] = (),
) -> None:
    header_index = _header_row(rows, sheet)
    if header_index is None:
        source.issues.append(make_issue("no_header", sheet=name))
        return
    header_number = first_row + header_index
    for (r0, c0), (r1, c1) in merged:
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
        return any(index < len(r) and r[index] not in ("", None) for r in rows[header_index + 1 :])

    found, texts, issues = _map_headers(rows[header_index], sheet, name, header_number, has_data)
    source.issues.extend(issues)
    if issues:
        return
    raw = source.sheets.get(sheet.key)
    if raw is None:
        raw = source.sheets[sheet.key] = RawSheet(sheet=sheet)
    before = raw.length
    _add_part(raw, name, rows, header_index, first_row, found, texts)
    source.rows += raw.length - before


# ---------------------------------------------------------------------------------------------
# csv
# ---------------------------------------------------------------------------------------------


def _decode(path: Path, name: str) -> str:
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return data.decode("utf-16")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerFileError(make_issue("csv_encoding", sheet=name))


def read_csv(path: Path, display: str, source: Source, sheet_key: str | None = None) -> None:
    sheet: Sheet | None
    if sheet_key:
        sheet = SHEET_BY_KEY[sheet_key]
    else:
        sheet, _part = sheet_for(Path(display).stem)
    if sheet is None:
        raise LedgerFileError(make_issue("csv_sheet", sheet=display, name=display))
    try:
        text = _decode(path, display)
    except UnicodeDecodeError:
        raise LedgerFileError(make_issue("csv_encoding", sheet=display)) from None
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as error:
        raise LedgerFileError(
            make_issue("corrupt", sheet=display, detail=str(error)[:100])
        ) from None
    if not rows:
        raise LedgerFileError(make_issue("file_empty", sheet=display))
    source.weights[sheet.key] = source.weights.get(sheet.key, 0) + path.stat().st_size
    _take_rows(source, sheet, Path(display).stem, rows, first_row=1)


def read_files(
    files: Sequence[tuple[Path, str]],
    *,
    sheet_key: str | None = None,
) -> Source:
    """Check every file (path, display name) and read the CSV files; .xlsx worksheets are
    parsed later, on demand (:meth:`Source.get`). Raises :class:`LedgerFileError` for a file
    that cannot be read at all; sheet-level problems are collected in ``Source.issues``."""
    source = Source(names=[display for _path, display in files])
    csv_files = []
    for path, display in files:
        kind = _sniff(path, display)
        if kind == "xlsx":
            source.loaders.append(read_xlsx(path, display, source))
        else:
            csv_files.append((path, display))
    for path, display in csv_files:
        read_csv(path, display, source, sheet_key)
    if len(source.loaders) > 1:  # several workbooks: parse them all now, in file order
        source.load_all()
    if not source.weights and not source.issues:
        raise LedgerFileError(
            make_issue("no_sheets", sheet=source.names[0] if source.names else "")
        )
    return source
