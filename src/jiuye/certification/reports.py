"""A unit's acceptance report (验收报告) as a PDF, built only from the application's steps and
their frozen snapshots (DOMAIN §7), never from live data: printed years later it says what was
decided on what data then.

- The criteria and the checklist come from the latest step's snapshot (of the current revision;
  of the last one when the current has no step yet, after a return).
- The score sheet (a rule set with a points table, QG-2016) puts side by side what each party
  signed: the self-assessment column from the latest ``submit`` step of the current revision,
  the street's review (初核) from the latest ``review`` step, the district's acceptance (验收)
  from the latest ``accept`` step.
- The signature block names who took each of those steps, when, and their opinion.

The report is handed around: it prints counts only. Of the persons behind a shortfall
(``snapshot["behind"]``) it reads the ``total``; free text typed by reviewers (notes,
evidence, file names) is printed with ID and mobile numbers masked and with the names of those
persons (the snapshots' rows) blotted out, should a reviewer have typed one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.certification.formatting import criterion_rows, spaced_hash
from jiuye.certification.models import Application, Decision, Step, StepKind
from jiuye.certification.pdf import render_pdf
from jiuye.lib.masking import mask_text
from jiuye.standards.models import TickRole
from jiuye.units.models import COMMUNITY_LEVELS, Level

TEMPLATE = "certification/report.html"
TICK_ROLES = ("self", "street", "assessor")


def acceptance_report_pdf(*, application: Application) -> bytes:
    """The acceptance report of ``application`` as A4 PDF bytes, in the active language (a
    page's request's; Chinese by default)."""
    return render_pdf(TEMPLATE, report_context(application))


def _latest(steps: list[Step], kind: str) -> Step | None:
    found = [s for s in steps if s.step == kind]
    return found[-1] if found else None


def _evaluation(step: Step | None) -> Mapping[str, Any]:
    if step is None:
        return {}
    return (step.snapshot or {}).get("evaluation") or {}


class Redactor:
    """Free text as the report may print it: ID and mobile numbers masked, and the names of the
    persons and households behind any snapshot's shortfalls (``rows[].name``) blotted out."""

    def __init__(self, steps: list[Step]) -> None:
        names = {
            str(row.get("name") or "")
            for s in steps
            for entry in ((s.snapshot or {}).get("behind") or {}).values()
            for row in (entry or {}).get("rows") or []
        }
        # Longest first, so that a name inside a longer one goes with it; a single character
        # is no name to look for (it would blot out ordinary words).
        self.names = sorted((n for n in names if len(n) >= 2), key=len, reverse=True)

    def __call__(self, value: Any) -> str:
        if not value:
            return ""
        text = mask_text(str(value))
        for name in self.names:
            text = text.replace(name, "＊" * len(name))
        return text


def _day(value: Any) -> str:
    """The date part of an ISO date or time ("2026-12-04T10:30" → "2026-12-04")."""
    return str(value)[:10] if value else ""


def _tick(tick: Mapping[str, Any] | None, text: Redactor) -> dict[str, Any] | None:
    if not tick:
        return None
    return {
        "ticked": bool(tick.get("ticked")),
        "note": text(tick.get("note")),
        "evidence": text(tick.get("evidence")),
        "by": tick.get("by") or "",
        "on": _day(tick.get("at")),
    }


