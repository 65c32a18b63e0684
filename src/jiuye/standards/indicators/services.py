"""The service-count indicators, per community from the service days of the aggregates
(``models.ServiceDay``) when they are fresh, else one aggregate over the service records; a
record counts for its person's community.

- ``training_mode_share`` (HD-Q3): trainings of mode 定岗/订单/定向 / all trainings in the period;
- ``valid_complaints`` (CQ-6): valid complaints in the period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from jiuye.casework.models import ServiceKind, ServiceRecord
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
from jiuye.standards.rules import Fact, Ratio
from jiuye.units.models import Unit
from jiuye.units.scope import scope_to_jurisdiction

Counts = Mapping[str, int]


def direct_service_counts(*, period: Period, root: Unit | None) -> dict[int, dict[str, int]]:
    """``aggregates.service_counts`` from the service records themselves (one aggregate)."""
    qs = ServiceRecord.objects.filter(
        kind__in=[ServiceKind.TRAINING, ServiceKind.COMPLAINT],
        on__gte=period.start,
        on__lte=period.end,
    )
    if root is not None:
        qs = qs.filter(person__community__in=communities_under(root))
    training = Q(kind=ServiceKind.TRAINING)
    rows = (
        qs.order_by()
        .values("person__community_id")
        .annotate(
            trainings=Count("pk", filter=training),
            trainings_three_modes=Count(
                "pk", filter=training & Q(training_mode__in=aggregates.THREE_MODE_VALUES)
            ),
            complaints_valid=Count("pk", filter=Q(kind=ServiceKind.COMPLAINT, valid=True)),
        )
    )
    return {
        row["person__community_id"]: {c: row[c] for c in aggregates.SERVICE_COLUMNS} for row in rows
    }


def service_counts(sheet: FactSheet) -> dict[int, dict[str, int]]:
    def load() -> dict[int, dict[str, int]]:
        if sheet.fresh:
            return aggregates.service_counts(
                start=sheet.period.start, end=sheet.on, path=sheet.path
            )
        return direct_service_counts(period=sheet.period, root=sheet.root)

    return sheet.shared("service_counts", load)


@dataclass(frozen=True, kw_only=True)
class ServiceIndicator(Indicator):
    fact: Callable[[Counts], Fact]
    records: Callable[[], Q]  # the records listed behind it

    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        return {pk: self.fact(counts) for pk, counts in service_counts(sheet).items()}

    def behind(self, query: BehindQuery) -> Listing:
        """The records behind the figure, by date."""
        qs = scope_to_jurisdiction(
            ServiceRecord.objects.filter(
                self.records(),
                on__gte=query.period.start,
                on__lte=query.period.end,
                person__community__in=communities_under(query.unit),
            ),
            query.user,
        ).select_related("person")

        def to_rows(page: list[ServiceRecord]) -> list[Row]:
            return [
                Row(
                    "record",
                    r.person.name,
                    " · ".join(
                        part
                        for part in (
                            r.get_kind_display(),
                            r.get_outcome_display() or r.get_training_mode_display(),
                            r.note,
                        )
                        if part
                    ),
                    person_url(r.person_id),
                    r.person.community_id,
                    r.on,
                )
                for r in page
            ]

        return QueryRows(qs.order_by("on", "id"), to_rows)


training_mode_share = ServiceIndicator(
    id="training_mode_share",
    label=_("三类模式培训占比"),
    kind="ratio",
    gap="add",
    gap_label=ngettext_lazy("%(n)s 人次三类模式培训", "%(n)s 人次三类模式培训", "n"),
    definition=_("评估期内定岗、订单、定向培训人次 / 全部培训人次"),
    fact=lambda c: Ratio(c.get("trainings_three_modes", 0), c.get("trainings", 0)),
    records=lambda: (
        Q(kind=ServiceKind.TRAINING) & ~Q(training_mode__in=aggregates.THREE_MODE_VALUES)
    ),
)

valid_complaints = ServiceIndicator(
    id="valid_complaints",
    label=_("有效投诉"),
    kind="count",
    gap="count",
    gap_label=ngettext_lazy("%(n)s 件有效投诉", "%(n)s 件有效投诉", "n"),
    definition=_("评估期内有效投诉件数"),
    fact=lambda c: c.get("complaints_valid", 0),
    records=lambda: Q(kind=ServiceKind.COMPLAINT, valid=True),
)

INDICATORS = (training_mode_share, valid_complaints)
