"""The set-based indicators that count what a casework deadline asks agree with casework's own
items on random histories: ``visit_rate`` with QG-6 visits, ``referral_twice_rate`` with QG-3,
``difficult_contact_misses`` with QG-6 quarterly contacts, the long-term counts with CQ-5 (one
definition, ``registry.definitions``, two forms: an aggregated query for every community, an
item per person for the worklist)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from jiuye.casework import deadlines
from jiuye.casework import services as casework
from jiuye.registry import definitions, services
from jiuye.standards.indicators import fact_sheet
from jiuye.standards.rules import Ratio
from jiuye.units.scope import SYSTEM

D = date
TODAY = D(2026, 12, 31)
CHECKS = [D(2026, 3, 31), D(2026, 4, 1), D(2026, 7, 15), D(2026, 10, 1), D(2026, 12, 15)]


def _day(rng: random.Random, start: date, end: date = TODAY) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _history(rng: random.Random, person: Callable[..., Any]) -> None:
    for _ in range(25):
        statuses: list[tuple[Any, ...]] = []
        day = _day(rng, D(2023, 1, 1), D(2026, 6, 1))
        for _step in range(rng.randrange(1, 4)):
            status = rng.choice(["unemployed", "unemployed", "unit", "flexible", "out"])
            statuses.append((day, status, status == "unemployed" and rng.random() < 0.8))
            day += timedelta(days=rng.randrange(20, 400))
        p = person(
            rng.choice(["a1", "b", "c"]),
            willing=rng.random() < 0.85,
            hukou_type=rng.choice(["urban", "converted", "agricultural"]),
            statuses=tuple(statuses),
        )
        if rng.random() < 0.4:
            start = _day(rng, D(2024, 1, 1), D(2026, 8, 1))
            end = start + timedelta(days=rng.randrange(30, 500)) if rng.random() < 0.4 else None
            services.recognition_create(
                actor=None, person=p, category="other", recognized_on=start, ended_on=end, note="x"
            )
        for _service in range(rng.randrange(0, 8)):
            kind = rng.choice(["visit", "referral", "referral", "referral", "contact", "guidance"])
            casework.service_record_create(
                actor=None, person=p, kind=kind, on=_day(rng, D(2026, 1, 1)), today=TODAY
            )


def _by_community(
    items: list[deadlines.Item], counted: Callable[[deadlines.Item], bool]
) -> Counter[int]:
    return Counter(i.community_id for i in items if counted(i) and i.community_id is not None)


@pytest.mark.parametrize("seed", [1, 2])
def test_counts_agree_with_casework_items(
    tree: dict[str, Any], person: Callable[..., Any], seed: int
) -> None:
    _history(random.Random(seed), person)
    root = tree["district"]
    wanted = [
        "visit_rate",
        "referral_twice_rate",
        "difficult_contact_misses",
        "long_term_unemployed",
    ]
    for on in CHECKS:
        for source in ("aggregates", "direct"):
            sheet = fact_sheet(root=root, on=on, indicators=wanted, source=source)

            def items(rule: str, on: date = on) -> list[deadlines.Item]:
                return deadlines.RULE_FUNCTIONS[rule](root, on, user=SYSTEM)

            visits = items("QG-6-visit")
            referrals = items("QG-3")
            contacts = items("QG-6-contact")
            long_term = items("CQ-5")
            for community in (tree["a"], tree["b"], tree["c"]):
                facts = sheet.facts_for(community)
                pk = community.pk
                assert facts["visit_rate"] == Ratio(
                    _by_community(visits, lambda i: i.done_on is not None)[pk],
                    _by_community(visits, lambda i: True)[pk],
                ), (on, source)
                assert facts["referral_twice_rate"] == Ratio(
                    _by_community(
                        referrals,
                        lambda i: i.progress["count"] >= deadlines.REFERRALS_NEEDED,
                    )[pk],
                    _by_community(referrals, lambda i: True)[pk],
                ), (on, source)
                assert (
                    facts["difficult_contact_misses"]
                    == _by_community(contacts, lambda i, d=on: i.due < d and i.done_on is None)[pk]
                ), (on, source)
                assert (
                    facts["long_term_unemployed"]
                    == _by_community(
                        long_term,
                        lambda i, on=on: (
                            i.done_on is None
                            and definitions.is_long_term(i.progress["registered_on"], on)
                        ),
                    )[pk]
                ), (on, source)
