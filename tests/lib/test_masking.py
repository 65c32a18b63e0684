"""Masking of ID and mobile numbers in fields, free text and log records.

Numbers are assembled at run time (``idcard.make``, ``mobile``): no full ID or mobile number is
ever written in the repository.
"""

from __future__ import annotations

import logging
import sys
from datetime import date

import pytest

from jiuye.lib import idcard
from jiuye.lib.masking import MaskingLogFilter, mask_id_number, mask_phone, mask_text

ID18 = idcard.make("110108", date(1990, 3, 7), 123)
ID18_F = idcard.make("110108", date(1985, 11, 30), 124)
ID15 = ID18[:6] + ID18[8:17]


def x_number() -> str:
    for order in range(1, 1000):
        number = idcard.make("110108", date(1975, 1, 10), order)
        if number.endswith("X"):
            return number
    raise AssertionError("no order gives check digit X")  # pragma: no cover


ID_X = x_number()


def mobile(head: str = "139", middle: str = "8765", tail: str = "4321") -> str:
    return head + middle + tail


PHONE = mobile()
PHONE_2 = mobile("186", "0000", "0001")


def masked_id(number: str) -> str:
    """Only the province is shown (issue 11, finding 1: the old first-6 + last-4 mask let the
    number be rebuilt from the birth date)."""
    return number[:2] + "*" * (len(number) - 2)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (ID18, ID18[:2] + "*" * 16),
        (ID_X, ID_X[:2] + "*" * 16),
        (ID15, ID15[:2] + "*" * 13),
        (idcard.make("810000", date(1990, 3, 7), 123), "*" * 18),  # Hong Kong: too few codes
        (None, ""),
        ("", ""),
        ("12345", "*****"),
        ("1234567890", "**********"),  # 10 or fewer: nothing to keep
        ("12345678901", "12*********"),
    ],
)
def test_mask_id_number(number: str | None, expected: str) -> None:
    assert mask_id_number(number) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        (PHONE, "139****4321"),
        (f" {PHONE} ", "139****4321"),
        (None, ""),
        ("", ""),
        ("1234567", "*******"),
        ("110", "***"),
        ("12345678", "123*5678"),
    ],
)
def test_mask_phone(phone: str | None, expected: str) -> None:
    assert mask_phone(phone) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证号{ID18}，已核实", f"身份证号{masked_id(ID18)}，已核实"),
        (f"身份证{ID_X}。", f"身份证{masked_id(ID_X)}。"),
        (f"身份证{ID_X.lower()}。", f"身份证{masked_id(ID_X.lower())}。"),
        (f"老身份证{ID15}换发", f"老身份证{masked_id(ID15)}换发"),
        (f"缺校验位{ID18[:17]}", f"缺校验位{masked_id(ID18[:17])}"),
        (f"联系电话{PHONE}，请回电", "联系电话139****4321，请回电"),
        (f"电话：{PHONE}", "电话：139****4321"),
        (f"手机 {PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]} 本人", "手机 139-****-4321 本人"),
        (f"手机 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}", "手机 139 **** 4321"),
        (f"+86{PHONE}", "+86139****4321"),
        (f"+86 {PHONE}", "+86 139****4321"),
        (f"tel:{PHONE}", "tel:139****4321"),
        (
            f"{ID18_F}（母）与{ID18}（子），电话{PHONE}/{PHONE_2}",
            f"{masked_id(ID18_F)}（母）与{masked_id(ID18)}（子），电话139****4321/186****0001",
        ),
    ],
)
def test_mask_text_finds_numbers(text: str, expected: str) -> None:
    assert mask_text(text) == expected
    assert mask_text(expected) == expected  # idempotent: masking twice changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "2026年5月8日登记失业，2026-05-08 09:30 指导",
        "20260508",
        "补贴金额1380.00元，合计 12,345,678.90 元",
        "单位代码110108001001，社区110108001002",  # 12-digit unit codes
        "网格110108001001A1",
        "统一社会信用代码91110108MA01ABCD2X",
        "共13800人，占比13.5%",
        "金额" + mobile("130", "0000", "0000") + ".50元",  # 11 digits, but a decimal amount
        "流水号" + mobile() + "0",  # 12 digits: longer than a mobile number
        "编号" + ID18 + "7",  # 19 digits: longer than an ID number
        "座机010-62345678",
        "",
    ],
)
def test_mask_text_leaves_ordinary_numbers(text: str) -> None:
    assert mask_text(text) == text


