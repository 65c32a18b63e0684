"""Each rule of DOMAIN §8 about employers' reports stated once, its Python form (for one
employer, one employee's contract history) and its SQL form (for every employer at once) side
by side, like ``registry.definitions``. ``tests/jobs/test_definitions.py`` generates random
histories and checks that the forms agree. The HD-Q4 indicators
(``standards.indicators.contracts``) call these; none restates them.

The readings (DOMAIN §8, fixed in 2026-12):

- **staff at a date** (职工人数): the employer's latest staff report on or before the date. An
  employer with no report by then has an **unknown** staff: it is left out of the signing
  rate altogether, numerator and denominator (its contracts cannot be set against a number
  of staff nobody reported; counting them against 0 would pass or fail it on a guess).
- **contract in force at a date** for one employer and one employee (``employee_key``): the
  pair's latest event on or before the date is ``signed`` or ``renewed``, and the date is
  before that event's **end**: its date plus ``term_months`` months, the same day number in
  the month, clamped to the month's last day (signed 01-31 for 1 month ends 02-28, or 02-29
  in a leap year). The contract is in force up to and including the day before its end. An
  ``ended`` event ends it that day; a later ``signed`` or ``renewed`` starts a new term from
  its own date (a renewal replaces the running term, it does not extend it).
- **contract_signing_rate** (HD-Q4, 劳动合同签订率): over the employers located in the unit
  whose staff is known at the date, Σ min(contracts in force, staff) / Σ staff. The cap: an
  employer cannot have more staff under contract than it has staff; more contracts in force
  than staff means a report is late (a staff report older than the signings, an ending not
  reported), and letting the surplus count would let one employer's late report cover
  another's unsigned staff.
- **contract_renewal_rate** (HD-Q4, 续订率): the contracts that **expired** in the period
  (their end within [period start, date]), each judged by the pair's **next event** after the
  contract's own event, dated on or before the date:

  - ``renewed`` or ``signed`` → **renewed** (numerator and denominator), whenever it came;
  - ``ended`` dated on or before the end → the employee **left** (the contract ended or was
    ended by then): not in the rate;
  - nothing, or ``ended`` after the end → the employee **stayed on without renewal**
    (denominator only).

  The rate is renewed / (renewed + stayed on): "contracts that expired and were renewed /
  contracts that expired with the employee staying on" (DOMAIN §8).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery

from jiuye.jobs.models import ContractEvent, ContractKind, Employer, StaffReport
from jiuye.lib.retirement import add_months, add_months_sql
from jiuye.lib.sql import Sql, sql_list

# A date in an SQL form: a Python date (bound as a parameter) or an SQL expression.
On = date | str

SIGNED = str(ContractKind.SIGNED)
RENEWED = str(ContractKind.RENEWED)
ENDED = str(ContractKind.ENDED)
STARTS_TERM: frozenset[str] = frozenset({SIGNED, RENEWED})
"""The events that start a term (signed, renewed)."""

CONTRACTS = ContractEvent._meta.db_table
STAFF = StaffReport._meta.db_table
EMPLOYERS = Employer._meta.db_table


def _on(on: On) -> tuple[str, tuple[Any, ...]]:
    if isinstance(on, date):
        return "%s", (on,)
    return on, ()


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


# ``on`` is an SQL keyword: the column is always quoted.
ON = _q("on")


@dataclass(frozen=True, slots=True)
class Event:
    """One contract event of a pair (employer, employee), as the Python forms read it."""

    on: date
    kind: str
    term_months: int | None = None


# ---------------------------------------------------------------------------------------------
# Staff at a date
# ---------------------------------------------------------------------------------------------


def staff_on(reports: Sequence[tuple[date, int]], on: date) -> int | None:
    """The staff in force at ``on`` among an employer's (date, staff) reports sorted by date:
    the latest reported by then (None: unknown, no report yet)."""
    index = bisect.bisect_right(reports, on, key=lambda r: r[0])
    return reports[index - 1][1] if index else None


def staff_on_sql(employer: str, on: On) -> Sql:
    """:func:`staff_on` of ``employer`` (an alias of the employer table): a scalar subquery,
    NULL when unknown."""
    day, params = _on(on)
    return Sql(
        f"(SELECT s.staff FROM {STAFF} s WHERE s.employer_id = {employer}.id "
        f"AND s.{ON} <= {day} ORDER BY s.{ON} DESC LIMIT 1)",
        params,
    )


def staff_before(employer: Any, day: Any) -> Subquery:
    """ORM form of :func:`staff_on` the day before ``day``: the staff an event of that day (a
    layoff) is set against, as reported before it (``employer`` and ``day`` an outer query's
    references, e.g. ``OuterRef("employer_id")`` and ``"on"``; NULL when unknown)."""
    day_ref = OuterRef(day) if isinstance(day, str) else day
    return Subquery(
        StaffReport.objects.filter(employer_id=employer, on__lt=day_ref)
        .order_by("-on")
        .values("staff")[:1]
    )


# ---------------------------------------------------------------------------------------------
# Contract in force at a date
# ---------------------------------------------------------------------------------------------


def contract_end(on: date, term_months: int) -> date:
    """The first day a term begun on ``on`` is no longer in force: ``on`` plus the months, the
    day missing in the target month becoming its last day."""
    return add_months(on, term_months)


def contract_end_sql(event: str) -> str:
    """:func:`contract_end` of ``event`` (an alias of the contract-event table)."""
    return add_months_sql(f"{event}.{ON}", f"{event}.term_months")


def latest_event(events: Sequence[Event], on: date) -> Event | None:
    """The pair's latest event on or before ``on`` (``events`` sorted by date)."""
    index = bisect.bisect_right(events, on, key=lambda e: e.on)
    return events[index - 1] if index else None


