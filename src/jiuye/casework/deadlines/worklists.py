"""The worklist: every rule's items for a unit at a date, and what of them is urgent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from jiuye.accounts.models import User
from jiuye.casework.deadlines.context import rule_context
from jiuye.casework.deadlines.items import Items, State
from jiuye.casework.deadlines.rules import RULE_FUNCTIONS
from jiuye.registry.selectors import Reader
from jiuye.units.models import Unit


def deadline_items(
    unit: Unit,
    on: date,
    *,
    user: Reader | None,
    period_start: date | None = None,
    rules: Iterable[str] | None = None,
) -> Items:
    """Every rule's items for ``unit`` at ``on`` (sharing the registration query), as ``user``
    may see them (None: nothing; a system job passes ``units.scope.SYSTEM``), with what could
    not be dated (``gaps``)."""
    ctx = rule_context(unit, on, user=user, period_start=period_start)
    items = Items(gaps=ctx.gaps)
    for rule in rules or RULE_FUNCTIONS:
        items.extend(RULE_FUNCTIONS[rule](unit, on, user=user, context=ctx))
    return items


def worklist(
    unit: Unit, on: date, *, user: Reader | None, period_start: date | None = None
) -> Items:
    """What is overdue or due within the next 5 working days and can still be cleared, most
    urgent first (overdue, oldest due first; then due soon, nearest first)."""
    every = deadline_items(unit, on, user=user, period_start=period_start)
    items = Items(
        (i for i in every if i.actionable and i.state in (State.OVERDUE, State.DUE_SOON)),
        every.gaps,
    )
    items.sort(key=lambda item: item.urgent_key)
    return items


def outermost_units(units: Iterable[Unit]) -> list[Unit]:
    """Drop units lying under another of ``units`` (their rows are already in it)."""
    kept: list[Unit] = []
    for unit in sorted(units, key=lambda u: len(u.path)):
        if not any(unit.path.startswith(k.path) for k in kept):
            kept.append(unit)
    return sorted(kept, key=lambda u: u.path)


def user_worklist(user: User, on: date, *, units: Iterable[Unit] | None = None) -> Items:
    """The worklist of each of the user's units (or of ``units``), merged, most urgent first."""
    if units is None:
        units = Unit.objects.filter(memberships__user=user)
    items = Items()
    for unit in outermost_units(units):
        found = worklist(unit, on, user=user)
        items.extend(found)
        items.gaps.merge(found.gaps)
    items.sort(key=lambda item: item.urgent_key)
    return items
