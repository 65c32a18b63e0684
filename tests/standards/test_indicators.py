"""Indicators on real rows, at the boundaries the issue names: exactly 90 %, an empty
denominator, a zero family eliminated exactly one month after it emerged vs one day later, one
emerging on 31 January, a person crossing retirement age inside the period; and a past date
that keeps its answer when later events are recorded. Every evaluation is checked to be the
same from the incremental aggregates and from scratch (``conftest.evaluate``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jiuye.casework import services as casework
from jiuye.registry import services
from jiuye.standards import indicators
from jiuye.standards.rules import Ratio
from tests.standards.conftest import criterion

D = date
ON = D(2026, 5, 12)


def _people(person: Callable[..., Any], unit: str, statuses: list[str], **kw: Any) -> list[Any]:
    return [person(unit, statuses=((D(2020, 1, 1), s),), **kw) for s in statuses]


@pytest.mark.parametrize(
    ("employed", "labor_force", "passed", "gap"),
    [(9, 10, True, 0), (8, 10, False, 1), (0, 3, False, 3), (10, 10, True, 0)],
)
def test_hd_c1_employment_rate(
    person: Callable[..., Any],
    evaluate: Callable[..., Any],
    employed: int,
    labor_force: int,
    passed: bool,
    gap: int,
) -> None:
    # One household of labor-force members (so no zero family unless nobody works).
    hh = None
    for i in range(labor_force):
        p = person(
            "a", statuses=((D(2020, 1, 1), "unit" if i < employed else "unemployed"),), hh=hh
        )
        hh = p.household
    result = evaluate("a", "HD-2012", ON)
    c1 = criterion(result, "HD-C1")
    assert (c1.numerator, c1.denominator) == (employed, labor_force)
    assert (c1.passed, c1.gap) == (passed, gap)


def test_empty_denominators_pass_and_say_so(tree: dict[str, Any], evaluate: Any) -> None:
    result = evaluate("b", "HD-2012", ON)
    for cid in ("HD-C1", "HD-C2a", "HD-C3"):
        r = criterion(result, cid)
        assert r.passed is True and r.value is None and "分母为0" in r.note
    assert result.passed


def test_outside_labor_force_not_counted(person: Callable[..., Any], evaluate: Any) -> None:
    person("a", statuses=((D(2020, 1, 1), "unit"),))
    person("a", statuses=((D(2020, 1, 1), "student"),))
    person("a", statuses=((D(2020, 1, 1), "unemployed"),), able=False)
    person("a", statuses=((D(2020, 1, 1), "unemployed"),), willing=False)
    person("a", birth=D(2012, 1, 1))  # not yet 16
    c1 = criterion(evaluate("a", "HD-2012", ON), "HD-C1")
    assert (c1.numerator, c1.denominator) == (1, 1)


def test_hd_c2_difficult_persons_and_families(person: Callable[..., Any], evaluate: Any) -> None:
    employed = person("a", statuses=((D(2020, 1, 1), "unit"),))
    idle = person("a", statuses=((D(2020, 1, 1), "unemployed", True),))  # a zero family
    services.recognition_create(
        actor=None, person=employed, category="other", recognized_on=D(2025, 1, 1), note="x"
    )
    services.recognition_create(
        actor=None, person=idle, category="other", recognized_on=D(2025, 1, 1), note="x"
    )
    farm = person("a", statuses=((D(2020, 1, 1), "farming"),))
    person("a", hh=farm.household, statuses=((D(2020, 1, 1), "farming"),))
    result = evaluate("a", "HD-2012", ON)
    c2a = criterion(result, "HD-C2a")
    assert (c2a.numerator, c2a.denominator, c2a.passed, c2a.gap) == (1, 2, False, 1)
    assert (criterion(result, "HD-C2b").value, criterion(result, "HD-C2b").gap) == (1, 1)
    assert (criterion(result, "HD-C2c").value, criterion(result, "HD-C2c").gap) == (1, 1)
    # A recognition that ended before the date no longer counts.
    rec = idle.recognitions.get()
    services.recognition_end(actor=None, recognition=rec, ended_on=D(2026, 1, 1))
    c2a = criterion(evaluate("a", "HD-2012", ON), "HD-C2a")
    assert (c2a.numerator, c2a.denominator, c2a.passed) == (1, 1, True)


def test_satisfaction_counts_surveys_in_the_period(
    person: Callable[..., Any], evaluate: Any
) -> None:
    # An unemployed person's surveys: HD-C3 counts only those (DOMAIN readings of 2026-12, 6;
    # test_readings has the table of who counts).
    p = person("a", statuses=((D(2020, 1, 1), "unemployed", True),))
    for on, outcome in [
        (D(2025, 12, 31), "dissatisfied"),  # last year: outside the period
        (D(2026, 1, 5), "very_satisfied"),
        (D(2026, 2, 5), "satisfied"),
        (D(2026, 3, 5), "neutral"),
        (D(2026, 6, 5), "dissatisfied"),  # after the date
    ]:
        casework.service_record_create(
            actor=None, person=p, kind="survey", on=on, outcome=outcome, today=D(2026, 12, 31)
        )
    c3 = criterion(evaluate("a", "HD-2012", ON), "HD-C3")
    assert (c3.numerator, c3.denominator, c3.passed, c3.gap) == (2, 3, False, 7)


def test_zero_family_eliminated_exactly_one_month_later(
    person: Callable[..., Any], evaluate: Any
) -> None:
    """CQ-2: emerged 03-10, employed on 04-10 (the same day next month) is on time; a
    household employed on 04-11 is a day late."""
    on_time = person(
        "a",
        statuses=(
            (D(2020, 1, 1), "unit"),
            (D(2026, 3, 10), "unemployed"),
            (D(2026, 4, 10), "flexible"),
        ),
    )
    result = evaluate("a", "CQ-2007", ON)
    assert criterion(result, "CQ-2b").value == 0
    late = person(
        "a",
        statuses=(
            (D(2020, 1, 1), "unit"),
            (D(2026, 3, 10), "unemployed"),
            (D(2026, 4, 11), "flexible"),
        ),
    )
    result = evaluate("a", "CQ-2007", ON)
    assert (criterion(result, "CQ-2b").value, criterion(result, "CQ-2b").passed) == (1, False)
    sheet = indicators.fact_sheet(
        root=on_time.community, on=ON, indicators=["zero_family_max_days"]
    )
    assert sheet.facts_for(on_time.community)["zero_family_max_days"] == 32  # 03-10 → 04-11
    assert late.household_id != on_time.household_id


@pytest.mark.parametrize(
    ("emerged", "employed", "on", "late"),
    [
        (D(2026, 1, 31), D(2026, 2, 28), D(2026, 5, 1), 0),  # due 02-28 (no 02-31)
        (D(2026, 1, 31), D(2026, 3, 1), D(2026, 5, 1), 1),
        (D(2024, 1, 31), D(2024, 2, 29), D(2024, 5, 1), 0),  # leap year: due 02-29
        (D(2024, 1, 31), D(2024, 3, 1), D(2024, 5, 1), 1),
        (D(2026, 1, 31), None, D(2026, 2, 28), 0),  # still open, not yet due
        (D(2026, 1, 31), None, D(2026, 3, 1), 1),  # still open, a day overdue
    ],
)
def test_zero_family_emerging_on_31_january(
    person: Callable[..., Any],
    evaluate: Any,
    emerged: date,
    employed: date | None,
    on: date,
    late: int,
) -> None:
    statuses: list[tuple[date, str]] = [(D(2015, 1, 1), "unit"), (emerged, "unemployed")]
    if employed:
        statuses.append((employed, "unit"))
    person("a", statuses=tuple(statuses))
    result = evaluate("a", "CQ-2007", on)
    assert criterion(result, "CQ-2b").value == late
    assert criterion(result, "CQ-2a").value == (0 if employed and employed <= on else 1)


def test_person_crossing_retirement_age_in_the_period(
    person: Callable[..., Any], evaluate: Any
) -> None:
    """A man born 1966-03-15 retires on 2026-07-15 (60 years 4 months): the day before he is in
    the labor force and employed; from that day his wife, unemployed, is a zero family."""
    husband = person("a", birth=D(1966, 3, 15), statuses=((D(2000, 1, 1), "unit"),))
    assert husband.retire_on == D(2026, 7, 15)
    person(
        "a",
        birth=D(1980, 1, 1),
        male=False,
        hh=husband.household,
        statuses=((D(2020, 1, 1), "unemployed"),),
    )
    before = evaluate("a", "HD-2012", D(2026, 7, 14))
    assert (criterion(before, "HD-C1").numerator, criterion(before, "HD-C1").denominator) == (1, 2)
    assert criterion(before, "HD-C2b").value == 0
    after = evaluate("a", "HD-2012", D(2026, 7, 15))
    assert (criterion(after, "HD-C1").numerator, criterion(after, "HD-C1").denominator) == (0, 1)
    assert criterion(after, "HD-C2b").value == 1
    cq = evaluate("a", "CQ-2007", D(2026, 8, 14))
    assert criterion(cq, "CQ-2b").value == 0  # emerged 07-15, due 08-15
    cq = evaluate("a", "CQ-2007", D(2026, 8, 16))
    assert criterion(cq, "CQ-2b").value == 1


def test_past_date_unchanged_by_later_events(
    person: Callable[..., Any], evaluate: Any, tree: dict[str, Any]
) -> None:
    a = person("a", statuses=((D(2020, 1, 1), "unit"),))
    b = person("a", statuses=((D(2020, 1, 1), "unemployed", True),))
    casework.service_record_create(
        actor=None, person=b, kind="survey", on=D(2026, 3, 1), outcome="satisfied", today=ON
    )
    past = D(2026, 4, 1)
    before = {rid: evaluate("a", rid, past).as_json() for rid in ("HD-2012", "CQ-2007", "QG-2016")}
    # Later events: b employed, a unemployed, a recognised difficult, new services.
    services.person_change_status(actor=None, person=b, status="unit", since=D(2026, 4, 2))
    services.person_change_status(
        actor=None, person=a, status="unemployed", since=D(2026, 5, 1), registered=True
    )
    services.recognition_create(
        actor=None, person=a, category="other", recognized_on=D(2026, 5, 2), note="x"
    )
    casework.service_record_create(
        actor=None, person=a, kind="survey", on=D(2026, 5, 3), outcome="dissatisfied", today=ON
    )
    casework.service_record_create(
        actor=None, person=a, kind="guidance", on=D(2026, 5, 4), today=ON
    )
    after = {rid: evaluate("a", rid, past).as_json() for rid in ("HD-2012", "CQ-2007", "QG-2016")}
    assert before == after
    assert evaluate("a", "HD-2012", ON).as_json() != before["HD-2012"]


def test_registered_unemployment_rate_over_the_district(
    person: Callable[..., Any], evaluate: Any, tree: dict[str, Any]
) -> None:
    """HD-Q2e: urban-hukou registered unemployed / (urban employed + urban registered)."""
    for _ in range(3):
        person("a", statuses=((D(2020, 1, 1), "unit"),))
    person("c", statuses=((D(2020, 1, 1), "unemployed", True),))
    person("c", statuses=((D(2020, 1, 1), "unemployed", False),))  # not registered
    person("c", statuses=((D(2020, 1, 1), "unemployed", True),), hukou_type="agricultural")
    result = evaluate("district", "HD-2012", ON)
    q2e = criterion(result, "HD-Q2e")
    assert (q2e.numerator, q2e.denominator, q2e.passed, q2e.gap) == (1, 4, False, 1)
    q2a = criterion(result, "HD-Q2a")
    assert (q2a.numerator, q2a.denominator) == (3, 6)
    # The street S1 sums only its communities (A and B).
    s2a = criterion(evaluate("s1", "HD-2012", ON), "HD-S2a")
    assert (s2a.numerator, s2a.denominator) == (3, 3)


def test_certified_children_share(tree: dict[str, Any], evaluate: Any) -> None:
    from jiuye.standards import services as std
    from jiuye.standards.rulesets import ruleset_get

    hd = ruleset_get("HD-2012")
    cert = std.certification_create(
        actor=None,
        unit=tree["a"],
        ruleset=hd,
        level="community",
        year=2026,
        certified_on=D(2026, 3, 1),
    )
    s1 = criterion(evaluate("s1", "HD-2012", ON), "HD-S1")
    assert (s1.numerator, s1.denominator, s1.passed, s1.gap) == (1, 2, False, 1)
    assert criterion(evaluate("s1", "HD-2012", D(2026, 2, 28)), "HD-S1").numerator == 0
    std.certification_revoke(actor=None, certification=cert, revoked_on=D(2026, 5, 1))
    assert criterion(evaluate("s1", "HD-2012", ON), "HD-S1").numerator == 0
    std.certification_create(
        actor=None,
        unit=tree["s1"],
        ruleset=hd,
        level="street",
        year=2026,
        certified_on=D(2026, 4, 1),
    )
    q1 = criterion(evaluate("district", "HD-2012", ON), "HD-Q1")
    assert (q1.numerator, q1.denominator, q1.gap) == (1, 2, 1)


def test_casework_based_indicators(
    registered: Callable[..., Any], person: Callable[..., Any], evaluate: Any
) -> None:
    """CQ-4, CQ-5, CQ-6, CQ-7, QG-3 from casework's own rules and records."""
    on_time = registered(D(2026, 4, 1), unit="a")
    late = registered(D(2026, 4, 7), unit="a")
    long_term = registered(D(2025, 3, 1), unit="a")
    casework.service_record_create(
        actor=None, person=on_time, kind="guidance", on=D(2026, 4, 3), today=ON
    )
    casework.service_record_create(
        actor=None, person=late, kind="guidance", on=D(2026, 4, 20), today=ON
    )
    for day in (D(2026, 4, 8), D(2026, 4, 9)):
        casework.service_record_create(
            actor=None, person=on_time, kind="referral", on=day, today=ON
        )
    casework.service_record_create(
        actor=None, person=late, kind="complaint", on=D(2026, 4, 9), valid=True, today=ON
    )
    result = evaluate("a", "CQ-2007", ON)
    cq4 = criterion(result, "CQ-4")
    assert (cq4.numerator, cq4.denominator, cq4.gap) == (1, 2, 1)
    assert criterion(result, "CQ-5").value == 1
    assert criterion(result, "CQ-6").value == 1
    cq7 = criterion(result, "CQ-7")
    assert (cq7.numerator, cq7.denominator) == (2, 3)  # the long-term one had no service
    qg = evaluate("a", "QG-2016", ON)
    assert (criterion(qg, "QG-3d").numerator, criterion(qg, "QG-3d").denominator) == (1, 3)
    assert criterion(qg, "QG-3b").value == 1  # urban hukou (the builder's households)
    qg3a = criterion(qg, "QG-3a")
    assert (qg3a.numerator, qg3a.denominator) == (0, 3)
    assert long_term.pk


