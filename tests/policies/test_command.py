"""``jiuye policies list`` and ``jiuye policies eligible``: the catalog, and who is eligible
with masked numbers and reasons; a wrong policy, date or unit is a command error in words."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jiuye.lib.masking import mask_id_number
from jiuye.policies import catalog
from tests.policies.conftest import DAY, FLEX, flex_person, paid

ON = DAY.isoformat()


def run(*args: str, **options: Any) -> str:
    out = StringIO()
    call_command("policies", *args, stdout=out, **options)
    return out.getvalue()


def test_list(db: Any) -> None:
    text = run("list")
    for policy in catalog.policies().values():
        assert policy.id in text and policy.budget_line in text
    assert "3 人及以上 10000 元" in text
    rows = json.loads(run("list", "--json"))
    assert [r["id"] for r in rows] == list(catalog.policies())
    assert {"id", "version", "name", "clause", "beneficiary", "period", "amount"} <= set(rows[0])


def test_eligible(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    a, b = flex_person(tree["a"]), flex_person(tree["b"])
    flex_person(tree["a"], hukou="urban")  # not eligible
    text = run("eligible", FLEX, "--date", ON)
    assert "2 个对象" in text and mask_id_number(a.id_number) in text and a.name in text
    assert a.id_number not in text and b.id_number not in text
    body = json.loads(run("eligible", FLEX.lower(), "--date", ON, "--json"))
    assert body["policy"] == FLEX and body["count"] == 2 and body["period"] == "2026-03"
    assert body["total"] is not None
    assert [r["id"] for r in body["beneficiaries"]] == [a.pk, b.pk]
    row = body["beneficiaries"][0]
    assert row["masked"] == mask_id_number(a.id_number) and row["reasons"] and row["amount"]
    assert row["unit"] == "110108001001" and row["kind"] == "person" and row["state"] == ""
    limited = json.loads(run("eligible", FLEX, "--date", ON, "--json", "--limit", "1"))
    assert limited["count"] == 2 and len(limited["beneficiaries"]) == 1
    under = json.loads(run("eligible", FLEX, "--date", ON, "--json", "--unit", "110108001002"))
    assert [r["id"] for r in under["beneficiaries"]] == [b.pk]
    # Paid: marked, and left out of the worklist.
    paid(a, maker=personas["worker_a"], checker=personas["street"])
    marked = json.loads(run("eligible", FLEX, "--date", ON, "--json"))
    assert {r["id"]: r["state"] for r in marked["beneficiaries"]}[a.pk] == "paid"
    unpaid = json.loads(run("eligible", FLEX, "--date", ON, "--json", "--unpaid"))
    assert [r["id"] for r in unpaid["beneficiaries"]] == [b.pk]
    empty = json.loads(run("eligible", FLEX, "--date", ON, "--json", "--unit", "110108002"))
    assert empty["count"] == 0 and empty["beneficiaries"] == []


def test_employer_policy(tree: dict[str, Any]) -> None:
    text = run("eligible", "HD18-HIRE", "--date", ON)
    assert "0 个对象" in text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["eligible", "NOPE"], "没有此政策"),
        (["eligible", FLEX, "--date", "2026-02-30"], "YYYY-MM-DD"),
        (["eligible", FLEX, "--date", "2099-01-01"], "将来"),
        (["eligible", FLEX, "--unit", "999"], "单位不存在"),
        (["eligible", FLEX, "--limit", "0"], "--limit"),
    ],
)
def test_errors_in_words(db: Any, args: list[str], says: str) -> None:
    with pytest.raises(CommandError, match=says):
        run(*args)
