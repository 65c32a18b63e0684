"""A city's districts evaluated in one pass (``evaluate_units(root=None)``, ``jiuye evaluate
--all`` without a unit) give each unit exactly what its own district's evaluation gives, under
every rule set, from the aggregates and from scratch."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from jiuye.demo.generator import DEFAULT_TODAY, SeedConfig
from jiuye.demo.loader import seed
from jiuye.standards import aggregates, indicators
from jiuye.standards.evaluation import evaluate_units
from jiuye.standards.rulesets import ruleset_get
from jiuye.units.models import Level, Unit

RULESETS = ("HD-2012", "CQ-2007", "QG-2016")


@pytest.fixture
def city(db: Any) -> list[Unit]:
    """Two districts of one city, each its own root."""
    seed(SeedConfig(persons=2000, seed=7, districts=2))
    aggregates.aggregates_rebuild()
    return list(Unit.objects.filter(level=Level.DISTRICT, parent=None).order_by("code"))


def _by_unit(results: list[Any]) -> dict[str, Any]:
    return {r.unit.code: r.as_json() for r in results}


@pytest.mark.parametrize("ruleset", RULESETS)
@pytest.mark.parametrize("source", ["aggregates", "direct"])
def test_one_pass_equals_each_district(city: list[Unit], ruleset: str, source: str) -> None:
    rules = ruleset_get(ruleset)
    assert len(city) == 2
    each: dict[str, Any] = {}
    for root in city:
        each |= _by_unit(evaluate_units(root=root, ruleset=rules, on=DEFAULT_TODAY, source=source))
    together = _by_unit(evaluate_units(root=None, ruleset=rules, on=DEFAULT_TODAY, source=source))
    assert together == each
    # Units of both districts are there (communities at least, under every rule set).
    assert {code[:6] for code in together} == {root.code for root in city}


def test_command_all_without_a_unit(city: list[Unit]) -> None:
    out = StringIO()
    call_command("evaluate", ruleset="HD-2012", all=True, json=True, date=DEFAULT_TODAY, stdout=out)
    codes = {row["unit"] for row in json.loads(out.getvalue())}
    assert {root.code for root in city} <= codes
    with pytest.raises(CommandError, match="--all"):
        call_command("evaluate", ruleset="HD-2012", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="other connections: PostgreSQL")
def test_two_connections_give_what_one_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """``parallel=True`` (the command's, outside a transaction) computes the indicators on
    worker threads with connections of their own: the same evaluation as in turn."""
    seed(SeedConfig(persons=1500, seed=8, districts=2))
    aggregates.aggregates_rebuild()
    apart: list[str] = []
    compute_apart = indicators._compute_apart

    def spy(sheet: Any, key: str) -> None:
        apart.append(key)
        compute_apart(sheet, key)

    monkeypatch.setattr(indicators, "_compute_apart", spy)
    for ruleset in RULESETS:
        rules = ruleset_get(ruleset)
        alone = _by_unit(evaluate_units(root=None, ruleset=rules, on=DEFAULT_TODAY))
        assert not apart
        shared = evaluate_units(root=None, ruleset=rules, on=DEFAULT_TODAY, parallel=True)
        assert apart, ruleset
        assert _by_unit(shared) == alone
        apart.clear()
