"""Resident ID numbers (公民身份号码, GB 11643-1999), parsed with python-stdnum.

Birth date and sex are derived from the number, never typed a second time. Old 15-digit numbers
(GB 11643-1989: 6-digit region, YYMMDD, 3-digit order, no check digit) are converted to 18 digits
by inserting the century "19" and computing the ISO 7064 MOD 11-2 check digit.

A bulk import parses a million numbers, so the common case is kept cheap without changing any
answer: a number already in the standard form skips the Unicode folding and separator removal
(both leave such a number as it is), the birth date is read from the digits directly (as
python-stdnum does), and python-stdnum's region lookup, which depends only on the 6-digit code
and the birth year (a county code is valid for a range of years), is asked once per (code, year).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class IdNumberError(ValueError):
    """A resident ID number that cannot be accepted; ``code`` is stable, ``message`` is Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IdNumber:
    number: str  # the normalised 18-character number, upper-case X
    birth_date: date
    sex: Sex
    region: str  # the 6-digit administrative division code


# ASCII only: str.isdigit() also accepts "²" and other Unicode digits that int() then rejects.
_DIGITS_15 = re.compile(r"[0-9]{15}")
_FORMAT_18 = re.compile(r"[0-9]{17}[0-9X]")
# Separators people paste with (spaces, hyphens); stdnum's compact() only strips the ends.
_SEPARATORS = re.compile(r"[\s\-]+")


@functools.lru_cache(maxsize=1 << 16)
def _region_known(region: str, year: int) -> bool:
    """Whether python-stdnum knows the county ``region`` for a person born in ``year``.

    ``ric.get_birth_place`` reads only the first six digits and the birth year of the number
    (it checks the county against the years it existed), so it is asked with a stand-in number
    of that code and year; the answer is cached (bounded: a file of random codes cannot grow
    it without limit)."""
    try:
        ric.get_birth_place(f"{region}{year:04d}01010000")
    except (stdnum_errors.ValidationError, KeyError):
        # stdnum raises KeyError for a known province with an unknown county (e.g. 123456).
        return False
    return True


def _convert_15(number: str) -> str:
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


def parse(raw: str, *, today: date | None = None) -> IdNumber:
    """Validate and parse an ID number, raising :class:`IdNumberError` with a clear reason."""
    if raw.__class__ is str and _FORMAT_18.fullmatch(raw):
        number = raw  # the standard form already: folding and compacting leave it as it is
    else:
        # NFKC folds full-width digits and Ｘ (typed with a Chinese IME) to ASCII.
        number = _SEPARATORS.sub("", ric.compact(unicodedata.normalize("NFKC", str(raw or ""))))
    if not number:
        raise IdNumberError("empty", "身份证号码为空")
    if len(number) == 15:
        if not _DIGITS_15.fullmatch(number):
            raise IdNumberError("format", "15位身份证号码只能包含数字")
        number = _convert_15(number)
    if len(number) != 18:
        raise IdNumberError("length", f"身份证号码应为18位，实际为{len(number)}位")
    if not _FORMAT_18.fullmatch(number):
        raise IdNumberError("format", "身份证号码前17位须为数字，末位为数字或X")
    if number[-1] != ric.calc_check_digit(number):
        raise IdNumberError("checksum", "身份证号码校验位错误")
    try:  # as ric.get_birth_date reads it (YYYYMMDD after the region), without re-compacting
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("birth_date", "身份证号码中的出生日期不存在") from None
    if birth > (today or date.today()):
        raise IdNumberError("future", "身份证号码中的出生日期晚于今天")
    if birth.year < 1900:
        raise IdNumberError("birth_date", "身份证号码中的出生日期早于1900年")
    if not _region_known(number[:6], birth.year):
        raise IdNumberError("region", "身份证号码中的地区代码不存在")
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return IdNumber(number=number, birth_date=birth, sex=sex, region=number[:6])


def make(region: str, birth: date, order: int) -> str:
    """Build a valid 18-digit number (synthetic data and tests); odd ``order`` is male."""
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")
