"""Applications, approvals, payments and reversals (DOMAIN §9): maker-checker refusals, one
entitlement per beneficiary × policy × period and one payment per entitlement enforced by the
database (also from two connections at once), reversals, budgets, frozen inputs."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, connections, transaction

from jiuye.policies import services
from jiuye.policies.catalog import policy_get
from jiuye.policies.eligibility import eligible
from jiuye.policies.models import AppState, Entitlement, Payment
from jiuye.units.scope import SYSTEM
from tests.conftest import _user
from tests.policies.conftest import employer, hire, person

ON = date(2026, 11, 16)
TODAY = date(2026, 12, 1)


def _apply(actor: Any, whom: Any, policy: str = "HD18-FLEX-SI", **extra: Any) -> Any:
    return services.application_prepare(
        actor=actor, policy=policy, beneficiary=whom, on=ON, today=TODAY, **extra
    )


@pytest.fixture
def flexible(tree: dict[str, Any]) -> Any:
    return person(tree["a"], born=date(1970, 1, 1))


@pytest.mark.django_db
def test_maker_cannot_approve_and_checker_must_be_higher(tree, personas, flexible):
    application = _apply(personas["worker_a"], flexible)
    assert application.amount == Decimal("600.00") and application.state == AppState.SUBMITTED
    assert application.inputs["parameter"]["id"] == "flex_si_monthly"
    assert application.inputs["conditions"][0] == "户籍为农业"
    with pytest.raises(PermissionDenied, match="申请人不能审批自己"):
        services.application_approve(actor=personas["worker_a"], application=application)
    colleague = _user("worker_a2", "worker", [tree["a"]])
    with pytest.raises(PermissionDenied, match="上级街道或区"):
        services.application_approve(actor=colleague, application=application)
    other_street = _user("street_s2", "street", [tree["s2"]])
    with pytest.raises(PermissionDenied, match="上级街道或区"):
        services.application_approve(actor=other_street, application=application)
    for who in ("grid_a1", "auditor", "sysadmin"):
        with pytest.raises(PermissionDenied):
            services.application_approve(actor=personas[who], application=application)
    entitlement = services.application_approve(actor=personas["street"], application=application)
    assert entitlement.amount == Decimal("600.00") and entitlement.period == "2026-11"
    assert entitlement.policy_version == 1 and entitlement.inputs == application.inputs
    application.refresh_from_db()
    assert application.state == AppState.APPROVED and application.decided_by == personas["street"]


@pytest.mark.django_db
def test_a_street_application_needs_the_district(tree, personas):
    firm = employer(tree["a"])
    for _ in range(3):
        hire(firm, person(tree["a"], status="unemployed"), date(2026, 4, 1))
    application = _apply(personas["street"], firm, "HD18-HIRE")
    assert application.amount == Decimal(10000)
    peer = _user("street_s1b", "street", [tree["s1"]])
    with pytest.raises(PermissionDenied, match="高一级"):
        services.application_approve(actor=peer, application=application)
    services.application_approve(actor=personas["district"], application=application)


@pytest.mark.django_db
def test_refusals_of_preparing(tree, personas, flexible):
    with pytest.raises(PermissionDenied):
        _apply(personas["worker_b"], flexible)  # a sibling community's person
    with pytest.raises(PermissionDenied):
        _apply(personas["grid_a1"], flexible)
    city = person(tree["a"], hukou="urban")
    with pytest.raises(ValidationError, match="户籍为城镇"):
        _apply(personas["worker_a"], city)
    with pytest.raises(ValidationError, match="晚于今天"):
        services.application_prepare(
            actor=personas["worker_a"],
            policy="HD18-FLEX-SI",
            beneficiary=flexible,
            on=date(2026, 12, 2),
            today=TODAY,
        )
    _apply(personas["worker_a"], flexible)
    with pytest.raises(ValidationError, match="待审批"):
        _apply(personas["worker_a"], flexible)


@pytest.mark.django_db
def test_return_needs_a_reason_and_a_new_application_follows(personas, flexible):
    application = _apply(personas["worker_a"], flexible)
    with pytest.raises(ValidationError, match="理由"):
        services.application_reject(actor=personas["street"], application=application, note=" ")
    services.application_reject(actor=personas["street"], application=application, note="材料不全")
    again = _apply(personas["worker_a"], flexible)
    services.application_approve(actor=personas["district"], application=again)
    with pytest.raises(ValidationError, match="已享受"):
        _apply(personas["worker_a"], flexible)  # the month is granted


@pytest.mark.django_db
def test_approval_refused_when_the_data_changed(personas, flexible):
    from tests.policies.conftest import status

    application = _apply(personas["worker_a"], flexible)
    status(flexible, "unit", date(2026, 10, 1))  # a correction back-dated before the date
    with pytest.raises(ValidationError, match="数据已变化"):
        services.application_approve(actor=personas["street"], application=application)


@pytest.mark.django_db
def test_attested_policy_needs_evidence(tree, personas):
    firm = employer(tree["a"])
    application = _apply(personas["street"], firm, "HD18-INCUBATOR")
    assert application.amount == Decimal(100000)
    with pytest.raises(ValidationError, match="证明材料"):
        services.application_approve(actor=personas["district"], application=application)
    with pytest.raises(ValidationError, match="类型"):
        services.evidence_add(
            actor=personas["street"], application=application, name="x.exe", data=b"x"
        )
    services.evidence_add(
        actor=personas["street"], application=application, name="批文.pdf", data=b"%PDF-1"
    )
    services.application_approve(actor=personas["district"], application=application)


@pytest.mark.django_db
def test_payment_once_reversal_and_payment_again(personas, flexible):
    from jiuye.casework.models import ServiceRecord

    entitlement = services.application_approve(
        actor=personas["street"], application=_apply(personas["worker_a"], flexible)
    )
    with pytest.raises(PermissionDenied):
        services.payment_record(
            actor=personas["worker_a"], entitlement=entitlement, on=ON, today=TODAY
        )
    paid = services.payment_record(
        actor=personas["street"], entitlement=entitlement, on=ON, reference="V-1", today=TODAY
    )
    assert paid.amount == Decimal("600.00")
    record = ServiceRecord.objects.get(pk=paid.service_id)
    assert (
        record.kind == "policy" and record.amount == Decimal("600.00") and record.person == flexible
    )
    with pytest.raises(ValidationError, match="重复支付"):
        services.payment_record(
            actor=personas["district"], entitlement=entitlement, on=ON, today=TODAY
        )
    policy = policy_get("HD18-FLEX-SI")
    assert eligible(user=SYSTEM, policy=policy, on=ON, unpaid=True).count() == 0
    with pytest.raises(ValidationError, match="理由"):
        services.payment_reverse(
            actor=personas["district"], payment=paid, on=ON, note="", today=TODAY
        )
    reversal = services.payment_reverse(
        actor=personas["district"], payment=paid, on=TODAY, note="错付", today=TODAY
    )
    assert reversal.amount == Decimal("-600.00") and reversal.reverses == paid
    with pytest.raises(ValidationError, match="已冲正"):
        services.payment_reverse(
            actor=personas["district"], payment=paid, on=TODAY, note="再冲", today=TODAY
        )
    with pytest.raises(ValidationError, match="不能再冲正"):
        services.payment_reverse(
            actor=personas["district"], payment=reversal, on=TODAY, note="x", today=TODAY
        )
    entitlement.refresh_from_db()
    assert entitlement.cancelled_at is not None
    with pytest.raises(ValidationError, match="撤销"):
        services.payment_record(
            actor=personas["street"], entitlement=entitlement, on=ON, today=TODAY
        )
    # The rows stay: the money nets to zero, and the beneficiary is owed again.
    assert sum(p.amount for p in Payment.objects.all()) == 0
    assert eligible(user=SYSTEM, policy=policy, on=ON, unpaid=True).count() == 1
    again = services.application_approve(
        actor=personas["street"], application=_apply(personas["worker_a"], flexible)
    )
    services.payment_record(actor=personas["street"], entitlement=again, on=TODAY, today=TODAY)
    assert Entitlement.objects.filter(person=flexible).count() == 2


@pytest.mark.django_db
def test_the_database_refuses_a_second_entitlement_and_payment(personas, flexible):
    entitlement = services.application_approve(
        actor=personas["street"], application=_apply(personas["worker_a"], flexible)
    )
    services.payment_record(actor=personas["street"], entitlement=entitlement, on=ON, today=TODAY)
    twin = Entitlement.objects.get(pk=entitlement.pk)
    twin.pk = None
    from jiuye.policies.models import Application

    other = Application.objects.get(pk=entitlement.application_id)
    other.pk = None
    other.save()
    twin.application = other
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            entitlement=entitlement, kind="payment", amount=Decimal(1), on=ON, by=personas["street"]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            entitlement=entitlement,
            kind="reversal",
            amount=Decimal(5),
            on=ON,
            by=personas["street"],
        )


@pytest.mark.django_db
def test_budget_limits_what_is_committed(tree, personas):
    from jiuye.policies.selectors import budgets_report

    with pytest.raises(PermissionDenied):
        services.budget_set(
            actor=personas["street"],
            policy="HD18-FLEX-SI",
            unit=tree["s1"],
            year=2026,
            amount="1000",
        )
    services.budget_set(
        actor=personas["district"], policy="HD18-FLEX-SI", unit=tree["s1"], year=2026, amount="1000"
    )
    first, second = (person(tree["a"], born=date(1970, 1, 1)) for _ in range(2))
    services.application_approve(
        actor=personas["street"], application=_apply(personas["worker_a"], first)
    )
    late = _apply(personas["worker_a"], second)
    with pytest.raises(ValidationError, match="超出"):
        services.application_approve(actor=personas["street"], application=late)
    (line,) = budgets_report(user=personas["district"], year=2026)
    assert (line.budget.amount, line.committed, line.paid, line.left) == (
        Decimal(1000),
        Decimal(600),
        Decimal(0),
        Decimal(400),
    )
    assert budgets_report(user=personas["worker_b"], year=2026) == []


# ---- two connections at once (PostgreSQL) -------------------------------------------------------


def _race(work: Any) -> list[str]:
    barrier = threading.Barrier(2)
    results: list[str] = []

    def run() -> None:
        try:
            barrier.wait(10)
            work()
            results.append("ok")
        except ValidationError as error:
            results.append(error.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="two connections: PostgreSQL")
def test_two_payments_at_once_make_one(personas, flexible):
    assert connection.vendor == "postgresql"
    entitlement = services.application_approve(
        actor=personas["street"], application=_apply(personas["worker_a"], flexible)
    )
    results = _race(
        lambda: services.payment_record(
            actor=personas["street"], entitlement=entitlement, on=ON, today=TODAY
        )
    )
    assert sorted(results) == ["ok", "该享受资格已支付，不能重复支付"], results
    assert Payment.objects.filter(entitlement=entitlement).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="two connections: PostgreSQL")
def test_raw_inserts_at_once_are_refused_by_the_database(personas, flexible):
    """Past every Python check: two connections insert a payment of one entitlement at the same
    moment; the unique index lets one through."""
    entitlement = services.application_approve(
        actor=personas["street"], application=_apply(personas["worker_a"], flexible)
    )
    errors: list[str] = []

    def insert() -> None:
        try:
            with transaction.atomic():
                Payment.objects.create(
                    entitlement_id=entitlement.pk,
                    kind="payment",
                    amount=Decimal(600),
                    on=ON,
                    by_id=personas["street"].pk,
                )
        except IntegrityError:
            errors.append("duplicate")
            raise ValidationError("duplicate") from None

    results = _race(insert)
    assert sorted(results) == ["duplicate", "ok"] and errors == ["duplicate"]
    assert Payment.objects.filter(entitlement=entitlement).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="two connections: PostgreSQL")
def test_two_approvals_of_one_period_at_once_make_one_entitlement(tree, personas, flexible):
    from jiuye.policies.models import Application

    first = _apply(personas["worker_a"], flexible)
    second = Application.objects.get(pk=first.pk)
    second.pk = None
    second.save()  # two makers' applications of the same month (a race of preparing)
    approvals = iter([first, second])
    lock = threading.Lock()

    def approve() -> None:
        with lock:
            application = next(approvals)
        services.application_approve(actor=personas["district"], application=application)

    results = _race(approve)
    assert sorted(results) == ["ok", "该对象本期间已享受该政策，不能重复批准"], results
    assert Entitlement.objects.filter(person=flexible).count() == 1


@pytest.mark.django_db
def test_prepare_the_whole_worklist_then_approve_many(tree, personas):
    mine = [person(tree["a"], born=date(1970, 1, 1)) for _ in range(3)]
    person(tree["c"], born=date(1970, 1, 1))  # another street's: not the worker's to prepare
    _apply(personas["worker_a"], mine[0])  # already pending: skipped
    batch = services.applications_prepare_all(
        actor=personas["worker_a"], policy="HD18-FLEX-SI", on=ON, today=TODAY
    )
    assert (batch.prepared, batch.left) == (2, 0)
    again = services.applications_prepare_all(
        actor=personas["worker_a"], policy="HD18-FLEX-SI", on=ON, today=TODAY
    )
    assert again.prepared == 0
    from jiuye.policies.models import Application

    pending = list(Application.objects.filter(state="submitted"))
    from tests.policies.conftest import status

    status(mine[1], "unit", date(2026, 10, 1))  # no longer eligible at the date
    done = services.applications_approve_many(actor=personas["street"], applications=pending)
    assert len(done.approved) == 2 and len(done.refused) == 1
    assert "数据已变化" in done.refused[0][1]
    with pytest.raises(ValidationError, match="逐个申报"):
        services.applications_prepare_all(
            actor=personas["worker_a"], policy="HD18-LOAN", on=ON, today=TODAY
        )
