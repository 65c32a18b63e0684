"""Zero-employment family cases: the one set of episodes (DOMAIN §3 and the readings of 2026-12).

A household's ``ZeroFamilyCase`` rows are ``definitions.zero_family_episodes(members,
until=None)``: opened on the day it became a zero family (dated by the history, also when
back-dated by an import), closed on the day a member was employed or nobody was left in the
labor force (a retirement the calendar already dates, possibly after today), assigned to the grid
coordinator. A case is read as of a date: open on D iff emerged_on <= D and (eliminated_on is
NULL or eliminated_on > D).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from jiuye.audit.models import AuditEntry
from jiuye.casework.models import ZeroFamilyCase, ZeroFamilyStanding
from jiuye.casework.services import zero_family_sync, zero_family_sync_unit
from jiuye.registry import definitions
from jiuye.registry import services as registry
from jiuye.registry.classification import member_timelines, zero_households
from jiuye.registry.models import Household, Person, StatusEvent
from jiuye.registry.signals import statuses_changed

D = date


RETIRED = "no_labor_force"


def cases(hh: Any) -> list[tuple[date, date | None, str]]:
    return list(
        ZeroFamilyCase.objects.filter(household=hh)
        .order_by("emerged_on")
        .values_list("emerged_on", "eliminated_on", "close_reason")
    )


def episodes(hh: Any) -> list[tuple[date, date | None, str]]:
    """The household's episodes as the definition sweeps them (everything recorded)."""
    members = member_timelines([hh.pk]).get(hh.pk, [])
    return [
        (e.emerged_on, e.ended_on, e.end_reason or "")
        for e in definitions.zero_family_episodes(members, until=None)
    ]


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
    # Everything recorded is swept: if nothing changes, the episode ends on the member's
    # retirement day (no labor force left), a date the calendar already knows.
    assert cases(p.household) == [(D(2026, 1, 31), p.retire_on, RETIRED)]
    case = ZeroFamilyCase.objects.get(household=p.household)
    assert case.assigned_to == personas["grid_a1"]
    assert case.due_on == D(2026, 2, 28) == definitions.zero_family_due(D(2026, 1, 31))
    registry.person_change_status(
        actor=personas["worker_a"], person=p, status="flexible", since=D(2026, 2, 27)
    )
    assert cases(p.household) == [(D(2026, 1, 31), D(2026, 2, 27), "employed")]
    actions = list(
        AuditEntry.objects.filter(action__startswith="zero_family.").values_list(
            "action", "actor_id"
        )
    )
    assert actions == [
        ("zero_family.open", personas["worker_a"].pk),
        ("zero_family.close", personas["worker_a"].pk),  # eliminated: a member employed
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
    # While b was not recorded the household was a zero family from 2024; b's record (employed
    # since 2020) undid it.
    assert cases(hh) == []
    registry.person_change_status(actor=None, person=b, status="unemployed", since=D(2026, 1, 31))
    assert cases(hh) == [(D(2026, 1, 31), max(a.retire_on, b.retire_on), RETIRED)]
    # Unassigned: grid A2 has no coordinator.
    assert ZeroFamilyCase.objects.get(household=hh).assigned_to is None
    registry.person_change_status(actor=None, person=a, status="public_post", since=D(2026, 3, 1))
    assert cases(hh) == [(D(2026, 1, 31), D(2026, 3, 1), "employed")]


def test_back_dated_import_order_does_not_matter(person: Callable[..., Any]) -> None:
    p = person(statuses=((D(2020, 1, 1), "unit"), (D(2026, 3, 1), "flexible")))
    registry.person_change_status(
        actor=None, person=p, status="unemployed", since=D(2026, 1, 31), registered=True
    )
    assert cases(p.household) == [(D(2026, 1, 31), D(2026, 3, 1), "employed")]


def test_correction_revokes_and_restores(person: Callable[..., Any]) -> None:
    p = person(statuses=((D(2020, 1, 1), "unit"), (D(2026, 1, 31), "unemployed", True)))
    mistake = StatusEvent.objects.get(person=p, since=D(2026, 1, 31))
    registry.status_event_delete(actor=None, event=mistake)
    assert cases(p.household) == []
    assert AuditEntry.objects.filter(action="zero_family.revoke").count() == 1
    registry.person_change_status(
        actor=None, person=p, status="unemployed", since=D(2026, 1, 31), registered=True
    )
    assert cases(p.household) == [(D(2026, 1, 31), p.retire_on, RETIRED)]


def test_moving_the_emergence_date_updates_the_case(person: Callable[..., Any]) -> None:
    p = person(statuses=((D(2020, 1, 1), "unit"), (D(2026, 1, 31), "unemployed", True)))
    case = ZeroFamilyCase.objects.get(household=p.household)
    registry.person_change_status(actor=None, person=p, status="unemployed", since=D(2026, 1, 20))
    assert cases(p.household) == [(D(2026, 1, 20), p.retire_on, RETIRED)]
    assert ZeroFamilyCase.objects.get(household=p.household).pk == case.pk  # the same case


# DOMAIN §3, reading of 2026-12 (1): a status is unknown before the first recorded event, and an
# unknown status counts nowhere. A registry's history starts when the community starts using the
# system: the household emerges on the first status that makes it a zero family, never on a
# member's 16th birthday years before (the old clamp to the first record is now the rule).
# Born 1990-05-01 (a man: retires at 63, on 2053-05-01), 2010-06-01 (16 on 2026-06-01, retires
# 2073-06-01), 1985-01-01 (retires 2048-01-01).
EMERGENCE = {
    "history starts 2026-03-02: emerges that day, not on the 16th birthday (2006)": (
        [(D(1990, 5, 1), ((D(2026, 3, 2), "unemployed", True),))],
        [(D(2026, 3, 2), D(2053, 5, 1), RETIRED)],
    ),
    "unemployed at 15: emerges on the 16th birthday, when the member joins the labor force": (
        [(D(2010, 6, 1), ((D(2026, 3, 2), "unemployed"),))],
        [(D(2026, 6, 1), D(2073, 6, 1), RETIRED)],
    ),
    "a member with no status counts for neither": (
        [(D(1990, 5, 1), ((D(2026, 3, 2), "unemployed"),)), (D(1985, 1, 1), ())],
        [(D(2026, 3, 2), D(2053, 5, 1), RETIRED)],
    ),
    "the other member's first record is a job: ends that day (and the calendar dates the next "
    "episode: the earner retires first)": (
        [
            (D(1990, 5, 1), ((D(2026, 3, 2), "unemployed"),)),
            (D(1985, 1, 1), ((D(2026, 4, 1), "unit"),)),
        ],
        [
            (D(2026, 3, 2), D(2026, 4, 1), "employed"),
            (D(2048, 1, 1), D(2053, 5, 1), RETIRED),
        ],
    ),
    "a student is outside the labor force: no episode": (
        [(D(2005, 5, 1), ((D(2026, 3, 2), "student"),))],
        [],
    ),
}


@pytest.mark.parametrize(("members", "expected"), EMERGENCE.values(), ids=EMERGENCE.keys())
def test_emergence_from_the_first_recorded_status(
    person: Callable[..., Any],
    household: Callable[..., Any],
    members: list[tuple[date, tuple[tuple[Any, ...], ...]]],
    expected: list[tuple[date, date | None, str]],
) -> None:
    hh = household("a1")
    for birth, statuses in members:
        person(hh=hh, birth=birth, statuses=statuses)
    assert cases(hh) == expected == episodes(hh)


def test_retirement_ends_it_without_employment(person: Callable[..., Any]) -> None:
    # The only member reaches retirement age (2024-01-10): no labor force left. The calendar
    # decides this end, so the case is dated the day the unemployment is recorded.
    p = person(birth=D(1964, 1, 10), statuses=((D(2020, 1, 1), "unemployed"),))
    assert cases(p.household) == [(D(2020, 1, 1), p.retire_on, "no_labor_force")]
    assert p.retire_on == D(2024, 1, 10)


def test_a_retirement_after_today_is_already_the_cases_end(person: Callable[..., Any]) -> None:
    """A man born 1966-03-15 retires on 2026-07-15 (DOMAIN §3, 60 years 4 months): an episode
    that begins before is stored with that end; as of a date it is open before it and closed
    from it."""
    p = person(birth=D(1966, 3, 15), statuses=((D(2026, 5, 11), "unemployed", True),))
    assert p.retire_on == D(2026, 7, 15)
    [case] = ZeroFamilyCase.objects.filter(household=p.household)
    assert (case.emerged_on, case.eliminated_on, case.close_reason) == (
        D(2026, 5, 11),
        D(2026, 7, 15),
        "no_labor_force",
    )
    standing = {
        D(2026, 5, 10): ZeroFamilyStanding.NOT_YET,
        D(2026, 5, 11): ZeroFamilyStanding.OPEN,
        D(2026, 7, 14): ZeroFamilyStanding.OPEN,
        D(2026, 7, 15): ZeroFamilyStanding.CLOSED,
    }
    assert {day: case.standing_on(day) for day in standing} == standing


# Reading of 2026-12 (4): open on D iff emerged_on <= D and (eliminated_on NULL or > D); the
# queryset and the row say the same as ``definitions.Episode.open_on``.
OPEN_ON = {
    "the day before it emerged": (D(2026, 1, 30), False),
    "the day it emerged": (D(2026, 1, 31), True),
    "the day before it ended": (D(2026, 2, 26), True),
    "the day it ended": (D(2026, 2, 27), False),
    "later": (D(2026, 6, 1), False),
}


@pytest.mark.parametrize(("day", "is_open"), OPEN_ON.values(), ids=OPEN_ON.keys())
def test_open_on_a_date(person: Callable[..., Any], day: date, is_open: bool) -> None:
    p = person(
        statuses=(
            (D(2020, 1, 1), "unit"),
            (D(2026, 1, 31), "unemployed", True),
            (D(2026, 2, 27), "flexible"),
        )
    )
    closed = person(statuses=((D(2020, 1, 1), "unit"), (D(2026, 1, 31), "unemployed", True)))
    case = ZeroFamilyCase.objects.get(household=p.household)
    assert case.open_on(day) is is_open
    assert case.episode.open_on(day) is is_open
    found = set(ZeroFamilyCase.objects.open_on(day).values_list("household_id", flat=True))
    assert (p.household_id in found) is is_open
    assert (closed.household_id in found) is (day >= D(2026, 1, 31))


def test_changes_of_ability_desire_and_household_resync(
    person: Callable[..., Any], household: Callable[..., Any]
) -> None:
    """The registry signals ``statuses_changed`` when a member's ability or desire changes or a
    member moves (their labor force changes): the cases follow."""
    hh = household("a1")
    # The earner is older: they retire first, and the calendar dates an episode from then.
    earner = person(hh=hh, birth=D(1975, 1, 1), statuses=((D(2020, 1, 1), "unit"),))
    jobless = person(hh=hh, statuses=((D(2024, 3, 1), "unemployed"),))
    assert earner.retire_on < jobless.retire_on
    assert cases(hh) == [(earner.retire_on, jobless.retire_on, RETIRED)] == episodes(hh)
    registry.person_update(actor=None, person=earner, able=False)
    # The earner no longer counts (ability has no history: it holds for every date).
    assert cases(hh) == [(D(2024, 3, 1), jobless.retire_on, RETIRED)] == episodes(hh)
    registry.person_update(actor=None, person=jobless, willing=False)
    assert cases(hh) == [] == episodes(hh)
    registry.person_update(actor=None, person=jobless, willing=True)
    registry.person_update(actor=None, person=earner, able=True)
    assert cases(hh) == [(earner.retire_on, jobless.retire_on, RETIRED)]
    other = household("a2")
    registry.person_move(actor=None, person=earner, household=other)
    assert cases(hh) == [(D(2024, 3, 1), jobless.retire_on, RETIRED)] == episodes(hh)
    assert cases(other) == [] == episodes(other)


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
    assert cases(p.household) == [(D(2026, 1, 31), p.retire_on, RETIRED)]
    ZeroFamilyCase.objects.all().delete()
    assert zero_family_sync_unit(unit=tree["a"]) >= 1
    assert cases(p.household) == [(D(2026, 1, 31), p.retire_on, RETIRED)]


def test_many_households_at_once_as_one_by_one(
    person: Callable[..., Any], personas: dict[str, Any], tree: dict[str, Any]
) -> None:
    """A bulk loader's signal for many households (more than one round of reads): every new
    case is opened as a single household's sync would, with its end when already dated,
    assigned to its grid's coordinator (grid a1 has one, a2 none), audited in household
    order."""
    from jiuye.casework import services as casework

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
        c.household_id: (c.emerged_on, c.eliminated_on, c.assigned_to_id)
        for c in ZeroFamilyCase.objects.all()
    }
    grid = personas["grid_a1"].pk
    hh = [p.household_id for p in people]
    assert found == {
        hh[0]: (D(2020, 1, 1), people[0].retire_on, grid),
        hh[1]: (D(2020, 1, 1), D(2021, 3, 1), None),
        hh[3]: (D(2019, 5, 1), D(2019, 9, 1), grid),
        hh[4]: (D(2022, 2, 2), people[4].retire_on, None),
    }
    entries = list(
        AuditEntry.objects.filter(action__startswith="zero_family.", id__gt=last)
        .order_by("id")
        .values_list("action", "object_id", "changes")
    )
    ids = {c.household_id: c.pk for c in ZeroFamilyCase.objects.all()}
    expected = [("zero_family.open", str(h)) for h in households if h in found]
    assert [(action, obj) for action, obj, _ in entries] == expected
    assert all(changes["case"] == [None, ids[int(obj)]] for _, obj, changes in entries)
    assert all(
        changes["eliminated_on"] == [None, found[int(obj)][1].isoformat()]
        for _, obj, changes in entries
    )


