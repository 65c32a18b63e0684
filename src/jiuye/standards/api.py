"""Standards API: rule sets, a unit's evaluation (the ``jiuye evaluate --json`` object of
DESIGN.md), every evaluation under a unit, and the persons or households behind an indicator.

Reads go through the jurisdiction scope: a unit the caller may not see is 404. Evaluations are
aggregate numbers; the lists behind an indicator are personal data (data roles only, names
only: no ID or phone numbers).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import ValidationError

from jiuye.lib.api_schemas import AUTH_ERRORS, DETAIL_ERRORS, MAX_LIMIT, MAX_OFFSET, Code, caller
from jiuye.lib.dates import ApiDate
from jiuye.standards import selectors
from jiuye.standards.evaluation import UnitEvaluation
from jiuye.standards.indicators import INDICATORS
from jiuye.standards.rules import Op
from jiuye.standards.rulesets import RuleSet, RuleSetError, rulesets

router = Router(tags=["standards"])


class CriterionDefOut(Schema):
    id: str
    rule: str
    indicator: str
    op: Op
    threshold: float
    text: str


class ChecklistDefOut(Schema):
    id: str
    rule: str
    text: str


class LevelOut(Schema):
    key: str
    name: str
    units: list[str]
    criteria: list[CriterionDefOut]
    checklist: list[ChecklistDefOut]
    scored: bool


class RuleSetOut(Schema):
    id: str
    name: str
    issuer: str
    source: str
    levels: list[LevelOut]


class RuleSetListOut(Schema):
    items: list[RuleSetOut]
    count: int


class UnavailableOut(Schema):
    """A value not computed yet: it needs working days of ``years``, whose holiday calendar is
    not installed (``reason`` names the fix)."""

    years: list[int]
    reason: str


class CriterionOut(Schema):
    id: str
    rule: str
    indicator: str
    op: Op
    threshold: float
    value: float | None
    numerator: int | None
    denominator: int | None
    passed: bool | None
    gap: int | None
    note: str
    text: str
    unavailable: UnavailableOut | None = None


class TickOut(Schema):
    ticked: bool
    note: str
    evidence: str
    by: str
    at: str


class ChecklistOut(Schema):
    id: str
    rule: str
    text: str
    self: TickOut | None
    assessor: TickOut | None
    satisfied: bool


class DeductionOut(Schema):
    id: str
    text: str
    kind: str
    points: int
    data: bool
    self: int
    assessor: int
    detail: str
    value: float | None
    unavailable: UnavailableOut | None = None


class ScoreItemOut(Schema):
    no: int
    id: str
    name: str
    points: int
    self: int
    assessor: int
    deductions: list[DeductionOut]


class ScoreOut(Schema):
    total_points: int
    self_total: int
    assessor_total: int
    pass_mark: int | None
    passed: bool | None
    items: list[ScoreItemOut]


class PeriodOut(Schema):
    start: date
    end: date


class EvaluationOut(Schema):
    unit: str
    unit_name: str
    unit_level: str
    ruleset: str
    level: str
    level_name: str
    date: date
    period: PeriodOut
    passed: bool
    undecided: bool = False
    criteria_passed: bool
    checklist_complete: bool
    source: str
    criteria: list[CriterionOut]
    checklist: list[ChecklistOut]
    score: ScoreOut | None = None


class EvaluationListOut(Schema):
    items: list[EvaluationOut]
    count: int


class BehindRowOut(Schema):
    kind: str
    name: str
    detail: str
    community_id: int | None
    on: date | None


class BehindOut(Schema):
    """One page of the list: ``rows`` from ``offset`` (at most ``limit``) of ``total``, counted
    up to a cap (``capped``: there are more than ``total``)."""

    indicator: str
    title: str
    total: int
    capped: bool = False
    offset: int = 0
    limit: int = MAX_LIMIT
    rows: list[BehindRowOut]
    unavailable: UnavailableOut | None = None


def _ruleset_json(r: RuleSet) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "issuer": r.issuer,
        "source": r.source,
        "levels": [
            {
                "key": lv.key,
                "name": lv.name,
                "units": list(lv.units),
                "criteria": [
                    {
                        "id": c.id,
                        "rule": c.rule,
                        "indicator": c.indicator,
                        "op": c.op,
                        "threshold": c.threshold_number,
                        "text": c.text,
                    }
                    for c in lv.criteria
                ],
                "checklist": [{"id": i.id, "rule": i.rule, "text": i.text} for i in lv.checklist],
                "scored": lv.score is not None,
            }
            for lv in r.levels.values()
        ],
    }


@router.get(
    "/rulesets/",
    response={200: RuleSetListOut, **AUTH_ERRORS},
    operation_id="standards_rulesets",
    summary="The rule sets (shipped and the district's own)",
)
def list_rulesets(request: HttpRequest) -> dict[str, Any]:
    items = [_ruleset_json(r) for r in rulesets().values()]
    return {"items": items, "count": len(items)}


class EvaluationQuery(Schema):
    ruleset: str
    on: ApiDate | None = Field(None, alias="date")
    start: ApiDate | None = Field(None, alias="from")
    level: str | None = None


def _dates(on: date | None, start: date | None) -> tuple[date, date | None]:
    """The date (default today) and period start; each in range (``lib.dates.ApiDate``), and a
    start after the date is a 422 like any other wrong parameter (issue 11, finding 8)."""
    on = on or timezone.localdate()
    if start is not None and start > on:
        raise ValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ["query", "from"],
                    "msg": "the period starts after the date",
                }
            ]
        )
    return on, start


@router.get(
    "/units/{code}/evaluation",
    response={200: EvaluationOut, **DETAIL_ERRORS},
    operation_id="standards_evaluation",
    summary="A unit's evaluation under a rule set at a date (the `jiuye evaluate --json` shape)",
)
def unit_evaluation(
    request: HttpRequest, code: Path[Code], q: Query[EvaluationQuery]
) -> dict[str, Any]:
    user = caller(request)
    unit = selectors.unit_get(user=user, code=code)
    ruleset = selectors.ruleset_or_404(q.ruleset)
    on, start = _dates(q.on, q.start)
    try:
        result: UnitEvaluation = selectors.evaluation(
            user=user, unit=unit, ruleset=ruleset, on=on, start=start, level_key=q.level
        )
    except RuleSetError as error:
        raise Http404(str(error)) from None
    return result.as_json()


class EvaluationsQuery(Schema):
    ruleset: str
    on: ApiDate | None = Field(None, alias="date")
    start: ApiDate | None = Field(None, alias="from")


@router.get(
    "/units/{code}/evaluations",
    response={200: EvaluationListOut, **DETAIL_ERRORS},
    operation_id="standards_evaluations",
    summary="Evaluations of a unit and of every unit under it the rule set applies to",
)
def unit_evaluations(
    request: HttpRequest, code: Path[Code], q: Query[EvaluationsQuery]
) -> dict[str, Any]:
    user = caller(request)
    unit = selectors.unit_get(user=user, code=code)
    ruleset = selectors.ruleset_or_404(q.ruleset)
    on, start = _dates(q.on, q.start)
    items = [
        r.as_json()
        for r in selectors.evaluations_below(
            user=user, unit=unit, ruleset=ruleset, on=on, start=start
        )
    ]
    return {"items": items, "count": len(items)}


class BehindQuery(Schema):
    on: ApiDate | None = Field(None, alias="date")
    start: ApiDate | None = Field(None, alias="from")
    ruleset: str = ""
    # The API's paging (``lib.api_schemas.PageInput``); 500 rows by default, as before paging.
    limit: int = Field(MAX_LIMIT, ge=1, le=MAX_LIMIT, description="at most 500")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get(
    "/units/{code}/indicators/{indicator}/behind",
    response={200: BehindOut, **DETAIL_ERRORS},
    operation_id="standards_behind",
    summary="The persons, households or records behind an indicator (data roles only)",
)
def indicator_behind(
    request: HttpRequest, code: Path[Code], indicator: str, q: Query[BehindQuery]
) -> dict[str, Any]:
    if indicator not in INDICATORS:
        raise Http404("indicator")
    user = caller(request)
    unit = selectors.unit_get(user=user, code=code)
    on, start = _dates(q.on, q.start)
    ruleset = selectors.ruleset_or_404(q.ruleset).id if q.ruleset else ""
    found = selectors.indicator_behind(
        user=user,
        unit=unit,
        indicator=indicator,
        on=on,
        start=start,
        ruleset=ruleset,
        offset=q.offset,
        limit=q.limit,
    )
    return {
        "indicator": found.indicator,
        "title": found.title,
        "total": found.total,
        "capped": found.capped,
        "offset": found.offset,
        "limit": found.limit,
        "unavailable": found.unavailable.as_json() if found.unavailable else None,
        "rows": [
            {
                "kind": r.kind,
                "name": r.name,
                "detail": r.detail,
                "community_id": r.community_id,
                "on": r.on,
            }
            for r in found.rows
        ],
    }
