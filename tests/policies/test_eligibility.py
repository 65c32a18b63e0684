"""Each shipped policy's eligibility at its edges (DOMAIN §9; issue 17): the 35/40 age edges,
agricultural and converted hukou against urban, status on the date, recognitions ending,
hires counted in one calendar year with the 3/6/10 tiers, contract terms of 12 and 36 months,
a parameter changing on a date, trainings of the year, the certification rewards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from jiuye.lib.retirement import add_months
from jiuye.policies.catalog import policy_get
from jiuye.policies.eligibility import eligible, explain
from jiuye.units.scope import SYSTEM
from tests.policies.conftest import (
    contract,
    employer,
    hire,
    person,
    recognise,
    status,
)

pytestmark = pytest.mark.django_db
ON = date(2026, 11, 16)


def _ids(policy_id: str, on: date = ON, user: Any = SYSTEM) -> set[int]:
    found = eligible(user=user, policy=policy_get(policy_id), on=on)
    rows = found.page(0, 1000)
    assert found.count() == len(rows)
    return {r.pk for r in rows}


def _birthday(age: int, on: date = ON) -> date:
    """Born so that the ``age``-th birthday is ``on``."""
    return add_months(on, -12 * age)


@pytest.mark.parametrize(
    ("male", "age", "shift", "expected"),
    [
        (False, 35, 0, True),  # her 35th birthday: 年满35周岁
        (False, 35, 1, False),  # born a day later: 35 tomorrow
        (False, 34, 0, False),
        (True, 40, 0, True),
        (True, 40, 1, False),
        (True, 39, -300, False),  # a man of 39: the women's 35 does not apply to him
    ],
)
def test_flexible_social_insurance_age_edges(tree, male, age, shift, expected):
    from datetime import timedelta

    born = _birthday(age) + timedelta(days=shift)
    p = person(tree["a"], born=born, male=male)
    assert (p.pk in _ids("HD18-FLEX-SI")) is expected
    verdict = explain(policy=policy_get("HD18-FLEX-SI"), beneficiary=p, on=ON)
    assert verdict.eligible is expected
    age_reason = verdict.reasons[1]
    assert age_reason.ok is expected
    assert ("未满" in age_reason.text) is (not expected)


def test_leap_day_birth_reaches_the_age_on_28_february(tree):
    p = person(tree["a"], born=date(1988, 2, 29))  # 35 in 2023, a common year
    assert p.pk not in _ids("HD18-FLEX-SI", date(2023, 2, 27))
    assert p.pk in _ids("HD18-FLEX-SI", date(2023, 2, 28))


@pytest.mark.parametrize(
    ("hukou", "expected"),
    [("agricultural", True), ("converted", True), ("urban", False)],
)
def test_flexible_social_insurance_hukou(tree, hukou, expected):
    p = person(tree["a"], born=date(1970, 1, 1), hukou=hukou)
    assert (p.pk in _ids("HD18-FLEX-SI")) is expected
    reason = explain(policy=policy_get("HD18-FLEX-SI"), beneficiary=p, on=ON).reasons[0]
    assert reason.ok is expected
    if not expected:
        assert reason.text == "户籍为城镇，不是农业、农转非"


def test_status_is_read_at_the_date(tree):
    p = person(tree["a"], born=date(1970, 1, 1), status="unemployed", since=date(2026, 1, 5))
    status(p, "flexible", date(2026, 6, 1))
    assert p.pk not in _ids("HD18-FLEX-SI", date(2026, 5, 31))
    assert p.pk in _ids("HD18-FLEX-SI", date(2026, 6, 1))
    unknown = person(tree["a"], born=date(1970, 1, 1), status=None)
    verdict = explain(policy=policy_get("HD18-FLEX-SI"), beneficiary=unknown, on=ON)
    assert not verdict.eligible and "未登记" in verdict.reasons[2].text


def test_difficult_unit_subsidy_ends_with_the_recognition(tree):
    p = person(tree["a"], hukou="urban", status="unit")
    recognise(p, date(2026, 1, 10), ended_on=ON)
    assert p.pk in _ids("HD18-DIFFICULT-UNIT", date(2026, 11, 15))
    assert p.pk not in _ids("HD18-DIFFICULT-UNIT", ON)  # ended that day


def test_startup_subsidy_any_of(tree):
    farmer = person(tree["a"], hukou="agricultural", status="self")
    graduate = person(tree["a"], hukou="urban", status="self", graduate_year=2024)
    was_registered = person(tree["a"], hukou="urban", status="unemployed", registered=True)
    status(was_registered, "self", date(2026, 3, 1))
    neither = person(tree["a"], hukou="urban", status="self")
    assert _ids("HD18-STARTUP-SI") == {farmer.pk, graduate.pk, was_registered.pk}
    verdict = explain(policy=policy_get("HD18-STARTUP-SI"), beneficiary=neither, on=ON)
    assert not verdict.eligible and "不符合以下任一条件" in verdict.reasons[1].text


def test_loan_waiver_and_declared_range(tree):
    veteran = person(tree["a"], hukou="urban", status="self", veteran=True)
    policy = policy_get("HD18-LOAN")
    verdict = explain(policy=policy, beneficiary=veteran, on=ON, declared=Decimal(500000))
    assert verdict.eligible and verdict.amount == Decimal(500000)
    assert verdict.waiver.startswith("免予提供反担保") and "退役军人" in verdict.waiver
    too_much = explain(policy=policy, beneficiary=veteran, on=ON, declared=Decimal(1000001))
    assert not too_much.eligible and too_much.amount is None
    plain = person(tree["a"], hukou="urban", status="self")
    assert explain(policy=policy, beneficiary=plain, on=ON, declared=Decimal(300000)).waiver == ""


@pytest.mark.parametrize(
    ("trained_on", "expected"),
    [(date(2025, 12, 31), False), (date(2026, 1, 1), True), (date(2026, 11, 16), True)],
)
def test_training_subsidy_counts_the_year(tree, trained_on, expected):
    from jiuye.casework.models import ServiceRecord

    p = person(tree["a"], landless=True, status="unemployed")
    ServiceRecord.objects.create(
        person=p, kind="training", on=trained_on, enrolled=True, completed=True
    )
    assert (p.pk in _ids("004-TRAINING")) is expected
    assert p.pk not in _ids("004-APPRAISAL")  # completed, not certified


# ---- employers ----------------------------------------------------------------------------------


def _hire_many(tree: dict[str, Any], by: Any, n: int, on: date, **kind: Any) -> list[Any]:
    persons = [
        person(tree["a"], status="unemployed", since=date(2025, 1, 1), **kind) for _ in range(n)
    ]
    for p in persons:
        hire(by, p, on)
    return persons


@pytest.mark.parametrize(
    ("hires", "amount"),
    [
        (2, None),
        (3, Decimal(10000)),
        (5, Decimal(10000)),
        (6, Decimal(50000)),
        (9, Decimal(50000)),
        (10, Decimal(100000)),
        (12, Decimal(100000)),
    ],
)
def test_hiring_reward_tiers(tree, hires, amount):
    firm = employer(tree["a"])
    _hire_many(tree, firm, hires, date(2026, 5, 1), hukou="agricultural")
    found = {r.pk: r for r in eligible(user=SYSTEM, policy=policy_get("HD18-HIRE"), on=ON).page()}
    if amount is None:
        assert firm.pk not in found
    else:
        assert found[firm.pk].amount == amount and found[firm.pk].heads == hires


def test_hiring_reward_counts_one_calendar_year(tree):
    firm = employer(tree["a"])
    _hire_many(tree, firm, 2, date(2025, 12, 31), hukou="agricultural")
    _hire_many(tree, firm, 2, date(2026, 1, 1), hukou="agricultural")
    policy = policy_get("HD18-HIRE")
    assert explain(policy=policy, beneficiary=firm, on=date(2025, 12, 31)).heads.__len__() == 2
    assert len(explain(policy=policy, beneficiary=firm, on=ON).heads) == 2
    assert firm.pk not in _ids("HD18-HIRE")  # 2 + 2 across two years: no tier either year
    _hire_many(tree, firm, 1, date(2026, 12, 31), hukou="agricultural")
    assert firm.pk in _ids("HD18-HIRE", date(2026, 12, 31))
    assert firm.pk not in _ids("HD18-HIRE", date(2026, 12, 30))  # the hire is after the date


def test_hiring_reward_counts_only_the_listed_groups(tree, other_district):
    firm = employer(tree["a"])
    # urban, not registered, no degree: not counted
    for _ in range(3):
        p = person(tree["a"], hukou="urban", status="flexible")
        hire(firm, p, date(2026, 4, 1))
    assert firm.pk not in _ids("HD18-HIRE")
    # registered unemployed the day before the hire: counted (the hire ended the registration)
    for _ in range(2):
        p = person(tree["a"], hukou="urban", status="unemployed", registered=True)
        hire(firm, p, date(2026, 4, 2))
    graduate = person(tree["a"], hukou="urban", status="student", graduate_year=2026)
    hire(firm, graduate, date(2026, 7, 1))
    # agricultural, but from another district: not local
    stranger = person(other_district["community"], hukou="agricultural", status="unemployed")
    hire(firm, stranger, date(2026, 4, 3))
    verdict = explain(policy=policy_get("HD18-HIRE"), beneficiary=firm, on=ON)
    assert len(verdict.heads) == 3 and verdict.amount == Decimal(10000)
    assert stranger.pk not in verdict.heads and graduate.pk in verdict.heads


@pytest.mark.parametrize(
    ("months", "one_year", "three_years"),
    [
        (11, False, False),
        (12, True, False),
        (35, True, False),
        (36, False, True),
        (60, False, True),
    ],
)
def test_contract_subsidies_by_term(tree, months, one_year, three_years):
    firm = employer(tree["a"])
    p = person(tree["a"], hukou="urban", status="unit")
    recognise(p, date(2026, 1, 5))
    contract(firm, p, date(2026, 2, 1), months)
    assert (firm.pk in _ids("004-CONTRACT-1Y")) is one_year
    assert (firm.pk in _ids("004-CONTRACT-3Y")) is three_years


def test_contract_subsidy_needs_a_contract_in_force(tree):
    firm = employer(tree["a"])
    p = person(tree["a"], hukou="urban", status="unit")
    recognise(p, date(2025, 1, 5))
    contract(firm, p, date(2025, 1, 10), 12)  # ends 2026-01-10
    assert firm.pk in _ids("004-CONTRACT-1Y", date(2026, 1, 9))
    assert firm.pk not in _ids("004-CONTRACT-1Y", date(2026, 1, 10))


def test_employer_social_insurance_counts_agricultural_35_40(tree):
    firm = employer(tree["a"])
    old_enough = person(tree["a"], born=_birthday(35), hukou="converted", status="unit")
    young = person(tree["a"], born=_birthday(34), hukou="agricultural", status="unit")
    city = person(tree["a"], born=_birthday(50), hukou="urban", status="unit")
    for p in (old_enough, young, city):
        contract(firm, p, date(2026, 3, 1), 24)
    verdict = explain(policy=policy_get("HD18-EMPLOYER-SI"), beneficiary=firm, on=ON)
    assert verdict.heads == [old_enough.pk] and verdict.amount == Decimal(800)


def test_public_welfare_subsidy_follows_the_minimum_wage_change(tree):
    """min_wage: 2420 from 2023-09-01, 2540 from 2024-09-01 (parameters.toml); the subsidy is
    half of it per difficult person on the post, and the old value is never changed."""
    from tests.jobs.conftest import make_posting

    community = employer(tree["a"], "翠微社区居委会")
    post = make_posting(
        community, tree["a"], title="公益保洁", public_welfare=True, opens_on=date(2024, 1, 2)
    )
    p = person(tree["a"], hukou="urban", status="unemployed", since=date(2024, 1, 1))
    recognise(p, date(2024, 1, 1))
    hire(community, p, date(2024, 3, 1), posting=post)
    policy = policy_get("004-PUBLIC-POST")
    before = explain(policy=policy, beneficiary=community, on=date(2024, 8, 31))
    after = explain(policy=policy, beneficiary=community, on=date(2024, 9, 1))
    assert before.amount == Decimal("1210.00") and after.amount == Decimal("1270.00")
    assert before.inputs["parameter"] == {
        "id": "min_wage",
        "from": "2023-09-01",
        "value": "2420",
        "example": False,
    }
    assert after.inputs["parameter"]["from"] == "2024-09-01"
    assert before.period == "2024-08" and after.period == "2024-09"


def test_referral_subsidy_goes_to_the_community(tree):
    from jiuye.jobs import postings
    from tests.jobs.conftest import make_posting

    firm = employer(tree["a"])
    post = make_posting(firm, tree["a"], opens_on=date(2026, 3, 1))
    p = person(tree["b"], landless=True, status="unemployed", since=date(2026, 1, 1))
    referral = postings.referral_create(actor=None, person=p, posting=post, on=date(2026, 3, 5))
    postings.referral_outcome(
        actor=None, referral=referral, outcome="hired", on=date(2026, 3, 9), today=date(2026, 12, 1)
    )
    found = eligible(user=SYSTEM, policy=policy_get("004-REFERRAL"), on=ON).page()
    assert [(r.kind, r.pk, r.heads, r.amount) for r in found] == [
        ("unit", tree["b"].pk, 1, Decimal(200))
    ]


def test_certification_reward_comes_from_the_rule_set(tree):
    from jiuye.standards.models import Certification

    Certification.objects.create(
        unit=tree["a"],
        ruleset="HD-2012",
        level="community",
        year=2026,
        certified_on=date(2026, 10, 1),
    )
    rows = eligible(user=SYSTEM, policy=policy_get("CERT-HD-2012"), on=ON).page()
    assert [(r.pk, r.amount, r.period) for r in rows] == [
        (tree["a"].pk, Decimal(5000), "2026/HD-R3/110108001001")
    ]
    assert (
        eligible(user=SYSTEM, policy=policy_get("CERT-HD-2012"), on=date(2027, 1, 5)).count() == 0
    )


def test_jurisdiction_limits_the_list(tree, personas):
    a = person(tree["a"], born=date(1970, 1, 1))
    c = person(tree["c"], born=date(1970, 1, 1))
    assert _ids("HD18-FLEX-SI", user=personas["worker_a"]) == {a.pk}
    assert _ids("HD18-FLEX-SI", user=personas["street"]) == {a.pk}
    assert _ids("HD18-FLEX-SI", user=personas["district"]) == {a.pk, c.pk}
    assert _ids("HD18-FLEX-SI", user=personas["auditor"]) == set()
