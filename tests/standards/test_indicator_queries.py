"""The set-based queries of the registered-employment, assistance-services and long-term
indicators against the rules they count: each person's part worked out from the definitions'
Python forms, each community's presence of a service read both ways the query may take."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jiuye.casework import services as casework
from jiuye.registry import definitions, services
from jiuye.registry.models import Person
from jiuye.standards import indicators
from jiuye.standards.indicators import assistance, base
from jiuye.standards.indicators.registrations import registered_employed_counts
from jiuye.standards.rules import Ratio
from tests.standards.conftest import criterion

D = date
ON = D(2026, 11, 30)

# (unit, birth, statuses): each person's history; (since, status[, registered]).
HISTORIES: list[tuple[str, date, tuple[tuple[Any, ...], ...]]] = [
    # Registered at the date (its registration's status then).
    ("a1", D(1980, 1, 1), ((D(2020, 1, 1), "unit"), (D(2026, 3, 1), "unemployed", True))),
    # Registered in the period, employed at the date (looked up).
    (
        "a1",
        D(1980, 1, 1),
        (
            (D(2020, 1, 1), "unit"),
            (D(2026, 2, 1), "unemployed", True),
            (D(2026, 6, 1), "flexible"),
        ),
    ),
    # Registered in the period, out of the labor force at the date.
    ("a1", D(1980, 1, 1), ((D(2026, 2, 1), "unemployed", True), (D(2026, 7, 1), "out"))),
    # Registered from before the period into it, then employed.
    ("b", D(1975, 5, 5), ((D(2025, 6, 1), "unemployed", True), (D(2026, 1, 2), "unit"))),
    # Registration ended the day the period began: not registered on any day of it.
    ("b", D(1975, 5, 5), ((D(2025, 6, 1), "unemployed", True), (D(2026, 1, 1), "unit"))),
    # Two registrations in the period: one person.
    (
        "b",
        D(1990, 2, 2),
        (
            (D(2026, 1, 10), "unemployed", True),
            (D(2026, 3, 1), "self"),
            (D(2026, 5, 1), "unemployed", True),
            (D(2026, 8, 1), "public_post"),
        ),
    ),
    # Registered the day of the date; registered after it.
    ("c", D(1985, 3, 3), ((D(2020, 1, 1), "unit"), (ON, "unemployed", True))),
    ("c", D(1985, 3, 3), ((D(2020, 1, 1), "unit"), (D(2026, 12, 1), "unemployed", True))),
    # Unemployed but not registered.
    ("c", D(1985, 3, 3), ((D(2026, 2, 1), "unemployed"), (D(2026, 4, 1), "unit"))),
    # Past retirement age at the date, employed again: not in the labor force.
    ("c", D(1960, 1, 1), ((D(2026, 1, 5), "unemployed", True), (D(2026, 2, 1), "unit"))),
]


def _expected(persons: list[Person], start: date, on: date) -> dict[int, Ratio]:
    """Per community, from the definitions' Python forms, person by person."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for p in persons:
        events = list(p.status_events.order_by("since"))
        registered = any(
            definitions.is_registered(status=e.status, registered=e.registered)
            and e.since <= on
            and (e.until is None or e.until > start)
            for e in events
        )
        if not registered:
            continue
        status = definitions.status_on([(e.since, e.status) for e in events], on)
        employed = definitions.in_labor_force(
            work_from=p.work_from,
            retire_on=p.retire_on,
            able=p.able,
            willing=p.willing,
            status=status,
            on=on,
        ) and definitions.is_employed(status)
        counts[p.community_id][0] += int(employed)
        counts[p.community_id][1] += 1
    return {c: Ratio(n, d) for c, (n, d) in counts.items()}


