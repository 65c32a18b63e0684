"""Policies and money (mounted under ``/api/policies/`` by ``jiuye.api.api``): the catalog,
who is eligible and why, applications (maker-checker), entitlements, payments and their
reversals, budgets. The same selectors and services as the pages and the command.

Reads are scoped (a foreign application, entitlement, payment, person or employer is 404); a
write the caller may not make is 403 (``policies.permissions``: the maker cannot approve their
own application); a refusal of a service (not eligible, already paid, a bad date) is 422 with
its reason; nothing changes either way. ID numbers are always masked.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from jiuye.certification.services import EVIDENCE_MAX_BYTES
from jiuye.jobs.selectors import employers_visible
from jiuye.lib.api_schemas import (
    DETAIL_ERRORS,
    LIST_ERRORS,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    WRITE_ERRORS,
    Code,
    caller,
    invalid,
    refused,
)
from jiuye.lib.dates import ApiDate
from jiuye.policies import catalog, eligibility, selectors, services
from jiuye.policies.catalog import Policy
from jiuye.policies.models import PaymentKind
from jiuye.policies.payloads import (
    application_json,
    budget_json,
    entitlement_json,
    parameter_json,
    payment_json,
    policy_json,
    row_json,
    verdict_json,
)
from jiuye.registry.selectors import persons_visible
from jiuye.units.models import Unit
from jiuye.units.scope import units_visible

router = Router(tags=["policies"])

PolicyId = Field(max_length=40)
Money = Field(None, ge=0, le=Decimal("9999999999.99"), max_digits=12, decimal_places=2)


# ---- schemas -------------------------------------------------------------------------------------


class PolicyOut(Schema):
    id: str
    version: int
    name: str
    document: str
    clause: str
    quote: str
    beneficiary: str
    period: str
    amount: str = Field(description="how the amount is set, in words")
    amount_kind: str
    budget_line: str
    computed: bool = Field(description="the registry can list who is eligible")
    attested: str = Field(description="what only evidence shows (the checker judges it)")


class ParameterOut(Schema):
    id: str
    name: str
    unit: str
    example: bool
    note: str
    values: list[dict[str, Any]]


class CatalogOut(Schema):
    policies: list[PolicyOut]
    parameters: list[ParameterOut]


class EligibleRowOut(Schema):
    kind: str
    id: int
    name: str
    masked: str = Field(description="a person's masked ID number, an employer's USCC, a unit code")
    unit: str | None
    amount: str | None
    heads: int | None
    period: str
    reasons: list[str]
    state: str = Field(description="'' not applied, submitted, approved or paid")


class EligibleOut(Schema):
    policy: str
    version: int
    date: date
    period: str
    count: int
    total: str | None
    items: list[EligibleRowOut]


class EligibleQuery(Schema):
    date: ApiDate | None = None
    unit: Code | None = Field(None, description="a unit code: those under it")
    unpaid: bool = False
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ReasonOut(Schema):
    text: str
    ok: bool


class VerdictOut(Schema):
    policy: str
    version: int
    date: date
    period: str
    eligible: bool
    reasons: list[ReasonOut]
    amount: str | None
    waiver: str
    heads: int
    inputs: dict[str, Any]


class ExplainQuery(Schema):
    person: int | None = Field(None, ge=1, le=MAX_ID)
    employer: int | None = Field(None, ge=1, le=MAX_ID)
    unit: Code | None = None
    date: ApiDate | None = None
    period: str | None = Field(None, max_length=60)


class BeneficiaryOut(Schema):
    kind: str
    id: int
    name: str
    masked: str


class EvidenceOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class ApplicationOut(Schema):
    id: int
    policy: str
    policy_version: int
    beneficiary: BeneficiaryOut
    unit: str
    period: str
    on: date
    amount: str | None
    declared: str | None
    reason: str
    state: str
    note: str
    prepared_by: str
    prepared_at: Any
    decided_by: str
    decided_at: Any
    decision_note: str
    evidence: list[EvidenceOut]
    entitlement: int | None


class ApplicationListOut(Schema):
    items: list[ApplicationOut]
    count: int


class ApplicationQuery(Schema):
    policy: str | None = Field(None, max_length=40)
    state: Literal["submitted", "approved", "rejected"] | None = None
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ApplicationIn(Schema):
    policy: str = Field(max_length=40)
    kind: Literal["person", "employer", "unit"]
    id: int = Field(ge=1, le=MAX_ID, description="the person's, employer's or unit's id")
    date: ApiDate
    declared: Decimal | None = Money
    note: str = Field("", max_length=500)
    period: str | None = Field(None, max_length=60, description="a certification reward's")


class DecisionIn(Schema):
    note: str = Field("", max_length=500)


class EntitlementOut(Schema):
    id: int
    application: int
    policy: str
    policy_version: int
    beneficiary: BeneficiaryOut
    unit: str
    period: str
    on: date
    amount: str | None
    year: int
    budget_line: str
    inputs: dict[str, Any]
    approved_by: str
    approved_at: Any
    cancelled_at: Any


class EntitlementListOut(Schema):
    items: list[EntitlementOut]
    count: int


class EntitlementQuery(Schema):
    policy: str | None = Field(None, max_length=40)
    state: Literal["standing", "cancelled", "unpaid"] | None = None
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class PayIn(Schema):
    date: ApiDate
    reference: str = Field("", max_length=60)


class ReverseIn(Schema):
    date: ApiDate
    note: str = Field(max_length=500)


class PaymentOut(Schema):
    id: int
    entitlement: int
    policy: str
    policy_version: int
    period: str
    beneficiary: BeneficiaryOut
    unit: str
    kind: str
    amount: str | None
    on: date
    reference: str
    reverses: int | None
    note: str
    by: str


class PaymentListOut(Schema):
    items: list[PaymentOut]
    count: int


class PaymentQuery(Schema):
    policy: str | None = Field(None, max_length=40)
    kind: Literal["payment", "reversal"] | None = None
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class BudgetOut(Schema):
    id: int
    policy: str
    unit: str
    unit_name: str
    year: int
    amount: str | None
    committed: str | None
    paid: str | None
    left: str | None


class BudgetQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100)


class BudgetIn(Schema):
    policy: str = Field(max_length=40)
    unit: Code
    year: int = Field(ge=2000, le=2100)
    amount: Decimal = Field(ge=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)


# The evidence upload's body (read from the request after the scope check, not as a parameter).
UPLOAD = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        }
    },
}


# ---- helpers -------------------------------------------------------------------------------------


def _policy(policy_id: str) -> Policy:
    try:
        return catalog.policy_get(policy_id)
    except catalog.UnknownPolicy:
        raise Http404("policy") from None


def _policy_in(policy_id: str) -> Policy:
    try:
        return catalog.policy_get(policy_id)
    except catalog.UnknownPolicy:
        raise invalid("policy", "no such policy in the catalog") from None


def _unit(user: Any, code: str, field: str) -> Unit:
    unit = units_visible(user).filter(code=code).first()
    if unit is None:
        raise invalid(field, "no such unit in your jurisdiction")
    return unit


def _beneficiary(user: Any, kind: str, pk: int) -> Any:
    """A person, employer or unit of the caller's jurisdiction, else 404."""
    found: Any
    if kind == "person":
        found = persons_visible(user=user).select_related("community").filter(pk=pk).first()
    elif kind == "employer":
        found = employers_visible(user=user).select_related("unit").filter(pk=pk).first()
    else:
        found = units_visible(user).filter(pk=pk).first()
    if found is None:
        raise Http404(kind)
    return found


