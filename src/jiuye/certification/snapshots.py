"""The frozen snapshot of a certification step or re-check (DOMAIN §7): the whole evaluation as
``jiuye evaluate --json`` gives it, the persons or households behind each shortfall, the child
units' certifications a street or district applies with, the evidence files, and the rule
set's version and content hash. Built once, stored as JSON, never recomputed: later data
cannot change what a reviewer decided on.

Shape (``Step.snapshot`` and ``Recheck.snapshot``)::

    {"evaluation": {...evaluate --json...},
     "behind": {"<criterion id>": {"indicator", "title", "total", "capped",
                                   "rows": [{"kind", "name", "detail", "community", "on"}]}},
     "ruleset": {"id", "name", "version", "hash", "level", "level_name", "pass_mark"},
     "children": [{"code", "name", "level", "certified", "certified_on",
                   "certification_level"}],
     "evidence": [{"item", "role", "name", "size", "sha256", "by", "at"}]}
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from jiuye.accounts.models import User
from jiuye.certification.models import EvidenceFile
from jiuye.standards.behind import behind
from jiuye.standards.evaluation import UnitEvaluation, children_certifications
from jiuye.standards.rulesets import RuleSet
from jiuye.units.models import Unit
from jiuye.units.scope import SYSTEM

# Rows kept per shortfall: a street's list can run to thousands; the count is always kept.
BEHIND_ROWS = 500


def behind_shortfalls(result: UnitEvaluation) -> dict[str, dict[str, Any]]:
    """For each failed criterion, who is behind it (read with system access: the snapshot is
    shown only to those who see the unit, who see these persons too)."""
    found: dict[str, dict[str, Any]] = {}
    for r in result.evaluation.failed:
        page = behind(
            indicator=r.criterion.indicator,
            unit=result.unit,
            period=result.period,
            user=cast(User, SYSTEM),  # the scope lets SYSTEM see everything
            ruleset=result.ruleset.id,
            limit=BEHIND_ROWS,
        )
        found[r.criterion.id] = {
            "indicator": r.criterion.indicator,
            "title": page.title,
            "total": page.total,
            "capped": page.capped,
            "rows": [
                {
                    "kind": row.kind,
                    "name": row.name,
                    "detail": row.detail,
                    "community": row.community_id,
                    "on": row.on.isoformat() if row.on else None,
                }
                for row in page.rows
            ],
        }
    return found


def ruleset_json(ruleset: RuleSet, level_key: str) -> dict[str, Any]:
    level = ruleset.levels[level_key]
    return {
        "id": ruleset.id,
        "name": ruleset.name,
        "version": ruleset.version,
        "hash": ruleset.digest,
        "level": level.key,
        "level_name": level.name,
        "pass_mark": level.score.pass_mark if level.score is not None else None,
    }


def children_json(unit: Unit, ruleset: RuleSet, on: date) -> list[dict[str, Any]]:
    """A street's communities (a district's streets) with their certification in force: what
    it applies with (DOMAIN §7)."""
    rows = []
    for child, certification in children_certifications(unit=unit, ruleset=ruleset.id, on=on):
        level = ruleset.levels.get(certification.level) if certification else None
        rows.append(
            {
                "code": child.code,
                "name": child.name,
                "level": child.level,
                "certified": certification is not None,
                "certified_on": certification.certified_on.isoformat() if certification else None,
                "certification_level": (level.name if level else certification.level)
                if certification
                else None,
            }
        )
    return rows


def evidence_json(unit: Unit, ruleset: RuleSet, year: int) -> list[dict[str, Any]]:
    files = EvidenceFile.objects.filter(unit=unit, ruleset=ruleset.id, year=year).only(
        "item", "role", "name", "size", "sha256", "by_name", "at"
    )
    return [
        {
            "item": f.item,
            "role": f.role,
            "name": f.name,
            "size": f.size,
            "sha256": f.sha256,
            "by": f.by_name,
            "at": f.at.isoformat(timespec="minutes"),
        }
        for f in files
    ]


def snapshot(result: UnitEvaluation, *, year: int) -> dict[str, Any]:
    """The whole record of ``result`` as it stands now, for a step taken on it."""
    return {
        "evaluation": result.as_json(),
        "behind": behind_shortfalls(result),
        "ruleset": ruleset_json(result.ruleset, result.level.key),
        "children": children_json(result.unit, result.ruleset, result.period.end),
        "evidence": evidence_json(result.unit, result.ruleset, year),
    }
