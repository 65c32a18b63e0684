"""``ledger_completeness`` (QG item 5, "records disagree with reality": 十清完整率): the records
of persons unemployed at the date that hold every ten-clears field / those records, by
casework's ten clears (``casework.tenclears``, the one statement of which fields a record
needs), counted for the person's community."""

from __future__ import annotations

from collections.abc import Mapping
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
    Row,
    SqlRows,
    community_ids_under,
    person_url,
)
from jiuye.standards.rules import Ratio
from jiuye.units.models import Unit


def _large(unit: Unit | None) -> bool:
    """A district or more (or everything): its unemployed drive the queries, not its persons
    (``tenclears.unemployed_sql``)."""
    return unit is None or unit.level in tenclears.LARGE_LEVELS


@dataclass(frozen=True, kw_only=True)
class LedgerCompleteness(Indicator):
    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        """One grouped query: per community, the complete records and the unemployed."""
        root = sheet.root
        persons = Person.objects.all()
        if root is not None:
            persons = persons.filter(community_id__in=community_ids_under(root))
        counts = tenclears.community_counts(
            sheet.on,
            persons,
            events_first=_large(root),
            persons_first=root is not None and not root.is_large(),
        )
        return {pk: Ratio(n, d) for pk, (n, d) in counts.items()}

    def behind(self, query: BehindQuery) -> Listing:
        """The persons unemployed at the date whose record misses a field, by community and
        name: picked, counted and paged in the database by the SQL form of casework's ten
        clears; the missing fields are read for the page's persons only."""
        on = query.period.end
        incomplete = tenclears.incomplete_sql(
            on,
            lists.persons(query.unit, query.user),
            events_first=_large(query.unit),
            persons_first=not query.unit.is_large(),
        )

        def to_rows(page: list[tuple[int, str, int]]) -> list[Row]:
            missing = tenclears.missing_of([pk for pk, _name, _community in page], on)
            return [
                Row(
                    "person",
                    name,
                    _("缺少：%(fields)s")
                    % {"fields": join_list(tenclears.labels(missing.get(pk, ())))},
                    person_url(pk) + "#ten-clears",
                    community,
                )
                for pk, name, community in page
            ]

        return SqlRows(incomplete, "p.community_id, p.name, p.id", to_rows)


ledger_completeness = LedgerCompleteness(
    id="ledger_completeness",
    label=gettext_lazy("十清完整率"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy("%(n)s 份记录需补全", "%(n)s 份记录需补全", "n"),
    definition=gettext_lazy("时点失业人员中十清信息完整的 / 时点失业人员"),
)

INDICATORS = (ledger_completeness,)
