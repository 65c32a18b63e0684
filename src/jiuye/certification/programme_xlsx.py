"""The programme's lists as Excel workbooks (the district files them and pays from them): a
bold header row in Chinese, set widths, real dates, and a download name in Chinese sent the
RFC 5987 way (with an ASCII name beside it for clients that do not read ``filename*``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[tuple[str, int]]  # (header, width in characters)
    rows: Iterable[Sequence[Any]]


def workbook(sheets: Sequence[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]  # the default sheet: ours have titles
    bold = Font(bold=True)
    for spec in sheets:
        sheet = book.create_sheet(spec.title)
        sheet.append([header for header, _width in spec.columns])
        for index, (_header, width) in enumerate(spec.columns, start=1):
            sheet.cell(row=1, column=index).font = bold
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        for row in spec.rows:
            sheet.append(list(row))
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, date):
                    cell.number_format = DATE_FORMAT
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(data: bytes, *, filename: str, ascii_name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
