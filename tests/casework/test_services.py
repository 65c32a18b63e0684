"""Service records and the assistance workflow: validation, order, audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from jiuye.audit.models import AuditEntry
from jiuye.casework import checks, services
from jiuye.casework.models import AssistanceStep, ServiceRecord, ZeroFamilyCase

D = date
TODAY = D(2026, 6, 30)

VALID = {
    "guidance": {"kind": "guidance"},
    "training with mode, completed and certified": {
        "kind": "training",
        "training_mode": "order",
        "completed": True,
        "certified": True,
    },
    "survey": {"kind": "survey", "outcome": "very_satisfied"},
    "valid complaint": {"kind": "complaint", "valid": True},
    "policy payment": {"kind": "policy", "policy_name": "社会保险补贴", "amount": "1200.50"},
    "policy without an amount (a loan guarantee)": {
        "kind": "policy",
        "policy_name": "创业担保贷款",
    },
    "start-up service": {"kind": "startup", "note": "创业指导"},
}


@pytest.mark.parametrize("details", VALID.values(), ids=VALID.keys())
def test_valid_records(
    person: Callable[..., Any], personas: dict[str, Any], details: dict[str, Any]
) -> None:
    p = person()
    record = services.service_record_create(
        actor=personas["worker_a"], person=p, on=D(2026, 5, 8), today=TODAY, **details
    )
    assert record.by == personas["worker_a"] and record.by_name == "worker_a"
    if details["kind"] == "training":
        assert record.enrolled and record.training_mode == "order"
    if details["kind"] == "policy" and "amount" in details:
        assert record.amount == Decimal("1200.50")
    entry = AuditEntry.objects.get(action="service.create")
    assert entry.actor_id == personas["worker_a"].pk and entry.changes["kind"] == [
        None,
        details["kind"],
    ]


# Each refusal is one of casework.checks' problems (the forms and the ledger importer report the
# same words): (details, date, the problems' codes).
INVALID = {
    "unknown kind": ({"kind": "massage"}, D(2026, 5, 8), ["kind_unknown"]),
    "in the future": ({"kind": "guidance"}, D(2026, 7, 1), ["future"]),
    "before birth": ({"kind": "guidance"}, D(1979, 12, 31), ["before_birth"]),
    "training without a mode": ({"kind": "training"}, D(2026, 5, 8), ["training_mode_required"]),
    "training with an unknown mode": (
        {"kind": "training", "training_mode": "online"},
        D(2026, 5, 8),
        ["training_mode_unknown"],
    ),
    "certified without completing": (
        {"kind": "training", "training_mode": "post", "certified": True},
        D(2026, 5, 8),
        ["progress_order"],
    ),
    "completed without enrolling": (
        {"kind": "training", "training_mode": "post", "enrolled": False, "completed": True},
        D(2026, 5, 8),
        ["progress_order"],
    ),
    "mode on a guidance": (
        {"kind": "guidance", "training_mode": "post"},
        D(2026, 5, 8),
        ["not_applicable"],
    ),
    "survey without outcome": ({"kind": "survey"}, D(2026, 5, 8), ["outcome_required"]),
    "survey with an unknown outcome": (
        {"kind": "survey", "outcome": "thrilled"},
        D(2026, 5, 8),
        ["outcome_unknown"],
    ),
    "outcome on a visit": (
        {"kind": "visit", "outcome": "satisfied"},
        D(2026, 5, 8),
        ["outcome_kind"],
    ),
    "complaint without validity": ({"kind": "complaint"}, D(2026, 5, 8), ["valid_required"]),
    "validity on a contact": ({"kind": "contact", "valid": False}, D(2026, 5, 8), ["outcome_kind"]),
    "policy without a name": (
        {"kind": "policy", "amount": 100},
        D(2026, 5, 8),
        ["policy_name_required"],
    ),
    "negative amount": (
        {"kind": "policy", "policy_name": "补贴", "amount": -1},
        D(2026, 5, 8),
        ["amount_negative"],
    ),
    "amount that is no number": (
        {"kind": "policy", "policy_name": "补贴", "amount": "十元"},
        D(2026, 5, 8),
        ["amount_invalid"],
    ),
    "amount on a referral": (
        {"kind": "referral", "amount": 100},
        D(2026, 5, 8),
        ["not_applicable"],
    ),
    "two problems at once": (
        {"kind": "survey", "policy_name": "补贴"},
        D(2026, 7, 1),
        ["outcome_required", "not_applicable", "future"],
    ),
}


@pytest.mark.parametrize(("details", "on", "codes"), INVALID.values(), ids=INVALID.keys())
def test_invalid_records(
    person: Callable[..., Any], details: dict[str, Any], on: date, codes: list[str]
) -> None:
    p = person(birth=D(1980, 1, 1))
    with pytest.raises(ValidationError) as raised:
        services.service_record_create(actor=None, person=p, on=on, today=TODAY, **details)
    assert [e.code for e in raised.value.error_list] == codes
    assert ServiceRecord.objects.count() == 0


def test_the_service_speaks_the_checks_words_in_the_users_language(
    person: Callable[..., Any],
) -> None:
    from django.utils import translation

    p = person()
    [problem] = checks.detail_problems(kind="referral", amount_given=True)
    assert problem.message("zh-hans") == "“金额”只适用于政策落实"
    assert problem.message("en") == "'amount' applies to policy only"
    for language in ("zh-hans", "en"):
        with translation.override(language), pytest.raises(ValidationError) as raised:
            services.service_record_create(
                actor=None, person=p, kind="referral", on=D(2026, 5, 8), amount=5, today=TODAY
            )
        assert raised.value.messages == [problem.message(language)]


def test_if_absent_makes_reimport_idempotent(person: Callable[..., Any]) -> None:
    p = person()
    first = services.service_record_create(
        actor=None, person=p, kind="referral", on=D(2026, 5, 8), by_name="导入", if_absent=True
    )
    again = services.service_record_create(
        actor=None, person=p, kind="referral", on=D(2026, 5, 8), by_name="导入", if_absent=True
    )
    assert first.pk == again.pk and first.by is None and first.by_name == "导入"
    services.service_record_delete(actor=None, record=first)
    assert not ServiceRecord.objects.exists()


# ---- assistance ----------------------------------------------------------------------------


def test_the_five_steps_in_order(person: Callable[..., Any], personas: dict[str, Any]) -> None:
    from jiuye.registry import services as registry

    p = person(statuses=((D(2020, 1, 1), "unit"), (D(2026, 4, 1), "unemployed", True)))
    registry.recognition_create(
        actor=None, person=p, category="zero_family", recognized_on=D(2026, 4, 2)
    )
    assert ZeroFamilyCase.objects.get(household=p.household).open_on(D(2026, 4, 2))
    worker = personas["worker_a"]
    case = services.assistance_open(actor=worker, person=p, on=D(2026, 4, 28))
    with pytest.raises(ValidationError, match="已有未结案"):
        services.assistance_open(actor=worker, person=p, on=D(2026, 4, 29))
    with pytest.raises(ValidationError, match="下一个环节应是"):
        services.assistance_step_record(
            actor=worker, case=case, kind="commitment", on=D(2026, 4, 29)
        )
    services.assistance_step_record(
        actor=worker, case=case, kind="verification", on=D(2026, 4, 29), accepts_any_post=True
    )
    with pytest.raises(ValidationError, match="不能早于上一环节"):
        services.assistance_step_record(
            actor=worker, case=case, kind="commitment", on=D(2026, 4, 28)
        )
    services.assistance_step_record(actor=worker, case=case, kind="commitment", on=D(2026, 4, 30))
    case.refresh_from_db()
    assert case.accepts_any_post and case.placement_due == D(2026, 5, 7)
    with pytest.raises(ValidationError, match="就业状态"):
        services.assistance_step_record(
            actor=worker, case=case, kind="placement", on=D(2026, 5, 6), status="student"
        )
    services.assistance_step_record(
        actor=worker,
        case=case,
        kind="placement",
        on=D(2026, 5, 6),
        status="public_post",
        employer="社区公益岗",
    )
    p.refresh_from_db()
    assert (p.current_status, p.current_since) == ("public_post", D(2026, 5, 6))
    zero = ZeroFamilyCase.objects.get(household=p.household)
    assert (zero.eliminated_on, zero.close_reason) == (D(2026, 5, 6), "employed")
    assert not zero.open_on(D(2026, 5, 6))
    services.assistance_step_record(actor=worker, case=case, kind="followup", on=D(2026, 6, 5))
    case.refresh_from_db()
    assert case.closed_on == D(2026, 6, 5) and case.next_step is None
    assert list(AssistanceStep.objects.filter(case=case).values_list("kind", "by")) == [
        (kind, worker.pk)
        for kind in ("application", "verification", "commitment", "placement", "followup")
    ]
    with pytest.raises(ValidationError, match="已结案"):
        services.assistance_step_record(actor=worker, case=case, kind="followup", on=D(2026, 6, 6))
    assert AuditEntry.objects.filter(action="assistance.step").count() == 4
