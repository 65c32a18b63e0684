"""The set-based rebuild (``aggregates.rebuild``, one SQL statement per table) and the refresh
after a bulk load give exactly the timelines the one-household-at-a-time computation gives
(``aggregates.timeline``, by ``registry.definitions``) and the survey facts their definition,
on realistic data (a seeded city) and on hand-made edge cases; and the refresh falls back to a
rebuild when it cannot vouch for the result.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection

from jiuye.audit.services import audit_record
from jiuye.casework.models import ServiceRecord
from jiuye.demo.generator import SeedConfig
from jiuye.demo.loader import seed
from jiuye.registry.derive import person_derived_fields
from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
from jiuye.standards import aggregates
from jiuye.standards.aggregates import upkeep
from jiuye.standards.models import VECTOR_FIELDS, HouseholdTimeline
from jiuye.units.models import Level, Unit
from jiuye.units.services import unit_create
from tests.conftest import make_id
from tests.standards.test_aggregates import (
    World,
    assert_communities_equal_direct,
    assert_households_equal_python,
    assert_service_days_equal_records,
    assert_status_not_recorded_edges,
    assert_status_not_recorded_equals_registry,
    assert_survey_facts_equal_python,
    status_not_recorded_edges,
)

D = date


DAYS = [D(1995, 6, 30), D(2010, 1, 1), D(2025, 2, 28), D(2026, 1, 1), D(2026, 11, 22)]


@pytest.fixture
def city(db: Any) -> None:
    """A small seeded city (two districts): the generator's realistic histories."""
    seed(SeedConfig(persons=3000, seed=5, districts=2))
    aggregates.aggregates_rebuild()


def test_rebuild_of_a_seeded_city_equals_python(city: None) -> None:
    assert aggregates.aggregates_fresh()
    assert Unit.objects.filter(level=Level.DISTRICT, parent=None).count() == 2
    assert HouseholdTimeline.objects.count() > Household.objects.count()
    assert_households_equal_python()
    assert_communities_equal_direct(DAYS)
    assert_status_not_recorded_equals_registry(DAYS)
    assert_service_days_equal_records()
    assert_survey_facts_equal_python()


@pytest.mark.parametrize("seed_", [11, 12, 13, 14])
def test_rebuild_after_random_writes_equals_python(tree: dict[str, Any], seed_: int) -> None:
    world = World(random.Random(seed_), tree)
    for _ in range(80):
        world.step()
    aggregates.aggregates_rebuild()
    assert_households_equal_python()
    assert_service_days_equal_records()
    assert_survey_facts_equal_python()


def test_rebuild_edge_cases(tree: dict[str, Any], person: Callable[..., Any]) -> None:
    """Points that coincide or cancel out, and facts outside the working age."""
    # Retirement of one member on the 16th birthday of another, both employed: the household's
    # counts do not change that day (no row), though two members' do.
    father = person("a", birth=D(1966, 3, 1), statuses=((D(2000, 1, 1), "unit"),))
    work_from = father.retire_on.replace(year=father.retire_on.year - 16)
    person(
        "a",
        hh=father.household,
        birth=work_from,
        statuses=((father.retire_on, "flexible"),),
    )
    # Events long before the 16th birthday and after retirement; a recognition that ends the
    # day it begins; one that ends and another that begins the same day; a person not able.
    kid = person(
        "b",
        birth=D(1990, 5, 5),
        statuses=((D(1997, 9, 1), "student"), (D(2012, 7, 1), "unemployed", True)),
    )
    DifficultyRecognition.objects.create(
        person=kid, category="other", recognized_on=D(2013, 1, 1), ended_on=D(2013, 1, 1)
    )
    DifficultyRecognition.objects.create(
        person=kid, category="4050", recognized_on=D(2013, 2, 1), ended_on=D(2014, 2, 1)
    )
    DifficultyRecognition.objects.create(
        person=kid, category="dibao", recognized_on=D(2014, 2, 1), ended_on=None
    )
    old = person(
        "c",
        birth=D(1950, 1, 1),
        statuses=((D(1980, 1, 1), "unit"), (D(2012, 1, 1), "unemployed")),
    )
    person(
        "c", hh=old.household, birth=D(1985, 1, 1), able=False, statuses=((D(2001, 1, 1), "out"),)
    )
    aggregates.aggregates_rebuild()
    assert_households_equal_python()
    assert_communities_equal_direct([D(2013, 1, 1), D(2014, 2, 1), father.retire_on])
    rows = upkeep.stored_households([father.household_id])[father.household_id].rows
    assert father.retire_on not in [day for day, _ in rows]