def _paged(found: Any, offset: int, limit: int, as_json: Any) -> dict[str, Any]:
    return {
        "items": [as_json(r) for r in found[offset : offset + limit]],
        "count": found.count(),
    }


# ---- the catalog and eligibility -----------------------------------------------------------------


@router.get(
    "/catalog",
    response={200: CatalogOut, **LIST_ERRORS},
    operation_id="policies_catalog",
    summary="The policies (each citing its document) and the dated parameters",
)
def policies_catalog(request: HttpRequest) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "policies": [policy_json(p, today) for p in catalog.policies().values()],
        "parameters": [parameter_json(p) for p in catalog.parameters().values()],
    }


@router.get(
    "/catalog/{policy_id}/eligible",
    response={200: EligibleOut, **DETAIL_ERRORS},
    operation_id="policies_eligible",
    summary="Who in the caller's jurisdiction is eligible for a policy at a date, and why",
)
def policies_eligible(
    request: HttpRequest, policy_id: str, q: Query[EligibleQuery]
) -> dict[str, Any]:
    user = caller(request)
    policy = _policy(policy_id)
    on = q.date or timezone.localdate()
    unit = _unit(user, q.unit, "unit") if q.unit else None
    found = eligibility.eligible(user=user, policy=policy, on=on, unit=unit, unpaid=q.unpaid)
    return {
        "policy": policy.id,
        "version": policy.version,
        "date": on,
        "period": found.period,
        "count": found.count(),
        "total": None if (total := found.total()) is None else str(total),
        "items": [row_json(r) for r in found.page(q.offset, q.limit)],
    }


