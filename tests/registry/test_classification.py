"""Household and community classification at a date: the aggregated SQL against its definitions
(DOMAIN §3) and against a brute-force recomputation in Python."""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import pytest

from jiuye.registry import definitions, services
from jiuye.registry.classification import (
    CommunityCounts,
    community_classification,
    household_classification,
    zero_households,
)
from jiuye.registry.definitions import MemberTimeline, zero_family_episodes
from jiuye.registry.models import Household, Person, Status
from jiuye.units.models import Level, Unit
from tests.conftest import make_id

ON = date(2026, 1, 31)


def _household(unit: Unit, number: str, hukou: str = "urban") -> Household:
    return services.household_create(actor=None, number=number, unit=unit, hukou_type=hukou)


def _member(
    household: Household, status: str | None, *, birth: date = date(1985, 6, 1), **fields: Any
) -> Person:
    person = services.person_create(
        actor=None, id_number=make_id(birth), name="测试", household=household, **fields
    )
    if status is not None:
        services.person_change_status(
            actor=None, person=person, status=status, since=date(2001, 6, 1)
        )
    return person


def _row(household: Household, on: date = ON) -> Any:
    (row,) = household_classification(on=on, households=Household.objects.filter(pk=household.pk))
    return row


@pytest.mark.parametrize(
    ("statuses", "is_zero", "is_pure_farming"),
    [
        (["farming"], False, True),
        (["farming", "farming"], False, True),
        (["farming", "unemployed"], False, True),  # the employed ones are all farming
        (["farming", "unit"], False, False),  # mixed
        (["farming", "flexible", "farming"], False, False),
        (["unit"], False, False),
        (["unemployed"], True, False),  # no employed member: zero, not pure farming
        # Nothing recorded: status unknown, counted nowhere (DOMAIN §3, 2026-12), so no zero
        # family either (it used to be "labor force, not employed": a zero family).
        ([None], False, False),
        ([None, "unemployed"], True, False),
        (["student", "unemployed"], True, False),
        (["retired", "out"], False, False),  # no labor force: neither
        ([], False, False),  # no members at all
    ],
)
def test_household_flags(tree, statuses, is_zero, is_pure_farming):
    household = _household(tree["a1"], "H1", "agricultural")
    for status in statuses:
        _member(household, status)
    row = _row(household)
    assert (row.is_zero, row.is_pure_farming) == (is_zero, is_pure_farming)
    assert row.community_id == tree["a"].pk and row.hukou_type == "agricultural"


def test_farming_member_outside_the_labor_force_does_not_make_pure_farming(tree):
    household = _household(tree["a1"], "H1")
    _member(household, "farming", willing=False)
    _member(household, "unit")
    row = _row(household)
    assert (row.labor_force, row.employed, row.farming_employed) == (1, 1, 0)
    assert not row.is_pure_farming


def test_urban_and_agricultural_zero_families_are_counted_apart(tree):
    for number, hukou, status in [
        ("U1", "urban", "unemployed"),
        ("U2", "urban", "unemployed"),
        ("U3", "urban", "unit"),
        ("R1", "agricultural", "unemployed"),
        ("C1", "converted", "unemployed"),  # 农转非 is urban hukou (DOMAIN §3, 2026-12)
        ("R3", "agricultural", "farming"),
    ]:
        _member(_household(tree["a"], number, hukou), status)
    counts = community_classification(on=ON)[tree["a"].pk]
    assert (
        counts.households,
        counts.zero_families,
        counts.zero_families_urban,
        counts.pure_farming_families,
    ) == (6, 4, 3, 1)


def test_every_community_gets_a_row_and_units_narrow_it(tree):
    _member(_household(tree["a1"], "H1"), "unit")
    everything = community_classification(on=ON)
    assert set(everything) == {tree[k].pk for k in "abc"}  # grids and streets are not rows
    assert everything[tree["b"].pk] == CommunityCounts(tree["b"].pk)
    assert (everything[tree["a"].pk].persons, everything[tree["a"].pk].employed) == (1, 1)
    s2 = Unit.objects.filter(path__startswith=tree["s2"].path)
    assert set(community_classification(on=ON, units=s2)) == {tree["c"].pk}
    only_a = Unit.objects.filter(pk=tree["a"].pk)
    assert community_classification(on=ON, units=only_a) == {tree["a"].pk: everything[tree["a"].pk]}


