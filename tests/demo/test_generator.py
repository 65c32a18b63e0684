"""The synthetic district generator without a database: determinism and the shares it aims at."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from jiuye.demo.generator import (
    DEFAULT_TODAY,
    PERSON_FIELDS,
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


def _all(config: SeedConfig) -> Batch:
    out = Batch()
    for batch in generate(config):
        out.units += batch.units
        out.households += batch.households
        out.persons += batch.persons
        out.events += batch.events
        out.recognitions += batch.recognitions
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
