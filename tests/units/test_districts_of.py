"""``units.sharding.districts_of``: the bulk loaders' reading of the one rule, many units at once,
agreeing with :func:`district_of` unit by unit."""

from __future__ import annotations

from typing import Any

import pytest

from jiuye.units.models import Level, Unit
from jiuye.units.services import unit_create
from jiuye.units.sharding import district_of, districts_of


def test_many_units_at_once_as_one_by_one(tree: dict[str, Any]) -> None:
    # A second tree: a district under a city.
    city = unit_create(actor=None, code="1201", name="天津市", level=Level.CITY)
    district = unit_create(
        actor=None, code="120101", name="和平区", level=Level.DISTRICT, parent=city
    )
    street = unit_create(
        actor=None, code="120101001", name="某街道", level=Level.STREET, parent=district
    )
    community = unit_create(
        actor=None, code="120101001001", name="某社区", level=Level.COMMUNITY, parent=street
    )
    units = (*tree.values(), city, district, street, community)
    ids = [unit.pk for unit in units]
    found = districts_of(ids)
    assert found == {pk: district_of(pk) for pk in ids}
    assert found[tree["a1"].pk] == found[tree["c"].pk] == tree["district"].pk
    assert found[community.pk] == found[street.pk] == district.pk
    assert found[city.pk] == city.pk  # above the districts: the top of its tree
    assert districts_of([]) == {}


def test_an_unknown_unit_is_refused(tree: dict[str, Any]) -> None:
    with pytest.raises(Unit.DoesNotExist):
        districts_of([tree["a"].pk, 999_999])


def test_joins_name_the_district_on_citus_only(settings: Any) -> None:
    from jiuye.units.sharding import rows_of, same_district

    settings.JIUYE_CITUS = False
    assert same_district("e", "p") == ""
    assert rows_of("e", "person_id", "p") == "e.person_id = p.id"
    settings.JIUYE_CITUS = True
    assert same_district("e", "p") == " AND e.district_id = p.district_id"
    assert rows_of("e", "person_id", "p") == "e.person_id = p.id AND e.district_id = p.district_id"
