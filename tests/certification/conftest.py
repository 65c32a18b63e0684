"""Builders for certification tests: the casework builders in the shared tree (and the
standards tests' aggregates, built at the start of each test), a small community with residents
to keep off every public document, and an empty cache per test (the notice boards are cached
per unit and day: one test's page must not be another's), in Chinese."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from tests.casework.conftest import household, person, registered  # noqa: F401  (fixtures)
from tests.standards.conftest import _aggregates_built, evaluate  # noqa: F401  (fixtures)

D = date
# Digits in a row that could be an ID number (17 digits and a check character).
FULL_ID = r"\d{17}[\dXx]"


@pytest.fixture(autouse=True)
def _empty_cache_in_chinese() -> Iterator[None]:
    """An empty cache, and Chinese (the documents' language unless a request asks otherwise;
    a request in English leaves its language active in the thread)."""
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def residents(request: pytest.FixtureRequest) -> list[Any]:
    """Community A: a household of one employed and two registered unemployed, and a zero
    family (two unemployed, one registered): labor force 5, employed 1, registered
    unemployed 3, zero families 1. Every resident has a name and a mobile number."""
    make_person: Callable[..., Any] = request.getfixturevalue("person")
    make_household: Callable[..., Any] = request.getfixturevalue("household")
    first, second = make_household("a1"), make_household("a")
    plan = [
        (first, "公示甲员", ((D(2022, 1, 1), "unit"),)),
        (first, "公示乙员", ((D(2022, 1, 1), "unit"), (D(2025, 6, 1), "unemployed", True))),
        (first, "公示丙员", ((D(2023, 3, 1), "unemployed", True),)),
        (second, "公示丁员", ((D(2024, 2, 1), "unemployed", True),)),
        (second, "公示戊员", ((D(2024, 2, 1), "unemployed"),)),
    ]
    people = []
    for n, (hh, name, statuses) in enumerate(plan):
        phone = "138" + "0013" + f"{8000 + n:04d}"
        people.append(make_person(hh=hh, name=name, statuses=statuses, phone=phone))
    return people
