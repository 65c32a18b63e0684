"""Each deadline rule on the database, table-driven with real 2026 dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from jiuye.casework import deadlines as d
from jiuye.casework import services
from jiuye.casework.deadlines import State, queries
from jiuye.casework.deadlines.context import rule_context
from jiuye.casework.deadlines.rules import items_of_rows, scope_of
from jiuye.registry import definitions
from jiuye.registry import services as registry
from jiuye.units.scope import SYSTEM

D = date


def serve(p: Any, kind: str, on: date) -> None:
    services.service_record_create(actor=None, person=p, kind=kind, on=on)


def items_for(rule: str, unit: Any, on: date, p: Any = None) -> list[d.Item]:
    found = d.RULE_FUNCTIONS[rule](unit, on, user=SYSTEM)
    return [i for i in found if p is None or i.person_id == p.pk]


def recognise(p: Any, on: date) -> Any:
    """Recognise ``p`` as employment-difficult from ``on``. Category "other" with its note: the
    registry checks every category against the person's facts on the day (DOMAIN readings of
    2026-12), and these tests are about the contact deadlines, not the category."""
    return registry.recognition_create(
        actor=None, person=p, category="other", recognized_on=on, note="测试：社区认定"
    )


# ---- CQ-4 ----------------------------------------------------------------------------------

CQ4 = {
    "04-30 guided 05-08 (May Day): on time": (
        D(2026, 4, 30),
        D(2026, 5, 8),
        D(2026, 5, 20),
        State.MET,
    ),
    "05-07 guided 05-12 (Saturday 05-09 worked): late": (
        D(2026, 5, 7),
        D(2026, 5, 12),
        D(2026, 5, 20),
        State.LATE,
    ),
    "05-07 guided 05-11: on time": (D(2026, 5, 7), D(2026, 5, 11), D(2026, 5, 20), State.MET),
    "05-07 no guidance yet, 05-11 is the last day": (
        D(2026, 5, 7),
        None,
        D(2026, 5, 11),
        State.DUE_SOON,
    ),
    "05-07 no guidance on 05-12": (D(2026, 5, 7), None, D(2026, 5, 12), State.OVERDUE),
    "Friday 02-13 before Spring Festival, guided 02-25": (
        D(2026, 2, 13),
        D(2026, 2, 25),
        D(2026, 3, 2),
        State.MET,
    ),
    "Friday 02-13 before Spring Festival, guided 02-26": (
        D(2026, 2, 13),
        D(2026, 2, 26),
        D(2026, 3, 2),
        State.LATE,
    ),
    "guidance after the date looked at does not count yet": (
        D(2026, 5, 7),
        D(2026, 5, 12),
        D(2026, 5, 11),
        State.DUE_SOON,
    ),
}


@pytest.mark.parametrize(
    ("registered_on", "guided_on", "on", "state"), CQ4.values(), ids=CQ4.keys()
)
def test_cq4(
    registered: Callable[..., Any],
    tree: dict[str, Any],
    registered_on: date,
    guided_on: date | None,
    on: date,
    state: State,
) -> None:
    p = registered(registered_on)
    if guided_on:
        serve(p, "guidance", guided_on)
    [item] = items_for("CQ-4", tree["a"], on, p)
    assert (item.due, item.state, item.done_on) == (
        d.guidance_due(registered_on),
        state,
        guided_on if guided_on and guided_on <= on else None,
    )


def test_cq4_guidance_before_registration_does_not_count(
    registered: Callable[..., Any], tree: dict[str, Any]
) -> None:
    p = registered(D(2026, 5, 7))
    serve(p, "guidance", D(2026, 5, 6))
    [item] = items_for("CQ-4", tree["a"], D(2026, 5, 12), p)
    assert item.state == State.OVERDUE


def test_cq4_a_change_of_cause_is_not_a_new_registration(
    person: Callable[..., Any], tree: dict[str, Any]
) -> None:
    p = person(statuses=((D(2026, 3, 2), "unemployed", True),))
    registry.person_change_status(
        actor=None,
        person=p,
        status="unemployed",
        since=D(2026, 4, 1),
        registered=True,
        cause="合同到期",
    )
    serve(p, "guidance", D(2026, 3, 3))
    [item] = items_for("CQ-4", tree["a"], D(2026, 5, 1), p)
    assert item.state == State.MET and item.detail.endswith("2026-03-02")


def test_cq4_unregistered_unemployment_owes_no_guidance(
    person: Callable[..., Any], tree: dict[str, Any]
) -> None:
    p = person(statuses=((D(2026, 3, 2), "unemployed"),))
    assert items_for("CQ-4", tree["a"], D(2026, 5, 1), p) == []


def test_cq4_employed_before_guidance_is_overdue_but_not_actionable(
    registered: Callable[..., Any], tree: dict[str, Any]
) -> None:
    p = registered(D(2026, 5, 7))
    registry.person_change_status(actor=None, person=p, status="flexible", since=D(2026, 5, 8))
    [item] = items_for("CQ-4", tree["a"], D(2026, 5, 20), p)
    assert item.state == State.OVERDUE and not item.actionable
    assert all(i.person_id != p.pk for i in d.worklist(tree["a"], D(2026, 5, 20), user=SYSTEM))


def test_cq4_registrations_before_the_holiday_calendar_are_left_alone(
    person: Callable[..., Any], tree: dict[str, Any]
) -> None:
    # Registered in 2003 (before chinesecalendar's first year) and still registered: CQ-4 has
    # nothing to say about it this year, so the worklist must not fail on it; CQ-5 still does.
    p = person(statuses=((D(2003, 5, 6), "unemployed", True),))
    assert items_for("CQ-4", tree["a"], D(2026, 5, 1), p) == []
    assert [i.state for i in items_for("CQ-5", tree["a"], D(2026, 5, 1), p)] == [State.OVERDUE]
    assert d.worklist(tree["a"], D(2026, 5, 1), user=SYSTEM)


def test_cq4_last_years_registration_due_this_year_is_listed(
    registered: Callable[..., Any], tree: dict[str, Any]
) -> None:
    p = registered(D(2025, 12, 31))  # due the 3rd working day after: 2026-01-06
    [item] = items_for("CQ-4", tree["a"], D(2026, 1, 5), p)
    assert item.due == D(2026, 1, 6) and item.state == State.DUE_SOON


# ---- CQ-2 ----------------------------------------------------------------------------------

CQ2 = {
    "open on 02-28, the last day": (None, D(2026, 2, 28), State.DUE_SOON),
    "open on 03-01": (None, D(2026, 3, 1), State.OVERDUE),
    "open on 02-10 (not within 5 working days)": (None, D(2026, 2, 10), State.PENDING),
    "eliminated 02-28": (D(2026, 2, 28), D(2026, 3, 10), State.MET),
    "eliminated 03-01": (D(2026, 3, 1), D(2026, 3, 10), State.LATE),
}


@pytest.mark.parametrize(("employed_on", "on", "state"), CQ2.values(), ids=CQ2.keys())
def test_cq2_zero_family_emerging_on_01_31(
    person: Callable[..., Any],
    tree: dict[str, Any],
    employed_on: date | None,
    on: date,
    state: State,
) -> None:
    p = person(statuses=((D(2020, 1, 1), "unit"), (D(2026, 1, 31), "unemployed", True)))
    if employed_on:
        registry.person_change_status(actor=None, person=p, status="flexible", since=employed_on)
    [item] = items_for("CQ-2", tree["a"], on)
    assert (item.household_id, item.due, item.state) == (p.household_id, D(2026, 2, 28), state)


# CQ-2 counts urban households only, 城镇 and 农转非 (DOMAIN readings of 2026-12, 2 and 3); the
# case exists for every household (HD and QG count all).
CQ2_HUKOU = {
    "城镇: a case and a CQ-2 item": ("urban", True),
    "农转非: a case and a CQ-2 item": ("converted", True),
    "农业: a case, no CQ-2 item": ("agricultural", False),
}


@pytest.mark.parametrize(("hukou", "counted"), CQ2_HUKOU.values(), ids=CQ2_HUKOU.keys())
def test_cq2_urban_households_only(
    person: Callable[..., Any],
    household: Callable[..., Any],
    tree: dict[str, Any],
    hukou: str,
    counted: bool,
) -> None:
    from jiuye.casework.models import ZeroFamilyCase

    hh = household("a1", hukou_type=hukou)
    person(hh=hh, statuses=((D(2020, 1, 1), "unit"), (D(2026, 1, 31), "unemployed", True)))
    assert ZeroFamilyCase.objects.filter(household=hh).count() == 1
    found = items_for("CQ-2", tree["a"], D(2026, 3, 1))
    assert [i.household_id for i in found] == ([hh.pk] if counted else [])
    in_worklist = [
        i for i in d.worklist(tree["a"], D(2026, 3, 1), user=SYSTEM) if i.rule_id == "CQ-2"
    ]
    assert len(in_worklist) == int(counted)


def test_cq2_emerges_on_the_first_recorded_status(
    person: Callable[..., Any], tree: dict[str, Any]
) -> None:
    """DOMAIN readings of 2026-12 (1): a member whose history starts on 2026-03-02 (born 1990:
    16 in 2006) makes a zero family from 2026-03-02, due 2026-04-02, not from 2006."""
    p = person(birth=D(1990, 5, 1), statuses=((D(2026, 3, 2), "unemployed", True),))
    [item] = items_for("CQ-2", tree["a"], D(2026, 3, 20))
    assert (item.household_id, item.due, item.state) == (
        p.household_id,
        D(2026, 4, 2),
        State.PENDING,
    )
    assert items_for("CQ-2", tree["a"], D(2026, 3, 1)) == []


CQ2_RETIREMENT = {
    "a day before it emerged: no item": (D(2026, 5, 10), None, None),
    "before the retirement day: open, overdue": (D(2026, 7, 14), None, State.OVERDUE),
    "from the retirement day: ended (no labor force left), a month late": (
        D(2026, 7, 15),
        D(2026, 7, 15),
        State.LATE,
    ),
}


@pytest.mark.parametrize(
    ("on", "done", "state"), CQ2_RETIREMENT.values(), ids=CQ2_RETIREMENT.keys()
)
def test_cq2_episode_ended_by_retirement(
    person: Callable[..., Any],
    tree: dict[str, Any],
    on: date,
    done: date | None,
    state: State | None,
) -> None:
    """A man born 1966-03-15 retires on 2026-07-15 (DOMAIN §3): the zero family that emerged on
    2026-05-11 ends that day, a date stored already; as of a date before it the item is open."""
    p = person(birth=D(1966, 3, 15), statuses=((D(2026, 5, 11), "unemployed", True),))
    if state is None:
        assert items_for("CQ-2", tree["a"], on) == []
        return
    [item] = items_for("CQ-2", tree["a"], on)
    assert (item.household_id, item.due, item.done_on, item.state) == (
        p.household_id,
        D(2026, 6, 11),
        done,
        state,
    )
    urgent = [i for i in d.worklist(tree["a"], on, user=SYSTEM) if i.rule_id == "CQ-2"]
    assert bool(urgent) is (done is None)


# ---- QG-6 ----------------------------------------------------------------------------------

QUARTERS = {
    "contact 03-31 counts for Q1": (
        D(2026, 3, 31),
        "contact",
        {(1, State.MET), (2, State.PENDING)},
    ),
    "contact 04-01 counts for Q2": (D(2026, 4, 1), "contact", {(1, State.OVERDUE), (2, State.MET)}),
    "a visit counts as a contact": (D(2026, 2, 10), "visit", {(1, State.MET), (2, State.PENDING)}),
    "guidance does not": (D(2026, 2, 10), "guidance", {(1, State.OVERDUE), (2, State.PENDING)}),
}


@pytest.mark.parametrize(("contact_on", "kind", "expected"), QUARTERS.values(), ids=QUARTERS.keys())
def test_qg6_quarterly_contact(
    person: Callable[..., Any],
    tree: dict[str, Any],
    contact_on: date,
    kind: str,
    expected: set[tuple[int, State]],
) -> None:
    p = person(statuses=((D(2025, 6, 1), "unemployed", True),))
    recognise(p, D(2025, 12, 1))
    serve(p, kind, contact_on)
    found = items_for("QG-6-contact", tree["a"], D(2026, 4, 15), p)
    assert {(i.due.month // 3, i.state) for i in found} == expected
    q1 = next(i for i in found if i.due == D(2026, 3, 31))
    assert not q1.actionable  # an ended quarter cannot be made good


def test_qg6_quarter_end_is_due_soon_and_ended_recognition_drops_out(
    person: Callable[..., Any], tree: dict[str, Any]
) -> None:
    p = person(statuses=((D(2025, 6, 1), "unemployed", True),))
    rec = recognise(p, D(2026, 1, 5))
    [item] = items_for("QG-6-contact", tree["a"], D(2026, 3, 27), p)
    assert item.state == State.DUE_SOON and item.due == D(2026, 3, 31)
    registry.recognition_end(actor=None, recognition=rec, ended_on=D(2026, 4, 1))
    found = items_for("QG-6-contact", tree["a"], D(2026, 5, 1), p)
    assert [i.due for i in found] == [D(2026, 3, 31)]  # difficult up to 03-31 only


VISITS = {
    "visited 04-01": (D(2026, 4, 1), D(2026, 4, 20), State.MET),
    "visited 04-11, a day late": (D(2026, 4, 11), D(2026, 4, 20), State.LATE),
    "not visited by 04-11": (None, D(2026, 4, 11), State.OVERDUE),
    "not visited, due 04-10": (None, D(2026, 4, 8), State.DUE_SOON),
}


@pytest.mark.parametrize(("visit_on", "on", "state"), VISITS.values(), ids=VISITS.keys())
def test_qg6_visit(
    registered: Callable[..., Any],
    tree: dict[str, Any],
    visit_on: date | None,
    on: date,
    state: State,
) -> None:
    p = registered(D(2026, 3, 10))
    if visit_on:
        serve(p, "visit", visit_on)
    [item] = items_for("QG-6-visit", tree["a"], on, p)
    assert (item.due, item.state) == (D(2026, 4, 10), state)


# ---- QG-3 ----------------------------------------------------------------------------------

REFERRALS = {
    "none": ([], State.OVERDUE, 0),
    "once": ([D(2026, 2, 10)], State.OVERDUE, 1),
    "twice by 03-01": ([D(2026, 2, 10), D(2026, 3, 1)], State.MET, 2),
    "twice, the second late": ([D(2026, 2, 10), D(2026, 3, 2)], State.LATE, 2),
    "last year's referral does not count": ([D(2025, 12, 20), D(2026, 2, 20)], State.OVERDUE, 1),
}


@pytest.mark.parametrize(("referred", "state", "count"), REFERRALS.values(), ids=REFERRALS.keys())
def test_qg3_referred_twice(
    person: Callable[..., Any], tree: dict[str, Any], referred: list[date], state: State, count: int
) -> None:
    p = person(statuses=((D(2025, 12, 1), "unemployed", True),))
    for day in referred:
        serve(p, "referral", day)
    [item] = items_for("QG-3", tree["a"], D(2026, 6, 1), p)
    assert (item.due, item.state, item.progress["count"]) == (D(2026, 3, 1), state, count)


def test_qg3_only_able_willing_working_age(
    person: Callable[..., Any], tree: dict[str, Any]
) -> None:
    reg = ((D(2026, 1, 5), "unemployed", True),)
    unable = person(statuses=reg, able=False)
    unwilling = person(statuses=reg, willing=False)
    retired_age = person(statuses=reg, birth=D(1960, 1, 1))
    able = person(statuses=reg)
    found = {i.person_id for i in items_for("QG-3", tree["a"], D(2026, 6, 1))}
    assert found == {able.pk}
    assert {unable.pk, unwilling.pk, retired_age.pk} & found == set()


# ---- CQ-5 ----------------------------------------------------------------------------------

LONG_TERM = {
    "on 2026-11-20: due in the next 5 working days": (None, D(2026, 11, 20), State.DUE_SOON),
    "on 2026-11-21, the day before: not yet long-term": (None, D(2026, 11, 21), State.DUE_SOON),
    "on 2026-11-22, the anniversary: long-term, overdue": (None, D(2026, 11, 22), State.OVERDUE),
    "on 2026-11-23": (None, D(2026, 11, 23), State.OVERDUE),
    "on 2026-06-01": (None, D(2026, 6, 1), State.PENDING),
    "employed from the anniversary: never long-term": (
        D(2026, 11, 22),
        D(2026, 11, 23),
        State.MET,
    ),
    "employed from the anniversary, seen that day": (D(2026, 11, 22), D(2026, 11, 22), State.MET),
    "employed 2026-11-23: long-term for a day": (D(2026, 11, 23), D(2026, 11, 23), State.LATE),
}


@pytest.mark.parametrize(("employed_on", "on", "state"), LONG_TERM.values(), ids=LONG_TERM.keys())
def test_cq5_continuous_year(
    person: Callable[..., Any],
    tree: dict[str, Any],
    employed_on: date | None,
    on: date,
    state: State,
) -> None:
    p = person(statuses=((D(2025, 11, 22), "unemployed", True),))
    # A change of the cause on the same registration keeps it continuous.
    registry.person_change_status(
        actor=None,
        person=p,
        status="unemployed",
        since=D(2026, 3, 1),
        registered=True,
        cause="企业裁员",
    )
    if employed_on:
        registry.person_change_status(actor=None, person=p, status="unit", since=employed_on)
    [item] = items_for("CQ-5", tree["a"], on, p)
    assert (item.due, item.state) == (D(2026, 11, 22), state)


# The anniversary day (docs/decisions.md "Long-term unemployed: the anniversary day"): the
# worklist's CQ-5 state and ``definitions.is_long_term`` (which the standards count) agree on
# every day.
ANNIVERSARY = {
    "registered 2025-03-01: the day before": (D(2025, 3, 1), D(2026, 2, 28), False),
    "registered 2025-03-01: the anniversary": (D(2025, 3, 1), D(2026, 3, 1), True),
    "registered 2025-03-01: the day after": (D(2025, 3, 1), D(2026, 3, 2), True),
    "registered 2024-02-29: 2025-02-27": (D(2024, 2, 29), D(2025, 2, 27), False),
    "registered 2024-02-29: 2025-02-28 (no 29th)": (D(2024, 2, 29), D(2025, 2, 28), True),
    "registered 2024-02-29: 2025-03-01": (D(2024, 2, 29), D(2025, 3, 1), True),
    "registered 2024-02-28: 2025-02-28": (D(2024, 2, 28), D(2025, 2, 28), True),
    "registered 2023-03-01, across 2024-02-29: 2024-02-29": (D(2023, 3, 1), D(2024, 2, 29), False),
    "registered 2023-03-01, across 2024-02-29: 2024-03-01": (D(2023, 3, 1), D(2024, 3, 1), True),
    "registered 2023-02-28, into a leap year: 2024-02-27": (D(2023, 2, 28), D(2024, 2, 27), False),
    "registered 2023-02-28, into a leap year: 2024-02-28": (D(2023, 2, 28), D(2024, 2, 28), True),
}


@pytest.mark.parametrize(("start", "on", "long_term"), ANNIVERSARY.values(), ids=ANNIVERSARY.keys())
def test_is_long_term_anniversary(start: date, on: date, long_term: bool) -> None:
    assert definitions.is_long_term(start, on) is long_term
    # Ended that very day: not registered on it, so not long-term (the day before: as before).
    assert definitions.is_long_term(start, on, spell_end=on) is False
    assert definitions.is_long_term(start, on, spell_end=on + timedelta(days=1)) is long_term


@pytest.mark.parametrize(
    ("start", "anniversary"),
    [
        (D(2025, 3, 1), D(2026, 3, 1)),
        (D(2025, 11, 22), D(2026, 11, 22)),
        (D(2024, 2, 29), D(2025, 2, 28)),
        (D(2028, 2, 29), D(2029, 2, 28)),
        (D(2027, 2, 28), D(2028, 2, 28)),
        (D(2025, 12, 31), D(2026, 12, 31)),
    ],
)
def test_long_term_from_is_the_first_long_term_day(start: date, anniversary: date) -> None:
    assert definitions.long_term_from(start) == anniversary
    assert definitions.is_long_term(start, anniversary)
    assert not definitions.is_long_term(start, anniversary - timedelta(days=1))


@pytest.mark.parametrize(("start", "on", "long_term"), ANNIVERSARY.values(), ids=ANNIVERSARY.keys())
def test_cq5_worklist_follows_is_long_term(
    person: Callable[..., Any],
    tree: dict[str, Any],
    start: date,
    on: date,
    long_term: bool,
) -> None:
    p = person(statuses=((D(2020, 1, 1), "unit"), (start, "unemployed", True)))
    [item] = items_for("CQ-5", tree["a"], on, p)
    assert item.due == definitions.long_term_from(start)
    assert (item.state == State.OVERDUE) is long_term
    assert item.state == (State.OVERDUE if long_term else State.DUE_SOON)
    assert item.actionable


@pytest.mark.parametrize(("start", "on", "long_term"), ANNIVERSARY.values(), ids=ANNIVERSARY.keys())
def test_cq5_employed_on_a_day_is_late_exactly_when_long_term_the_day_before(
    person: Callable[..., Any],
    tree: dict[str, Any],
    start: date,
    on: date,
    long_term: bool,
) -> None:
    """Employed from ``on + 1``: registered up to ``on``, so late iff long-term on ``on``."""
    employed = on + timedelta(days=1)
    p = person(
        statuses=((D(2020, 1, 1), "unit"), (start, "unemployed", True), (employed, "flexible"))
    )
    [item] = items_for("CQ-5", tree["a"], employed, p)
    assert item.done_on == employed
    assert item.state == (State.LATE if long_term else State.MET)


def test_cq5_registration_broken_by_employment_restarts(
    person: Callable[..., Any], tree: dict[str, Any]
) -> None:
    p = person(
        statuses=(
            (D(2025, 1, 5), "unemployed", True),
            (D(2025, 6, 1), "flexible"),
            (D(2025, 9, 1), "unemployed", True),
        )
    )
    [item] = items_for("CQ-5", tree["a"], D(2026, 6, 1), p)
    assert item.due == D(2026, 9, 1) and item.state == State.PENDING


# ---- AS-1 ----------------------------------------------------------------------------------


def _committed(
    person: Callable[..., Any], committed_on: date, *, difficult: bool = True, accepts: bool = True
) -> tuple[Any, Any]:
    p = person(statuses=((D(2025, 6, 1), "unemployed", True),))
    if difficult:
        recognise(p, D(2025, 7, 1))
    case = services.assistance_open(actor=None, person=p, on=committed_on, accepts_any_post=accepts)
    services.assistance_step_record(actor=None, case=case, kind="verification", on=committed_on)
    services.assistance_step_record(actor=None, case=case, kind="commitment", on=committed_on)
    case.refresh_from_db()
    return p, case


PLACEMENTS = {
    "committed Friday 05-08, placed Monday 05-11": (D(2026, 5, 8), D(2026, 5, 11), State.MET),
    "committed Friday 05-08, placed 05-12": (D(2026, 5, 8), D(2026, 5, 12), State.LATE),
    "committed 04-30, not placed by 05-07": (D(2026, 4, 30), None, State.DUE_SOON),
}


@pytest.mark.parametrize(
    ("committed_on", "placed_on", "state"), PLACEMENTS.values(), ids=PLACEMENTS.keys()
)
def test_as1_placement(
    person: Callable[..., Any],
    tree: dict[str, Any],
    committed_on: date,
    placed_on: date | None,
    state: State,
) -> None:
    p, case = _committed(person, committed_on)
    if placed_on:
        services.assistance_step_record(actor=None, case=case, kind="placement", on=placed_on)
    [item] = items_for("AS-1", tree["a"], placed_on or D(2026, 5, 7), p)
    assert (item.due, item.state, item.case_id) == (case.placement_due, state, case.pk)


def test_as1_no_deadline_without_difficulty_or_without_accepting_any_post(
    person: Callable[..., Any], tree: dict[str, Any]
) -> None:
    _committed(person, D(2026, 5, 8), difficult=False)
    _committed(person, D(2026, 5, 8), accepts=False)
    assert items_for("AS-1", tree["a"], D(2026, 5, 12)) == []


# ---- units ---------------------------------------------------------------------------------


def test_rules_are_scoped_to_the_unit(registered: Callable[..., Any], tree: dict[str, Any]) -> None:
    in_a1 = registered(D(2026, 5, 7), unit="a1")
    in_a2 = registered(D(2026, 5, 7), unit="a2")
    in_b = registered(D(2026, 5, 7), unit="b")
    on = D(2026, 5, 12)

    def people(unit: str) -> set[int]:
        return {i.person_id for i in items_for("CQ-4", tree[unit], on)}

    assert people("a") == {in_a1.pk, in_a2.pk}
    assert people("a1") == {in_a1.pk}
    assert people("s1") == {in_a1.pk, in_a2.pk, in_b.pk}
    assert people("c") == set()


def test_rules_read_through_the_jurisdiction_and_fail_closed(
    registered: Callable[..., Any], person: Callable[..., Any], tree: dict[str, Any], personas: Any
) -> None:
    """Every rule reads through the user's jurisdiction; without a user it finds nothing (a
    system job says so with ``SYSTEM``)."""
    in_a1 = registered(D(2026, 5, 7), unit="a1")
    registered(D(2026, 5, 7), unit="a2")
    person("a2", statuses=((D(2020, 1, 1), "unit"), (D(2026, 4, 1), "unemployed", True)))
    on = D(2026, 5, 12)
    for rule, function in d.RULE_FUNCTIONS.items():
        assert function(tree["a"], on, user=None) == [], rule
    assert d.deadline_items(tree["a"], on, user=None) == []
    everything = d.deadline_items(tree["a"], on, user=SYSTEM)
    assert {i.rule_id for i in everything} >= {"CQ-4", "CQ-2"}
    grid = d.deadline_items(tree["a"], on, user=personas["grid_a1"])
    assert {i.person_id for i in grid if i.person_id} == {in_a1.pk}
    # Each registered person lives alone: a zero family each; the coordinator sees A1's only.
    assert [i.household_id for i in grid if i.rule_id == "CQ-2"] == [in_a1.household_id]
    assert len([i for i in everything if i.rule_id == "CQ-2"]) == 3


@pytest.mark.django_db
def test_classify_sql_agrees_with_classify() -> None:
    """The SQL form of ``classify`` (issue 12: states are counted in the database) on every
    order of due date, done date, the date and the due-soon horizon."""
    from django.db import connection

    days = [D(2026, 5, n) for n in (4, 6, 8, 11, 13)]
    cast = "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        for due in days:
            for done in [None, *days]:
                for on in days:
                    soon = on + timedelta(days=3)
                    expected = d.classify(due=due, done_on=done, on=on, soon_until=soon)
                    got = _classify_in_db(cursor, cast, due, done, on, soon)
                    assert got == expected, (due, done, on)


def _classify_in_db(cursor: Any, cast: str, due: Any, done: Any, on: Any, soon: Any) -> str:
    from jiuye.casework.deadlines.queries import classify_sql

    sql = classify_sql(due="x.due", done_on="x.done", on=on, soon_until=soon, due_day_overdue="0")
    cursor.execute(
        f"SELECT {sql.text} FROM (SELECT {cast} AS due, {cast} AS done) x",
        (*sql.params, due, done),
    )
    return str(cursor.fetchone()[0])


def test_worklist_pages_are_the_worklist_in_order(
    registered: Callable[..., Any], tree: dict[str, Any]
) -> None:
    """A worklist page (issue 12: paged in the database) is a slice of the whole worklist,
    most urgent first, and the totals count the whole list."""
    for n in range(7):
        registered(D(2026, 5, 1 + n))
    on = D(2026, 5, 20)
    every = d.worklist(tree["a"], on, user=SYSTEM)
    scope_rows: list[d.Item] = []
    scope = scope_of(rule_context(tree["a"], on, user=SYSTEM))
    for page in range(4):
        rows = queries.fetch(queries.select_items(scope, urgent=True, limit=5, offset=5 * page))
        scope_rows += items_of_rows(rows)
    assert [(i.rule_id, i.person_id, i.due) for i in scope_rows] == [
        (i.rule_id, i.person_id, i.due) for i in every
    ]
    assert len(every) > 5
    assert [i.urgent_key for i in every] == sorted(i.urgent_key for i in every)