def contract_in_force(events: Sequence[Event], on: date) -> bool:
    """Whether the pair (one employer, one employee) has a contract in force at ``on``: its
    latest event by then starts a term, and ``on`` is before that term's end."""
    latest = latest_event(events, on)
    if latest is None or latest.kind not in STARTS_TERM or latest.term_months is None:
        return False
    return on < contract_end(latest.on, latest.term_months)


def _no_later_event(event: str, on: On) -> Sql:
    """No event of ``event``'s pair after it and on or before ``on``: it is the pair's latest."""
    day, params = _on(on)
    return Sql(
        f"NOT EXISTS (SELECT 1 FROM {CONTRACTS} l WHERE l.employer_id = {event}.employer_id "
        f"AND l.employee_key = {event}.employee_key AND l.{ON} > {event}.{ON} "
        f"AND l.{ON} <= {day})",
        params,
    )


def contract_in_force_sql(event: str, on: On) -> Sql:
    """``event`` (an alias of the contract-event table) is a pair's latest event by ``on``, it
    starts a term, and ``on`` is before its end: the pair's contract in force (one row per pair
    under contract, none for the others)."""
    day, params = _on(on)
    return Sql(
        f"{event}.kind IN ({sql_list(STARTS_TERM)}) AND {event}.{ON} <= {day} "
        f"AND {day} < {contract_end_sql(event)}",
        params + params,
    ) & _no_later_event(event, on)


def in_force_counts_sql(on: On, employers: Sql | None = None) -> Sql:
    """(employer_id, contracts in force at ``on``), for every employer (of ``employers``,
    ``SELECT id …``, when given) with one."""
    in_force = contract_in_force_sql("c", on)
    mine = _of_employers("c.employer_id", employers)
    return Sql(
        f"SELECT c.employer_id, COUNT(*) AS n FROM {CONTRACTS} c "
        f"WHERE {in_force.text} AND {mine.text} GROUP BY c.employer_id",
        in_force.params + mine.params,
    )


def _of_employers(column: str, employers: Sql | None) -> Sql:
    if employers is None:
        return Sql("1 = 1")
    return Sql(f"{column} IN ({employers.text})", employers.params)


