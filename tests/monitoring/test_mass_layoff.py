"""W-MASS-LAYOFF (规模性失业, the rule book's Shandong thresholds) over the employers' layoff
reports: each level at its boundary (III: a layoff needing notice, ≥ 20 persons or ≥ 10% of
the staff; II: one employer laying off 200 or more; I: 5 or more employers laying off for an
abnormal reason more than 50 persons or more than 30% each), the 30-day window, the staff
reported before the layoff, and the run: fired once, raised when it grows, the employers behind
it on the warning's page and in the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import count
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from stdnum.cn import uscc as stdnum_uscc

from jiuye.jobs import services as jobs
from jiuye.jobs.models import Employer
from jiuye.monitoring import detectors, rulebook, services
from jiuye.monitoring.models import EarlyWarning, WarningRecord
from tests.api.conftest import bearer, token_for

D = date
ON = D(2026, 11, 30)  # the window: 2026-11-01 to 2026-11-30
_codes = count(1)


@pytest.fixture(autouse=True)
def _fresh_rulebook() -> Iterator[None]:
    rulebook._load_cached.cache_clear()
    yield
    rulebook._load_cached.cache_clear()


def rule() -> rulebook.WarningRule:
    (found,) = [r for r in rulebook.rulebook().rules if r.id == "W-MASS-LAYOFF"]
    return found


def employer(tree: dict[str, Any], staff: int | None, unit: str = "a") -> Employer:
    body = f"91110108MA{next(_codes):07d}"
    found = jobs.employer_create(
        actor=None,
        uscc=body + stdnum_uscc.calc_check_digit(body),
        name=f"裁员单位{next(_codes)}",
        unit=tree[unit],
    )
    if staff is not None:
        jobs.staff_report(actor=None, employer=found, on=D(2026, 1, 1), staff=staff)
    return found


def layoff(who: Employer, n: int, reason: str = "经营困难", on: date = ON) -> None:
    jobs.layoff_record(actor=None, employer=who, on=on, count=n, reason=reason)


def level_at(on: date = ON) -> str | None:
    findings = detectors.mass_layoff(rule(), on)
    assert len(findings) <= 1  # the one district
    return findings[0].level.value if findings else None


# (staff, persons laid off, reason) per employer, and the district's level.
CASES = [
    ([], None),
    ([(1000, 19, "合同到期")], None),  # 1.9%, fewer than 20
    ([(1000, 20, "合同到期")], "III"),  # 20 persons: notice
    ([(100, 9, "合同到期")], None),  # 9%
    ([(100, 10, "合同到期")], "III"),  # 10%: notice
    ([(None, 19, "经营困难")], None),  # staff unknown: the number alone
    ([(None, 20, "经营困难")], "III"),
    ([(5000, 199, "合同到期")], "III"),
    ([(5000, 200, "合同到期")], "II"),  # 200 or more at one employer
    ([(1000, 51, "经营困难")] * 4, "III"),  # four abnormal mass layoffs: not yet five
    ([(1000, 51, "经营困难")] * 5, "I"),  # five, each more than 50
    ([(1000, 50, "停产")] * 5, "III"),  # 50 is not more than 50 (and 5% of the staff)
    ([(100, 31, "破产清算")] * 5, "I"),  # each more than 30% of its staff
    ([(100, 30, "转产")] * 5, "III"),  # 30% is not more than 30%
    ([(1000, 51, "合同到期")] * 5, "III"),  # not for an abnormal reason
    ([(1000, 51, "经营困难")] * 4 + [(1000, 300, "合同到期")], "II"),
]


@pytest.mark.parametrize(("employers", "expected"), CASES)
def test_levels_at_their_boundaries(
    tree: dict[str, Any], employers: list[tuple[int | None, int, str]], expected: str | None
) -> None:
    for staff, n, reason in employers:
        layoff(employer(tree, staff, unit="abc"[next(_codes) % 3]), n, reason)
    assert level_at() == expected


def test_the_window_and_layoffs_summed_per_employer(tree: dict[str, Any]) -> None:
    who = employer(tree, 1000)
    layoff(who, 15, on=D(2026, 10, 31))  # the day before the window
    layoff(who, 10, on=D(2026, 11, 1))
    assert level_at() is None
    layoff(who, 10, "停产", on=D(2026, 11, 20))  # 10 + 10 in the window
    assert level_at() == "III"
    assert level_at(D(2026, 11, 19)) == "III"  # from 10-21: the 15 of 10-31 and the 10 of 11-01
    assert level_at(D(2026, 11, 30)) == "III"
    assert level_at(D(2026, 12, 1)) is None  # from 11-02: the 11-01 layoff is out


def test_staff_is_the_one_reported_before_the_layoff(tree: dict[str, Any]) -> None:
    """The staff reported on the layoff's day may already be after it: the one before counts."""
    who = employer(tree, 200)  # reported 2026-01-01
    jobs.staff_report(actor=None, employer=who, on=ON, staff=50)
    layoff(who, 10, "合同到期")
    assert level_at() is None  # 10 of 200: 5% (of 50 it would be 20%)


def test_run_fires_once_raises_and_lists_the_employers(
    tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    first = employer(tree, 1000)
    layoff(first, 25, "合同到期")
    summary = services.warnings_run(actor=None, on=ON)
    assert {r.rule: r.fired for r in summary.rules}["W-MASS-LAYOFF"] == 1
    again = services.warnings_run(actor=None, on=ON)
    assert {r.rule: (r.fired, r.raised) for r in again.rules}["W-MASS-LAYOFF"] == (0, 0)
    warning = EarlyWarning.objects.get(rule_id="W-MASS-LAYOFF")
    assert (warning.unit.code, warning.period, warning.level) == ("110108", "2026-11", "III")
    # Five abnormal mass layoffs: the same warning raised to I, its records replaced.
    mass = [employer(tree, 1000, unit=u) for u in "abcab"]
    for who in mass:
        layoff(who, 60, "经营困难")
    raised = services.warnings_run(actor=None, on=ON)
    assert {r.rule: (r.fired, r.raised) for r in raised.rules}["W-MASS-LAYOFF"] == (0, 1)
    warning.refresh_from_db()
    assert warning.level == "I" and warning.records_total == 6
    assert warning.facts["employers_abnormal"] == 5 and warning.facts["laid_off"] == 325
    records = list(WarningRecord.objects.filter(warning=warning).order_by("id"))
    assert {r.employer_id for r in records} == {first.pk, *(m.pk for m in mass)}
    assert records[-1].employer_id == first.pk  # the abnormal ones first
    assert "经营困难" in records[0].detail and "60" in records[0].detail
    # The page and the API show the employers behind it (no resident behind a layoff).
    client = Client()
    client.force_login(personas["district"])
    page = client.get(reverse("warnings:detail", args=[warning.pk])).content.decode()
    assert first.name in page and f'data-employer="{first.pk}"' in page
    headers = bearer(token_for(personas["district"], name="mass-layoff"))
    api = Client().get(f"/api/monitoring/warnings/{warning.pk}", headers=headers)
    assert api.status_code == 200
    behind = api.json()["behind"]
    assert {b["kind"] for b in behind} == {"employer"}
    assert first.name in {b["name"] for b in behind} and behind[0]["unit"].startswith("110108")
    # The district's warning is not a community worker's.
    worker = Client()
    worker.force_login(personas["worker_a"])
    assert worker.get(reverse("warnings:detail", args=[warning.pk])).status_code == 404
