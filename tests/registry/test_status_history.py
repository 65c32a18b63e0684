"""Status history: the one writer keeps ``until`` and the current-status cache consistent."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from jiuye.registry import services
from jiuye.registry.classification import status_at
from jiuye.registry.models import Status, StatusEvent
from tests.conftest import make_id


@pytest.fixture
def person(tree):
    hh = services.household_create(actor=None, number="H001", unit=tree["a1"], hukou_type="urban")
    return services.person_create(
        actor=None, id_number=make_id(date(1980, 5, 6)), name="张三", household=hh
    )


def test_person_lands_in_household_community_and_grid(person, tree):
    assert person.community == tree["a"] and person.grid == tree["a1"]
    assert person.birth_date == date(1980, 5, 6) and person.sex == "M"
    assert person.work_from == date(1996, 5, 6)


def test_back_dated_event_relinks_history(person):
    services.person_change_status(
        actor=None, person=person, status=Status.UNIT, since=date(2024, 1, 1)
    )
    services.person_change_status(
        actor=None, person=person, status=Status.UNEMPLOYED, since=date(2025, 6, 1), registered=True
    )
    services.person_change_status(
        actor=None, person=person, status=Status.FLEXIBLE, since=date(2024, 9, 1)
    )
    spans = list(StatusEvent.objects.filter(person=person).values_list("status", "since", "until"))
    assert spans == [
        ("unit", date(2024, 1, 1), date(2024, 9, 1)),
        ("flexible", date(2024, 9, 1), date(2025, 6, 1)),
        ("unemployed", date(2025, 6, 1), None),
    ]
    person.refresh_from_db()
    assert (person.current_status, person.current_registered) == ("unemployed", True)
    assert status_at(person, date(2024, 8, 31)) == "unit"
    assert status_at(person, date(2023, 12, 31)) is None


def test_same_day_change_replaces(person):
    services.person_change_status(
        actor=None, person=person, status=Status.UNIT, since=date(2024, 1, 1)
    )
    services.person_change_status(
        actor=None, person=person, status=Status.SELF, since=date(2024, 1, 1)
    )
    assert StatusEvent.objects.filter(person=person).count() == 1
    person.refresh_from_db()
    assert person.current_status == "self"


def test_status_before_birth_is_refused(person):
    with pytest.raises(ValidationError):
        services.person_change_status(
            actor=None, person=person, status=Status.UNIT, since=date(1980, 5, 5)
        )


def test_registered_only_for_unemployed(person):
    with pytest.raises(ValidationError):
        services.person_change_status(
            actor=None, person=person, status=Status.UNIT, since=date(2024, 1, 1), registered=True
        )


def test_deleting_the_only_event_clears_the_current_status(person):
    event = services.person_change_status(
        actor=None, person=person, status=Status.UNIT, since=date(2024, 1, 1)
    )
    services.status_event_delete(actor=None, event=event)
    person.refresh_from_db()
    assert (person.current_status, person.current_since) == ("", None)


@pytest.mark.parametrize(
    ("status", "since", "refused"),
    [
        # DOMAIN §3: an employed status may not start before the 16th birthday.
        (Status.UNIT, date(2021, 3, 9), True),  # 11 years old
        (Status.FLEXIBLE, date(2026, 3, 9), True),  # the day before the 16th birthday
        (Status.FARMING, date(2026, 3, 10), False),  # the 16th birthday itself
        (Status.STUDENT, date(2021, 3, 9), False),  # school is not employment
        (Status.UNEMPLOYED, date(2026, 3, 1), False),  # only employment is refused
    ],
)
def test_no_employment_before_16(tree, status, since, refused):
    household = services.household_create(
        actor=None, number="H-young", unit=tree["a"], hukou_type="urban"
    )
    young = services.person_create(
        actor=None, id_number=make_id(date(2010, 3, 10)), name="少年", household=household
    )
    assert young.work_from == date(2026, 3, 10)
    if not refused:
        services.person_change_status(actor=None, person=young, status=status, since=since)
        assert StatusEvent.objects.filter(person=young).count() == 1
        return
    with pytest.raises(ValidationError) as caught:
        services.person_change_status(actor=None, person=young, status=status, since=since)
    assert caught.value.code == "employed_under_16"
    assert "16周岁" in caught.value.messages[0]
    assert not StatusEvent.objects.filter(person=young).exists()
