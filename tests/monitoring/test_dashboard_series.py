"""The monthly series (``monitoring.series``) agree with the standards engine: for a unit at
the last day of a month, each figure read from that month's roll-up equals the value
``evaluate_unit`` gives for the indicator on that day (the same numerator and denominator), for
every indicator with a series, in a community, a street and the district."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jiuye.monitoring import rollups
from jiuye.monitoring.series import MEASURES, SERIES
from jiuye.standards.evaluation import evaluate_unit
from jiuye.standards.rules import Ratio
from jiuye.standards.rulesets import ruleset_get
from tests.monitoring import dashboard_world

# Which rule set level evaluates each indicator with a series, per unit.
LEVELS = [
    ("a", "HD-2012", None),  # employment, difficult employment, zero, pure farming
    ("a", "CQ-2007", None),  # employment, urban zero families, dibao share
    ("s1", "HD-2012", None),  # the street's rates (HD-S2)
    ("district", "HD-2012", None),  # the registered unemployment rate (HD-Q2e)
    ("b", "HD-2012", None),
    ("c", "CQ-2007", None),
]
MONTHS = [date(2026, m, 1) for m in range(1, 12)]


@pytest.fixture
def world(tree: dict[str, Any], household: Callable[..., Any], person: Callable[..., Any]) -> Any:
    return dashboard_world.build(tree, household, person)


def test_every_series_is_an_indicator_or_a_count() -> None:
    from jiuye.standards.indicators import INDICATORS

    assert set(SERIES) == {
        "employment_rate",
        "difficult_employment_rate",
        "registered_unemployment_rate",
        "dibao_unemployed_share",
        "zero_families",
        "zero_families_urban",
        "pure_farming_families",
    }
    for key, measure in SERIES.items():
        assert INDICATORS[key].kind == measure.kind
    assert {m.id for m in MEASURES.values() if not m.indicator} == {
        "labor_force",
        "employed",
        "unemployed",
        "registered",
    }


def test_a_month_end_value_equals_the_engine_s(tree: dict[str, Any], world: Any) -> None:
    checked: set[str] = set()
    for key, ruleset_id, level in LEVELS:
        unit = tree[key]
        trend = rollups.unit_months(unit=unit, last=rollups.month_end(MONTHS[-1]), count=24)
        assert trend is not None
        by_month = {row.month: row for row in trend}
        for month in MONTHS:
            day = rollups.month_end(month)
            evaluation = evaluate_unit(
                unit=unit, ruleset=ruleset_get(ruleset_id), on=day, level_key=level
            )
            for result in evaluation.results:
                measure = SERIES.get(result.criterion.indicator)
                if measure is None:
                    continue
                fact = measure.fact(by_month[month].values)
                assert fact == result.fact, (key, ruleset_id, day, measure.id)
                assert measure.value(by_month[month].values) == result.value
                checked.add(measure.id)
    assert checked == set(SERIES)


def test_the_world_moves(tree: dict[str, Any], world: Any) -> None:
    """The figures the agreement test compares do change over the months (it compares more than
    zeros): the zero family of A appears and goes, a pure-farming family appears, B registers."""
    trend = rollups.unit_months(unit=tree["a"], last=date(2026, 11, 30), count=24)
    assert trend is not None
    by_month = {row.month: row.values for row in trend}
    zero = [by_month[m]["zero_families"] for m in MONTHS]
    assert zero == [0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    assert [by_month[m]["pure_farming"] for m in MONTHS] == [0] * 4 + [1] * 7
    employment = [SERIES["employment_rate"].fact(by_month[m]) for m in MONTHS]
    assert employment[0] == Ratio(4, 5) and employment[-1] == Ratio(5, 6)
    district = rollups.unit_months(unit=tree["district"], last=date(2026, 11, 30), count=24)
    assert district is not None
    rates = {row.month: SERIES["registered_unemployment_rate"].fact(row.values) for row in district}
    assert rates[date(2026, 1, 1)] == Ratio(0, 4) and rates[date(2026, 6, 1)] == Ratio(2, 5)