def test_registered_employed_in_the_period(registered: Callable[..., Any], evaluate: Any) -> None:
    back = registered(D(2026, 2, 1), unit="a")
    services.person_change_status(actor=None, person=back, status="flexible", since=D(2026, 3, 1))
    registered(D(2026, 2, 1), unit="a")
    old = registered(D(2024, 2, 1), unit="a")
    services.person_change_status(actor=None, person=old, status="unit", since=D(2025, 6, 1))
    qg3a = criterion(evaluate("a", "QG-2016", ON), "QG-3a")
    assert (qg3a.numerator, qg3a.denominator) == (1, 2)  # registered in 2026 only


def test_no_value_without_a_data_source(tree: dict[str, Any]) -> None:
    """An indicator without a data source has no value ("no data"), whatever the sheet holds.
    (HD-Q4's contract rates were such until the employers' reports arrived, issue 16: with no
    employer they are now an empty ratio, which a criterion passes for lack of anything to
    fail.)"""
    from jiuye.standards.indicators.base import Indicator

    sheet = indicators.fact_sheet(
        root=tree["district"], on=ON, indicators=["contract_signing_rate", "employment_rate"]
    )
    facts = sheet.facts_for(tree["district"])
    assert facts["contract_signing_rate"] == Ratio(0, 0)
    assert facts["employment_rate"] == Ratio(0, 0)
    no_source = Indicator(id="no_source", label="x", kind="ratio", gap=None, has_data=False)
    sheet.parts["no_source"] = {}
    assert no_source.value(tree["district"], sheet) is None