def _record(msg: str, args: tuple[object, ...] | None = None) -> logging.LogRecord:
    return logging.LogRecord("jiuye", logging.INFO, __file__, 1, msg, args, None)


@pytest.mark.parametrize(
    ("msg", "args", "expected"),
    [
        ("登记 %s 电话 %s", (ID18, PHONE), f"登记 {masked_id(ID18)} 电话 139****4321"),
        ("person %(id)s", ({"id": ID18},), f"person {masked_id(ID18)}"),
        (f"inline {PHONE}", None, "inline 139****4321"),
        ("count %d", (13800,), "count 13800"),
    ],
)
def test_log_filter_masks_message_with_args(
    msg: str, args: tuple[object, ...] | None, expected: str
) -> None:
    record = _record(msg, args)
    assert MaskingLogFilter().filter(record) is True
    assert record.getMessage() == expected


def test_log_filter_keeps_unchanged_records_lazy() -> None:
    record = _record("saved %s rows", (3,))
    MaskingLogFilter().filter(record)
    assert (record.msg, record.args) == ("saved %s rows", (3,))


def test_log_filter_masks_exception_text() -> None:
    try:
        raise ValueError(f"Key (id_number)=({ID18}) already exists.")
    except ValueError:
        record = logging.LogRecord(
            "jiuye", logging.ERROR, __file__, 1, "insert failed", None, sys.exc_info()
        )
    MaskingLogFilter().filter(record)
    text = logging.Formatter().format(record)
    assert ID18 not in text
    assert masked_id(ID18) in text


def test_log_filter_survives_a_broken_format_string() -> None:
    record = _record("two %s %s", (PHONE,))
    assert MaskingLogFilter().filter(record) is True
    message = record.getMessage()
    assert PHONE not in message
    assert "139****4321" in message


def test_log_filter_through_a_handler(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("jiuye.tests.masking")
    caplog.handler.addFilter(MaskingLogFilter())
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("person %s phone %s", ID18, PHONE)
    finally:
        caplog.handler.removeFilter(caplog.handler.filters[-1])
    assert ID18 not in caplog.text and PHONE not in caplog.text
    assert masked_id(ID18) in caplog.text and "139****4321" in caplog.text


@pytest.mark.parametrize(
    ("submitted", "original", "expected"),
    [
        # Left as the form showed it: the stored text stays as it was.
        (mask_text(f"电话{PHONE}"), f"电话{PHONE}", f"电话{PHONE}"),
        # Edited around the number: the number comes back, the edit stays.
        (mask_text(f"电话{PHONE}") + "，已联系", f"电话{PHONE}", f"电话{PHONE}，已联系"),
        (mask_text(f"{ID18}母亲"), f"{ID18}母亲", f"{ID18}母亲"),
        # The user typed something new: kept as typed.
        ("无", f"电话{PHONE}", "无"),
        (f"电话{PHONE_2}", f"电话{PHONE}", f"电话{PHONE_2}"),
        # Two numbers behind one masked form: nothing can be put back.
        (
            "139****4321",
            f"{mobile('139', '1111', '4321')}或{mobile('139', '2222', '4321')}",
            "139****4321",
        ),
        ("", f"电话{PHONE}", ""),
    ],
)
def test_restore_masked(submitted: str, original: str, expected: str) -> None:
    from jiuye.lib.masking import restore_masked

    assert restore_masked(submitted, original) == expected
