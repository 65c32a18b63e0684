"""Every write of policy money (DOMAIN §9): applications, evidence, approvals that grant an
entitlement, payments, reversals, budgets. Each is one atomic, audited function.

The database keeps the money honest (``policies.models``): two approvals of the same
beneficiary, policy and period, or two payments of one entitlement, racing on two connections,
end with one row; the loser gets an ``IntegrityError`` that is turned into the words a user
reads here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts.models import User
from jiuye.audit.services import AuditDraft, audit_record, audit_records
from jiuye.casework.models import ServiceKind, ServiceRecord
from jiuye.certification.services import evidence_file
from jiuye.jobs.models import Employer
from jiuye.policies import conditions, permissions
from jiuye.policies.catalog import Policy, policy_get
from jiuye.policies.eligibility import Verdict, eligible, explain, verdict_of
from jiuye.policies.models import (
    Application,
    ApplicationEvidence,
    AppState,
    Budget,
    Entitlement,
    Payment,
    PaymentKind,
)
from jiuye.registry.models import Person
from jiuye.units.models import Unit

FIRST_DAY = date(2000, 1, 1)
NOTE_MAX = 500
MAX_AMOUNT = Decimal("9999999999.99")


def _kind_and_place(beneficiary: Any) -> tuple[str, Unit]:
    if isinstance(beneficiary, Person):
        return "person", beneficiary.community
    if isinstance(beneficiary, Employer):
        return "employer", beneficiary.unit
    if isinstance(beneficiary, Unit):
        return "unit", beneficiary
    raise ValidationError(_("未知的享受对象"), code="beneficiary")


def _check_day(on: date, today: date, field: str = "on") -> None:
    if on > today:
        raise ValidationError({field: _("日期不能晚于今天（%(d)s）") % {"d": today.isoformat()}})
    if on < FIRST_DAY:
        raise ValidationError({field: _("日期不能早于 %(d)s") % {"d": FIRST_DAY.isoformat()}})


def _note(note: str, *, required: bool = False, field: str = "note") -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({field: _("说明不能超过 %(n)s 个字") % {"n": NOTE_MAX}})
    if required and not note:
        raise ValidationError({field: _("请填写理由")})
    return note


def _declared(value: Decimal | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        found = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"declared": _("金额不是数字")}) from None
    if not found.is_finite() or abs(found) > MAX_AMOUNT:
        raise ValidationError({"declared": _("金额超出范围")})
    return found.quantize(Decimal("0.01"))


def _beneficiary_keys(kind: str, beneficiary: Any) -> dict[str, Any]:
    return {"kind": kind, kind: beneficiary}


def _application(
    *,
    policy: Policy,
    beneficiary: Any,
    place: Unit,
    on: date,
    verdict: Verdict,
    declared: Decimal | None,
    note: str,
    actor: User,
) -> Application:
    """An application (unsaved) with the amount and what produced it, frozen."""
    kind, _place = _kind_and_place(beneficiary)
    assert verdict.amount is not None  # the callers keep only beneficiaries owed an amount
    waiver = f"；{verdict.waiver}" if verdict.waiver else ""
    return Application(
        **_beneficiary_keys(kind, beneficiary),
        place=place,
        policy=policy.id,
        policy_version=policy.version,
        period=verdict.period,
        on=on,
        amount=verdict.amount,
        declared=declared,
        inputs={**verdict.inputs, "policy_digest": policy.digest, "on": on.isoformat()},
        reason="；".join(r.text for r in verdict.reasons) + waiver,
        note=note,
        prepared_by=actor,
    )


@transaction.atomic
def application_prepare(
    *,
    actor: User,
    policy: Policy | str,
    beneficiary: Person | Employer | Unit,
    on: date,
    declared: Decimal | str | None = None,
    note: str = "",
    period: str | None = None,
    today: date | None = None,
) -> Application:
    """Prepare (and submit) an application: the beneficiary must be eligible on ``on``; the
    amount and what produced it are computed and frozen now. ``period`` picks one of a unit's
    certification rewards (its year, reward and certified unit)."""
    policy = policy_get(policy) if isinstance(policy, str) else policy
    kind, place = _kind_and_place(beneficiary)
    permissions.check(
        permissions.may_prepare(actor, place), _("您不能为该对象准备政策申请（不在管辖范围内）")
    )
    _check_day(on, today or timezone.localdate())
    note = _note(note)
    amount_in = _declared(declared)
    if kind != policy.beneficiary:
        raise ValidationError({"policy": _("该政策的享受对象不是此类对象")})
    verdict = explain(
        policy=policy, beneficiary=beneficiary, on=on, declared=amount_in, period=period
    )
    if not verdict.eligible or verdict.amount is None:
        failed = [r.text for r in verdict.reasons if not r.ok] or [_("金额须在申报时填写")]
        raise ValidationError({"policy": _("不符合条件：%(why)s") % {"why": "；".join(failed)}})
    keys = _beneficiary_keys(kind, beneficiary)
    if Application.objects.filter(
        policy=policy.id, period=verdict.period, state=AppState.SUBMITTED, **keys
    ).exists():
        raise ValidationError({"policy": _("该对象本期间已有待审批的申请")})
    if Entitlement.objects.filter(
        policy=policy.id, period=verdict.period, cancelled_at__isnull=True, **keys
    ).exists():
        raise ValidationError({"policy": _("该对象本期间已享受该政策，不能重复申请")})
    application = _application(
        policy=policy,
        beneficiary=beneficiary,
        place=place,
        on=on,
        verdict=verdict,
        declared=amount_in,
        note=note,
        actor=actor,
    )
    application.save()
    audit_record(
        actor=actor,
        action="policies.apply",
        obj=application,
        unit=place,
        changes={
            "application": [
                None,
                f"{policy.id} v{policy.version} {verdict.period} {verdict.amount}",
            ]
        },
    )
    return application


@transaction.atomic
def evidence_add(
    *, actor: User, application: Application, name: str, data: bytes
) -> ApplicationEvidence:
    """Attach a file (证明材料) to a submitted application: its maker, or whoever may prepare
    applications for the beneficiary."""
    permissions.check(
        permissions.may_prepare(actor, application.place), _("您不能为该申请上传证明材料")
    )
    if application.state != AppState.SUBMITTED:
        raise ValidationError({"file": _("申请已审批，不能再上传材料")})
    try:
        name, content_type = evidence_file(name, data)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    evidence = ApplicationEvidence.objects.create(
        application=application,
        name=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        by=actor,
    )
    audit_record(
        actor=actor,
        action="policies.evidence",
        obj=application,
        unit=application.place,
        changes={"file": [None, f"{name} {evidence.sha256}"]},
    )
    return evidence


def _lock(application: Application) -> Application:
    return Application.objects.select_for_update().select_related("place").get(pk=application.pk)


def _budget_check(policy: Policy, place: Unit, year: int, amount: Decimal) -> None:
    """Refuse an approval that would commit more than a budget of the policy and year set for
    the beneficiary's unit or any unit above it. The budget rows are locked, so two approvals
    cannot both squeeze under the same budget."""
    budgets = Budget.objects.select_for_update().filter(
        policy=policy.id, year=year, unit__path__in=place.ancestor_paths()
    )
    for budget in budgets.select_related("unit"):
        committed = Entitlement.objects.filter(
            policy=policy.id,
            year=year,
            cancelled_at__isnull=True,
            place__path__startswith=budget.unit.path,
        ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        if committed + amount > budget.amount:
            raise ValidationError(
                {
                    "budget": _(
                        "超出%(unit)s %(year)s 年度预算："
                        "预算 %(b)s 元，已承诺 %(c)s 元，本笔 %(a)s 元"
                    )
                    % {
                        "unit": budget.unit.name,
                        "year": year,
                        "b": budget.amount,
                        "c": committed,
                        "a": amount,
                    }
                }
            )


def _decide(application: Application, actor: User, state: AppState, note: str) -> None:
    """The checker's decision on the (locked) application: who, when, what and why."""
    application.state = state
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.decision_note = note
    application.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])


