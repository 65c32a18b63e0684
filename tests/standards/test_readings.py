"""The readings of 2026-12 (DOMAIN, last section) in the standards, table-driven per rule ID,
with their edges. Every evaluation is checked to be the same from the incremental aggregates and
from scratch (``conftest.evaluate``).

1. Status unknown before a person's first event: counted in no indicator (HD-C1, CQ-1, CQ-3,
   the zero families of HD-C2/CQ-2).
2. Urban hukou = 城镇 or 农转非; ``registered_unemployment_rate`` (HD-Q2e) by the person's.
3. CQ-2 counts urban households only, in every figure; HD and QG count all.
4. Every zero-family figure reads the zero-family cases (the one set of episodes).
5. CQ-3 over able, working-age members of urban dibao households with a known status other
   than student/retired, willing or not; numerator unemployed or out.
6. HD-C3 over surveys of persons unemployed on some day of the period up to the survey.
7. CQ-4 by the deadline's period.
8. QG item 6 (visits and quarterly contacts): see also ``test_scoring``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import count
from typing import Any

import pytest

from jiuye.casework import services as casework
from jiuye.casework.models import ZeroFamilyCase
from jiuye.registry import services
from jiuye.standards.indicators import fact_sheet
from tests.standards.conftest import criterion

D = date
ON = D(2026, 5, 12)
_numbers = count(1)


def _household(tree: dict[str, Any], hukou: str = "urban", dibao: bool = False) -> Any:
    return services.household_create(
        actor=None,
        number=f"RD-{next(_numbers):05d}",
        unit=tree["a"],
        hukou_type=hukou,
        dibao=dibao,
    )


def _value(result: Any, cid: str) -> Any:
    found = criterion(result, cid)
    return (found.numerator, found.denominator) if found.denominator is not None else found.value


# ---- 1. status unknown ------------------------------------------------------------------------

UNKNOWN = {
    "no status at all": ((), ON, (1, 1)),
    "first event after the date": (((D(2026, 6, 1), "unemployed"),), ON, (1, 1)),
    "first event on the date": (((ON, "unemployed"),), ON, (1, 2)),
    "first event the day before": (((D(2026, 5, 11), "unemployed"),), ON, (1, 2)),
}


@pytest.mark.parametrize(("statuses", "on", "c1"), UNKNOWN.values(), ids=UNKNOWN)
def test_hd_c1_unknown_status_counts_nowhere(
    person: Callable[..., Any],
    evaluate: Callable[..., Any],
    statuses: tuple[Any, ...],
    on: date,
    c1: tuple[int, int],
) -> None:
    """HD-C1/CQ-1: a working-age, able, willing person with no status in force is neither in the
    labor force nor employed nor unemployed (it was "labor force, not employed")."""
    worker = person("a", statuses=((D(2020, 1, 1), "unit"),))
    person("a", hh=worker.household, statuses=statuses)
    assert _value(evaluate("a", "HD-2012", on), "HD-C1") == c1
    assert _value(evaluate("a", "CQ-2007", on), "CQ-1") == c1


def test_zero_family_not_dated_back_to_the_16th_birthday(
    person: Callable[..., Any], evaluate: Callable[..., Any]
) -> None:
    """HD-C2/CQ-2: a household whose only member's history starts on 2026-03-01, unemployed,
    became a zero family that day (not on the 16th birthday in 2000): 72 days at 05-12; once
    the member is employed, none is left (it was eliminated late, after its due day 04-01)."""
    member = person("a", birth=D(1984, 1, 1), statuses=((D(2026, 3, 1), "unemployed", True),))
    sheet = fact_sheet(root=member.community, on=ON, indicators=["zero_family_max_days"])
    assert sheet.facts_for(member.community)["zero_family_max_days"] == (ON - D(2026, 3, 1)).days
    result = evaluate("a", "CQ-2007", ON)
    assert (_value(result, "CQ-2a"), _value(result, "CQ-2b")) == (1, 1)  # due 04-01: late
    services.person_change_status(actor=None, person=member, status="unit", since=D(2026, 5, 20))
    later = evaluate("a", "CQ-2007", D(2026, 12, 31))
    assert (_value(later, "CQ-2a"), _value(later, "CQ-2b")) == (0, 1)  # eliminated 05-20, late
    assert _value(evaluate("a", "HD-2012", D(2026, 12, 31)), "HD-C2b") == 0


# ---- 2. urban hukou: 城镇 and 农转非 -------------------------------------------------------------

URBAN = {
    "城镇 person": ("urban", "agricultural", (1, 2)),
    "农转非 person": ("converted", "agricultural", (1, 2)),
    "农业 person in an urban household": ("agricultural", "urban", (0, 1)),
}


@pytest.mark.parametrize(("hukou", "household_hukou", "q2e"), URBAN.values(), ids=URBAN)
def test_hd_q2e_by_the_persons_urban_hukou(
    person: Callable[..., Any],
    evaluate: Callable[..., Any],
    tree: dict[str, Any],
    hukou: str,
    household_hukou: str,
    q2e: tuple[int, int],
) -> None:
    """HD-Q2e: urban-hukou registered unemployed / (urban employed + urban registered), the
    person's hukou, 城镇 or 农转非."""
    person("a", statuses=((D(2020, 1, 1), "unit"),))  # 城镇, employed
    hh = _household(tree, hukou=household_hukou)
    person("a", hh=hh, hukou_type=hukou, statuses=((D(2020, 1, 1), "unemployed", True),))
    assert _value(evaluate("district", "HD-2012", ON), "HD-Q2e") == q2e


