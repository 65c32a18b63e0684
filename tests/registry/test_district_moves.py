"""The district column follows a move (units.sharding.follow_moves): a person moving into a
household of another district takes their rows with them on one server, and is refused on
Citus, where a row's district never changes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from jiuye.casework.models import ServiceRecord
from jiuye.casework.services import service_record_create
from jiuye.registry.models import Person, StatusEvent
from jiuye.registry.services import household_create, person_create, person_move
from jiuye.units.models import Level
from jiuye.units.services import unit_create
from tests.conftest import make_id


@pytest.fixture
def other_district(tree: dict[str, Any]) -> Any:
    district = unit_create(actor=None, code="110105", name="朝阳区", level=Level.DISTRICT)
    street = unit_create(
        actor=None, code="110105001", name="建外街道", level=Level.STREET, parent=district
    )
    community = unit_create(
        actor=None, code="110105001001", name="建国门外社区", level=Level.COMMUNITY, parent=street
    )
    return district, community


def _person(tree: dict[str, Any]) -> Person:
    home = household_create(actor=None, number="H-A-1", unit=tree["a"], hukou_type="urban")
    person = person_create(
        actor=None, id_number=make_id(date(1980, 5, 1)), name="张三", household=home
    )
    StatusEvent.objects.create(person=person, status="employed", since=date(2024, 1, 1))
    service_record_create(actor=None, person=person, kind="guidance", on=date(2024, 3, 1))
    return person


def test_rows_carry_their_district(tree: dict[str, Any]) -> None:
    person = _person(tree)
    assert person.household.district_id == tree["district"].pk
    assert person.district_id == tree["district"].pk
    assert set(StatusEvent.objects.values_list("district_id", flat=True)) == {tree["district"].pk}
    assert set(ServiceRecord.objects.values_list("district_id", flat=True)) == {tree["district"].pk}


def test_a_move_within_the_district_keeps_it(tree: dict[str, Any]) -> None:
    person = _person(tree)
    there = household_create(actor=None, number="H-C-1", unit=tree["c"], hukou_type="urban")
    person_move(actor=None, person=person, household=there)
    person.refresh_from_db()
    assert (person.community_id, person.district_id) == (tree["c"].pk, tree["district"].pk)


@pytest.mark.skipif(settings.JIUYE_CITUS, reason="on Citus a row's district never changes")
def test_a_move_to_another_district_takes_the_rows_along(
    tree: dict[str, Any], other_district: Any
) -> None:
    district, community = other_district
    person = _person(tree)
    there = household_create(actor=None, number="H-Y-1", unit=community, hukou_type="urban")
    assert there.district_id == district.pk
    person_move(actor=None, person=person, household=there)
    person.refresh_from_db()
    assert person.district_id == district.pk
    assert set(StatusEvent.objects.values_list("district_id", flat=True)) == {district.pk}
    assert set(ServiceRecord.objects.values_list("district_id", flat=True)) == {district.pk}


def test_on_citus_a_move_to_another_district_is_refused(
    tree: dict[str, Any], other_district: Any, settings: Any
) -> None:
    _district, community = other_district
    person = _person(tree)
    there = household_create(actor=None, number="H-Y-2", unit=community, hukou_type="urban")
    settings.JIUYE_CITUS = True
    with pytest.raises(ValidationError) as refused:
        person_move(actor=None, person=person, household=there)
    assert refused.value.code == "cross_district"
    person.refresh_from_db()
    assert person.household.number == "H-A-1"
