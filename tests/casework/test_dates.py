"""The deadlines' pure date logic, with real 2026 dates and no database.

2026 calendar facts used below (from chinesecalendar, via ``jiuye.lib.workdays``): 1–5 May are
the Labour Day holiday and Saturday 9 May a make-up workday; 15–23 February the Spring Festival
(16–20 and 23 Feb are holidays, Saturday 14 Feb a make-up workday); 4–6 April Qingming.
"""

from __future__ import annotations

from datetime import date

import pytest

from jiuye.casework import deadlines as d
from jiuye.casework.deadlines import State
from jiuye.lib import workdays
from jiuye.lib.workdays import WorkdayCalendarError
from jiuye.registry import definitions

D = date


def test_calendar_facts_the_tables_rely_on() -> None:
    assert not any(workdays.is_workday(D(2026, 5, day)) for day in range(1, 6))
    assert workdays.is_workday(D(2026, 5, 9))  # Saturday, make-up workday
    assert workdays.is_workday(D(2026, 2, 14))  # Saturday, make-up workday
    assert not workdays.is_workday(D(2026, 2, 23))  # Monday, Spring Festival
    assert not workdays.is_workday(D(2026, 4, 6))  # Monday, Qingming


# CQ-4: guidance within 3 working days, the registration day not counted.
CQ4 = {
    "04-30 + May Day: due 05-08": (D(2026, 4, 30), D(2026, 5, 8)),
    "05-07 + make-up Saturday 05-09: due 05-11": (D(2026, 5, 7), D(2026, 5, 11)),
    "Friday before Spring Festival: 02-14 make-up, then 02-24, 02-25": (
        D(2026, 2, 13),
        D(2026, 2, 25),
    ),
    "Friday before Qingming (04-06 Monday off)": (D(2026, 4, 3), D(2026, 4, 9)),
    "registration on a Saturday (not a workday)": (D(2026, 3, 7), D(2026, 3, 11)),
    "ordinary Monday": (D(2026, 3, 9), D(2026, 3, 12)),
}


@pytest.mark.parametrize(("registered", "due"), CQ4.values(), ids=CQ4.keys())
def test_cq4_guidance_due(registered: date, due: date) -> None:
    assert d.guidance_due(registered) == due


CQ4_ON_TIME = {
    "issue example 1: 04-30 → 05-08 on time": (D(2026, 4, 30), D(2026, 5, 8), True),
    "issue example 2: 05-07 → 05-12 late": (D(2026, 5, 7), D(2026, 5, 12), False),
    "05-07 → 05-11 on time": (D(2026, 5, 7), D(2026, 5, 11), True),
    "guidance on the registration day": (D(2026, 5, 7), D(2026, 5, 7), True),
    "guidance before the registration does not count": (D(2026, 5, 7), D(2026, 5, 6), False),
    "Spring Festival: 02-25 on time": (D(2026, 2, 13), D(2026, 2, 25), True),
    "Spring Festival: 02-26 late": (D(2026, 2, 13), D(2026, 2, 26), False),
}


@pytest.mark.parametrize(
    ("registered", "guided", "on_time"), CQ4_ON_TIME.values(), ids=CQ4_ON_TIME.keys()
)
def test_cq4_on_time(registered: date, guided: date, on_time: bool) -> None:
    assert d.guidance_on_time(registered, guided) is on_time


CQ2 = {
    "01-31 → 02-28": (D(2026, 1, 31), D(2026, 2, 28)),
    "01-31 → 02-29 in a leap year": (D(2028, 1, 31), D(2028, 2, 29)),
    "03-31 → 04-30": (D(2026, 3, 31), D(2026, 4, 30)),
    "12-15 → next year's 01-15": (D(2026, 12, 15), D(2027, 1, 15)),
    "05-10 → 06-10": (D(2026, 5, 10), D(2026, 6, 10)),
}


# The CQ-2 deadline is the registry's rule (``definitions.zero_family_due``); the worklist, the
# cases' ``due_on`` and the standards all read it from there.
@pytest.mark.parametrize(("emerged", "due"), CQ2.values(), ids=CQ2.keys())
def test_cq2_zero_family_due(emerged: date, due: date) -> None:
    assert definitions.zero_family_due(emerged) == due
    assert not hasattr(d, "zero_family_due")  # stated once, in registry.definitions


def test_cq2_eliminated_on_the_due_day_is_on_time_and_the_next_day_late() -> None:
    due = definitions.zero_family_due(D(2026, 1, 31))
    on = D(2026, 3, 10)
    assert d.classify(due=due, done_on=D(2026, 2, 28), on=on, soon_until=on) == State.MET
    assert d.classify(due=due, done_on=D(2026, 3, 1), on=on, soon_until=on) == State.LATE


