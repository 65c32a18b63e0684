"""The zero-employment family indicators, all read from the zero-family cases
(``casework.ZeroFamilyCase``): the cases ARE the episodes of ``definitions.zero_family_episodes``,
kept by casework, the same rows the CQ-2 worklist and the zero-family page read (DOMAIN readings
of 2026-12, 4). A case is read as of the date D: open on D iff it emerged by D and was not
eliminated by then; an elimination after D is not known yet on D. The same rows answer from the
aggregates and from scratch.

- ``zero_families`` (HD-C2, QG-3): zero families at the date;
- ``zero_family_max_days``: the longest time a zero family of the period (open on some day of
  it, or eliminated in it) stayed, or has stayed, uneliminated;
- ``zero_family_over_month`` (CQ-2): those of the period not eliminated within one month
  (``definitions.zero_family_due``): eliminated after the due day, or still open past it;
- each with an ``_urban`` variant over urban-hukou households only (城镇 and 农转非): CQ counts
  only those in every CQ-2 figure; HD and QG count all.

The cases of a period are few (hundreds in a district of a million persons): one query fetches
them, and each community's figures are counted from those rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy

from jiuye.casework.deadlines import State, classify
from jiuye.casework.models import ZeroFamilyCase
from jiuye.registry import definitions
from jiuye.standards.indicators.base import (
    BehindQuery,
    FactSheet,
    Indicator,
    Listing,
    ListRows,
    Period,
    Row,
    communities_under,
    household_url,
)
from jiuye.units.models import Unit
from jiuye.units.scope import scope_to_jurisdiction

Measure = Literal["open", "max_days", "late"]


@dataclass(frozen=True, slots=True)
class ZeroEpisode:
    """A zero-family case of the period, read as of the date."""

    case_id: int
    household_id: int
    number: str
    community_id: int
    urban: bool  # the household's hukou
    episode: definitions.Episode

    def days(self, on: date) -> int:
        return self.episode.days(on)

    def late(self, on: date) -> bool:
        """Not eliminated within one month (CQ-2), as casework's worklist classifies it."""
        emerged, ended = self.episode.emerged_on, self.episode.ended_on
        done = ended if ended is not None and ended <= on else None
        due = definitions.zero_family_due(emerged)
        return classify(due=due, done_on=done, on=on, soon_until=on) in (State.LATE, State.OVERDUE)


def _cases(period: Period, root: Unit | None) -> QuerySet[ZeroFamilyCase]:
    cases = ZeroFamilyCase.objects.of_period(period.start, period.end).order_by()
    if root is not None:
        cases = cases.filter(household__community__in=communities_under(root))
    return cases


def zero_episodes(*, period: Period, root: Unit | None) -> list[ZeroEpisode]:
    """The cases open on some day of the period or eliminated in it (one query)."""
    rows = _cases(period, root).values_list(
        "pk",
        "household_id",
        "household__number",
        "household__community_id",
        "household__hukou_type",
        "emerged_on",
        "eliminated_on",
    )
    return [
        ZeroEpisode(
            pk,
            household,
            number,
            community,
            definitions.is_urban(hukou),
            definitions.Episode(emerged, eliminated),
        )
        for pk, household, number, community, hukou, emerged, eliminated in rows
    ]


@dataclass(frozen=True, kw_only=True)
class ZeroIndicator(Indicator):
    measure: Measure
    urban_only: bool = False

    def _episodes(self, sheet: FactSheet) -> list[ZeroEpisode]:
        found = sheet.shared(
            "zero_episodes", lambda: zero_episodes(period=sheet.period, root=sheet.root)
        )
        return [e for e in found if e.urban or not self.urban_only]

    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        on = sheet.on
        values: dict[int, int] = defaultdict(int)
        for e in self._episodes(sheet):
            if self.measure == "open":
                values[e.community_id] += int(e.episode.open_on(on))
            elif self.measure == "late":
                values[e.community_id] += int(e.late(on))
            else:
                values[e.community_id] = max(values[e.community_id], e.days(on))
        return dict(values)

    def behind(self, query: BehindQuery) -> Listing:
        """The zero families behind the figure: the few cases of the period (hundreds in a
        district), read in one query when the list is first read, and made into rows a page at
        a time."""
        on = query.period.end

        def chosen() -> list[ZeroEpisode]:
            cases = scope_to_jurisdiction(_cases(query.period, query.unit), query.user)
            visible = set(cases.values_list("pk", flat=True))
            episodes = [
                e
                for e in zero_episodes(period=query.period, root=query.unit)
                if (e.urban or not self.urban_only) and e.case_id in visible
            ]
            if self.measure == "open":
                return sorted(
                    (e for e in episodes if e.episode.open_on(on)),
                    key=lambda e: (e.episode.emerged_on, e.household_id),
                )
            return sorted(
                (e for e in episodes if self.measure != "late" or e.late(on)),
                key=lambda e: (-e.days(on), e.household_id),
            )

        def to_rows(page: Sequence[ZeroEpisode]) -> list[Row]:
            return [
                Row(
                    "household",
                    e.number,
                    _emerged_text(e.episode.emerged_on, e.days(on))
                    if self.measure == "open"
                    else _episode_text(e, on),
                    household_url(e.household_id),
                    e.community_id,
                )
                for e in page
            ]

        return ListRows(chosen, to_rows)


