"""Early-warning API (issue 15; DESIGN.md "Interfaces": the same as ``jiuye warnings`` and the
web pages, through the same selectors and services, in the shapes of ``payloads``).

Warnings name the residents behind them: data roles only, within the caller's jurisdiction (a
foreign warning is 404). Acknowledging or closing a warning the caller may not handle is 403;
a refusal (no note, a note too long, a state that moved on) is 422 with the reason; nothing
changes either way. A run is the district's (403 for anyone else): it is queued (202, with the
task's id) like the page's "run now".
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django_tasks import TaskResultStatus
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as ApiValidationError
from ninja.responses import Status

from jiuye.audit.services import audit_read
from jiuye.lib.api_schemas import (
    AUTH_ERRORS,
    DETAIL_ERRORS,
    LIST_ERRORS,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    WRITE_ERRORS,
    Code,
    ErrorOut,
    ValidationErrorOut,
    caller,
    refused,
)
from jiuye.lib.dates import ApiDate
from jiuye.monitoring import selectors, services, tasks
from jiuye.monitoring.models import EarlyWarning, WarningLevel
from jiuye.monitoring.payloads import rule_json, warning_detail_json, warning_json
from jiuye.monitoring.rulebook import RuleBookError, rulebook
from jiuye.units.scope import units_visible

router = Router(tags=["monitoring"])

NOTE_LIMIT = 10_000  # a body beyond any note: the service says what the limit is (500)


class WarningOut(Schema):
    """``payloads.warning_json`` (the shape of ``jiuye warnings list --json``)."""

    id: int
    rule: str
    version: str
    kind: str
    unit: str
    unit_name: str
    period: str
    level: WarningLevel
    state: str
    fired_on: str
    raised_on: str | None
    summary: str
    facts: dict[str, Any]
    records: int = Field(description="how many records lie behind the warning")
    acknowledged_note: str
    closed_note: str


class WarningListOut(Schema):
    items: list[WarningOut]
    count: int


class RecordOut(Schema):
    kind: Literal["person", "household", "employer", "unit", ""]
    id: int | None
    name: str | None = Field(description="None: the caller no longer sees that resident")
    unit: str | None
    detail: str


class WarningDetailOut(WarningOut):
    acknowledged_by: str | None
    acknowledged_at: str | None
    closed_by: str | None
    closed_at: str | None
    behind: list[RecordOut]


class ThresholdOut(Schema):
    level: WarningLevel
    threshold: float


class RuleOut(Schema):
    """``payloads.rule_json`` (the shape of ``jiuye warnings rules --json``)."""

    id: str
    version: str
    kind: str
    name: str
    text: str
    cites: list[str]
    measure: str
    op: str
    levels: list[ThresholdOut]
    params: dict[str, Any]
    requires: str
    waiting: bool


class RuleBookOut(Schema):
    id: str
    name: str
    version: str
    rules: list[RuleOut]


class ListQuery(Schema):
    state: Literal["active", "open", "acknowledged", "closed", "all"] = "active"
    level: WarningLevel | None = None
    rule: str | None = Field(None, max_length=40)
    unit: Code | None = Field(None, description="a unit code: it and what lies under it")
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class NoteIn(Schema):
    note: str = Field("", max_length=NOTE_LIMIT)


class RunIn(Schema):
    date: ApiDate | None = Field(None, description="YYYY-MM-DD, not after today (default today)")


class RunOut(Schema):
    task: str
    status: str
    summary: dict[str, Any] | None = Field(
        description="the run's counts, when it has finished (`jiuye warnings run --json`)"
    )


def _get(request: HttpRequest, pk: int) -> EarlyWarning:
    if not 0 < pk <= MAX_ID:
        raise Http404("warning")
    return selectors.warning_get(user=caller(request), pk=pk)


@router.get(
    "/warnings/",
    response={200: WarningListOut, **LIST_ERRORS},
    operation_id="monitoring_warnings",
    summary="Warnings within the caller's jurisdiction, newest first (`warnings list`)",
)
def warning_list(request: HttpRequest, q: Query[ListQuery]) -> dict[str, Any]:
    user = caller(request)
    unit_path = None
    if q.unit:
        unit = units_visible(user).filter(code=q.unit).first()
        if unit is None:  # not the caller's (or no such unit): nothing of it
            return {"items": [], "count": 0}
        unit_path = unit.path
    found = selectors.warnings_filtered(
        user=user,
        unit_path=unit_path,
        state=None if q.state == "all" else q.state,
        level=q.level,
        rule=q.rule or None,
    )
    return {
        "items": [warning_json(w) for w in found[q.offset : q.offset + q.limit]],
        "count": found.count(),
    }


@router.post(
    "/warnings/run",
    response={202: RunOut, **AUTH_ERRORS, 400: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    operation_id="monitoring_warnings_run",
    summary="Queue a warnings run as of a day (district users; `warnings run --date`)",
)
def warnings_run(request: HttpRequest, body: RunIn) -> Status[dict[str, Any]]:
    user = caller(request)
    if not services.may_run(user):
        raise HttpError(403, "only the district's users may run the warnings")
    today = timezone.localdate()
    on = body.date or today
    if on > today:
        raise ApiValidationError(
            [{"type": "date", "loc": ["body", "body", "date"], "msg": "must not be after today"}]
        )
    result = tasks.warnings_run_task.enqueue(user.pk, on.isoformat())
    finished = result.status == TaskResultStatus.SUCCESSFUL
    return Status(
        202,
        {
            "task": str(result.id),
            "status": str(result.status),
            "summary": result.return_value if finished else None,
        },
    )


@router.get(
    "/warnings/{pk}",
    response={200: WarningDetailOut, **DETAIL_ERRORS},
    operation_id="monitoring_warning",
    summary="A warning with its history and the records behind it",
)
def warning_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = caller(request)
    warning = _get(request, pk)
    records = selectors.records_seen(
        user=user, records=list(selectors.warning_records(warning=warning))
    )
    # The records name residents: recorded as read, like the page.
    audit_read(
        actor=user,
        what="warning_detail",
        persons=[r.person_id for r, seen in records if seen and r.person_id],
        households=[r.household_id for r, seen in records if seen and r.household_id],
        obj=warning,
        unit=warning.unit,
    )
    return warning_detail_json(warning, records)


def _handle(request: HttpRequest, pk: int, body: NoteIn, *, close: bool) -> dict[str, Any]:
    user = caller(request)
    warning = _get(request, pk)
    act = services.warning_close if close else services.warning_acknowledge
    try:
        done = act(actor=user, warning=warning, note=body.note)
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return warning_json(done)


@router.post(
    "/warnings/{pk}/acknowledge",
    response={200: WarningOut, **WRITE_ERRORS},
    operation_id="monitoring_warning_acknowledge",
    summary="Acknowledge an open warning, with a note (what is being done)",
)
def warning_acknowledge(request: HttpRequest, pk: int, body: NoteIn) -> dict[str, Any]:
    return _handle(request, pk, body, close=False)


@router.post(
    "/warnings/{pk}/close",
    response={200: WarningOut, **WRITE_ERRORS},
    operation_id="monitoring_warning_close",
    summary="Close a warning, with a note (what was done)",
)
def warning_close(request: HttpRequest, pk: int, body: NoteIn) -> dict[str, Any]:
    return _handle(request, pk, body, close=True)


@router.get(
    "/rules",
    response={200: RuleBookOut, **AUTH_ERRORS, 503: ErrorOut},
    operation_id="monitoring_rules",
    summary="The warning rule book (`warnings rules --json`)",
)
def rule_list(request: HttpRequest) -> Any:
    try:
        book = rulebook()
    except RuleBookError:
        return Status(503, {"detail": "the warning rule book cannot be read"})
    return {
        "id": book.id,
        "name": book.name,
        "version": book.version,
        "rules": [rule_json(rule) for rule in book.rules],
    }
