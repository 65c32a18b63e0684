"""Zero-employment family cases: opened by the status change that makes the family (dated the
day it happened, also when back-dated by an import), assigned to the grid coordinator, closed
when a member is employed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from jiuye.audit.models import AuditEntry
from jiuye.casework.models import ZeroFamilyCase
from jiuye.casework.services import zero_family_sync, zero_family_sync_unit
from jiuye.registry import services as registry
from jiuye.registry.models import StatusEvent
from jiuye.registry.signals import statuses_changed

D = date


def cases(hh: Any) -> list[tuple[date, date | None, str, str]]:
    return list(
        ZeroFamilyCase.objects.filter(household=hh)
        .order_by("emerged_on")
        .values_list("emerged_on", "eliminated_on", "status", "close_reason")
    )


def test_opened_on_the_day_and_closed_when_a_member_is_employed(
    person: Callable[..., Any], personas: dict[str, Any]
) -> None:
    p = person("a1", statuses=((D(2020, 1, 1), "unit"),))
    assert cases(p.household) == []
    registry.person_change_status(
        actor=personas["worker_a"],
        person=p,
        status="unemployed",
        since=D(2026, 1, 31),
        registered=True,
    )
    assert cases(p.household) == [(D(2026, 1, 31), None, "open", "")]
    case = ZeroFamilyCase.objects.get(household=p.household)
    assert case.assigned_to == personas["grid_a1"]
    assert case.due_on == D(2026, 2, 28)
    registry.person_change_status(
        actor=personas["worker_a"], person=p, status="flexible", since=D(2026, 2, 27)
    )
    assert cases(p.household) == [(D(2026, 1, 31), D(2026, 2, 27), "closed", "employed")]
    actions = list(
        AuditEntry.objects.filter(action__startswith="zero_family.").values_list(
            "action", "actor_id"
        )
    )
    assert actions == [
        ("zero_family.open", personas["worker_a"].pk),
        ("zero_family.close", personas["worker_a"].pk),
    ]


def test_the_other_member_still_employed_means_no_case(
    person: Callable[..., Any], household: Callable[..., Any]
) -> None:
    hh = household("a2")
    person(hh=hh, statuses=((D(2020, 1, 1), "unit"),))
    b = person(hh=hh, statuses=((D(2020, 1, 1), "unit"),))
    registry.person_change_status(actor=None, person=b, status="unemployed", since=D(2026, 1, 31))
    assert cases(hh) == []


def test_last_earner_losing_the_job_opens_it(
    person: Callable[..., Any], household: Callable[..., Any]
) -> None:
    hh = household("a2")
    a = person(hh=hh, statuses=((D(2024, 1, 1), "unemployed"),))
    b = person(hh=hh, statuses=((D(2020, 1, 1), "unit"),))
    # While b had no status yet the household counted as a zero family; b's record undid it.
    assert cases(hh) == []
    registry.person_change_status(actor=None, person=b, status="unemployed", since=D(2026, 1, 31))
    assert cases(hh) == [(D(2026, 1, 31), None, "open", "")]
    # Unassigned: grid A2 has no coordinator.
    assert ZeroFamilyCase.objects.get(household=hh).assigned_to is None
    registry.person_change_status(actor=None, person=a, status="public_post", since=D(2026, 3, 1))
    assert cases(hh) == [(D(2026, 1, 31), D(2026, 3, 1), "closed", "employed")]


def test_back_dated_import_order_does_not_matter(person: Callable[..., Any]) -> None:
    p = person(statuses=((D(2020, 1, 1), "unit"), (D(2026, 3, 1), "flexible")))
    registry.person_change_status(
        actor=None, person=p, status="unemployed", since=D(2026, 1, 31), registered=True
    )
    assert cases(p.household) == [(D(2026, 1, 31), D(2026, 3, 1), "closed", "employed")]


def test_correction_revokes_and_restores(person: Callable[..., Any]) -> None:
    p = person(statuses=((D(2020, 1, 1), "unit"), (D(2026, 1, 31), "unemployed", True)))
    mistake = StatusEvent.objects.get(person=p, since=D(2026, 1, 31))
    registry.status_event_delete(actor=None, event=mistake)
    assert cases(p.household) == []
    assert AuditEntry.objects.filter(action="zero_family.revoke").count() == 1
    registry.person_change_status(
        actor=None, person=p, status="unemployed", since=D(2026, 1, 31), registered=True
    )
    assert cases(p.household) == [(D(2026, 1, 31), None, "open", "")]


def test_moving_the_emergence_date_updates_the_case(person: Callable[..., Any]) -> None:
    p = person(statuses=((D(2020, 1, 1), "unit"), (D(2026, 1, 31), "unemployed", True)))
    registry.person_change_status(actor=None, person=p, status="unemployed", since=D(2026, 1, 20))
    assert cases(p.household) == [(D(2026, 1, 20), None, "open", "")]


def test_no_status_before_the_first_record_is_not_a_zero_family(person: Callable[..., Any]) -> None:
    # The registry knows nothing before the first event: no case dated from the 16th birthday.
    p = person(statuses=((D(2020, 1, 1), "unit"),))
    assert cases(p.household) == []
    q = person(statuses=((D(2024, 6, 1), "unemployed", True),))
    assert cases(q.household) == [(D(2024, 6, 1), None, "open", "")]


def test_retirement_ends_it_without_employment(person: Callable[..., Any]) -> None:
    # Only member reaches retirement age: no labor force left (sync catches the aging).
    p = person(birth=D(1964, 1, 10), statuses=((D(2020, 1, 1), "unemployed"),))
    zero_family_sync(household_ids={p.household_id}, today=D(2026, 11, 22))
    [(emerged, ended, status, reason)] = cases(p.household)
    assert (emerged, status, reason) == (D(2020, 1, 1), "closed", "no_labor_force")
    assert ended == p.retire_on


def test_signal_from_a_bulk_loader_and_unit_sweep(
    person: Callable[..., Any], tree: dict[str, Any]
) -> None:
    p = person(statuses=((D(2020, 1, 1), "unit"),))
    # A loader writing events directly, then sending the signal once.
    StatusEvent.objects.filter(person=p).update(until=D(2026, 1, 31))
    StatusEvent.objects.create(person=p, status="unemployed", since=D(2026, 1, 31), registered=True)
    assert cases(p.household) == []
    statuses_changed.send(
        sender=None, household_ids={p.household_id}, on=D(2026, 1, 31), actor=None
    )
    assert cases(p.household) == [(D(2026, 1, 31), None, "open", "")]
    ZeroFamilyCase.objects.all().delete()
    assert zero_family_sync_unit(unit=tree["a"]) >= 1
    assert cases(p.household) == [(D(2026, 1, 31), None, "open", "")]


def test_many_households_at_once_as_one_by_one(
    person: Callable[..., Any], personas: dict[str, Any], tree: dict[str, Any]
) -> None:
    """A bulk loader's signal for many households (more than one round of reads): every new
    case is opened (and closed) as a single household's sync would, assigned to its grid's
    coordinator (grid a1 has one, a2 none), audited open-then-close in household order."""
    from jiuye.casework import services as casework
    from jiuye.registry.models import Person

    old_chunk = casework.SYNC_CHUNK
    casework.SYNC_CHUNK = 2
    try:
        people = [
            person(unit, statuses=statuses)
            for unit, statuses in (
                ("a1", ((D(2020, 1, 1), "unemployed"),)),  # open
                ("a2", ((D(2020, 1, 1), "unemployed"), (D(2021, 3, 1), "unit"))),  # closed
                ("a1", ((D(2020, 1, 1), "unit"),)),  # never a zero family
                ("a1", ((D(2019, 5, 1), "unemployed"), (D(2019, 9, 1), "flexible"))),  # closed
                ("a2", ((D(2022, 2, 2), "unemployed"),)),  # open
            )
        ]
        ZeroFamilyCase.objects.all().delete()
        last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        households = sorted(p.household_id for p in people)
        statuses_changed.send(sender=Person, household_ids=set(households), on=None, actor=None)
    finally:
        casework.SYNC_CHUNK = old_chunk
    found = {
        c.household_id: (c.emerged_on, c.eliminated_on, c.status, c.assigned_to_id)
        for c in ZeroFamilyCase.objects.all()
    }
    grid = personas["grid_a1"].pk
    hh = [p.household_id for p in people]
    assert found == {
        hh[0]: (D(2020, 1, 1), None, "open", grid),
        hh[1]: (D(2020, 1, 1), D(2021, 3, 1), "closed", None),
        hh[3]: (D(2019, 5, 1), D(2019, 9, 1), "closed", grid),
        hh[4]: (D(2022, 2, 2), None, "open", None),
    }
    entries = list(
        AuditEntry.objects.filter(action__startswith="zero_family.", id__gt=last)
        .order_by("id")
        .values_list("action", "object_id", "changes")
    )
    cases = {c.household_id: c.pk for c in ZeroFamilyCase.objects.all()}
    expected = []
    for household_id in households:
        if household_id not in found:
            continue
        expected.append(("zero_family.open", str(household_id)))
        if found[household_id][1] is not None:
            expected.append(("zero_family.close", str(household_id)))
    assert [(action, obj) for action, obj, _ in entries] == expected
    assert all(changes["case"] == [None, cases[int(obj)]] for _, obj, changes in entries)