@transaction.atomic
def application_approve(*, actor: User, application: Application, note: str = "") -> Entitlement:
    """Approve: by a checker of a higher level than the maker (never the maker). The
    eligibility is computed again for the same date: if the data changed the amount or the
    answer since the application, it is refused (return it and apply again). The entitlement
    keeps the policy version and the frozen inputs."""
    application = _lock(application)
    refusal = permissions.approve_refusal(actor, application)
    if refusal:
        raise PermissionDenied(refusal)
    if application.state != AppState.SUBMITTED:
        raise ValidationError({"state": _("该申请已审批")})
    note = _note(note)
    policy = policy_get(application.policy)
    if policy.version != application.policy_version:
        raise ValidationError(
            {"policy": _("政策已修订（第%(v)s版），请退回后按新版重新申请") % {"v": policy.version}}
        )
    if policy.attested and not application.evidence.exists():
        raise ValidationError({"evidence": _("该政策须凭证明材料认定，请先上传证明材料")})
    verdict = explain(
        policy=policy,
        beneficiary=application.beneficiary,
        on=application.on,
        declared=application.declared,
        period=application.period,
    )
    if not verdict.eligible or verdict.amount != application.amount:
        raise ValidationError(
            {"policy": _("申请后数据已变化，资格或金额与申请时不同，请退回后重新申请")}
        )
    year = application.on.year
    _budget_check(policy, application.place, year, application.amount)
    keys = {
        "kind": application.kind,
        "person": application.person,
        "employer": application.employer,
        "unit": application.unit,
    }
    try:
        with transaction.atomic():
            entitlement = Entitlement.objects.create(
                **keys,
                place=application.place,
                policy=application.policy,
                policy_version=application.policy_version,
                period=application.period,
                on=application.on,
                amount=application.amount,
                inputs=application.inputs,
                reason=application.reason,
                application=application,
                year=year,
                budget_line=policy.budget_line,
                approved_by=actor,
            )
    except IntegrityError:
        raise ValidationError({"policy": _("该对象本期间已享受该政策，不能重复批准")}) from None
    _decide(application, actor, AppState.APPROVED, note)
    audit_record(
        actor=actor,
        action="policies.approve",
        obj=entitlement,
        unit=application.place,
        changes={
            "entitlement": [None, f"{application.policy} {application.period} {application.amount}"]
        },
    )
    return entitlement


