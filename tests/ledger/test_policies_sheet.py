"""政策落实台账 from the policies' payments (issue 17): a payment and its reversal appear, each
once, with the policy, period, kind, reference and approver; a policy service record entered by
hand appears once after them; the service record a payment wrote is not listed again."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
from tests.policies.conftest import DAY, FLEX, flex_person, paid

from jiuye.lib.masking import mask_id_number

SHEET = "政策落实台账"
TODAY = date(2026, 11, 22)


def _sheet(path: Path, unit: Any, actor: Any = None, reveal: bool = False) -> list[dict]:
    from jiuye.ledger.export import export_ledgers

    export_ledgers(
        actor=actor,
        unit=unit,
        target=path,
        on=TODAY,
        reveal=reveal,
        reason="政策台账测试" if reveal else "",
    )
    rows = list(openpyxl.load_workbook(path)[SHEET].iter_rows(values_only=True))
    head = list(rows[0])
    return [dict(zip(head, r, strict=True)) for r in rows[1:]]


def test_payments_then_hand_entered_records(
    tree: dict[str, Any], personas: dict[str, Any], tmp_path: Path
) -> None:
    from jiuye.casework.models import ServiceRecord
    from jiuye.casework.services import service_record_create
    from jiuye.policies import services

    a, b = flex_person(tree["a"]), flex_person(tree["c"])
    payment = paid(a, maker=personas["worker_a"], checker=personas["street"], reference="PZ-7")
    assert payment.service is not None  # the payment wrote its service record
    services.payment_reverse(
        actor=personas["street"], payment=payment, on=date(2026, 3, 12), note="误发", today=TODAY
    )
    service_record_create(
        actor=None, person=b, kind="policy", on=date(2026, 4, 1), policy_name="手工补贴", amount=88
    )
    assert ServiceRecord.objects.filter(kind="policy").count() == 2
    rows = _sheet(tmp_path / "all.xlsx", tree["district"])
    head = [
        "序号",
        "日期",
        "姓名",
        "公民身份号码",
        "社区",
        "网格",
        "政策名称",
        "金额（元）",
        "备注",
        "经办人",
        "对象类型",
        "统一社会信用代码/单位代码",
        "政策编号",
        "期间",
        "类型",
        "凭证号",
        "批准人",
    ]
    assert list(rows[0]) == head
    assert [(r["序号"], r["姓名"], r["类型"], r["金额（元）"]) for r in rows] == [
        (1, a.name, "支付", float(payment.amount)),
        (2, a.name, "冲正", -float(payment.amount)),
        (3, b.name, None, 88.0),
    ]
    first = rows[0]
    assert first["公民身份号码"] == mask_id_number(a.id_number)
    assert first["政策编号"] == FLEX and first["期间"] == "2026-03" and first["凭证号"] == "PZ-7"
    assert first["批准人"] == "street_s1" and first["对象类型"] == "个人"
    assert first["社区"] == "翠微社区" and first["日期"].date() == DAY
    assert rows[1]["备注"] == "误发"
    # The street of A sees A's payments, not C's hand-entered record.
    mine = _sheet(tmp_path / "s1.xlsx", tree["s1"], actor=personas["street"])
    assert [r["姓名"] for r in mine] == [a.name, a.name]
    revealed = _sheet(tmp_path / "full.xlsx", tree["s1"], reveal=True)
    assert revealed[0]["公民身份号码"] == a.id_number


def test_an_employers_payment(
    tree: dict[str, Any], personas: dict[str, Any], tmp_path: Path
) -> None:
    from decimal import Decimal

    from tests.policies.conftest import employer

    from jiuye.policies.models import Application, Entitlement, Payment

    firm = employer(tree["a"])
    keys: dict[str, Any] = {
        "kind": "employer",
        "employer": firm,
        "place": tree["a"],
        "policy": "HD18-HIRE",
        "policy_version": 1,
        "period": "2026",
        "on": DAY,
        "amount": Decimal("10000.00"),
    }
    made = Application.objects.create(**keys, prepared_by=personas["worker_a"])
    granted = Entitlement.objects.create(
        **keys, application=made, year=2026, budget_line="奖励", approved_by=personas["street"]
    )
    Payment.objects.create(
        entitlement=granted, kind="payment", amount=keys["amount"], on=DAY, by=personas["street"]
    )
    (row,) = _sheet(tmp_path / "firm.xlsx", tree["district"])
    assert row["姓名"] == firm.name and row["公民身份号码"] is None
    assert row["统一社会信用代码/单位代码"] == firm.uscc  # a USCC is not masked
    assert row["对象类型"] == "用人单位" and row["政策名称"] == "用人单位招用奖励"
    # Out of the period (before the year's start): not listed.
    Payment.objects.update(on=date(2025, 12, 31))
    assert _sheet(tmp_path / "before.xlsx", tree["district"]) == []
