"""The demo's certifications, taken through the real workflow (DOMAIN §7) so every one has its
steps and frozen snapshots: at the year-end before the data's "today", each community that
passes HD-C applies, self-assesses, is reviewed by its street and accepted by the district,
then each street that passes HD-S given those. And one application of the current year waits
in the demo street reviewer's queue, so the review step has something to show.
"""

from __future__ import annotations

from datetime import date

from jiuye.accounts.models import User
from jiuye.certification import services
from jiuye.certification.models import Application
from jiuye.standards.evaluation import evaluate_units
from jiuye.standards.rulesets import RuleSet
from jiuye.units.models import Unit

NOTE = "演示数据：按年末评估结果走完认定流程"


def certify_passing_units(*, ruleset: RuleSet, level: str, on: date) -> int:
    """Take every unit passing ``level`` at ``on`` through the workflow (as the system);
    units with an application for that year are left as they are. Returns how many were
    certified now."""
    done = set(
        Application.objects.filter(ruleset=ruleset.id, level=level, year=on.year).values_list(
            "unit_id", flat=True
        )
    )
    certified = 0
    for result in evaluate_units(root=None, ruleset=ruleset, on=on, level_key=level):
        if not result.passed or result.unit.pk in done:
            continue
        application = services.certification_apply(
            actor=None, unit=result.unit, ruleset=ruleset, year=on.year, level_key=level, on=on
        )
        services.certification_submit(actor=None, application=application, note=NOTE, on=on)
        if services.needs_review(result.unit):
            services.certification_review(
                actor=None, application=application, passed=True, note=NOTE, on=on
            )
        services.certification_accept(
            actor=None, application=application, passed=True, note=NOTE, on=on
        )
        certified += 1
    return certified


def open_application(*, ruleset: RuleSet, worker: User, on: date) -> Application | None:
    """The demo worker's community applies for ``on``'s year and submits its self-assessment
    (once): it then waits for the demo street reviewer."""
    unit: Unit | None = worker.units.order_by("code").first()
    if unit is None:
        return None
    found = Application.objects.filter(unit=unit, ruleset=ruleset.id, year=on.year).first()
    if found is not None:
        return found
    application = services.certification_apply(
        actor=worker, unit=unit, ruleset=ruleset, year=on.year, on=on
    )
    services.certification_submit(
        actor=worker, application=application, note="本社区自评，请街道初核", on=on
    )
    return application
