"""A unit's standing against each criterion of the chosen rule set level (the standards'
evaluation, as the standards page computes it), each with its forecast to the unit's next
re-check (``monitoring.forecast``, from the criterion's monthly values in the roll-ups,
``monitoring.series``): the unit's certification in force under the rule set gives the
re-check date (``monitoring.recheck``); a unit not certified is projected to the end of the
year's acceptance (12-31 of the date's year), and the panel says which."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiuye.monitoring import rollups
from jiuye.monitoring.forecast import WINDOW, explain, forecast, number_text, rounded
from jiuye.monitoring.panels import Cell, Panel, Params, Table, rollups_missing
from jiuye.monitoring.recheck import next_recheck_on
from jiuye.monitoring.rollups import MonthRow, add_months, month_end, month_of
from jiuye.monitoring.series import series_of
from jiuye.standards import selectors
from jiuye.standards.indicators import INDICATORS
from jiuye.standards.rules import CriterionResult
from jiuye.standards.rulesets import RuleSetError

COLUMNS = (
    (gettext_lazy("编号"), 10),
    (gettext_lazy("指标"), 22),
    (gettext_lazy("数值"), 10),
    (gettext_lazy("分子"), 10),
    (gettext_lazy("分母"), 10),
    (gettext_lazy("标准"), 12),
    (gettext_lazy("结果"), 10),
    (gettext_lazy("差距"), 22),
    (gettext_lazy("预测值"), 10),
    (gettext_lazy("预测说明"), 60),
)


@dataclass(frozen=True)
class Target:
    on: date
    text: str  # which date it is, in words
    certified: bool


def forecast_target(*, user: Any, p: Params) -> Target:
    """The unit's next re-check under the rule set (its certification in force at the date),
    else the end of the date's year (the year's acceptance)."""
    assert p.ruleset is not None
    found = selectors.certifications_in_force(
        user=user, ruleset=p.ruleset.id, on=p.on, unit_ids=[p.unit.pk]
    ).get(p.unit.pk)
    year_end = date(p.on.year, 12, 31)
    if found is not None:
        due = next_recheck_on(certification=found, on=p.on)
        if due is not None:
            return Target(
                due,
                _("已于 %(certified)s 认定：预测至下次复查日 %(due)s")
                % {"certified": found.certified_on.isoformat(), "due": due.isoformat()},
                True,
            )
        return Target(
            year_end,
            _("已认定，但该标准没有复查安排：预测至本年末 %(on)s") % {"on": year_end.isoformat()},
            True,
        )
    return Target(
        year_end,
        _("未认定：预测至本年度验收截止日 %(on)s") % {"on": year_end.isoformat()},
        False,
    )


def fitted_months(p: Params) -> list[MonthRow] | None:
    """The last :data:`WINDOW` months that have ended by the date (and by today)."""
    anchor = p.anchor
    last = month_of(anchor)
    if month_end(last) != anchor:
        last = add_months(last, -1)
    return rollups.unit_months(unit=p.unit, last=month_end(last), count=WINDOW)


def _value_text(value: float | int | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "ratio":
        return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"
    return str(value)


def _result(r: CriterionResult) -> tuple[str, str]:
    """The criterion's result in words, and the row's state (for its colour)."""
    if r.passed is True:
        return _("达标"), "pass"
    if r.passed is False:
        return _("未达标"), "fail"
    if r.unavailable is not None:
        return _("待定"), "undecided"
    return _("无法评估"), "undecided"


def _forecast_cells(
    r: CriterionResult, months: list[MonthRow] | None, target: Target, p: Params
) -> tuple[str, str]:
    info = INDICATORS[r.criterion.indicator]
    series = series_of(r.criterion.indicator)
    if series is None:
        return "", _("“%(label)s”没有月度数据（按评估期内的记录计算），不作预测。") % {
            "label": info.label
        }
    if months is None:
        return "", rollups_missing()
    if target.on < p.on:
        return "", _("复查日 %(on)s 已过，复查尚未进行，不作预测。") % {"on": target.on.isoformat()}
    found = forecast(
        [(row.month, series.value(row.values)) for row in months],
        target=target.on,
        kind=series.kind,
    )
    threshold_text = f"{r.criterion.op} {_value_text(r.criterion.threshold_number, series.kind)}"
    text = explain(
        found,
        kind=series.kind,
        unit=str(series.unit),
        op=r.criterion.op,
        threshold=r.criterion.threshold,
        threshold_text=threshold_text,
    )
    if found.value is None:
        return "", text
    return number_text(rounded(found.value, series.kind), series.kind, str(series.unit)), text


def standing_panel(*, user: Any, p: Params) -> Panel:
    panel = Panel("standing", _("达标情况与预测"))
    if p.ruleset is None:
        panel.notices.append(
            _("没有标准评估%(level)s（标准只评估社区、街道和区）。")
            % {"level": p.unit.get_level_display()}
        )
        return panel
    try:
        e = selectors.evaluation(
            user=user, unit=p.unit, ruleset=p.ruleset, on=p.on, level_key=p.level_key
        )
    except RuleSetError as error:
        panel.notices.append(str(error))
        return panel
    target = forecast_target(user=user, p=p)
    months = fitted_months(p)
    rows: list[list[Cell]] = []
    states: list[str] = []
    for r in e.results:
        info = INDICATORS[r.criterion.indicator]
        result, state = _result(r)
        value, text = _forecast_cells(r, months, target, p)
        rows.append(
            [
                r.criterion.id,
                str(info.label),
                _value_text(r.value, info.kind),
                r.numerator,
                r.denominator,
                f"{r.criterion.op} {_value_text(r.criterion.threshold_number, info.kind)}",
                result,
                info.gap_text(r.gap),
                value,
                text,
            ]
        )
        states.append(state)
    panel.table = Table(_("达标情况"), [(str(h), w) for h, w in COLUMNS], rows, states=states)
    panel.extra = {
        "evaluation": e,
        "target": target,
        "standards_url": reverse("standards:unit", args=[p.unit.code]) + "?" + p.query(),
    }
    panel.note = _("%(ruleset)s · %(level)s · 评估期 %(start)s 至 %(end)s。") % {
        "ruleset": e.ruleset.name,
        "level": e.level.name,
        "start": e.period.start.isoformat(),
        "end": e.period.end.isoformat(),
    }
    return panel
