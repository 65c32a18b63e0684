"""The synthetic district generator without a database: determinism and the shares it aims at."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from jiuye.demo.generator import (
    DEFAULT_TODAY,
    PERSON_FIELDS,
    SERVICE_FIELDS,
    Batch,
    SeedConfig,
    SeedRandom,
    district_name,
    generate,
    id_number,
    region_problem,
    split_sizes,
)
from jiuye.lib import idcard

P = {name: i for i, name in enumerate(PERSON_FIELDS)}
S = {name: i for i, name in enumerate(SERVICE_FIELDS)}


def _all(config: SeedConfig) -> Batch:
    out = Batch()
    for batch in generate(config):
        out.units += batch.units
        out.households += batch.households
        out.persons += batch.persons
        out.events += batch.events
        out.recognitions += batch.recognitions
        out.services += batch.services
        out.zero_households += batch.zero_households
    return out


@pytest.fixture(scope="module")
def district() -> Batch:
    return _all(SeedConfig(persons=6000, seed=11))


def test_same_inputs_same_rows() -> None:
    a = _all(SeedConfig(persons=2500, seed=3))
    b = _all(SeedConfig(persons=2500, seed=3))
    assert a == b


def test_other_seed_or_today_other_rows() -> None:
    base = _all(SeedConfig(persons=2500, seed=3))
    other_seed = _all(SeedConfig(persons=2500, seed=4))
    other_day = _all(SeedConfig(persons=2500, seed=3, today=date(2025, 6, 30)))
    assert base.persons != other_seed.persons
    assert base.persons != other_day.persons


def test_exactly_the_persons_asked_for() -> None:
    for n in (1, 7, 999, 4321):
        assert len(_all(SeedConfig(persons=n, seed=1)).persons) == n


def test_id_number_matches_idcard_make() -> None:
    for birth, order in ((date(1931, 2, 28), 1), (date(2000, 2, 29), 998), (date(2026, 1, 9), 7)):
        assert id_number("110108", birth, order) == idcard.make("110108", birth, order)


def test_ids_unique_and_valid(district: Batch) -> None:
    numbers = [p[P["id_number"]] for p in district.persons]
    assert len(set(numbers)) == len(numbers)
    for p in district.persons:
        parsed = idcard.parse(p[P["id_number"]], today=DEFAULT_TODAY)
        assert parsed.birth_date == p[P["birth_date"]] and parsed.sex.value == p[P["sex"]]


def test_split_sizes_sum_and_spread() -> None:
    sizes = split_sizes(SeedRandom(1), 1_000_000, 500)
    assert sum(sizes) == 1_000_000 and min(sizes) >= 900 and max(sizes) <= 3100


def test_region_checks() -> None:
    assert district_name("110108") == "海淀区"
    assert region_problem("110108", DEFAULT_TODAY) is None
    assert region_problem("11010", DEFAULT_TODAY)
    assert region_problem("130102", DEFAULT_TODAY)  # exists only from 1983: old IDs invalid


def test_population_shape(district: Batch) -> None:
    """Sex about even, ages 0–95 with a Beijing-like pyramid, households of ~2.6."""
    persons = district.persons
    today = DEFAULT_TODAY
    ages = [(today - p[P["birth_date"]]).days // 365 for p in persons]
    assert min(ages) >= 0 and max(ages) <= 97
    share = Counter("child" if a < 15 else "old" if a >= 60 else "adult" for a in ages)
    assert 0.08 < share["child"] / len(ages) < 0.18
    assert 0.12 < share["old"] / len(ages) < 0.28
    males = sum(p[P["sex"]] == "M" for p in persons) / len(persons)
    assert 0.46 < males < 0.54
    sizes = Counter(p[P["household_id"]] for p in persons).values()
    assert 2.3 < len(persons) / len(sizes) < 2.9 and max(sizes) <= 6
    heads = Counter(p[P["household_id"]] for p in persons if p[P["relation"]] == "户主")
    assert set(heads.values()) == {1} and len(heads) == len(sizes)


def test_labor_shares(district: Batch) -> None:
    """~70% of the working-age able and willing; ~5% of the labor force unemployed, most of
    them registered."""
    today = DEFAULT_TODAY
    working = [p for p in district.persons if p[P["work_from"]] <= today < p[P["retire_on"]]]
    able_willing = [p for p in working if p[P["able"]] and p[P["willing"]]]
    assert 0.62 < len(able_willing) / len(working) < 0.78
    labor = [p for p in able_willing if p[P["current_status"]] not in ("student", "retired", "out")]
    unemployed = [p for p in labor if p[P["current_status"]] == "unemployed"]
    assert 0.03 < len(unemployed) / len(labor) < 0.07
    assert sum(p[P["current_registered"]] for p in unemployed) / len(unemployed) > 0.6


def test_some_people_have_histories(district: Batch) -> None:
    per_person = Counter(e[1] for e in district.events)
    multi = sum(1 for n in per_person.values() if n >= 2) / len(per_person)
    assert 0.08 < multi < 0.30
    window = DEFAULT_TODAY - timedelta(days=730)
    changes = [e for e in district.events if e[3] > window and e[2] != "student"]
    assert changes  # statuses do change within the last two years


def test_recognition_categories_present(district: Batch) -> None:
    categories = Counter(r[2] for r in district.recognitions)
    for category in ("4050", "dibao", "disabled", "long_term", "landless"):
        assert categories[category] > 0, category
    assert any(r[4] is not None for r in district.recognitions)  # some ended


def test_recognitions_outlast_reemployment(district: Batch) -> None:
    """A recognition stays valid after placement: most recognised difficult persons in the
    labor force are employed today, and those recognised during a spell that has ended are
    mostly still recognised."""
    today = DEFAULT_TODAY
    persons = {p[0]: p for p in district.persons}
    current = {
        r[1] for r in district.recognitions if r[3] <= today and (r[4] is None or r[4] > today)
    }
    labor = [
        persons[i]
        for i in current
        if persons[i][P["work_from"]] <= today < persons[i][P["retire_on"]]
        and persons[i][P["able"]]
        and persons[i][P["willing"]]
        and persons[i][P["current_status"]] not in ("student", "retired", "out")
    ]
    employed = [p for p in labor if p[P["current_status"]] not in ("unemployed", "")]
    assert 0.8 < len(employed) / len(labor) < 0.97
    reemployed_4050 = [
        r
        for r in district.recognitions
        if r[2] == "4050" and persons[r[1]][P["current_status"]] != "unemployed"
    ]
    assert reemployed_4050
    assert sum(r[4] is None for r in reemployed_4050) / len(reemployed_4050) > 0.7
    for r in district.recognitions:
        assert r[4] is None or r[3] <= r[4] <= min(today, persons[r[1]][P["retire_on"]])


def test_service_rows_consistent(district: Batch) -> None:
    """Every service row keeps the casework model's check constraints, is dated between the
    person's birth and today, and the kinds carry the details they should."""
    today = DEFAULT_TODAY
    births = {p[0]: p[P["birth_date"]] for p in district.persons}
    ids = [s[S["id"]] for s in district.services]
    assert len(set(ids)) == len(ids)
    kinds = Counter(s[S["kind"]] for s in district.services)
    for kind in ("guidance", "referral", "visit", "contact", "training", "survey", "policy"):
        assert kinds[kind] > 0, kind
    for s in district.services:
        kind, on = s[S["kind"]], s[S["on"]]
        assert births[s[S["person_id"]]] <= on <= today
        assert s[S["created_at"]].date() == on and s[S["by_name"]]
        if kind == "training":
            assert s[S["training_mode"]] in ("post", "order", "directed", "other")
            assert not s[S["certified"]] or s[S["completed"]]
            assert not s[S["completed"]] or s[S["enrolled"]]
        else:
            assert s[S["training_mode"]] == ""
            assert not (s[S["enrolled"]] or s[S["completed"]] or s[S["certified"]])
        assert (s[S["outcome"]] != "") == (kind == "survey")
        if kind == "survey":
            assert s[S["outcome"]] in ("very_satisfied", "satisfied", "neutral", "dissatisfied")
            assert on.year == today.year
        assert (s[S["valid"]] is not None) == (kind == "complaint")
        assert (s[S["amount"]] is not None) == (kind == "policy") == (s[S["policy_name"]] != "")
        if kind == "policy":
            assert s[S["amount"]] > 0
    trainings = [s for s in district.services if s[S["kind"]] == "training"]
    three = sum(s[S["training_mode"]] in ("post", "order", "directed") for s in trainings)
    assert three / len(trainings) >= 0.5
    complaints = [s for s in district.services if s[S["kind"]] == "complaint"]
    assert sum(bool(s[S["valid"]]) for s in complaints) <= max(1, len(complaints) // 2)


def test_guidance_mostly_within_three_workdays(district: Batch) -> None:
    """CQ-4: about 90% of the registrations since two years ago get guidance on time."""
    from jiuye.lib.workdays import add_workdays

    guidance: dict[int, list[date]] = {}
    for s in district.services:
        if s[S["kind"]] == "guidance":
            guidance.setdefault(s[S["person_id"]], []).append(s[S["on"]])
    registrations = []
    by_person: dict[int, list[tuple[Any, ...]]] = {}
    for e in district.events:
        by_person.setdefault(e[1], []).append(e)
    for events in by_person.values():
        for i, e in enumerate(events):
            previous = events[i - 1] if i else None
            first = not (previous and previous[2] == "unemployed" and previous[5])
            if (
                e[2] == "unemployed"
                and e[5]
                and first
                and e[3] >= date(DEFAULT_TODAY.year - 2, 1, 1)
                and add_workdays(e[3], 3) < DEFAULT_TODAY
            ):
                registrations.append((e[1], e[3], e[4]))
    assert len(registrations) > 50
    on_time = sum(
        any(start <= g <= add_workdays(start, 3) for g in guidance.get(pid, []))
        for pid, start, _until in registrations
    )
    assert 0.8 < on_time / len(registrations) < 0.97
