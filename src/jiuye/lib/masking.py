"""Masking of personal numbers: an ID number keeps only its province (first 2 characters), a
phone number its first 3 and last 4.

Why so little of an ID number (issue 11, finding 1): its hidden middle is the birth date, and a
user without reveal sees enough to rebuild that exactly (age, sex, the retirement base, a status
dated on the 16th birthday or the retirement day). With the birth date known, the region code
(6), the sequence (3) and the check digit (1) of the old "first 6 + last 4" mask left a handful
of candidates. Showing the province only leaves every valid county code of that province for the
birth year times the 500 sequence numbers of the person's sex, at least 21 × 500 = 10,500
numbers (``tests/security/test_masking_attack.py`` attacks it). Numbers of Taiwan (71), Hong Kong
(81), Macao (82) and the residence permits (83, 9x) have too few codes: nothing is shown.
A phone number hides 4 digits: 10,000 candidates.
"""

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


SHOWN_PREFIX = 2  # the province
HIDDEN_PREFIXES = ("7", "8", "9")  # too few county codes behind the province: show nothing


def mask_id_number(number: str | None) -> str:
    """The province (first 2 characters) kept, everything else hidden; see the module."""
    if not number:
        return ""
    if len(number) <= 10 or number.startswith(HIDDEN_PREFIXES):
        return "*" * len(number)
    return number[:SHOWN_PREFIX] + "*" * (len(number) - SHOWN_PREFIX)


def mask_phone(phone: str | None) -> str:
    """First 3 and last 4 kept, the usual Chinese display of a mobile number."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def _mask_id_match(match: re.Match[str]) -> str:
    return mask_id_number(match.group(0))


def _mask_phone_match(match: re.Match[str]) -> str:
    prefix, sep1, _middle, sep2, last = match.groups()
    return f"{prefix}{sep1}****{sep2}{last}"


# What any number either pattern masks must contain: one search rules most text out at once
# (an export passes millions of cells through here).
_CANDIDATE = re.compile(r"\d{3}[ -]?\d{4}")


def mask_text(text: str) -> str:
    """Mask every ID-number-like and mobile-number-like run inside free text (logs, notes)."""
    if not _CANDIDATE.search(text):
        return text
    text = _ID_RE.sub(_mask_id_match, text)
    return _PHONE_RE.sub(_mask_phone_match, text)


def _numbers(text: str) -> list[str]:
    return [m.group(0) for m in _ID_RE.finditer(text)] + [
        m.group(0) for m in _PHONE_RE.finditer(text)
    ]


def restore_masked(submitted: str, original: str) -> str:
    """``submitted`` with each masked number put back as it stands in ``original``.

    A form shows free text masked (:func:`mask_text`); what comes back holds the masked runs
    wherever the user left them. Each masked run that comes from exactly one number of the
    original is replaced by that number, so editing a note around a number does not turn the
    stored number into stars. A run that could be two different numbers stays as it came.
    """
    if "*" not in submitted or not original:
        return submitted
    back: dict[str, str | None] = {}
    for number in _numbers(original):
        masked = mask_text(number)
        back[masked] = number if back.get(masked, number) == number else None
    restored = submitted
    for masked, original_number in sorted(back.items(), key=lambda item: -len(item[0])):
        if original_number is not None:
            restored = restored.replace(masked, original_number)
    return restored


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
