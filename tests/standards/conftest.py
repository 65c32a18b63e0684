"""Builders for standards tests: casework's household/person/registered builders in the shared
tree, and an ``evaluate`` helper that answers from both sources (the incremental aggregates and
a computation from scratch) and checks they agree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jiuye.standards.evaluation import UnitEvaluation, evaluate_unit
from jiuye.standards.rulesets import ruleset_get
from tests.casework.conftest import household, person, registered  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _aggregates_built(request: pytest.FixtureRequest) -> None:
    """Tests that use the database start with the aggregates built (as a fresh migration
    leaves them; a flush by an earlier transactional test removes the state row)."""
    if not {"db", "transactional_db", "tree"} & set(request.fixturenames):
        return
    request.getfixturevalue("db")
    from jiuye.standards.aggregates import aggregates_rebuild

    aggregates_rebuild()


@pytest.fixture
def evaluate(tree: dict[str, Any]) -> Callable[..., UnitEvaluation]:
    """``evaluate("a", "HD-2012", on)``: the evaluation from the aggregates, after checking the
    direct computation gives the same JSON (apart from its ``source``)."""

    def run(
        unit: str,
        ruleset: str,
        on: date,
        *,
        level: str | None = None,
        start: date | None = None,
    ) -> UnitEvaluation:
        kwargs = {
            "unit": tree[unit],
            "ruleset": ruleset_get(ruleset),
            "on": on,
            "start": start,
            "level_key": level,
        }
        fast = evaluate_unit(**kwargs, source="aggregates")
        slow = evaluate_unit(**kwargs, source="direct")
        a, b = fast.as_json(), slow.as_json()
        assert (a.pop("source"), b.pop("source")) == ("aggregates", "direct")
        assert a == b
        return fast

    return run


def criterion(result: UnitEvaluation, cid: str) -> Any:
    (found,) = [r for r in result.results if r.criterion.id == cid]
    return found
