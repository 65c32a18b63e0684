"""A dashboard panel's table as an Excel workbook: one sheet, the table's Chinese headers and
its cells as they are (rates in percent, as the table and the chart show them), named after
the unit, the panel and the date (the certification lists' writer:
``certification.programme_xlsx``)."""

from __future__ import annotations

import re

from django.http import HttpResponse

from jiuye.certification.programme_xlsx import Sheet, workbook, xlsx_response
from jiuye.monitoring.panels import Panel, Params

# Characters Excel refuses in a sheet title.
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def panel_xlsx(panel: Panel, p: Params) -> HttpResponse:
    assert panel.table is not None
    table = panel.table
    title = _SHEET_BAD.sub("", table.title)[:31] or panel.name
    data = workbook([Sheet(title, table.columns, table.rows)])
    day = p.on.isoformat()
    return xlsx_response(
        data,
        filename=f"{p.unit.name}-{panel.title}-{day}.xlsx",
        ascii_name=f"{p.unit.code}-{panel.name}-{day}.xlsx",
    )
