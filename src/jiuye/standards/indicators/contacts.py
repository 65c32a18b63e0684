"""``difficult_contact_misses`` (QG-6: 对就业困难人员每季度至少联系1次): (person, quarter)
pairs without a contact or visit, over the calendar quarters of the period that have ended by
the date (the quarter's last day is before it), for each person recognised difficult on some
day of that quarter within the period (``definitions.recognition_overlaps_q``). A contact
counts for the quarter it falls in, from the period's first day on.

One aggregated query per ended quarter (at most four over a calendar year), counted for the
person's community. The pairs behind it are casework's QG-6 quarterly-contact items that are
overdue: the same definitions, so the two agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from jiuye.casework import deadlines
from jiuye.casework.models import ServiceKind, ServiceRecord
from jiuye.lib import workdays
from jiuye.lib.sql import Sql
from jiuye.registry import definitions
from jiuye.registry.models import DifficultyRecognition, Person
from jiuye.standards.indicators.base import (
    BehindQuery,
    FactSheet,
    Indicator,
    Listing,
    Period,
    communities_under,
)
from jiuye.standards.indicators.worklist import ItemRows
from jiuye.units.models import Unit

CONTACT_KINDS = (ServiceKind.CONTACT, ServiceKind.VISIT)


def contact_misses(*, period: Period, root: Unit | None) -> dict[int, int]:
    """Per community: the (person, quarter) pairs without a contact, over the ended quarters."""
    found: dict[int, int] = defaultdict(int)
    for year, quarter in deadlines.quarters_between(period.start, period.end):
        first, last = workdays.quarter_bounds(year, quarter)
        if last >= period.end:
            continue  # not ended by the date: a contact may still come
        first = max(first, period.start)
        difficult = DifficultyRecognition.objects.filter(
            definitions.recognition_overlaps_q(first, last)
        )
        contacted = ServiceRecord.objects.filter(
            person=OuterRef("pk"), kind__in=CONTACT_KINDS, on__gte=first, on__lte=last
        )
        persons = Person.objects.filter(pk__in=difficult.values("person_id")).exclude(
            Exists(contacted)
        )
        if root is not None:
            persons = persons.filter(community__in=communities_under(root))
        rows = persons.order_by().values("community_id").annotate(n=Count("pk"))
        for row in rows:
            found[row["community_id"]] += row["n"]
    return dict(found)


@dataclass(frozen=True, kw_only=True)
class ContactMisses(Indicator):
    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        return contact_misses(period=sheet.period, root=sheet.root)

    def behind(self, query: BehindQuery) -> Listing:
        return ItemRows(
            "QG-6-contact", query, Sql("due < %s AND done_on IS NULL", (query.period.end,))
        )


difficult_contact_misses = ContactMisses(
    id="difficult_contact_misses",
    label=_("困难人员季度联系缺失"),
    kind="count",
    gap="count",
    gap_label=ngettext_lazy("%(n)s 人次未联系", "%(n)s 人次未联系", "n"),
    definition=_("评估期内已结束的季度中，就业困难人员当季无电话联系或走访的人次"),
)

INDICATORS = (difficult_contact_misses,)
