"""The QG-2016 100-point table, item by item (DOMAIN §6): data-decided deductions the same in
both columns, checklist deductions per column, floors at 0. No database."""

from __future__ import annotations

from typing import Any

import pytest

from jiuye.standards.rules import Ratio
from jiuye.standards.rulesets import ruleset_get
from jiuye.standards.scoring import ScoreResult, points_below, score

TABLE = ruleset_get("QG-2016").level("community").score
CHECKLIST = TABLE.checklist_ids()
GOOD: dict[str, Any] = {
    "registered_unemployed_employment_rate": Ratio(8, 10),
    "zero_families": 0,
    "job_preparation_rate": Ratio(5, 5),
    "ledger_completeness": Ratio(5, 5),
    "visit_rate": Ratio(10, 10),
    "difficult_contact_misses": 0,
    "assistance_services_missing": 0,
    "assisted_long_term": 0,
}


def _score(facts: dict[str, Any] | None = None, self_ticks: Any = None, assessor: Any = None):
    all_ticked = dict.fromkeys(CHECKLIST, True)
    return score(
        table=TABLE,
        facts={**GOOD, **(facts or {})},
        self_ticks=all_ticked if self_ticks is None else self_ticks,
        assessor_ticks=all_ticked if assessor is None else assessor,
    )


def _item(result: ScoreResult, no: int) -> tuple[int, int]:
    (item,) = [i for i in result.items if i.item.no == no]
    return item.self_score, item.assessor_score


def test_table_has_eight_items_worth_100() -> None:
    assert [i.no for i in TABLE.items] == list(range(1, 9))
    assert [i.points for i in TABLE.items] == [15, 20, 20, 10, 10, 7, 10, 8]
    assert TABLE.total_points == 100
    assert TABLE.pass_mark is None  # the document sets none


def test_full_marks() -> None:
    result = _score()
    assert (result.self_total, result.assessor_total) == (100, 100)
    assert result.passed is None


@pytest.mark.parametrize(
    ("no", "facts", "expected"),
    [
        # 2: registered unemployed employment >= 80 %, all or nothing
        (2, {"registered_unemployed_employment_rate": Ratio(8, 10)}, 20),
        (2, {"registered_unemployed_employment_rate": Ratio(79, 100)}, 0),
        (2, {"registered_unemployed_employment_rate": Ratio(0, 0)}, 20),
        # 3: zero families eliminated
        (3, {"zero_families": 0}, 20),
        (3, {"zero_families": 1}, 0),
        # 4: unemployed in active job preparation
        (4, {"job_preparation_rate": Ratio(5, 5)}, 10),
        (4, {"job_preparation_rate": Ratio(4, 5)}, 0),
        # 5: records disagree with reality (ten clears incomplete) −2; ledgers are the system's
        (5, {"ledger_completeness": Ratio(5, 5)}, 10),
        (5, {"ledger_completeness": Ratio(4, 5)}, 8),
        # 6: −1 per percentage point (or part) below 100 % visits, −1 per missed contact
        (6, {"visit_rate": Ratio(99, 100)}, 6),
        (6, {"visit_rate": Ratio(975, 1000)}, 4),  # 2.5 points below → −3
        (6, {"difficult_contact_misses": 2}, 5),
        (6, {"visit_rate": Ratio(90, 100), "difficult_contact_misses": 3}, 0),  # floor 0
        (6, {"visit_rate": Ratio(0, 0)}, 7),
        # 8: −2 per assistance service not provided, −3 for a long-term assisted person
        (8, {"assistance_services_missing": 1}, 6),
        (8, {"assisted_long_term": 1}, 5),
        (8, {"assistance_services_missing": 4, "assisted_long_term": 2}, 0),
    ],
)
def test_data_items(no: int, facts: dict[str, Any], expected: int) -> None:
    assert _item(_score(facts), no) == (expected, expected)


@pytest.mark.parametrize(
    ("no", "missing", "expected"),
    [
        (1, ["QG-S1a"], 10),  # no organisation −5
        (1, ["QG-S1b"], 10),  # no rules −5
        (1, ["QG-S1c", "QG-S1d"], 11),  # −2 per missing plan/target/measure
        (1, ["QG-S1a", "QG-S1b", "QG-S1c", "QG-S1d", "QG-S1e"], 0),  # 16 deducted, floor 0
        (7, ["QG-S7a"], 8),  # no job-information board
        (7, ["QG-S7c", "QG-S7d"], 6),  # −2 per activity not organised
    ],
)
def test_checklist_items_per_column(no: int, missing: list[str], expected: int) -> None:
    assessor = {i: i not in missing for i in CHECKLIST}
    result = _score(assessor=assessor)
    assert _item(result, no) == (TABLE.items[no - 1].points, expected)
    assert result.self_total == 100
    assert result.assessor_total == 100 - (TABLE.items[no - 1].points - expected)


def test_unticked_checklist_is_deducted() -> None:
    result = _score(self_ticks={}, assessor={})
    assert _item(result, 1) == (0, 0)
    assert _item(result, 7) == (0, 0)
    assert result.self_total == 100 - 15 - 10


def test_points_below() -> None:
    from fractions import Fraction

    assert points_below(Ratio(100, 100), Fraction(1)) == 0
    assert points_below(Ratio(999, 1000), Fraction(1)) == 1
    assert points_below(Ratio(97, 100), Fraction(1)) == 3
    assert points_below(Ratio(0, 0), Fraction(1)) == 0
    assert points_below(None, Fraction(1)) == 0


# QG-6 (item 6, 7 points): −1 per percentage point, or part of one, of visit rate below 100 %
# (DOMAIN readings of 2026-12: "or part of one"), −1 per difficult person missing a quarterly
# contact, floor 0; computed exactly (no float rounding).
QG6 = {
    "100 %": (Ratio(100, 100), 0, 7),
    "99.99 %: part of a point": (Ratio(9999, 10000), 0, 6),
    "exactly 99 %": (Ratio(99, 100), 0, 6),
    "98.99 %": (Ratio(9899, 10000), 0, 5),
    "exactly 98 %": (Ratio(98, 100), 0, 5),
    "2/3: 33.33 points below": (Ratio(2, 3), 0, 0),
    "exactly 94 %": (Ratio(94, 100), 0, 1),
    "93.5 %: floor 0": (Ratio(935, 1000), 0, 0),
    "no registered unemployed": (Ratio(0, 0), 0, 7),
    "one missed contact": (Ratio(1, 1), 1, 6),
    "99.5 % and two missed": (Ratio(995, 1000), 2, 4),
    "seven missed: floor 0": (Ratio(1, 1), 7, 0),
    "nine missed: floor 0": (Ratio(1, 1), 9, 0),
}


@pytest.mark.parametrize(("visits", "misses", "points"), QG6.values(), ids=QG6)
def test_qg6_per_point_or_part_and_per_missed_contact(
    visits: Ratio, misses: int, points: int
) -> None:
    result = _score({"visit_rate": visits, "difficult_contact_misses": misses})
    assert _item(result, 6) == (points, points)
