"""``job_preparation_rate`` (CQ-7, QG item 4: 积极就业准备): the unemployed members of the
labor force at the date (registered or not) with a guidance, referral or training in the
period / the unemployed members of the labor force at the date. One aggregated query (an index
probe of the person's services each), counted for the person's community."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from jiuye.casework.models import ServiceKind, ServiceRecord
from jiuye.lib.sql import Sql, by_person, sql_list
from jiuye.registry import definitions
from jiuye.standards.indicators import lists
from jiuye.standards.indicators.base import (
    BehindQuery,
    FactSheet,
    Indicator,
    Listing,
    Period,
    in_communities,
)
from jiuye.standards.rules import Ratio
from jiuye.units.models import Unit
from jiuye.units.sharding import citus, outer_district, rows_of

PREPARATION = (ServiceKind.GUIDANCE, ServiceKind.REFERRAL, ServiceKind.TRAINING)
_RECORD = ServiceRecord._meta.db_table


def unemployed_labor_force(on: date) -> Sql:
    """SQL over ``p`` and ``e`` (the status event in force): in the labor force and
    unemployed."""
    return definitions.labor_force_sql("p", "e.status", on) & Sql(
        f"e.status = '{definitions.UNEMPLOYED}'"
    )


def job_preparation_counts(*, period: Period, root: Unit | None) -> dict[int, Ratio]:
    on = connection.ops.quote_name("on")
    # The unemployed events in force (tens of thousands) drive the join; without the fence
    # PostgreSQL flattens the subquery and probes the events of every labor-force candidate
    # (hundreds of thousands) instead: 0.5 s against 1 s at 1M persons. They are read from
    # the index of the unemployed events (``status_unemployed_since``), not a scan of all.
    # For a smaller unit its persons drive it instead (a community: 3 ms against 18 ms).
    large = root is None or root.is_large()
    keep = by_person("e.person_id") if large else ""
    unemployed = unemployed_labor_force(period.end)
    in_force = definitions.in_force_sql("e", period.end)
    units = in_communities("p.community_id", root)
    events = f"""(
        SELECT e.person_id, e.status FROM {lists.EVENT} e
        WHERE {in_force.text} AND e.status = %s {keep}
    ) e
    JOIN {lists.PERSON} p ON p.id = e.person_id
    WHERE"""
    if citus():
        # Citus correlates no sub-query with a FROM that holds one: the events joined plainly
        # (the same conditions, in the same order).
        events = f"""{lists.EVENT} e JOIN {lists.PERSON} p ON {rows_of("e", "person_id", "p")}
    WHERE {in_force.text} AND e.status = %s AND"""
    sql = f"""
    SELECT p.community_id,
           SUM(CASE WHEN EXISTS (
                   SELECT 1 FROM {_RECORD} s
                   WHERE {rows_of("s", "person_id", "p")} AND s.kind IN ({sql_list(PREPARATION)})
                     AND s.{on} >= %s AND s.{on} <= %s
               ) THEN 1 ELSE 0 END),
           COUNT(*)
    FROM {events} {unemployed.text} AND {units.text}
    GROUP BY p.community_id"""
    params = [
        period.start,
        period.end,
        *in_force.params,
        definitions.UNEMPLOYED,
        *unemployed.params,
        *units.params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: Ratio(int(row[1] or 0), int(row[2])) for row in cursor.fetchall()}


@dataclass(frozen=True, kw_only=True)
class JobPreparationRate(Indicator):
    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        return job_preparation_counts(period=sheet.period, root=sheet.root)

    def behind(self, query: BehindQuery) -> Listing:
        """The unemployed members of the labor force with no preparation in the period."""
        period = query.period
        prepared = ServiceRecord.objects.filter(
            outer_district(),
            person=OuterRef("pk"),
            kind__in=PREPARATION,
            on__gte=period.start,
            on__lte=period.end,
        )
        people = lists.picked(
            lists.persons(query.unit, query.user),
            unemployed_labor_force(period.end),
            query.unit,
            period.end,
            statuses=[definitions.UNEMPLOYED],
        ).exclude(Exists(prepared))
        return lists.person_listing(people, period.end, detail=_("评估期内无职业指导、介绍或培训"))


job_preparation_rate = JobPreparationRate(
    id="job_preparation_rate",
    label=gettext_lazy("积极就业准备率"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy("%(n)s 人需组织就业准备", "%(n)s 人需组织就业准备", "n"),
    definition=gettext_lazy(
        "时点失业的劳动力中评估期内接受过职业指导、职业介绍或培训的 / 时点失业的劳动力"
    ),
)

INDICATORS = (job_preparation_rate,)
