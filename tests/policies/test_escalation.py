"""托底 (HD-2018 二(六)1): the candidates rule at its edges, its Python and SQL forms agreeing on
generated data, and the services (open, steps, offer, placed, close) with who may use them."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiuye.casework.services import service_record_create
from jiuye.jobs.models import Referral
from jiuye.jobs.postings import posting_close, referral_create, referral_outcome
from jiuye.policies import escalation
from jiuye.policies.escalation_services import (
    escalation_close,
    escalation_offer,
    escalation_open,
    escalation_step,
)
from jiuye.policies.models import EscalationCase, EscalationState, EscalationStep
from jiuye.registry import services as registry
from jiuye.registry.models import Person
from tests.jobs.conftest import make_person, make_posting, recognise
from tests.policies.escalation_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db

ON = date(2026, 11, 2)
TODAY = date(2026, 12, 1)


def serve(person: Any, *days: date, kind: str = "guidance") -> None:
    extra = {"training_mode": "other"} if kind == "training" else {}
    for day in days:
        service_record_create(actor=None, person=person, kind=kind, on=day, today=TODAY, **extra)


def make_candidate(person: Any) -> Any:
    recognise(person, date(2026, 3, 5))
    serve(person, date(2026, 4, 1), date(2026, 6, 1), date(2026, 9, 1))
    return person


def is_listed(person: Any, on: date = ON) -> bool:
    return escalation.candidates_of(Person.objects.filter(pk=person.pk), on).exists()


def agree(person: Any, on: date = ON) -> bool:
    python = escalation.person_verdict(person, on).candidate
    assert python == is_listed(person, on)
    return python


# ---- the rule at its edges ---------------------------------------------------------------------


def test_the_thresholds_are_data() -> None:
    current = escalation.rule()
    assert (current.min_services, current.within_months) == (3, 12)
    assert current.service_kinds == ("guidance", "referral", "training", "assistance")
    assert current.clause == "HD-2018 二(六)1"
    assert escalation.window_start(ON) == date(2025, 11, 2)


def test_two_services_are_not_repeated_three_are(person_a: Any) -> None:
    recognise(person_a, date(2026, 3, 5))
    serve(person_a, date(2026, 4, 1), date(2026, 6, 1))
    found = escalation.person_verdict(person_a, ON)
    assert not agree(person_a) and found.services == 2
    assert any("不足3次" in r for r in found.reasons)
    serve(person_a, date(2026, 9, 1), kind="training")
    assert agree(person_a)
    listed = escalation.candidates_of(Person.objects.all(), ON).get()
    assert (listed.esc_services, listed.esc_last, listed.esc_category) == (
        3,
        date(2026, 9, 1),
        "other",
    )


def test_other_kinds_do_not_count(person_a: Any) -> None:
    recognise(person_a, date(2026, 3, 5))
    serve(person_a, date(2026, 4, 1), date(2026, 6, 1))
    serve(person_a, date(2026, 9, 1), kind="visit")
    assert not agree(person_a)


def test_a_service_twelve_months_and_a_day_ago_does_not_count(tree: dict[str, Any]) -> None:
    person = make_person(tree["a"], "窗口", number="W-1", born=date(1980, 1, 15))
    registry.person_change_status(
        actor=None, person=person, status="unemployed", since=date(2025, 1, 5), registered=True
    )
    recognise(person, date(2025, 1, 5))
    serve(person, date(2026, 4, 1), date(2026, 6, 1), date(2025, 11, 1))
    assert not agree(person)  # 2025-11-01: twelve months and a day before 2026-11-02
    serve(person, date(2025, 11, 2))  # exactly twelve months before: counts
    assert agree(person)
    assert not agree(person, ON + timedelta(days=1))  # the next day it has left the window


def test_a_recognition_ended_that_day(person_a: Any) -> None:
    make_candidate(person_a)
    recognition = person_a.recognitions.get()
    registry.recognition_end(actor=None, recognition=recognition, ended_on=ON)
    assert not agree(person_a)
    assert agree(person_a, ON - timedelta(days=1))
    assert any(
        "未被认定为就业困难人员" in r for r in escalation.person_verdict(person_a, ON).reasons
    )


def test_an_employed_person_is_not_a_candidate(person_a: Any) -> None:
    make_candidate(person_a)
    registry.person_change_status(actor=None, person=person_a, status="unit", since=ON)
    assert not agree(person_a)
    assert agree(person_a, ON - timedelta(days=1))  # the day before, still unemployed


def test_an_open_case_excludes_a_closed_one_does_not(person_a: Any, personas: Any) -> None:
    make_candidate(person_a)
    case = escalation_open(actor=personas["worker_a"], person=person_a, on=ON, today=TODAY)
    assert not agree(person_a)
    escalation_close(
        actor=personas["worker_a"], case=case, on=ON, placed=False, note="迁出", today=TODAY
    )
    assert agree(person_a)


def test_python_and_sql_agree_on_generated_histories(tree: dict[str, Any]) -> None:
    rng = random.Random(17)
    days = [date(2025, 6, 1) + timedelta(days=n) for n in range(0, 560, 7)]
    persons = []
    for n in range(40):
        person = make_person(tree[rng.choice("ab")], f"随机{n}", number=f"R-{n}")
        for since in sorted(rng.sample(days, rng.randint(0, 3))):
            status = rng.choice(["unemployed", "unit", "flexible", "unemployed"])
            registry.person_change_status(actor=None, person=person, status=status, since=since)
        if rng.random() < 0.7:
            start = rng.choice(days)
            end = rng.choice([None, start + timedelta(days=rng.randint(0, 300))])
            recognise(person, start, end)
        for _ in range(rng.randint(0, 6)):
            kind = rng.choice(["guidance", "referral", "training", "assistance", "visit"])
            serve(person, rng.choice([d for d in days if d <= TODAY]), kind=kind)
        if rng.random() < 0.15:
            EscalationCase.objects.create(
                person=person,
                opened_on=date(2026, 1, 5),
                opened_by=_opener(),
                services=3,
                closed_on=rng.choice([None, date(2026, 2, 1)]),
            )
        persons.append(person)
    for on in (date(2026, 3, 2), date(2026, 7, 1), ON, date(2026, 11, 30)):
        listed = set(
            escalation.candidates_of(Person.objects.all(), on).values_list("pk", flat=True)
        )
        python = {p.pk for p in persons if escalation.person_verdict(p, on).candidate}
        assert listed == python, on
    assert any(
        escalation.candidates_of(Person.objects.all(), on).exists()
        for on in (date(2026, 7, 1), ON, date(2026, 11, 30))
    )


def _opener() -> Any:
    from jiuye.accounts.models import User

    return User.objects.get_or_create(username="opener", defaults={"role": "worker"})[0]


# ---- the services --------------------------------------------------------------------------------


def test_the_community_worker_opens(person_a: Any, personas: Any) -> None:
    make_candidate(person_a)
    case = escalation_open(actor=personas["worker_a"], person=person_a, on=ON, today=TODAY)
    assert (case.state, case.services, case.opened_on) == (EscalationState.OPEN, 3, ON)
    step = case.steps.get()
    assert step.kind == "handover" and "HD-2018 二(六)1" in step.note
    from jiuye.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="escalation.open").count() == 1


def test_a_non_candidate_is_refused_in_words(person_a: Any, personas: Any) -> None:
    recognise(person_a, date(2026, 3, 5))
    serve(person_a, date(2026, 4, 1))
    with pytest.raises(ValidationError) as refused:
        escalation_open(actor=personas["worker_a"], person=person_a, on=ON, today=TODAY)
    assert "不足3次" in " ".join(refused.value.messages)
    assert not EscalationCase.objects.exists()


def test_who_may_open(person_a: Any, personas: Any) -> None:
    make_candidate(person_a)
    for who in ("worker_b", "auditor", "sysadmin", "nobody"):
        with pytest.raises(PermissionDenied):
            escalation_open(actor=personas[who], person=person_a, on=ON, today=TODAY)
    # the grid coordinator of another grid: person_a has no grid, community A is not theirs
    with pytest.raises(PermissionDenied):
        escalation_open(actor=personas["grid_a1"], person=person_a, on=ON, today=TODAY)
    case = escalation_open(actor=personas["street"], person=person_a, on=ON, today=TODAY)
    assert case.opened_by == personas["street"]


def test_the_district_records_steps_and_the_worker_too(person_a: Any, personas: Any) -> None:
    make_candidate(person_a)
    case = escalation_open(actor=personas["worker_a"], person=person_a, on=ON, today=TODAY)
    for who, kind in (
        ("district", "diagnosis"),
        ("street", "assessment"),
        ("worker_a", "guidance"),
    ):
        escalation_step(actor=personas[who], case=case, kind=kind, on=ON, note="", today=TODAY)
    assert list(case.steps.values_list("kind", flat=True)) == [
        "handover",
        "diagnosis",
        "assessment",
        "guidance",
    ]
    for who in ("worker_b", "auditor"):
        with pytest.raises(PermissionDenied):
            escalation_step(actor=personas[who], case=case, kind="training", on=ON, today=TODAY)
    with pytest.raises(ValidationError):
        escalation_step(actor=personas["district"], case=case, kind="offer", on=ON, today=TODAY)
    with pytest.raises(ValidationError):  # before the handover
        escalation_step(
            actor=personas["district"],
            case=case,
            kind="training",
            on=ON - timedelta(1),
            today=TODAY,
        )


def test_the_offer_is_a_public_welfare_post_open_that_day(
    person_a: Any, personas: Any, posting: Any, welfare_post: Any, employer: Any, tree: Any
) -> None:
    make_candidate(person_a)
    case = escalation_open(actor=personas["worker_a"], person=person_a, on=ON, today=TODAY)
    district = personas["district"]
    with pytest.raises(ValidationError) as refused:
        escalation_offer(actor=district, case=case, posting=posting, on=ON, today=TODAY)
    assert "不是公益性岗位" in " ".join(refused.value.messages)
    closed = make_posting(employer, tree["a"], title="已截止公益岗", public_welfare=True)
    posting_close(actor=None, posting=closed, on=ON - timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        escalation_offer(actor=district, case=case, posting=closed, on=ON, today=TODAY)
    assert "未开放推荐" in " ".join(refused.value.messages)
    assert not Referral.objects.exists()
    case.refresh_from_db()
    assert case.state == EscalationState.OPEN


def test_the_full_path_open_steps_offer_hired_placed(
    person_a: Any, personas: Any, welfare_post: Any
) -> None:
    make_candidate(person_a)
    worker, district = personas["worker_a"], personas["district"]
    case = escalation_open(actor=worker, person=person_a, on=ON, today=TODAY)
    escalation_step(actor=district, case=case, kind="diagnosis", on=ON, note="诊断", today=TODAY)
    step = escalation_offer(
        actor=district, case=case, posting=welfare_post, on=date(2026, 11, 10), today=TODAY
    )
    referral = step.referral
    assert referral is not None and referral.by == district and referral.service.by == district
    case.refresh_from_db()
    assert case.state == EscalationState.OFFERED
    # Placed only once the community records the hire on the referral.
    with pytest.raises(ValidationError):
        escalation_close(actor=district, case=case, on=date(2026, 11, 20), placed=True, today=TODAY)
    with pytest.raises(PermissionDenied):  # the hire writes the person's status: the community's
        referral_outcome(
            actor=district, referral=referral, outcome="hired", on=date(2026, 11, 15), today=TODAY
        )
    referral_outcome(
        actor=worker, referral=referral, outcome="hired", on=date(2026, 11, 15), today=TODAY
    )
    listed = escalation.escalations_listed(user=district, closed=False).get()
    assert listed.hired_on == date(2026, 11, 15)
    with pytest.raises(ValidationError):  # not before the hire
        escalation_close(actor=district, case=case, on=date(2026, 11, 14), placed=True, today=TODAY)
    done = escalation_close(
        actor=district, case=case, on=date(2026, 11, 16), placed=True, today=TODAY
    )
    assert (done.state, done.closed_on) == (EscalationState.PLACED, date(2026, 11, 16))
    assert list(done.steps.values_list("kind", flat=True)) == [
        "handover",
        "diagnosis",
        "offer",
        "placed",
        "close",
    ]
    with pytest.raises(ValidationError):  # closed: no more steps
        escalation_step(actor=district, case=case, kind="training", on=TODAY, today=TODAY)
    person_a.refresh_from_db()
    assert person_a.current_status == "public_post"


def test_closing_without_placement_needs_the_reason(person_a: Any, personas: Any) -> None:
    make_candidate(person_a)
    case = escalation_open(actor=personas["worker_a"], person=person_a, on=ON, today=TODAY)
    with pytest.raises(ValidationError):
        escalation_close(actor=personas["street"], case=case, on=ON, placed=False, today=TODAY)
    escalation_close(
        actor=personas["street"], case=case, on=ON, placed=False, note="本人自行就业", today=TODAY
    )
    case.refresh_from_db()
    assert case.state == EscalationState.CLOSED
    assert EscalationStep.objects.filter(case=case, kind="close").count() == 1


def test_referral_create_assisting_is_for_the_street_and_district_over_the_person(
    person_a: Any, person_b: Any, personas: Any, welfare_post: Any, tree: Any
) -> None:
    """jobs: without ``assisting`` the district refers nobody; with it, only a person under its
    jurisdiction (the street of S1 not a person of S2)."""
    recognise(person_a, date(2026, 3, 5))
    with pytest.raises(PermissionDenied):
        referral_create(
            actor=personas["district"], person=person_a, posting=welfare_post, on=ON, today=TODAY
        )
    made = referral_create(
        actor=personas["district"],
        person=person_a,
        posting=welfare_post,
        on=ON,
        today=TODAY,
        assisting=True,
    )
    assert made.service.by == personas["district"]
    person_c = make_person(tree["c"], "永定人", number="J-C")
    recognise(person_c, date(2026, 3, 5))
    for who, whom in (("street", person_c), ("auditor", person_a), ("worker_b", person_a)):
        with pytest.raises(PermissionDenied):
            referral_create(
                actor=personas[who],
                person=whom,
                posting=welfare_post,
                on=ON,
                today=TODAY,
                assisting=True,
            )
