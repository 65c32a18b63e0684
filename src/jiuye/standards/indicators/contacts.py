"""``difficult_contact_misses`` (QG-6: 对就业困难人员每季度至少联系1次): (person, quarter)
pairs without a contact or visit, over the calendar quarters of the period that have ended by
the date (the quarter's last day is before it), for each person recognised difficult on some
day of that quarter within the period (``definitions.recognition_overlaps_q``). A contact
counts for the quarter it falls in, from the period's first day on.

Counted over casework's QG-6 quarterly-contact items (one statement of the rule, stored for
today): those of ended quarters not done, per community, in one grouped query; the pairs behind
it are the same items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from jiuye.casework import deadlines
from jiuye.casework.models import ServiceKind
from jiuye.lib.sql import Sql
from jiuye.standards.indicators.base import (
    BehindQuery,
    FactSheet,
    Indicator,
    Listing,
    Period,
)
from jiuye.standards.indicators.worklist import ItemRows
from jiuye.units.models import Unit

CONTACT_KINDS = (ServiceKind.CONTACT, ServiceKind.VISIT)


# The pairs counted and listed: a quarter ended by the date (its last day, the item's due
# date, is before it) without a contact or visit in it.
MISSED = "due < %s AND done_on IS NULL"


def contact_misses(*, period: Period, root: Unit | None) -> dict[int, int]:
    """Per community: the (person, quarter) pairs without a contact, over the ended quarters:
    casework's QG-6 quarterly-contact items (stored for today, else worked out), one grouped
    query."""
    scope = deadlines.system_scope(root, period.end, period_start=period.start)
    items = deadlines.queries.items_sql(scope, ["QG-6-contact"])
    query = Sql(
        f"SELECT community_id, COUNT(*) AS n FROM ({items.text}) items WHERE {MISSED} "
        "GROUP BY community_id",
        (*items.params, period.end),
    )
    return {row["community_id"]: int(row["n"]) for row in deadlines.queries.fetch(query)}


@dataclass(frozen=True, kw_only=True)
class ContactMisses(Indicator):
    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        return contact_misses(period=sheet.period, root=sheet.root)

    def behind(self, query: BehindQuery) -> Listing:
        return ItemRows("QG-6-contact", query, Sql(MISSED, (query.period.end,)))


difficult_contact_misses = ContactMisses(
    id="difficult_contact_misses",
    label=_("困难人员季度联系缺失"),
    kind="count",
    gap="count",
    gap_label=ngettext_lazy("%(n)s 人次未联系", "%(n)s 人次未联系", "n"),
    definition=_("评估期内已结束的季度中，就业困难人员当季无电话联系或走访的人次"),
)

INDICATORS = (difficult_contact_misses,)
