"""The district's big screen (大屏) for the duty room: the headline numbers of the current
month, the trend, the ranking of the streets and how far certification has come, for the
district administrator's own district. Counts only, read from the roll-ups and a few grouped
counts (the open warnings, the certifications in force, this year's applications); the page
polls it every five minutes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiuye.accounts.models import Role
from jiuye.certification.models import Application, State
from jiuye.monitoring.dashboard import trend_panel
from jiuye.monitoring.models import EarlyWarning, WarningState
from jiuye.monitoring.panels import Panel, Params, Table, cells, chart_of, rollups_missing
from jiuye.monitoring.ranking import ranking_panel
from jiuye.monitoring.series import MEASURES
from jiuye.standards.models import Certification
from jiuye.units.models import Level, Unit
from jiuye.units.scope import member_units

SCREEN_LEVELS = (Level.CITY, Level.DISTRICT)
HEADLINE = (
    "labor_force",
    "employed",
    "registered",
    "zero_families",
    "employment_rate",
    "registered_unemployment_rate",
)
# The applications still under way, by the step they wait for (short: a column of the screen).
SHORT_STATES = {
    State.APPLIED: gettext_lazy("待自评"),
    State.RETURNED: gettext_lazy("已退回"),
    State.SUBMITTED: gettext_lazy("待初核"),
    State.REVIEWED: gettext_lazy("待验收"),
}


def screen_units(user: Any) -> list[Unit]:
    """The districts (or cities) whose screen ``user`` may open: a district administrator's
    own (none for anyone else)."""
    if getattr(user, "role", None) != Role.DISTRICT or not getattr(
        user, "sees_personal_data", False
    ):
        return []
    return [u for u in member_units(user) if u.level in SCREEN_LEVELS]


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: str


@dataclass
class Screen:
    unit: Unit
    today: date
    headline: list[Headline] = field(default_factory=list)
    warnings: int | None = None  # open warnings; None: the warnings have never run
    trend: Panel | None = None
    ranking: Panel | None = None
    certification: Panel | None = None
    notices: list[str] = field(default_factory=list)


def _headline(trend: Panel) -> list[Headline]:
    """The trend's last month (this month, so far) in large print."""
    last = trend.extra.get("last")
    if last is None:
        return []
    found = []
    for key in HEADLINE:
        measure = MEASURES[key]
        value = measure.value(last.values)
        if value is None:
            text = "—"
        elif measure.kind == "ratio":
            text = f"{value * 100:.2f}%"
        else:
            text = f"{value:,}"
        found.append(Headline(key, str(measure.label), text))
    return found


def _warnings(unit: Unit) -> int | None:
    if not EarlyWarning.objects.exists():
        return None
    return EarlyWarning.objects.filter(
        state=WarningState.OPEN, unit__path__startswith=unit.path
    ).count()


def certification_panel(unit: Unit, today: date) -> Panel:
    """Per level under the unit: how many units, how many certified (any rule set) today, and
    this year's applications still under way, by step."""
    panel = Panel("certification", _("创建认定进展"))
    under = Q(unit__path__startswith=unit.path)
    units = dict(
        Unit.objects.filter(path__startswith=unit.path)
        .exclude(level=Level.GRID)
        .values("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    certified = dict(
        Certification.objects.filter(under, certified_on__lte=today)
        .filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=today))
        .values("unit__level")
        .annotate(n=Count("unit", distinct=True))
        .values_list("unit__level", "n")
    )
    applying: dict[tuple[str, str], int] = {
        (level, state): n
        for level, state, n in Application.objects.filter(
            under, year=today.year, state__in=list(SHORT_STATES)
        )
        .values("unit__level", "state")
        .annotate(n=Count("id"))
        .values_list("unit__level", "state", "n")
    }
    columns = [(_("层级"), 8), (_("单位数"), 8), (_("已认定"), 8)]
    columns += [(str(label), 8) for label in SHORT_STATES.values()]
    panel.table = Table(
        _("创建认定进展"),
        columns,
        [
            cells(
                str(level.label),
                units[level],
                certified.get(level, 0),
                *(applying.get((level, state), 0) for state in SHORT_STATES),
            )
            for level in Level
            if level != Level.GRID and units.get(level)
        ],
    )
    panel.charts = [chart_of(panel.table, "certification", "bar", _("单位数与已认定"), [1, 2])]
    panel.note = _("已认定：%(on)s 有效的认定（任一标准）；申请：%(year)s 年度尚未办结的。") % {
        "on": today.isoformat(),
        "year": today.year,
    }
    return panel


def screen(*, user: Any, unit: Unit, today: date) -> Screen:
    p = Params(unit=unit, on=today, today=today)
    found = Screen(unit=unit, today=today)
    found.trend = trend_panel(p)
    if found.trend.table is None:
        found.notices.append(rollups_missing())
    found.headline = _headline(found.trend)
    found.warnings = _warnings(unit)
    found.ranking = ranking_panel(user=user, p=p, wanted=None)
    found.certification = certification_panel(unit, today)
    return found
