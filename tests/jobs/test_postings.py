"""Postings (DOMAIN §8): checks, numbers, who writes, the work place, vacancies and closing;
``open_q`` at its edges."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiuye.audit.models import AuditEntry
from jiuye.jobs import postings
from jiuye.jobs.models import Posting
from jiuye.jobs.posting_selectors import is_open, open_q, postings_filtered, postings_visible
from jiuye.units.models import Level
from jiuye.units.services import unit_create
from tests.jobs.conftest import make_posting

pytestmark = pytest.mark.django_db


def _codes(error: ValidationError) -> set[str]:
    return {e.code for e in error.error_list if e.code}


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"title": "  "}, "text_required"),
        ({"occupation": "9-99"}, "occupation_invalid"),
        ({"min_education": "幼儿园"}, "education_unknown"),
        ({"age_min": 15}, "age_range"),
        ({"age_min": 40, "age_max": 30}, "age_order"),
        ({"pay_min": 5000, "pay_max": 4000}, "pay_order"),
        ({"vacancies": 0}, "vacancies"),
        ({"closes_on": date(2026, 2, 28)}, "dates_order"),
        ({"number": "X" * 33}, "number_too_long"),
    ],
)
def test_posting_checks(employer: Any, tree: dict[str, Any], extra: dict, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_posting(employer, tree["a"], **extra)
    assert code in _codes(caught.value)
    assert not Posting.objects.exists()


def test_posting_edges_accepted(employer: Any, tree: dict[str, Any]) -> None:
    made = make_posting(
        employer,
        tree["a"],
        age_min=16,
        age_max=70,
        pay_min=3000,
        pay_max=3000,
        closes_on=date(2026, 3, 1),
        occupation="4-07-05-01",
        min_education="高中",
    )
    assert made.closes_on == made.opens_on


def test_number_generated_and_unique(employer: Any, tree: dict[str, Any]) -> None:
    first = make_posting(employer, tree["a"])
    second = make_posting(employer, tree["a"])
    assert first.number == "GW2026000001"
    assert second.number == "GW2026000002"
    other_year = make_posting(employer, tree["a"], opens_on=date(2025, 12, 1))
    assert other_year.number == "GW2025000001"
    given = make_posting(employer, tree["a"], number="hd-001")
    assert given.number == "HD-001"
    with pytest.raises(ValidationError) as caught:
        make_posting(employer, tree["a"], number="HD-001")
    assert "number_taken" in _codes(caught.value)


def test_terms_filled(posting: Any) -> None:
    assert "保洁" in posting.terms.split()


def test_work_place_in_the_employers_district(employer: Any, tree: dict[str, Any]) -> None:
    # Anywhere in the district: another street's community.
    assert make_posting(employer, tree["c"]).unit == tree["c"]
    other = unit_create(actor=None, code="110109", name="门头沟区", level=Level.DISTRICT)
    with pytest.raises(ValidationError) as caught:
        make_posting(employer, other)
    assert "unit_outside_district" in _codes(caught.value)
    assert "海淀区" in str(caught.value)


def test_who_creates(employer: Any, tree: dict[str, Any], personas: dict[str, Any]) -> None:
    for key in ("worker_a", "street", "district"):
        postings.posting_create(
            actor=personas[key],
            employer=employer,
            title="收银员",
            vacancies=1,
            unit=tree["a"],
            opens_on=date(2026, 3, 1),
        )
    for key in ("worker_b", "grid_a1", "auditor", "nobody", "sysadmin"):
        with pytest.raises(PermissionDenied):
            postings.posting_create(
                actor=personas[key],
                employer=employer,
                title="收银员",
                vacancies=1,
                unit=tree["a"],
                opens_on=date(2026, 3, 1),
            )
    assert Posting.objects.count() == 3
    assert AuditEntry.objects.filter(action="posting.create").count() == 3


def test_update(posting: Any, personas: dict[str, Any]) -> None:
    postings.posting_update(
        actor=personas["worker_a"], posting=posting, title="保洁主管", vacancies=5
    )
    posting.refresh_from_db()
    assert (posting.title, posting.vacancies) == ("保洁主管", 5)
    assert "主管" in posting.terms.split()
    with pytest.raises(ValidationError):
        postings.posting_update(actor=None, posting=posting, pay_min=9000, pay_max=100)
    with pytest.raises(PermissionDenied):
        postings.posting_update(actor=personas["worker_b"], posting=posting, title="x")
    with pytest.raises(TypeError):
        postings.posting_update(actor=None, posting=posting, number="X")
    entry = AuditEntry.objects.get(action="posting.update")
    assert entry.changes["title"] == ["保洁员", "保洁主管"]


def test_vacancies_not_below_filled(posting: Any) -> None:
    Posting.objects.filter(pk=posting.pk).update(filled=2)
    with pytest.raises(ValidationError) as caught:
        postings.posting_update(actor=None, posting=posting, vacancies=1)
    assert "below_filled" in _codes(caught.value)
    postings.posting_update(actor=None, posting=posting, vacancies=2)


def test_close(posting: Any, personas: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        postings.posting_close(actor=None, posting=posting, on=date(2026, 2, 28))
    assert "close_before_open" in _codes(caught.value)
    postings.posting_close(actor=personas["street"], posting=posting, on=date(2026, 3, 20))
    posting.refresh_from_db()
    assert posting.closes_on == date(2026, 3, 20)
    with pytest.raises(PermissionDenied):
        postings.posting_close(actor=personas["auditor"], posting=posting, on=date(2026, 3, 21))
    assert AuditEntry.objects.filter(action="posting.close").count() == 1


@pytest.mark.parametrize(
    ("on", "closes_on", "filled", "open_"),
    [
        (date(2026, 2, 28), None, 0, False),  # before it opens
        (date(2026, 3, 1), None, 0, True),  # the opening day
        (date(2026, 3, 10), date(2026, 3, 10), 0, True),  # the closing day is the last day
        (date(2026, 3, 11), date(2026, 3, 10), 0, False),
        (date(2026, 3, 5), None, 1, True),
        (date(2026, 3, 5), None, 2, False),  # full
    ],
)
def test_open_q(posting: Any, on: date, closes_on: date | None, filled: int, open_: bool) -> None:
    Posting.objects.filter(pk=posting.pk).update(closes_on=closes_on, filled=filled)
    posting.refresh_from_db()
    assert is_open(posting, on) is open_
    assert Posting.objects.filter(open_q(on)).exists() is open_


def test_visible_and_filtered(
    employer: Any, employer_b: Any, tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    in_a = make_posting(employer, tree["a"], title="保洁员")
    # An employer of A with work in C: seen in A (its employer) and in C (its place).
    a_in_c = make_posting(employer, tree["c"], title="门卫", public_welfare=True)
    in_b = make_posting(employer_b, tree["b"], title="理货员", closes_on=date(2026, 3, 2))

    def seen(key: str) -> set[int]:
        return set(postings_visible(user=personas[key]).values_list("pk", flat=True))

    assert seen("worker_a") == {in_a.pk, a_in_c.pk}
    assert seen("worker_b") == {in_b.pk}
    assert seen("street") == {in_a.pk, a_in_c.pk, in_b.pk}
    assert seen("district") == seen("auditor") == {in_a.pk, a_in_c.pk, in_b.pk}
    assert seen("nobody") == set()
    district = personas["district"]
    on = date(2026, 3, 10)

    def found(**filters: Any) -> set[int]:
        rows = postings_filtered(user=district, on=on, **filters)
        return set(rows.values_list("pk", flat=True))

    assert found(state="open") == {in_a.pk, a_in_c.pk}
    assert found(state="closed") == {in_b.pk}
    assert found(public_welfare=True) == {a_in_c.pk}
    assert found(unit=tree["s2"]) == {a_in_c.pk}
    assert found(text="理货") == {in_b.pk}
    assert found(text="复兴超市") == {in_b.pk}
    assert found(employer=employer) == {in_a.pk, a_in_c.pk}
