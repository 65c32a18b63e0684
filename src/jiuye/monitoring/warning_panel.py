"""The early warnings on the worklist (DOMAIN §10: a warning lands on the responsible unit's
worklist): a panel, registered with ``casework.panels`` by ``MonitoringConfig.ready()``, with
the active warnings of the worklist's units, counted by level, the newest few, and a link to
the whole list (filtered to the unit when the worklist shows one)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from jiuye.monitoring import selectors
from jiuye.monitoring.models import LEVEL_RANK, WarningLevel
from jiuye.monitoring.warning_display import rules_by_id
from jiuye.units.models import Level, Unit

NEWEST = 5
TEMPLATE = "monitoring/warnings/_worklist_panel.html"


def worklist_panel(request: HttpRequest, units: list[Unit], on: date) -> dict[str, Any] | None:
    """The panel's context; None for a user who reads no warnings (no personal data role, or
    grids only: warnings are for communities and the units above them)."""
    user = request.user
    if not getattr(user, "sees_personal_data", False):
        return None
    units = [unit for unit in units if unit.level != Level.GRID]
    if not units:
        return None
    paths = [unit.path for unit in units]
    counts = selectors.active_counts(user=user, paths=paths)
    newest = list(selectors.open_for_units(user=user, paths=paths)[:NEWEST]) if counts else []
    rules = rules_by_id()
    query = {"unit": units[0].code} if len(units) == 1 else {}
    levels = sorted(WarningLevel, key=lambda level: -LEVEL_RANK[level])
    return {
        "total": sum(counts.values()),
        "levels": [{"level": lv.value, "label": lv.label, "n": counts.get(lv, 0)} for lv in levels],
        "newest": [
            {
                "w": w,
                "rule_name": rules[w.rule_id].name if w.rule_id in rules else w.rule_id,
                "url": reverse("warnings:detail", args=[w.pk]),
            }
            for w in newest
        ],
        "list_url": reverse("warnings:list") + ("?" + urlencode(query) if query else ""),
    }
