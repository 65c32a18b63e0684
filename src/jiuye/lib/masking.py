"""Masking of personal numbers: ID numbers keep the first 6 and last 4, phones 3 + 4."""

from __future__ import annotations

import logging
import re

_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{7}|\d{8})(\d{3}[0-9Xx]|\d{4})(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_id_number(number: str | None) -> str:
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_text(text: str) -> str:
    """Mask every ID-number-like and mobile-number-like run inside free text (logs, notes)."""
    text = _ID_RE.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


class MaskingLogFilter(logging.Filter):
    """Rewrites every log record so no full ID or phone number reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
