"""A unit's standing under a rule set at a date: the indicators (``indicators``), the pure
evaluation (``rules``), the reviewers' checklist ticks and, for a points table, the score
(``scoring``), assembled into one result whose ``as_json`` is the ``jiuye evaluate --json``
contract of DESIGN.md.

:func:`evaluate_units` evaluates every unit under a root at once (one fact sheet: one query per
indicator for all communities, roll-ups in memory), which is what the dashboard and the
benchmark use; :func:`evaluate_unit` is the same for one unit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q

from jiuye.standards.indicators import CHILD_LEVELS, Period, fact_sheet
from jiuye.standards.models import Certification, ChecklistTick, TickRole
from jiuye.standards.rules import (
    ChecklistItem,
    CriterionResult,
    Evaluation,
    Fact,
    Level,
    Ratio,
    evaluate,
    needed_indicators,
)
from jiuye.standards.rulesets import RuleSet, RuleSetError
from jiuye.standards.scoring import ScoreResult, score
from jiuye.units.models import Level as UnitLevel
from jiuye.units.models import Unit


@dataclass(frozen=True)
class Tick:
    ticked: bool
    note: str = ""
    evidence: str = ""
    by: str = ""
    at: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "ticked": self.ticked,
            "note": self.note,
            "evidence": self.evidence,
            "by": self.by,
            "at": self.at,
        }


@dataclass(frozen=True)
class ChecklistState:
    item: ChecklistItem
    self_tick: Tick | None
    assessor_tick: Tick | None
    street_tick: Tick | None = None

    @property
    def satisfied(self) -> bool:
        """Confirmed by the assessor (a self tick alone is a claim)."""
        return bool(self.assessor_tick and self.assessor_tick.ticked)


@dataclass
class UnitEvaluation:
    unit: Unit
    ruleset: RuleSet
    level: Level
    period: Period
    evaluation: Evaluation
    checklist: list[ChecklistState]
    facts: dict[str, Fact]
    source: str
    score: ScoreResult | None = None
    ticks: dict[tuple[str, str], Tick] = field(default_factory=dict)

    @property
    def criteria_passed(self) -> bool:
        return self.evaluation.passed

    @property
    def checklist_complete(self) -> bool:
        return all(c.satisfied for c in self.checklist)

    @property
    def passed(self) -> bool:
        """Every criterion met and every checklist item confirmed by the assessor."""
        return self.criteria_passed and self.checklist_complete

    @property
    def criteria_undecided(self) -> bool:
        """The criteria fall short only by values not computed yet (a year without a holiday
        calendar): neither passed nor failed."""
        return self.evaluation.undecided

    @property
    def undecided(self) -> bool:
        """Not passed only because of unavailable values: the answer waits for the holiday
        calendar (``passed`` stays false until then)."""
        return self.criteria_undecided and self.checklist_complete

    @property
    def results(self) -> tuple[CriterionResult, ...]:
        return self.evaluation.results

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "unit": self.unit.code,
            "unit_name": self.unit.name,
            "unit_level": self.unit.level,
            "ruleset": self.ruleset.id,
            "level": self.level.key,
            "level_name": self.level.name,
            "date": self.period.end.isoformat(),
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "passed": self.passed,
            # Added by issue 11, finding 8: true when "passed" is false only because some
            # values need a year without a holiday calendar (each criterion says which).
            "undecided": self.undecided,
            "criteria_passed": self.criteria_passed,
            "checklist_complete": self.checklist_complete,
            "source": self.source,
            "criteria": [criterion_json(r) for r in self.results],
            "checklist": [
                {
                    "id": c.item.id,
                    "rule": c.item.rule,
                    "text": c.item.text,
                    "self": c.self_tick.as_json() if c.self_tick else None,
                    # Added by issue 14: the street's review (初核) between the two.
                    "street": c.street_tick.as_json() if c.street_tick else None,
                    "assessor": c.assessor_tick.as_json() if c.assessor_tick else None,
                    "satisfied": c.satisfied,
                }
                for c in self.checklist
            ],
        }
        # Rule sets with a points table (QG-2016) add the score; null for the others.
        data["score"] = score_json(self.score, self.ticks) if self.score is not None else None
        return data


def _number(value: float | int | None) -> float | int | None:
    if isinstance(value, float):
        return round(value, 6)
    return value


def criterion_json(r: CriterionResult) -> dict[str, Any]:
    c = r.criterion
    return {
        "id": c.id,
        "rule": c.rule,
        "indicator": c.indicator,
        "op": c.op,
        "threshold": c.threshold_number,
        "value": _number(r.value),
        "numerator": r.numerator,
        "denominator": r.denominator,
        "passed": r.passed,
        "gap": r.gap,
        "note": r.note,
        "text": c.text,
        # null, or {"years": [...], "reason": ...}: the value needs working days of years
        # without a holiday calendar, so it is null and "passed" is null (undecided).
        "unavailable": r.unavailable.as_json() if r.unavailable else None,
    }


def score_json(result: ScoreResult, ticks: dict[tuple[str, str], Tick]) -> dict[str, Any]:
    return {
        "total_points": result.table.total_points,
        "self_total": result.self_total,
        "street_total": result.street_total,  # added by issue 14 (初核)
        "assessor_total": result.assessor_total,
        "pass_mark": result.table.pass_mark,
        "passed": result.passed,
        "items": [
            {
                "no": item.item.no,
                "id": item.item.id,
                "name": item.item.name,
                "points": item.item.points,
                "self": item.self_score,
                "street": item.street_score,
                "assessor": item.assessor_score,
                "deductions": [
                    {
                        "id": d.deduction.id,
                        "text": d.deduction.text,
                        "kind": d.deduction.kind,
                        "points": d.deduction.points,
                        "data": d.deduction.data,
                        "self": d.self_points,
                        "street": d.street_points,
                        "assessor": d.assessor_points,
                        "detail": d.detail,
                        "value": _number(d.value),
                        "unavailable": d.unavailable.as_json() if d.unavailable else None,
                    }
                    for d in item.deductions
                ],
            }
            for item in result.items
        ],
    }


def _ticks(units: Iterable[int], ruleset: str, year: int) -> dict[int, dict[tuple[str, str], Tick]]:
    found: dict[int, dict[tuple[str, str], Tick]] = defaultdict(dict)
    rows = ChecklistTick.objects.filter(
        unit_id__in=list(units), ruleset=ruleset, year=year
    ).values_list("unit_id", "item", "role", "ticked", "note", "evidence", "by_name", "updated_at")
    for unit_id, item, role, ticked, note, evidence, by, at in rows:
        found[unit_id][(item, role)] = Tick(
            ticked, note, evidence, by, at.isoformat(timespec="minutes") if at else ""
        )
    return found


def _assemble(
    unit: Unit,
    ruleset: RuleSet,
    level: Level,
    period: Period,
    facts: dict[str, Fact],
    source: str,
    ticks: dict[tuple[str, str], Tick],
) -> UnitEvaluation:
    evaluation = evaluate(facts=facts, level=level)
    checklist = [
        ChecklistState(
            item,
            ticks.get((item.id, TickRole.SELF)),
            ticks.get((item.id, TickRole.ASSESSOR)),
            ticks.get((item.id, TickRole.STREET)),
        )
        for item in level.checklist
    ]
    result = None
    if level.score is not None:

        def column(wanted: TickRole) -> dict[str, bool]:
            return {i: t.ticked for (i, role), t in ticks.items() if role == wanted}

        result = score(
            table=level.score,
            facts=facts,
            self_ticks=column(TickRole.SELF),
            assessor_ticks=column(TickRole.ASSESSOR),
            street_ticks=column(TickRole.STREET),
        )
    return UnitEvaluation(
        unit, ruleset, level, period, evaluation, checklist, facts, source, result, ticks
    )


def level_for(ruleset: RuleSet, unit: Unit, level_key: str | None = None) -> Level:
    if level_key:
        level = ruleset.level(level_key)
        if unit.level not in level.units:
            raise RuleSetError(
                f"{ruleset.id} level {level_key!r} does not apply to a {unit.get_level_display()}"
            )
        return level
    default = ruleset.default_level(unit.level)
    if default is None:
        raise RuleSetError(f"{ruleset.id} has no level for a {unit.get_level_display()}")
    return default


def evaluate_units(
    *,
    root: Unit | None,
    ruleset: RuleSet,
    on: date,
    start: date | None = None,
    level_key: str | None = None,
    source: str = "auto",
    units: Iterable[Unit] | None = None,
    parallel: bool = False,
) -> list[UnitEvaluation]:
    """Every unit under ``root`` (itself included; None: every unit, a city's several district
    roots in one fact sheet) that a level of ``ruleset`` applies to (``level_key``: only that
    level's units), or only ``units`` (all under ``root``). ``parallel``: see
    :func:`~jiuye.standards.indicators.fact_sheet` (background work only)."""
    if units is not None:
        targets = list(units)
    else:
        under = (
            Unit.objects.all() if root is None else Unit.objects.filter(path__startswith=root.path)
        )
        candidates = under.exclude(level=UnitLevel.GRID)
        targets = [u for u in candidates.order_by("path") if ruleset.levels_for(u.level)]
    chosen: list[tuple[Unit, Level]] = []
    for unit in targets:
        if level_key:
            level = ruleset.levels.get(level_key)
            if level is None:
                raise RuleSetError(f"{ruleset.id} has no level {level_key!r}")
            if unit.level in level.units:
                chosen.append((unit, level))
        else:
            default = ruleset.default_level(unit.level)
            if default is not None:
                chosen.append((unit, default))
    by_level = {level.key: needed_indicators(level) for _unit, level in chosen}
    needed: set[str] = set().union(*by_level.values())
    sheet = fact_sheet(
        root=root,
        on=on,
        start=start,
        ruleset=ruleset.id,
        indicators=needed,
        source=source,
        parallel=parallel,
    )
    ticks = _ticks([u.pk for u, _ in chosen], ruleset.id, on.year)
    return [
        _assemble(
            unit,
            ruleset,
            level,
            sheet.period,
            sheet.facts_for(unit, by_level[level.key]),
            sheet.source,
            ticks.get(unit.pk, {}),
        )
        for unit, level in chosen
    ]


def evaluate_unit(
    *,
    unit: Unit,
    ruleset: RuleSet,
    on: date,
    start: date | None = None,
    level_key: str | None = None,
    source: str = "auto",
) -> UnitEvaluation:
    level = level_for(ruleset, unit, level_key)
    return evaluate_units(
        root=unit,
        ruleset=ruleset,
        on=on,
        start=start,
        level_key=level.key,
        source=source,
        units=[unit],
    )[0]


def certifications_in_force(
    *, ruleset: str, on: date, unit_ids: Iterable[int]
) -> dict[int, Certification]:
    """Per unit, its certification under ``ruleset`` in force at ``on``: certified on or before
    ``on`` and not revoked by then (revoked on ``on``: no longer in force that day), the same
    reading as ``certified_children_share``. The latest when several are in force."""
    found: dict[int, Certification] = {}
    ids = list(unit_ids)
    if not ids:
        return found
    rows = Certification.objects.filter(
        Q(revoked_on__isnull=True) | Q(revoked_on__gt=on),
        ruleset=ruleset,
        certified_on__lte=on,
        unit_id__in=ids,
    ).order_by("certified_on", "pk")
    for certification in rows:
        found[certification.unit_id] = certification
    return found


def children_certifications(
    *, unit: Unit, ruleset: str, on: date
) -> list[tuple[Unit, Certification | None]]:
    """The child units ``certified_children_share`` counts for ``unit`` (a street's communities,
    a district's streets…), each with its certification in force at ``on`` or None."""
    levels = CHILD_LEVELS.get(UnitLevel(unit.level), ())
    if not levels:
        return []
    children = list(Unit.objects.filter(parent=unit, level__in=levels).order_by("code"))
    certified = certifications_in_force(ruleset=ruleset, on=on, unit_ids=[c.pk for c in children])
    return [(child, certified.get(child.pk)) for child in children]


def ratio_text(fact: Fact) -> str:
    if isinstance(fact, Ratio):
        return f"{fact.numerator}/{fact.denominator}"
    return str(fact) if isinstance(fact, int) else ""