CQ5 = {
    "registered 2025-11-22, on 2026-11-21": (D(2025, 11, 22), D(2026, 11, 21), False),
    "registered 2025-11-22, on 2026-11-22": (D(2025, 11, 22), D(2026, 11, 22), True),
    "registered 2024-02-29, a year later is 2025-02-28": (D(2024, 2, 29), D(2025, 2, 28), True),
    "registered 2024-02-29, on 2025-02-27": (D(2024, 2, 29), D(2025, 2, 27), False),
}


@pytest.mark.parametrize(("start", "on", "long_term"), CQ5.values(), ids=CQ5.keys())
def test_cq5_continuous_year(start: date, on: date, long_term: bool) -> None:
    # CQ-5's year is the registry's rule; the worklist's CQ-5 calls it (test_deadlines.py).
    assert definitions.is_long_term(start, on) is long_term


PLACEMENT = {
    "Thursday before May Day: 05-06, 05-07": (D(2026, 4, 30), D(2026, 5, 7)),
    "Friday 05-08: make-up Saturday 05-09, then Monday 05-11": (D(2026, 5, 8), D(2026, 5, 11)),
    "Friday over a plain weekend": (D(2026, 11, 20), D(2026, 11, 24)),
    "Tuesday 09-29: 09-30, then 10-08 after National Day": (D(2026, 9, 29), D(2026, 10, 8)),
}


@pytest.mark.parametrize(("committed", "due"), PLACEMENT.values(), ids=PLACEMENT.keys())
def test_as1_placement_two_working_days(committed: date, due: date) -> None:
    assert d.placement_due(committed) == due


def test_quarters_and_their_last_days() -> None:
    assert d.quarters_between(D(2026, 1, 1), D(2026, 4, 1)) == [(2026, 1), (2026, 2)]
    assert d.quarters_between(D(2026, 1, 1), D(2026, 3, 31)) == [(2026, 1)]
    assert workdays.quarter_bounds(2026, 1) == (D(2026, 1, 1), D(2026, 3, 31))
    assert workdays.quarter_of(D(2026, 3, 31)) == (2026, 1)
    assert workdays.quarter_of(D(2026, 4, 1)) == (2026, 2)


def test_visit_and_referral_due_from_registration_or_period_start() -> None:
    start = D(2026, 1, 1)
    assert d.visit_due(D(2026, 3, 10), start) == D(2026, 4, 10)
    assert d.visit_due(D(2024, 3, 10), start) == D(2026, 2, 1)
    assert d.referral_due(D(2026, 3, 31), start) == D(2026, 5, 31)
    assert d.referral_due(D(2025, 6, 1), start) == D(2026, 3, 1)


CLASSIFY = {
    "done on the due day": (D(2026, 5, 8), D(2026, 5, 8), D(2026, 5, 20), State.MET),
    "done a day late": (D(2026, 5, 8), D(2026, 5, 9), D(2026, 5, 20), State.LATE),
    "done after the date we look at is not done yet": (
        D(2026, 5, 8),
        D(2026, 5, 9),
        D(2026, 5, 8),
        State.DUE_SOON,
    ),
    "not done, due today": (D(2026, 5, 8), None, D(2026, 5, 8), State.DUE_SOON),
    "not done, past due": (D(2026, 5, 8), None, D(2026, 5, 11), State.OVERDUE),
    "not done, due far ahead": (D(2026, 6, 30), None, D(2026, 5, 11), State.PENDING),
}


@pytest.mark.parametrize(("due", "done", "on", "state"), CLASSIFY.values(), ids=CLASSIFY.keys())
def test_classify(due: date, done: date | None, on: date, state: State) -> None:
    assert d.classify(due=due, done_on=done, on=on, soon_until=d.horizon(on)) == state


def test_horizon_is_five_working_days() -> None:
    # Thursday 04-30 + 5 working days over May Day: 05-06, 07, 08, 09 (Sat), 11.
    assert d.horizon(D(2026, 4, 30)) == D(2026, 5, 11)


def test_spells_chain_consecutive_registered_events() -> None:
    events = [
        (1, D(2025, 11, 22), D(2026, 2, 1)),  # registered, cause updated on 02-01
        (1, D(2026, 2, 1), None),
        (2, D(2026, 1, 5), D(2026, 3, 1)),  # employed 03-01
        (2, D(2026, 6, 1), None),  # registered again
        (3, D(2026, 7, 1), None),  # after the date we look at
    ]
    found = definitions.spells(events, D(2026, 6, 30))
    assert definitions.Spell(1, D(2025, 11, 22), None) in found
    assert definitions.Spell(2, D(2026, 1, 5), D(2026, 3, 1)) in found
    assert definitions.Spell(2, D(2026, 6, 1), None) in found
    assert all(s.person_id != 3 for s in found)
    # An end after the date we look at is not known yet.
    assert definitions.spells([(2, D(2026, 1, 5), D(2026, 3, 1))], D(2026, 2, 1)) == [
        definitions.Spell(2, D(2026, 1, 5), None)
    ]


def test_a_year_the_calendar_does_not_know_is_a_clear_error() -> None:
    with pytest.raises(WorkdayCalendarError, match="2100"):
        d.guidance_due(D(2100, 3, 1))
