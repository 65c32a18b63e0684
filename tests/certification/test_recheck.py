"""The yearly re-check (DOMAIN §6–7): HD-2012 re-checks units certified a year or more, by the
end of February; CQ-2007 once a year. Failing units lose the title from the re-check's date
(dated, so the past stays answerable); each re-check keeps a snapshot and tells the unit; a
second run changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from jiuye.certification import services as cert
from jiuye.certification.models import Notice, Recheck
from jiuye.certification.programme import programme
from jiuye.standards import services as std
from jiuye.standards.evaluation import certifications_in_force
from jiuye.standards.models import Certification
from jiuye.standards.rulesets import ruleset_get

D = date


def _certify(tree: dict[str, Any], unit: str, ruleset: str, on: date, level: str = "community"):
    return std.certification_create(
        actor=None,
        unit=tree[unit],
        ruleset=ruleset_get(ruleset),
        level=level,
        year=on.year,
        certified_on=on,
    )


# certified_on → due at the HD re-check of 2026-02-28 (a year or more: on or before 2025-02-28)
HD_DUE = {
    "a year and a day": (D(2025, 2, 27), True),
    "exactly a year": (D(2025, 2, 28), True),
    "a day short of a year": (D(2025, 3, 1), False),
    "certified this year": (D(2026, 1, 5), False),
}


@pytest.mark.parametrize(("certified_on", "due"), HD_DUE.values(), ids=HD_DUE)
def test_hd_due_a_year_after(tree: dict[str, Any], certified_on: date, due: bool) -> None:
    c = _certify(tree, "b", "HD-2012", certified_on)
    found = cert.due_certifications(ruleset=ruleset_get("HD-2012"), on=D(2026, 2, 28))
    assert (c in found) is due


# CQ: once a year, every unit certified in an earlier year.
CQ_DUE = {
    "last year's end": (D(2025, 12, 31), True),
    "last January": (D(2025, 1, 2), True),
    "this year": (D(2026, 3, 1), False),
}


@pytest.mark.parametrize(("certified_on", "due"), CQ_DUE.values(), ids=CQ_DUE)
def test_cq_due_once_a_year(tree: dict[str, Any], certified_on: date, due: bool) -> None:
    c = _certify(tree, "b", "CQ-2007", certified_on)
    found = cert.due_certifications(ruleset=ruleset_get("CQ-2007"), on=D(2026, 12, 20))
    assert (c in found) is due


def test_due_dates_from_the_rule_set() -> None:
    hd = programme(ruleset_get("HD-2012")).recheck
    assert hd is not None
    assert hd.due_date(2027) == D(2027, 2, 28) and hd.due_date(2028) == D(2028, 2, 29)
    cq = programme(ruleset_get("CQ-2007")).recheck
    assert cq is not None and cq.due_date(2026) == D(2026, 12, 31)


def test_recheck_keeps_and_revokes(
    tree: dict[str, Any], personas: dict[str, Any], person: Callable[..., Any]
) -> None:
    """A drifts below HD-C1 after its certification; B (nobody) still passes; the street S1
    then has 0 of 2 certified and loses its title too, in the same run."""
    on = D(2026, 2, 27)
    a = _certify(tree, "a", "HD-2012", D(2024, 12, 31))
    b = _certify(tree, "b", "HD-2012", D(2024, 12, 31))
    s1 = _certify(tree, "s1", "HD-2012", D(2024, 12, 31), level="street")
    hh = None
    for i in range(3):
        status = (D(2025, 6, 1), "unemployed", True) if i else (D(2020, 1, 1), "unit")
        hh = person("a1", statuses=(status,), hh=hh, name=f"复核{i}").household
    with pytest.raises(PermissionDenied):
        cert.recheck_run(actor=personas["street"], ruleset=ruleset_get("HD-2012"), on=on)
    run = cert.recheck_run(actor=personas["district"], ruleset=ruleset_get("HD-2012"), on=on)
    assert {r.unit.code: r.kept for r in run.rechecks} == {
        "110108001001": False,  # A
        "110108001002": True,  # B
        "110108001": False,  # S1: B alone is 1 of 2 (HD-S1 ≥ 80 %)
    }
    for c in (a, b, s1):
        c.refresh_from_db()
    assert (a.revoked_on, b.revoked_on, s1.revoked_on) == (on, None, on)
    # Dated: the day before, A was certified; from the re-check on, not.
    ids = [tree["a"].pk]
    assert tree["a"].pk in certifications_in_force(
        ruleset="HD-2012", on=on - timedelta(1), unit_ids=ids
    )
    assert tree["a"].pk not in certifications_in_force(ruleset="HD-2012", on=on, unit_ids=ids)
    recheck = Recheck.objects.get(certification=a)
    assert recheck.failed == "HD-C1" and recheck.snapshot["behind"]["HD-C1"]["total"] == 2
    assert recheck.ruleset_hash == ruleset_get("HD-2012").digest
    assert Notice.objects.filter(unit=tree["a"], recheck=recheck, text__contains="撤销").exists()
    assert Notice.objects.filter(unit=tree["b"], text__contains="保持").exists()
    # A second run for the year changes nothing.
    again = cert.recheck_run(actor=None, ruleset=ruleset_get("HD-2012"), on=on)
    assert again.rechecks == [] and again.already == 3
    assert Recheck.objects.count() == 3


def test_recheck_command(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    _certify(tree, "b", "CQ-2007", D(2025, 12, 31))
    out = StringIO()
    call_command("recheck", "--ruleset", "CQ-2007", "--date", "2026-12-20", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["rechecks"] == [
        {
            "unit": "110108001002",
            "unit_name": "复兴社区",
            "level": "community",
            "certified_on": "2025-12-31",
            "kept": True,
            "undecided": False,
            "failed": "",
        }
    ]
    assert Certification.objects.get().revoked_on is None
    with pytest.raises(CommandError):
        call_command(
            "recheck", "--ruleset", "CQ-2007", "--date", "2026-12-20", "--user", "street_s1"
        )
    with pytest.raises(CommandError):
        call_command("recheck", "--ruleset", "NOPE", "--date", "2026-12-20")


def test_common_root_of_a_batch(tree: dict[str, Any]) -> None:
    """A re-check computes its fact sheet for the units' lowest common unit only."""
    root = cert.common_root
    assert root([tree["a"], tree["b"]]) == tree["s1"]
    assert root([tree["a"], tree["c"]]) == tree["district"]
    assert root([tree["a"]]) == tree["a"]
    from jiuye.units.services import unit_create

    other = unit_create(actor=None, code="110105", name="朝阳区", level="district")
    assert root([tree["a"], other]) is None
