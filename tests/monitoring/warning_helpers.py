"""Warnings made directly (the rules' detectors have their own tests): a warning of a unit with
the records behind it, and the fixture the page, API and worklist tests share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jiuye.monitoring.models import EarlyWarning, WarningRecord


def make_warning(
    unit: Any,
    *,
    rule: str = "W-ZERO-OPEN",
    level: str = "III",
    state: str = "open",
    period: str = "2026-11",
    fired_on: date = date(2026, 11, 5),
    summary: str = "",
    facts: dict[str, Any] | None = None,
    persons: tuple[Any, ...] = (),
    households: tuple[Any, ...] = (),
    units: tuple[Any, ...] = (),
) -> EarlyWarning:
    kinds = {
        "W-ZERO-OPEN": "zero_family_overdue",
        "W-DIFFICULT-SERVED": "difficult_after_services",
        "W-UNEMP-RISE": "registered_rise",
        "W-CERT-DRIFT": "certified_drift",
    }
    warning = EarlyWarning.objects.create(
        rule_id=rule,
        rule_version="2026.12",
        kind=kinds[rule],
        unit=unit,
        period=period,
        level=level,
        state=state,
        fired_on=fired_on,
        summary=summary or f"{unit.name}预警{rule}{level}",
        facts=facts if facts is not None else {"households": len(households)},
        records_total=len(persons) + len(households) + len(units),
    )
    WarningRecord.objects.bulk_create(
        [WarningRecord(warning=warning, person=p, detail="服务 6 次，仍未就业") for p in persons]
        + [WarningRecord(warning=warning, household=h, detail="零就业家庭超期") for h in households]
        + [WarningRecord(warning=warning, unit=u, detail="HD-C1 未达标") for u in units]
    )
    return warning


@pytest.fixture
def warnings_made(tree: dict[str, Any], person: Callable[..., Any]) -> dict[str, Any]:
    """Active warnings of communities A, B and C and street S1, a closed one of A, and one of
    grid A1 (which nobody may handle: warnings are for communities and above); the persons
    behind them."""
    unemployed = ((date(2025, 12, 1), "unemployed", True),)
    pa = person("a1", name="预警甲", statuses=unemployed)
    pb = person("b", name="预警乙", statuses=unemployed)
    pc = person("c", name="预警丙", statuses=unemployed)
    return {
        "pa": pa,
        "pb": pb,
        "pc": pc,
        "a": make_warning(
            tree["a"],
            rule="W-DIFFICULT-SERVED",
            level="II",
            facts={"persons": 1, "since": "2025-11-06"},
            persons=(pa,),
            fired_on=date(2026, 11, 6),
        ),
        "a_zero": make_warning(tree["a"], households=(pa.household,), fired_on=date(2026, 11, 4)),
        "a_closed": make_warning(tree["a"], period="2026-10", state="closed", level="I"),
        "b": make_warning(tree["b"], level="I", households=(pb.household,)),
        "c": make_warning(tree["c"], households=(pc.household,)),
        "s1": make_warning(tree["s1"], rule="W-UNEMP-RISE", level="I", facts={"rise": 0.6}),
        "a1": make_warning(tree["a1"], period="2026-09"),
    }
