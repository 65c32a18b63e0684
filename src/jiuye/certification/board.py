"""A community's public notice board (公示牌, DOMAIN §7): live, without login, and with no
personal data at all: only counts.

What it shows is read from the standards engine, never restated here:

- the figures (labor force, employed, registered unemployed, zero-employment families) are
  indicator values of a fact sheet at today: ``employment_rate``'s numerator and denominator
  (employed labor force / labor force), ``referral_twice_rate``'s denominator (the labor-force
  members registered unemployed at the date, DOMAIN §5) and the zero-family count the rule set
  itself uses (``zero_families_urban`` under CQ-2007, which counts urban families only, else
  ``zero_families``);
- the standing is ``evaluate_unit`` at today, each criterion as a value and a threshold;
- the certification is the ``standards.Certification`` in force today.

These are system reads (the board is everyone's): nothing of them that names a person leaves
this module, only numbers and the rule set's own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiuye.certification.formatting import criterion_rows, percent
from jiuye.certification.models import Application
from jiuye.standards.evaluation import certifications_in_force, criterion_json, evaluate_unit
from jiuye.standards.indicators import fact_sheet
from jiuye.standards.models import Certification
from jiuye.standards.rules import Level, Ratio
from jiuye.standards.rulesets import RuleSet, RuleSetError, ruleset_get
from jiuye.standards.selectors import rulesets_for
from jiuye.units.models import COMMUNITY_LEVELS, Unit

EMPLOYMENT = "employment_rate"
REGISTERED = "referral_twice_rate"
ZERO, ZERO_URBAN = "zero_families", "zero_families_urban"


def community_or_404(code: str) -> Unit:
    """The community or village of ``code`` (anything else has no board)."""
    unit = Unit.objects.filter(code=code, level__in=COMMUNITY_LEVELS).first()
    if unit is None:
        raise Http404("board")
    return unit


def _latest(unit: Unit, ruleset: str | None = None) -> tuple[str, str] | None:
    """(rule set, level) of the unit's most recent certification or certification application
    (the later year wins; within a year, the later date)."""
    certifications = Certification.objects.filter(unit=unit)
    applications = Application.objects.filter(unit=unit)
    if ruleset is not None:
        certifications = certifications.filter(ruleset=ruleset)
        applications = applications.filter(ruleset=ruleset)
    found: list[tuple[int, date, str, str]] = []
    certification = certifications.order_by("-year", "-certified_on", "-pk").first()
    if certification is not None:
        found.append(
            (
                certification.year,
                certification.certified_on,
                certification.ruleset,
                certification.level,
            )
        )
    application = applications.order_by("-year", "-created_at", "-pk").first()
    if application is not None:
        found.append(
            (
                application.year,
                timezone.localdate(application.created_at),
                application.ruleset,
                application.level,
            )
        )
    if not found:
        return None
    _year, _on, ruleset_id, level = max(found)
    return ruleset_id, level


def choose(unit: Unit, wanted: str | None) -> tuple[RuleSet, Level]:
    """The rule set and level of the board: ``wanted`` (``?ruleset=``; unknown or not for this
    unit: 404), else that of the unit's most recent certification or application, else the
    first rule set that applies to the unit. The level is the one the unit last applied for or
    was certified at under that rule set (a demonstration community), else its first."""
    ruleset: RuleSet | None = None
    if wanted:
        try:
            ruleset = ruleset_get(wanted)
        except RuleSetError:
            raise Http404("ruleset") from None
    else:
        latest = _latest(unit)
        if latest is not None:
            try:
                ruleset = ruleset_get(latest[0])
            except RuleSetError:  # a rule set file since withdrawn: fall through to the first
                ruleset = None
        if ruleset is None or not ruleset.levels_for(unit.level):
            choices = rulesets_for(unit)
            ruleset = choices[0] if choices else None
    if ruleset is None or not ruleset.levels_for(unit.level):
        raise Http404("ruleset")
    own = _latest(unit, ruleset.id)
    level = ruleset.levels.get(own[1]) if own else None
    if level is None or unit.level not in level.units:
        level = ruleset.levels_for(unit.level)[0]
    return ruleset, level


def _count(fact: Any) -> int | None:
    return fact if isinstance(fact, int) else None


@dataclass(frozen=True)
class Board:
    unit: Unit
    ruleset: RuleSet
    level: Level
    on: date
    period_start: date
    figures: list[dict[str, Any]]
    criteria: list[dict[str, Any]]
    criteria_passed: bool
    certification: dict[str, Any] | None
    parents: list[str]

    def context(self) -> dict[str, Any]:
        """What the templates read (also the cache's unit of work)."""
        return {
            "unit": self.unit,
            "ruleset": self.ruleset,
            "level": self.level,
            "on": self.on,
            "period_start": self.period_start,
            "figures": self.figures,
            "criteria": self.criteria,
            "criteria_passed": self.criteria_passed,
            "certification": self.certification,
            "parents": self.parents,
            "station": {
                "address": self.unit.station_address,
                "phone": self.unit.station_phone,
                "hours": self.unit.station_hours,
            },
        }


FIGURE_LABELS = {
    "labor_force": _("劳动力"),
    "employed": _("实现就业"),
    "registered_unemployed": _("登记失业人员"),
    "zero_families": _("零就业家庭"),
    "zero_families_urban": _("零就业家庭（城镇户籍）"),
}
PERSONS, HOUSEHOLDS = _("人"), _("户")


def _figures(unit: Unit, level: Level, on: date) -> list[dict[str, Any]]:
    used = {c.indicator for c in level.criteria}
    zero = ZERO_URBAN if ZERO_URBAN in used and ZERO not in used else ZERO
    sheet = fact_sheet(root=unit, on=on, indicators=(EMPLOYMENT, REGISTERED, zero))
    facts = sheet.facts_for(unit, (EMPLOYMENT, REGISTERED, zero))
    employment, registered = facts.get(EMPLOYMENT), facts.get(REGISTERED)
    rate = employment.value if isinstance(employment, Ratio) else None
    values = {
        "labor_force": employment.denominator if isinstance(employment, Ratio) else None,
        "employed": employment.numerator if isinstance(employment, Ratio) else None,
        "registered_unemployed": registered.denominator if isinstance(registered, Ratio) else None,
        zero: _count(facts.get(zero)),
    }
    return [
        {
            "key": key,
            "label": FIGURE_LABELS[key],
            "value": value,
            "unit": HOUSEHOLDS if key == zero else PERSONS,
            # The employment rate beside the employed (a value of the same indicator).
            "rate": percent(rate) if key == "employed" and rate is not None else "",
        }
        for key, value in values.items()
    ]


def board(*, unit: Unit, ruleset: RuleSet, level: Level, on: date) -> Board:
    """Everything the board shows of ``unit`` at ``on``: numbers and the rule set's words."""
    evaluation = evaluate_unit(unit=unit, ruleset=ruleset, on=on, level_key=level.key)
    certified = certifications_in_force(ruleset=ruleset.id, on=on, unit_ids=[unit.pk]).get(unit.pk)
    certification = None
    if certified is not None:
        certified_level = ruleset.levels.get(certified.level)
        certification = {
            "level": certified_level.name if certified_level else certified.level,
            "on": certified.certified_on,
            "year": certified.year,
        }
    parents = list(
        Unit.objects.filter(code__in=unit.path.strip("/").split("/")[:-1])
        .order_by("path")
        .values_list("name", flat=True)
    )
    return Board(
        unit=unit,
        ruleset=ruleset,
        level=level,
        on=on,
        period_start=evaluation.period.start,
        figures=_figures(unit, level, on),
        criteria=criterion_rows(criterion_json(r) for r in evaluation.results),
        criteria_passed=evaluation.criteria_passed,
        certification=certification,
        parents=parents,
    )
