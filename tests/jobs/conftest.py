"""Fixtures of the postings and referrals tests: an employer in community A, persons of A and
B, a posting and a public-welfare post of A."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.casework.conftest import household, person, registered  # noqa: F401
from tests.conftest import make_id


def valid_uscc(body: str) -> str:
    """A valid USCC from its first 17 characters."""
    from stdnum.cn import uscc

    return body + uscc.calc_check_digit(body)


def make_person(unit: Any, name: str, *, number: str, born: date = date(1980, 1, 15)) -> Any:
    from jiuye.registry import services as registry
    from jiuye.registry.models import Status

    home = registry.household_create(actor=None, number=number, unit=unit, hukou_type="urban")
    made = registry.person_create(actor=None, id_number=make_id(born), name=name, household=home)
    registry.person_change_status(
        actor=None,
        person=made,
        status=Status.UNEMPLOYED,
        since=date(2026, 3, 2),
        registered=True,
    )
    return made


@pytest.fixture
def employer(tree: dict[str, Any]) -> Any:
    from jiuye.jobs.services import employer_create

    return employer_create(
        actor=None, uscc=valid_uscc("91110108MA01ABCD0"), name="翠微物业公司", unit=tree["a"]
    )


@pytest.fixture
def employer_b(tree: dict[str, Any]) -> Any:
    from jiuye.jobs.services import employer_create

    return employer_create(
        actor=None, uscc=valid_uscc("91110108MA01ABCE0"), name="复兴超市", unit=tree["b"]
    )


@pytest.fixture
def person_a(tree: dict[str, Any]) -> Any:
    return make_person(tree["a"], "求职甲", number="J-A")


@pytest.fixture
def person_b(tree: dict[str, Any]) -> Any:
    return make_person(tree["b"], "求职乙", number="J-B")


def make_posting(employer: Any, unit: Any, **extra: Any) -> Any:
    from jiuye.jobs.postings import posting_create

    values: dict[str, Any] = {
        "title": "保洁员",
        "skills": "保洁 清洁",
        "vacancies": 2,
        "pay_min": 3000,
        "pay_max": 4000,
        "opens_on": date(2026, 3, 1),
    }
    values.update(extra)
    return posting_create(actor=None, employer=employer, unit=unit, **values)


@pytest.fixture
def posting(employer: Any, tree: dict[str, Any]) -> Any:
    return make_posting(employer, tree["a"])


@pytest.fixture
def welfare_post(employer: Any, tree: dict[str, Any]) -> Any:
    return make_posting(employer, tree["a"], title="社区保洁公益岗", public_welfare=True)


def recognise(whom: Any, on: date, ended_on: date | None = None) -> Any:
    from jiuye.registry import services as registry

    recognition = registry.recognition_create(
        actor=None, person=whom, category="other", recognized_on=on, note="测试"
    )
    if ended_on is not None:
        registry.recognition_end(actor=None, recognition=recognition, ended_on=ended_on)
    return recognition
