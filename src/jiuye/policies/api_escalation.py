"""Escalation cases (托底, HD-2018 二(六)1), mounted under ``/api/policies/`` by
``jiuye.api.api``: the same rule, selectors and services as the pages.

Reads are scoped (a foreign person or case is 404); a write the caller may not make is 403
(``escalation.check_handle``); a refusal of a service (not a candidate, a closed case, a post
that is not public-welfare or not open) is 422 with its reason; nothing changes either way.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from jiuye.audit.services import audit_read
from jiuye.jobs import posting_selectors
from jiuye.lib.api_schemas import (
    DETAIL_ERRORS,
    LIST_ERRORS,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    WRITE_ERRORS,
    Code,
    caller,
    refused,
)
from jiuye.lib.dates import ApiDate
from jiuye.lib.masking import mask_id_number
from jiuye.policies import escalation
from jiuye.policies import escalation_services as services
from jiuye.policies.escalation import ASSISTANCE_STEPS
from jiuye.policies.models import EscalationCase
from jiuye.registry.models import Person
from jiuye.registry.selectors import persons_visible
from jiuye.units.scope import units_visible

router = Router(tags=["policies"])

StepKind = Literal[ASSISTANCE_STEPS]  # type: ignore[valid-type]


class CandidateOut(Schema):
    person: int
    name: str
    id_masked: str
    community: str
    community_name: str
    category: str
    services: int
    last_service: date | None


class CandidateListOut(Schema):
    date: date
    clause: str
    min_services: int
    within_months: int
    items: list[CandidateOut]
    count: int


class CandidateQuery(Schema):
    date: ApiDate | None = Field(None, description="the day (default: today)")
    unit: Code | None = Field(None, description="a unit code: persons under it")
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class StepOut(Schema):
    id: int
    kind: str
    on: date
    note: str
    referral: int | None
    referral_outcome: str | None
    by: str


class CaseOut(Schema):
    id: int
    person: int
    person_name: str
    person_id_masked: str
    community: str
    opened_on: date
    services: int
    state: str
    hired_on: date | None = Field(
        description="the day an offer's referral was hired (the case may be closed as placed)"
    )
    closed_on: date | None
    steps: list[StepOut] | None = None


class CaseListOut(Schema):
    items: list[CaseOut]
    count: int


class CaseQuery(Schema):
    state: Literal["open", "closed", "all"] = "all"
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class OpenIn(Schema):
    person: int = Field(ge=1, le=MAX_ID)
    date: ApiDate
    note: str = Field("", max_length=10_000)


class StepIn(Schema):
    kind: StepKind
    date: ApiDate
    note: str = Field("", max_length=10_000)


class OfferIn(Schema):
    posting: int = Field(ge=1, le=MAX_ID)
    date: ApiDate
    note: str = Field("", max_length=10_000)


class CloseIn(Schema):
    placed: bool
    date: ApiDate
    note: str = Field("", max_length=10_000)


def case_json(case: EscalationCase, *, steps: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": case.pk,
        "person": case.person_id,
        "person_name": case.person.name,
        "person_id_masked": mask_id_number(case.person.id_number),
        "community": case.person.community.code,
        "opened_on": case.opened_on,
        "services": case.services,
        "state": case.state,
        "hired_on": getattr(case, "hired_on", None),
        "closed_on": case.closed_on,
    }
    if steps:
        out["steps"] = [
            {
                "id": s.pk,
                "kind": s.kind,
                "on": s.on,
                "note": s.note,
                "referral": s.referral_id,
                "referral_outcome": s.referral.outcome if s.referral else None,
                "by": s.by.username,
            }
            for s in escalation.steps_of(case)
        ]
    return out


def _case(request: HttpRequest, pk: int) -> EscalationCase:
    if not 0 < pk <= MAX_ID:
        raise Http404("case")
    return escalation.escalation_get(user=caller(request), pk=pk)


def _detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    return case_json(_case(request, pk), steps=True)


@router.get(
    "/escalations/candidates",
    response={200: CandidateListOut, **LIST_ERRORS},
    operation_id="policies_escalation_candidates",
    summary="Who may be handed to the district's professional assistance on a date (托底)",
)
def escalation_candidates(request: HttpRequest, q: Query[CandidateQuery]) -> dict[str, Any]:
    user = caller(request)
    on = q.date or timezone.localdate()
    current = escalation.rule()
    head = {
        "date": on,
        "clause": current.clause,
        "min_services": current.min_services,
        "within_months": current.within_months,
    }
    unit = None
    if q.unit:
        unit = units_visible(user).filter(code=q.unit).first()
        if unit is None:
            return head | {"items": [], "count": 0}
    found = escalation.candidates(user=user, on=on, unit=unit)
    rows: list[Person] = list(found[q.offset : q.offset + q.limit])
    if rows:
        audit_read(actor=user, what="escalation_candidates", persons=[p.pk for p in rows])
    items = [
        {
            "person": p.pk,
            "name": p.name,
            "id_masked": mask_id_number(p.id_number),
            "community": p.community.code,
            "community_name": p.community.name,
            "category": p.esc_category or "",  # type: ignore[attr-defined]
            "services": p.esc_services,  # type: ignore[attr-defined]
            "last_service": p.esc_last,  # type: ignore[attr-defined]
        }
        for p in rows
    ]
    return head | {"items": items, "count": found.count()}


@router.get(
    "/escalations/",
    response={200: CaseListOut, **LIST_ERRORS},
    operation_id="policies_escalation_list",
    summary="Escalation cases of the caller's residents, newest first",
)
def escalation_list(request: HttpRequest, q: Query[CaseQuery]) -> dict[str, Any]:
    user = caller(request)
    closed = {"open": False, "closed": True}.get(q.state)
    found = escalation.escalations_listed(user=user, closed=closed)
    rows = list(found[q.offset : q.offset + q.limit])
    if rows:
        audit_read(actor=user, what="escalation_list", persons=[c.person_id for c in rows])
    return {"items": [case_json(c) for c in rows], "count": found.count()}


@router.post(
    "/escalations/",
    response={201: CaseOut, **WRITE_ERRORS},
    operation_id="policies_escalation_open",
    summary="Hand a candidate over to the district's professional assistance",
)
def escalation_open(request: HttpRequest, body: OpenIn) -> Status[dict[str, Any]]:
    user = caller(request)
    person = persons_visible(user=user).filter(pk=body.person).first()
    if person is None:
        raise Http404("person")
    try:
        case = services.escalation_open(actor=user, person=person, on=body.date, note=body.note)
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, _detail(request, case.pk))


@router.get(
    "/escalations/{pk}",
    response={200: CaseOut, **DETAIL_ERRORS},
    operation_id="policies_escalation_detail",
    summary="An escalation case with its steps",
)
def escalation_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    case = _case(request, pk)
    audit_read(actor=caller(request), what="escalation_case", persons=[case.person_id])
    return case_json(case, steps=True)


@router.post(
    "/escalations/{pk}/steps",
    response={201: CaseOut, **WRITE_ERRORS},
    operation_id="policies_escalation_step",
    summary="Record a step of the professional assistance",
)
def escalation_step(request: HttpRequest, pk: int, body: StepIn) -> Status[dict[str, Any]]:
    user = caller(request)
    case = _case(request, pk)
    try:
        services.escalation_step(
            actor=user, case=case, kind=body.kind, on=body.date, note=body.note
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, _detail(request, pk))


@router.post(
    "/escalations/{pk}/offer",
    response={201: CaseOut, **WRITE_ERRORS},
    operation_id="policies_escalation_offer",
    summary="Offer a public-welfare post (a referral to it)",
)
def escalation_offer(request: HttpRequest, pk: int, body: OfferIn) -> Status[dict[str, Any]]:
    user = caller(request)
    case = _case(request, pk)
    posting = (
        posting_selectors.postings_referable(user=user, person=case.person)
        .filter(pk=body.posting)
        .first()
    )
    if posting is None:
        raise Http404("posting")
    try:
        services.escalation_offer(
            actor=user, case=case, posting=posting, on=body.date, note=body.note
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, _detail(request, pk))


@router.post(
    "/escalations/{pk}/close",
    response={200: CaseOut, **WRITE_ERRORS},
    operation_id="policies_escalation_close",
    summary="Close a case: placed (an offer's referral hired) or with the reason",
)
def escalation_close(request: HttpRequest, pk: int, body: CloseIn) -> dict[str, Any]:
    user = caller(request)
    case = _case(request, pk)
    try:
        services.escalation_close(
            actor=user, case=case, on=body.date, placed=body.placed, note=body.note
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return _detail(request, pk)