# ---- cases == episodes, on randomized households ---------------------------------------------

STATUSES = ("unit", "flexible", "farming", "unemployed", "unemployed", "student", "retired", "out")


def _random_history(rng: random.Random, work_from: date) -> list[tuple[date, str, bool]]:
    """0–4 status events between 2018 and 2027 (some after today: a history may hold future
    events), none employed before the 16th birthday (refused, DOMAIN §3)."""
    events = []
    for _ in range(rng.randint(0, 4)):
        since = D(2018, 1, 1) + timedelta(days=rng.randint(0, 9 * 365))
        status = rng.choice(STATUSES)
        if definitions.is_employed(status) and since < work_from:
            status = "unemployed"
        events.append((since, status, status == "unemployed" and rng.random() < 0.5))
    return events


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cases_equal_episodes_on_random_households(
    person: Callable[..., Any], household: Callable[..., Any], seed: int
) -> None:
    """Readings of 2026-12 (4): after any sequence of changes (events recorded in any order,
    deleted, ability and desire edited, members moved), every household's cases ARE its
    episodes, and on any date the households with an open case are exactly those the SQL
    classification finds zero that day."""
    rng = random.Random(seed)
    households = [household(rng.choice(["a1", "a2"])) for _ in range(8)]
    persons = []
    for hh in households:
        for _ in range(rng.randint(1, 3)):
            birth = D(rng.randint(1958, 2012), rng.randint(1, 12), rng.randint(1, 28))
            p = person(hh=hh, birth=birth, male=rng.random() < 0.5)
            for since, status, registered in _random_history(rng, p.work_from):
                registry.person_change_status(
                    actor=None, person=p, status=status, since=since, registered=registered
                )
            persons.append(p)

    def check() -> None:
        for hh in households:
            assert cases(hh) == episodes(hh), hh.number
        ids = Household.objects.filter(pk__in=[h.pk for h in households])
        for _ in range(12):
            day = D(2017, 6, 1) + timedelta(days=rng.randint(0, 11 * 365))
            open_cases = set(
                ZeroFamilyCase.objects.open_on(day)
                .filter(household__in=ids)
                .values_list("household_id", flat=True)
            )
            zero = {row.household_id for row in zero_households(on=day, households=ids)}
            assert open_cases == zero, day

    check()
    for _ in range(6):
        p = rng.choice(persons)
        p.refresh_from_db()
        action = rng.choice(["delete", "able", "willing", "move", "add"])
        if action == "delete":
            events = list(StatusEvent.objects.filter(person=p).order_by("since"))
            if events:
                registry.status_event_delete(actor=None, event=rng.choice(events))
        elif action in ("able", "willing"):
            registry.person_update(actor=None, person=p, **{action: not getattr(p, action)})
        elif action == "move":
            registry.person_move(actor=None, person=p, household=rng.choice(households))
        else:
            for since, status, registered in _random_history(rng, p.work_from)[:1]:
                registry.person_change_status(
                    actor=None, person=p, status=status, since=since, registered=registered
                )
        check()


def test_sync_is_idempotent(person: Callable[..., Any]) -> None:
    p = person(statuses=((D(2020, 1, 1), "unit"), (D(2026, 1, 31), "unemployed", True)))
    before = AuditEntry.objects.filter(action__startswith="zero_family.").count()
    zero_family_sync(household_ids={p.household_id})
    assert AuditEntry.objects.filter(action__startswith="zero_family.").count() == before
    assert cases(p.household) == [(D(2026, 1, 31), p.retire_on, RETIRED)]
