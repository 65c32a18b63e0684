"""Builders for the matching tests (``test_matching*.py``): an employer, postings with their
terms, and seekers beside an employed spouse (no zero-employment family) unless ``alone``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jiuye.jobs import matching, services, text
from jiuye.jobs.models import Posting
from jiuye.registry import services as registry
from jiuye.registry.models import Person
from tests.conftest import make_id

ON = date(2026, 6, 1)
LOST = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    matching.clear_cache()


@pytest.fixture
def employer(tree: dict[str, Any]) -> Any:
    return services.employer_create(
        actor=None, uscc="91110108551385082Q", name="翠微物业有限公司", unit=tree["a"]
    )


@pytest.fixture
def posting(employer: Any, tree: dict[str, Any]) -> Callable[..., Posting]:
    def make(
        title: str = "物业维修电工",
        *,
        unit: str = "a",
        occupation: str = "6-31-01-03",
        skills: str = "低压配电、电气线路安装维修",
        min_education: str = "高中",
        ages: tuple[int | None, int | None] = (18, 45),
        pay: tuple[int | None, int | None] = (4000, 6000),
        public_welfare: bool = False,
        opens_on: date = date(2026, 5, 1),
        closes_on: date | None = None,
        vacancies: int = 2,
        filled: int = 0,
        by: Any = None,
    ) -> Posting:
        return Posting.objects.create(
            number=f"GW{Posting.objects.count() + 1:05d}",
            employer=by or employer,
            title=title,
            occupation=occupation,
            skills=skills,
            min_education=min_education,
            age_min=ages[0],
            age_max=ages[1],
            pay_min=pay[0],
            pay_max=pay[1],
            unit=tree[unit],
            public_welfare=public_welfare,
            opens_on=opens_on,
            closes_on=closes_on,
            vacancies=vacancies,
            filled=filled,
            terms=text.posting_terms(title=title, occupation=occupation, skills=skills),
        )

    return make


@pytest.fixture
def seeker(tree: dict[str, Any]) -> Callable[..., Person]:
    """An unemployed person (since LOST) beside an employed spouse (so the household is no
    zero-employment family), unless ``alone``; ``difficult``: recognised 4050 since LOST."""

    def make(
        unit: str = "a",
        *,
        intent: str = "电工",
        certificates: str = "",
        education: str = "大专",
        birth: date = date(1991, 3, 1),
        difficult: bool = False,
        alone: bool = False,
        name: str | None = None,
    ) -> Person:
        hh = registry.household_create(
            actor=None,
            number=f"M-{Person.objects.count():05d}",
            unit=tree[unit],
            hukou_type="urban",
        )
        if not alone:
            spouse = registry.person_create(
                actor=None, id_number=make_id(date(1990, 5, 5)), name="配偶", household=hh
            )
            registry.person_change_status(
                actor=None, person=spouse, status="unit", since=date(2020, 1, 1)
            )
        person = registry.person_create(
            actor=None,
            id_number=make_id(birth),
            name=name or f"求职{Person.objects.count()}",
            household=hh,
            education=education,
            job_intent=intent,
            certificates=certificates,
        )
        registry.person_change_status(
            actor=None, person=person, status="unit", since=date(2020, 1, 1)
        )
        registry.person_change_status(
            actor=None, person=person, status="unemployed", since=LOST, registered=True
        )
        if difficult:
            registry.recognition_create(
                actor=None, person=person, category="other", recognized_on=LOST, note="测试"
            )
        return Person.objects.select_related("community").get(pk=person.pk)

    return make
