# ruff: noqa: F811 (the fixtures imported below are the tests' parameters)
"""Explained matching (DOMAIN §8, 人岗匹配): who is matched with what, the score's parts and
their reasons, priority persons first among a posting's candidates, public-welfare posts for
recognised difficult persons only, and the bulk path giving the single path's lists."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jiuye.jobs import eligibility, matching, posting_selectors
from jiuye.jobs.definitions import posting_open_q
from jiuye.jobs.models import Posting
from jiuye.jobs.occupations import BY_CODE, OCCUPATIONS, occupation_name
from jiuye.registry import services as registry
from jiuye.registry.models import Person
from jiuye.units.models import Level
from jiuye.units.services import unit_create
from tests.conftest import make_id
from tests.jobs.matching_fixtures import (  # noqa: F401 (fixtures)
    LOST,
    ON,
    _fresh_cache,
    employer,
    posting,
    seeker,
)


def ids(matches: list[matching.Match]) -> list[int]:
    return [m.posting.id for m in matches]


# --- the occupations table -------------------------------------------------------------------


def test_occupations_are_a_valid_subset() -> None:
    from jiuye.jobs.checks import EDUCATION_RANK, occupation_problems

    assert 55 <= len(OCCUPATIONS) <= 70
    for o in OCCUPATIONS:
        assert not occupation_problems(o.code), o.code
        assert o.code[0] in "12345678"
        assert o.education in EDUCATION_RANK
        assert o.ages[0] < o.ages[1] and o.pay[0] < o.pay[1]
        assert o.words and o.titles and o.skills
    assert occupation_name("6-31-01-03") == "电工"
    assert occupation_name("9-99-99-99") == ""
    assert any(o.public_welfare for o in OCCUPATIONS)
    assert BY_CODE["4-09-07-01"].name == "保洁员"


# --- the person's list and its reasons ------------------------------------------------------


def test_reasons_in_words(seeker: Callable[..., Person], posting: Callable[..., Posting]) -> None:
    person = seeker(intent="电工", certificates="低压电工作业证", birth=date(1991, 3, 1))
    job = posting()
    result = matching.person_matches(person, on=ON)
    assert ids(result.matches) == [job.pk]
    match = result.matches[0]
    assert match.reasons == [
        "求职意向“电工”与岗位相符",
        "持有技能证书：低压电工作业证",
        "学历大专，满足“高中及以上”",
        "年龄35岁，在18–45岁之间",
        "同一社区",
        "月薪4000–6000元",
    ]
    assert 0 < match.score <= 100 and match.text > 0.5


@pytest.mark.parametrize(
    "education, birth, unit, expected",
    [
        ("初中", date(1991, 3, 1), "a", ["学历初中，低于“高中及以上”", "同一社区"]),
        ("", date(1991, 3, 1), "b", ["学历未登记，岗位要求“高中及以上”", "同一街道"]),
        ("本科", date(1970, 3, 1), "c", ["年龄56岁，不在18–45岁之间", "同区其他街道"]),
    ],
)
def test_misfits_said(
    seeker: Callable[..., Person],
    posting: Callable[..., Posting],
    education: str,
    birth: date,
    unit: str,
    expected: list[str],
) -> None:
    person = seeker(unit, education=education, birth=birth)
    posting()
    [match] = matching.person_matches(person, on=ON).matches
    for reason in expected:
        assert reason in match.reasons
    assert not match.suitable


def test_better_fit_ranks_first(
    seeker: Callable[..., Person], posting: Callable[..., Posting]
) -> None:
    person = seeker(intent="电工、维修电工", certificates="低压电工作业证")
    cleaner = posting("保洁员", occupation="4-09-07-01", skills="清洁打扫", min_education="")
    far = posting(unit="c")
    near = posting()
    assert ids(matching.person_matches(person, on=ON).matches) == [near.pk, far.pk, cleaner.pk]
    assert ids(matching.person_matches(person, on=ON, k=2).matches) == [near.pk, far.pk]


def test_no_pay_no_ages_no_education(
    seeker: Callable[..., Person], posting: Callable[..., Posting]
) -> None:
    person = seeker()
    posting(pay=(None, None), ages=(None, None), min_education="")
    [match] = matching.person_matches(person, on=ON).matches
    assert "月薪面议" in match.reasons
    assert not any(r.startswith(("学历", "年龄")) for r in match.reasons)
    assert match.suitable


def test_only_seekers_are_matched(
    seeker: Callable[..., Person], posting: Callable[..., Posting]
) -> None:
    person = seeker()
    posting()
    registry.person_change_status(
        actor=None, person=person, status="unit", since=date(2026, 5, 1), employer="甲"
    )
    assert matching.person_matches(person, on=ON).seeker is None
    # Before the job, they were one.
    assert matching.person_matches(person, on=date(2026, 4, 1)).seeker is not None


@pytest.mark.parametrize(
    "opens_on, closes_on, filled, shown",
    [
        (date(2026, 5, 1), None, 0, True),
        (ON, ON, 0, True),  # opens and closes that day
        (date(2026, 6, 2), None, 0, False),  # not yet open
        (date(2026, 5, 1), date(2026, 5, 31), 0, False),  # closed the day before
        (date(2026, 5, 1), None, 2, False),  # full
        (date(2026, 5, 1), None, 1, True),  # one vacancy left
    ],
)
def test_closed_and_full_postings_left_out(
    seeker: Callable[..., Person],
    posting: Callable[..., Posting],
    opens_on: date,
    closes_on: date | None,
    filled: int,
    shown: bool,
) -> None:
    person = seeker()
    job = posting(opens_on=opens_on, closes_on=closes_on, filled=filled)
    assert ids(matching.person_matches(person, on=ON).matches) == ([job.pk] if shown else [])
    # The rule's two forms agree (jobs.definitions): one posting, and postings in a query.
    assert posting_selectors.is_open(job, ON) is shown
    assert Posting.objects.filter(posting_open_q(ON), pk=job.pk).exists() is shown


def test_district_boundary(
    tree: dict[str, Any], seeker: Callable[..., Person], posting: Callable[..., Posting]
) -> None:
    other = unit_create(actor=None, code="110105", name="朝阳区", level=Level.DISTRICT)
    street = unit_create(
        actor=None, code="110105001", name="甲街道", level=Level.STREET, parent=other
    )
    tree["x"] = unit_create(
        actor=None, code="110105001001", name="甲社区", level=Level.COMMUNITY, parent=street
    )
    mine = posting(unit="c")
    posting(unit="x")
    person = seeker("a")
    result = matching.person_matches(person, on=ON)
    assert result.district == tree["district"]
    assert ids(result.matches) == [mine.pk]
    outsider = seeker("x")
    assert len(matching.person_matches(outsider, on=ON).matches) == 1
    assert matching.posting_candidates(mine, on=ON).matches[0].seeker.id == person.pk


# --- priority and public-welfare posts -------------------------------------------------------


def test_public_welfare_only_for_the_recognised_difficult(
    seeker: Callable[..., Person], posting: Callable[..., Posting]
) -> None:
    post = posting("社区保洁员", occupation="4-09-07-01", skills="清洁打扫", public_welfare=True)
    plain = seeker(intent="保洁")
    difficult = seeker(intent="保洁", difficult=True)
    zero = seeker(intent="保洁", alone=True)  # a zero-employment family, not recognised
    assert not eligibility.public_welfare_allowed(plain, ON)
    assert eligibility.public_welfare_allowed(difficult, ON)
    assert not eligibility.public_welfare_allowed(zero, ON)
    assert eligibility.is_priority(zero, ON) and not eligibility.is_priority(plain, ON)
    assert ids(matching.person_matches(plain, on=ON).matches) == []
    assert ids(matching.person_matches(zero, on=ON).matches) == []
    [match] = matching.person_matches(difficult, on=ON).matches
    assert "公益性岗位（限就业困难人员）" in match.reasons
    assert "就业困难人员，优先推荐" in match.reasons
    candidates = matching.posting_candidates(post, on=ON).matches
    assert [m.seeker.id for m in candidates] == [difficult.pk]
    # Before the recognition, not even them.
    assert not eligibility.public_welfare_allowed(difficult, date(2026, 3, 1))


def test_suitable_priority_persons_come_first(
    seeker: Callable[..., Person], posting: Callable[..., Posting]
) -> None:
    job = posting()
    best = seeker(intent="电工、维修电工", certificates="低压电工作业证")
    priority = seeker("b", intent="电工", difficult=True)  # the posting's street
    zero = seeker("a1", intent="电工", alone=True)
    far = seeker("c", intent="电工", difficult=True)  # another street: by score
    too_old = seeker(intent="电工", difficult=True, birth=date(1972, 1, 1))
    no_words = seeker(intent="会计", difficult=True)
    result = matching.posting_candidates(job, on=ON)
    order = [m.seeker.id for m in result.matches]
    assert set(order[:2]) == {priority.pk, zero.pk}  # suitable priority persons
    assert order[2] == best.pk  # the best score of the rest
    assert set(order[3:]) == {far.pk, too_old.pk, no_words.pk}
    by_id = {m.seeker.id: m for m in result.matches}
    assert "零就业家庭成员，优先推荐" in by_id[zero.pk].reasons
    assert by_id[best.pk].score > by_id[priority.pk].score
    assert not by_id[far.pk].suitable and by_id[priority.pk].suitable
    assert [m.seeker.id for m in matching.posting_candidates(job, on=ON, k=1).matches] == order[:1]


def test_eligibility_sql_agrees(seeker: Callable[..., Person]) -> None:
    people = [seeker(), seeker(difficult=True), seeker(alone=True)]
    for on in (date(2026, 3, 1), LOST, ON):
        sql = matching.seekers_sql(on, district_path="/110108/")
        by_id = {s.id: s for s in matching.read_seekers(sql, on)}
        for person in people:
            found = by_id.get(person.pk)
            if found is None:
                assert on < LOST
                continue
            assert found.difficult == eligibility.recognised_difficult(person, on)
            assert found.zero_family == eligibility.zero_family_member(person, on)


# --- two paths, one result -------------------------------------------------------------------


def test_bulk_gives_the_single_lists(
    seeker: Callable[..., Person], posting: Callable[..., Posting]
) -> None:
    posting()
    posting(unit="b", min_education="本科")
    posting(unit="c", ages=(30, 60))
    posting("社区保洁员", occupation="4-09-07-01", skills="清洁打扫", public_welfare=True)
    posting("仓库管理员", occupation="4-02-06-03", skills="出入库、盘点", unit="a1")
    posting("快递员", occupation="4-02-07-02", skills="快件收派", pay=(None, None))
    posting("电焊工", occupation="6-18-02-04", skills="氩弧焊", unit="c", min_education="")
    people = [
        seeker(intent="电工"),
        seeker("b", intent="仓管、库管", education="高中", difficult=True),
        seeker("c", intent="快递、外卖", birth=date(1975, 1, 1)),
        seeker(intent="保洁", alone=True),
        seeker(intent="焊工", certificates="焊工作业证"),
        seeker("a1", intent="", education=""),
        seeker(intent="电工", difficult=True),
    ]
    district = matching.district_of(people[0].community)
    bulk = matching.district_matches(district, on=ON, k=3, chunk=2)
    assert bulk.seekers == len(people) and bulk.postings == 7

    def key(matches: list[matching.Match]) -> list[tuple[int, int, float, list[str]]]:
        return [(m.seeker.id, m.posting.id, m.score, m.reasons) for m in matches]

    for person in people:
        single = matching.person_matches(person, on=ON, k=3).matches
        assert key(bulk.by_person[person.pk]) == key(single)
    for job in Posting.objects.all():
        single = matching.posting_candidates(job, on=ON, k=3).matches
        assert key(bulk.by_posting[job.pk]) == key(single)


def test_the_index_follows_the_postings(
    seeker: Callable[..., Person], posting: Callable[..., Posting]
) -> None:
    person = seeker()
    first = posting()
    assert ids(matching.person_matches(person, on=ON).matches) == [first.pk]
    second = posting(unit="b")
    assert ids(matching.person_matches(person, on=ON).matches) == [first.pk, second.pk]
    Posting.objects.filter(pk=first.pk).update(filled=2)  # hires do not touch updated_at
    assert ids(matching.person_matches(person, on=ON).matches) == [second.pk]


def test_terms_for_a_posting_without_them(posting: Callable[..., Posting]) -> None:
    job = posting()
    Posting.objects.filter(pk=job.pk).update(terms="")
    job.refresh_from_db()
    assert "电工" in matching.posting_terms_for(job).split()
    assert job.terms == ""  # nothing written


# --- the command -----------------------------------------------------------------------------


def _run(*args: str) -> str:
    out = StringIO()
    call_command("match", *args, stdout=out)
    return out.getvalue()


def test_command_text_and_json(
    seeker: Callable[..., Person], posting: Callable[..., Posting]
) -> None:
    person = seeker(certificates="低压电工作业证")
    job = posting()
    shown = _run(person.id_number, "--date", ON.isoformat())
    assert job.number in shown and "物业维修电工" in shown and "翠微物业有限公司" in shown
    assert "求职意向“电工”与岗位相符" in shown
    assert person.id_number not in shown
    data = json.loads(_run(person.id_number, "--date", ON.isoformat(), "--json"))
    assert data["person"]["id_number"] != person.id_number
    [found] = data["matches"]
    assert found["number"] == job.number and found["employer"] == "翠微物业有限公司"
    assert found["score"] > 0 and "同一社区" in found["reasons"]
    listed = _run("--posting", job.number, "--date", ON.isoformat())
    assert person.name in listed and person.id_number not in listed
    data = json.loads(_run("--posting", job.number, "--date", ON.isoformat(), "--json"))
    assert data["candidates"][0]["id"] == person.pk
    assert data["candidates"][0]["id_number"] != person.id_number


def test_command_errors(seeker: Callable[..., Person]) -> None:
    person = seeker()
    with pytest.raises(CommandError, match="公民身份号码无效"):
        _run("110108199103010000")
    unknown = make_id(date(1985, 5, 5))
    with pytest.raises(CommandError, match="登记中没有此人") as caught:
        _run(unknown)
    assert unknown not in str(caught.value)
    with pytest.raises(CommandError, match="岗位编号不存在"):
        _run("--posting", "NOPE")
    with pytest.raises(CommandError):
        _run(person.id_number, "--date", "2026-13-01")
    with pytest.raises(CommandError, match="--limit"):
        _run(person.id_number, "--limit", "0")
    shown = _run(person.id_number, "--date", "2026-01-01")
    assert "不是求职人员" in shown
