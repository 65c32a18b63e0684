"""``ledger_completeness`` (QG item 5, "records disagree with reality": 十清完整率): the records
of persons unemployed at the date that hold every ten-clears field / those records, by
casework's ten clears (``casework.tenclears``, the one statement of which fields a record
needs), counted for the person's community."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from jiuye.casework import tenclears
from jiuye.lib.text import join_list
from jiuye.registry.models import Person
from jiuye.standards.indicators import lists
from jiuye.standards.indicators.base import (
    BehindQuery,
    FactSheet,
    Indicator,
    Listing,
    ListRows,
    Row,
    communities_under,
    person_url,
)
from jiuye.standards.rules import Ratio


@dataclass(frozen=True, kw_only=True)
class LedgerCompleteness(Indicator):
    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        persons = Person.objects.filter(community__in=communities_under(sheet.root))
        counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for record in tenclears.completeness(persons, sheet.on).records:
            c = counts[record.community_id]
            c[0] += int(record.complete)
            c[1] += 1
        return {pk: Ratio(n, d) for pk, (n, d) in counts.items()}

    def behind(self, query: BehindQuery) -> Listing:
        """The incomplete records: casework's ten clears judge them (in Python, the one
        statement of which fields a record needs), over the unemployed at the date only, as
        the value is computed; made into rows a page at a time."""

        def incomplete() -> list[tenclears.Record]:
            persons = lists.persons(query.unit, query.user)
            return tenclears.completeness(persons, query.period.end).incomplete

        def to_rows(page: Sequence[tenclears.Record]) -> list[Row]:
            return [
                Row(
                    "person",
                    r.name,
                    _("缺少：%(fields)s") % {"fields": join_list(r.missing_labels)},
                    person_url(r.person_id) + "#ten-clears",
                    r.community_id,
                )
                for r in page
            ]

        return ListRows(incomplete, to_rows)


ledger_completeness = LedgerCompleteness(
    id="ledger_completeness",
    label=gettext_lazy("十清完整率"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy("%(n)s 份记录需补全", "%(n)s 份记录需补全", "n"),
    definition=gettext_lazy("时点失业人员中十清信息完整的 / 时点失业人员"),
)

INDICATORS = (ledger_completeness,)