def _episode_text(e: ZeroEpisode, on: date) -> str:
    days = e.days(on)
    ended = e.episode.ended_on
    return ngettext(
        "%(day)s 出现 · %(ended)s · %(days)s 天 · %(late)s",
        "%(day)s 出现 · %(ended)s · %(days)s 天 · %(late)s",
        days,
    ) % {
        "day": e.episode.emerged_on.isoformat(),
        "ended": _("%(day)s 消除") % {"day": ended.isoformat()}
        if ended is not None and ended <= on
        else _("未消除"),
        "days": days,
        "late": _("超过1个月") if e.late(on) else _("1个月内"),
    }


def _emerged_text(emerged_on: date, days: int) -> str:
    return ngettext("%(day)s 出现，已 %(days)s 天", "%(day)s 出现，已 %(days)s 天", days) % {
        "day": emerged_on.isoformat(),
        "days": days,
    }


_FAMILIES = ngettext_lazy("%(n)s 户需消除", "%(n)s 户需消除", "n")
_LATE = ngettext_lazy("%(n)s 户超期", "%(n)s 户超期", "n")

zero_families = ZeroIndicator(
    id="zero_families",
    label=gettext_lazy("零就业家庭数"),
    kind="count",
    gap="count",
    gap_label=_FAMILIES,
    definition=gettext_lazy("时点的零就业家庭数（所有户籍）"),
    measure="open",
)
zero_families_urban = ZeroIndicator(
    id="zero_families_urban",
    label=gettext_lazy("城镇零就业家庭数"),
    kind="count",
    gap="count",
    gap_label=_FAMILIES,
    definition=gettext_lazy("时点的城镇户籍零就业家庭数（重庆标准只计城镇）"),
    measure="open",
    urban_only=True,
)
zero_family_max_days = ZeroIndicator(
    id="zero_family_max_days",
    label=gettext_lazy("零就业家庭消除用时"),
    kind="days",
    gap=None,
    definition=gettext_lazy("评估期内出现过的零就业家庭中，最长未消除天数（未消除的计至时点）"),
    measure="max_days",
)
zero_family_max_days_urban = ZeroIndicator(
    id="zero_family_max_days_urban",
    label=gettext_lazy("城镇零就业家庭消除用时"),
    kind="days",
    gap=None,
    definition=gettext_lazy(
        "评估期内出现过的城镇户籍零就业家庭中，最长未消除天数（未消除的计至时点）"
    ),
    measure="max_days",
    urban_only=True,
)
zero_family_over_month = ZeroIndicator(
    id="zero_family_over_month",
    label=gettext_lazy("超过1个月未消除的零就业家庭"),
    kind="count",
    gap="count",
    gap_label=_LATE,
    definition=gettext_lazy(
        "评估期内出现过的零就业家庭中，未在出现后1个月内（次月同日）消除的户数"
    ),
    measure="late",
)
zero_family_over_month_urban = ZeroIndicator(
    id="zero_family_over_month_urban",
    label=gettext_lazy("超过1个月未消除的城镇零就业家庭"),
    kind="count",
    gap="count",
    gap_label=_LATE,
    definition=gettext_lazy(
        "评估期内出现过的城镇户籍零就业家庭中，未在出现后1个月内（次月同日）消除的户数"
    ),
    measure="late",
    urban_only=True,
)

INDICATORS = (
    zero_families,
    zero_families_urban,
    zero_family_max_days,
    zero_family_max_days_urban,
    zero_family_over_month,
    zero_family_over_month_urban,
)
