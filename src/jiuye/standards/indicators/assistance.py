"""``assistance_services_missing`` (QG item 8: 少开展一项服务扣2分): how many of the four
re-employment assistance services (guidance, referral, training, assistance) have no record in
the period in the unit: one query for the kinds recorded per community; a street's or
district's value counts the kinds none of its communities recorded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from jiuye.casework.models import ServiceKind, ServiceRecord
from jiuye.standards.indicators.base import (
    BehindQuery,
    FactSheet,
    Indicator,
    Listing,
    ListRows,
    Period,
    Row,
    communities_under,
)
from jiuye.standards.rules import Fact
from jiuye.units.models import Unit

ASSISTANCE_KINDS = (
    ServiceKind.GUIDANCE,
    ServiceKind.REFERRAL,
    ServiceKind.TRAINING,
    ServiceKind.ASSISTANCE,
)


def service_kinds(*, period: Period, root: Unit | None) -> dict[int, frozenset[str]]:
    """Per community: which of the four assistance services were recorded in the period."""
    qs = ServiceRecord.objects.filter(
        kind__in=list(ASSISTANCE_KINDS), on__gte=period.start, on__lte=period.end
    )
    if root is not None:
        qs = qs.filter(person__community__in=communities_under(root))
    kinds: dict[int, set[str]] = defaultdict(set)
    for community, kind in qs.order_by().values_list("person__community_id", "kind").distinct():
        kinds[community].add(kind)
    return {k: frozenset(v) for k, v in kinds.items()}


@dataclass(frozen=True, kw_only=True)
class AssistanceServicesMissing(Indicator):
    """Its part per community is the set of kinds recorded there."""

    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        return service_kinds(period=sheet.period, root=sheet.root)

    def empty(self) -> Any:
        return frozenset()

    def rollup(self, parts: Sequence[Any], unit: Unit, sheet: FactSheet) -> Fact:
        present: set[str] = set().union(*parts)
        return len([k for k in ASSISTANCE_KINDS if k not in present])

    def behind(self, query: BehindQuery) -> Listing:
        """The kinds (at most four) with no record in the period."""

        def missing() -> list[Row]:
            present: set[str] = set()
            for kinds in service_kinds(period=query.period, root=query.unit).values():
                present |= kinds
            return [
                Row("text", str(ServiceKind(k).label), _("评估期内没有记录"))
                for k in ASSISTANCE_KINDS
                if k not in present
            ]

        return ListRows(missing)


assistance_services_missing = AssistanceServicesMissing(
    id="assistance_services_missing",
    label=gettext_lazy("未开展的援助服务项数"),
    kind="count",
    gap="count",
    gap_label=ngettext_lazy("%(n)s 项服务需开展", "%(n)s 项服务需开展", "n"),
    definition=gettext_lazy(
        "职业指导、职业介绍、职业培训、就业援助四项中评估期内没有任何记录的项数"
    ),
)

INDICATORS = (assistance_services_missing,)
