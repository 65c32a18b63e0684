"""Zero-employment families (零就业家庭, DOMAIN §3): when they emerge, when they are eliminated,
and that a past date's answer never changes when later events are recorded."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from jiuye.registry import services
from jiuye.registry.classification import (
    Episode,
    MemberTimeline,
    ZeroFamily,
    household_classification,
    household_zero_status,
    zero_families_as_of,
    zero_family_episodes,
)
from jiuye.registry.models import Household, Person, Status
from jiuye.units.models import Unit
from tests.conftest import make_id

# ---- the sweep, without a database --------------------------------------------------------

START = date(1996, 1, 1)  # the 16th birthday of the adults below
ADULT = {"work_from": START, "retire_on": date(2045, 1, 1), "able": True, "willing": True}


def member(*events: tuple[date, str], **overrides: Any) -> MemberTimeline:
    return MemberTimeline(**{**ADULT, **overrides}, events=list(events))


D = date  # short for the tables below

SWEEP_CASES = {
    "only earner loses job on 01-31": (
        [member((START, "unit"), (D(2026, 1, 31), "unemployed"))],
        D(2026, 12, 31),
        [Episode(D(2026, 1, 31))],
    ),
    "eliminated the day a member is employed": (
        [member((START, "unit"), (D(2026, 1, 31), "unemployed"), (D(2026, 2, 27), "flexible"))],
        D(2026, 12, 31),
        [Episode(D(2026, 1, 31), D(2026, 2, 27), "employed")],
    ),
    "elimination after the as-of date is not seen": (
        [member((START, "unit"), (D(2026, 1, 31), "unemployed"), (D(2026, 2, 27), "flexible"))],
        D(2026, 2, 26),
        [Episode(D(2026, 1, 31))],
    ),
    "nothing before it emerged": (
        [member((START, "unit"), (D(2026, 1, 31), "unemployed"))],
        D(2026, 1, 30),
        [],
    ),
    "employed member retires, the other is unemployed": (
        [
            member((START, "unit"), retire_on=D(2026, 7, 15)),
            member((START, "out"), (D(2024, 3, 1), "unemployed")),
        ],
        D(2026, 12, 31),
        [Episode(D(2026, 7, 15))],
    ),
    "only labor-force member turns 16 while unemployed": (
        [
            member((D(2026, 6, 1), "unemployed"), work_from=D(2026, 7, 14)),
            member((START, "unit"), (D(2020, 1, 1), "retired")),
        ],
        D(2026, 12, 31),
        [Episode(D(2026, 7, 14))],
    ),
    "nobody recorded yet: in the labor force, not employed": (
        [member()],
        D(2000, 1, 1),
        [Episode(START)],
    ),
    "first record unemployed: zero since the 16th birthday": (
        [member((D(2025, 1, 1), "unemployed"))],
        D(2026, 1, 1),
        [Episode(START)],
    ),
    "no labor-force member: never zero": (
        [
            member((START, "unemployed"), able=False),
            member((START, "unemployed"), willing=False),
            member((START, "student")),
            member((START, "unit"), (D(2010, 1, 1), "retired")),
        ],
        D(2030, 1, 1),
        [],
    ),
    "ends when its only member retires": (
        [member((START, "unit"), (D(2025, 1, 1), "unemployed"), retire_on=D(2026, 7, 15))],
        D(2030, 1, 1),
        [Episode(D(2025, 1, 1), D(2026, 7, 15), "no_labor_force")],
    ),
    "ends when its only member becomes a student, then emerges again": (
        [
            member(
                (START, "unit"),
                (D(2025, 1, 1), "unemployed"),
                (D(2025, 9, 1), "student"),
                (D(2026, 7, 1), "unemployed"),
            )
        ],
        D(2030, 1, 1),
        [Episode(D(2025, 1, 1), D(2025, 9, 1), "no_labor_force"), Episode(D(2026, 7, 1))],
    ),
    "a member employed while another is unemployed: not zero": (
        [member((START, "unemployed"), (D(2025, 1, 1), "unemployed")), member((START, "farming"))],
        D(2030, 1, 1),
        [],
    ),
    "employed but unwilling member does not count as employed": (
        [
            member((START, "unit"), (D(2025, 1, 1), "unemployed")),
            member((START, "unit"), willing=False),
        ],
        D(2030, 1, 1),
        [Episode(D(2025, 1, 1))],
    ),
    "two episodes, events given out of order": (
        [
            member(
                (D(2026, 3, 1), "unit"),
                (D(2025, 1, 1), "unemployed"),
                (D(2026, 9, 1), "unemployed"),
                (START, "self"),
            )
        ],
        D(2027, 1, 1),
        [Episode(D(2025, 1, 1), D(2026, 3, 1), "employed"), Episode(D(2026, 9, 1))],
    ),
    "same-day change of two members: employed wins": (
        [
            member((START, "unit"), (D(2026, 4, 1), "unemployed")),
            member((START, "unemployed"), (D(2026, 4, 1), "unit")),
        ],
        D(2027, 1, 1),
        [],
    ),
}


@pytest.mark.parametrize(
    ("members", "until", "expected"), SWEEP_CASES.values(), ids=SWEEP_CASES.keys()
)
def test_zero_family_episodes(members, until, expected):
    assert zero_family_episodes(members, until=until) == expected


def test_episode_days():
    assert Episode(D(2026, 1, 31), D(2026, 2, 28), "employed").days(D(2026, 12, 1)) == 28
    assert Episode(D(2026, 1, 31)).days(D(2026, 2, 10)) == 10


# ---- against the database --------------------------------------------------------------------


def _household(unit: Unit, number: str, hukou: str = "urban") -> Household:
    return services.household_create(actor=None, number=number, unit=unit, hukou_type=hukou)


def _person(
    household: Household, birth: date, *events: tuple[str, date], male: bool = True, **fields: Any
) -> Person:
    person = services.person_create(
        actor=None, id_number=make_id(birth, male=male), name="测试", household=household, **fields
    )
    for status, since in events:
        services.person_change_status(actor=None, person=person, status=status, since=since)
    return person


def _change(person: Person, status: str, since: date) -> None:
    services.person_change_status(actor=None, person=person, status=status, since=since)


def _sql_zero(household: Household, on: date) -> bool:
    (row,) = household_classification(on=on, households=Household.objects.filter(pk=household.pk))
    return row.is_zero


@pytest.fixture
def couple(tree):
    """An earner and a spouse who is unemployed since 2024."""
    household = _household(tree["a1"], "H-couple")
    earner = _person(household, date(1980, 2, 2), (Status.UNIT, date(1996, 2, 2)))
    spouse = _person(
        household,
        date(1982, 8, 8),
        (Status.STUDENT, date(1998, 8, 8)),
        (Status.UNEMPLOYED, date(2024, 1, 1)),
        male=False,
    )
    return household, earner, spouse


def test_emerges_when_the_only_earner_becomes_unemployed(couple):
    household, earner, _ = couple
    _change(earner, Status.UNEMPLOYED, date(2026, 1, 31))
    status = household_zero_status(household=household, on=date(2026, 2, 15))
    assert (status.is_zero, status.emerged_on, status.eliminated_on) == (
        True,
        date(2026, 1, 31),
        None,
    )
    assert not _sql_zero(household, date(2026, 1, 30))
    assert _sql_zero(household, date(2026, 1, 31))


def test_eliminated_the_day_a_member_is_employed(couple):
    household, earner, spouse = couple
    _change(earner, Status.UNEMPLOYED, date(2026, 1, 31))
    _change(spouse, Status.PUBLIC_POST, date(2026, 2, 27))
    status = household_zero_status(household=household, on=date(2026, 3, 1))
    assert (status.is_zero, status.emerged_on, status.eliminated_on, status.end_reason) == (
        False,
        date(2026, 1, 31),
        date(2026, 2, 27),
        "employed",
    )
    assert status.episodes == (Episode(date(2026, 1, 31), date(2026, 2, 27), "employed"),)
    assert _sql_zero(household, date(2026, 2, 26))
    assert not _sql_zero(household, date(2026, 2, 27))


def test_emerges_when_the_employed_member_retires(tree):
    household = _household(tree["a1"], "H-retire")
    husband = _person(household, date(1966, 3, 15), (Status.UNIT, date(1990, 1, 1)))
    _person(
        household,
        date(1975, 4, 4),
        (Status.OUT, date(1991, 4, 4)),
        (Status.UNEMPLOYED, date(2025, 5, 1)),
        male=False,
    )
    assert husband.retire_on == date(2026, 7, 15)
    status = household_zero_status(household=household, on=date(2026, 8, 1))
    assert (status.is_zero, status.emerged_on) == (True, date(2026, 7, 15))
    assert not _sql_zero(household, date(2026, 7, 14))
    assert _sql_zero(household, date(2026, 7, 15))


def test_emerges_when_the_only_labor_force_member_turns_16_unemployed(tree):
    household = _household(tree["a1"], "H-teen")
    _person(household, date(2010, 7, 14), (Status.UNEMPLOYED, date(2026, 6, 1)))
    _person(
        household,
        date(1950, 1, 1),
        (Status.UNIT, date(1966, 1, 1)),
        (Status.RETIRED, date(2000, 1, 1)),
        male=False,
    )
    status = household_zero_status(household=household, on=date(2026, 12, 31))
    assert (status.is_zero, status.emerged_on) == (True, date(2026, 7, 14))
    assert not _sql_zero(household, date(2026, 7, 13))
    assert _sql_zero(household, date(2026, 7, 14))


def test_household_without_labor_force_is_never_zero(tree):
    household = _household(tree["a1"], "H-none")
    _person(
        household,
        date(1950, 1, 1),
        (Status.UNIT, date(1966, 1, 1)),
        (Status.RETIRED, date(2005, 1, 1)),
    )
    _person(household, date(1985, 1, 1), (Status.UNEMPLOYED, date(2020, 1, 1)), able=False)
    _person(household, date(2012, 1, 1), (Status.STUDENT, date(2018, 9, 1)), male=False)
    for on in (date(2020, 6, 1), date(2026, 1, 31), date(2027, 12, 31)):
        assert not household_zero_status(household=household, on=on).is_zero
        assert not _sql_zero(household, on)
    assert household_zero_status(household=household, on=date(2026, 1, 31)).episodes == ()


def test_empty_household_is_not_zero(tree):
    household = _household(tree["a1"], "H-empty")
    assert household_zero_status(household=household, on=date(2026, 1, 1)).episodes == ()
    assert not _sql_zero(household, date(2026, 1, 1))


def test_past_date_unchanged_by_later_events(couple):
    household, earner, spouse = couple
    _change(earner, Status.UNEMPLOYED, date(2026, 1, 31))
    past = date(2026, 2, 15)
    before = (
        household_zero_status(household=household, on=past),
        _sql_zero(household, past),
        zero_families_as_of(on=past),
    )
    _change(spouse, Status.UNIT, date(2026, 3, 1))  # recorded later, effective later
    _change(earner, Status.RETIRED, date(2026, 5, 1))
    after = (
        household_zero_status(household=household, on=past),
        _sql_zero(household, past),
        zero_families_as_of(on=past),
    )
    assert before == after
    assert before[0].is_zero and before[0].emerged_on == date(2026, 1, 31)
    assert not household_zero_status(household=household, on=date(2026, 3, 1)).is_zero


def test_household_zero_status_takes_two_queries(couple, django_assert_num_queries):
    household, earner, _ = couple
    _change(earner, Status.UNEMPLOYED, date(2026, 1, 31))
    with django_assert_num_queries(2):
        household_zero_status(household=household, on=date(2026, 2, 1))


def test_zero_families_as_of_dates_each_family(tree, couple):
    household, earner, _ = couple
    _change(earner, Status.UNEMPLOYED, date(2026, 1, 31))
    rural = _household(tree["c"], "H-rural", hukou="agricultural")
    _person(
        rural,
        date(1990, 1, 1),
        (Status.FARMING, date(2006, 1, 1)),
        (Status.UNEMPLOYED, date(2025, 11, 30)),
    )
    working = _household(tree["b"], "H-working")
    _person(working, date(1990, 1, 1), (Status.UNIT, date(2006, 1, 1)))
    on = date(2026, 2, 28)
    found = zero_families_as_of(on=on)
    assert found == [
        ZeroFamily(household.pk, tree["a"].pk, "urban", date(2026, 1, 31)),
        ZeroFamily(rural.pk, tree["c"].pk, "agricultural", date(2025, 11, 30)),
    ]
    assert found[0].days(on) == 28
    in_s1 = Unit.objects.filter(path__startswith=tree["s1"].path)
    assert [z.household_id for z in zero_families_as_of(on=on, communities=in_s1)] == [household.pk]
    assert zero_families_as_of(on=date(2026, 1, 30), communities=in_s1) == []
