"""What a unit's dashboard shows of its months (DOMAIN §10), as panels
(``monitoring.panels``: one table each, the charts drawn from its columns). Counts only: no
person is named anywhere.

- :func:`trend_panel`: the unit's last 24 months (labor force, employed, unemployed,
  registered unemployed, zero families, the rates): one roll-up read;
- :func:`services_panel`: the services recorded each month, by kind: the same read.

The ranking of the child units is ``monitoring.ranking``, the standing against the rule set
with its forecast ``monitoring.standing``, the big screen ``monitoring.screen``. Every figure
comes from ``monitoring.series``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from jiuye.casework.models import ServiceKind
from jiuye.monitoring import rollups
from jiuye.monitoring.models import SERVICE_FIELDS
from jiuye.monitoring.panels import Panel, Params, Table, cells, chart_of, header, rollups_missing
from jiuye.monitoring.rollups import MonthRow, month_end
from jiuye.monitoring.series import MEASURES, shown
from jiuye.units.models import Level

TREND_MONTHS = 24


# --------------------------------------------------------------------------------------------
# Trend and services: the unit's months
# --------------------------------------------------------------------------------------------

TREND_COUNTS = ("labor_force", "employed", "unemployed", "registered", "zero_families")
TREND_RATES = ("employment_rate", "registered_unemployment_rate", "difficult_employment_rate")


def _months(p: Params) -> list[MonthRow] | None:
    return rollups.unit_months(unit=p.unit, last=p.anchor, count=TREND_MONTHS)


def _month_label(row: MonthRow) -> str:
    return f"{row.month:%Y-%m}"


def _current_note(rows: Sequence[MonthRow], p: Params) -> str:
    """Said when the last month has not ended yet (its figures are today's)."""
    if rows and month_end(rows[-1].month) > p.today:
        return _("%(month)s 尚未结束，为截至今日的数。") % {"month": f"{rows[-1].month:%Y-%m}"}
    return ""


def _no_months(panel: Panel, p: Params, rows: list[MonthRow] | None) -> bool:
    """Say why there is nothing to chart (True), else nothing."""
    if p.unit.level == Level.GRID:
        panel.notices.append(_("网格没有月度汇总，不显示趋势；当前人数见“网格实时数”。"))
        return True
    if rows is None:
        panel.notices.append(rollups_missing())
        return True
    if not rows:
        panel.notices.append(_("%(month)s 及以前没有月度汇总。") % {"month": f"{p.month:%Y-%m}"})
        return True
    return False


def trend_panel(p: Params) -> Panel:
    panel = Panel("trend", _("月度趋势"))
    rows = None if p.unit.level == Level.GRID else _months(p)
    if _no_months(panel, p, rows):
        return panel
    assert rows is not None
    counts = [MEASURES[key] for key in TREND_COUNTS]
    rates = [MEASURES[key] for key in TREND_RATES]
    table = Table(
        _("月度趋势"),
        [(_("月份"), 10)] + [(header(m), 14) for m in (*counts, *rates)],
        [
            cells(
                _month_label(row), *(shown(m.value(row.values), m.kind) for m in (*counts, *rates))
            )
            for row in rows
        ],
    )
    panel.table = table
    n = len(counts)
    panel.charts = [
        chart_of(table, "labor", "line", _("劳动力与就业人数"), [1, 2]),
        chart_of(table, "unemployed", "line", _("失业、登记失业与零就业家庭"), [3, 4, 5]),
        chart_of(
            table,
            "rates",
            "line",
            _("就业率与登记失业率（%）"),
            [n + 1, n + 2, n + 3],
            percent=True,
        ),
    ]
    panel.note = _("各月月末的时点数（零就业家庭含所有户籍）；比率无分母时为空。")
    panel.extra = {"last": rows[-1]}
    if current := _current_note(rows, p):
        panel.notices.append(current)
    return panel


def services_panel(p: Params) -> Panel:
    panel = Panel("services", _("每月服务"))
    rows = None if p.unit.level == Level.GRID else _months(p)
    if _no_months(panel, p, rows):
        return panel
    assert rows is not None
    kinds = [
        (field_name, ServiceKind(field_name.removeprefix("svc_")).label)
        for field_name in SERVICE_FIELDS
    ]
    table = Table(
        _("每月服务"),
        [(_("月份"), 10)] + [(str(label), 10) for _f, label in kinds] + [(_("合计"), 10)],
        [
            cells(
                _month_label(row),
                *(row.values[f] for f, _label in kinds),
                sum(row.values[f] for f, _label in kinds),
            )
            for row in rows
        ],
    )
    panel.table = table
    panel.charts = [
        chart_of(
            table,
            "services",
            "stacked",
            _("每月服务次数（按类型）"),
            list(range(1, len(kinds) + 1)),
        )
    ]
    panel.note = _("当月登记的服务记录数，按服务对象所在社区计。")
    if current := _current_note(rows, p):
        panel.notices.append(current)
    return panel