@transaction.atomic
def application_reject(*, actor: User, application: Application, note: str) -> Application:
    """Return an application with the reason (the same checker rule as approving)."""
    application = _lock(application)
    refusal = permissions.approve_refusal(actor, application)
    if refusal:
        raise PermissionDenied(refusal)
    if application.state != AppState.SUBMITTED:
        raise ValidationError({"state": _("该申请已审批")})
    _decide(application, actor, AppState.REJECTED, _note(note, required=True))
    audit_record(
        actor=actor,
        action="policies.reject",
        obj=application,
        unit=application.place,
        changes={"state": [AppState.SUBMITTED.value, AppState.REJECTED.value]},
    )
    return application


@transaction.atomic
def payment_record(
    *,
    actor: User,
    entitlement: Entitlement,
    on: date,
    reference: str = "",
    today: date | None = None,
) -> Payment:
    """Pay an entitlement its amount, once (the database refuses a second payment). A payment
    to a person is also written on their history as a 政策落实 service."""
    entitlement = (
        Entitlement.objects.select_for_update().select_related("place").get(pk=entitlement.pk)
    )
    permissions.check(permissions.may_pay(actor, entitlement.place), _("您不能登记该笔支付"))
    _check_day(on, today or timezone.localdate())
    reference = (reference or "").strip()[:60]
    if entitlement.cancelled_at is not None:
        raise ValidationError({"entitlement": _("该享受资格已撤销，不能支付")})
    if entitlement.amount <= 0:
        raise ValidationError({"entitlement": _("金额为零，无需支付")})
    if on < entitlement.on:
        raise ValidationError({"on": _("支付日期不能早于认定日期")})
    policy = policy_get(entitlement.policy)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                entitlement=entitlement,
                kind=PaymentKind.PAYMENT,
                amount=entitlement.amount,
                on=on,
                reference=reference,
                by=actor,
            )
    except IntegrityError:
        raise ValidationError({"entitlement": _("该享受资格已支付，不能重复支付")}) from None
    if entitlement.person_id is not None:
        payment.service = ServiceRecord.objects.create(
            person_id=entitlement.person_id,
            kind=ServiceKind.POLICY,
            on=on,
            by=actor,
            by_name=actor.get_full_name() or actor.get_username(),
            policy_name=policy.name[:100],
            amount=entitlement.amount,
            note=f"{policy.id} {entitlement.period}",
        )
        payment.save(update_fields=["service"])
    audit_record(
        actor=actor,
        action="policies.pay",
        obj=payment,
        unit=entitlement.place,
        changes={"payment": [None, f"{entitlement.policy} {entitlement.period} {payment.amount}"]},
    )
    return payment


