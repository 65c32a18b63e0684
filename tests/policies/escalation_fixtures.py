"""Fixtures of the escalation (托底) tests, from the jobs tests' builders: persons of A and B,
an employer of A, a posting and a public-welfare post of A. Star-imported by the test modules
(this directory's conftest has builders of its own under some of these names)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.jobs import conftest as jobs

__all__ = ["employer", "person_a", "person_b", "posting", "welfare_post"]


@pytest.fixture
def employer(tree: dict[str, Any]) -> Any:
    from jiuye.jobs.services import employer_create

    return employer_create(
        actor=None, uscc=jobs.valid_uscc("91110108MA01ABCD0"), name="翠微物业公司", unit=tree["a"]
    )


@pytest.fixture
def person_a(tree: dict[str, Any]) -> Any:
    return jobs.make_person(tree["a"], "求职甲", number="J-A")


@pytest.fixture
def person_b(tree: dict[str, Any]) -> Any:
    return jobs.make_person(tree["b"], "求职乙", number="J-B")


@pytest.fixture
def posting(employer: Any, tree: dict[str, Any]) -> Any:
    return jobs.make_posting(employer, tree["a"])


@pytest.fixture
def welfare_post(employer: Any, tree: dict[str, Any]) -> Any:
    return jobs.make_posting(employer, tree["a"], title="社区保洁公益岗", public_welfare=True)
