"""What a rule set file says about the programme around certification (DOMAIN §6–7), read
from its ``[recheck]``, ``[[campaign]]`` and ``[[reward]]`` tables (see
``standards/rulesets/hd-2012.toml``): when certified units are re-checked, the campaign's dated
targets, and the reward amounts. Data, never typed into code: a district changes an amount or
adds a target in its own rule set file (``JIUYE_RULESETS_DIR``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, Literal

from jiuye.standards.rules import threshold_fraction
from jiuye.standards.rulesets import RuleSet, RuleSetError

RewardKind = Literal["certified", "stay", "per_child"]
REWARD_KINDS: tuple[RewardKind, ...] = ("certified", "stay", "per_child")


@dataclass(frozen=True)
class RecheckRule:
    """Certified units are re-checked once a year, by ``by`` (month, day); a unit is due when
    certified at least ``min_days`` before the re-check's date, in an earlier year."""

    by: tuple[int, int]
    min_days: int
    rule: str = ""

    def due_date(self, year: int) -> date:
        """The day of ``year`` the re-check is due by ("02-28": the last day of February)."""
        month, day = self.by
        if month == 2 and day >= 28:
            day = calendar.monthrange(year, 2)[1]
        return date(year, month, day)


@dataclass(frozen=True)
class Target:
    """A campaign target: by ``by``, at least ``share`` of the units of ``units`` levels (under
    the root) hold a certification of ``level`` in force."""

    id: str
    text: str
    level: str
    units: tuple[str, ...]
    by: date
    share: Fraction


@dataclass(frozen=True)
class Reward:
    """An amount in yuan: ``certified`` once for a certification's year, ``stay`` for each
    year a re-check keeps it, ``per_child`` to the parent unit for each certification."""

    id: str
    text: str
    level: str
    kind: RewardKind
    amount: int
    range: tuple[int, int] | None = None


@dataclass(frozen=True)
class Programme:
    recheck: RecheckRule | None
    targets: tuple[Target, ...]
    rewards: tuple[Reward, ...]


def _where(ruleset: RuleSet) -> str:
    return ruleset.path or ruleset.id


def _recheck(ruleset: RuleSet, raw: Any) -> RecheckRule | None:
    if raw is None:
        return None
    where = f"{_where(ruleset)} [recheck]"
    try:
        month, day = (int(x) for x in str(raw.get("by", "12-31")).split("-"))
        date(2024, month, day)  # a leap year: 02-29 is a day
        min_days = int(raw.get("min_days", 0))
    except (ValueError, TypeError, AttributeError) as error:
        raise RuleSetError(f"{where}: {error}") from None
    if min_days < 0:
        raise RuleSetError(f"{where}: min_days must not be negative")
    return RecheckRule(by=(month, day), min_days=min_days, rule=str(raw.get("rule", "")))


def _target(ruleset: RuleSet, raw: Any) -> Target:
    where = f"{_where(ruleset)} [[campaign]] {raw.get('id', '?')}"
    try:
        level = ruleset.levels[str(raw["level"])]
        by = raw["by"]
        if not isinstance(by, date):
            by = date.fromisoformat(str(by))
        share = threshold_fraction(raw["share"])
    except (KeyError, ValueError, TypeError) as error:
        raise RuleSetError(f"{where}: {error}") from None
    units = tuple(raw.get("units", level.units))
    if not set(units) <= set(level.units):
        raise RuleSetError(f"{where}: units must be some of {list(level.units)}")
    if not 0 < share <= 1:
        raise RuleSetError(f"{where}: share must lie in (0, 1]")
    return Target(str(raw["id"]), str(raw.get("text", "")), level.key, units, by, share)


def _reward(ruleset: RuleSet, raw: Any) -> Reward:
    where = f"{_where(ruleset)} [[reward]] {raw.get('id', '?')}"
    try:
        level = ruleset.levels[str(raw["level"])].key
        kind = raw["kind"]
        amount = int(raw["amount"])
        span = raw.get("range")
        bounds = (int(span[0]), int(span[1])) if span is not None else None
    except (KeyError, ValueError, TypeError, IndexError) as error:
        raise RuleSetError(f"{where}: {error}") from None
    if kind not in REWARD_KINDS:
        raise RuleSetError(f"{where}: kind must be one of {', '.join(REWARD_KINDS)}")
    if amount < 0 or (bounds and not bounds[0] <= amount <= bounds[1]):
        raise RuleSetError(f"{where}: the amount {amount} lies outside its range {bounds}")
    return Reward(str(raw["id"]), str(raw.get("text", "")), level, kind, amount, bounds)


def programme(ruleset: RuleSet) -> Programme:
    """The rule set's re-check rule, campaign targets and rewards (a broken table is a
    :class:`RuleSetError` naming the file and the entry)."""
    extra = ruleset.extra
    return Programme(
        recheck=_recheck(ruleset, extra.get("recheck")),
        targets=tuple(_target(ruleset, t) for t in extra.get("campaign", [])),
        rewards=tuple(_reward(ruleset, r) for r in extra.get("reward", [])),
    )
