"""Masking of personal numbers: ID numbers keep the first 6 and last 4, phones 3 + 4."""

from __future__ import annotations

import logging
import re

# An ID-number-like run: 18 characters (17 digits + digit or X), 15 digits (old numbers), or 17
# digits (an 18-digit number that lost its check digit — still personal data). It must stand
# alone, so 12-digit unit codes, 14-character grid codes and longer digit runs are left alone.
_ID_RE = re.compile(
    r"(?<![0-9A-Za-z])(\d{6})(\d{5}|\d{7}|\d{8})(\d{3}[0-9Xx]|\d{4})(?![0-9A-Za-z])"
)
# A mainland mobile number (1[3-9]x, 11 digits), optionally +86 / 86 and written 3-4-4 with a
# space or hyphen. Not next to another digit, nor the integer part of a decimal amount.
_PHONE_RE = re.compile(
    r"(?<!\d)(?<!\d\.)((?:\+?86[ -]?)?1[3-9]\d)([ -]?)(\d{4})([ -]?)(\d{4})(?!\d)(?!\.\d)"
)


def mask_id_number(number: str | None) -> str:
    """First 6 (region) and last 4 kept: enough to tell records apart on screen, not to identify."""
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str | None) -> str:
    """First 3 and last 4 kept, the usual Chinese display of a mobile number."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def _mask_id_match(match: re.Match[str]) -> str:
    return match.group(1) + "*" * len(match.group(2)) + match.group(3)


def _mask_phone_match(match: re.Match[str]) -> str:
    prefix, sep1, _middle, sep2, last = match.groups()
    return f"{prefix}{sep1}****{sep2}{last}"


def mask_text(text: str) -> str:
    """Mask every ID-number-like and mobile-number-like run inside free text (logs, notes)."""
    text = _ID_RE.sub(_mask_id_match, text)
    return _PHONE_RE.sub(_mask_phone_match, text)


class MaskingLogFilter(logging.Filter):
    """Rewrites every log record so no full ID or phone number reaches a log.

    The formatted message, the exception text (database errors quote the offending value, e.g.
    PostgreSQL's "Key (id_number)=(…) already exists") and the stack text are all masked.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # A broken format string: logging would print the raw args to stderr. Log them
            # masked instead of raising into the caller or leaking them.
            message = f"{record.msg!s} % {record.args!r}"
            record.msg, record.args = mask_text(message), None
        else:
            masked = mask_text(message)
            if masked != message:
                record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True
