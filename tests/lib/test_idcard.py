"""idcard.parse: every accepted and rejected shape of a resident ID number.

No literal ID number appears here: numbers are built with ``idcard.make`` or by computing the
check digit, so the repository never carries anything that looks like a real person's number.
"""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import ric

from jiuye.lib import idcard
from jiuye.lib.idcard import IdNumberError, Sex

REGION = "110101"  # 北京市东城区
TODAY = date(2026, 6, 30)


def with_check(body17: str) -> str:
    """Append the correct MOD 11-2 check digit, even when the body's date is impossible."""
    return body17 + ric.calc_check_digit(body17 + "0")


def wrong_check(number: str) -> str:
    """The same number with its last character replaced by a different, wrong one."""
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def x_number(birth: date) -> str:
    """A valid number whose check digit is X (about one order in eleven has one)."""
    for order in range(1, 1000):
        number = idcard.make(REGION, birth, order)
        if number.endswith("X"):
            return number
    raise AssertionError("no order gives check digit X")  # pragma: no cover


def to_15(number: str) -> str:
    """The old 15-digit form of an 18-digit number born in the 1900s (drop "19" and the check)."""
    assert number[6:8] == "19"
    return number[:6] + number[8:17]


VALID = idcard.make(REGION, date(1990, 3, 7), 123)
VALID_F = idcard.make(REGION, date(1985, 11, 30), 124)
WITH_X = x_number(date(1975, 1, 10))
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@pytest.mark.parametrize(
    ("raw", "number", "birth", "sex"),
    [
        pytest.param(VALID, VALID, date(1990, 3, 7), Sex.MALE, id="valid-18-male"),
        pytest.param(VALID_F, VALID_F, date(1985, 11, 30), Sex.FEMALE, id="valid-18-female"),
        pytest.param(WITH_X, WITH_X, date(1975, 1, 10), Sex.MALE, id="check-digit-X"),
        pytest.param(WITH_X.lower(), WITH_X, date(1975, 1, 10), Sex.MALE, id="lowercase-x"),
        pytest.param(to_15(VALID), VALID, date(1990, 3, 7), Sex.MALE, id="15-digit-male"),
        pytest.param(to_15(VALID_F), VALID_F, date(1985, 11, 30), Sex.FEMALE, id="15-digit-fem"),
        pytest.param(f"  {VALID}\n", VALID, date(1990, 3, 7), Sex.MALE, id="surrounding-space"),
        pytest.param(
            f"{VALID[:6]} {VALID[6:14]} {VALID[14:]}",
            VALID,
            date(1990, 3, 7),
            Sex.MALE,
            id="inner-spaces",
        ),
        pytest.param(f"{VALID[:6]}-{VALID[6:]}", VALID, date(1990, 3, 7), Sex.MALE, id="hyphen"),
        pytest.param(
            VALID.translate(FULL_WIDTH), VALID, date(1990, 3, 7), Sex.MALE, id="full-width-digits"
        ),
        pytest.param(
            WITH_X.translate(FULL_WIDTH), WITH_X, date(1975, 1, 10), Sex.MALE, id="full-width-X"
        ),
    ],
)
def test_parse_accepts(raw: str, number: str, birth: date, sex: Sex) -> None:
    parsed = idcard.parse(raw, today=TODAY)
    assert parsed.number == number
    assert parsed.number.isascii()
    assert parsed.birth_date == birth
    assert parsed.sex == sex
    assert parsed.region == REGION


def test_15_digit_conversion_inserts_century_and_check_digit() -> None:
    old = to_15(VALID)
    parsed = idcard.parse(old, today=TODAY)
    assert parsed.number[:6] == old[:6]
    assert parsed.number[6:8] == "19"
    assert parsed.number[8:17] == old[6:]
    assert parsed.number[17] == ric.calc_check_digit(parsed.number)
    assert ric.is_valid(parsed.number)


