"""The pure evaluator, table-driven per rule ID of DOMAIN §6, with the boundaries: exactly the
threshold, one short, an empty denominator; and the gap (placements, eliminations, contacts…
still needed) for every kind of criterion. No database."""

from __future__ import annotations

from fractions import Fraction

import pytest

from jiuye.standards.rules import (
    Criterion,
    Level,
    Ratio,
    count_gap,
    evaluate,
    evaluate_criterion,
    ratio_gap,
    threshold_fraction,
)
from jiuye.standards.rulesets import ruleset_get


def _criterion(ruleset: str, level: str, cid: str) -> Criterion:
    (found,) = [c for c in ruleset_get(ruleset).level(level).criteria if c.id == cid]
    return found


# (ruleset, level, criterion id, fact, passed, gap)
CASES = [
    # HD-C1 employment_rate >= 90%
    ("HD-2012", "community", "HD-C1", Ratio(90, 100), True, 0),
    ("HD-2012", "community", "HD-C1", Ratio(87, 100), False, 3),
    ("HD-2012", "community", "HD-C1", Ratio(89, 100), False, 1),
    ("HD-2012", "community", "HD-C1", Ratio(899, 1000), False, 1),
    ("HD-2012", "community", "HD-C1", Ratio(9, 10), True, 0),
    ("HD-2012", "community", "HD-C1", Ratio(0, 0), True, 0),  # empty: passes, says so
    ("HD-2012", "community", "HD-C1", Ratio(0, 7), False, 7),  # 7 × 0.9 = 6.3 → 7
    # HD-C2 difficult_employment_rate >= 80%, zero families = 0, pure farming = 0
    ("HD-2012", "community", "HD-C2a", Ratio(8, 10), True, 0),
    ("HD-2012", "community", "HD-C2a", Ratio(7, 10), False, 1),
    ("HD-2012", "community", "HD-C2a", Ratio(3, 11), False, 6),  # 8.8 → 9 − 3
    ("HD-2012", "community", "HD-C2a", Ratio(0, 0), True, 0),
    ("HD-2012", "community", "HD-C2b", 0, True, 0),
    ("HD-2012", "community", "HD-C2b", 1, False, 1),
    ("HD-2012", "community", "HD-C2b", 3, False, 3),
    ("HD-2012", "community", "HD-C2c", 0, True, 0),
    ("HD-2012", "community", "HD-C2c", 2, False, 2),
    # HD-C3 satisfaction_rate >= 90%: new satisfied surveys (n + k) / (d + k)
    ("HD-2012", "community", "HD-C3", Ratio(9, 10), True, 0),
    ("HD-2012", "community", "HD-C3", Ratio(8, 10), False, 10),  # 18/20
    ("HD-2012", "community", "HD-C3", Ratio(17, 20), False, 10),  # 27/30
    ("HD-2012", "community", "HD-C3", Ratio(0, 0), True, 0),
    # HD-S1 / HD-Q1 certified_children_share >= 80%
    ("HD-2012", "street", "HD-S1", Ratio(8, 10), True, 0),
    ("HD-2012", "street", "HD-S1", Ratio(15, 20), False, 1),
    ("HD-2012", "street", "HD-S1", Ratio(0, 0), True, 0),
    ("HD-2012", "district", "HD-Q1", Ratio(3, 5), False, 1),
    ("HD-2012", "district", "HD-Q1", Ratio(4, 5), True, 0),
    # HD-S2 / HD-S3 over the street
    ("HD-2012", "street", "HD-S2a", Ratio(900, 1000), True, 0),
    ("HD-2012", "street", "HD-S2b", Ratio(79, 100), False, 1),
    ("HD-2012", "street", "HD-S2c", 1, False, 1),
    ("HD-2012", "street", "HD-S2d", 0, True, 0),
    ("HD-2012", "street", "HD-S3", Ratio(45, 50), True, 0),
    # HD-Q2e registered_unemployment_rate <= 1.5%: placements of registered unemployed
    ("HD-2012", "district", "HD-Q2a", Ratio(89, 100), False, 1),
    ("HD-2012", "district", "HD-Q2b", Ratio(80, 100), True, 0),
    ("HD-2012", "district", "HD-Q2c", 0, True, 0),
    ("HD-2012", "district", "HD-Q2d", 5, False, 5),
    ("HD-2012", "district", "HD-Q2e", Ratio(15, 1000), True, 0),
    ("HD-2012", "district", "HD-Q2e", Ratio(16, 1000), False, 1),
    ("HD-2012", "district", "HD-Q2e", Ratio(40, 1000), False, 25),
    ("HD-2012", "district", "HD-Q2e", Ratio(3, 100), False, 2),  # 1.5 allowed → 2 placed
    ("HD-2012", "district", "HD-Q2e", Ratio(0, 0), True, 0),
    # HD-Q3 training_mode_share >= 50%: more three-mode trainings
    ("HD-2012", "district", "HD-Q3", Ratio(5, 10), True, 0),
    ("HD-2012", "district", "HD-Q3", Ratio(4, 10), False, 2),  # 6/12
    # HD-Q4a contract_signing_rate >= 98%: contracts still to sign (convert)
    ("HD-2012", "district", "HD-Q4a", Ratio(98, 100), True, 0),
    ("HD-2012", "district", "HD-Q4a", Ratio(97, 100), False, 1),
    ("HD-2012", "district", "HD-Q4a", Ratio(979, 1000), False, 1),
    ("HD-2012", "district", "HD-Q4a", Ratio(0, 0), True, 0),
    # HD-Q4b contract_renewal_rate >= 90%: renewals still needed (convert)
    ("HD-2012", "district", "HD-Q4b", Ratio(9, 10), True, 0),
    ("HD-2012", "district", "HD-Q4b", Ratio(8, 10), False, 1),
    ("HD-2012", "district", "HD-Q4b", Ratio(0, 0), True, 0),
    # CQ-1 employment_rate >= 95%
    ("CQ-2007", "community", "CQ-1", Ratio(95, 100), True, 0),
    ("CQ-2007", "community", "CQ-1", Ratio(94, 100), False, 1),
    ("CQ-2007", "community", "CQ-1", Ratio(0, 0), True, 0),
    # CQ-2 urban zero families, and none uneliminated more than a month
    ("CQ-2007", "community", "CQ-2a", 0, True, 0),
    ("CQ-2007", "community", "CQ-2a", 1, False, 1),
    ("CQ-2007", "community", "CQ-2b", 0, True, 0),
    ("CQ-2007", "community", "CQ-2b", 2, False, 2),
    # CQ-3 dibao_unemployed_share <= 30%
    ("CQ-2007", "community", "CQ-3", Ratio(3, 10), True, 0),
    ("CQ-2007", "community", "CQ-3", Ratio(4, 10), False, 1),
    ("CQ-2007", "community", "CQ-3", Ratio(5, 7), False, 3),  # 2.1 allowed → 5 − 2
    ("CQ-2007", "community", "CQ-3", Ratio(0, 0), True, 0),
    # CQ-4 guidance_on_time_rate = 100%
    ("CQ-2007", "community", "CQ-4", Ratio(10, 10), True, 0),
    ("CQ-2007", "community", "CQ-4", Ratio(9, 10), False, 1),
    ("CQ-2007", "community", "CQ-4", Ratio(0, 0), True, 0),
    # CQ-5 long-term unemployed = 0; CQ-6 valid complaints = 0
    ("CQ-2007", "community", "CQ-5", 0, True, 0),
    ("CQ-2007", "community", "CQ-5", 4, False, 4),
    ("CQ-2007", "community", "CQ-6", 0, True, 0),
    ("CQ-2007", "community", "CQ-6", 1, False, 1),
    # CQ-7 job_preparation_rate = 100%
    ("CQ-2007", "community", "CQ-7", Ratio(20, 20), True, 0),
    ("CQ-2007", "community", "CQ-7", Ratio(17, 20), False, 3),
    ("CQ-2007", "community", "CQ-7", Ratio(0, 0), True, 0),
    # QG-3: registered unemployed employment >= 80%, no long-term urban, zero families
    # eliminated, every registered unemployed person referred twice
    ("QG-2016", "community", "QG-3a", Ratio(8, 10), True, 0),
    ("QG-2016", "community", "QG-3a", Ratio(7, 10), False, 1),
    ("QG-2016", "community", "QG-3a", Ratio(0, 0), True, 0),
    ("QG-2016", "community", "QG-3b", 0, True, 0),
    ("QG-2016", "community", "QG-3b", 1, False, 1),
    ("QG-2016", "community", "QG-3c", 0, True, 0),
    ("QG-2016", "community", "QG-3c", 2, False, 2),
    ("QG-2016", "community", "QG-3d", Ratio(12, 12), True, 0),
    ("QG-2016", "community", "QG-3d", Ratio(10, 12), False, 2),
]


