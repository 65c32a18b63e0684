"""Builders for casework tests: households and persons in the shared tree, with statuses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import count
from typing import Any

import pytest

from tests.conftest import make_id

_numbers = count(1)


@pytest.fixture
def household(tree: dict[str, Any]) -> Callable[..., Any]:
    from jiuye.registry import services

    def make(unit: str = "a1", hukou_type: str = "urban", address: str = "") -> Any:
        return services.household_create(
            actor=None,
            number=f"HH-{next(_numbers):05d}",
            unit=tree[unit],
            hukou_type=hukou_type,
            address=address,
        )

    return make


@pytest.fixture
def person(household: Callable[..., Any]) -> Callable[..., Any]:
    """``person(unit="a1", name=..., birth=..., male=True, household=None, statuses=[...])``:
    statuses are (since, status) or (since, status, registered) tuples, in any order."""
    from jiuye.registry import services

    def make(
        unit: str = "a1",
        *,
        name: str | None = None,
        birth: date = date(1980, 1, 1),
        male: bool = True,
        hh: Any = None,
        statuses: tuple[tuple[Any, ...], ...] = (),
        **fields: Any,
    ) -> Any:
        hh = hh or household(unit)
        p = services.person_create(
            actor=None,
            id_number=make_id(birth, male=male),
            name=name or f"测试{next(_numbers)}",
            household=hh,
            **fields,
        )
        for since, status, *rest in statuses:
            services.person_change_status(
                actor=None, person=p, status=status, since=since, registered=bool(rest and rest[0])
            )
        p.refresh_from_db()
        return p

    return make


@pytest.fixture
def registered(person: Callable[..., Any]) -> Callable[..., Any]:
    """A person registered unemployed on ``on`` (employed since 2020 before that)."""

    def make(on: date, unit: str = "a1", **kwargs: Any) -> Any:
        return person(
            unit, statuses=((date(2020, 1, 1), "unit"), (on, "unemployed", True)), **kwargs
        )

    return make
