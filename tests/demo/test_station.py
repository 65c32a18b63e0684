"""The generated service stations (their notice boards show them): every community and village
has an address, an office phone and hours; the phone is an office number, never a mobile like
the residents'; other units have none."""

from __future__ import annotations

import re

from jiuye.demo.generator import UNIT_FIELDS, SeedConfig, generate

U = {name: i for i, name in enumerate(UNIT_FIELDS)}
OFFICE = re.compile(r"0\d{2,3}-6\d{7}")


def test_communities_and_villages_have_a_station_contact() -> None:
    units = [row for batch in generate(SeedConfig(persons=3000, seed=5)) for row in batch.units]
    assert all(len(row) == len(UNIT_FIELDS) for row in units)
    communities = [u for u in units if u[U["level"]] in ("community", "village")]
    assert communities
    for unit in communities:
        assert unit[U["name"]] in unit[U["station_address"]]
        assert OFFICE.fullmatch(unit[U["station_phone"]]), unit[U["station_phone"]]
        assert unit[U["station_hours"]]
    phones = [u[U["station_phone"]] for u in communities]
    assert len(set(phones)) == len(phones)
    others = [u for u in units if u[U["level"]] not in ("community", "village")]
    assert all(u[U["station_address"]] == u[U["station_phone"]] == "" for u in others)