# ---------------------------------------------------------------------------------------------
# The signing rate's part of one employer
# ---------------------------------------------------------------------------------------------


def signing_part(*, in_force: int, staff: int | None) -> tuple[int, int] | None:
    """One employer's (numerator, denominator) of ``contract_signing_rate``: its contracts in
    force, never more than its staff, over its staff; None when its staff is unknown (left out
    of both)."""
    if staff is None:
        return None
    return min(in_force, staff), staff


def signing_part_sql(in_force: str, staff: str) -> tuple[str, str]:
    """:func:`signing_part` over SQL expressions (``staff`` NULL when unknown: the caller keeps
    only rows whose staff is known): the numerator and the denominator."""
    capped = f"CASE WHEN {in_force} < {staff} THEN {in_force} ELSE {staff} END"
    return capped, staff


def employer_contracts_sql(employers: Sql, on: On) -> Sql:
    """Per employer among ``employers`` (``SELECT id …``): (employer_id, unit_id, staff at
    ``on`` (NULL: unknown), contracts in force at ``on``)."""
    staff = staff_on_sql("e", on)
    counts = in_force_counts_sql(on, employers)
    return Sql(
        f"SELECT e.id AS employer_id, e.unit_id, {staff.text} AS staff, "
        f"COALESCE(k.n, 0) AS in_force FROM {EMPLOYERS} e "
        f"LEFT JOIN ({counts.text}) k ON k.employer_id = e.id "
        f"WHERE e.id IN ({employers.text})",
        staff.params + counts.params + employers.params,
    )


def employer_signing_sql(employers: Sql, on: On) -> Sql:
    """Per employer among ``employers`` whose staff is known at ``on`` (the others are left
    out): (employer_id, unit_id, staff, contracts in force, the capped numerator)."""
    rows = employer_contracts_sql(employers, on)
    numerator, _ = signing_part_sql("x.in_force", "x.staff")
    return Sql(
        f"SELECT x.employer_id, x.unit_id, x.staff, x.in_force, {numerator} AS signed "
        f"FROM ({rows.text}) x WHERE x.staff IS NOT NULL",
        rows.params,
    )


# ---------------------------------------------------------------------------------------------
# Renewals: the contracts that expired in a period, and what followed
# ---------------------------------------------------------------------------------------------

Outcome = Literal["renewed", "left", "stayed"]
RENEWED_OUTCOME: Outcome = "renewed"
LEFT: Outcome = "left"
STAYED: Outcome = "stayed"


@dataclass(frozen=True, slots=True)
class Expiry:
    """A contract (the event that began its term) whose end fell in the period, and what
    followed it."""

    began: date
    ends: date
    outcome: Outcome
    next_on: date | None = None


def expiry_outcome(*, ends: date, next_kind: str | None, next_on: date | None) -> Outcome:
    """What followed a contract ending on ``ends``, from the pair's next event after the
    contract's own (dated on or before the date; None: none)."""
    if next_kind in STARTS_TERM:
        return RENEWED_OUTCOME
    if next_kind == ENDED and next_on is not None and next_on <= ends:
        return LEFT
    return STAYED


def expiries(events: Sequence[Event], start: date, on: date) -> list[Expiry]:
    """The pair's contracts whose end falls within [``start``, ``on``] (``events`` sorted by
    date), each with its outcome."""
    found = []
    for index, event in enumerate(events):
        if event.kind not in STARTS_TERM or event.term_months is None or event.on > on:
            continue
        ends = contract_end(event.on, event.term_months)
        if not start <= ends <= on:
            continue
        after = events[index + 1] if index + 1 < len(events) else None
        if after is not None and after.on > on:
            after = None
        outcome = expiry_outcome(
            ends=ends,
            next_kind=after.kind if after else None,
            next_on=after.on if after else None,
        )
        found.append(Expiry(event.on, ends, outcome, after.on if after else None))
    return found


