"""How the warning pages say a warning's facts and a rule's measure, thresholds and parameters
in words (the rule book and the detectors keep them as data with English keys)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from jiuye.casework.models import ServiceKind
from jiuye.lib.text import join_list
from jiuye.monitoring.rulebook import RuleBookError, WarningRule, rulebook
from jiuye.units.models import Level

# The facts a detector stores with a warning (``detectors``), by key.
FACT_LABELS: dict[str, Any] = {
    "month": _("月份"),
    "before": _("上月末登记失业人数"),
    "now": _("本月末登记失业人数"),
    "rise": _("环比上升"),
    "households": _("户数"),
    "persons": _("人员数"),
    "since": _("统计起始日期"),
    "ruleset": _("标准"),
    "level": _("层级"),
    "recheck": _("复核日期"),
    "days": _("距复核天数"),
    "failing": _("未达标指标"),
    "employers_reported": _("裁员达到报告标准的用人单位"),
    "employers_abnormal": _("因异常原因规模裁员的用人单位"),
    "laid_off": _("裁员人数"),
    "largest": _("单家最多裁员人数"),
}
PERCENT_FACTS = frozenset({"rise"})

# What a rule's measure is, by its name in the rule book.
MEASURE_LABELS: dict[str, Any] = {
    "rise": _("登记失业人数环比上升幅度"),
    "days_overdue": _("超过消除期限的天数"),
    "days_open": _("零就业家庭出现后的天数"),
    "severity": _("裁员严重程度"),
    "days_to_recheck": _("距下次复核的天数"),
    "services": _("期间内服务次数"),
}
PERCENT_MEASURES = frozenset({"rise"})

PARAM_LABELS: dict[str, Any] = {
    "units": _("适用单位层级"),
    "min_base": _("上月末最少人数"),
    "urban_only": _("仅城镇户籍"),
    "window_days": _("统计天数"),
    "window_months": _("统计月数"),
    "abnormal_reasons": _("异常裁员原因"),
    "employers": _("同时裁员单位数"),
    "each_over": _("每家裁员超过人数"),
    "each_share": _("每家裁员超过比例"),
    "single": _("单家一次裁员人数"),
    "notice_people": _("须提前报告的裁员人数"),
    "notice_share": _("须提前报告的裁员比例"),
    "services": _("计入的服务类型"),
}

# Parameters whose values are choices, shown by their labels (an unknown value as it is).
PARAM_CHOICES: dict[str, Any] = {"units": Level, "services": ServiceKind}


def rules_by_id() -> dict[str, WarningRule]:
    """The rule book's rules by id (a broken rule book: none; the warnings still show)."""
    try:
        return {rule.id: rule for rule in rulebook().rules}
    except RuleBookError:
        return {}


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:g}%"
    return f"{value:g}"


def _value(value: Any, percent: bool = False) -> str:
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, (int, float)):
        return _number(float(value), percent)
    if isinstance(value, (list, tuple)):
        return join_list(_value(v) for v in value)
    if isinstance(value, Mapping):
        return join_list(f"{k}: {_value(v)}" for k, v in value.items())
    return "—" if value is None or value == "" else str(value)


def fact_rows(facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of a warning's facts, in the order the detector gave them."""
    if not isinstance(facts, Mapping):
        return []
    return [
        (str(FACT_LABELS.get(key, key)), _value(value, key in PERCENT_FACTS))
        for key, value in facts.items()
    ]


def _param(key: str, value: Any) -> str:
    choices = PARAM_CHOICES.get(key)
    if choices is not None and isinstance(value, (list, tuple)):
        labels = dict(choices.choices)
        return join_list(labels.get(str(v), str(v)) for v in value)
    return _value(value, key.endswith("_share"))


def rule_view(rule: WarningRule) -> dict[str, Any]:
    """A rule as the pages show it: its measure in words, each level's threshold, its
    parameters, and what data it waits for."""
    percent = rule.measure in PERCENT_MEASURES
    return {
        "rule": rule,
        "measure": str(MEASURE_LABELS.get(rule.measure, rule.measure)),
        "thresholds": [
            {
                "level": t.level.value,
                "label": t.level.label,
                "text": f"{rule.op} {_number(t.value, percent)}",
            }
            for t in reversed(rule.levels)  # the most severe first
        ],
        "params": [
            (str(PARAM_LABELS.get(key, key)), key, _param(key, value))
            for key, value in rule.params.items()
        ],
        "waiting_for": rule.waiting_for,
    }