@pytest.mark.parametrize(("ruleset", "level", "cid", "fact", "passed", "gap"), CASES)
def test_criterion(
    ruleset: str, level: str, cid: str, fact: Ratio | int, passed: bool, gap: int
) -> None:
    result = evaluate_criterion(_criterion(ruleset, level, cid), fact)
    assert (result.passed, result.gap) == (passed, gap)
    if isinstance(fact, Ratio) and fact.denominator == 0:
        assert result.value is None and "分母为0" in result.note


def test_every_rule_id_has_cases() -> None:
    """Each criterion of the three shipped rule sets appears in the table above."""
    covered = {(r, c) for r, _l, c, *_ in CASES}
    for rid in ("HD-2012", "CQ-2007", "QG-2016"):
        for level in ruleset_get(rid).levels.values():
            for criterion in level.criteria:
                if level.key == "demonstration":
                    continue  # the community criteria, inherited
                assert (rid, criterion.id) in covered, criterion.id


def test_exact_arithmetic_at_the_threshold() -> None:
    """0.9 is nine tenths, not the float 0.9000000000000000222: exactly 90 % passes."""
    assert threshold_fraction(0.9) == Fraction(9, 10)
    assert threshold_fraction(0.015) == Fraction(3, 200)
    criterion = _criterion("HD-2012", "community", "HD-C1")
    assert evaluate_criterion(criterion, Ratio(900_000, 1_000_000)).passed
    assert not evaluate_criterion(criterion, Ratio(899_999, 1_000_000)).passed


