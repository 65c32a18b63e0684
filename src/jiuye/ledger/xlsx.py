"""A small streaming .xlsx writer for large exports.

openpyxl builds a Python object per cell and writes ~100k cells a second here; a ledger export
of a 100k-person unit has millions. This writer formats each row straight into SpreadsheetML
and streams it into the zip member, so memory stays modest and the speed is that of string
joining and deflate. It writes what the ledgers need and nothing else: text (so an ID number
stays text), numbers, real Excel dates (yyyy-mm-dd), a bold frozen header row with an
auto-filter, column widths. Short strings (labels, 是/否, names) go to the shared-string table
as Excel itself does, which keeps the XML small and so the file quick to read back; longer ones
(ID numbers, addresses) are written inline, so the table stays small. A cell carries its
``r`` reference only after a gap (the spec makes it optional; readers take the next column).
The output is deterministic (fixed zip timestamps, no creation time): the same data gives the
same bytes.

The template, which needs drop-down validations and is small, is written with openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

EPOCH = date(1899, 12, 30)  # Excel's day 0 (1900 date system, with its 1900-02-29 quirk)
_FIXED_TIME = (2000, 1, 1, 0, 0, 0)
# XML 1.0 forbids most control characters; & < > need escaping.
_NEEDS_WORK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f&<>]|^\\s|\\s$")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
ROWS_PER_CHUNK = 2000


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def excel_serial(day: date) -> int:
    return (day - EPOCH).days


def _text(value: str) -> str:
    if _NEEDS_WORK.search(value):
        value = escape(_ILLEGAL.sub("", value))
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


SHARED_MAX = 8  # strings up to this length go to the shared-string table


class SheetWriter:
    """Rows of one worksheet; obtained from :meth:`Workbook.sheet`, closed by the workbook."""

    def __init__(
        self,
        stream: IO[bytes],
        headers: Sequence[str],
        widths: Sequence[int],
        freeze: bool,
        autofilter: bool,
        shared: dict[str, int],
    ) -> None:
        self._stream = stream
        self._shared = shared
        self._letters = [column_letter(i) for i in range(max(len(headers), 1))]
        self._row = 0
        self._buffer: list[str] = []
        self._ncols = len(headers)
        self._autofilter = autofilter and bool(headers)
        head = [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        ]
        if freeze and headers:
            head.append(
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            )
        head.append('<sheetFormatPr defaultRowHeight="15"/>')
        if widths:
            head.append("<cols>")
            for i, width in enumerate(widths):
                head.append(f'<col min="{i + 1}" max="{i + 1}" width="{width}" customWidth="1"/>')
            head.append("</cols>")
        head.append("<sheetData>")
        self._stream.write("".join(head).encode("utf-8"))
        if headers:
            self._write_row(list(headers), style=' s="2"')

    def _write_row(self, values: Sequence[Any], style: str = "") -> None:
        self._row += 1
        n = self._row
        letters = self._letters
        shared = self._shared
        cells = [f'<row r="{n}">']
        gap = False
        for i, value in enumerate(values):
            if value is None or value == "":
                gap = True
                continue
            ref = f' r="{letters[i]}{n}"' if gap else ""
            gap = False
            cls = value.__class__
            if cls is str:
                if len(value) <= SHARED_MAX and not style:
                    index = shared.get(value)
                    if index is None:
                        index = shared[value] = len(shared)
                    cells.append(f'<c{ref} t="s"><v>{index}</v></c>')
                else:
                    cells.append(f'<c{ref} t="inlineStr"{style}>{_text(value)}</c>')
            elif cls is date:
                cells.append(f'<c{ref} s="1"><v>{(value - EPOCH).days}</v></c>')
            elif cls is int or cls is float or cls is Decimal:
                cells.append(f"<c{ref}><v>{value}</v></c>")
            elif cls is bool:
                cells.append(f'<c{ref} t="b"><v>{int(value)}</v></c>')
            elif cls is datetime:
                cells.append(f'<c{ref} s="1"><v>{(value.date() - EPOCH).days}</v></c>')
            else:
                cells.append(f'<c{ref} t="inlineStr">{_text(str(value))}</c>')
        cells.append("</row>")
        self._buffer.append("".join(cells))
        if len(self._buffer) >= ROWS_PER_CHUNK:
            self.flush()

    def append(self, values: Sequence[Any]) -> None:
        self._write_row(values)

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        write = self._write_row
        for row in rows:
            write(row)

    @property
    def rows(self) -> int:
        return self._row

    def flush(self) -> None:
        if self._buffer:
            self._stream.write("".join(self._buffer).encode("utf-8"))
            self._buffer.clear()

    def close(self) -> None:
        self.flush()
        tail = ["</sheetData>"]
        if self._autofilter:
            last = self._letters[self._ncols - 1]
            tail.append(f'<autoFilter ref="A1:{last}{max(self._row, 1)}"/>')
        tail.append(
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            'footer="0.3"/></worksheet>'
        )
        self._stream.write("".join(tail).encode("utf-8"))
        self._stream.close()


STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="等线"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


class Workbook:
    """``with Workbook(path) as wb: sheet = wb.sheet("人员", headers, widths); sheet.extend(rows)``

    One sheet is open at a time (each is one zip member, streamed); opening the next closes it.
    """

    def __init__(self, target: str | Path | IO[bytes], *, compresslevel: int = 1) -> None:
        self._zip = zipfile.ZipFile(
            target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self._names: list[str] = []
        self._filters: list[tuple[int, str]] = []  # (sheet index, range) for auto-filters
        self._current: SheetWriter | None = None
        self._shared: dict[str, int] = {}

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _member(self, name: str) -> IO[bytes]:
        info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        return self._zip.open(info, "w", force_zip64=True)

    def _write(self, name: str, text: str) -> None:
        info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, text.encode("utf-8"))

    def _close_current(self) -> None:
        if self._current is not None:
            sheet = self._current
            if sheet._autofilter:
                last = sheet._letters[sheet._ncols - 1]
                self._filters.append((len(self._names) - 1, f"$A$1:${last}${max(sheet.rows, 1)}"))
            sheet.close()
            self._current = None

    def sheet(
        self,
        name: str,
        headers: Sequence[str],
        widths: Sequence[int] = (),
        *,
        freeze: bool = True,
        autofilter: bool = True,
    ) -> SheetWriter:
        self._close_current()
        if len(name) > 31 or re.search(r"[:\\/?*\[\]]", name):
            raise ValueError(f"invalid sheet name {name!r}")
        self._names.append(name)
        stream = self._member(f"xl/worksheets/sheet{len(self._names)}.xml")
        self._current = SheetWriter(stream, headers, widths, freeze, autofilter, self._shared)
        return self._current

    def close(self) -> None:
        if self._zip.fp is None:
            return
        self._close_current()
        if not self._names:
            self.sheet("Sheet1", [])
            self._close_current()
        quote = {'"': "&quot;"}
        sheets = "".join(
            f'<sheet name="{escape(name, quote)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, name in enumerate(self._names)
        )
        defined = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
            f"'{escape(self._names[index])}'!{ref}</definedName>"
            for index, ref in self._filters
        )
        self._write(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            "<bookViews><workbookView/></bookViews>"
            f"<sheets>{sheets}</sheets>"
            + (f"<definedNames>{defined}</definedNames>" if defined else "")
            + "</workbook>",
        )
        n = len(self._names)
        rels = "".join(
            f'<Relationship Id="rId{i + 1}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(n)
        )
        self._write(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}"
            f'<Relationship Id="rId{n + 1}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        self._write("xl/styles.xml", STYLES)
        shared = "".join(f"<si>{_text(text)[4:-5]}</si>" for text in self._shared)
        self._write(
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(self._shared)}" uniqueCount="{len(self._shared)}">{shared}</sst>',
        )
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet'
            '+xml"/>'
            for i in range(n)
        )
        self._write(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main'
            '+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'sharedStrings+xml"/>'
            f"{overrides}</Types>",
        )
        self._write(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        self._zip.close()
