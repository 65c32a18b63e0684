"""The matching API (mounted under ``/api/jobs/`` by ``jiuye.api.api``): a person's best open
postings and a posting's candidates, as ``jiuye match --json`` gives them, through the
jurisdiction scope (a foreign person or posting is 404; a posting's candidates are the persons
the caller may see). Reading candidates is recorded (``audit_read``), like the page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema

from jiuye.audit.services import audit_read
from jiuye.jobs import matching
from jiuye.jobs.models import Posting
from jiuye.jobs.posting_selectors import postings_visible
from jiuye.lib.api_schemas import DETAIL_ERRORS, MAX_ID, caller
from jiuye.lib.dates import ApiDate
from jiuye.registry.models import Person
from jiuye.units.scope import scope_to_jurisdiction

router = Router(tags=["jobs"])


class MatchQuery(Schema):
    date: ApiDate | None = None
    limit: int = Field(matching.DEFAULT_K, ge=1, le=matching.MAX_K)


class PostingBrief(Schema):
    id: int
    number: str
    title: str
    employer: str
    public_welfare: bool
    unit: str


class PersonBrief(Schema):
    id: int
    name: str
    id_number: str  # masked
    priority: bool


class MatchOut(Schema):
    posting: PostingBrief
    person: PersonBrief
    score: float
    reasons: list[str]


class PersonMatchesOut(Schema):
    person: PersonBrief
    date: date
    district: str
    seeker: bool
    matches: list[MatchOut]


class PostingCandidatesOut(Schema):
    posting: PostingBrief
    date: date
    open: bool
    candidates: list[MatchOut]


def _on(query: MatchQuery) -> date:
    return query.date or timezone.localdate()


@router.get(
    "/match/persons/{person_id}",
    response={200: PersonMatchesOut, **DETAIL_ERRORS},
    operation_id="jobs_match_person",
    summary="A person's best open postings, with scores and reasons",
)
def match_person(
    request: HttpRequest, query: Query[MatchQuery], person_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    user = caller(request)
    found = get_object_or_404(
        scope_to_jurisdiction(Person.objects.select_related("community"), user), pk=person_id
    )
    on = _on(query)
    result = matching.person_matches(found, on=on, k=query.limit)
    audit_read(actor=user, what="api.jobs.matches", obj=found, unit=found.community)
    return {
        "person": {
            "id": found.pk,
            "name": found.name,
            "id_number": result.seeker.masked_id if result.seeker else "",
            "priority": bool(result.seeker and result.seeker.priority),
        },
        "date": on,
        "district": result.district.name,
        "seeker": result.seeker is not None,
        "matches": [m.as_dict() for m in result.matches],
    }


@router.get(
    "/match/postings/{posting_id}",
    response={200: PostingCandidatesOut, **DETAIL_ERRORS},
    operation_id="jobs_match_posting",
    summary="A posting's candidates: suitable priority persons first, then by score",
)
def match_posting(
    request: HttpRequest, query: Query[MatchQuery], posting_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    user = caller(request)
    # The candidates are persons: a data role's answer (the others see postings only).
    readable = postings_visible(user=user) if user.sees_personal_data else Posting.objects.none()
    found = get_object_or_404(readable.select_related("unit", "employer"), pk=posting_id)
    on = _on(query)
    visible = scope_to_jurisdiction(Person.objects.all(), user)
    result = matching.posting_candidates(found, on=on, k=query.limit, within=visible)
    audit_read(
        actor=user,
        what="api.jobs.candidates",
        persons=[m.seeker.id for m in result.matches],
        unit=found.unit,
    )
    return {
        "posting": {
            "id": found.pk,
            "number": found.number,
            "title": found.title,
            "employer": found.employer.name,
            "public_welfare": found.public_welfare,
            "unit": found.unit.name,
        },
        "date": on,
        "open": result.open,
        "candidates": [m.as_dict() for m in result.matches],
    }
