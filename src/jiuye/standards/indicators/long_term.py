"""The long-term unemployment counts (长期失业, DOMAIN §5 ``long_term_unemployed``), each
person counted for their community: registered unemployed at the date in a registration that is
a continuous year old by then (``definitions.spells`` and ``definitions.is_long_term``, the
rule casework's CQ-5 worklist follows too).

- ``long_term_unemployed`` (CQ-5);
- ``long_term_unemployed_urban`` (QG-3): those of urban hukou (the person's: 城镇 or 农转非);
- ``assisted_long_term`` (QG item 8): those who are assistance targets (援助对象): recognised
  difficult at the date, or with an assistance case opened by then.

They are casework's CQ-5 items in force and overdue at the date (a registration a year old by
then: the same definition), stored for today; then the persons' hukou and assistance (one query).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from jiuye.casework import deadlines
from jiuye.casework.models import AssistanceCase
from jiuye.lib.sql import Sql, read_date
from jiuye.registry import definitions
from jiuye.registry.models import DifficultyRecognition, Person
from jiuye.standards.indicators import lists
from jiuye.standards.indicators.base import (
    BehindQuery,
    FactSheet,
    Indicator,
    Listing,
    QueryRows,
    Row,
    count_by,
    person_url,
)
from jiuye.units.models import Unit
from jiuye.units.sharding import citus, rows_of

_CASE = AssistanceCase._meta.db_table
_RECOGNITION = DifficultyRecognition._meta.db_table


@dataclass(frozen=True, slots=True)
class LongTerm:
    person_id: int
    community_id: int
    registered_on: date  # the registration's first day
    urban: bool
    assisted: bool


def long_term_unemployed(*, on: date, root: Unit | None) -> list[LongTerm]:
    """The persons (under ``root``) long-term unemployed at ``on``."""
    # Casework's CQ-5 items (one statement of the rule, stored for today): a registration in
    # force at ``on`` (actionable) a year old by then (overdue on its due day) is long-term.
    scope = deadlines.system_scope(root, on)
    items = deadlines.queries.items_sql(scope, ["CQ-5"])
    # With each person's hukou and whether they are an assistance target, in the same query:
    # an index probe each (LIMIT 1 keeps PostgreSQL from hashing every case and recognition).
    recognised = definitions.recognition_in_force_sql("d", on)
    assisted = (
        f"(SELECT 1 FROM {_CASE} a WHERE a.person_id = p.id AND a.opened_on <= %s "
        "LIMIT 1) IS NOT NULL "
        f"OR (SELECT 1 FROM {_RECOGNITION} d WHERE d.person_id = p.id AND {recognised.text} "
        "LIMIT 1) IS NOT NULL"
    )
    if citus():
        # The cases are a table of the coordinator, and Citus correlates no sub-query with
        # one: the persons with a case as a set it reads first. The recognitions sit in the
        # person's shard: correlated there, the districts equated (as a set they would be a
        # join of the shards on the person alone, which Citus refuses).
        assisted = (
            f"p.id IN (SELECT a.person_id FROM {_CASE} a WHERE a.opened_on <= %s) "
            f"OR (SELECT 1 FROM {_RECOGNITION} d WHERE {rows_of('d', 'person_id', 'p')} "
            f"AND {recognised.text} LIMIT 1) IS NOT NULL"
        )
    found = deadlines.queries.fetch(
        Sql(
            "SELECT i.person_id, i.day, p.community_id, p.hukou_type, "
            f"CASE WHEN {assisted} THEN 1 ELSE 0 END AS assisted "
            f"FROM ({items.text}) i JOIN {lists.PERSON} p ON p.id = i.person_id "
            "WHERE i.actionable = 1 AND i.state = %s",
            (
                on,
                *recognised.params,
                *items.params,
                str(deadlines.State.OVERDUE),
            ),
        )
    )
    return [
        LongTerm(
            row["person_id"],
            row["community_id"],
            cast(date, read_date(row["day"])),
            definitions.is_urban(row["hukou_type"]),
            bool(row["assisted"]),
        )
        for row in found
    ]


@dataclass(frozen=True, kw_only=True)
class LongTermIndicator(Indicator):
    which: Callable[[LongTerm], bool]

    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        found = sheet.shared(
            "long_term", lambda: long_term_unemployed(on=sheet.on, root=sheet.root)
        )
        return count_by([(p.community_id, p) for p in found if self.which(p)])

    def behind(self, query: BehindQuery) -> Listing:
        """The persons counted, by community and name: the registrations are chained in Python
        by the definition (as the value is computed: the persons registered at the date, a few
        percent of the labor force), the persons themselves scoped, counted and paged in the
        database."""
        on = query.period.end
        found = {
            p.person_id: p for p in long_term_unemployed(on=on, root=query.unit) if self.which(p)
        }
        people = lists.persons(query.unit, query.user).filter(pk__in=[*found])

        def to_rows(page: list[Person]) -> list[Row]:
            rows = []
            for person in page:
                p = found[person.pk]
                detail = str(_("登记失业 {day}")).format(day=p.registered_on.isoformat())
                due = definitions.long_term_from(p.registered_on)
                rows.append(
                    Row(
                        "person",
                        person.name,
                        _("%(detail)s · 期限 %(due)s · %(state)s")
                        % {
                            "detail": detail,
                            "due": due.isoformat(),
                            "state": deadlines.State.OVERDUE.label,
                        },
                        person_url(person.pk),
                        person.community_id,
                        due,
                    )
                )
            return rows

        return QueryRows(
            people.only("pk", "name", "community_id").order_by(*lists.PERSON_ORDER), to_rows
        )


_GAP = ngettext_lazy("%(n)s 人需实现就业", "%(n)s 人需实现就业", "n")

long_term_unemployed_count = LongTermIndicator(
    id="long_term_unemployed",
    label=gettext_lazy("长期失业人数"),
    kind="count",
    gap="count",
    gap_label=_GAP,
    definition=gettext_lazy("时点连续登记失业满1年的人数"),
    which=lambda p: True,
)
long_term_unemployed_urban = LongTermIndicator(
    id="long_term_unemployed_urban",
    label=gettext_lazy("城镇长期失业人数"),
    kind="count",
    gap="count",
    gap_label=_GAP,
    definition=gettext_lazy("时点连续登记失业满1年的城镇户籍（城镇、农转非）人数"),
    which=lambda p: p.urban,
)
assisted_long_term = LongTermIndicator(
    id="assisted_long_term",
    label=gettext_lazy("援助对象长期失业人数"),
    kind="count",
    gap="count",
    gap_label=_GAP,
    definition=gettext_lazy("时点连续登记失业满1年、且为就业困难人员或有就业援助申请的人数"),
    which=lambda p: p.assisted,
)

INDICATORS = (long_term_unemployed_count, long_term_unemployed_urban, assisted_long_term)
