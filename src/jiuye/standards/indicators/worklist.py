"""Casework's deadline items (``casework.deadlines``) behind the indicators that count what a
deadline rule asks (CQ-4 guidance, QG-3 referrals, QG-6 visits and quarterly contacts): the
items of the unit and period as the user may see them, picked, counted and paged in the
database (the rule's one SQL statement, ``casework.deadlines.queries``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from jiuye.casework import deadlines
from jiuye.casework.deadlines import queries
from jiuye.casework.deadlines.context import rule_context
from jiuye.casework.deadlines.rules import items_of_rows, scope_of
from jiuye.lib.sql import Sql
from jiuye.standards.indicators.base import (
    BehindQuery,
    Listing,
    Row,
    household_url,
    person_url,
)

ITEM_ORDER = "due, name, person_id, household_id"


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


class ItemRows(Listing):
    """The items of casework's ``rule`` that ``where`` (SQL over the item columns,
    ``queries.COLUMNS``) picks, for the query's unit and period through the user's
    jurisdiction: counted and paged by the database, by due date. Items that cannot be dated
    (a year without a holiday calendar) are left out, their years noted in
    ``query.missing_years`` for the list to say so."""

    def __init__(self, rule: str, query: BehindQuery, where: Sql) -> None:
        ctx = rule_context(
            query.unit, query.period.end, user=query.user, period_start=query.period.start
        )
        self.scope = scope_of(ctx)
        self.rule, self.where = rule, where
        queries.note_gaps(self.scope, [rule])
        if self.scope.gaps.undated:
            query.missing_years.update(self.scope.gaps.years)

    def _select(self, *, limit: int | None = None, offset: int = 0) -> Sql:
        return queries.select_items(
            self.scope,
            rules=[self.rule],
            where=self.where,
            order=ITEM_ORDER,
            limit=limit,
            offset=offset,
        )

    def count(self, cap: int | None = None) -> int:
        inner = self._select(limit=None if cap is None else cap + 1)
        rows = queries.fetch(Sql(f"SELECT COUNT(*) AS n FROM ({inner.text}) picked", inner.params))
        return int(rows[0]["n"])

    def rows(self, offset: int, limit: int) -> list[Row]:
        return item_rows(items_of_rows(queries.fetch(self._select(limit=limit, offset=offset))))
