"""A synthetic city (``SeedConfig.districts``, ``jiuye seed --districts``): several districts of
one city, each its own root unit, ids continuing across them, ID numbers unique and valid."""

from __future__ import annotations

from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jiuye.demo.generator import (
    DEFAULT_TODAY,
    HOUSEHOLD_FIELDS,
    MIGRANT_REGIONS,
    PERSON_FIELDS,
    UNIT_FIELDS,
    Batch,
    SeedConfig,
    city_districts,
    generate,
    region_known,
)
from jiuye.lib import idcard
from jiuye.registry.models import Person
from jiuye.units.models import Level, Unit
from tests.districts import district_mismatches

P = {name: i for i, name in enumerate(PERSON_FIELDS)}
H = {name: i for i, name in enumerate(HOUSEHOLD_FIELDS)}
U = {name: i for i, name in enumerate(UNIT_FIELDS)}
TABLES = ("units", "households", "persons", "events", "recognitions", "services")


def _all(config: SeedConfig) -> Batch:
    out = Batch()
    for batch in generate(config):
        for attr in (*TABLES, "zero_households"):
            getattr(out, attr).extend(getattr(batch, attr))
    return out


@pytest.fixture(scope="module")
def city() -> Batch:
    """Twelve districts of Beijing: six codes older than every birth year, six created since
    1986 (their older residents were born under another code)."""
    return _all(SeedConfig(persons=3600, seed=4, districts=12))


def test_city_districts_of_beijing() -> None:
    found = city_districts("110108", 16)
    assert found[0] == ("110108", "海淀区")
    assert [code for code, _ in found[1:4]] == ["110101", "110102", "110105"]
    assert ("110119", "延庆区") in found and len({c for c, _ in found}) == 16
    assert all(code.startswith("1101") for code, _ in found)
    with pytest.raises(ValueError, match="1101"):
        city_districts("110108", 17)
    with pytest.raises(ValueError):
        city_districts("110108", 0)


def test_region_known_by_birth_year() -> None:
    assert region_known("110108", 1930) and region_known("110111", 1990)
    assert not region_known("110111", 1970)  # 房山区 since 1986
    assert not region_known("110103", 2015)  # 崇文区 until 2010


def test_first_district_is_the_district_alone() -> None:
    """The city's first district consumes the same random numbers first, so it is the district
    its share of persons would be on its own; the next district's ids continue after it."""
    alone = _all(SeedConfig(persons=1500, seed=9))
    city = _all(SeedConfig(persons=3000, seed=9, districts=2))
    for attr in TABLES:
        mine, theirs = getattr(city, attr), getattr(alone, attr)
        assert mine[: len(theirs)] == theirs, attr
        assert [row[0] for row in mine] == list(range(1, len(mine) + 1)), attr
    assert len(city.persons) == 3000


def test_same_inputs_same_city() -> None:
    a = _all(SeedConfig(persons=900, seed=2, districts=3))
    b = _all(SeedConfig(persons=900, seed=2, districts=3))
    assert a == b


def test_districts_are_roots_with_their_own_codes(city: Batch) -> None:
    roots = [u for u in city.units if u[U["parent_id"]] is None]
    assert [u[U["code"]] for u in roots] == [c for c, _ in city_districts("110108", 12)]
    assert {u[U["level"]] for u in roots} == {"district"}
    assert all(u[U["path"]] == f"/{u[U['code']]}/" for u in roots)
    codes = [u[U["code"]] for u in city.units]
    assert len(set(codes)) == len(codes)
    numbers = [h[H["number"]] for h in city.households]
    assert len(set(numbers)) == len(numbers)
    # Every unit lies under its district's path and code.
    by_id = {u[U["id"]]: u for u in city.units}
    for unit in city.units:
        district = unit[U["path"]].split("/")[1]
        assert unit[U["code"]].startswith(district)
        if unit[U["parent_id"]] is not None:
            assert unit[U["path"]].startswith(by_id[unit[U["parent_id"]]][U["path"]])
    per_district = Counter(
        by_id[p[P["community_id"]]][U["path"]].split("/")[1] for p in city.persons
    )
    assert set(per_district.values()) == {300}


def test_id_numbers_unique_valid_and_local(city: Batch) -> None:
    numbers = [p[P["id_number"]] for p in city.persons]
    assert len(set(numbers)) == len(numbers)
    by_id = {u[U["id"]]: u for u in city.units}
    fallback: Counter[str] = Counter()
    for p in city.persons:
        parsed = idcard.parse(p[P["id_number"]], today=DEFAULT_TODAY)
        assert parsed.birth_date == p[P["birth_date"]]
        district = by_id[p[P["community_id"]]][U["path"]].split("/")[1]
        if parsed.region in MIGRANT_REGIONS:
            continue
        if parsed.region != district:  # born before the district's code existed
            assert not region_known(district, parsed.birth_date.year)
            assert parsed.region in ("110108", "110101", "110102", "110105", "110106", "110107")
            fallback[district] += 1
    assert fallback and set(fallback) <= {f"1101{n}" for n in range(11, 20)}


def test_seed_command_districts(db: Any) -> None:
    out = StringIO()
    call_command("seed", persons=1200, seed=3, districts=3, stdout=out)
    assert "海淀区（110108）、东城区（110101）、西城区（110102）" in out.getvalue()
    roots = Unit.objects.filter(parent=None).order_by("pk")
    assert [u.code for u in roots] == ["110108", "110101", "110102"]
    assert {u.level for u in roots} == {Level.DISTRICT}
    assert Person.objects.count() == 1200
    # Each district's rows carry it: the generator's claim checked against the rule.
    for root in roots:
        persons = Person.objects.filter(community__path__startswith=root.path)
        assert persons.exists() and not persons.exclude(district=root).exists()
    assert district_mismatches() == {}
    for districts in (0, 17, 2000):
        with pytest.raises(CommandError):
            call_command("seed", persons=1200, districts=districts, replace=True)