@router.get(
    "/catalog/{policy_id}/explain",
    response={200: VerdictOut, **DETAIL_ERRORS},
    operation_id="policies_explain",
    summary="Whether one person, employer or unit is eligible at a date: each condition in words",
)
def policies_explain(
    request: HttpRequest, policy_id: str, q: Query[ExplainQuery]
) -> dict[str, Any]:
    user = caller(request)
    policy = _policy(policy_id)
    given = [k for k in ("person", "employer", "unit") if getattr(q, k) is not None]
    if len(given) != 1:
        raise invalid("person", "give exactly one of person, employer or unit")
    if q.unit is not None:
        found: Any = units_visible(user).filter(code=q.unit).first()
        if found is None:
            raise Http404("unit")
    else:
        found = _beneficiary(user, given[0], getattr(q, given[0]))
    on = q.date or timezone.localdate()
    verdict = eligibility.explain(policy=policy, beneficiary=found, on=on, period=q.period)
    return verdict_json(policy, verdict, on)


# ---- applications --------------------------------------------------------------------------------


@router.get(
    "/applications",
    response={200: ApplicationListOut, **LIST_ERRORS},
    operation_id="policies_applications",
    summary="Applications of the caller's jurisdiction, newest first",
)
def policies_applications(request: HttpRequest, q: Query[ApplicationQuery]) -> dict[str, Any]:
    found = selectors.applications_visible(user=caller(request)).prefetch_related("evidence")
    if q.policy:
        found = found.filter(policy__iexact=q.policy)
    if q.state:
        found = found.filter(state=q.state)
    return _paged(found.select_related("entitlement"), q.offset, q.limit, application_json)


@router.post(
    "/applications",
    response={201: ApplicationOut, **WRITE_ERRORS},
    operation_id="policies_application_create",
    summary="Prepare an application for a beneficiary (the maker); amount computed and frozen",
)
def policies_application_create(
    request: HttpRequest, body: ApplicationIn
) -> Status[dict[str, Any]]:
    user = caller(request)
    policy = _policy_in(body.policy)
    beneficiary = _beneficiary(user, body.kind, body.id)
    try:
        application = services.application_prepare(
            actor=user,
            policy=policy,
            beneficiary=beneficiary,
            on=body.date,
            declared=body.declared,
            note=body.note,
            period=body.period,
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, application_json(_application(request, application.pk)))


def _application(request: HttpRequest, pk: int) -> Any:
    return selectors.application_get(user=caller(request), pk=pk)


@router.get(
    "/applications/{pk}",
    response={200: ApplicationOut, **DETAIL_ERRORS},
    operation_id="policies_application",
    summary="An application, with its evidence",
)
def policies_application(request: HttpRequest, pk: int) -> dict[str, Any]:
    return application_json(_application(request, pk))


