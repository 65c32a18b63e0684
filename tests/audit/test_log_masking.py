"""No full ID or phone number reaches a log: the masking filter sits on every handler."""

from __future__ import annotations

import io
import logging
from datetime import date

from django.conf import settings

from jiuye.lib.masking import MaskingLogFilter, mask_id_number
from tests.conftest import FAKE_PHONE, make_id


def test_every_configured_handler_masks():
    handlers = settings.LOGGING["handlers"]
    assert handlers
    for name, handler in handlers.items():
        assert "mask_personal" in handler.get("filters", []), name
    assert settings.LOGGING["filters"]["mask_personal"]["()"] == (
        "jiuye.lib.masking.MaskingLogFilter"
    )


def test_log_output_is_masked():
    id_number = make_id(date(1980, 1, 2))
    root = logging.getLogger()
    handler = next(
        h for h in root.handlers if any(isinstance(f, MaskingLogFilter) for f in h.filters)
    )
    stream = io.StringIO()
    old_stream = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        logging.getLogger("jiuye.test").warning("身份证 %s 电话 %s", id_number, FAKE_PHONE)
        try:
            raise ValueError(f"duplicate key {id_number}")
        except ValueError:
            logging.getLogger("jiuye.test").exception("import failed")
    finally:
        handler.setStream(old_stream)  # type: ignore[attr-defined]
    output = stream.getvalue()
    assert id_number not in output and FAKE_PHONE not in output
    assert mask_id_number(id_number) in output and "139****5678" in output


def test_audit_rows_never_hold_a_full_number(db):
    from jiuye.audit.models import AuditEntry
    from jiuye.audit.services import audit_record

    id_number = make_id(date(1990, 6, 7))
    audit_record(
        actor=None,
        action="test.mask",
        changes={"id_number": [None, id_number], "note": f"电话{FAKE_PHONE}"},
    )
    row = AuditEntry.objects.get(action="test.mask")
    assert id_number not in str(row.changes) and FAKE_PHONE not in str(row.changes)
