"""Zero-employment families (零就业家庭, DOMAIN §3): when they emerge, when they are eliminated,
and that a past date's answer never changes when later events are recorded."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from jiuye.registry import services
from jiuye.registry.classification import (
    household_classification,
    household_episodes,
    household_zero_on,
    zero_households,
)
from jiuye.registry.definitions import Episode, MemberTimeline, zero_family_episodes
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
    # DOMAIN §3 (2026-12): status unknown before the first event counts nowhere.
    "nobody recorded yet: status unknown, not a zero family": (
        [member()],
        D(2000, 1, 1),
        [],
    ),
    "first record unemployed: zero from that record, not from the 16th birthday": (
        [member((D(2025, 1, 1), "unemployed"))],
        D(2026, 1, 1),
        [Episode(D(2025, 1, 1))],
    ),
    "a registry starting in 2026: emerges on the first recorded status (CQ-2)": (
        [member((D(2026, 3, 2), "unemployed")), member((D(2026, 3, 5), "out"))],
        D(2026, 12, 31),
        [Episode(D(2026, 3, 2))],
    ),
    "the later employment of a member ends it (no 9366 days)": (
        [member((D(2026, 3, 2), "unemployed"), (D(2026, 4, 1), "unit"))],
        D(2026, 12, 31),
        [Episode(D(2026, 3, 2), D(2026, 4, 1), "employed")],
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
    # Everything recorded (until=None) gives the same episodes up to ``until``, read as of it.
    complete = zero_family_episodes(members)
    assert [e.emerged_on for e in complete if e.emerged_on <= until] == [
        e.emerged_on for e in expected
    ]


def test_retirement_end_is_dated_ahead():
    """With everything recorded, the day the last labor-force member retires already ends the
    episode (no nightly job needed), while as of an earlier day it is open."""
    members = [member((D(2025, 1, 1), "unemployed"), retire_on=D(2027, 7, 15))]
    (episode,) = zero_family_episodes(members)
    assert episode == Episode(D(2025, 1, 1), D(2027, 7, 15), "no_labor_force")
    assert episode.open_on(D(2027, 7, 14)) and not episode.open_on(D(2027, 7, 15))
    assert episode.days(D(2026, 1, 1)) == 365  # read as of a date before its end


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


def _latest(household: Household, on: date) -> tuple[bool, date | None, date | None, str | None]:
    """(zero on ``on``, the latest episode's emergence, end and end reason) as known then."""
    episodes = household_episodes(household.pk, until=on)
    if not episodes:
        return (False, None, None, None)
    last = episodes[-1]
    return (last.open_on(on), last.emerged_on, last.ended_on, last.end_reason)


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
    assert _latest(household, date(2026, 2, 15))[:3] == (True, date(2026, 1, 31), None)
    assert not _sql_zero(household, date(2026, 1, 30))
    assert _sql_zero(household, date(2026, 1, 31))


def test_eliminated_the_day_a_member_is_employed(couple):
    household, earner, spouse = couple
    _change(earner, Status.UNEMPLOYED, date(2026, 1, 31))
    _change(spouse, Status.PUBLIC_POST, date(2026, 2, 27))
    assert _latest(household, date(2026, 3, 1)) == (
        False,
        date(2026, 1, 31),
        date(2026, 2, 27),
        "employed",
    )
    assert household_episodes(household.pk, until=date(2026, 3, 1)) == [
        Episode(date(2026, 1, 31), date(2026, 2, 27), "employed")
    ]
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
    assert _latest(household, date(2026, 8, 1))[:2] == (True, date(2026, 7, 15))
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
    assert _latest(household, date(2026, 12, 31))[:2] == (True, date(2026, 7, 14))
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
        assert not household_zero_on(household_id=household.pk, on=on)
        assert not _sql_zero(household, on)
    assert household_episodes(household.pk) == []


def test_empty_household_is_not_zero(tree):
    household = _household(tree["a1"], "H-empty")
    assert household_episodes(household.pk) == []
    assert not _sql_zero(household, date(2026, 1, 1))


def test_past_date_unchanged_by_later_events(couple):
    household, earner, spouse = couple
    _change(earner, Status.UNEMPLOYED, date(2026, 1, 31))
    past = date(2026, 2, 15)
    before = (
        _latest(household, past),
        _sql_zero(household, past),
        [r.household_id for r in zero_households(on=past)],
    )
    _change(spouse, Status.UNIT, date(2026, 3, 1))  # recorded later, effective later
    _change(earner, Status.RETIRED, date(2026, 5, 1))
    after = (
        _latest(household, past),
        _sql_zero(household, past),
        [r.household_id for r in zero_households(on=past)],
    )
    assert before == after
    assert before[0][:2] == (True, date(2026, 1, 31))
    assert not household_zero_on(household_id=household.pk, on=date(2026, 3, 1))


def test_household_episodes_take_two_queries(couple, django_assert_num_queries):
    household, earner, _ = couple
    _change(earner, Status.UNEMPLOYED, date(2026, 1, 31))
    with django_assert_num_queries(2):
        household_episodes(household.pk)


def test_zero_households_across_communities(tree, couple):
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
    assert [(r.household_id, r.hukou_type) for r in zero_households(on=on)] == [
        (household.pk, "urban"),
        (rural.pk, "agricultural"),
    ]
    in_s1 = Household.objects.filter(community__path__startswith=tree["s1"].path)
    assert [r.household_id for r in zero_households(on=on, households=in_s1)] == [household.pk]
    assert zero_households(on=date(2026, 1, 30), households=in_s1) == []
