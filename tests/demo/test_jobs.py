"""The jobs side of the generated district (``demo.jobs``): employers with valid codes, their
contracts at realistic signing and renewal rates, postings about one per hundred persons, and
the seekers each posting was planted for, who fit it and whom the matcher finds."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import pytest
from stdnum.cn import uscc

from jiuye.demo.generator import Batch, SeedConfig, generate
from jiuye.jobs import checks, matching
from jiuye.jobs.columns import CONTRACT_FIELDS, POSTING_FIELDS
from jiuye.jobs.occupations import BY_CODE
from jiuye.lib import retirement
from jiuye.registry.columns import PERSON_FIELDS

CONFIG = SeedConfig(persons=20_000, seed=3)
P = {name: i for i, name in enumerate(PERSON_FIELDS)}
J = {name: i for i, name in enumerate(POSTING_FIELDS)}
C = {name: i for i, name in enumerate(CONTRACT_FIELDS)}


@pytest.fixture(scope="module")
def district() -> Batch:
    out = Batch()
    for batch in generate(CONFIG):
        for name in ("persons", "employers", "staff_reports", "contracts", "postings", "planted"):
            getattr(out, name).extend(getattr(batch, name))
        out.layoffs.extend(batch.layoffs)
    return out


def test_same_seed_same_jobs(district: Batch) -> None:
    again = Batch()
    for batch in generate(CONFIG):
        again.postings.extend(batch.postings)
        again.planted.extend(batch.planted)
    assert again.postings == district.postings and again.planted == district.planted


def test_employers_have_valid_unique_codes(district: Batch) -> None:
    codes = [row[1] for row in district.employers]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert uscc.is_valid(code) and not checks.uscc_problems(code)
    assert any(row[2].endswith("居民委员会") for row in district.employers)


def test_postings_about_one_per_hundred_persons(district: Batch) -> None:
    postings = district.postings
    assert 0.7 * CONFIG.persons / 100 <= len(postings) <= 1.3 * CONFIG.persons / 100
    public = [p for p in postings if p[J["public_welfare"]]]
    assert 0.04 <= len(public) / len(postings) <= 0.2
    for row in postings:
        if row[J["occupation"]]:
            assert not checks.occupation_problems(row[J["occupation"]])
        assert row[J["terms"]]
        assert not checks.posting_problems(
            title=row[J["title"]],
            occupation=row[J["occupation"]],
            min_education=row[J["min_education"]],
            age_min=row[J["age_min"]],
            age_max=row[J["age_max"]],
            vacancies=row[J["vacancies"]],
            pay_min=row[J["pay_min"]],
            pay_max=row[J["pay_max"]],
            opens_on=row[J["opens_on"]],
            closes_on=row[J["closes_on"]],
        )


def test_planted_seekers_fit_their_posting(district: Batch) -> None:
    persons = {row[P["id"]]: row for row in district.persons}
    postings = {row[J["id"]]: row for row in district.postings}
    assert len(district.planted) >= len(postings)
    used = set()
    titles_only = shared = 0
    for pair in district.planted:
        person, posting = persons[pair.person_id], postings[pair.posting_id]
        assert pair.person_id not in used  # one posting each
        used.add(pair.person_id)
        assert person[P["current_status"]] == "unemployed"
        assert person[P["able"]] and person[P["willing"]]
        assert person[P["community_id"]] == posting[J["unit_id"]]
        assert not posting[J["public_welfare"]]
        assert posting[J["opens_on"]] <= CONFIG.today
        need = checks.education_rank(posting[J["min_education"]])
        assert checks.education_rank(person[P["education"]]) >= need
        age = matching._age(person[P["birth_date"]], CONFIG.today)
        assert posting[J["age_min"]] <= age <= posting[J["age_max"]]
        wanted = set(matching.seeker_words(person[P["job_intent"]], person[P["certificates"]], ""))
        shared += bool(wanted & set(posting[J["terms"]].split()))
        titles_only += bool(wanted & set(matching.text.words(posting[J["title"]])))
    # Most share a word with the posting's terms (a posting without its occupation code and
    # with few skills may share none); the titles alone miss a good share of them.
    assert shared / len(district.planted) > 0.85
    assert 0.2 < titles_only / len(district.planted) < shared / len(district.planted) - 0.1


def test_other_seekers_want_work_too(district: Batch) -> None:
    seekers = [
        p
        for p in district.persons
        if p[P["current_status"]] == "unemployed" and p[P["able"]] and p[P["willing"]]
    ]
    with_intent = [p for p in seekers if p[P["job_intent"]]]
    assert len(with_intent) / len(seekers) > 0.85


def test_contract_rates_realistic(district: Batch) -> None:
    """Signing (contracts in force ÷ staff reported) 95–99%, renewal of the contracts that
    expired in the last year 85–95%."""
    today = CONFIG.today
    by_employee: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for row in district.contracts:
        by_employee[(row[C["employer_id"]], row[C["employee_key"]])].append(row)
    in_force = 0
    expired = renewed = 0
    year_ago = date(today.year - 1, today.month, today.day)
    for events in by_employee.values():
        events.sort(key=lambda r: r[C["on"]])
        ends: date | None = None
        for row in events:
            if row[C["kind"]] == "ended":
                ends = None
                break
            if ends is not None and year_ago <= ends <= today:
                expired += 1
                renewed += row[C["kind"]] == "renewed"
            ends = retirement.add_months(row[C["on"]], row[C["term_months"]])
        else:
            if ends is not None and year_ago <= ends <= today:
                expired += 1  # expired, not renewed, still there
        in_force += ends is not None and ends > today
    latest: dict[int, tuple[date, int]] = {}
    for _pk, employer, on, staff, _ in district.staff_reports:
        if employer not in latest or on > latest[employer][0]:
            latest[employer] = (on, staff)
    staff = sum(s for _, s in latest.values())
    assert 0.93 <= in_force / staff <= 1.0
    assert 0.8 <= renewed / expired <= 0.97


@pytest.mark.django_db
def test_matcher_finds_the_planted(db: Any) -> None:
    from jiuye.demo.loader import seed
    from jiuye.units.models import Unit

    summary = seed(SeedConfig(persons=6_000, seed=5))
    assert summary.postings and summary.employers and summary.contracts
    matching.clear_cache()
    district = Unit.objects.get(level="district")
    result = matching.district_matches(district, on=CONFIG.today, k=10)
    planted: dict[int, set[int]] = defaultdict(set)
    for pair in summary.planted:
        planted[pair.posting_id].add(pair.person_id)
    found = total = 0
    for posting_id, persons in planted.items():
        top = {m.seeker.id for m in result.by_posting.get(posting_id, [])}
        found += len(top & persons)
        total += len(persons)
    assert found / total > 0.5
    assert BY_CODE  # the table is what the generator drew from
