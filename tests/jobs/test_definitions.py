"""``jobs.definitions``: the contract rules in their Python and SQL forms give the same answers
on generated histories (month-end terms, leap days, endings, re-signings, renewals before and
after the end), and the readings at their edges, table-driven."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import OuterRef

from jiuye.jobs import definitions as d
from jiuye.jobs.definitions import Event
from jiuye.jobs.models import ContractEvent, Employer, StaffReport
from jiuye.lib.sql import Sql, read_date

D = date

# Month ends, a leap day, year bounds: where month arithmetic goes wrong.
SPECIAL_DAYS = [
    D(2024, 1, 31),
    D(2024, 2, 29),
    D(2024, 3, 31),
    D(2024, 8, 31),
    D(2025, 1, 31),
    D(2025, 2, 28),
    D(2025, 3, 1),
    D(2025, 12, 31),
    D(2026, 1, 1),
    D(2026, 2, 28),
    D(2026, 3, 31),
    D(2026, 5, 31),
]
TERMS = [1, 1, 3, 6, 12, 13, 24, 36]


# ---------------------------------------------------------------------------------------------
# The readings at their edges
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "months", "end"),
    [
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2025, 3, 31), 1, D(2025, 4, 30)),
        (D(2025, 1, 15), 36, D(2028, 1, 15)),
        (D(2025, 12, 31), 2, D(2026, 2, 28)),
    ],
)
def test_contract_end_is_the_same_day_clamped(on: date, months: int, end: date) -> None:
    assert d.contract_end(on, months) == end


def _ev(on: date, kind: str, term: int | None = None) -> Event:
    return Event(on, kind, term)


SIGNED_0131 = _ev(D(2025, 1, 31), "signed", 1)


@pytest.mark.parametrize(
    ("events", "on", "expected"),
    [
        ([SIGNED_0131], D(2025, 1, 30), False),  # before it was signed
        ([SIGNED_0131], D(2025, 1, 31), True),  # the day it was signed
        ([SIGNED_0131], D(2025, 2, 27), True),
        ([SIGNED_0131], D(2025, 2, 28), False),  # its end: the day after its last day
        ([_ev(D(2024, 1, 31), "signed", 1)], D(2024, 2, 28), True),  # leap: ends 02-29
        ([_ev(D(2024, 1, 31), "signed", 1)], D(2024, 2, 29), False),
        ([SIGNED_0131, _ev(D(2025, 2, 10), "ended")], D(2025, 2, 9), True),
        ([SIGNED_0131, _ev(D(2025, 2, 10), "ended")], D(2025, 2, 10), False),  # ended that day
        # Renewed before the end: a new term from the renewal.
        ([SIGNED_0131, _ev(D(2025, 2, 20), "renewed", 12)], D(2026, 2, 19), True),
        ([SIGNED_0131, _ev(D(2025, 2, 20), "renewed", 12)], D(2026, 2, 20), False),
        # Ended, then signed again (re-hired).
        (
            [SIGNED_0131, _ev(D(2025, 2, 10), "ended"), _ev(D(2025, 6, 1), "signed", 6)],
            D(2025, 5, 31),
            False,
        ),
        (
            [SIGNED_0131, _ev(D(2025, 2, 10), "ended"), _ev(D(2025, 6, 1), "signed", 6)],
            D(2025, 6, 1),
            True,
        ),
        # A renewal dated after the end: nothing in force in between.
        ([SIGNED_0131, _ev(D(2025, 3, 10), "renewed", 12)], D(2025, 3, 9), False),
        ([_ev(D(2025, 1, 1), "ended")], D(2025, 6, 1), False),  # only an ending
        ([], D(2025, 6, 1), False),
    ],
)
def test_contract_in_force(events: list[Event], on: date, expected: bool) -> None:
    assert d.contract_in_force(events, on) is expected


@pytest.mark.parametrize(
    ("events", "start", "on", "expected"),
    [
        # Expired 02-28, nothing after: stayed on without renewal.
        ([SIGNED_0131], D(2025, 1, 1), D(2025, 12, 31), ["stayed"]),
        # Its end not yet reached, or before the period: not an expiry of the period.
        ([SIGNED_0131], D(2025, 1, 1), D(2025, 2, 27), []),
        ([SIGNED_0131], D(2025, 3, 1), D(2025, 12, 31), []),
        ([SIGNED_0131], D(2025, 2, 28), D(2025, 2, 28), ["stayed"]),  # ends on both bounds
        # Renewed, before or after the end.
        (
            [SIGNED_0131, _ev(D(2025, 2, 20), "renewed", 12)],
            D(2025, 1, 1),
            D(2025, 12, 31),
            ["renewed"],
        ),
        (
            [SIGNED_0131, _ev(D(2025, 4, 1), "renewed", 12)],
            D(2025, 1, 1),
            D(2025, 12, 31),
            ["renewed"],
        ),
        (
            [SIGNED_0131, _ev(D(2025, 4, 1), "signed", 12)],
            D(2025, 1, 1),
            D(2025, 12, 31),
            ["renewed"],
        ),
        # The renewal after the date is not known yet: stayed on.
        (
            [SIGNED_0131, _ev(D(2025, 4, 1), "renewed", 12)],
            D(2025, 1, 1),
            D(2025, 3, 31),
            ["stayed"],
        ),
        # Ended on or before the end: left (in neither count).
        ([SIGNED_0131, _ev(D(2025, 2, 28), "ended")], D(2025, 1, 1), D(2025, 12, 31), ["left"]),
        ([SIGNED_0131, _ev(D(2025, 2, 1), "ended")], D(2025, 1, 1), D(2025, 12, 31), ["left"]),
        # Ended after the end: they stayed on without a renewal, then left.
        ([SIGNED_0131, _ev(D(2025, 3, 1), "ended")], D(2025, 1, 1), D(2025, 12, 31), ["stayed"]),
        # Two terms ending in the period: renewed once, then stayed on.
        (
            [_ev(D(2025, 1, 15), "signed", 3), _ev(D(2025, 4, 15), "renewed", 3)],
            D(2025, 1, 1),
            D(2025, 12, 31),
            ["renewed", "stayed"],
        ),
    ],
)
def test_expiries(events: list[Event], start: date, on: date, expected: list[str]) -> None:
    assert [e.outcome for e in d.expiries(events, start, on)] == expected


@pytest.mark.parametrize(
    ("in_force", "staff", "part"),
    [(0, None, None), (5, None, None), (3, 10, (3, 10)), (12, 10, (10, 10)), (0, 0, (0, 0))],
)
def test_signing_part_caps_at_staff(in_force: int, staff: int | None, part: Any) -> None:
    assert d.signing_part(in_force=in_force, staff=staff) == part


def test_renewal_part() -> None:
    found = [
        d.Expiry(D(2025, 1, 1), D(2025, 2, 1), "renewed"),
        d.Expiry(D(2025, 1, 1), D(2025, 2, 1), "left"),
        d.Expiry(D(2025, 1, 1), D(2025, 2, 1), "stayed"),
    ]
    assert d.renewal_part(found) == (1, 2)


# ---------------------------------------------------------------------------------------------
# Python and SQL agree on generated histories
# ---------------------------------------------------------------------------------------------


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _build(tree: dict[str, Any], seed: int) -> list[Employer]:
    rng = random.Random(seed)
    employers = []
    for n in range(4):
        employer = Employer.objects.create(
            uscc=f"9{seed:02d}{n:015d}", name=f"单位{seed}-{n}", unit=tree[rng.choice("abc")]
        )
        employers.append(employer)
        report_days = {
            rng.choice([*SPECIAL_DAYS, _day(rng, D(2024, 1, 1), D(2026, 12, 31))])
            for _ in range(rng.randrange(4))  # 0 reports: staff unknown throughout
        }
        StaffReport.objects.bulk_create(
            StaffReport(employer=employer, on=day, staff=rng.randrange(0, 30))
            for day in report_days
        )
        events = []
        for k in range(rng.randrange(8, 25)):
            days = sorted(
                {
                    rng.choice([*SPECIAL_DAYS, _day(rng, D(2023, 6, 1), D(2026, 12, 31))])
                    for _ in range(rng.randrange(1, 6))
                }
            )
            for day in days:
                kind = rng.choice(["signed", "signed", "renewed", "renewed", "ended"])
                events.append(
                    ContractEvent(
                        employer=employer,
                        employee_key=f"k{k}",
                        employee_masked="110***********123X",
                        kind=kind,
                        on=day,
                        term_months=None if kind == "ended" else rng.choice(TERMS),
                    )
                )
        ContractEvent.objects.bulk_create(events)
    return employers


def _histories() -> dict[tuple[int, str], list[Event]]:
    found: dict[tuple[int, str], list[Event]] = defaultdict(list)
    for c in ContractEvent.objects.order_by("employer_id", "employee_key", "on"):
        found[(c.employer_id, c.employee_key)].append(Event(c.on, c.kind, c.term_months))
    return found


def _fetch(sql: Sql) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql.text, sql.params)
        return list(cursor.fetchall())


def _probe_days(histories: dict[tuple[int, str], list[Event]]) -> list[date]:
    """The special days, and the day before, of and after some terms' ends."""
    days = set(SPECIAL_DAYS)
    for events in list(histories.values())[:15]:
        for e in events:
            if e.term_months:
                end = d.contract_end(e.on, e.term_months)
                days.update((end - timedelta(days=1), end, e.on))
    return sorted(days)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_python_and_sql_forms_agree(tree: dict[str, Any], seed: int) -> None:
    employers = _build(tree, seed)
    histories = _histories()
    reports = {e.pk: [(r.on, r.staff) for r in e.staff_reports.order_by("on")] for e in employers}
    all_employers = Sql(f"SELECT id FROM {d.EMPLOYERS}")
    exercised: dict[str, int] = defaultdict(int)
    for on in _probe_days(histories):
        # Contracts in force, pair by pair.
        in_force = d.contract_in_force_sql("c", on)
        sql_pairs = {
            (row[0], row[1])
            for row in _fetch(
                Sql(
                    f"SELECT c.employer_id, c.employee_key FROM {d.CONTRACTS} c "
                    f"WHERE {in_force.text}",
                    in_force.params,
                )
            )
        }
        python_pairs = {
            pair for pair, events in histories.items() if d.contract_in_force(events, on)
        }
        assert sql_pairs == python_pairs, on
        exercised["in_force"] += len(python_pairs)

        # Staff at the date and the signing parts.
        staff = d.staff_on_sql("e", on)
        sql_staff = dict(
            _fetch(Sql(f"SELECT e.id, {staff.text} FROM {d.EMPLOYERS} e", staff.params))
        )
        counts: dict[int, int] = defaultdict(int)
        for employer_id, _key in python_pairs:
            counts[employer_id] += 1
        python_parts = {}
        before = dict(
            Employer.objects.annotate(s=d.staff_before(OuterRef("pk"), on)).values_list("pk", "s")
        )
        for e in employers:
            assert sql_staff[e.pk] == d.staff_on(reports[e.pk], on), (on, e.pk)
            assert before[e.pk] == d.staff_on(reports[e.pk], on - timedelta(days=1)), (on, e.pk)
            part = d.signing_part(in_force=counts[e.pk], staff=d.staff_on(reports[e.pk], on))
            if part is not None:
                python_parts[e.pk] = (e.unit_id, part[1], counts[e.pk], part[0])
        sql_parts = {
            row[0]: tuple(int(v) for v in row[1:])
            for row in _fetch(d.employer_signing_sql(all_employers, on))
        }
        assert sql_parts == python_parts, on
        exercised["capped"] += sum(1 for p in python_parts.values() if p[2] > p[1])

        # Expiries in the year up to the date, and what followed each.
        start = D(on.year, 1, 1)
        python_expiries = {
            (pair[0], pair[1], e.began): (e.ends, e.outcome, e.next_on)
            for pair, events in histories.items()
            for e in d.expiries(events, start, on)
        }
        sql_expiries = {
            (row[1], row[2], read_date(row[3])): (read_date(row[4]), row[5], read_date(row[6]))
            for row in _fetch(d.expiries_sql(start, on))
        }
        assert sql_expiries == python_expiries, on
        for _ends, outcome, _next in python_expiries.values():
            exercised[outcome] += 1
        python_renewals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for (employer_id, _key, _began), (_ends, outcome, _next) in python_expiries.items():
            python_renewals[employer_id][0] += outcome == "renewed"
            python_renewals[employer_id][1] += outcome != "left"
        sql_renewals = {
            row[0]: [int(row[1]), int(row[2])]
            for row in _fetch(d.renewal_counts_sql(start, on, all_employers))
        }
        assert sql_renewals == dict(python_renewals), on
    # The generated histories reach every branch.
    assert all(exercised[k] for k in ("in_force", "renewed", "left", "stayed")), exercised
