"""HD-Q4 computed (issue 16): ``contract_signing_rate`` >= 98% and ``contract_renewal_rate`` >=
90% at HD-2012's district level, from the employers' reports made through the jobs services:
just below, at and above each threshold; an empty denominator (no value, the criterion passes
for lack of anything to fail); unknown staff left out; the cap at staff; the roll-up from the
communities to the streets and the district; the employers and contracts behind the figures,
through the jurisdiction; ``jiuye evaluate --json``; and a snapshot taken under the old rule
set, with HD-Q4 as ticked checklist items, still shown as it was."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO
from itertools import count
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from stdnum.cn import uscc as stdnum_uscc

from jiuye.certification import services as cert
from jiuye.certification.models import Step
from jiuye.jobs import services as jobs
from jiuye.jobs.models import Employer
from jiuye.standards import indicators
from jiuye.standards.behind import behind
from jiuye.standards.evaluation import evaluate_unit
from jiuye.standards.models import ChecklistTick
from jiuye.standards.rules import NO_DENOMINATOR, Ratio
from jiuye.standards.rulesets import ruleset_get
from tests.conftest import make_id
from tests.standards.conftest import criterion

D = date
ON = D(2026, 11, 30)
START = D(2026, 1, 1)
SIGNED_ON = D(2026, 3, 1)
_codes = count(1)


def _uscc() -> str:
    body = f"91110108MA{next(_codes):07d}"
    return body + stdnum_uscc.calc_check_digit(body)


def employer(unit: Any, *, staff: int | None, on: date = START, name: str = "") -> Employer:
    found = jobs.employer_create(
        actor=None, uscc=_uscc(), name=name or f"单位{next(_codes)}", unit=unit
    )
    if staff is not None:
        jobs.staff_report(actor=None, employer=found, on=on, staff=staff)
    return found


def contracts(
    who: Employer, n: int, *, on: date = SIGNED_ON, term: int = 24, kind: str = "signed"
) -> list[str]:
    """``n`` employees' contracts signed (or ``kind``) on ``on``; their ID numbers."""
    numbers = []
    for _ in range(n):
        number = make_id(D(1990, 5, 1))
        jobs.contract_record(
            actor=None, employer=who, id_number=number, kind=kind, on=on, term_months=term
        )
        numbers.append(number)
    return numbers


def district_q4(tree: dict[str, Any], on: date = ON) -> tuple[Any, Any]:
    result = evaluate_unit(unit=tree["district"], ruleset=ruleset_get("HD-2012"), on=on)
    return criterion(result, "HD-Q4a"), criterion(result, "HD-Q4b")


# ---------------------------------------------------------------------------------------------
# The signing rate at 98%
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("staff", "signed", "ratio", "passed", "gap"),
    [
        (50, 48, Ratio(48, 50), False, 1),  # 96%: one contract short of 98%
        (50, 49, Ratio(49, 50), True, 0),  # 98% exactly
        (50, 50, Ratio(50, 50), True, 0),  # 100%
        (10, 12, Ratio(10, 10), True, 0),  # more in force than staff: capped at the staff
    ],
)
def test_signing_rate_at_the_threshold(
    tree: dict[str, Any], staff: int, signed: int, ratio: Ratio, passed: bool, gap: int
) -> None:
    contracts(employer(tree["a"], staff=staff), signed)
    q4a, _q4b = district_q4(tree)
    assert (q4a.fact, q4a.passed, q4a.gap) == (ratio, passed, gap)


def test_signing_rate_needs_a_contract_in_force(tree: dict[str, Any]) -> None:
    """Ended, expired and not-yet-signed contracts are not in force at the date."""
    who = employer(tree["a"], staff=5)
    contracts(who, 2)  # in force
    contracts(who, 1, on=D(2025, 11, 30), term=12)  # ended on 2026-11-30: the date itself
    contracts(who, 1, on=D(2026, 12, 1))  # signed after the date
    ended = contracts(who, 1)
    jobs.contract_record(actor=None, employer=who, id_number=ended[0], kind="ended", on=ON)
    q4a, _q4b = district_q4(tree)
    assert q4a.fact == Ratio(2, 5) and q4a.gap == 3  # 2 + 3 = 5 of 5 (98% of 5 is 4.9)


def test_unknown_staff_is_left_out(tree: dict[str, Any]) -> None:
    contracts(employer(tree["a"], staff=50), 49)
    contracts(employer(tree["b"], staff=None), 3)  # never reported its staff
    contracts(employer(tree["c"], staff=40, on=D(2026, 12, 1)), 1)  # reported after the date
    q4a, _q4b = district_q4(tree)
    assert (q4a.fact, q4a.passed) == (Ratio(49, 50), True)
    # The latest report on or before the date counts.
    later = employer(tree["c"], staff=10, on=D(2026, 1, 1))
    jobs.staff_report(actor=None, employer=later, on=D(2026, 6, 1), staff=2)
    contracts(later, 2)
    q4a, _q4b = district_q4(tree)
    assert q4a.fact == Ratio(51, 52)