@pytest.mark.parametrize(
    ("order", "sex"),
    [
        (1, Sex.MALE),
        (2, Sex.FEMALE),
        (9, Sex.MALE),
        (10, Sex.FEMALE),  # 17th digit 0 is even
        (357, Sex.MALE),
        (358, Sex.FEMALE),
        (999, Sex.MALE),
    ],
)
def test_sex_from_17th_digit(order: int, sex: Sex) -> None:
    number = idcard.make(REGION, date(1990, 3, 7), order)
    assert int(number[16]) == order % 10
    assert idcard.parse(number, today=TODAY).sex == sex


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("   ", "empty", id="blank"),
        pytest.param(None, "empty", id="none"),
        pytest.param(wrong_check(VALID), "checksum", id="bad-check-digit"),
        pytest.param(wrong_check(WITH_X), "checksum", id="bad-check-digit-was-X"),
        pytest.param(VALID[:-1] + "X", "checksum", id="X-where-digit-due"),
        pytest.param(VALID[:17], "length", id="17-digits"),
        pytest.param(VALID[:16], "length", id="16-digits"),
        pytest.param(VALID + "1", "length", id="19-digits"),
        pytest.param(to_15(VALID)[:14], "length", id="14-digits"),
        pytest.param(VALID[:10] + "A" + VALID[11:], "format", id="letter-in-body"),
        pytest.param(VALID[:-1] + "Y", "format", id="letter-other-than-X-last"),
        pytest.param(VALID[:8] + "X" + VALID[9:], "format", id="X-in-body"),
        pytest.param(to_15(VALID)[:-1] + "X", "format", id="15-with-letter"),
        # Non-ASCII digits that str.isdigit() accepts used to slip through (or crash int()).
        pytest.param("٣" + VALID[1:], "format", id="arabic-indic-digit"),
        pytest.param(with_check(REGION + "19900230" + "123"), "birth_date", id="feb-30"),
        pytest.param(with_check(REGION + "19901301" + "123"), "birth_date", id="month-13"),
        pytest.param(with_check(REGION + "19900100" + "123"), "birth_date", id="day-0"),
        pytest.param(with_check(REGION + "19890229" + "123"), "birth_date", id="feb-29-non-leap"),
        pytest.param(REGION + "900230" + "123", "birth_date", id="15-digit-feb-30"),
        pytest.param(with_check(REGION + "18991231" + "123"), "birth_date", id="before-1900"),
        pytest.param(idcard.make("999999", date(1990, 3, 7), 123), "region", id="unknown-999999"),
        pytest.param(idcard.make("000000", date(1990, 3, 7), 123), "region", id="unknown-000000"),
        # Known province (天津 12) but unknown county: stdnum raised a bare KeyError here.
        pytest.param(
            idcard.make("123456", date(1990, 3, 7), 123),
            "region",
            id="known-province-unknown-county",
        ),
    ],
)
def test_parse_rejects(raw: str, code: str) -> None:
    with pytest.raises(IdNumberError) as info:
        idcard.parse(raw, today=TODAY)
    assert info.value.code == code
    assert info.value.message  # a Chinese message for the form
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("birth", "today", "code"),
    [
        (date(2021, 1, 1), date(2020, 12, 31), "future"),
        (date(2026, 7, 1), date(2026, 6, 30), "future"),
        (date(2026, 6, 30), date(2026, 6, 30), None),  # born today is not in the future
        (date(2020, 12, 31), date(2021, 1, 1), None),
    ],
)
def test_future_birth_date(birth: date, today: date, code: str | None) -> None:
    number = idcard.make(REGION, birth, 123)
    if code is None:
        assert idcard.parse(number, today=today).birth_date == birth
    else:
        with pytest.raises(IdNumberError) as info:
            idcard.parse(number, today=today)
        assert info.value.code == code


@pytest.mark.parametrize(
    ("region", "birth", "order"),
    [
        ("110101", date(1990, 3, 7), 1),
        ("440300", date(2000, 2, 29), 42),
        ("110108", date(1965, 1, 31), 999),
    ],
)
def test_make_builds_numbers_parse_accepts(region: str, birth: date, order: int) -> None:
    number = idcard.make(region, birth, order)
    assert len(number) == 18
    assert ric.is_valid(number)
    parsed = idcard.parse(number, today=TODAY)
    assert (parsed.region, parsed.birth_date) == (region, birth)
    assert parsed.sex == (Sex.MALE if order % 2 else Sex.FEMALE)


@pytest.mark.parametrize(
    ("region", "birth", "code"),
    [
        ("110103", date(2010, 12, 31), None),  # 崇文区 until 2010
        ("110103", date(2011, 1, 1), "region"),
        ("110118", date(2014, 12, 31), "region"),  # 密云区 from 2015
        ("110118", date(2015, 1, 1), None),
        ("123456", date(2015, 1, 1), "region"),  # known province, unknown county
    ],
)
def test_region_checked_for_the_birth_year_also_when_cached(
    region: str, birth: date, code: str | None
) -> None:
    """The region lookup is cached per (code, birth year): the answer is python-stdnum's for
    every number, the first time and the times after."""
    for order in (1, 2, 3):  # the first parse fills the cache, the others read it
        number = idcard.make(region, birth, order)
        if code is None:
            assert idcard.parse(number, today=TODAY).region == region
        else:
            with pytest.raises(IdNumberError) as info:
                idcard.parse(number, today=TODAY)
            assert info.value.code == code
        try:
            ric.validate(number)
            stdnum_ok = True
        except Exception:
            stdnum_ok = False
        assert stdnum_ok == (code is None)
