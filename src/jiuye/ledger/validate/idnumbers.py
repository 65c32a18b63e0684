"""Resident ID numbers in a workbook: normalising a cell and deriving a number's fields fast."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from stdnum.cn import ric

from jiuye.lib import idcard
from jiuye.registry.derive import person_derived_fields

STANDARD_ID = re.compile(r"[0-9]{17}[0-9X]")
# The issue codes of an invalid number (``lib.idcard.IdNumberError.code`` prefixed with "id_").
ID_CODES = frozenset(
    {
        "id_empty",
        "id_length",
        "id_format",
        "id_checksum",
        "id_birth_date",
        "id_future",
        "id_region",
        "id_masked",
        "id_as_number",
    }
)


def issue_code(problem: str) -> str:
    """The issue code of a problem :func:`normalise_id` or the derivation reported."""
    code = {"required": "id_empty"}.get(problem, problem)
    if code.startswith("id_") and code not in ID_CODES:
        return "id_format"
    return code


class IdDeriver:
    """``person_derived_fields`` for many numbers, memoised.

    Once a number is in the standard form (17 digits and a digit or X) and its check digit is
    right, what ``person_derived_fields`` returns — or the error it raises — depends only on
    its first 14 characters (region and birth date), the parity of the 17th (sex) and whether
    the female retirement base is 50. A million-person file has ~145k such keys; each is
    derived once, by the one derivation (~30 µs each, most of it python-stdnum's region
    table). Numbers in any other form (15 digits, spaces, a lower-case x, full-width digits)
    are derived one by one.
    """

    def __init__(self, today: date) -> None:
        self.today = today
        self.cache: dict[tuple[str, bool, bool], Any] = {}

    def _derive(self, number: str, female_base: int | None) -> tuple[Any, ...] | Exception:
        try:
            d = person_derived_fields(number, female_base, today=self.today)
        except idcard.IdNumberError as error:
            return error
        return (d["id_number"], d["birth_date"], d["sex"], d["work_from"], d["retire_on"])

    def __call__(self, raw: str, female_base: int | None) -> tuple[Any, ...] | Exception:
        """(number, birth date, sex, 16th birthday, retirement day) or the IdNumberError."""
        if len(raw) == 18 and STANDARD_ID.fullmatch(raw):
            if ric.calc_check_digit(raw) != raw[17]:
                return idcard.IdNumberError("checksum", "身份证号码校验位错误")
            # The base matters only as 50 or not: ``lib.retirement.base_for`` reads None and 55
            # alike (and a man's base not at all), so those share one derivation.
            fifty = female_base == 50
            key = (raw[:14], raw[16] in "13579", fifty)
            found = self.cache.get(key)
            if found is None:
                found = self.cache[key] = self._derive(raw, 50 if fifty else None)
            if found.__class__ is not tuple:
                return found
            return (raw, *found[1:])  # type: ignore[misc]
        return self._derive(raw, female_base)


def normalise_id(raw: Any) -> tuple[str, str | None]:
    """The ID text of a cell and an error code (masked, stored as a number, empty)."""
    if raw is None or raw == "":
        return "", "required"
    if raw.__class__ is float or raw.__class__ is int:
        number = float(raw)
        if number.is_integer() and len(str(int(number))) == 15:
            return str(int(number)), None
        return str(raw), "id_as_number"
    text = str(raw).strip()
    if "*" in text or "＊" in text:
        return text, "id_masked"
    if not text:
        return "", "required"
    if len(text) > 40:
        return text, "id_length"
    if text.isascii():
        text = text.replace(" ", "").replace("-", "")
        if text.endswith("x"):
            text = text[:-1] + "X"
    return text, None
