"""Rule evaluation: a pure function of indicator values and one level of a rule set.

No database, no clock: ``evaluate(facts=..., level=...)`` decides each criterion and counts its
gap (how many placements, eliminations, contacts… are still needed to pass), with exact
rational arithmetic, so exactly 90 % passes ``>= 90%``.

- A ratio with an empty denominator has no value: the criterion passes and says so (DOMAIN §5).
- An indicator with no data source (``None``) cannot be assessed: the criterion is neither passed
  nor failed (``passed`` None), and the level does not pass while one such criterion remains.
- An indicator that needs working days of a year the holiday calendar does not know is
  :class:`Unavailable` (issue 11, finding 8): the criterion is undecided (``passed`` None, the
  reason and fix in its note) until the year's holidays are installed; a level whose only
  shortfall is such criteria is undecided (:attr:`Evaluation.undecided`), not failed.
- Checklist items are answered by reviewers; :func:`evaluate` reports the criteria, the service
  layer adds the ticks (see ``services.evaluate_unit``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal, Protocol

from django.utils.translation import gettext_lazy as _

from jiuye.lib.workdays import unavailable_text

Op = Literal[">=", "<=", "=", ">", "<"]
OPS: tuple[Op, ...] = (">=", "<=", "=", ">", "<")


@dataclass(frozen=True, slots=True)
class Ratio:
    """numerator / denominator; no value when the denominator is 0."""

    numerator: int
    denominator: int

    @property
    def fraction(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.numerator + other.numerator, self.denominator + other.denominator)


@dataclass(frozen=True, slots=True)
class Unavailable:
    """A value that needs working days of ``years``, which the holiday calendar does not know
    yet: not computed (never on a guessed calendar), with the fix."""

    years: tuple[int, ...]

    @property
    def reason(self) -> str:
        return unavailable_text(self.years)

    def as_json(self) -> dict[str, Any]:
        return {"years": list(self.years), "reason": self.reason}


# What an indicator evaluates to for one unit: a ratio, an integer, None (no data source), or
# unavailable (a year without a holiday calendar).
Fact = Ratio | int | Unavailable | None


class Describes(Protocol):
    """What the evaluation reads of a criterion's indicator (``standards.indicators``' object,
    attached by the rule-set parser): its kind and how its gap is counted."""

    @property
    def id(self) -> str: ...

    @property
    def label(self) -> Any: ...

    @property
    def kind(self) -> str: ...

    @property
    def gap(self) -> str | None: ...

    @property
    def has_data(self) -> bool: ...

    def gap_text(self, gap: int | None) -> str: ...


def threshold_fraction(value: Any) -> Fraction:
    """A threshold as written in a rule set (0.9, 0.015, 1, "0.9") as an exact fraction: the
    decimal text is what counts, not its binary float."""
    if isinstance(value, bool):
        raise ValueError(f"threshold must be a number, got {value!r}")
    if isinstance(value, int | float | str):
        return Fraction(str(value))
    raise ValueError(f"threshold must be a number, got {value!r}")


@dataclass(frozen=True, slots=True)
class Criterion:
    """``indicator op threshold``, citing the DOMAIN rule it implements."""

    id: str
    indicator: str
    op: Op
    threshold: Fraction
    rule: str = ""
    clause: str = ""
    text: str = ""
    # The indicator's description (the rule-set parser attaches it; None: not yet known, which
    # only an indicator with no data source can be evaluated without).
    info: Describes | None = field(default=None, compare=False, repr=False)

    @property
    def threshold_number(self) -> float | int:
        """The threshold for display and JSON (an int when whole)."""
        if self.threshold.denominator == 1:
            return int(self.threshold)
        return float(self.threshold)


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """Something no data can decide: a reviewer ticks it, with a note and evidence."""

    id: str
    text: str
    rule: str = ""
    clause: str = ""


@dataclass(frozen=True, slots=True)
class Level:
    """One level of a rule set (community, street…): its criteria and checklist."""

    key: str
    name: str
    units: tuple[str, ...]
    criteria: tuple[Criterion, ...] = ()
    checklist: tuple[ChecklistItem, ...] = ()
    score: Any = None  # a scoring.ScoreTable, for rule sets with a points table
    certify: bool = True


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: Criterion
    fact: Fact
    passed: bool | None  # None: not assessable (no data source)
    gap: int | None
    note: str = ""

    @property
    def value(self) -> float | int | None:
        if isinstance(self.fact, Ratio):
            return self.fact.value
        return self.fact if isinstance(self.fact, int) else None

    @property
    def unavailable(self) -> Unavailable | None:
        """Why the value is not computed yet (a year without a holiday calendar), or None."""
        return self.fact if isinstance(self.fact, Unavailable) else None

    @property
    def numerator(self) -> int | None:
        return self.fact.numerator if isinstance(self.fact, Ratio) else None

    @property
    def denominator(self) -> int | None:
        return self.fact.denominator if isinstance(self.fact, Ratio) else None


@dataclass(frozen=True, slots=True)
class Evaluation:
    level: Level
    results: tuple[CriterionResult, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """Every criterion passed (a not-assessable one does not)."""
        return all(r.passed is True for r in self.results)

    @property
    def failed(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if r.passed is not True)

    @property
    def undecided(self) -> bool:
        """Not passed only because some values are unavailable (a year without a holiday
        calendar): neither passed nor failed until they can be computed."""
        return bool(self.failed) and all(r.unavailable is not None for r in self.failed)


def compare(value: Fraction, op: Op, threshold: Fraction) -> bool:
    if op == ">=":
        return value >= threshold
    if op == "<=":
        return value <= threshold
    if op == ">":
        return value > threshold
    if op == "<":
        return value < threshold
    return value == threshold


def _at_least(numerator: int, denominator: int, threshold: Fraction, strict: bool) -> int:
    """Smallest k >= 0 with (numerator + k) / denominator >= (or >) threshold."""
    need = threshold * denominator - numerator
    k = math.floor(need) + 1 if strict else math.ceil(need)
    return max(0, k)


def _at_most(numerator: int, denominator: int, threshold: Fraction, strict: bool) -> int:
    """Smallest k >= 0 with (numerator - k) / denominator <= (or <) threshold."""
    excess = numerator - threshold * denominator
    k = math.floor(excess) + 1 if strict else math.ceil(excess)
    return max(0, min(k, numerator))


def _added(numerator: int, denominator: int, threshold: Fraction, strict: bool) -> int | None:
    """Smallest k >= 0 with (numerator + k) / (denominator + k) >= (or >) threshold; None when
    no number of new records can reach it (a threshold of 100 % with a miss on record)."""
    if compare(Fraction(numerator, denominator), ">" if strict else ">=", threshold):
        return 0
    if threshold >= 1:
        return None
    # (n + k) >= t (d + k)  <=>  k >= (t d - n) / (1 - t)
    need = (threshold * denominator - numerator) / (1 - threshold)
    k = math.floor(need) + 1 if strict else math.ceil(need)
    return max(0, k)


def ratio_gap(ratio: Ratio, op: Op, threshold: Fraction, mode: str | None) -> int | None:
    """How many steps (``mode``: see ``indicators.base``) until ``ratio op threshold`` holds (0
    if it holds)."""
    n, d = ratio.numerator, ratio.denominator
    if not d or mode is None:
        return 0 if not d else None
    if op == "=":
        if threshold >= 1:
            op = ">="
        elif threshold <= 0:
            op = "<="
        else:
            return None if Fraction(n, d) != threshold else 0
    if op in (">=", ">"):
        if mode == "add":
            return _added(n, d, threshold, op == ">")
        return _at_least(n, d, threshold, op == ">")
    return _at_most(n, d, threshold, op == "<")


def count_gap(value: int, op: Op, threshold: Fraction) -> int:
    """How many steps of one an integer is from ``op threshold`` (0 if it holds)."""
    if compare(Fraction(value), op, threshold):
        return 0
    if op == "<=":
        return value - math.floor(threshold)
    if op == "<":
        return value - (math.ceil(threshold) - 1)
    if op == ">=":
        return math.ceil(threshold) - value
    if op == ">":
        return math.floor(threshold) + 1 - value
    return abs(value - math.floor(threshold)) if threshold.denominator == 1 else 0


NO_DENOMINATOR = _("分母为0，无数值，视为达标")
NO_SOURCE = _("无数据来源，无法评估")
UNREACHABLE = _("新增记录无法达到该标准")


def evaluate_criterion(criterion: Criterion, fact: Fact) -> CriterionResult:
    if fact is None:
        return CriterionResult(criterion, None, None, None, str(NO_SOURCE))
    if isinstance(fact, Unavailable):
        return CriterionResult(criterion, fact, None, None, fact.reason)
    info = criterion.info
    if info is None:
        raise ValueError(f"{criterion.id}: the indicator {criterion.indicator} is not described")
    if isinstance(fact, Ratio):
        value = fact.fraction
        if value is None:
            return CriterionResult(criterion, fact, True, 0, str(NO_DENOMINATOR))
        passed = compare(value, criterion.op, criterion.threshold)
        gap = ratio_gap(fact, criterion.op, criterion.threshold, info.gap)
        note = str(UNREACHABLE) if (not passed and gap is None and info.gap == "add") else ""
        return CriterionResult(criterion, fact, passed, 0 if passed else gap, note)
    passed = compare(Fraction(fact), criterion.op, criterion.threshold)
    gap = (
        0 if passed else (count_gap(fact, criterion.op, criterion.threshold) if info.gap else None)
    )
    return CriterionResult(criterion, fact, passed, gap)


def evaluate(*, facts: Mapping[str, Fact], level: Level) -> Evaluation:
    """Decide every criterion of ``level`` from ``facts`` (indicator id → value). A fact the
    mapping lacks is an error: the caller computes what the level needs."""
    results = []
    for criterion in level.criteria:
        if criterion.indicator not in facts:
            raise KeyError(f"no value for indicator {criterion.indicator} ({criterion.id})")
        results.append(evaluate_criterion(criterion, facts[criterion.indicator]))
    return Evaluation(level, tuple(results))


def needed_indicators(level: Level) -> set[str]:
    """The indicators a level's criteria and score table read."""
    needed = {c.indicator for c in level.criteria}
    if level.score is not None:
        needed |= level.score.indicators()
    return needed
