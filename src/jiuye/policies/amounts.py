"""A policy's amount from its catalog entry and the inputs of one case (DOMAIN §9), stated once:
the eligibility lists, the applications and the approval's frozen inputs all call
:func:`amount_for`, so every amount is traceable to its rule version, parameter value and
inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from jiuye.policies.catalog import Policy, parameters

CENT = Decimal("0.01")


@dataclass
class Computed:
    amount: Decimal | None  # None: not owed (no tier reached), or left to the application
    inputs: dict[str, Any] = field(default_factory=dict)
    words: str = ""
    problem: str = ""  # why a declared amount is refused


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parameter_value(policy: Policy, on: date) -> tuple[date, Decimal] | None:
    name = policy.amount.parameter
    return parameters()[name].value_on(on) if name else None


def unit_amount(policy: Policy, on: date) -> Decimal | None:
    """The amount per beneficiary (or per head) that does not depend on the case: fixed,
    per head, or the share of the parameter in force at ``on``; None otherwise."""
    a = policy.amount
    if a.kind in ("fixed", "per_head"):
        return a.amount
    if a.kind == "parameter":
        found = parameter_value(policy, on)
        return _money(found[1] * a.share) if found else None
    return None


def tier_for(policy: Policy, heads: int) -> tuple[int, Decimal] | None:
    reached = [t for t in policy.amount.tiers if heads >= t[0]]
    return reached[-1] if reached else None


def min_heads(policy: Policy) -> int:
    """The fewest heads that are owed anything (the lowest tier; one otherwise)."""
    return policy.amount.tiers[0][0] if policy.amount.kind == "tiers" else 1


def amount_for(
    policy: Policy,
    on: date,
    *,
    heads: int | None = None,
    declared: Decimal | None = None,
    reward: Decimal | None = None,
) -> Computed:
    a = policy.amount
    inputs: dict[str, Any] = {"amount_kind": a.kind}
    if heads is not None:
        inputs["heads"] = heads
    if a.kind == "reward":
        inputs["reward"] = str(reward) if reward is not None else None
        return Computed(reward, inputs, _("认定奖励 %(n)s 元") % {"n": reward})
    if a.kind == "tiers":
        tier = tier_for(policy, heads or 0)
        inputs["tiers"] = [[n, str(v)] for n, v in a.tiers]
        if tier is None:
            return Computed(None, inputs, _("%(n)s 人，未达到最低档") % {"n": heads or 0})
        inputs["tier"] = [tier[0], str(tier[1])]
        words = _("%(n)s 人，达到%(tier)s人档：%(amount)s 元") % {
            "n": heads,
            "tier": tier[0],
            "amount": tier[1],
        }
        return Computed(tier[1], inputs, words)
    if a.kind == "range":
        inputs["range"] = [str(a.min), str(a.max)]
        if declared is None:
            return Computed(
                None, inputs, _("金额按申报（%(lo)s–%(hi)s 元）") % {"lo": a.min, "hi": a.max}
            )
        inputs["declared"] = str(declared)
        if (a.min is not None and declared < a.min) or (a.max is not None and declared > a.max):
            problem = _("申报金额须在 %(lo)s 至 %(hi)s 元之间") % {"lo": a.min, "hi": a.max}
            return Computed(None, inputs, "", problem)
        return Computed(_money(declared), inputs, _("申报金额 %(n)s 元") % {"n": declared})
    if a.kind == "declared_share":
        inputs["share"] = str(a.share)
        if declared is None:
            return Computed(None, inputs, _("按申报金额的 %(p)s%% 计") % {"p": a.share * 100})
        inputs["declared"] = str(declared)
        if declared <= 0:
            return Computed(None, inputs, "", _("申报金额须大于零"))
        value = _money(declared * a.share)
        if a.max is not None:
            value = min(value, a.max)
        words = _("申报 %(d)s 元 × %(p)s%% = %(n)s 元") % {
            "d": declared,
            "p": a.share * 100,
            "n": value,
        }
        return Computed(value, inputs, words)
    per = unit_amount(policy, on)
    if a.kind == "parameter":
        found = parameter_value(policy, on)
        param = parameters()[str(a.parameter)]
        inputs["parameter"] = {
            "id": param.id,
            "from": found[0].isoformat() if found else None,
            "value": str(found[1]) if found else None,
            "example": param.example,
        }
        inputs["share"] = str(a.share)
        if found is None:
            return Computed(None, inputs, "", _("%(p)s 在该日期尚无取值") % {"p": param.name})
    if per is None:
        return Computed(None, inputs)
    count = heads if heads is not None else 1
    value = _money(per * count)
    if a.kind == "parameter":
        found = parameter_value(policy, on)
        assert found is not None
        param = parameters()[str(a.parameter)]
        share = "" if a.share == 1 else f" × {a.share * 100:g}%"
        words = _("%(name)s %(value)s 元（%(since)s起）%(share)s") % {
            "name": param.name,
            "value": found[1],
            "since": found[0].isoformat(),
            "share": share,
        }
    else:
        words = _("%(per)s 元") % {"per": per}
    if heads is not None:
        words += _(" × %(n)s 人") % {"n": heads}
    return Computed(value, inputs, words + _(" = %(v)s 元") % {"v": value})
