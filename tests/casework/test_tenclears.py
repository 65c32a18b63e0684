"""The ten clears (十清): which fields each unemployed person's record is missing, and the
completeness rate of a unit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jiuye.casework import services, tenclears
from jiuye.registry import services as registry
from jiuye.units.scope import SYSTEM

D = date

PURE = {
    "all present": (
        {
            "cause": "合同到期",
            "skill_level": "中级工",
            "family_situation": "三口之家",
            "training_need": "电工",
            "destination": "物业维修",
            "policies": "未享受",
            "social_insurance": "灵活就业参保",
        },
        [],
    ),
    "nothing beyond the registry": (
        {"cause": "", "skill_level": ""},
        [
            "cause",
            "family",
            "training_need",
            "skill",
            "destination",
            "policies",
            "social_insurance",
        ],
    ),
    "a policy record stands for policies": (
        {"cause": "x", "skill_level": "y", "has_policy_record": True},
        ["family", "training_need", "destination", "social_insurance"],
    ),
    "blank text is missing": (
        {"cause": "  ", "skill_level": "初级", "family_situation": " "},
        ["cause", "family", "training_need", "destination", "policies", "social_insurance"],
    ),
}


@pytest.mark.parametrize(("fields", "missing"), PURE.values(), ids=PURE.keys())
def test_missing_fields(fields: dict[str, Any], missing: list[str]) -> None:
    assert (
        tenclears.missing_fields(unemployed_since=D(2026, 1, 5), willing=True, **fields) == missing
    )


def test_person_and_unit_completeness(person: Callable[..., Any], tree: dict[str, Any]) -> None:
    on = D(2026, 6, 1)
    a = person(skill_level="中级工", statuses=((D(2026, 1, 5), "unemployed", True),))
    b = person(unit="a2", statuses=((D(2026, 2, 5), "unemployed"),))
    person(statuses=((D(2026, 1, 5), "unit"),))  # employed: not counted
    registry.person_change_status(
        actor=None,
        person=a,
        status="unemployed",
        since=D(2026, 3, 1),
        registered=True,
        cause="企业关闭",
    )
    record = tenclears.person_ten_clears(a, on)
    assert record is not None and record.missing == [
        "family",
        "training_need",
        "destination",
        "policies",
        "social_insurance",
    ]
    assert record.missing_labels[0] == "家庭状况"
    services.profile_update(
        actor=None,
        person=a,
        family_situation="夫妻二人",
        training_need="无",
        destination="本地就业",
        social_insurance="已参保",
    )
    services.service_record_create(
        actor=None, person=a, kind="policy", on=D(2026, 4, 1), policy_name="失业保险金"
    )
    assert tenclears.person_ten_clears(a, on).complete
    # Before the policy payment, "policies" was still missing.
    assert tenclears.person_ten_clears(a, D(2026, 3, 31)).missing == ["policies"]
    result = tenclears.unit_completeness(tree["a"], on, user=SYSTEM)
    assert (result.numerator, result.denominator) == (1, 2)
    assert result.rate == 0.5 and [r.person_id for r in result.incomplete] == [b.pk]
    assert tenclears.unit_completeness(tree["a1"], on, user=SYSTEM).rate == 1.0
    assert tenclears.unit_completeness(tree["c"], on, user=SYSTEM).rate is None
    # Fails closed: without a user, no persons.
    assert tenclears.unit_completeness(tree["a"], on, user=None).denominator == 0
