"""A policy's amount and an application's frozen inputs, in words for the pages (the numbers
come from ``policies.amounts``; nothing is computed here that is not read from there)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiuye.policies.amounts import parameter_value, unit_amount
from jiuye.policies.catalog import Policy, parameters

# Where a beneficiary stands for a period (``eligibility.Row.state``), and who benefits: one
# set of words for the pages, the command and the API.
STATE_WORDS = {
    "": gettext_lazy("未申请"),
    "submitted": gettext_lazy("待审批"),
    "approved": gettext_lazy("已批准"),
    "paid": gettext_lazy("已支付"),
}
BENEFICIARY_WORDS = {
    "person": gettext_lazy("个人"),
    "employer": gettext_lazy("用人单位"),
    "unit": gettext_lazy("社区/街道/区"),
}


def _pct(share: Decimal | str) -> str:
    return f"{Decimal(str(share)) * 100:g}%"


def amount_words(policy: Policy, on: date) -> str:
    """How much, in words: fixed, a share of a parameter (its value in force at ``on`` and
    since when), tiers, a range, a share of the declared amount, a reward."""
    a = policy.amount
    if a.kind == "fixed":
        return _("%(n)s 元") % {"n": a.amount}
    if a.kind == "per_head":
        return _("每人 %(n)s 元") % {"n": a.amount}
    if a.kind == "parameter":
        param = parameters()[str(a.parameter)]
        found = parameter_value(policy, on)
        share = "" if a.share == 1 else f" × {_pct(a.share)}"
        per = _("（每人）") if policy.heads is not None else ""
        if found is None:
            return _("%(name)s%(share)s（%(day)s 尚无取值）") % {
                "name": param.name,
                "share": share,
                "day": on.isoformat(),
            }
        words = _("%(name)s%(share)s = %(v)s 元%(per)s（参数 %(p)s 元，%(since)s 起）") % {
            "name": param.name,
            "share": share,
            "v": unit_amount(policy, on),
            "per": per,
            "p": found[1],
            "since": found[0].isoformat(),
        }
        if param.example:
            words += " " + _("示例值")
        return words
    if a.kind == "tiers":
        return "；".join(_("%(n)s 人及以上 %(v)s 元") % {"n": n, "v": v} for n, v in a.tiers)
    if a.kind == "range":
        return _("按申报金额，%(lo)s 至 %(hi)s 元") % {"lo": a.min, "hi": a.max}
    if a.kind == "declared_share":
        words = _("申报金额的 %(p)s") % {"p": _pct(a.share)}
        if a.max is not None:
            words += _("，最高 %(n)s 元") % {"n": a.max}
        return words
    return _("按认定奖励规则的金额")


def inputs_rows(inputs: dict[str, Any]) -> list[tuple[str, str]]:
    """An application's or entitlement's frozen inputs as (label, value) rows a reader
    understands; the persons counted appear as a number, never as ids."""
    rows: list[tuple[str, str]] = []
    for text in inputs.get("conditions", []) or []:
        rows.append((_("条件"), str(text)))
    param = inputs.get("parameter")
    if isinstance(param, dict):
        known = parameters().get(str(param.get("id")))
        name = known.name if known else str(param.get("id"))
        value = _("%(name)s %(v)s 元（%(since)s 起）") % {
            "name": name,
            "v": param.get("value"),
            "since": param.get("from"),
        }
        if param.get("example"):
            value += " " + _("示例值")
        rows.append((_("参数"), value))
    if "share" in inputs:
        rows.append((_("比例"), _pct(inputs["share"])))
    if "heads" in inputs:
        rows.append((_("人数"), str(inputs["heads"])))
    if isinstance(inputs.get("tier"), list | tuple) and len(inputs["tier"]) == 2:
        n, v = inputs["tier"]
        rows.append((_("达到档次"), _("%(n)s 人档：%(v)s 元") % {"n": n, "v": v}))
    if isinstance(inputs.get("range"), list | tuple) and len(inputs["range"]) == 2:
        lo, hi = inputs["range"]
        rows.append((_("金额范围"), f"{lo}–{hi}"))
    if inputs.get("declared") is not None:
        rows.append((_("申报金额（元）"), str(inputs["declared"])))
    if inputs.get("reward") is not None:
        rows.append((_("认定奖励（元）"), str(inputs["reward"])))
    for key, label in (
        ("ruleset", _("认定标准")),
        ("reward_id", _("奖励条目")),
        ("certified_unit", _("认定单位代码")),
        ("basis_on", _("认定日期")),
        ("on", _("认定日期")),
    ):
        if inputs.get(key):
            rows.append((label, str(inputs[key])))
    if inputs.get("policy_digest"):
        rows.append((_("政策文本摘要"), str(inputs["policy_digest"])[:12]))
    return rows