def renewal_part(found: Sequence[Expiry]) -> tuple[int, int]:
    """(renewed, renewed + stayed on) of a set of expiries: ``contract_renewal_rate``'s
    numerator and denominator (those who left are in neither)."""
    renewed = sum(1 for e in found if e.outcome == RENEWED_OUTCOME)
    stayed = sum(1 for e in found if e.outcome == STAYED)
    return renewed, renewed + stayed


def expiries_sql(start: On, on: On, employers: Sql | None = None) -> Sql:
    """:func:`expiries` of every pair (of ``employers``, ``SELECT id …``, when given): one row
    per expired contract, (event id, employer_id, employee_key, began, ends, outcome, next
    event's date)."""
    first, first_params = _on(start)
    day, day_params = _on(on)
    ends = contract_end_sql("c")
    mine = _of_employers("c.employer_id", employers)
    # The pair's next event after the contract's own, by the date (the pair and date unique).
    next_on = (
        f"(SELECT MIN(m.{ON}) FROM {CONTRACTS} m WHERE m.employer_id = c.employer_id "
        f"AND m.employee_key = c.employee_key AND m.{ON} > c.{ON} AND m.{ON} <= {day})"
    )
    outcome = (
        f"CASE WHEN n.kind IN ({sql_list(STARTS_TERM)}) THEN '{RENEWED_OUTCOME}' "
        f"WHEN n.kind = '{ENDED}' AND n.{ON} <= x.ends THEN '{LEFT}' ELSE '{STAYED}' END"
    )
    return Sql(
        f"SELECT x.id, x.employer_id, x.employee_key, x.began, x.ends, {outcome} AS outcome, "
        f"n.{ON} AS next_on FROM ("
        f"SELECT c.id, c.employer_id, c.employee_key, c.{ON} AS began, {ends} AS ends, "
        f"{next_on} AS next_on FROM {CONTRACTS} c "
        f"WHERE c.kind IN ({sql_list(STARTS_TERM)}) AND c.{ON} <= {day} AND {mine.text}"
        f") x LEFT JOIN {CONTRACTS} n ON n.employer_id = x.employer_id "
        f"AND n.employee_key = x.employee_key AND n.{ON} = x.next_on "
        f"WHERE x.ends >= {first} AND x.ends <= {day}",
        day_params + day_params + mine.params + first_params + day_params,
    )


def renewal_counts_sql(start: On, on: On, employers: Sql | None = None) -> Sql:
    """(employer_id, renewed, renewed + stayed on) per employer with an expiry in the period."""
    rows = expiries_sql(start, on, employers)
    return Sql(
        f"SELECT r.employer_id, "
        f"SUM(CASE WHEN r.outcome = '{RENEWED_OUTCOME}' THEN 1 ELSE 0 END) AS renewed, "
        f"SUM(CASE WHEN r.outcome = '{LEFT}' THEN 0 ELSE 1 END) AS stayed_on "
        f"FROM ({rows.text}) r GROUP BY r.employer_id",
        rows.params,
    )


# ---------------------------------------------------------------------------------------------
# A posting open at a date
# ---------------------------------------------------------------------------------------------


def posting_open(
    *, opens_on: date, closes_on: date | None, filled: int, vacancies: int, on: date
) -> bool:
    """A posting is **open** on ``on`` (DOMAIN §8): published (``opens_on`` on or before it), not
    past its closing date (``closes_on``, 截止日期, is its last open day) and with a vacancy left
    (``filled``: the hires through referrals so far). The board, the lists, the referral check,
    the matcher and the 岗位开发及需求 ledger read this rule (or :func:`posting_open_q`)."""
    return opens_on <= on and (closes_on is None or on <= closes_on) and filled < vacancies


def posting_open_q(on: date, prefix: str = "") -> Q:
    """:func:`posting_open` over postings in a query (``prefix``: the lookup to the posting,
    e.g. ``"postings__"``)."""
    return (
        Q(**{f"{prefix}opens_on__lte": on})
        & (Q(**{f"{prefix}closes_on__isnull": True}) | Q(**{f"{prefix}closes_on__gte": on}))
        & Q(**{f"{prefix}filled__lt": F(f"{prefix}vacancies")})
    )
