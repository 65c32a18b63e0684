"""``jiuye demo`` certifies, as of the year-end before the data's today, exactly the communities
the engine finds passing HD-C, then the streets passing HD-S given those; again changes nothing."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from jiuye.demo.generator import DEFAULT_TODAY
from jiuye.standards.evaluation import evaluate_units
from jiuye.standards.models import Certification
from jiuye.standards.rulesets import ruleset_get
from jiuye.units.models import Unit


@pytest.mark.django_db
@override_settings(DEMO_MODE=True)
def test_demo_certifies_what_passed_at_the_previous_year_end() -> None:
    out = StringIO()
    call_command("demo", persons=3000, seed=3, stdout=out)
    on = date(DEFAULT_TODAY.year - 1, 12, 31)
    hd = ruleset_get("HD-2012")
    district = Unit.objects.get(parent__isnull=True)
    for level in ("community", "street"):
        results = evaluate_units(root=district, ruleset=hd, on=on, level_key=level)
        assert results
        passing = {r.unit.code for r in results if r.passed}
        certified = set(
            Certification.objects.filter(ruleset="HD-2012", level=level).values_list(
                "unit__code", flat=True
            )
        )
        assert certified == passing, level
    assert set(Certification.objects.values_list("certified_on", "year", "revoked_on")) <= {
        (on, on.year, None)
    }
    assert Certification.objects.filter(level="community").exists()
    assert f"certified as of {on.isoformat()}" in out.getvalue()
    # Each through the workflow (issue 14): an application with its steps and snapshots.
    from jiuye.certification.models import Application

    for c in Certification.objects.all():
        application = Application.objects.get(certification=c)
        steps = [s.step for s in application.steps.order_by("id")]
        expected = ["apply", "submit", "review", "accept"]
        assert steps == (expected if c.level == "community" else [*expected[:2], "accept"])
        assert application.steps.get(step="accept").snapshot["evaluation"]["passed"] is True
    waiting = Application.objects.get(year=DEFAULT_TODAY.year)
    assert (waiting.state, waiting.unit.code) == ("submitted", _worker_unit())

    before = Certification.objects.count(), Application.objects.count()
    call_command("demo", stdout=StringIO())
    assert (Certification.objects.count(), Application.objects.count()) == before


def _worker_unit() -> str:
    from jiuye.accounts.models import User

    return User.objects.get(username="community_worker").units.get().code
