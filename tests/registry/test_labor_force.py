"""Status at a date, working age and the labor force (DOMAIN §3), in Python and in SQL alike."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from jiuye.registry import services
from jiuye.registry.classification import (
    employed_on,
    household_classification,
    labor_force_on,
    status_at,
)
from jiuye.registry.definitions import in_labor_force, is_working_age
from jiuye.registry.models import Household, Person, Status
from tests.conftest import make_id


def _household(tree: dict[str, Any], number: str = "H001", hukou: str = "urban") -> Household:
    return services.household_create(actor=None, number=number, unit=tree["a1"], hukou_type=hukou)


def _person(
    household: Household,
    birth: date,
    *,
    male: bool = True,
    events: tuple[tuple[str, date], ...] = (),
    **fields: Any,
) -> Person:
    person = services.person_create(
        actor=None, id_number=make_id(birth, male=male), name="测试", household=household, **fields
    )
    for status, since in events:
        services.person_change_status(actor=None, person=person, status=status, since=since)
    person.refresh_from_db()
    return person


def _sql_row(household: Household, on: date) -> Any:
    (row,) = household_classification(on=on, households=Household.objects.filter(pk=household.pk))
    return row


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2023, 12, 31), None),  # before the first event
        (date(2024, 1, 1), "unit"),  # the first event's day
        (date(2025, 5, 31), "unit"),  # the day before the change
        (date(2025, 6, 1), "unemployed"),  # the change day
        (date(2030, 1, 1), "unemployed"),  # the open last event
    ],
)
def test_status_at_date(tree, on, expected):
    person = _person(
        _household(tree),
        date(1980, 5, 6),
        events=(("unit", date(2024, 1, 1)), ("unemployed", date(2025, 6, 1))),
    )
    assert status_at(person, on) == expected
    row = _sql_row(person.household, on)
    assert (row.employed, row.unemployed) == (
        int(expected == "unit"),
        int(expected == "unemployed"),
    )


@pytest.mark.parametrize(
    ("status", "in_lf", "employed"),
    [
        # Nothing recorded yet: status unknown, counted nowhere (DOMAIN §3, 2026-12; it was
        # "labor force, not employed", which dated zero families back to 16th birthdays).
        (None, False, False),
        (Status.UNIT, True, True),
        (Status.FLEXIBLE, True, True),
        (Status.SELF, True, True),
        (Status.TRANSFER, True, True),
        (Status.PUBLIC_POST, True, True),
        (Status.FARMING, True, True),
        (Status.UNEMPLOYED, True, False),
        (Status.STUDENT, False, False),
        (Status.RETIRED, False, False),
        (Status.OUT, False, False),
    ],
)
def test_labor_force_by_status(tree, status, in_lf, employed):
    events = ((status, date(2020, 1, 1)),) if status else ()
    person = _person(_household(tree), date(1985, 1, 1), events=events)
    on = date(2026, 1, 31)
    assert labor_force_on(person, on) is in_lf
    assert employed_on(person, on) is employed
    row = _sql_row(person.household, on)
    assert (row.labor_force, row.employed) == (int(in_lf), int(employed))


@pytest.mark.parametrize(
    ("fields", "in_lf"),
    [
        ({}, True),
        ({"able": False}, False),
        ({"willing": False}, False),
        ({"able": False, "willing": False}, False),
    ],
)
def test_labor_force_needs_ability_and_desire(tree, fields, in_lf):
    person = _person(
        _household(tree), date(1985, 1, 1), events=(("unemployed", date(2020, 1, 1)),), **fields
    )
    on = date(2026, 1, 31)
    assert labor_force_on(person, on) is in_lf
    row = _sql_row(person.household, on)
    assert (row.working_age, row.labor_force, row.unemployed) == (1, int(in_lf), int(in_lf))


@pytest.mark.parametrize(
    ("birth", "male", "on", "working_age"),
    [
        (date(2010, 7, 14), True, date(2026, 7, 13), False),  # the day before the 16th birthday
        (date(2010, 7, 14), True, date(2026, 7, 14), True),  # the 16th birthday exactly
        (date(1966, 3, 15), True, date(2026, 7, 14), True),  # last day: retires at 60y4m
        (date(1966, 3, 15), True, date(2026, 7, 15), False),  # the retirement day
        (date(1966, 3, 15), True, date(2026, 3, 15), True),  # 60th birthday: reform adds months
        (date(1976, 9, 1), True, date(2039, 8, 31), True),  # cohort that reaches 63
        (date(1976, 9, 1), True, date(2039, 9, 1), False),
    ],
)
def test_working_age_bounds(tree, birth, male, on, working_age):
    person = _person(_household(tree), birth, male=male, events=(("unemployed", birth),))
    assert (
        is_working_age(work_from=person.work_from, retire_on=person.retire_on, on=on) is working_age
    )
    assert labor_force_on(person, on) is working_age
    row = _sql_row(person.household, on)
    assert (row.working_age, row.labor_force) == (int(working_age), int(working_age))


def test_man_born_1966_03_15_leaves_the_labor_force_on_2026_07_15(tree):
    person = _person(_household(tree), date(1966, 3, 15), events=(("unit", date(1990, 1, 1)),))
    assert person.retire_on == date(2026, 7, 15)
    assert labor_force_on(person, date(2026, 7, 14))
    assert not labor_force_on(person, date(2026, 7, 15))


def test_in_labor_force_is_pure():
    args = {
        "work_from": date(2000, 1, 1),
        "retire_on": date(2040, 1, 1),
        "able": True,
        "willing": True,
    }
    assert in_labor_force(**args, status="unemployed", on=date(2020, 1, 1))
    assert not in_labor_force(**args, status=None, on=date(2020, 1, 1))  # unknown: nowhere
    assert not in_labor_force(**args, status="student", on=date(2020, 1, 1))
    assert not in_labor_force(**args, status="unemployed", on=date(1999, 12, 31))
    assert not in_labor_force(**args, status="unemployed", on=date(2040, 1, 1))


def test_labor_force_on_skips_the_query_when_age_decides(tree, django_assert_num_queries):
    person = _person(_household(tree), date(2015, 1, 1), events=(("unemployed", date(2031, 1, 1)),))
    with django_assert_num_queries(0):
        assert not labor_force_on(person, date(2026, 1, 1))
    with django_assert_num_queries(1):
        assert labor_force_on(person, date(2031, 1, 1))


def test_registered_unemployed_counts_in_the_labor_force_only(tree):
    household = _household(tree)
    for able in (True, False):
        person = _person(household, date(1985, 1, 1), able=able)
        services.person_change_status(
            actor=None,
            person=person,
            status=Status.UNEMPLOYED,
            since=date(2025, 1, 1),
            registered=True,
        )
    row = _sql_row(household, date(2026, 1, 1))
    assert (row.persons, row.labor_force, row.unemployed, row.registered_unemployed) == (2, 1, 1, 1)