def test_rebuild_status_not_recorded_edges(
    tree: dict[str, Any], person: Callable[..., Any]
) -> None:
    """The rebuild alone (the upkeep idle: not built) counts "status not recorded" on its
    edges as the Python timeline, the direct query and the worklist's query do."""
    aggregates.aggregates_invalidate()
    checks = status_not_recorded_edges(person)
    assert not HouseholdTimeline.objects.exists()
    aggregates.aggregates_rebuild()
    assert_status_not_recorded_edges(checks)
    assert_households_equal_python()
    days = sorted({day for _hid, day, _value in checks})
    assert_communities_equal_direct(days)
    assert_status_not_recorded_equals_registry(days)


# ---- refresh after a bulk load -------------------------------------------------------------


def _bulk_person(household: Household, birth: date, *, male: bool) -> Person:
    fields = person_derived_fields(make_id(birth, male=male, region="110101"), None)
    return Person.objects.bulk_create(
        [
            Person(
                **fields,
                name="导入",
                household=household,
                community_id=household.community_id,
                hukou_type=household.hukou_type,
            )
        ]
    )[0]


def _communities() -> list[int]:
    return list(
        Unit.objects.filter(level__in=(Level.COMMUNITY, Level.VILLAGE))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _bulk_load() -> set[int]:
    """What a workbook import does, behind the services' back: new households and persons with
    histories, service records, changed statuses and a deleted service record of existing
    households, a household moved to another community. Returns the households it touched."""
    communities = _communities()
    touched: set[int] = set()
    fresh = Household.objects.bulk_create(
        [
            Household(number=f"IMPORT-{i}", community_id=communities[i], hukou_type="urban")
            for i in range(2)
        ]
    )
    for household in fresh:
        touched.add(household.pk)
        a = _bulk_person(household, D(1975, 4, 1), male=True)
        b = _bulk_person(household, D(1978, 8, 8), male=False)
        # c: a status closed with nothing after it (unknown again from 2025-01-01); d: none.
        c = _bulk_person(household, D(1990, 2, 2), male=True)
        _bulk_person(household, D(1999, 9, 9), male=False)
        StatusEvent.objects.bulk_create(
            [
                StatusEvent(person=a, status="unit", since=D(2015, 1, 1), until=D(2026, 3, 1)),
                StatusEvent(person=a, status="unemployed", since=D(2026, 3, 1), registered=True),
                StatusEvent(person=b, status="unemployed", since=D(2016, 1, 1)),
                StatusEvent(person=c, status="flexible", since=D(2012, 1, 1), until=D(2025, 1, 1)),
            ]
        )
        DifficultyRecognition.objects.bulk_create(
            [DifficultyRecognition(person=b, category="4050", recognized_on=D(2026, 4, 1))]
        )
        ServiceRecord.objects.bulk_create(
            [
                ServiceRecord(person=a, kind="survey", on=D(2026, 5, 5), outcome="satisfied"),
                ServiceRecord(person=b, kind="training", on=D(2026, 6, 6), training_mode="post"),
            ]
        )
    # Existing households: a status changed in place, a service record deleted.
    employed = (
        StatusEvent.objects.filter(status="unit", until__isnull=True)
        .order_by("pk")
        .select_related("person")[:3]
    )
    for event in employed:
        touched.add(event.person.household_id)
        StatusEvent.objects.filter(pk=event.pk).update(status="unemployed", registered=True)
    record = ServiceRecord.objects.filter(kind="survey").order_by("pk").first()
    assert record is not None
    touched.add(record.person.household_id)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ServiceRecord._meta.db_table} WHERE id = %s", [record.pk])
    # A household moved to another community of its district (with its members; a row's
    # district never changes on Citus, and the import moves across districts only on one
    # server, taking the rows along: units.sharding.follow_moves).
    moved = Household.objects.exclude(pk__in=touched).order_by("pk").first()
    assert moved is not None
    street = Unit.objects.get(pk=moved.community_id).parent
    target = unit_create(
        actor=None, code=f"{street.code}900", name="新建社区", level=Level.COMMUNITY, parent=street
    ).pk
    Household.objects.filter(pk=moved.pk).update(community_id=target)
    Person.objects.filter(household_id=moved.pk).update(community_id=target)
    touched.add(moved.pk)
    audit_record(actor=None, action="ledger.import", unit=None, changes={})
    return touched


