"""Casework's deadline items (``casework.deadlines``) behind the indicators that count what a
deadline rule asks (CQ-4 guidance, QG-3 referrals, QG-6 visits and quarterly contacts): the
items of the unit and period as the user may see them, as rows."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from jiuye.casework import deadlines
from jiuye.standards.indicators.base import (
    BehindQuery,
    ListRows,
    Row,
    household_url,
    person_url,
)


def rule_items(rule: str, query: BehindQuery) -> list[deadlines.Item]:
    """The items of casework's ``rule`` for the query's unit and period, through the user's
    jurisdiction. Items that cannot be dated (a year without a holiday calendar) are left out,
    their years noted in ``query.missing_years`` for the list to say so."""
    items = deadlines.RULE_FUNCTIONS[rule](
        query.unit, query.period.end, user=query.user, period_start=query.period.start
    )
    if items.gaps.undated:
        query.missing_years.update(items.gaps.years)
    return items


def item_rows(items: list[deadlines.Item]) -> list[Row]:
    return [
        Row(
            "person" if item.person_id else "household",
            item.name,
            _("%(detail)s · 期限 %(due)s · %(state)s")
            % {"detail": item.detail, "due": item.due.isoformat(), "state": item.state.label},
            person_url(item.person_id)
            if item.person_id
            else (household_url(item.household_id) if item.household_id else ""),
            item.community_id,
            item.due,
        )
        for item in items
    ]


def item_listing(
    rule: str, query: BehindQuery, keep: Callable[[deadlines.Item], bool]
) -> ListRows[deadlines.Item]:
    """The items of ``rule`` that ``keep`` picks, as a listing the page counts and pages: read
    when the list is first read (casework computes them as a list), made into rows a page at
    a time. A query-backed listing (``base.QueryRows``) can take its place unchanged."""
    return ListRows(
        lambda: [i for i in rule_items(rule, query) if keep(i)], lambda page: item_rows(list(page))
    )