@router.post(
    "/applications/{pk}/evidence",
    response={201: EvidenceOut, **WRITE_ERRORS},
    operation_id="policies_evidence_add",
    summary="Attach a file (证明材料) to a submitted application (multipart, field 'file')",
    openapi_extra={"requestBody": UPLOAD},
)
def policies_evidence_add(request: HttpRequest, pk: int) -> Status[dict]:
    user = caller(request)
    # Read after the scope check: a foreign application is 404 whatever the body.
    application = _application(request, pk)
    file = request.FILES.get("file")
    if file is None:
        raise invalid("file", "a file is required (multipart form field 'file')")
    data = file.read(EVIDENCE_MAX_BYTES + 1)
    try:
        evidence = services.evidence_add(
            actor=user, application=application, name=file.name or "", data=data
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(
        201,
        {
            "id": evidence.pk,
            "name": evidence.name,
            "content_type": evidence.content_type,
            "size": evidence.size,
        },
    )


@router.post(
    "/applications/{pk}/approve",
    response={201: EntitlementOut, **WRITE_ERRORS},
    operation_id="policies_application_approve",
    summary="Approve an application (the checker, not the maker): grants the entitlement",
)
def policies_application_approve(request: HttpRequest, pk: int, body: DecisionIn) -> Status[dict]:
    user = caller(request)
    application = _application(request, pk)
    try:
        entitlement = services.application_approve(
            actor=user, application=application, note=body.note
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, entitlement_json(selectors.entitlement_get(user=user, pk=entitlement.pk)))


@router.post(
    "/applications/{pk}/reject",
    response={200: ApplicationOut, **WRITE_ERRORS},
    operation_id="policies_application_reject",
    summary="Return an application with the reason (the checker)",
)
def policies_application_reject(request: HttpRequest, pk: int, body: DecisionIn) -> dict[str, Any]:
    user = caller(request)
    application = _application(request, pk)
    try:
        services.application_reject(actor=user, application=application, note=body.note)
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return application_json(_application(request, pk))


# ---- entitlements and payments -------------------------------------------------------------------


@router.get(
    "/entitlements",
    response={200: EntitlementListOut, **LIST_ERRORS},
    operation_id="policies_entitlements",
    summary="Entitlements of the caller's jurisdiction (standing, cancelled, or approved unpaid)",
)
def policies_entitlements(request: HttpRequest, q: Query[EntitlementQuery]) -> dict[str, Any]:
    found = selectors.entitlements_visible(user=caller(request))
    if q.policy:
        found = found.filter(policy__iexact=q.policy)
    if q.state == "standing":
        found = found.filter(cancelled_at__isnull=True)
    elif q.state == "cancelled":
        found = found.filter(cancelled_at__isnull=False)
    elif q.state == "unpaid":
        found = found.filter(cancelled_at__isnull=True).exclude(payments__kind=PaymentKind.PAYMENT)
    return _paged(found, q.offset, q.limit, entitlement_json)


@router.post(
    "/entitlements/{pk}/pay",
    response={201: PaymentOut, **WRITE_ERRORS},
    operation_id="policies_entitlement_pay",
    summary="Record the payment of an entitlement (once: a second payment is refused)",
)
def policies_entitlement_pay(request: HttpRequest, pk: int, body: PayIn) -> Status[dict[str, Any]]:
    user = caller(request)
    entitlement = selectors.entitlement_get(user=user, pk=pk)
    try:
        payment = services.payment_record(
            actor=user, entitlement=entitlement, on=body.date, reference=body.reference
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, payment_json(selectors.payment_get(user=user, pk=payment.pk)))


@router.get(
    "/payments",
    response={200: PaymentListOut, **LIST_ERRORS},
    operation_id="policies_payments",
    summary="Payments and reversals of the caller's jurisdiction, newest first",
)
def policies_payments(request: HttpRequest, q: Query[PaymentQuery]) -> dict[str, Any]:
    found = selectors.payments_visible(user=caller(request))
    if q.policy:
        found = found.filter(entitlement__policy__iexact=q.policy)
    if q.kind:
        found = found.filter(kind=q.kind)
    return _paged(found, q.offset, q.limit, payment_json)


@router.post(
    "/payments/{pk}/reverse",
    response={201: PaymentOut, **WRITE_ERRORS},
    operation_id="policies_payment_reverse",
    summary="Reverse a payment made in error (a negative row; the entitlement no longer stands)",
)
def policies_payment_reverse(
    request: HttpRequest, pk: int, body: ReverseIn
) -> Status[dict[str, Any]]:
    user = caller(request)
    payment = selectors.payment_get(user=user, pk=pk)
    try:
        reversal = services.payment_reverse(
            actor=user, payment=payment, on=body.date, note=body.note
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, payment_json(selectors.payment_get(user=user, pk=reversal.pk)))


# ---- budgets -------------------------------------------------------------------------------------


@router.get(
    "/budgets",
    response={200: list[BudgetOut], **LIST_ERRORS},
    operation_id="policies_budgets",
    summary="The year's budgets, each with what is committed and paid under its unit",
)
def policies_budgets(request: HttpRequest, q: Query[BudgetQuery]) -> list[dict[str, Any]]:
    year = q.year or timezone.localdate().year
    return [budget_json(line) for line in selectors.budgets_report(user=caller(request), year=year)]


@router.put(
    "/budgets",
    response={200: BudgetOut, **WRITE_ERRORS},
    operation_id="policies_budget_set",
    summary="Set the budget of a policy in a unit and year (the district)",
)
def policies_budget_set(request: HttpRequest, body: BudgetIn) -> dict[str, Any]:
    user = caller(request)
    policy = _policy_in(body.policy)
    unit = _unit(user, body.unit, "unit")
    try:
        budget = services.budget_set(
            actor=user, policy=policy, unit=unit, year=body.year, amount=body.amount
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    lines = selectors.budgets_report(user=user, year=budget.year)
    return budget_json(next(line for line in lines if line.budget.pk == budget.pk))