def test_refresh_after_a_bulk_load(city: None) -> None:
    touched = _bulk_load()
    assert not aggregates.aggregates_fresh()
    summary = aggregates.aggregates_refresh(household_ids=touched)
    assert summary.rebuilt == "" and summary.households == len(touched)
    assert aggregates.aggregates_fresh()
    assert_households_equal_python()
    assert_communities_equal_direct(DAYS)
    assert_status_not_recorded_equals_registry([*DAYS, D(2024, 12, 31), D(2025, 1, 1)])
    assert_service_days_equal_records()
    assert_survey_facts_equal_python()
    # The receivers then find nothing left to do, and stay fresh.
    assert aggregates.households_changed(touched) == 0
    assert aggregates.aggregates_fresh()


def test_refresh_naming_every_household(city: None) -> None:
    """Many households: several statements (500 a statement on SQLite)."""
    _bulk_load()
    every = list(Household.objects.values_list("pk", flat=True))
    assert len(every) > 1000
    summary = aggregates.aggregates_refresh(household_ids=every)
    assert summary.rebuilt == "" and aggregates.aggregates_fresh()
    assert_households_equal_python()
    assert_communities_equal_direct(DAYS)
    assert_service_days_equal_records()
    assert_survey_facts_equal_python()


def test_refresh_of_households_without_rows_recomputes_all_service_days(city: None) -> None:
    """A household the aggregates hold no rows for (nobody in the labor force) may have moved:
    its former community is unknown, so every community's service days are recomputed."""
    lone = Household.objects.exclude(
        pk__in=HouseholdTimeline.objects.values("household_id")
    ).filter(members__service_records__kind="survey")
    household = lone.order_by("pk").first()
    if household is None:
        pytest.skip("no household without timeline rows has a survey in this seed")
    target = next(c for c in _communities() if c != household.community_id)
    Household.objects.filter(pk=household.pk).update(community_id=target)
    Person.objects.filter(household_id=household.pk).update(community_id=target)
    audit_record(actor=None, action="ledger.import", unit=None, changes={})
    summary = aggregates.aggregates_refresh(household_ids={household.pk})
    assert summary.rebuilt == ""
    assert aggregates.aggregates_fresh()
    assert_service_days_equal_records()
    assert_communities_equal_direct(DAYS)


def test_refresh_rebuilds_when_rows_of_other_households_were_written(city: None) -> None:
    touched = _bulk_load()
    named = touched - {max(touched)}  # a new household (rows above the maxima) left out
    summary = aggregates.aggregates_refresh(household_ids=named)
    assert "not named" in summary.rebuilt
    assert aggregates.aggregates_fresh()
    assert_households_equal_python()


def test_refresh_rebuilds_after_a_seed_or_when_not_built(city: None) -> None:
    audit_record(actor=None, action="demo.seed", unit=None, changes={})
    summary = aggregates.aggregates_refresh(household_ids=[])
    assert "demo.seed" in summary.rebuilt and aggregates.aggregates_fresh()
    aggregates.aggregates_invalidate()
    summary = aggregates.aggregates_refresh(household_ids=[])
    assert summary.rebuilt == "not built" and aggregates.aggregates_fresh()


def test_refresh_with_nothing_to_do_keeps_the_aggregates(city: None) -> None:
    fields = ("household_id", "community_id", "valid_from", "valid_until", *VECTOR_FIELDS)
    rows = HouseholdTimeline.objects.order_by("household_id", "valid_from")
    before = list(rows.values_list(*fields))
    household = Household.objects.order_by("pk").first()
    assert household is not None
    summary = aggregates.aggregates_refresh(household_ids=[household.pk])
    assert summary.rebuilt == "" and summary.households == 1
    assert aggregates.aggregates_fresh()
    assert list(rows.values_list(*fields)) == before


def test_refresh_command(city: None) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("aggregates", "refresh", households="1,2", stdout=out)
    assert "已刷新：2 户" in out.getvalue()
    aggregates.aggregates_invalidate()
    call_command("aggregates", "refresh", households="", stdout=out)
    assert "全量重建（not built）" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("aggregates", "refresh", households="1,x")