def test_empty_querysets_give_nothing(tree):
    """The jurisdiction scope answers ``.none()`` for a user who may see nothing."""
    _member(_household(tree["a1"], "H1"), "unemployed")
    assert community_classification(on=ON, units=Unit.objects.none()) == {}
    assert household_classification(on=ON, households=Household.objects.none()) == []
    assert zero_households(on=ON, households=Household.objects.none()) == []
    assert len(zero_households(on=ON)) == 1


def test_persons_counts_members_born_by_the_date(tree):
    household = _household(tree["a1"], "H1")
    _member(household, None, birth=date(2020, 5, 5))
    assert community_classification(on=date(2020, 5, 4))[tree["a"].pk].persons == 0
    assert community_classification(on=date(2020, 5, 5))[tree["a"].pk].persons == 1


def test_one_query_for_all_communities(tree, django_assert_num_queries):
    _member(_household(tree["a1"], "H1"), "unit")
    with django_assert_num_queries(1):
        community_classification(on=ON)
    with django_assert_num_queries(1):
        community_classification(on=ON, units=Unit.objects.filter(level=Level.COMMUNITY))
    with django_assert_num_queries(1):
        household_classification(on=ON)


# ---- brute force ---------------------------------------------------------------------------

DATES = (date(2024, 6, 30), date(2026, 1, 31), date(2026, 7, 15))
# Unemployment and farming weighted up so zero and pure-farming families occur.
STATUS_WEIGHTS = {s.value: 1 for s in Status} | {"unemployed": 5, "farming": 3, "unit": 2}


def _random_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _build_random_registry(tree: dict[str, Any], seed: int = 20260131) -> None:
    """~20 households and 60 persons across communities A, B and C: ages from children to
    retirees (some right at the date bounds), random ability, desire and status histories."""
    rng = random.Random(seed)
    units = [tree["a1"], tree["a2"], tree["a"], tree["b"], tree["c"]]
    hukous = ["urban", "agricultural", "converted"]
    households = [_household(rng.choice(units), f"R{n:03d}", rng.choice(hukous)) for n in range(20)]
    _household(tree["b"], "R-empty")  # a household without members
    for n in range(60):
        male = rng.random() < 0.5
        if n % 10 == 0:  # on a date bound: 16 or retiring around the query dates
            birth = rng.choice(
                [
                    date(2010, 7, 15),
                    date(2008, 6, 30),
                    date(1966, 3, 15),
                    date(1971, 1, 31),
                    date(2010, 1, 31),
                ]
            )
        else:
            birth = _random_day(rng, date(1955, 1, 1), date(2012, 12, 31))
        fields: dict[str, Any] = {
            "able": rng.random() < 0.9,
            "willing": rng.random() < 0.85,
            "hukou_type": rng.choice(hukous),
        }
        if not male:
            fields["female_base"] = rng.choice([None, 50, 55])
        person = services.person_create(
            actor=None,
            id_number=make_id(birth, male=male),
            name=f"人{n}",
            household=rng.choice(households),
            **fields,
        )
        for _ in range(rng.randrange(5)):
            (status,) = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))
            since = rng.choice(
                [*DATES, _random_day(rng, max(birth, date(2015, 1, 1)), date(2027, 6, 30))]
            )
            since = max(since, birth)
            if definitions.is_employed(status):
                since = max(since, person.work_from)  # no employment before 16 (DOMAIN §3)
            services.person_change_status(
                actor=None,
                person=person,
                status=status,
                since=since,
                registered=status == Status.UNEMPLOYED and rng.random() < 0.6,
            )