@transaction.atomic
def payment_reverse(
    *, actor: User, payment: Payment, on: date, note: str, today: date | None = None
) -> Payment:
    """Correct a payment made in error: a reversal row of the opposite amount (never an edit),
    and the entitlement no longer stands (a corrected one is applied for again)."""
    payment = (
        Payment.objects.select_for_update().select_related("entitlement__place").get(pk=payment.pk)
    )
    entitlement = payment.entitlement
    permissions.check(permissions.may_pay(actor, entitlement.place), _("您不能冲正该笔支付"))
    _check_day(on, today or timezone.localdate())
    note = _note(note, required=True)
    if payment.kind != PaymentKind.PAYMENT:
        raise ValidationError({"payment": _("冲正记录不能再冲正")})
    if on < payment.on:
        raise ValidationError({"on": _("冲正日期不能早于支付日期")})
    try:
        with transaction.atomic():
            reversal = Payment.objects.create(
                entitlement=entitlement,
                kind=PaymentKind.REVERSAL,
                amount=-payment.amount,
                on=on,
                reference=payment.reference,
                reverses=payment,
                note=note,
                by=actor,
            )
    except IntegrityError:
        raise ValidationError({"payment": _("该笔支付已冲正")}) from None
    Entitlement.objects.filter(pk=entitlement.pk).update(cancelled_at=timezone.now())
    audit_record(
        actor=actor,
        action="policies.reverse",
        obj=reversal,
        unit=entitlement.place,
        changes={"payment": [str(payment.amount), str(reversal.amount)], "note": [None, note]},
    )
    return reversal


@transaction.atomic
def budget_set(
    *, actor: User, policy: Policy | str, unit: Unit, year: int, amount: Decimal | str
) -> Budget:
    """Set the budget of a policy in a unit and year (the district)."""
    policy = policy_get(policy) if isinstance(policy, str) else policy
    permissions.check(permissions.may_budget(actor, unit), _("只有区级管理员可以设置预算"))
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": _("年度须在 2000 至 2100 之间")})
    value = _declared(amount)
    if value is None or value < 0:
        raise ValidationError({"amount": _("预算金额须为非负数")})
    budget = Budget.objects.filter(policy=policy.id, unit=unit, year=year).first()
    old = str(budget.amount) if budget else None
    if budget is None:
        budget = Budget.objects.create(
            policy=policy.id, unit=unit, year=year, amount=value, updated_by=actor
        )
    else:
        budget.amount = value
        budget.updated_by = actor
        budget.save(update_fields=["amount", "updated_by", "updated_at"])
    audit_record(
        actor=actor,
        action="policies.budget",
        obj=budget,
        unit=unit,
        changes={f"{policy.id} {year}": [old, str(value)]},
    )
    return budget


BATCH_MAX = 5000  # applications prepared at once; the rest on the next run


