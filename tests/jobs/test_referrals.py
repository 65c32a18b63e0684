"""Referrals and their outcomes (DOMAIN §8): one step with the casework record, public-welfare
posts for recognised difficult persons only, a hire changing the status once, declined with its
reason, and the final outcomes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from jiuye.audit.models import AuditEntry
from jiuye.casework.models import ServiceRecord
from jiuye.jobs import postings
from jiuye.jobs.eligibility import public_welfare_allowed, public_welfare_allowed_q
from jiuye.jobs.models import Hire, Posting, Referral
from jiuye.registry.models import Person, Status
from tests.jobs.conftest import make_person, make_posting, recognise

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
TODAY = date(2026, 12, 4)


def _codes(error: ValidationError) -> set[str]:
    return {e.code for e in error.error_list if e.code}


def refer(person: Any, posting: Any, on: date = DAY, actor: Any = None) -> Referral:
    return postings.referral_create(actor=actor, person=person, posting=posting, on=on)


def outcome(referral: Referral, outcome: str, on: date = DAY, **extra: Any) -> Referral:
    return postings.referral_outcome(
        actor=extra.pop("actor", None),
        referral=referral,
        outcome=outcome,
        on=on,
        today=TODAY,
        **extra,
    )


def test_referral_makes_the_service_record(
    person_a: Any, posting: Any, personas: dict[str, Any]
) -> None:
    referral = refer(person_a, posting, actor=personas["worker_a"])
    record = ServiceRecord.objects.get(pk=referral.service_id)
    assert (record.kind, record.on, record.person_id) == ("referral", DAY, person_a.pk)
    assert posting.number in record.note and "保洁员" in record.note
    assert referral.by == personas["worker_a"]
    assert AuditEntry.objects.filter(action="referral.create").count() == 1


def test_referral_twice_a_day_refused(person_a: Any, posting: Any) -> None:
    refer(person_a, posting)
    with pytest.raises(ValidationError) as caught:
        refer(person_a, posting)
    assert "referral_twice" in _codes(caught.value)
    assert ServiceRecord.objects.filter(kind="referral").count() == 1
    refer(person_a, posting, on=date(2026, 3, 11))  # another day: a new referral


@pytest.mark.parametrize(
    ("on", "closes_on", "filled", "why"),
    [
        (date(2026, 2, 28), None, 0, "发布"),
        (date(2026, 3, 21), date(2026, 3, 20), 0, "截止"),
        (DAY, None, 2, "已满"),
    ],
)
def test_referral_to_a_posting_not_open(
    person_a: Any, posting: Any, on: date, closes_on: date | None, filled: int, why: str
) -> None:
    Posting.objects.filter(pk=posting.pk).update(closes_on=closes_on, filled=filled)
    posting.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        refer(person_a, posting, on=on)
    assert "posting_not_open" in _codes(caught.value)
    assert why in str(caught.value)
    assert not ServiceRecord.objects.filter(kind="referral").exists()


def test_referral_permissions(person_a: Any, posting: Any, personas: dict[str, Any]) -> None:
    for key in ("worker_b", "street", "district", "auditor", "nobody"):
        with pytest.raises(PermissionDenied):
            refer(person_a, posting, actor=personas[key])
    assert not Referral.objects.exists()


# ---- public-welfare posts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recognised", "ended", "allowed"),
    [
        (None, None, False),  # never recognised
        (date(2026, 3, 1), None, True),
        (DAY, None, True),  # recognised that very day
        (date(2026, 3, 11), None, False),  # recognised the day after
        (date(2026, 3, 1), date(2026, 3, 10), False),  # ended that day: no longer
        (date(2026, 3, 1), date(2026, 3, 11), True),
    ],
)
def test_public_welfare_only_for_difficult(
    person_a: Any,
    welfare_post: Any,
    recognised: date | None,
    ended: date | None,
    allowed: bool,
) -> None:
    if recognised is not None:
        recognise(person_a, recognised, ended)
    assert public_welfare_allowed(person_a, DAY) is allowed
    in_query = Person.objects.filter(public_welfare_allowed_q(DAY), pk=person_a.pk).exists()
    assert in_query is allowed
    if allowed:
        assert refer(person_a, welfare_post).posting == welfare_post
    else:
        with pytest.raises(ValidationError) as caught:
            refer(person_a, welfare_post)
        assert "welfare_not_difficult" in _codes(caught.value)
        assert not ServiceRecord.objects.filter(kind="referral").exists()


def test_public_welfare_hire_sets_public_post(person_a: Any, welfare_post: Any) -> None:
    recognise(person_a, date(2026, 3, 1))
    referral = refer(person_a, welfare_post)
    outcome(referral, "hired", on=date(2026, 3, 12))
    person_a.refresh_from_db()
    assert person_a.current_status == Status.PUBLIC_POST


# ---- outcomes -------------------------------------------------------------------------------


def test_hire_changes_status_once(person_a: Any, posting: Any, personas: dict[str, Any]) -> None:
    referral = refer(person_a, posting)
    outcome(referral, "interviewed", on=date(2026, 3, 11), actor=personas["worker_a"])
    outcome(referral, "hired", on=date(2026, 3, 12), actor=personas["worker_a"])
    person_a.refresh_from_db()
    posting.refresh_from_db()
    assert person_a.current_status == Status.UNIT
    assert person_a.status_events.filter(status="unit").count() == 1
    assert posting.filled == 1
    hire = Hire.objects.get()
    assert (hire.referral_id, hire.posting_id, hire.on) == (
        referral.pk,
        posting.pk,
        date(2026, 3, 12),
    )
    with pytest.raises(ValidationError) as caught:
        outcome(referral, "hired", on=date(2026, 3, 13))
    assert "outcome_final" in _codes(caught.value)
    assert "已录用" in str(caught.value)
    posting.refresh_from_db()
    assert posting.filled == 1
    assert Hire.objects.count() == 1
    assert person_a.status_events.filter(status="unit").count() == 1
    with pytest.raises(ValidationError):
        outcome(referral, "declined", declined_by="person", note="改主意")


def test_full_posting_refuses_a_hire(tree: dict[str, Any], employer: Any) -> None:
    posting = make_posting(employer, tree["a"], vacancies=1)
    first = make_person(tree["a"], "甲一", number="F-1")
    second = make_person(tree["a"], "甲二", number="F-2")
    r1, r2 = refer(first, posting), refer(second, posting)
    outcome(r1, "hired")
    with pytest.raises(ValidationError) as caught:
        outcome(r2, "hired")
    assert "posting_full" in _codes(caught.value)
    second.refresh_from_db()
    r2.refresh_from_db()
    assert second.current_status == Status.UNEMPLOYED
    assert r2.outcome == "pending"
    posting.refresh_from_db()
    assert posting.filled == 1


def test_declined_needs_who_and_why(person_a: Any, posting: Any) -> None:
    referral = refer(person_a, posting)
    with pytest.raises(ValidationError) as caught:
        outcome(referral, "declined")
    assert {"declined_by_required", "note_required"} <= _codes(caught.value)
    with pytest.raises(ValidationError) as caught:
        outcome(referral, "interviewed", declined_by="person")
    assert "declined_by_not_applicable" in _codes(caught.value)
    outcome(referral, "declined", declined_by="employer", note="技能不符")
    referral.refresh_from_db()
    assert (referral.outcome, referral.declined_by, referral.outcome_note) == (
        "declined",
        "employer",
        "技能不符",
    )
    with pytest.raises(ValidationError) as caught:
        outcome(referral, "interviewed")
    assert "outcome_final" in _codes(caught.value)


@pytest.mark.parametrize(
    ("on", "code"),
    [
        (date(2026, 3, 9), "outcome_before"),  # before the referral
        (date(2026, 12, 5), "future"),  # after today
    ],
)
def test_outcome_dates(person_a: Any, posting: Any, on: date, code: str) -> None:
    referral = refer(person_a, posting)
    with pytest.raises(ValidationError) as caught:
        outcome(referral, "hired", on=on)
    assert code in _codes(caught.value)
    assert not Hire.objects.exists()


def test_outcome_not_before_the_interview(person_a: Any, posting: Any) -> None:
    referral = refer(person_a, posting)
    outcome(referral, "interviewed", on=date(2026, 3, 15))
    with pytest.raises(ValidationError) as caught:
        outcome(referral, "interviewed", on=date(2026, 3, 16))
    assert "outcome_again" in _codes(caught.value)
    with pytest.raises(ValidationError) as caught:
        outcome(referral, "hired", on=date(2026, 3, 14))
    assert "outcome_before" in _codes(caught.value)
    outcome(referral, "hired", on=date(2026, 3, 15))


def test_unknown_outcome(person_a: Any, posting: Any) -> None:
    referral = refer(person_a, posting)
    with pytest.raises(ValidationError) as caught:
        outcome(referral, "pending")
    assert "outcome_unknown" in _codes(caught.value)


def test_outcome_permissions(person_a: Any, posting: Any, personas: dict[str, Any]) -> None:
    referral = refer(person_a, posting)
    for key in ("worker_b", "street", "district", "auditor"):
        with pytest.raises(PermissionDenied):
            outcome(referral, "hired", actor=personas[key])
    assert not Hire.objects.exists()
    referral.refresh_from_db()
    assert referral.outcome == "pending"


def test_one_hire_per_referral_in_the_database(person_a: Any, posting: Any) -> None:
    """The database keeps one hire per referral whatever a caller does."""
    referral = refer(person_a, posting)
    outcome(referral, "hired")
    with pytest.raises(IntegrityError), transaction.atomic():
        Hire.objects.create(
            employer=posting.employer, person=person_a, on=date(2026, 3, 11), referral=referral
        )
