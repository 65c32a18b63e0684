"""The loader's background generation: order kept, errors surfaced, no hang when the writer
stops early; the generator's districts held to the rule."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from jiuye.demo.generator import Batch
from jiuye.demo.loader import check_districts, prefetch


def _batches(n: int, fail_at: int | None = None) -> Iterator[Batch]:
    for i in range(n):
        if i == fail_at:
            raise ValueError("generator broke")
        yield Batch(units=[(i,)])


def test_prefetch_keeps_order() -> None:
    assert [b.units[0][0] for b in prefetch(_batches(20))] == list(range(20))


def test_prefetch_raises_the_generators_error() -> None:
    seen = []
    with pytest.raises(ValueError, match="generator broke"):
        for batch in prefetch(_batches(10, fail_at=4)):
            seen.append(batch.units[0][0])
    assert seen == [0, 1, 2, 3]


def test_prefetch_writer_failure_stops_the_producer() -> None:
    before = threading.active_count()
    with pytest.raises(RuntimeError):
        for _ in prefetch(_batches(1000), depth=1):
            raise RuntimeError("COPY failed")
    assert threading.active_count() == before


def test_a_wrong_district_from_the_generator_is_refused(tree: dict[str, Any]) -> None:
    check_districts({tree["a"].pk: tree["district"].pk, tree["c"].pk: tree["district"].pk})
    with pytest.raises(RuntimeError, match="wrong district"):
        check_districts({tree["a"].pk: tree["district"].pk, tree["c"].pk: tree["s2"].pk})