# ---- 3./4. zero families: CQ-2 urban only, all from the cases --------------------------------

ZERO = {
    "城镇 household": ("urban", 1, 1),
    "农转非 household": ("converted", 1, 1),
    "农业 household": ("agricultural", 1, 0),
}


@pytest.mark.parametrize(("hukou", "all_", "urban"), ZERO.values(), ids=ZERO)
def test_cq2_counts_urban_households_only(
    person: Callable[..., Any],
    evaluate: Callable[..., Any],
    tree: dict[str, Any],
    hukou: str,
    all_: int,
    urban: int,
) -> None:
    """CQ-2 (every figure: at the date, over a month) counts urban households only; HD-C2 and
    QG-3 count every household. Emerged 03-10 (due 04-10), still open at 05-12: late."""
    hh = _household(tree, hukou=hukou)
    person("a", hh=hh, statuses=((D(2020, 1, 1), "unit"), (D(2026, 3, 10), "unemployed")))
    cq = evaluate("a", "CQ-2007", ON)
    assert (_value(cq, "CQ-2a"), _value(cq, "CQ-2b")) == (urban, urban)
    assert _value(evaluate("a", "HD-2012", ON), "HD-C2b") == all_
    assert _value(evaluate("a", "QG-2016", ON), "QG-3c") == all_
    sheet = fact_sheet(
        root=tree["a"],
        on=ON,
        indicators=["zero_family_max_days", "zero_family_max_days_urban"],
    )
    facts = sheet.facts_for(tree["a"])
    assert facts["zero_family_max_days"] == 63  # 03-10 → 05-12
    assert facts["zero_family_max_days_urban"] == (63 if urban else 0)


@pytest.mark.parametrize(
    ("emerged", "eliminated", "on", "open_", "late"),
    [
        (D(2026, 1, 31), None, D(2026, 2, 28), 1, 0),  # due 02-28: not yet late
        (D(2026, 1, 31), None, D(2026, 3, 1), 1, 1),
        (D(2024, 1, 31), D(2024, 2, 29), D(2024, 5, 1), 0, 0),  # leap year: due 02-29
        (D(2024, 1, 31), D(2024, 3, 1), D(2024, 5, 1), 0, 1),
        (D(2026, 3, 10), D(2026, 5, 12), D(2026, 5, 11), 1, 1),  # ended after the date: open
        (D(2026, 3, 10), D(2026, 5, 12), D(2026, 5, 12), 0, 1),  # ended on the date
        (D(2026, 5, 13), None, D(2026, 5, 12), 0, 0),  # emerges after the date
    ],
)
def test_zero_figures_read_the_cases(
    tree: dict[str, Any],
    evaluate: Callable[..., Any],
    emerged: date,
    eliminated: date | None,
    on: date,
    open_: int,
    late: int,
) -> None:
    """CQ-2/HD-C2: the figures are the zero-family cases read as of the date (open on D iff
    emerged_on <= D < eliminated_on), whatever the registry's statuses say: one set of
    episodes for the worklist, the cases and every indicator."""
    hh = _household(tree)
    ZeroFamilyCase.objects.create(
        household=hh,
        emerged_on=emerged,
        eliminated_on=eliminated,
        close_reason="employed" if eliminated else "",
    )
    cq = evaluate("a", "CQ-2007", on)
    assert (_value(cq, "CQ-2a"), _value(cq, "CQ-2b")) == (open_, late)
    assert _value(evaluate("a", "HD-2012", on), "HD-C2b") == open_