def _brute_force(on: date) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, int]]]:
    """Per household and per community, straight from the definitions, one object at a time."""
    households: dict[int, dict[str, Any]] = {}
    for h in Household.objects.all():
        households[h.pk] = {
            "community_id": h.community_id,
            "hukou_type": h.hukou_type,
            "persons": 0,
            "working_age": 0,
            "labor_force": 0,
            "employed": 0,
            "farming_employed": 0,
            "unemployed": 0,
            "registered_unemployed": 0,
        }
    for p in Person.objects.all():
        events = sorted(p.status_events.all(), key=lambda e: e.since)
        current = [e for e in events if e.since <= on]
        status = definitions.status_on([(e.since, e.status) for e in events], on)
        registered = bool(current and current[-1].registered)
        working_age = definitions.is_working_age(
            work_from=p.work_from, retire_on=p.retire_on, on=on
        )
        lf = definitions.in_labor_force(
            work_from=p.work_from,
            retire_on=p.retire_on,
            able=p.able,
            willing=p.willing,
            status=status,
            on=on,
        )
        hh = households[p.household_id]
        hh["persons"] += p.birth_date <= on
        hh["working_age"] += working_age
        hh["labor_force"] += lf
        hh["employed"] += lf and definitions.is_employed(status)
        hh["farming_employed"] += lf and status == Status.FARMING
        hh["unemployed"] += lf and status == Status.UNEMPLOYED
        hh["registered_unemployed"] += lf and registered
    communities: dict[int, dict[str, int]] = {
        u.pk: {f: 0 for f in CommunityCounts.__dataclass_fields__ if f != "community_id"}
        for u in Unit.objects.filter(level__in=[Level.COMMUNITY, Level.VILLAGE])
    }
    for hh in households.values():
        hh["is_zero"] = definitions.is_zero_family(
            labor_force=hh["labor_force"], employed=hh["employed"]
        )
        hh["is_pure_farming"] = definitions.is_pure_farming(
            employed=hh["employed"], farming=hh["farming_employed"]
        )
        c = communities[hh["community_id"]]
        for key in (
            "persons",
            "working_age",
            "labor_force",
            "employed",
            "unemployed",
            "registered_unemployed",
        ):
            c[key] += hh[key]
        c["households"] += 1
        c["labor_force_households"] += hh["labor_force"] > 0
        c["zero_families"] += hh["is_zero"]
        c["zero_families_urban"] += hh["is_zero"] and definitions.is_urban(hh["hukou_type"])
        c["pure_farming_families"] += hh["is_pure_farming"]
    return households, communities


def _sweep_is_zero(on: date) -> dict[int, bool]:
    """The zero flag at ``on`` from the Python change-point sweep, for every household."""
    result = {}
    for h in Household.objects.prefetch_related("members__status_events"):
        members = [
            MemberTimeline(
                p.work_from,
                p.retire_on,
                p.able,
                p.willing,
                [(e.since, e.status) for e in p.status_events.all()],
            )
            for p in h.members.all()
        ]
        episodes = zero_family_episodes(members, until=on)
        result[h.pk] = any(e.open_on(on) for e in episodes)
        # Knowing everything recorded (later events, dated retirements) changes no past day.
        assert result[h.pk] == any(e.open_on(on) for e in zero_family_episodes(members))
    return result


@pytest.mark.parametrize("on", DATES)
def test_sql_equals_brute_force(tree, on):
    _build_random_registry(tree)
    expected_households, expected_communities = _brute_force(on)

    rows = {r.household_id: asdict(r) for r in household_classification(on=on)}
    assert {
        k: {f: v for f, v in r.items() if f != "household_id"} for k, r in rows.items()
    } == expected_households

    got = {
        k: {f: v for f, v in asdict(c).items() if f != "community_id"}
        for k, c in community_classification(on=on).items()
    }
    assert got == expected_communities
    # The data must exercise every count, or the comparison proves little.
    totals = {f: sum(c[f] for c in got.values()) for f in next(iter(got.values()))}
    exercised = {
        f: totals[f]
        for f in (
            "labor_force",
            "employed",
            "unemployed",
            "registered_unemployed",
            "zero_families",
            "pure_farming_families",
            "households",
        )
    }
    assert all(exercised.values()), exercised

    sweep = _sweep_is_zero(on)
    assert sweep == {k: v["is_zero"] for k, v in expected_households.items()}
    zero_ids = {k for k, v in expected_households.items() if v["is_zero"]}
    assert {r.household_id for r in zero_households(on=on)} == zero_ids
