"""The ranking of a unit's child units (district → streets, street → communities) by one
figure (``series.MEASURES``) at a month's end: one roll-up read for all of them
(``rollups.units_month``). A community's grids have no roll-ups: they are counted live
(``monitoring.grids``), as is a grid's own dashboard (:func:`grid_panel`). Each row, and each
bar, leads to the child's dashboard. The children are those the user may evaluate
(``standards.selectors``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from jiuye.monitoring import rollups
from jiuye.monitoring.grids import grid_counts
from jiuye.monitoring.models import RollupState
from jiuye.monitoring.panels import (
    Cell,
    Panel,
    Params,
    Table,
    cells,
    chart_of,
    header,
    rollups_missing,
)
from jiuye.monitoring.series import DEFAULT_RANKING, GRID_MEASURES, MEASURES, Measure, shown
from jiuye.standards import selectors
from jiuye.units.models import Unit


def ranking_measures(unit: Unit) -> dict[str, Measure]:
    """What the children of ``unit`` can be ranked by (a community's grids: their live counts)."""
    return GRID_MEASURES if unit.is_community else MEASURES


def measure_or_default(unit: Unit, wanted: str | None) -> tuple[Measure, str | None]:
    """The ranking's figure: ``wanted`` if the children have it, else the default and why."""
    choices = ranking_measures(unit)
    if not wanted:
        return choices[DEFAULT_RANKING], None
    if wanted in choices:
        return choices[wanted], None
    return choices[DEFAULT_RANKING], _("不能按“%(wanted)s”排名，已按%(default)s排名。") % {
        "wanted": wanted[:40],
        "default": choices[DEFAULT_RANKING].label,
    }


def rollup_window() -> tuple[date, date] | None:
    state = RollupState.objects.filter(pk=1).first()
    return (state.first_month, state.last_month) if state is not None else None


def _ranked(
    children: Sequence[Unit], values: dict[Any, dict[str, int]], measure: Measure
) -> list[tuple[Unit, float | int | None, dict[str, int]]]:
    """Highest first; units without a value (an empty denominator) last; ties by code."""
    found = [(c, measure.value(values.get(c.pk, {})), values.get(c.pk, {})) for c in children]
    found.sort(key=lambda item: (item[1] is None, -(item[1] or 0), item[0].code))
    return found


def ranking_panel(*, user: Any, p: Params, wanted: str | None) -> Panel:
    panel = Panel("ranking", _("下级单位排名"))
    measure, problem = measure_or_default(p.unit, wanted)
    panel.extra = {
        "measure": measure,
        "choices": list(ranking_measures(p.unit).values()),
        "problem": problem,
    }
    if problem:
        panel.notices.append(problem)
    children = selectors.children_of(user=user, unit=p.unit)
    if not children:
        panel.notices.append(_("本单位没有下级单位。"))
        return panel
    if p.unit.is_community:
        values: dict[Any, dict[str, int]] = dict(grid_counts(community=p.unit, on=p.anchor))
        panel.title = _("网格排名（实时）")
        panel.note = _("网格没有月度汇总：%(on)s 的实时数，按户所在网格计。") % {
            "on": p.anchor.isoformat()
        }
    else:
        window = rollup_window()
        if window is not None and p.month < window[0]:
            panel.notices.append(
                _("%(month)s 没有月度汇总（汇总自 %(first)s 起）。")
                % {"month": f"{p.month:%Y-%m}", "first": f"{window[0]:%Y-%m}"}
            )
            return panel
        found = rollups.units_month(units=children, month=p.month)
        if found is None:
            panel.notices.append(rollups_missing())
            return panel
        values = dict(found)
        panel.note = _("%(month)s 月末的时点数（当月未结束的为截至今日的数）。") % {
            "month": f"{p.month:%Y-%m}"
        }
    panel.table = _ranking_table(children, values, measure, p)
    panel.charts = [
        chart_of(
            panel.table,
            "ranking",
            "hbar",
            str(measure.label),
            [3],
            category=1,
            percent=measure.kind == "ratio",
            links=True,
        )
    ]
    if p.unit.is_community and any(v for v in values.get(None, {}).values()):
        panel.notices.append(
            _("另有未划分网格的户：劳动力 %(n)s 人，未列入排名。")
            % {"n": values[None].get("labor_force", 0)}
        )
    return panel


def _ranking_table(
    children: Sequence[Unit], values: dict[Any, dict[str, int]], measure: Measure, p: Params
) -> Table:
    ratio = measure.kind == "ratio"
    columns = [(_("名次"), 6), (_("单位"), 18), (_("代码"), 16), (header(measure), 14)]
    if ratio:
        columns += [(_("分子"), 10), (_("分母"), 10)]
    rows: list[list[Cell]] = []
    links: list[str | None] = []
    for rank, (child, value, vector) in enumerate(_ranked(children, values, measure), start=1):
        row: list[Cell] = [rank, child.name, child.code, shown(value, measure.kind)]
        if ratio:
            fact = measure.fact(vector)
            row += [getattr(fact, "numerator", None), getattr(fact, "denominator", None)]
        rows.append(row)
        links.append(p.unit_url(child))
    return Table(str(measure.label)[:31], columns, rows, links, link_column=1)


# --------------------------------------------------------------------------------------------
# A grid's own dashboard: its live counts
# --------------------------------------------------------------------------------------------


def grid_panel(p: Params) -> Panel:
    panel = Panel("grid", _("网格实时数"))
    community = p.unit.parent
    values = grid_counts(community=community, on=p.anchor).get(p.unit.pk, {}) if community else {}
    measures = list(GRID_MEASURES.values())
    table = Table(
        _("网格实时数"),
        [(_("指标"), 18), (_("数值"), 12)],
        [cells(header(m), shown(m.value(values), m.kind)) for m in measures],
    )
    panel.table = table
    counts = Table(
        table.title,
        table.columns,
        [row for row, m in zip(table.rows, measures, strict=True) if m.kind == "count"],
    )
    panel.charts = [chart_of(counts, "grid", "bar", _("网格实时人数"), [1])]
    panel.note = _("网格没有月度汇总：%(on)s 的实时数，按户所在网格计；不显示趋势。") % {
        "on": p.anchor.isoformat()
    }
    return panel
