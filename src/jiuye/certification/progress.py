"""Campaign progress (创建活动, DOMAIN §7): for each dated target of a rule set's programme and
each root of the user's jurisdiction, how many units of the target's unit levels lie under the
root, how many hold a certification of the target's level in force on the target's date and
today, and a verdict.

A certification is in force on a day D when ``certified_on <= D`` and it was not revoked by
then: the reading of ``standards.evaluation.certifications_in_force``. The units are counted
including the root itself, so a district target read by the district counts the district, and a
street target read by a street's reviewer is about their own street only (one unit).

Counts of units are not personal data: every role with a unit (the administrators and the
auditor sit at the district) sees them for its own jurisdiction. Set-based: one query for the
units under the roots and one for the rule set's certifications among them, whatever the
number of targets, roots and units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiuye.certification.programme import Target, programme
from jiuye.standards.models import Certification
from jiuye.standards.rulesets import RuleSet
from jiuye.units.models import Unit
from jiuye.units.scope import member_units, units_visible

# The verdicts: judged on the target's date once it has passed, on today's share before.
MET, MISSED, ON_TRACK, BEHIND, NONE = "met", "missed", "on_track", "behind", "none"
VERDICTS = {
    MET: _("已达成"),
    MISSED: _("未达成"),
    ON_TRACK: _("进度达标"),
    BEHIND: _("进度落后"),
    NONE: _("无此层级单位"),
}


def percent(share: Fraction | None) -> str:
    return "—" if share is None else f"{float(share) * 100:.1f}%"


@dataclass(frozen=True)
class TargetProgress:
    target: Target
    root: Unit
    units: int  # units of the target's levels under the root (the root included)
    on_date: int  # of them, certified at the target's level in force on the target's date
    today: int  # ... in force today
    verdict: str
    past: bool  # the target's date has passed (the count on it is final)

    @property
    def share_on_date(self) -> Fraction | None:
        return Fraction(self.on_date, self.units) if self.units else None

    @property
    def share_today(self) -> Fraction | None:
        return Fraction(self.today, self.units) if self.units else None

    @property
    def shares(self) -> tuple[str, str, str]:
        """On the date, today and the target's, as percentages to show."""
        return percent(self.share_on_date), percent(self.share_today), percent(self.target.share)

    @property
    def verdict_label(self) -> str:
        return str(VERDICTS[self.verdict])


def roots(user: Any) -> list[Unit]:
    """The user's units, without those lying under another of them (counted once)."""
    kept: list[Unit] = []
    for unit in sorted(member_units(user), key=lambda u: len(u.path)):
        if not any(unit.is_within(k) for k in kept):
            kept.append(unit)
    return sorted(kept, key=lambda u: u.path)


def verdict(target: Target, *, units: int, on_date: int, now: int, today: date) -> str:
    if not units:
        return NONE
    if today > target.by:  # the date has passed: what held on it decides
        return MET if Fraction(on_date, units) >= target.share else MISSED
    return ON_TRACK if Fraction(now, units) >= target.share else BEHIND


def _in_force(certified_on: date, revoked_on: date | None, on: date) -> bool:
    return certified_on <= on and (revoked_on is None or revoked_on > on)


def campaign_progress(*, user: Any, ruleset: RuleSet, today: date) -> list[TargetProgress]:
    """One row per target and root of ``user``'s jurisdiction, in file order per root."""
    targets = programme(ruleset).targets
    tops = roots(user)
    if not targets or not tops:
        return []
    under = reduce(or_, (Q(path__startswith=root.path) for root in tops))
    units_qs = units_visible(user).filter(under, level__in={lv for t in targets for lv in t.units})
    units = list(units_qs.values_list("pk", "path", "level"))
    # Only what can be in force on some day asked: certified by the last, not revoked by the
    # first.
    days = [t.by for t in targets] + [today]
    certified = Certification.objects.filter(
        Q(revoked_on__isnull=True) | Q(revoked_on__gt=min(days)),
        ruleset=ruleset.id,
        level__in={t.level for t in targets},
        certified_on__lte=max(days),
        unit__in=units_qs.values("pk"),
    ).values_list("unit_id", "level", "certified_on", "revoked_on")
    by_unit: dict[tuple[int, str], list[tuple[date, date | None]]] = {}
    for unit_id, level, certified_on, revoked_on in certified:
        by_unit.setdefault((unit_id, level), []).append((certified_on, revoked_on))

    def held(unit_id: int, level: str, on: date) -> bool:
        return any(_in_force(c, r, on) for c, r in by_unit.get((unit_id, level), ()))

    rows: list[TargetProgress] = []
    for root in tops:
        for target in targets:
            mine = _units_of(units, root, target.units)
            on_date = sum(held(pk, target.level, target.by) for pk in mine)
            now = sum(held(pk, target.level, today) for pk in mine)
            found = verdict(target, units=len(mine), on_date=on_date, now=now, today=today)
            past = today > target.by
            rows.append(TargetProgress(target, root, len(mine), on_date, now, found, past))
    return rows


def _units_of(
    units: Sequence[tuple[int, str, str]], root: Unit, levels: tuple[str, ...]
) -> list[int]:
    return [pk for pk, path, level in units if path.startswith(root.path) and level in levels]


def rulesets_with_targets(found: dict[str, RuleSet]) -> list[RuleSet]:
    """The rule sets whose programme sets campaign targets, in their order."""
    return [rs for rs in found.values() if programme(rs).targets]