@pytest.mark.parametrize(
    ("start", "on"),
    [
        (D(2026, 1, 1), ON),
        (D(2026, 1, 1), D(2026, 3, 1)),
        (D(2026, 6, 1), D(2026, 7, 15)),
        (D(2025, 1, 1), D(2025, 12, 31)),
    ],
)
@pytest.mark.parametrize("large", [True, False], ids=["registrations-first", "persons-first"])
def test_registered_employed_counts_follow_the_definitions(
    person: Callable[..., Any],
    tree: dict[str, Any],
    start: date,
    on: date,
    large: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Either way the query may take (a unit large or small for the database) counts alike."""
    from jiuye.units.models import Unit

    monkeypatch.setattr(Unit, "is_large", lambda self: large)
    persons = [person(unit, birth=birth, statuses=statuses) for unit, birth, statuses in HISTORIES]
    period = base.Period(start, on)
    expected = _expected(persons, start, on)
    if on == ON:  # the table read by hand: b's pair counts once, c's retiree is not working age
        a, b, c = (tree[k].pk for k in "abc")
        assert expected == {a: Ratio(1, 3), b: Ratio(2, 2), c: Ratio(0, 2)}
    assert registered_employed_counts(period=period, root=tree["district"]) == expected
    a = tree["a"].pk
    assert registered_employed_counts(period=period, root=tree["a"]) == (
        {a: expected[a]} if a in expected else {}
    )


@pytest.fixture
def served(person: Callable[..., Any]) -> dict[str, Any]:
    """Records of the assistance services: community a has guidance and referral, b training
    and assistance, c guidance only (its assistance was the year before)."""
    a, b, c = person("a1"), person("b"), person("c")
    for p, kind, on in (
        (a, "guidance", D(2026, 3, 1)),
        (a, "referral", D(2026, 3, 2)),
        (a, "referral", D(2026, 4, 2)),
        (a, "referral", D(2026, 5, 2)),
        (a, "referral", D(2026, 6, 2)),
        (a, "visit", D(2026, 4, 2)),
        (b, "training", D(2026, 5, 1)),
        (b, "assistance", D(2026, 5, 2)),
        (c, "guidance", D(2026, 6, 1)),
        (c, "assistance", D(2025, 12, 31)),
    ):
        extra = {"training_mode": "post"} if kind == "training" else {}
        casework.service_record_create(actor=None, person=p, kind=kind, on=on, today=ON, **extra)
    return {"a": a, "b": b, "c": c}


@pytest.mark.parametrize("few", [0, 1, 10**6], ids=["probed", "mixed", "read"])
def test_assistance_services_read_or_probed_alike(
    served: dict[str, Any], tree: dict[str, Any], monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    """Each kind's communities are the same whether its records are read or its communities
    probed (``FEW`` chooses; with 1 per community, 3 for the district, referral's four records
    are probed and the other kinds' read)."""
    monkeypatch.setattr(assistance, "FEW", few)
    a, b, c = (tree[k].pk for k in "abc")
    period = base.Period(D(2026, 1, 1), ON)
    found = assistance.service_kinds(period=period, root=tree["district"])
    assert found == {
        a: frozenset({"guidance", "referral"}),
        b: frozenset({"training", "assistance"}),
        c: frozenset({"guidance"}),
    }
    assert all(type(k) is str for kinds in found.values() for k in kinds)
    assert assistance.service_kinds(period=period, root=tree["s2"]) == {c: found[c]}
    assert assistance.service_kinds(period=base.Period(D(2025, 1, 1), D(2025, 12, 31)), root=None)[
        c
    ] == frozenset({"assistance"})
    sheet = indicators.fact_sheet(
        root=tree["district"], on=ON, indicators=["assistance_services_missing"]
    )
    facts = {
        k: sheet.facts_for(tree[k])["assistance_services_missing"]
        for k in ("district", "s1", "s2", "a")
    }
    assert facts == {"district": 0, "s1": 0, "s2": 3, "a": 2}


def test_assisted_long_term_reads_cases_and_recognitions(
    registered: Callable[..., Any], evaluate: Any, tree: dict[str, Any]
) -> None:
    """Long-term unemployed assistance targets at the date: recognised difficult that day, or
    with an assistance case opened by then."""
    on = D(2026, 6, 1)
    recognised, ended, case, late_case, plain = (registered(D(2025, 3, 1)) for _ in range(5))
    services.recognition_create(
        actor=None, person=recognised, category="other", recognized_on=D(2025, 4, 1), note="x"
    )
    services.recognition_create(
        actor=None,
        person=ended,
        category="other",
        recognized_on=D(2025, 4, 1),
        ended_on=D(2026, 1, 1),
        note="x",
    )
    casework.assistance_open(actor=None, person=case, on=D(2026, 5, 1), today=on)
    casework.assistance_open(actor=None, person=late_case, on=D(2026, 6, 2), today=D(2026, 6, 2))
    assert plain.pk
    assert criterion(evaluate("a", "QG-2016", on), "QG-3b").value == 5
    sheet = indicators.fact_sheet(root=tree["a"], on=on, indicators=["assisted_long_term"])
    assert sheet.facts_for(tree["a"]) == {"assisted_long_term": 2}