# ---- 5. CQ-3 ------------------------------------------------------------------------------------

# (member, in the base, not employed)
CQ3_MEMBERS = {
    "unemployed": (dict(statuses=((D(2020, 1, 1), "unemployed"),)), 1, 1),
    "unemployed, unwilling": (dict(statuses=((D(2020, 1, 1), "unemployed"),), willing=False), 1, 1),
    "out of the labor force": (dict(statuses=((D(2020, 1, 1), "out"),)), 1, 1),
    "out, unwilling": (dict(statuses=((D(2020, 1, 1), "out"),), willing=False), 1, 1),
    "employed": (dict(statuses=((D(2020, 1, 1), "flexible"),)), 1, 0),
    "employed, unwilling": (dict(statuses=((D(2020, 1, 1), "unit"),), willing=False), 1, 0),
    "student": (dict(statuses=((D(2020, 1, 1), "student"),)), 0, 0),
    "retired": (dict(statuses=((D(2020, 1, 1), "retired"),)), 0, 0),
    "status unknown": (dict(statuses=()), 0, 0),
    "unable": (dict(statuses=((D(2020, 1, 1), "unemployed"),), able=False), 0, 0),
    "not yet 16": (dict(birth=D(2010, 6, 1), statuses=((D(2025, 9, 1), "unemployed"),)), 0, 0),
    "retirement age": (dict(birth=D(1960, 1, 1), statuses=((D(2015, 1, 1), "unemployed"),)), 0, 0),
}


@pytest.mark.parametrize(("member", "base", "not_employed"), CQ3_MEMBERS.values(), ids=CQ3_MEMBERS)
def test_cq3_base_and_numerator(
    person: Callable[..., Any],
    evaluate: Callable[..., Any],
    tree: dict[str, Any],
    member: dict[str, Any],
    base: int,
    not_employed: int,
) -> None:
    """CQ-3 (享受城市居民最低生活保障人员中有劳动能力的未就业人员比例): members of urban dibao
    households of working age, able, with a known status other than student/retired, willing
    or not; the numerator, those unemployed or out."""
    hh = _household(tree, hukou="urban", dibao=True)
    person("a", hh=hh, **member)
    assert _value(evaluate("a", "CQ-2007", ON), "CQ-3") == (not_employed, base)


HOUSEHOLDS = {
    "城镇 dibao household": ("urban", True, (1, 1)),
    "农转非 dibao household": ("converted", True, (1, 1)),
    "农业 dibao household": ("agricultural", True, (0, 0)),
    "城镇 household, not dibao": ("urban", False, (0, 0)),
}


@pytest.mark.parametrize(("hukou", "dibao", "cq3"), HOUSEHOLDS.values(), ids=HOUSEHOLDS)
def test_cq3_urban_dibao_households_only(
    person: Callable[..., Any],
    evaluate: Callable[..., Any],
    tree: dict[str, Any],
    hukou: str,
    dibao: bool,
    cq3: tuple[int, int],
) -> None:
    hh = _household(tree, hukou=hukou, dibao=dibao)
    person("a", hh=hh, statuses=((D(2020, 1, 1), "unemployed"),))
    assert _value(evaluate("a", "CQ-2007", ON), "CQ-3") == cq3


@pytest.mark.parametrize(
    ("not_employed", "passed"),
    [(2, True), (3, True), (4, False)],  # of 10: ≤ 30 %
)
def test_cq3_threshold(
    person: Callable[..., Any],
    evaluate: Callable[..., Any],
    tree: dict[str, Any],
    not_employed: int,
    passed: bool,
) -> None:
    hh = _household(tree, dibao=True)
    for i in range(10):
        status = "out" if i < not_employed else "unit"
        person("a", hh=hh, statuses=((D(2020, 1, 1), status),))
    found = criterion(evaluate("a", "CQ-2007", ON), "CQ-3")
    assert (found.numerator, found.denominator, found.passed) == (not_employed, 10, passed)
    assert found.gap == (0 if passed else 1)