def test_no_employer_no_value_and_nothing_to_fail(tree: dict[str, Any]) -> None:
    employer(tree["a"], staff=0)  # staff 0: adds nothing to either side
    q4a, q4b = district_q4(tree)
    for found in (q4a, q4b):
        assert found.fact == Ratio(0, 0) and found.value is None
        assert (found.passed, found.gap, found.note) == (True, 0, str(NO_DENOMINATOR))


# ---------------------------------------------------------------------------------------------
# The renewal rate at 90%
# ---------------------------------------------------------------------------------------------


def _expiring(who: Employer, renewed: int, stayed: int, left: int = 0) -> None:
    """Contracts signed 2025-03-31 for 12 months (ending 2026-03-31, in the period): ``renewed``
    renewed on 2026-03-31, ``stayed`` with nothing after, ``left`` ended on 2026-03-20."""
    for kind, n in (("renewed", renewed), ("ended", left), ("", stayed)):
        for number in contracts(who, n, on=D(2025, 3, 31), term=12):
            if kind == "renewed":
                jobs.contract_record(
                    actor=None,
                    employer=who,
                    id_number=number,
                    kind="renewed",
                    on=D(2026, 3, 31),
                    term_months=36,
                )
            elif kind == "ended":
                jobs.contract_record(
                    actor=None, employer=who, id_number=number, kind="ended", on=D(2026, 3, 20)
                )


@pytest.mark.parametrize(
    ("renewed", "stayed", "left", "ratio", "passed", "gap"),
    [
        (8, 2, 0, Ratio(8, 10), False, 1),  # 80%: one renewal short
        (17, 2, 0, Ratio(17, 19), False, 1),  # 89.5%: just below
        (9, 1, 0, Ratio(9, 10), True, 0),  # 90% exactly
        (9, 1, 3, Ratio(9, 10), True, 0),  # those who left are in neither count
        (5, 0, 0, Ratio(5, 5), True, 0),  # above
        (0, 0, 4, Ratio(0, 0), True, 0),  # all left: nothing to fail
    ],
)
def test_renewal_rate_at_the_threshold(
    tree: dict[str, Any],
    renewed: int,
    stayed: int,
    left: int,
    ratio: Ratio,
    passed: bool,
    gap: int,
) -> None:
    _expiring(employer(tree["b"], staff=100), renewed, stayed, left)
    _q4a, q4b = district_q4(tree)
    assert (q4b.fact, q4b.passed, q4b.gap) == (ratio, passed, gap)


def test_renewal_counts_the_period_only(tree: dict[str, Any]) -> None:
    who = employer(tree["b"], staff=100)
    contracts(who, 2, on=D(2024, 6, 30), term=18)  # ended 2025-12-30: before the period
    contracts(who, 3, on=D(2026, 1, 31), term=1)  # ends 2026-02-28: in it, not renewed
    contracts(who, 1, on=D(2026, 6, 1), term=12)  # ends 2027: not yet
    _q4a, q4b = district_q4(tree)
    assert q4b.fact == Ratio(0, 3) and q4b.gap == 3
    # A period from March leaves the February ends out.
    result = evaluate_unit(
        unit=tree["district"], ruleset=ruleset_get("HD-2012"), on=ON, start=D(2026, 3, 1)
    )
    assert criterion(result, "HD-Q4b").fact == Ratio(0, 0)


# ---------------------------------------------------------------------------------------------
# Roll-up, behind, interfaces
# ---------------------------------------------------------------------------------------------


def test_rollup_from_communities_to_the_district(tree: dict[str, Any]) -> None:
    contracts(employer(tree["a"], staff=10), 9)
    contracts(employer(tree["a"], staff=5), 5)
    contracts(employer(tree["b"], staff=4), 1)
    contracts(employer(tree["c"], staff=20), 20)
    _expiring(employer(tree["c"], staff=10), renewed=3, stayed=1)
    for root in ("district", "s1", "a"):
        sheet = indicators.fact_sheet(
            root=tree[root],
            on=ON,
            indicators=["contract_signing_rate", "contract_renewal_rate"],
            source="direct",
        )
        facts = {k: sheet.facts_for(tree[k]) for k in ("a", "b", "s1", "s2", "c", "district")}
        assert facts["a"]["contract_signing_rate"] == Ratio(14, 15), root
        if root != "a":
            assert facts["s1"]["contract_signing_rate"] == Ratio(15, 19), root
        if root == "district":
            # The three renewed of C's second employer are in force, the one not renewed not.
            assert facts["s2"]["contract_signing_rate"] == Ratio(23, 30)
            assert facts["district"]["contract_signing_rate"] == Ratio(38, 49)
            assert facts["district"]["contract_renewal_rate"] == Ratio(3, 4)
            assert facts["s1"]["contract_renewal_rate"] == Ratio(0, 0)


