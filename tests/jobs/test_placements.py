"""The placements report (DOMAIN §8): referrals and their outcomes per district, street and
community, for a period, in the caller's jurisdiction."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from jiuye.jobs import postings
from jiuye.jobs.posting_selectors import placements
from jiuye.units.scope import SYSTEM
from tests.jobs.conftest import make_person, make_posting, recognise

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 4)


@pytest.fixture
def history(tree: dict[str, Any], employer: Any) -> dict[str, Any]:
    """In A: hired (difficult, public-welfare), declined by the person, interviewed, pending;
    in B: hired, declined by the employer; in C: hired; in A, one referral outside the period."""
    regular = make_posting(employer, tree["a"], vacancies=5, opens_on=date(2026, 1, 1))
    welfare = make_posting(employer, tree["a"], public_welfare=True, vacancies=5)
    people = {
        key: make_person(tree[place], f"人{key}", number=f"P-{key}")
        for key, place in [
            ("a1", "a"),
            ("a2", "a"),
            ("a3", "a"),
            ("a4", "a"),
            ("a5", "a"),
            ("b1", "b"),
            ("b2", "b"),
            ("c1", "c"),
        ]
    }
    recognise(people["a1"], date(2026, 3, 1))

    def refer(key: str, posting: Any, on: date = date(2026, 4, 1)) -> Any:
        return postings.referral_create(actor=None, person=people[key], posting=posting, on=on)

    def done(referral: Any, outcome: str, **extra: Any) -> None:
        postings.referral_outcome(
            actor=None,
            referral=referral,
            outcome=outcome,
            on=date(2026, 4, 5),
            today=TODAY,
            **extra,
        )

    done(refer("a1", welfare), "hired")
    done(refer("a2", regular), "declined", declined_by="person", note="不去")
    done(refer("a3", regular), "interviewed")
    refer("a4", regular)
    refer("a5", regular, on=date(2026, 2, 1))  # before the period
    done(refer("b1", regular), "hired")
    done(refer("b2", regular), "declined", declined_by="employer", note="不符")
    done(refer("c1", regular), "hired")
    return people


def _figures(row: Any) -> dict[str, Any]:
    return {
        "referred": row.referred,
        "interviewed": row.interviewed,
        "hired": row.hired,
        "declined": row.declined,
        "by_person": row.declined_person,
        "by_employer": row.declined_employer,
        "welfare": row.public_welfare,
        "difficult": row.difficult_hired,
    }


def test_district_street_community(history: Any, tree: dict[str, Any]) -> None:
    period = {"start": date(2026, 3, 1), "end": date(2026, 12, 31)}
    report = placements(user=SYSTEM, unit=tree["district"], **period)
    assert _figures(report["total"]) == {
        "referred": 7,
        "interviewed": 5,  # a1, a3, b1, b2 (declined by the employer), c1
        "hired": 3,
        "declined": 2,
        "by_person": 1,
        "by_employer": 1,
        "welfare": 1,
        "difficult": 1,
    }
    assert report["total"].hire_rate == pytest.approx(3 / 7)
    streets = {row.unit.code: row for row in report["rows"]}
    assert set(streets) == {"110108001", "110108002"}
    assert streets["110108001"].referred == 6 and streets["110108001"].hired == 2
    assert streets["110108002"].referred == 1 and streets["110108002"].hired == 1

    street = placements(user=SYSTEM, unit=tree["s1"], **period)
    communities = {row.unit.code: row for row in street["rows"]}
    assert set(communities) == {"110108001001", "110108001002"}
    assert _figures(communities["110108001001"]) == {
        "referred": 4,
        "interviewed": 2,
        "hired": 1,
        "declined": 1,
        "by_person": 1,
        "by_employer": 0,
        "welfare": 1,
        "difficult": 1,
    }
    community = placements(user=SYSTEM, unit=tree["a"], **period)
    assert community["rows"] == [] and community["total"].referred == 4


def test_period_and_jurisdiction(
    history: Any, tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    february = placements(
        user=SYSTEM, unit=tree["district"], start=date(2026, 2, 1), end=date(2026, 2, 28)
    )
    assert february["total"].referred == 1 and february["total"].hire_rate == 0
    empty = placements(
        user=SYSTEM, unit=tree["district"], start=date(2026, 1, 1), end=date(2026, 1, 31)
    )
    assert empty["total"].referred == 0 and empty["total"].hire_rate is None
    # A worker of A asking for the district sees their own residents' referrals only.
    mine = placements(
        user=personas["worker_a"],
        unit=tree["district"],
        start=date(2026, 3, 1),
        end=date(2026, 12, 31),
    )
    assert mine["total"].referred == 4
    assert (
        placements(
            user=personas["auditor"], unit=tree["district"], start=date(2026, 1, 1), end=TODAY
        )["total"].referred
        == 0
    )
