"""The QG-2016 100-point table (DOMAIN §6, the annex of policy 003), as data and a pure scorer.

Every item starts at its points and loses its deductions, floored at 0. A deduction is one of:

- ``criterion``: the points if ``indicator op threshold`` fails (all-or-nothing items 2–4, the
  "records disagree with reality" deduction of item 5, the long-term assisted person of item 8);
- ``per_count``: the points times an integer indicator (a difficult person's missed quarter);
- ``per_point_below``: the points per percentage point (or part of one) a rate lies below a
  target (visit rate under 100 %: 97.5 % is 3 points below → −3);
- ``checklist``: the points unless a reviewer ticked the item (organisation, plans, the job
  board…), entered by the self-assessor and the assessor separately;
- ``system``: something the system itself satisfies (the ledgers are kept, computerised), shown
  with the reason, never deducted.

Data-decided deductions are the same in every column; only checklist deductions differ, so the
self score, the street's review and the acceptance score are shown side by side (自评 / 初核 /
验收, DOMAIN readings of 2026-12).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from django.utils.translation import gettext as _

from jiuye.standards.rules import Fact, Op, Ratio, Unavailable, compare

DeductionKind = Literal["criterion", "per_count", "per_point_below", "checklist", "system"]
DEDUCTION_KINDS: tuple[DeductionKind, ...] = (
    "criterion",
    "per_count",
    "per_point_below",
    "checklist",
    "system",
)


@dataclass(frozen=True, slots=True)
class Deduction:
    id: str
    text: str
    points: int
    kind: DeductionKind
    indicator: str = ""
    op: Op = ">="
    threshold: Fraction = Fraction(0)

    @property
    def data(self) -> bool:
        return self.kind not in ("checklist", "system")


@dataclass(frozen=True, slots=True)
class ScoreItem:
    no: int
    id: str
    name: str
    points: int
    deductions: tuple[Deduction, ...]
    text: str = ""


@dataclass(frozen=True, slots=True)
class ScoreTable:
    items: tuple[ScoreItem, ...]
    pass_mark: int | None = None  # None: the document sets none, the assessor decides

    @property
    def total_points(self) -> int:
        return sum(item.points for item in self.items)

    def indicators(self) -> set[str]:
        return {d.indicator for item in self.items for d in item.deductions if d.indicator}

    def checklist_ids(self) -> list[str]:
        return [d.id for item in self.items for d in item.deductions if d.kind == "checklist"]


@dataclass(frozen=True, slots=True)
class DeductionResult:
    deduction: Deduction
    self_points: int  # deducted in the self-assessment column
    assessor_points: int  # in the acceptance column (验收)
    detail: str = ""
    value: float | int | None = None
    # The indicator needs a year without a holiday calendar: nothing deducted yet, and the
    # totals are provisional (issue 11, finding 8).
    unavailable: Unavailable | None = None
    street_points: int = 0  # in the street review column (初核)


@dataclass(frozen=True, slots=True)
class ItemScore:
    item: ScoreItem
    deductions: tuple[DeductionResult, ...]

    @property
    def self_score(self) -> int:
        return max(0, self.item.points - sum(d.self_points for d in self.deductions))

    @property
    def street_score(self) -> int:
        return max(0, self.item.points - sum(d.street_points for d in self.deductions))

    @property
    def assessor_score(self) -> int:
        return max(0, self.item.points - sum(d.assessor_points for d in self.deductions))


@dataclass(frozen=True, slots=True)
class ScoreResult:
    table: ScoreTable
    items: tuple[ItemScore, ...] = field(default_factory=tuple)

    @property
    def self_total(self) -> int:
        return sum(i.self_score for i in self.items)

    @property
    def street_total(self) -> int:
        return sum(i.street_score for i in self.items)

    @property
    def assessor_total(self) -> int:
        return sum(i.assessor_score for i in self.items)

    @property
    def unavailable(self) -> tuple[DeductionResult, ...]:
        """Data deductions not decided yet (a year without a holiday calendar)."""
        return tuple(d for i in self.items for d in i.deductions if d.unavailable is not None)

    @property
    def passed(self) -> bool | None:
        """By the assessor's total against the pass mark (None without a pass mark, or while a
        deduction that could still fail it is unavailable)."""
        if self.table.pass_mark is None:
            return None
        passed = self.assessor_total >= self.table.pass_mark
        # An undecided deduction can only lower the total: a pass is not known yet.
        return None if passed and self.unavailable else passed


def _value(fact: Fact) -> float | int | None:
    if isinstance(fact, Ratio):
        return fact.value
    return fact if isinstance(fact, int) else None


def points_below(fact: Fact, target: Fraction) -> int:
    """Whole or started percentage points ``fact`` lies below ``target`` (0 without a value)."""
    if not isinstance(fact, Ratio) or fact.fraction is None:
        return 0
    short = (target - fact.fraction) * 100
    return max(0, math.ceil(short))


def data_deduction(deduction: Deduction, fact: Fact) -> tuple[int, str]:
    """Points a data-decided deduction takes, and why."""
    if isinstance(fact, Unavailable):
        return 0, fact.reason
    if deduction.kind == "criterion":
        if fact is None:
            return 0, _("无数据来源")
        if isinstance(fact, Ratio):
            value = fact.fraction
            if value is None:
                return 0, _("分母为0，不扣分")
            failed = not compare(value, deduction.op, deduction.threshold)
            return (deduction.points if failed else 0), f"{fact.numerator}/{fact.denominator}"
        failed = not compare(Fraction(fact), deduction.op, deduction.threshold)
        return (deduction.points if failed else 0), str(fact)
    if deduction.kind == "per_count":
        count = fact if isinstance(fact, int) else 0
        return deduction.points * count, str(count)
    if deduction.kind == "per_point_below":
        below = points_below(fact, deduction.threshold)
        detail = f"{fact.numerator}/{fact.denominator}" if isinstance(fact, Ratio) else _("无数据")
        return deduction.points * below, detail
    raise ValueError(f"not a data deduction: {deduction.kind}")


def score(
    *,
    table: ScoreTable,
    facts: Mapping[str, Fact],
    self_ticks: Mapping[str, bool],
    assessor_ticks: Mapping[str, bool],
    street_ticks: Mapping[str, bool] | None = None,
) -> ScoreResult:
    """Score every item: data deductions from ``facts``, checklist deductions from each
    column's ticks (an item nobody ticked is deducted)."""
    street_ticks = street_ticks or {}
    items = []
    automatic = _("系统自动满足")  # once, not per deduction: a city scores 5,000 units
    for item in table.items:
        results = []
        for d in item.deductions:
            if d.kind == "system":
                results.append(DeductionResult(d, 0, 0, automatic))
            elif d.kind == "checklist":
                results.append(
                    DeductionResult(
                        d,
                        0 if self_ticks.get(d.id) else d.points,
                        0 if assessor_ticks.get(d.id) else d.points,
                        street_points=0 if street_ticks.get(d.id) else d.points,
                    )
                )
            else:
                fact = facts[d.indicator]
                points, detail = data_deduction(d, fact)
                missing = fact if isinstance(fact, Unavailable) else None
                results.append(
                    DeductionResult(
                        d, points, points, detail, _value(fact), missing, street_points=points
                    )
                )
        items.append(ItemScore(item, tuple(results)))
    return ScoreResult(table, tuple(items))


