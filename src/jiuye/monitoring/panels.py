"""The pieces every dashboard panel is made of (``monitoring.dashboard``, ``.ranking``,
``.standing``, ``.screen``): what the dashboard is asked for (:class:`Params`), a panel's one
:class:`Table` (what its table view shows and its workbook holds, cell for cell) and the
:class:`Chart` s drawn from that table's columns (:func:`chart_of`), so a chart, its table and
its download always carry the same numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from jiuye.monitoring.rollups import month_of
from jiuye.monitoring.series import Measure
from jiuye.standards.rulesets import RuleSet
from jiuye.units.models import Unit

ChartKind = Literal["line", "bar", "stacked", "hbar"]


@dataclass
class Params:
    """What a dashboard is asked for: the unit, the date of its standing, the rule set (None
    for a grid, which no rule set evaluates) and its level, and today (the trend stops there)."""

    unit: Unit
    on: date
    today: date
    ruleset: RuleSet | None = None
    choices: list[RuleSet] = field(default_factory=list)
    level_key: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> date:
        """The day the trend and the ranking stop at: the date, or today if it is later."""
        return min(self.on, self.today)

    @property
    def month(self) -> date:
        return month_of(self.anchor)

    def query(self, **extra: Any) -> str:
        params: dict[str, Any] = {"date": self.on.isoformat()}
        if self.ruleset is not None:
            params["ruleset"] = self.ruleset.id
        if self.level_key:
            params["level"] = self.level_key
        params.update({k: v for k, v in extra.items() if v})
        return urlencode(params)

    def unit_url(self, unit: Unit) -> str:
        """A unit's dashboard at the same date and rule set (the level is the unit's own)."""
        query = {"date": self.on.isoformat()}
        if self.ruleset is not None and self.ruleset.levels_for(unit.level):
            query["ruleset"] = self.ruleset.id
        return reverse("monitoring:unit", args=[unit.code]) + "?" + urlencode(query)


Cell = str | int | float | date | None


def cells(*values: Cell) -> list[Cell]:
    """A table row."""
    return list(values)


@dataclass
class Table:
    """What a panel's table view shows and its workbook holds, cell for cell."""

    title: str  # the workbook's sheet
    columns: list[tuple[str, int]]  # (header, width in characters)
    rows: list[list[Cell]]
    links: list[str | None] = field(default_factory=list)  # per row: a link on one cell
    link_column: int = 0
    states: list[str] = field(default_factory=list)  # per row: pass, fail, undecided

    @property
    def headers(self) -> list[str]:
        return [header for header, _width in self.columns]

    def html_rows(self) -> list[dict[str, Any]]:
        """The rows for a template: each cell with its link (if any), and the row's state."""
        found = []
        for i, row in enumerate(self.rows):
            link = self.links[i] if i < len(self.links) else None
            cells = [(cell, link if j == self.link_column else None) for j, cell in enumerate(row)]
            state = self.states[i] if i < len(self.states) else ""
            found.append({"cells": cells, "state": state, "link": link})
        return found


@dataclass
class Chart:
    """A chart of some of a table's columns against another (``charts.js`` draws it)."""

    key: str
    kind: ChartKind
    title: str
    spec: dict[str, Any]

    @property
    def data_id(self) -> str:
        """The id of the element holding the chart's data (``json_script``)."""
        return f"chart-data-{self.key}"


def chart_of(
    table: Table,
    key: str,
    kind: ChartKind,
    title: str,
    values: Sequence[int],
    *,
    category: int = 0,
    percent: bool = False,
    links: bool = False,
) -> Chart:
    """A chart of ``table``'s columns ``values`` (series) by its column ``category``."""
    spec = {
        "type": kind,
        "categories": [str(row[category]) for row in table.rows],
        "series": [
            {"name": table.columns[i][0], "data": [row[i] for row in table.rows]} for i in values
        ],
        "percent": percent,
        "links": table.links if links else [],
    }
    return Chart(key, kind, title, spec)


@dataclass
class Panel:
    name: str
    title: str
    table: Table | None = None
    charts: list[Chart] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # said instead of (or beside) the data
    note: str = ""  # what the numbers are
    extra: dict[str, Any] = field(default_factory=dict)


def header(measure: Measure) -> str:
    """A figure's column header (a rate's says it is in percent)."""
    return f"{measure.label}（%）" if measure.kind == "ratio" else str(measure.label)


def rollups_missing() -> str:
    return _("月度汇总尚未生成或已过期（汇总表正在重建），暂无法显示，请稍后再试。")