@pytest.mark.parametrize("indicator", sorted(indicators.INDICATORS))
def test_behind_is_scoped_and_fails_closed(
    indicator: str,
    registered: Callable[..., Any],
    tree: dict[str, Any],
    personas: dict[str, Any],
) -> None:
    """Every indicator's list goes through the jurisdiction: nothing without a user, nothing of
    community A for the worker of B (who may read personal data, but not A's)."""
    from jiuye.standards.behind import behind

    p = registered(D(2025, 3, 1), unit="a")
    services.recognition_create(
        actor=None, person=p, category="other", recognized_on=D(2025, 3, 1), note="x"
    )
    casework.service_record_create(
        actor=None, person=p, kind="survey", on=D(2026, 3, 1), outcome="neutral", today=ON
    )
    period = indicators.period_of(ON)
    for user in (None, personas["worker_b"]):
        found = behind(indicator=indicator, unit=tree["a"], period=period, user=user)
        assert [r for r in found.rows if r.kind != "text"] == [], (indicator, user)
    listed = {
        "employment_rate",
        "difficult_employment_rate",
        "registered_unemployment_rate",
        "zero_families",
        "zero_families_urban",
        "zero_family_over_month_urban",
        "satisfaction_rate",
        "long_term_unemployed",
        "long_term_unemployed_urban",
        "assisted_long_term",
        "job_preparation_rate",
        "visit_rate",
        "referral_twice_rate",
        "registered_unemployed_employment_rate",
        "difficult_contact_misses",
        "ledger_completeness",
    }
    if indicator in listed:
        found = behind(
            indicator=indicator, unit=tree["a"], period=period, user=personas["district"]
        )
        assert [r.name for r in found.rows] in ([p.name], [p.household.number]), indicator