# ---- 6. HD-C3 -----------------------------------------------------------------------------------

# (statuses of the person who answers on 2026-03-05, counted over 2026-01-01 … 05-12)
SURVEYS = {
    "never unemployed": (((D(2020, 1, 1), "unit"),), False),
    "unemployed on the survey day": (((D(2026, 3, 1), "unemployed"),), True),
    "unemployed since before the period": (((D(2024, 1, 1), "unemployed", True),), True),
    "unemployed in the period, employed before the survey": (
        ((D(2025, 6, 1), "unemployed"), (D(2026, 2, 1), "unit")),
        True,
    ),
    "unemployed up to the period's first day (employed on it)": (
        ((D(2025, 6, 1), "unemployed"), (D(2026, 1, 1), "unit")),
        False,
    ),
    "unemployed on the period's first day only": (
        ((D(2025, 6, 1), "unemployed"), (D(2026, 1, 2), "unit")),
        True,
    ),
    "unemployed only after the survey": (
        ((D(2020, 1, 1), "unit"), (D(2026, 3, 6), "unemployed")),
        False,
    ),
    "status unknown": ((), False),
    "out of the labor force": (((D(2020, 1, 1), "out"),), False),
}


@pytest.mark.parametrize(("statuses", "counted"), SURVEYS.values(), ids=SURVEYS)
def test_hd_c3_surveys_of_unemployed_persons(
    person: Callable[..., Any],
    evaluate: Callable[..., Any],
    statuses: tuple[Any, ...],
    counted: bool,
) -> None:
    """HD-C3/S3 (失业人员满意度测评): a survey counts when its person was unemployed on some day
    of the period up to the survey's date."""
    p = person("a", statuses=statuses)
    casework.service_record_create(
        actor=None, person=p, kind="survey", on=D(2026, 3, 5), outcome="satisfied", today=ON
    )
    assert _value(evaluate("a", "HD-2012", ON), "HD-C3") == ((1, 1) if counted else (0, 0))
    assert _value(evaluate("s1", "HD-2012", ON), "HD-S3") == ((1, 1) if counted else (0, 0))


def test_hd_c3_period_start_decides(
    person: Callable[..., Any], evaluate: Callable[..., Any]
) -> None:
    """The same survey counts over a period that includes a day of the unemployment and not
    over one that starts after it (``--from``); a leap day as the last unemployed day."""
    p = person("a", statuses=((D(2024, 1, 1), "unemployed"), (D(2024, 3, 1), "unit")))
    casework.service_record_create(
        actor=None, person=p, kind="survey", on=D(2024, 6, 1), outcome="neutral", today=ON
    )
    on = D(2024, 6, 30)
    assert _value(evaluate("a", "HD-2012", on, start=D(2024, 2, 29)), "HD-C3") == (0, 1)
    assert _value(evaluate("a", "HD-2012", on, start=D(2024, 3, 1)), "HD-C3") == (0, 0)


@pytest.mark.parametrize(
    ("satisfied", "surveys", "passed", "gap"),
    [(9, 10, True, 0), (8, 9, False, 1), (17, 19, False, 1), (18, 20, True, 0)],
)
def test_hd_c3_threshold(
    person: Callable[..., Any],
    evaluate: Callable[..., Any],
    satisfied: int,
    surveys: int,
    passed: bool,
    gap: int,
) -> None:
    """HD-C3 ≥ 90 %: exactly 90 % passes; the gap is satisfied surveys still to add."""
    p = person("a", statuses=((D(2025, 1, 1), "unemployed", True),))
    for i in range(surveys):
        casework.service_record_create(
            actor=None,
            person=p,
            kind="survey",
            on=D(2026, 1, 5 + i),
            outcome="very_satisfied" if i < satisfied else "dissatisfied",
            today=ON,
        )
    found = criterion(evaluate("a", "HD-2012", ON), "HD-C3")
    assert (found.numerator, found.denominator, found.passed, found.gap) == (
        satisfied,
        surveys,
        passed,
        gap,
    )


# ---- 7. CQ-4 by the deadline's period ----------------------------------------------------------

