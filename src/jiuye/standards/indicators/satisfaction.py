"""``satisfaction_rate`` (HD-C3, HD-S3: 失业人员满意度测评): very satisfied and satisfied
surveys / surveys, over the surveys dated in the period that were answered by a person who was
``unemployed`` on some day of the period up to the survey (DOMAIN readings of 2026-12, 6).

From the aggregates it is one indexed read of the survey facts (``models.SurveyFact``: per
survey, the end of its person's last unemployment before it); from scratch, one aggregate over
the period's surveys with an index probe of the person's status events each. The surveys are
counted for their person's community.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from jiuye.casework.models import SATISFIED_OUTCOMES, ServiceKind, ServiceRecord
from jiuye.registry import definitions
from jiuye.registry.models import StatusEvent
from jiuye.standards import aggregates
from jiuye.standards.indicators.base import (
    BehindQuery,
    FactSheet,
    Indicator,
    Listing,
    Period,
    QueryRows,
    Row,
    communities_under,
    person_url,
)
from jiuye.standards.rules import Ratio
from jiuye.units.models import Unit
from jiuye.units.scope import scope_to_jurisdiction
from jiuye.units.sharding import outer_district


def counted_surveys(period: Period, root: Unit | None) -> QuerySet[ServiceRecord]:
    """The surveys ``satisfaction_rate`` counts over ``period``: dated in it, answered by a
    person with an ``unemployed`` status event that began by the survey day and had not ended
    by the period's first day (so they were unemployed on some day of [start, survey day])."""
    unemployed = StatusEvent.objects.filter(
        definitions.in_force_during_q(period.start, OuterRef("on")),
        outer_district(),
        person=OuterRef("person"),
        status=definitions.UNEMPLOYED,
    )
    qs = ServiceRecord.objects.filter(
        Exists(unemployed), kind=ServiceKind.SURVEY, on__gte=period.start, on__lte=period.end
    )
    if root is not None:
        qs = qs.filter(person__community__in=communities_under(root))
    return qs


def direct_survey_counts(*, period: Period, root: Unit | None) -> dict[int, tuple[int, int]]:
    """``aggregates.survey_counts`` from the service records and status events (one query)."""
    rows = (
        counted_surveys(period, root)
        .order_by()
        .values("person__community_id")
        .annotate(
            satisfied=Count("pk", filter=Q(outcome__in=SATISFIED_OUTCOMES)),
            surveys=Count("pk"),
        )
        .values_list("person__community_id", "satisfied", "surveys")
    )
    return {community: (satisfied, surveys) for community, satisfied, surveys in rows}


@dataclass(frozen=True, kw_only=True)
class SatisfactionRate(Indicator):
    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        if sheet.fresh:
            counts = aggregates.survey_counts(
                start=sheet.period.start, end=sheet.on, path=sheet.path
            )
        else:
            counts = direct_survey_counts(period=sheet.period, root=sheet.root)
        return {pk: Ratio(satisfied, surveys) for pk, (satisfied, surveys) in counts.items()}

    def behind(self, query: BehindQuery) -> Listing:
        """The counted surveys that were not satisfied, by date."""
        qs = scope_to_jurisdiction(counted_surveys(query.period, query.unit), query.user)
        qs = qs.exclude(outcome__in=SATISFIED_OUTCOMES).select_related("person")

        def to_rows(page: list[ServiceRecord]) -> list[Row]:
            return [
                Row(
                    "record",
                    r.person.name,
                    f"{r.get_kind_display()} · {r.get_outcome_display()}"
                    f"{' · ' + r.note if r.note else ''}",
                    person_url(r.person_id),
                    r.person.community_id,
                    r.on,
                )
                for r in page
            ]

        return QueryRows(qs.order_by("on", "id"), to_rows)


satisfaction_rate = SatisfactionRate(
    id="satisfaction_rate",
    label=_("满意度"),
    kind="ratio",
    gap="add",
    gap_label=ngettext_lazy("%(n)s 份满意测评", "%(n)s 份满意测评", "n"),
    definition=_(
        "评估期内失业人员（测评日前评估期内任一天处于失业状态）满意度测评中"
        "“非常满意”和“满意”的份数 / 这些测评份数"
    ),
)

INDICATORS = (satisfaction_rate,)
