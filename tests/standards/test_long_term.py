"""``long_term_unemployed`` (DOMAIN §5, CQ-5, QG-3) counts a person from the anniversary of the
registration on, the day ``definitions.is_long_term`` names and its CQ-5 worklist marks overdue
(docs/decisions.md "Long-term unemployed: the anniversary day")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jiuye.casework import deadlines
from jiuye.registry import definitions
from jiuye.standards.behind import behind
from jiuye.standards.indicators import period_of
from jiuye.units.scope import SYSTEM
from tests.standards.conftest import criterion

D = date

TABLE = {
    "registered 2025-03-01, on 2026-02-28 (the day before)": (D(2025, 3, 1), D(2026, 2, 28), 0),
    "registered 2025-03-01, on 2026-03-01 (the anniversary)": (D(2025, 3, 1), D(2026, 3, 1), 1),
    "registered 2024-02-29, on 2025-02-27": (D(2024, 2, 29), D(2025, 2, 27), 0),
    "registered 2024-02-29, on 2025-02-28 (no 29th)": (D(2024, 2, 29), D(2025, 2, 28), 1),
    "registered 2023-03-01, on 2024-02-29 (leap day)": (D(2023, 3, 1), D(2024, 2, 29), 0),
    "registered 2023-03-01, on 2024-03-01": (D(2023, 3, 1), D(2024, 3, 1), 1),
}


@pytest.mark.parametrize(("start", "on", "count"), TABLE.values(), ids=TABLE)
def test_long_term_count_follows_is_long_term(
    registered: Callable[..., Any],
    evaluate: Callable[..., Any],
    personas: dict[str, Any],
    tree: dict[str, Any],
    start: date,
    on: date,
    count: int,
) -> None:
    assert definitions.is_long_term(start, on) is bool(count)
    p = registered(start, unit="a1")
    cq5 = criterion(evaluate("a", "CQ-2007", on), "CQ-5")
    assert (cq5.value, cq5.passed) == (count, count == 0)
    qg3 = criterion(evaluate("a", "QG-2016", on), "QG-3b")  # urban registered unemployed
    assert qg3.value == count
    rows = behind(
        indicator="long_term_unemployed",
        unit=tree["a"],
        period=period_of(on),
        user=personas["district"],
    ).rows
    assert [r.name for r in rows] == ([p.name] if count else [])
    # The worklist marks the same day overdue.
    [item] = [i for i in deadlines.cq5_long_term(tree["a"], on, user=SYSTEM) if i.person_id == p.pk]
    assert (item.state == deadlines.State.OVERDUE) is bool(count)


def test_employed_from_the_anniversary_never_counts(
    person: Callable[..., Any], evaluate: Callable[..., Any]
) -> None:
    person(
        "a1",
        statuses=(
            (D(2025, 3, 1), "unemployed", True),
            (D(2026, 3, 1), "flexible"),
        ),
    )
    assert criterion(evaluate("a", "CQ-2007", D(2026, 2, 28)), "CQ-5").value == 0
    assert criterion(evaluate("a", "CQ-2007", D(2026, 3, 1)), "CQ-5").value == 0