@dataclass
class Batch:
    prepared: int
    left: (
        int  # eligible and unpaid, not prepared yet (over BATCH_MAX, or outside the maker's reach)
    )


@transaction.atomic
def applications_prepare_all(
    *,
    actor: User,
    policy: Policy | str,
    on: date,
    unit: Unit | None = None,
    today: date | None = None,
) -> Batch:
    """Prepare an application for every beneficiary on the worklist (eligible on ``on``, not
    paid for the period, no application pending or granted), at most :data:`BATCH_MAX` at a
    time: a monthly subsidy of a community's 150 persons is one click, not 150. Policies whose
    amount is declared, or that need evidence, are prepared one by one."""
    policy = policy_get(policy) if isinstance(policy, str) else policy
    permissions.check(permissions.may_prepare(actor, unit), _("您不能准备政策申请"))
    _check_day(on, today or timezone.localdate())
    if policy.attested or policy.amount.kind in ("range", "declared_share"):
        raise ValidationError({"policy": _("该政策须逐个申报（金额按申报或须凭证明材料）")})
    found = eligible(user=actor, policy=policy, on=on, unit=unit, unpaid=True)
    total = found.count()
    # A window of the worklist: its rows already applied for are skipped, the rest prepared.
    window = found.page(0, min(total, 2 * BATCH_MAX))
    rows = [r for r in window if not r.state]
    reachable = [r for r in rows if permissions.may_prepare(actor, r.place)]
    todo = reachable[:BATCH_MAX]
    made = _batch_applications(actor, policy, on, todo)
    Application.objects.bulk_create(made)
    audit_records(
        [
            AuditDraft(
                actor,
                "policies.apply",
                a,
                a.place,
                {"application": [None, f"{policy.id} v{policy.version} {a.period} {a.amount}"]},
            )
            for a in made
        ]
    )
    # Beyond the window the standing of each row is not read: counted as left (at most).
    return Batch(len(made), len(rows) - len(made) + (total - len(window)))


def _batch_applications(
    actor: User, policy: Policy, on: date, rows: list[Any]
) -> list[Application]:
    made = []
    if policy.beneficiary == "person":
        persons = Person.objects.select_related("community").in_bulk([r.pk for r in rows])
        facts = conditions.facts_for([r.pk for r in rows])
        for row in rows:
            verdict = verdict_of(policy, facts[row.pk], on)
            if verdict.eligible and verdict.amount is not None:
                whom = persons[row.pk]
                made.append(
                    _application(
                        policy=policy,
                        beneficiary=whom,
                        place=whom.community,
                        on=on,
                        verdict=verdict,
                        declared=None,
                        note="",
                        actor=actor,
                    )
                )
        return made
    model = Employer if policy.beneficiary == "employer" else Unit
    owners = model.objects.in_bulk([r.pk for r in rows])
    for row in rows:
        owner = owners[row.pk]
        verdict = explain(policy=policy, beneficiary=owner, on=on, period=row.period)
        if verdict.eligible and verdict.amount is not None:
            _kind, place = _kind_and_place(owner)
            made.append(
                _application(
                    policy=policy,
                    beneficiary=owner,
                    place=place,
                    on=on,
                    verdict=verdict,
                    declared=None,
                    note="",
                    actor=actor,
                )
            )
    return made


@dataclass
class Approvals:
    approved: list[Entitlement] = field(default_factory=list)
    refused: list[tuple[Application, str]] = field(default_factory=list)


def applications_approve_many(
    *, actor: User, applications: Sequence[Application], note: str = ""
) -> Approvals:
    """Approve several applications, each on its own (one refused does not hold back the
    others: each is re-checked, and the refused ones are listed with the reason)."""
    done = Approvals()
    for application in applications:
        try:
            done.approved.append(
                application_approve(actor=actor, application=application, note=note)
            )
        except (ValidationError, PermissionDenied) as error:
            words = error.messages if isinstance(error, ValidationError) else [str(error)]
            done.refused.append((application, "；".join(words)))
    return done