def parse_table(raw: Mapping[str, Any], *, known_indicators: set[str]) -> ScoreTable:
    """A score table from its rule-set data (see ``rulesets/qg-2016.toml``)."""
    from jiuye.standards.rules import OPS, threshold_fraction

    items = []
    for raw_item in raw.get("items", []):
        deductions = []
        for raw_d in raw_item.get("deductions", []):
            kind = raw_d["kind"]
            if kind not in DEDUCTION_KINDS:
                raise ValueError(f"{raw_d.get('id')}: unknown deduction kind {kind!r}")
            indicator = raw_d.get("indicator", "")
            if kind in ("criterion", "per_count", "per_point_below") and (
                indicator not in known_indicators
            ):
                raise ValueError(f"{raw_d.get('id')}: unknown indicator {indicator!r}")
            op = raw_d.get("op", ">=")
            if op not in OPS:
                raise ValueError(f"{raw_d.get('id')}: unknown operator {op!r}")
            deductions.append(
                Deduction(
                    id=str(raw_d["id"]),
                    text=str(raw_d.get("text", "")),
                    points=int(raw_d["points"]),
                    kind=kind,
                    indicator=indicator,
                    op=op,
                    threshold=threshold_fraction(raw_d.get("threshold", 0)),
                )
            )
        items.append(
            ScoreItem(
                no=int(raw_item["no"]),
                id=str(raw_item["id"]),
                name=str(raw_item["name"]),
                points=int(raw_item["points"]),
                deductions=tuple(deductions),
                text=str(raw_item.get("text", "")),
            )
        )
    pass_mark = raw.get("pass_mark")
    return ScoreTable(tuple(items), int(pass_mark) if pass_mark not in (None, "") else None)