@pytest.mark.parametrize(
    ("ratio", "op", "threshold", "mode", "gap"),
    [
        (Ratio(87, 100), ">=", "0.9", "convert", 3),
        (Ratio(90, 100), ">=", "0.9", "convert", 0),
        (Ratio(90, 100), ">", "0.9", "convert", 1),
        (Ratio(2, 3), ">=", "1", "convert", 1),
        (Ratio(16, 1000), "<=", "0.015", "convert", 1),
        (Ratio(15, 1000), "<", "0.015", "convert", 1),
        (Ratio(1, 2), "<=", "0", "convert", 1),
        (Ratio(9, 10), "=", "1", "convert", 1),
        (Ratio(1, 10), "=", "0", "convert", 1),
        (Ratio(8, 10), ">=", "0.9", "add", 10),
        (Ratio(9, 10), ">=", "1", "add", None),  # a miss on record: never 100 %
        (Ratio(10, 10), ">=", "1", "add", 0),
        (Ratio(0, 0), ">=", "0.9", "convert", 0),
    ],
)
def test_ratio_gap(ratio: Ratio, op: str, threshold: str, mode: str, gap: int | None) -> None:
    assert ratio_gap(ratio, op, Fraction(threshold), mode) == gap  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "op", "threshold", "gap"),
    [
        (0, "=", 0, 0),
        (3, "=", 0, 3),
        (3, "<=", 1, 2),
        (3, "<", 1, 3),
        (1, ">=", 4, 3),
        (4, ">", 4, 1),
        (5, ">=", 4, 0),
    ],
)
def test_count_gap(value: int, op: str, threshold: int, gap: int) -> None:
    assert count_gap(value, op, Fraction(threshold)) == gap  # type: ignore[arg-type]


def test_gap_placements_really_pass() -> None:
    """Applying the gap makes the criterion pass, one fewer does not (convert mode)."""
    criterion = _criterion("HD-2012", "community", "HD-C1")
    for n in range(0, 101, 7):
        result = evaluate_criterion(criterion, Ratio(n, 100))
        if result.passed:
            continue
        assert evaluate_criterion(criterion, Ratio(n + result.gap, 100)).passed
        assert not evaluate_criterion(criterion, Ratio(n + result.gap - 1, 100)).passed
    criterion = _criterion("HD-2012", "district", "HD-Q2e")
    for r in range(0, 60, 3):
        result = evaluate_criterion(criterion, Ratio(r, 1000))
        if not result.passed:
            assert evaluate_criterion(criterion, Ratio(r - result.gap, 1000)).passed
            assert not evaluate_criterion(criterion, Ratio(r - result.gap + 1, 1000)).passed


def test_no_data_source_is_not_assessable() -> None:
    criterion = Criterion(
        id="X-1", indicator="contract_signing_rate", op=">=", threshold=Fraction(98, 100)
    )
    level = Level("x", "x", ("district",), (criterion,))
    result = evaluate(facts={"contract_signing_rate": None}, level=level)
    (r,) = result.results
    assert r.passed is None and r.gap is None and "无数据来源" in r.note
    assert not result.passed


def test_evaluate_level_overall() -> None:
    level = ruleset_get("HD-2012").level("community")
    facts = {
        "employment_rate": Ratio(95, 100),
        "difficult_employment_rate": Ratio(8, 10),
        "zero_families": 0,
        "pure_farming_families": 0,
        "satisfaction_rate": Ratio(0, 0),
    }
    assert evaluate(facts=facts, level=level).passed
    failing = evaluate(facts={**facts, "zero_families": 1}, level=level)
    assert not failing.passed
    assert [r.criterion.id for r in failing.failed] == ["HD-C2b"]
    with pytest.raises(KeyError):
        evaluate(facts={"employment_rate": Ratio(1, 1)}, level=level)