def _criteria(evaluation: Mapping[str, Any], behind: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = criterion_rows(evaluation.get("criteria") or [])
    for row in rows:
        entry = behind.get(row["id"]) or {}
        row["behind"] = entry.get("total") if entry else None  # how many, never who
    return rows


def _checklist(evaluation: Mapping[str, Any], text: Redactor) -> list[dict[str, Any]]:
    return [
        {
            "id": item.get("id", ""),
            "text": item.get("text", ""),
            "ticks": [_tick(item.get(role), text) for role in TICK_ROLES],
            "satisfied": item.get("satisfied"),
        }
        for item in evaluation.get("checklist") or []
    ]


def _score(latest: Mapping[str, Any], columns: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The points table: rows from the latest snapshot, each column from its own step's
    (``columns``: the submit, review and accept evaluations, empty where not taken)."""
    score = latest.get("score")
    if not score:
        return None
    scores = [(evaluation.get("score") or {}) for evaluation in columns]
    by_item = [{i.get("id"): i for i in s.get("items") or []} for s in scores]
    items = []
    for item in score.get("items") or []:
        cells = []
        for role, found in zip(TICK_ROLES, by_item, strict=True):
            column_item = found.get(item.get("id"))
            cells.append(column_item.get(role) if column_item else None)
        items.append(
            {
                "no": item.get("no"),
                "name": item.get("name"),
                "points": item.get("points"),
                "cells": cells,
            }
        )
    totals = [
        s.get(f"{role}_total") if s else None for role, s in zip(TICK_ROLES, scores, strict=True)
    ]
    pass_mark = score.get("pass_mark")
    return {
        "items": items,
        "total_points": score.get("total_points"),
        "totals": totals,
        "pass_mark": pass_mark if pass_mark not in (None, "") else None,
    }


def _signature(step: Step | None, text: Redactor) -> dict[str, Any] | None:
    if step is None:
        return None
    return {
        "user": step.user_name,
        "on": timezone.localtime(step.at).date() if step.at else step.on,
        "decision": Decision(step.decision).label if step.decision in Decision.values else "",
        "returned": step.decision == Decision.RETURN,
        "note": text(step.note),
    }


def _role_label(role: str) -> str:
    return str(TickRole(role).label) if role in TickRole.values else role


def _level_label(level: str) -> str:
    return str(Level(level).label) if level in Level.values else level


def report_context(application: Application) -> dict[str, Any]:
    """What ``certification/report.html`` reads: the application's facts and its snapshots."""
    steps = list(application.steps.order_by("id"))
    current = [s for s in steps if s.revision == application.revision]
    latest = (current or steps)[-1] if steps else None
    snapshot: Mapping[str, Any] = (latest.snapshot or {}) if latest else {}
    evaluation = _evaluation(latest)
    ruleset = snapshot.get("ruleset") or {}
    submit = _latest(current, StepKind.SUBMIT)
    review = _latest(current, StepKind.REVIEW)
    accept = _latest(current, StepKind.ACCEPT)
    unit_level = evaluation.get("unit_level") or application.unit.level
    text = Redactor(steps)
    digest = ruleset.get("hash") or (latest.ruleset_hash if latest else "")
    return {
        "application": application,
        "state": application.get_state_display(),
        "unit": {
            "code": evaluation.get("unit") or application.unit.code,
            "name": evaluation.get("unit_name") or application.unit.name,
            "level": _level_label(unit_level),
        },
        "ruleset": {
            "id": ruleset.get("id") or application.ruleset,
            "name": ruleset.get("name") or evaluation.get("ruleset") or application.ruleset,
            "version": ruleset.get("version") or (latest.ruleset_version if latest else ""),
            "hash": spaced_hash(digest),
            "level_name": ruleset.get("level_name") or evaluation.get("level_name") or "",
        },
        "latest": latest,
        "latest_step": StepKind(latest.step).label if latest else "",
        "evaluated_on": _day(evaluation.get("date")),
        "criteria_passed": evaluation.get("criteria_passed"),
        "criteria": _criteria(evaluation, snapshot.get("behind") or {}),
        "checklist": _checklist(evaluation, text),
        # A street or a district is reviewed by no street: no 初核 column in its checklist.
        "street_column": unit_level in COMMUNITY_LEVELS,
        "score": _score(
            evaluation, [_evaluation(submit), _evaluation(review), _evaluation(accept)]
        ),
        "children": [
            {
                "code": c.get("code", ""),
                "name": c.get("name", ""),
                "level": _level_label(c.get("level", "")),
                "certified": bool(c.get("certified")),
                "on": _day(c.get("certified_on")),
            }
            for c in snapshot.get("children") or []
        ],
        "evidence": [
            {
                "item": e.get("item", ""),
                "role": _role_label(e.get("role", "")),
                "name": text(e.get("name")),
                "size": e.get("size"),
                "sha256": spaced_hash(str(e.get("sha256") or "")[:16]),
                "by": e.get("by") or "",
                "on": _day(e.get("at")),
            }
            for e in snapshot.get("evidence") or []
        ],
        "signatures": [
            (_("自评单位（盖章）"), _signature(submit, text)),
            (_("街道初核意见"), _signature(review, text)),
            (_("区验收意见"), _signature(accept, text)),
        ],
        "generated": timezone.localtime(),
    }
