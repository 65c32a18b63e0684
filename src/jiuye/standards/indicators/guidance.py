"""``guidance_on_time_rate`` (CQ-4: 3日内职业指导率), counted by the deadline's period (DOMAIN
readings of 2026-12, 7): the unemployment registrations whose guidance deadline (the 3rd
working day after the registration, ``casework.deadlines.guidance_due``) falls in the period
and has passed by the date, or that already had their guidance; the numerator, those guided on
time. A registration is thus counted in exactly one period, the one its deadline falls in (one
of 30 December whose deadline is in January counts in January's year).

The registrations, their deadlines and whether the guidance was on time are casework's CQ-4
rule (one item per registration, ``RULE_FUNCTIONS["CQ-4"]``): this module only picks and counts
them, so the indicator and the worklist cannot disagree. A registration whose deadline needs a
year the holiday calendar does not know makes the rate unavailable (never guessed): the fact
sheet shows it as such, with the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from jiuye.casework import deadlines
from jiuye.lib.sql import Sql
from jiuye.lib.workdays import WorkdayCalendarError
from jiuye.standards.indicators.base import BehindQuery, FactSheet, Indicator, Listing
from jiuye.standards.indicators.worklist import ItemRows
from jiuye.standards.rules import Ratio


@dataclass(frozen=True, kw_only=True)
class GuidanceOnTimeRate(Indicator):
    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        """One grouped query over casework's CQ-4 items of every community under the root."""
        scope = deadlines.system_scope(sheet.root, sheet.on, period_start=sheet.period.start)
        items = deadlines.queries.items_sql(scope, ["CQ-4"])
        query = Sql(
            f"SELECT community_id, SUM(CASE WHEN state = '{deadlines.State.MET}' THEN 1 "
            f"ELSE 0 END) AS met, COUNT(*) AS n FROM ({items.text}) items "
            "WHERE due >= %s AND due <= %s AND (due < %s OR done_on IS NOT NULL) "
            "GROUP BY community_id",
            (*items.params, sheet.period.start, sheet.period.end, sheet.period.end),
        )
        rows = deadlines.queries.fetch(query)
        deadlines.queries.note_gaps(scope, ["CQ-4"])
        if scope.gaps.undated:
            raise WorkdayCalendarError(scope.gaps.note, years=scope.gaps.years)
        return {
            row["community_id"]: Ratio(int(row["met"]), int(row["n"]))
            for row in rows
            if row["community_id"] is not None
        }

    def behind(self, query: BehindQuery) -> Listing:
        period = query.period
        return ItemRows(
            "CQ-4",
            query,
            Sql(
                "due >= %s AND due <= %s AND (due < %s OR done_on IS NOT NULL) "
                f"AND state <> '{deadlines.State.MET}'",
                (period.start, period.end, period.end),
            ),
        )


guidance_on_time_rate = GuidanceOnTimeRate(
    id="guidance_on_time_rate",
    label=_("3日内职业指导率"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy("%(n)s 次登记未及时指导", "%(n)s 次登记未及时指导", "n"),
    definition=_(
        "第3个工作日期限落在评估期内且已过期（或已指导）的失业登记中，3个工作日内职业指导的 / "
        "这些登记"
    ),
)

INDICATORS = (guidance_on_time_rate,)
