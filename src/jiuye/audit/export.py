"""The audit log's export: the filtered entries as an Excel workbook, itself audited.

Columns: time (Asia/Shanghai), user, action, object, unit, changes (old → new as text),
result. At most :data:`EXPORT_LIMIT` rows: beyond, nothing is written and the caller says so.
The export writes an ``audit.export`` entry with the filters used and the number of rows, in
the transaction that reads them, before the file leaves the server.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from jiuye.audit.actions import action_label
from jiuye.audit.display import (
    actor_text,
    change_text,
    object_text,
    unit_names,
    unit_text,
    user_names,
)
from jiuye.audit.selectors import audit_entries, may_read_audit_log
from jiuye.audit.services import audit_record

EXPORT_LIMIT = 100_000
EXPORT_ACTION = "audit.export"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
CHUNK = 2000


def _jsonable_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters used, as the audit entry keeps them (dates as ISO text, empty ones left out)."""
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if value in (None, ""):
            continue
        out[key] = value.isoformat() if isinstance(value, date) else value
    return out


@transaction.atomic
def export_audit_log(*, actor: Any, filters: dict[str, Any]) -> bytes | None:
    """The workbook of the entries ``filters`` select (``audit_entries``' keywords); None, and
    nothing recorded, when there are more than :data:`EXPORT_LIMIT`. The auditor only."""
    if not may_read_audit_log(actor):
        raise PermissionError("only the auditor exports the audit log")
    entries = audit_entries(user=actor, **filters)
    count = entries.count()
    if count > EXPORT_LIMIT:
        return None
    units = unit_names(entries.order_by().values_list("unit_path", flat=True).distinct())
    users = user_names(entries.order_by().values_list("actor_id", flat=True).distinct())

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("审计日志"))
    bold = Font(bold=True)
    headers = [_("时间"), _("操作人"), _("操作"), _("对象"), _("单位"), _("变更"), _("结果")]
    header_cells = []
    for title in headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for entry in entries.iterator(chunk_size=CHUNK):
        at = WriteOnlyCell(sheet, value=timezone.localtime(entry.at).replace(tzinfo=None))
        at.number_format = TIME_FORMAT
        sheet.append(
            [
                at,
                actor_text(entry, users),
                action_label(entry.action),
                object_text(entry),
                unit_text(entry.unit_path, units),
                change_text(entry.changes),
                _("成功") if entry.result == "ok" else entry.result,
            ]
        )
    buffer = BytesIO()
    book.save(buffer)
    audit_record(
        actor=actor,
        action=EXPORT_ACTION,
        changes={"filters": _jsonable_filters(filters), "rows": count},
    )
    return buffer.getvalue()