def test_ledger_completeness_values_and_list(
    person: Callable[..., Any], tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    """十清完整率 per community and rolled up (the district's query led by the unemployed, a
    community's by its persons), and the incomplete records listed by community and name, a
    page at a time, with what each misses."""
    from jiuye.standards.behind import listing

    complete = person("a", name="甲", skill_level="中级工")
    services.person_change_status(
        actor=None, person=complete, status="unemployed", since=D(2026, 1, 5), cause="合同到期"
    )
    casework.profile_update(
        actor=None,
        person=complete,
        family_situation="三口之家",
        training_need="电工",
        destination="物业维修",
        policies="未享受",
        social_insurance="已参保",
    )
    no_profile = person(
        "a", name="乙", skill_level="初级", statuses=((D(2026, 2, 1), "unemployed"),)
    )
    other = person("c", name="丙", statuses=((D(2026, 2, 1), "unemployed"),))
    person("a", statuses=((D(2020, 1, 1), "unit"),))  # employed: not counted
    person("b", statuses=((D(2026, 6, 1), "unemployed"),))  # unemployed after the date
    for root in ("district", "s1", "a"):
        sheet = indicators.fact_sheet(
            root=tree[root], on=ON, indicators=["ledger_completeness"], source="direct"
        )
        facts = {key: sheet.facts_for(tree[key])["ledger_completeness"] for key in tree}
        assert facts["a"] == Ratio(1, 2) and facts["b"] == Ratio(0, 0), root
        if root == "district":
            assert facts["c"] == Ratio(0, 1) and facts["district"] == Ratio(1, 3)
    period = indicators.period_of(ON)
    found, _query = listing(
        indicator="ledger_completeness",
        unit=tree["district"],
        period=period,
        user=personas["district"],
    )
    rows = found.rows(0, 10)
    assert [r.name for r in rows] == [no_profile.name, other.name]  # community a, then c
    assert rows[0].detail == "缺少：失业原因、家庭状况、培训要求、就业去向、政策享受、社会保险关系"
    assert "技能水平" in rows[1].detail and "技能水平" not in rows[0].detail
    assert rows[0].url.endswith(f"/{no_profile.pk}/#ten-clears")
    assert (found.count(), found.count(cap=1)) == (2, 2)
    assert [r.name for r in found.rows(1, 1)] == [other.name]
    # The worker of community A sees A's only.
    mine, _query = listing(
        indicator="ledger_completeness",
        unit=tree["district"],
        period=period,
        user=personas["worker_a"],
    )
    assert [r.name for r in mine.rows(0, 10)] == [no_profile.name] and mine.count() == 1