# A registration on 2025-12-30: its 3rd working day is 2026-01-05 (1–3 January holidays,
# Sunday 4 January a working day). (guided on, evaluated on, CQ-4 numerator/denominator)
GUIDANCE = {
    "2025: deadline in January, not counted": (D(2025, 12, 31), D(2025, 12, 31), (0, 0)),
    "2025: not guided, not counted": (None, D(2025, 12, 31), (0, 0)),
    "2026: guided in December, on time": (D(2025, 12, 31), D(2026, 1, 10), (1, 1)),
    "2026: on the deadline day, pending": (None, D(2026, 1, 5), (0, 0)),
    "2026: guided on the deadline day": (D(2026, 1, 5), D(2026, 1, 5), (1, 1)),
    "2026: a day after the deadline, overdue": (None, D(2026, 1, 6), (0, 1)),
    "2026: guided a day late": (D(2026, 1, 6), D(2026, 1, 6), (0, 1)),
}


@pytest.mark.parametrize(("guided", "on", "cq4"), GUIDANCE.values(), ids=GUIDANCE)
def test_cq4_by_the_deadlines_period(
    registered: Callable[..., Any],
    evaluate: Callable[..., Any],
    guided: date | None,
    on: date,
    cq4: tuple[int, int],
) -> None:
    """CQ-4: registrations whose deadline falls in the period and has passed by the date, or
    that already had their guidance; the numerator, those guided on time."""
    p = registered(D(2025, 12, 30), unit="a")
    if guided is not None:
        casework.service_record_create(
            actor=None, person=p, kind="guidance", on=guided, today=D(2026, 12, 31)
        )
    assert _value(evaluate("a", "CQ-2007", on), "CQ-4") == cq4


# ---- 8. QG-6 quarterly contacts ----------------------------------------------------------------

CONTACTS = {
    "Q1 not ended on 03-31": (None, D(2026, 3, 31), 0),
    "Q1 ended, no contact": (None, D(2026, 4, 1), 1),
    "contact on 03-31 (Q1's last day)": (D(2026, 3, 31), D(2026, 4, 1), 0),
    "contact on 04-01 counts for Q2": (D(2026, 4, 1), D(2026, 4, 1), 1),
    "two quarters ended, no contact": (None, D(2026, 7, 1), 2),
    "Q1 contact, Q2 missed": (D(2026, 2, 1), D(2026, 7, 1), 1),
}


@pytest.mark.parametrize(("contacted", "on", "misses"), CONTACTS.values(), ids=CONTACTS)
def test_qg6_quarterly_contact_misses(
    person: Callable[..., Any],
    evaluate: Callable[..., Any],
    contacted: date | None,
    on: date,
    misses: int,
) -> None:
    """QG-6 (item 6): −1 per difficult person missing a quarterly contact, over the quarters of
    the period that have ended by the date."""
    p = person("a", statuses=((D(2020, 1, 1), "unemployed", True),))
    services.recognition_create(
        actor=None, person=p, category="other", recognized_on=D(2025, 6, 1), note="x"
    )
    if contacted is not None:
        casework.service_record_create(
            actor=None, person=p, kind="contact", on=contacted, today=D(2026, 12, 31)
        )
    sheet = fact_sheet(root=p.community, on=on, indicators=["difficult_contact_misses"])
    assert sheet.facts_for(p.community)["difficult_contact_misses"] == misses
    result = evaluate("a", "QG-2016", on)
    item6 = next(i for i in result.score.items if i.item.no == 6)
    visits = next(d for d in item6.deductions if d.deduction.indicator == "visit_rate")
    assert item6.assessor_score == max(0, 7 - misses - visits.assessor_points)


def test_cq4_registration_ended_before_its_deadline_in_the_next_period(
    person: Callable[..., Any], evaluate: Callable[..., Any]
) -> None:
    """CQ-4: registered 2025-12-30 (deadline 2026-01-05), employed on 2026-01-02, never guided:
    counted (missed) in 2026, the deadline's period, like a registration of the period that
    ends before its guidance."""
    person(
        "a",
        statuses=(
            (D(2020, 1, 1), "unit"),
            (D(2025, 12, 30), "unemployed", True),
            (D(2026, 1, 2), "unit"),
        ),
    )
    assert _value(evaluate("a", "CQ-2007", D(2025, 12, 31)), "CQ-4") == (0, 0)
    assert _value(evaluate("a", "CQ-2007", D(2026, 1, 10)), "CQ-4") == (0, 1)
