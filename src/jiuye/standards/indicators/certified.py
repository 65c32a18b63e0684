"""``certified_children_share`` (HD-S1, HD-Q1: 下级单位达标率): the unit's child units
(:data:`~.base.CHILD_LEVELS`: a street's communities, a district's streets…) certified under
the rule set at the date / its child units. Computed for the unit itself, not summed from its
communities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from jiuye.standards.indicators.base import (
    CHILD_LEVELS,
    BehindQuery,
    FactSheet,
    Indicator,
    Listing,
    ListRows,
    Row,
)
from jiuye.standards.models import Certification
from jiuye.standards.rules import Fact, Ratio
from jiuye.units.models import Level, Unit
from jiuye.units.scope import units_visible


def certified_units(*, on: date, ruleset: str, unit_ids: Iterable[int] | None = None) -> set[int]:
    """Units certified under any level of ``ruleset`` at ``on`` (not revoked by then)."""
    qs = Certification.objects.filter(
        Q(revoked_on__isnull=True) | Q(revoked_on__gt=on),
        ruleset=ruleset,
        certified_on__lte=on,
    )
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=list(unit_ids))
    return set(qs.values_list("unit_id", flat=True))


@dataclass(frozen=True, kw_only=True)
class CertifiedChildrenShare(Indicator):
    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        return {}  # nothing per community: see :meth:`rollup`

    def rollup(self, parts: Sequence[Any], unit: Unit, sheet: FactSheet) -> Fact:
        certified = sheet.shared(
            "certified",
            lambda: (
                certified_units(on=sheet.on, ruleset=sheet.ruleset, unit_ids=sheet.units)
                if sheet.ruleset
                else set()
            ),
        )
        child_levels = CHILD_LEVELS.get(Level(unit.level), ())
        children = [u.pk for u in sheet.children_of(unit) if u.level in child_levels]
        return Ratio(sum(1 for c in children if c in certified), len(children))

    def behind(self, query: BehindQuery) -> Listing:
        """The child units not certified at the date (never, or the title lost by then): a
        few dozen at most, listed when first read."""
        return ListRows(lambda: self._uncertified(query))

    def _uncertified(self, query: BehindQuery) -> list[Row]:
        on, ruleset = query.period.end, query.ruleset
        child_levels = CHILD_LEVELS.get(Level(query.unit.level), ())
        children = (
            units_visible(query.user)
            .filter(parent=query.unit, level__in=child_levels)
            .order_by("code")
        )
        certified = certified_units(on=on, ruleset=ruleset, unit_ids=[c.pk for c in children])
        revoked: dict[int, date] = {
            unit_id: day
            for unit_id, day in Certification.objects.filter(
                ruleset=ruleset, unit__in=children, revoked_on__lte=on
            )
            .order_by("unit_id", "revoked_on")
            .values_list("unit_id", "revoked_on")
            if day is not None
        }
        return [
            Row(
                "unit",
                c.name,
                _("%(day)s 撤销认定") % {"day": revoked[c.pk].isoformat()}
                if c.pk in revoked
                else _("未认定"),
                reverse("standards:unit", args=[c.code])
                + (f"?ruleset={ruleset}" if ruleset else ""),
                on=revoked.get(c.pk),
            )
            for c in children
            if c.pk not in certified
        ]


certified_children_share = CertifiedChildrenShare(
    id="certified_children_share",
    label=gettext_lazy("下级单位达标率"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy("%(n)s 个下级单位需达标", "%(n)s 个下级单位需达标", "n"),
    definition=gettext_lazy("时点已认定达标的下级单位数 / 下级单位数"),
)

INDICATORS = (certified_children_share,)
