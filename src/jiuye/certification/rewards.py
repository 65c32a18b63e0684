"""The rewards payable for a year (奖励资金, DOMAIN §6), computed from the certifications and
re-checks, never typed: for every ``[[reward]]`` of every rule set's programme,

- ``certified``: one row per ``standards.Certification`` of that rule set and level whose
  ``year`` is the year; the certified unit is paid;
- ``per_child``: one row per such certification, paid to the certified unit's parent (CQ-2007:
  2,000 yuan to the street for each community certified);
- ``stay``: one row per ``certification.Recheck`` of the year that kept a certification of that
  rule set and level (a re-check that revoked it pays nothing).

A row is within a user's jurisdiction when the certified unit is: the payee is that unit or
its parent, so a payee under the jurisdiction always brings its certified unit with it. A
community worker sees the rows of their own community's certifications (its street's share
included); the district sees all. Amounts are not personal data (``personal=False``).

The policies ledger (a later issue) will take these rows as its payments due; keep
:class:`RewardRow` the one description of a reward owed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from jiuye.certification.models import Recheck
from jiuye.certification.programme import Reward, programme
from jiuye.standards.models import Certification
from jiuye.standards.rulesets import RuleSet, rulesets
from jiuye.units.models import Unit
from jiuye.units.scope import scope_to_jurisdiction


@dataclass(frozen=True)
class RewardRow:
    payee: Unit
    unit: Unit  # the certified unit the reward is for (the payee's child for ``per_child``)
    ruleset: str
    level_name: str  # the rule set level's name
    reward: Reward
    basis: str  # what the reward is paid for, in words
    basis_on: date  # the certification's or the re-check's date
    amount: int  # yuan


@dataclass(frozen=True)
class PayeeTotal:
    payee: Unit
    rows: list[RewardRow]

    @property
    def total(self) -> int:
        return sum(row.amount for row in self.rows)


@dataclass(frozen=True)
class RewardList:
    year: int
    rows: list[RewardRow]
    payees: list[PayeeTotal]
    total: int


def _level_name(ruleset: RuleSet, key: str) -> str:
    found = ruleset.levels.get(key)
    return found.name if found else key


def _for_certifications(
    ruleset: RuleSet, rewards: Iterable[Reward], certifications: Iterable[Certification]
) -> list[RewardRow]:
    rows = []
    for c in certifications:
        for reward in rewards:
            if reward.level != c.level or reward.kind not in ("certified", "per_child"):
                continue
            payee = c.unit if reward.kind == "certified" else c.unit.parent
            if payee is None:  # a top unit has no parent to pay
                continue
            basis = _("%(unit)s %(year)s 年度认定") % {"unit": c.unit, "year": c.year}
            rows.append(
                RewardRow(
                    payee,
                    c.unit,
                    ruleset.id,
                    _level_name(ruleset, reward.level),
                    reward,
                    basis,
                    c.certified_on,
                    reward.amount,
                )
            )
    return rows


def _for_rechecks(
    ruleset: RuleSet, rewards: Iterable[Reward], rechecks: Iterable[Recheck]
) -> list[RewardRow]:
    rows = []
    for r in rechecks:
        c = r.certification
        for reward in rewards:
            if reward.kind != "stay" or reward.level != c.level:
                continue
            basis = _("%(unit)s %(year)s 年度复核保留") % {"unit": c.unit, "year": r.year}
            if r.undecided:  # kept for want of data: said, and left to the payer
                basis += _("（复核待定）")
            level_name = _level_name(ruleset, reward.level)
            rows.append(
                RewardRow(
                    c.unit, c.unit, ruleset.id, level_name, reward, basis, r.on, reward.amount
                )
            )
    return rows


def rewards_payable(*, user: Any, year: int) -> RewardList:
    """The year's rewards within ``user``'s jurisdiction: two queries for all rule sets."""
    sets = rulesets()
    rewards = {rid: programme(rs).rewards for rid, rs in sets.items()}
    certs = Certification.objects.filter(year=year, ruleset__in=list(rewards))
    certs = scope_to_jurisdiction(certs, user, personal=False).select_related("unit__parent")
    rechecks = Recheck.objects.filter(year=year, kept=True, certification__ruleset__in=list(sets))
    rechecks = scope_to_jurisdiction(rechecks, user, personal=False).select_related(
        "certification__unit"
    )
    by_ruleset: dict[str, tuple[list[Certification], list[Recheck]]] = {
        rid: ([], []) for rid in sets
    }
    for c in certs:
        by_ruleset[c.ruleset][0].append(c)
    for r in rechecks:
        by_ruleset[r.certification.ruleset][1].append(r)
    rows: list[RewardRow] = []
    for rid, (found_certs, found_rechecks) in by_ruleset.items():
        rows += _for_certifications(sets[rid], rewards[rid], found_certs)
        rows += _for_rechecks(sets[rid], rewards[rid], found_rechecks)
    rows.sort(key=lambda r: (r.payee.code, r.ruleset, r.reward.id, r.unit.code))
    payees: dict[int, PayeeTotal] = {}  # in the rows' order: by payee code
    for row in rows:
        payees.setdefault(row.payee.pk, PayeeTotal(row.payee, [])).rows.append(row)
    return RewardList(year, rows, list(payees.values()), sum(r.amount for r in rows))
