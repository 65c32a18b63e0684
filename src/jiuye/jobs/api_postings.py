"""Postings, referrals and the placements report (mounted under ``/api/jobs/`` by
``jiuye.api.api``): the same selectors and services as the pages.

Reads are scoped (a foreign posting or referral is 404); a write the caller may not make is 403
(``jobs.permissions`` for postings, ``units.scope.check_write`` for referrals); a refusal of a
service (a check, a posting not open, a public-welfare post for a person not recognised
difficult, a final outcome) is 422 with its reason; nothing changes either way.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError as ApiValidationError
from ninja.responses import Status

from jiuye.jobs import posting_selectors as selectors
from jiuye.jobs import postings
from jiuye.jobs.models import Employer, Posting, Referral
from jiuye.lib.api_schemas import (
    DETAIL_ERRORS,
    LIST_ERRORS,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    WRITE_ERRORS,
    Code,
    Search,
    caller,
    invalid,
    refused,
)
from jiuye.lib.dates import ApiDate
from jiuye.lib.masking import mask_id_number
from jiuye.registry.selectors import persons_visible
from jiuye.units.models import Unit
from jiuye.units.scope import member_units, scope_to_jurisdiction, units_visible

router = Router(tags=["jobs"])


class PostingOut(Schema):
    id: int
    number: str
    employer: int
    employer_name: str
    title: str
    occupation: str
    skills: str
    min_education: str
    age_min: int | None
    age_max: int | None
    vacancies: int
    filled: int
    pay_min: int | None
    pay_max: int | None
    unit: str
    unit_name: str
    public_welfare: bool
    opens_on: date
    closes_on: date | None
    open: bool = Field(description="open for referrals today (published, not closed, not full)")


class PostingListOut(Schema):
    items: list[PostingOut]
    count: int


class PostingIn(Schema):
    employer: int = Field(ge=1, le=MAX_ID)
    number: str | None = Field(None, max_length=32)
    title: str = Field(max_length=100)
    occupation: str = Field("", max_length=11)
    skills: str = Field("", max_length=500)
    min_education: str = Field("", max_length=8)
    age_min: int | None = Field(None, ge=0, le=200)
    age_max: int | None = Field(None, ge=0, le=200)
    vacancies: int = Field(ge=0, le=100_000)
    pay_min: int | None = Field(None, ge=0, le=1_000_000)
    pay_max: int | None = Field(None, ge=0, le=1_000_000)
    unit: Code
    public_welfare: bool = False
    opens_on: ApiDate
    closes_on: ApiDate | None = None


class PostingPatch(Schema):
    title: str | None = Field(None, max_length=100)
    occupation: str | None = Field(None, max_length=11)
    skills: str | None = Field(None, max_length=500)
    min_education: str | None = Field(None, max_length=8)
    age_min: int | None = Field(None, ge=0, le=200)
    age_max: int | None = Field(None, ge=0, le=200)
    vacancies: int | None = Field(None, ge=0, le=100_000)
    pay_min: int | None = Field(None, ge=0, le=1_000_000)
    pay_max: int | None = Field(None, ge=0, le=1_000_000)
    unit: Code | None = None
    public_welfare: bool | None = None
    opens_on: ApiDate | None = None
    closes_on: ApiDate | None = None


class CloseIn(Schema):
    date: ApiDate = Field(description="the closing date (the posting's last open day)")


class PostingQuery(Schema):
    employer: int | None = Field(None, ge=1, le=MAX_ID)
    state: Literal["open", "closed", "all"] = "all"
    public_welfare: bool | None = None
    unit: Code | None = Field(None, description="a unit code: work places under it")
    q: Search = ""
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ReferralOut(Schema):
    id: int
    person: int
    person_name: str
    person_id_masked: str
    posting: int
    posting_number: str
    on: date
    outcome: str
    outcome_on: date | None
    declined_by: str
    outcome_note: str
    service: int


class ReferralListOut(Schema):
    items: list[ReferralOut]
    count: int


class ReferralIn(Schema):
    person: int = Field(ge=1, le=MAX_ID)
    posting: int = Field(ge=1, le=MAX_ID)
    date: ApiDate
    note: str = Field("", max_length=10_000)


class OutcomeIn(Schema):
    outcome: Literal["interviewed", "hired", "declined"]
    date: ApiDate
    declined_by: Literal["", "person", "employer"] = ""
    note: str = Field("", max_length=10_000)


class ReferralQuery(Schema):
    person: int | None = Field(None, ge=1, le=MAX_ID)
    posting: int | None = Field(None, ge=1, le=MAX_ID)
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class PlacementRowOut(Schema):
    unit: str
    unit_name: str
    referred: int
    interviewed: int
    hired: int
    hire_rate: float | None
    declined: int
    declined_person: int
    declined_employer: int
    public_welfare: int
    difficult_hired: int


class PlacementsOut(Schema):
    unit: str
    start: date
    end: date
    total: PlacementRowOut
    rows: list[PlacementRowOut]


class PlacementsQuery(Schema):
    unit: Code | None = None
    start: ApiDate | None = None
    end: ApiDate | None = None


def posting_json(posting: Posting, today: date, open_ids: set[int] | None = None) -> dict:
    is_open = posting.pk in open_ids if open_ids is not None else selectors.is_open(posting, today)
    return {
        "id": posting.pk,
        "number": posting.number,
        "employer": posting.employer_id,
        "employer_name": posting.employer.name,
        "title": posting.title,
        "occupation": posting.occupation,
        "skills": posting.skills,
        "min_education": posting.min_education,
        "age_min": posting.age_min,
        "age_max": posting.age_max,
        "vacancies": posting.vacancies,
        "filled": posting.filled,
        "pay_min": posting.pay_min,
        "pay_max": posting.pay_max,
        "unit": posting.unit.code,
        "unit_name": posting.unit.name,
        "public_welfare": posting.public_welfare,
        "opens_on": posting.opens_on,
        "closes_on": posting.closes_on,
        "open": is_open,
    }


def referral_json(referral: Referral) -> dict:
    return {
        "id": referral.pk,
        "person": referral.person_id,
        "person_name": referral.person.name,
        "person_id_masked": mask_id_number(referral.person.id_number),
        "posting": referral.posting_id,
        "posting_number": referral.posting.number,
        "on": referral.on,
        "outcome": referral.outcome,
        "outcome_on": referral.outcome_on,
        "declined_by": referral.declined_by,
        "outcome_note": referral.outcome_note,
        "service": referral.service_id,
    }


def _posting(request: HttpRequest, pk: int) -> Posting:
    if not 0 < pk <= MAX_ID:
        raise Http404("posting")
    return selectors.posting_get(user=caller(request), pk=pk)


def _unit(user: Any, code: str, field: str) -> Unit:
    unit = units_visible(user).filter(code=code).first()
    if unit is None:
        raise invalid(field, "no such unit in your jurisdiction")
    return unit


@router.get(
    "/postings/",
    response={200: PostingListOut, **LIST_ERRORS},
    operation_id="jobs_postings",
    summary="Postings of the caller's jurisdiction (work place or employer), newest first",
)
def posting_list(request: HttpRequest, q: Query[PostingQuery]) -> dict[str, Any]:
    user = caller(request)
    today = timezone.localdate()
    employer = None
    if q.employer is not None:
        employers = scope_to_jurisdiction(Employer.objects.all(), user, personal=False)
        employer = employers.filter(pk=q.employer).first()
        if employer is None:
            return {"items": [], "count": 0}
    unit = None
    if q.unit:
        unit = units_visible(user).filter(code=q.unit).first()
        if unit is None:
            return {"items": [], "count": 0}
    found = selectors.postings_filtered(
        user=user,
        on=today,
        employer=employer,
        state="" if q.state == "all" else q.state,
        public_welfare=q.public_welfare,
        unit=unit,
        text=q.q,
    )
    rows = list(found[q.offset : q.offset + q.limit])
    open_ids = set(
        Posting.objects.filter(selectors.open_q(today), pk__in=[p.pk for p in rows]).values_list(
            "pk", flat=True
        )
    )
    return {"items": [posting_json(p, today, open_ids) for p in rows], "count": found.count()}


@router.post(
    "/postings/",
    response={201: PostingOut, **WRITE_ERRORS},
    operation_id="jobs_posting_create",
    summary="Publish a posting of an employer the caller keeps",
)
def posting_create(request: HttpRequest, body: PostingIn) -> Status[dict[str, Any]]:
    user = caller(request)
    employers = scope_to_jurisdiction(Employer.objects.all(), user, personal=False)
    employer = employers.filter(pk=body.employer).select_related("unit").first()
    if employer is None:
        raise Http404("employer")
    values = body.dict(exclude={"employer"})
    values["unit"] = _unit(user, body.unit, "unit")
    try:
        posting = postings.posting_create(actor=user, employer=employer, **values)
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, posting_json(posting, timezone.localdate()))


@router.get(
    "/postings/{pk}",
    response={200: PostingOut, **DETAIL_ERRORS},
    operation_id="jobs_posting",
    summary="A posting",
)
def posting_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    return posting_json(_posting(request, pk), timezone.localdate())


@router.patch(
    "/postings/{pk}",
    response={200: PostingOut, **WRITE_ERRORS},
    operation_id="jobs_posting_update",
    summary="Change a posting's fields (those given)",
)
def posting_update(request: HttpRequest, pk: int, body: PostingPatch) -> dict[str, Any]:
    user = caller(request)
    posting = _posting(request, pk)
    fields = body.dict(exclude_unset=True)
    if "unit" in fields:
        if fields["unit"] is None:
            raise invalid("unit", "a posting needs its work place")
        fields["unit"] = _unit(user, fields["unit"], "unit")
    for required in ("title", "vacancies", "opens_on", "public_welfare"):
        if required in fields and fields[required] is None:
            raise invalid(required, "cannot be empty")
    try:
        done = postings.posting_update(actor=user, posting=posting, **fields)
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return posting_json(done, timezone.localdate())


@router.post(
    "/postings/{pk}/close",
    response={200: PostingOut, **WRITE_ERRORS},
    operation_id="jobs_posting_close",
    summary="Close a posting on a date (its last open day)",
)
def posting_close(request: HttpRequest, pk: int, body: CloseIn) -> dict[str, Any]:
    user = caller(request)
    posting = _posting(request, pk)
    try:
        done = postings.posting_close(actor=user, posting=posting, on=body.date)
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return posting_json(done, timezone.localdate())


@router.get(
    "/referrals/",
    response={200: ReferralListOut, **LIST_ERRORS},
    operation_id="jobs_referrals",
    summary="Referrals of the caller's residents, of a person or a posting, newest first",
)
def referral_list(request: HttpRequest, q: Query[ReferralQuery]) -> dict[str, Any]:
    user = caller(request)
    found = selectors.referrals_visible(user=user)
    if q.person is not None:
        found = found.filter(person_id=q.person)
    if q.posting is not None:
        found = found.filter(posting_id=q.posting)
    found = found.select_related("person", "posting").order_by("-on", "-id")
    rows = list(found[q.offset : q.offset + q.limit])
    return {"items": [referral_json(r) for r in rows], "count": found.count()}


@router.post(
    "/referrals/",
    response={201: ReferralOut, **WRITE_ERRORS},
    operation_id="jobs_referral_create",
    summary="Refer a person to a posting (the casework referral record with it)",
)
def referral_create(request: HttpRequest, body: ReferralIn) -> Status[dict[str, Any]]:
    user = caller(request)
    person = persons_visible(user=user).filter(pk=body.person).first()
    posting = selectors.postings_visible(user=user).filter(pk=body.posting).first()
    if person is None or posting is None:
        raise Http404("person or posting")
    try:
        referral = postings.referral_create(
            actor=user, person=person, posting=posting, on=body.date, note=body.note
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, referral_json(referral))


@router.post(
    "/referrals/{pk}/outcome",
    response={200: ReferralOut, **WRITE_ERRORS},
    operation_id="jobs_referral_outcome",
    summary="Record a referral's outcome (hired: the person's status with the employer)",
)
def referral_outcome(request: HttpRequest, pk: int, body: OutcomeIn) -> dict[str, Any]:
    user = caller(request)
    if not 0 < pk <= MAX_ID:
        raise Http404("referral")
    referral = selectors.referral_get(user=user, pk=pk)
    try:
        done = postings.referral_outcome(
            actor=user,
            referral=referral,
            outcome=body.outcome,
            on=body.date,
            declined_by=body.declined_by,
            note=body.note,
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return referral_json(done)


def _placement_row(row: selectors.PlacementRow) -> dict[str, Any]:
    return {
        "unit": row.unit.code,
        "unit_name": row.unit.name,
        "hire_rate": row.hire_rate,
        **{name: getattr(row, name) for name in selectors.PLACEMENT_FIGURES},
    }


@router.get(
    "/placements/",
    response={200: PlacementsOut, **DETAIL_ERRORS},
    operation_id="jobs_placements",
    summary="Referrals and their outcomes for a unit and the units below it, in a period",
)
def placements_report(request: HttpRequest, q: Query[PlacementsQuery]) -> dict[str, Any]:
    user = caller(request)
    today = timezone.localdate()
    start, end = selectors.placements_period(q.start, q.end, today)
    if start > end:
        raise ApiValidationError(
            [{"type": "value_error", "loc": ["query", "end"], "msg": "end before start"}]
        )
    if q.unit:
        unit = units_visible(user).filter(code=q.unit).first()
    else:
        mine = member_units(user)
        unit = mine[0] if mine else None
    if unit is None:
        raise Http404("unit")
    report = selectors.placements(user=user, unit=unit, start=start, end=end)
    return {
        "unit": unit.code,
        "start": start,
        "end": end,
        "total": _placement_row(report["total"]),
        "rows": [_placement_row(row) for row in report["rows"]],
    }
