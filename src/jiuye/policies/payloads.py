"""The policies as the command and the API print them: the catalog, an eligibility row, an
application, an entitlement, a payment, a budget line. ID numbers are always masked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from jiuye.lib.masking import mask_id_number
from jiuye.policies.catalog import Parameter, Policy
from jiuye.policies.eligibility import Row, Verdict
from jiuye.policies.models import Application, Entitlement, Payment
from jiuye.policies.selectors import BudgetLine
from jiuye.policies.words import BENEFICIARY_WORDS, STATE_WORDS, amount_words

# The amount and the states in words: ``policies.words`` (the pages say them the same way).
__all__ = ["BENEFICIARY_WORDS", "STATE_WORDS", "amount_words"]


CENT = Decimal("0.01")


def money(value: Decimal | None) -> str | None:
    """An amount as text, in yuan with its two decimals."""
    return None if value is None else str(Decimal(value).quantize(CENT))


def policy_json(policy: Policy, on: date) -> dict[str, Any]:
    return {
        "id": policy.id,
        "version": policy.version,
        "name": policy.name,
        "document": policy.document,
        "clause": policy.clause,
        "quote": policy.quote,
        "beneficiary": policy.beneficiary,
        "period": policy.period,
        "amount": amount_words(policy, on),
        "amount_kind": policy.amount.kind,
        "budget_line": policy.budget_line,
        "computed": policy.computed,
        "attested": policy.attested,
    }


def parameter_json(parameter: Parameter) -> dict[str, Any]:
    return {
        "id": parameter.id,
        "name": parameter.name,
        "unit": parameter.unit,
        "example": parameter.example,
        "note": parameter.note,
        "values": [{"from": d, "value": str(v)} for d, v in parameter.values],
    }


def row_json(row: Row) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "id": row.pk,
        "name": row.name,
        "masked": row.masked,
        "unit": row.place.code if row.place is not None else None,
        "amount": money(row.amount),
        "heads": row.heads,
        "period": row.period,
        "reasons": row.reasons,
        "state": row.state,
    }


def verdict_json(policy: Policy, verdict: Verdict, on: date) -> dict[str, Any]:
    return {
        "policy": policy.id,
        "version": policy.version,
        "date": on,
        "period": verdict.period,
        "eligible": verdict.eligible,
        "reasons": [{"text": r.text, "ok": r.ok} for r in verdict.reasons],
        "amount": money(verdict.amount),
        "waiver": verdict.waiver,
        "heads": len(verdict.heads),
        "inputs": verdict.inputs,
    }


def beneficiary_json(row: Application | Entitlement) -> dict[str, Any]:
    """The beneficiary of an application or entitlement: its kind, id, name and masked number
    (a person's ID number masked, an employer's USCC, a unit's code)."""
    if row.person is not None:
        pk, name, masked = row.person.pk, row.person.name, mask_id_number(row.person.id_number)
    elif row.employer is not None:
        pk, name, masked = row.employer.pk, row.employer.name, row.employer.uscc
    else:
        assert row.unit is not None
        pk, name, masked = row.unit.pk, row.unit.name, row.unit.code
    return {"kind": row.kind, "id": pk, "name": name, "masked": masked}


def _who(user: Any) -> str:
    return "" if user is None else user.get_username()


def application_json(application: Application) -> dict[str, Any]:
    entitlement = getattr(application, "entitlement", None)
    return {
        "id": application.pk,
        "policy": application.policy,
        "policy_version": application.policy_version,
        "beneficiary": beneficiary_json(application),
        "unit": application.place.code,
        "period": application.period,
        "on": application.on,
        "amount": money(application.amount),
        "declared": money(application.declared),
        "reason": application.reason,
        "state": application.state,
        "note": application.note,
        "prepared_by": _who(application.prepared_by),
        "prepared_at": application.prepared_at,
        "decided_by": _who(application.decided_by),
        "decided_at": application.decided_at,
        "decision_note": application.decision_note,
        "evidence": [
            {"id": e.pk, "name": e.name, "content_type": e.content_type, "size": e.size}
            for e in application.evidence.all()
        ],
        "entitlement": entitlement.pk if entitlement is not None else None,
    }


def entitlement_json(entitlement: Entitlement) -> dict[str, Any]:
    return {
        "id": entitlement.pk,
        "application": entitlement.application_id,
        "policy": entitlement.policy,
        "policy_version": entitlement.policy_version,
        "beneficiary": beneficiary_json(entitlement),
        "unit": entitlement.place.code,
        "period": entitlement.period,
        "on": entitlement.on,
        "amount": money(entitlement.amount),
        "year": entitlement.year,
        "budget_line": entitlement.budget_line,
        "inputs": entitlement.inputs,
        "approved_by": _who(entitlement.approved_by),
        "approved_at": entitlement.approved_at,
        "cancelled_at": entitlement.cancelled_at,
    }


def payment_json(payment: Payment) -> dict[str, Any]:
    entitlement = payment.entitlement
    return {
        "id": payment.pk,
        "entitlement": entitlement.pk,
        "policy": entitlement.policy,
        "policy_version": entitlement.policy_version,
        "period": entitlement.period,
        "beneficiary": beneficiary_json(entitlement),
        "unit": entitlement.place.code,
        "kind": payment.kind,
        "amount": money(payment.amount),
        "on": payment.on,
        "reference": payment.reference,
        "reverses": payment.reverses_id,
        "note": payment.note,
        "by": _who(payment.by),
    }


def budget_json(line: BudgetLine) -> dict[str, Any]:
    budget = line.budget
    return {
        "id": budget.pk,
        "policy": budget.policy,
        "unit": budget.unit.code,
        "unit_name": budget.unit.name,
        "year": budget.year,
        "amount": money(budget.amount),
        "committed": money(line.committed),
        "paid": money(line.paid),
        "left": money(line.left),
    }
