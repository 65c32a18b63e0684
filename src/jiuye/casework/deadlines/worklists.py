"""The worklist: every rule's items for a unit at a date, and what of them is urgent.

Everything is asked of the database (:mod:`.queries`): a worklist is one query filtered to what
is actionable and overdue or due soon, ordered most urgent first and paged there; a street's or
district's worklist is the count of its items per community, rule and state (one grouped query),
each community a link to its own list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from jiuye.accounts.models import User
from jiuye.casework.deadlines import queries
from jiuye.casework.deadlines.context import rule_context
from jiuye.casework.deadlines.items import CalendarGaps, Items, State
from jiuye.casework.deadlines.rules import RULE_FUNCTIONS, items_of_rows, run_rules, scope_of
from jiuye.registry.selectors import Reader
from jiuye.units.models import Unit
from jiuye.units.scope import SYSTEM, member_units


def deadline_items(
    unit: Unit,
    on: date,
    *,
    user: Reader | None,
    period_start: date | None = None,
    rules: Iterable[str] | None = None,
) -> Items:
    """Every rule's items for ``unit`` at ``on``, as ``user`` may see them (None: nothing; a
    system job passes ``units.scope.SYSTEM``), with what could not be dated (``gaps``)."""
    ctx = rule_context(unit, on, user=user, period_start=period_start)
    return run_rules(ctx, list(rules or RULE_FUNCTIONS))


def worklist(
    unit: Unit, on: date, *, user: Reader | None, period_start: date | None = None
) -> Items:
    """What is overdue or due within the next 5 working days and can still be cleared, most
    urgent first (overdue, oldest due first; then due soon, nearest first)."""
    ctx = rule_context(unit, on, user=user, period_start=period_start)
    scope = scope_of(ctx)
    rows = queries.fetch(queries.select_items(scope, urgent=True))
    queries.note_gaps(scope)
    return Items(items_of_rows(rows), ctx.gaps)


def outermost_units(units: Iterable[Unit]) -> list[Unit]:
    """Drop units lying under another of ``units`` (their rows are already in it)."""
    kept: list[Unit] = []
    for unit in sorted(units, key=lambda u: len(u.path)):
        if not any(unit.path.startswith(k.path) for k in kept):
            kept.append(unit)
    return sorted(kept, key=lambda u: u.path)


def user_scope(user: User, on: date, units: Iterable[Unit] | None = None) -> queries.Scope:
    """The query scope of the user's units (or of ``units``, within the jurisdiction)."""
    if units is None:
        units = member_units(user)
    return queries.scope_for(user, on, units=outermost_units(units))


@dataclass
class WorklistPage:
    """A page of a worklist, most urgent first, and the totals of the whole list."""

    items: Items
    total: int
    overdue: int
    due_soon: int
    gaps: CalendarGaps = field(default_factory=CalendarGaps)


def _totals(scope: queries.Scope) -> dict[str, int]:
    query = queries.counts_sql(scope, urgent=True)
    found: dict[str, int] = defaultdict(int)
    for row in queries.fetch(query):
        found[row["state"]] += row["n"]
    return found


def worklist_page(
    user: User,
    on: date,
    *,
    units: Iterable[Unit] | None = None,
    page: int = 1,
    size: int = 50,
) -> WorklistPage:
    """One page (``size`` items, ``page`` from 1) of the user's worklist, most urgent first,
    and how many items it holds: paged in the database."""
    scope = user_scope(user, on, units)
    totals = _totals(scope)
    overdue, due_soon = totals[State.OVERDUE], totals[State.DUE_SOON]
    rows = queries.fetch(
        queries.select_items(scope, urgent=True, limit=size, offset=(max(page, 1) - 1) * size)
    )
    queries.note_gaps(scope)
    items = Items(items_of_rows(rows), scope.gaps)
    return WorklistPage(items, overdue + due_soon, overdue, due_soon, scope.gaps)


def user_worklist(user: User, on: date, *, units: Iterable[Unit] | None = None) -> Items:
    """The worklist of each of the user's units (or of ``units``), merged, most urgent first."""
    scope = user_scope(user, on, units)
    rows = queries.fetch(queries.select_items(scope, urgent=True))
    queries.note_gaps(scope)
    return Items(items_of_rows(rows), scope.gaps)


def community_counts(
    user: User, on: date, *, units: Iterable[Unit] | None = None, urgent: bool = True
) -> tuple[dict[int, dict[str, dict[str, int]]], CalendarGaps]:
    """Per community (its id): per rule, the items per state (``urgent``: those the worklist
    shows, actionable), for a street's or district's worklist: one grouped query."""
    scope = user_scope(user, on, units)
    found: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in queries.fetch(queries.counts_sql(scope, urgent=urgent)):
        found[row["community_id"]][row["rule_id"]][row["state"]] = row["n"]
    queries.note_gaps(scope)
    return found, scope.gaps


def rule_counts(
    user: User, on: date, rule: str, *, units: Iterable[Unit] | None = None
) -> tuple[dict[State, int], CalendarGaps]:
    """How many items of ``rule`` the user's units hold in each state."""
    scope = user_scope(user, on, units)
    found = dict.fromkeys(State, 0)
    for row in queries.fetch(queries.counts_sql(scope, [rule])):
        found[State(row["state"])] += row["n"]
    queries.note_gaps(scope, [rule])
    return found, scope.gaps


RULE_LIST_ORDER = "due, name, person_id, household_id"


def rule_page(
    user: User,
    on: date,
    rule: str,
    *,
    units: Iterable[Unit] | None = None,
    states: Iterable[str] | None = None,
    page: int = 1,
    size: int = 100,
) -> Items:
    """A page of ``rule``'s items (of ``states``, default all), by due date."""
    scope = user_scope(user, on, units)
    query = queries.select_items(
        scope,
        rules=[rule],
        states=states,
        order=RULE_LIST_ORDER,
        limit=size,
        offset=(max(page, 1) - 1) * size,
    )
    return Items(items_of_rows(queries.fetch(query)), scope.gaps)


def system_scope(root: Unit | None, on: date, *, period_start: date | None = None) -> queries.Scope:
    """The query scope of a system job (an evaluation) over every community under ``root``
    (None: all)."""
    units = None if root is None else [root]
    return queries.scope_for(SYSTEM, on, units=units, period_start=period_start)
