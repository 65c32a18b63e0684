"""Certification API (DESIGN.md "Interfaces": the same steps as the command line and the web
pages, through the same services). Applications carry snapshots with the persons behind
shortfalls: data roles only, within the caller's jurisdiction (a foreign application or unit
is 404). A step the caller may not take is 403; a refused step (state, failing criteria, a
return without a reason) is 422 with the reason; nothing changes either way.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from jiuye.audit.services import audit_read
from jiuye.certification import selectors, services
from jiuye.certification.models import State, StepKind
from jiuye.lib.api_schemas import (
    DETAIL_ERRORS,
    MAX_LIMIT,
    MAX_OFFSET,
    WRITE_ERRORS,
    Code,
    caller,
    refused,
)
from jiuye.standards import selectors as standards
from jiuye.standards.rulesets import RuleSetError

router = Router(tags=["certification"])


class StepOut(Schema):
    revision: int
    step: str
    user: str
    at: str
    on: str
    decision: str
    note: str
    ruleset_version: str
    ruleset_hash: str
    snapshot: dict[str, Any]


class CertifiedOut(Schema):
    certified_on: str
    revoked_on: str | None


class ApplicationOut(Schema):
    unit: str
    unit_name: str
    ruleset: str
    level: str
    year: int
    state: State
    revision: int
    next_step: str | None
    certification: CertifiedOut | None
    steps: list[StepOut]


class ApplicationItemOut(Schema):
    id: int
    unit: str
    unit_name: str
    ruleset: str
    level: str
    year: int
    state: State
    revision: int
    next_step: str | None


class ApplicationListOut(Schema):
    items: list[ApplicationItemOut]
    count: int


class ListQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    state: State | None = None
    waiting: bool = Field(False, description="only what waits for the caller (their queue)")
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ApplyIn(Schema):
    unit: Code
    ruleset: str = Field(max_length=40)
    year: int = Field(ge=2000, le=2100)
    level: str | None = Field(None, max_length=40)
    note: str = Field("", max_length=services.NOTE_MAX)


class StepIn(Schema):
    step: Literal["submit", "review", "accept"]
    decision: Literal["pass", "return"] = "pass"
    note: str = Field("", max_length=services.NOTE_MAX)


def _item(a: Any) -> dict[str, Any]:
    return {"id": a.pk, **selectors.application_summary(a)}


@router.get(
    "/applications/",
    response={200: ApplicationListOut, **DETAIL_ERRORS},
    operation_id="certification_applications",
    summary="Applications within the caller's jurisdiction (or waiting for them)",
)
def application_list(request: HttpRequest, q: Query[ListQuery]) -> dict[str, Any]:
    user = caller(request)
    qs = selectors.queue(user=user) if q.waiting else selectors.applications_visible(user=user)
    if q.year is not None:
        qs = qs.filter(year=q.year)
    if q.state is not None:
        qs = qs.filter(state=q.state)
    qs = qs.order_by("-updated_at", "-pk")
    return {
        "items": [_item(a) for a in qs[q.offset : q.offset + q.limit]],
        "count": qs.count(),
    }


@router.get(
    "/applications/{pk}",
    response={200: ApplicationOut, **DETAIL_ERRORS},
    operation_id="certification_application",
    summary="An application with every step and its frozen snapshot (`certification show`)",
)
def application_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = caller(request)
    application = selectors.application_get(user=user, pk=_pk(pk))
    # The snapshots name the persons behind each shortfall: recorded as read, like the page.
    audit_read(actor=user, what="certification.application", obj=application, unit=application.unit)
    return selectors.application_json(application)


def _pk(pk: int) -> int:
    if not 0 < pk < 2**63:
        raise Http404("application")
    return pk


@router.post(
    "/applications/",
    response={201: ApplicationOut, **WRITE_ERRORS},
    operation_id="certification_apply",
    summary="Apply for a unit's certification under a rule set level for a year",
)
def application_create(request: HttpRequest, body: ApplyIn) -> Status[dict[str, Any]]:
    user = caller(request)
    unit = standards.unit_get(user=user, code=body.unit)
    try:
        ruleset = standards.ruleset_or_404(body.ruleset)
        application = services.certification_apply(
            actor=user,
            unit=unit,
            ruleset=ruleset,
            year=body.year,
            level_key=body.level or None,
            note=body.note,
        )
    except (PermissionDenied, ValidationError, RuleSetError) as error:
        raise refused(error) from None
    return Status(201, selectors.application_json(application))


@router.post(
    "/applications/{pk}/steps",
    response={200: ApplicationOut, **WRITE_ERRORS},
    operation_id="certification_step",
    summary="Take the next step: submit (自评), review (初核) or accept (验收); or return it",
)
def application_step(request: HttpRequest, pk: int, body: StepIn) -> dict[str, Any]:
    user = caller(request)
    application = selectors.application_get(user=user, pk=_pk(pk))
    passed = body.decision == "pass"
    try:
        if body.step == StepKind.SUBMIT:
            services.certification_submit(actor=user, application=application, note=body.note)
        elif body.step == StepKind.REVIEW:
            services.certification_review(
                actor=user, application=application, passed=passed, note=body.note
            )
        else:
            services.certification_accept(
                actor=user, application=application, passed=passed, note=body.note
            )
    except (PermissionDenied, ValidationError, RuleSetError) as error:
        raise refused(error) from None
    application.refresh_from_db()
    return selectors.application_json(application)