def test_behind_lists_employers_and_contracts_through_the_jurisdiction(
    tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    short = employer(tree["a"], staff=10, name="短缺公司")
    contracts(short, 7)
    contracts(employer(tree["a"], staff=3, name="齐全公司"), 3)
    contracts(employer(tree["a"], staff=None, name="未报人数公司"), 2)
    _expiring(short, renewed=1, stayed=2, left=1)
    period = indicators.period_of(ON)
    found = behind(
        indicator="contract_signing_rate", unit=tree["s1"], period=period, user=personas["street"]
    )
    assert [r.name for r in found.rows] == ["短缺公司", "未报人数公司"]
    assert "差 2 份" in found.rows[0].detail  # 7 + the renewed one in force, of 10
    assert "不计入" in found.rows[1].detail
    renewals = behind(
        indicator="contract_renewal_rate", unit=tree["a"], period=period, user=personas["worker_a"]
    )
    assert renewals.total == 2 and all(r.on == D(2026, 3, 31) for r in renewals.rows)
    for row in renewals.rows:
        assert "*" in row.name and len(row.name) == 18  # the masked number, never the full one
        assert "短缺公司" in row.detail
    for user in (None, personas["worker_b"], personas["grid_a1"]):
        for key in ("contract_signing_rate", "contract_renewal_rate"):
            assert behind(indicator=key, unit=tree["a"], period=period, user=user).rows == []


def test_evaluate_json_shows_the_two_criteria(tree: dict[str, Any]) -> None:
    contracts(employer(tree["a"], staff=50), 48)
    _expiring(employer(tree["c"], staff=None), renewed=9, stayed=1)  # not in the signing rate
    out = StringIO()
    call_command(
        "evaluate",
        "110108",
        "--ruleset",
        "HD-2012",
        "--date",
        ON.isoformat(),
        "--json",
        stdout=out,
    )
    result = json.loads(out.getvalue())
    assert result["level"] == "district"
    q4 = {c["id"]: c for c in result["criteria"] if c["rule"] == "HD-Q4"}
    assert q4["HD-Q4a"] | {"text": ""} == {
        "id": "HD-Q4a",
        "rule": "HD-Q4",
        "indicator": "contract_signing_rate",
        "op": ">=",
        "threshold": 0.98,
        "value": 0.96,
        "numerator": 48,
        "denominator": 50,
        "passed": False,
        "gap": 1,
        "note": "",
        "text": "",
        "unavailable": None,
    }
    assert (q4["HD-Q4b"]["numerator"], q4["HD-Q4b"]["denominator"]) == (9, 10)
    assert q4["HD-Q4b"]["passed"] is True
    assert [c["id"] for c in result["checklist"]] == ["HD-Q5"]


def test_standards_page_shows_the_criteria_and_their_lists(
    tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    contracts(employer(tree["a"], staff=50, name="短缺公司"), 40)
    client = Client()
    client.force_login(personas["district"])
    url = reverse("standards:unit", args=["110108"]) + f"?ruleset=HD-2012&date={ON}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "HD-Q4a" in html and "HD-Q4b" in html and "80%" in html


def test_an_old_snapshot_with_ticked_hd_q4_still_shows(
    tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    """A district application judged under 2012.1, when HD-Q4 was two checklist items ticked
    by hand: its stored snapshot shows them as they were; the live checklist has HD-Q5 only,
    and the old ticks stay in the database untouched."""
    hd = ruleset_get("HD-2012")
    year = ON.year
    app = cert.certification_apply(actor=None, unit=tree["district"], ruleset=hd, year=year)
    step = app.steps.get()
    snapshot = step.snapshot
    evaluation = snapshot["evaluation"]
    evaluation["criteria"] = [c for c in evaluation["criteria"] if c["rule"] != "HD-Q4"]
    tick = {"ticked": True, "note": "劳动监察统计 98.6%", "evidence": "", "by": "区", "at": ""}
    old_items = [
        {
            "id": item_id,
            "rule": "HD-Q4",
            "text": text,
            "self": tick,
            "street": None,
            "assessor": tick,
            "satisfied": True,
        }
        for item_id, text in (
            ("HD-Q4a", "辖区内各类企业劳动合同签订率达到98%以上（依据劳动监察统计勾选）"),
            ("HD-Q4b", "劳动合同续订率达到90%以上（依据劳动监察统计勾选）"),
        )
    ]
    evaluation["checklist"] = old_items + evaluation["checklist"]
    snapshot["ruleset"] |= {"version": "2012.1", "hash": "0" * 64}
    Step.objects.filter(pk=step.pk).update(
        snapshot=snapshot, ruleset_version="2012.1", ruleset_hash="0" * 64
    )
    for role in ("self", "assessor"):
        ChecklistTick.objects.create(
            unit=tree["district"],
            ruleset="HD-2012",
            year=year,
            item="HD-Q4a",
            role=role,
            ticked=True,
            note="旧勾选",
        )
    client = Client()
    client.force_login(personas["district"])
    page = client.get(reverse("certification:application", args=[app.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    steps = html[html.index('id="steps"') :]
    assert "依据劳动监察统计勾选" in steps and "2012.1" in steps
    assert ChecklistTick.objects.filter(item="HD-Q4a").count() == 2
    # The standards page of today shows the computed criteria, not the old ticks.
    url = reverse("standards:unit", args=["110108"]) + f"?ruleset=HD-2012&date={ON}"
    today = client.get(url).content.decode()
    assert "旧勾选" not in today and "HD-Q4a" in today
