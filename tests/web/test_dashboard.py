"""The home page's numbers from the incremental aggregates (community timelines, zero-family
cases, two counts) equal those of the classification over the jurisdiction, on random
histories, for every role's jurisdiction (a grid membership adds its households one by one)
and at past dates as well as today; stale aggregates fall back to the classification."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from jiuye.standards import aggregates
from jiuye.web import dashboard
from tests.standards.test_behind_paged import _history

D = date


@pytest.mark.parametrize("seed", [1, 2])
def test_the_numbers_from_the_aggregates_equal_the_classification(
    tree: dict[str, Any],
    personas: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
) -> None:
    aggregates.aggregates_rebuild()
    _history(random.Random(seed), tree, persons=80)
    assert aggregates.aggregates_fresh()
    read: list[str] = []
    real = aggregates.community_vectors

    def vectors(**kwargs: Any) -> dict[int, dict[str, int]]:
        read.append(kwargs["path"])
        return real(**kwargs)

    monkeypatch.setattr(aggregates, "community_vectors", vectors)
    days = [D(2024, 6, 30), D(2025, 12, 31), D(2026, 5, 12), timezone.localdate()]
    seen_zero = seen_lf = 0
    for who in ("district", "street", "worker_a", "worker_b", "grid_a1"):
        user = personas[who]
        for on in days:
            fast = dashboard.jurisdiction_counts(user=user, on=on)
            with monkeypatch.context() as m:
                m.setattr(aggregates, "aggregates_fresh", lambda: False)
                slow = dashboard.jurisdiction_counts(user=user, on=on)
            assert fast == slow, (who, on)
            seen_zero += fast["zero_families"]
            seen_lf += fast["labor_force"]
    assert read, "the aggregates were read"
    assert seen_zero and seen_lf, "the histories give something to count"


def test_stale_aggregates_are_not_read(
    tree: dict[str, Any], personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    aggregates.aggregates_rebuild()
    _history(random.Random(5), tree, persons=10)
    expected = dashboard.jurisdiction_counts(user=personas["district"], on=D(2026, 5, 12))
    monkeypatch.setattr(aggregates, "aggregates_fresh", lambda: False)

    def refuse(**kwargs: Any) -> None:
        raise AssertionError("stale aggregates read")

    monkeypatch.setattr(aggregates, "community_vectors", refuse)
    assert dashboard.jurisdiction_counts(user=personas["district"], on=D(2026, 5, 12)) == expected
