"""The public job board (issue 16): no login, no personal data, open postings only, printable,
per community, street or district; an unknown code is 404."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from jiuye.jobs import postings
from jiuye.jobs.models import Posting
from tests.jobs.conftest import make_posting

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def test_board_shows_open_postings_only_without_personal_data(
    employer: Any, employer_b: Any, tree: dict[str, Any], person_a: Any
) -> None:
    open_a = make_posting(employer, tree["a1"], title="楼道保洁", vacancies=3)
    welfare = make_posting(employer, tree["a"], title="治安巡逻公益岗", public_welfare=True)
    make_posting(employer, tree["a"], title="已截止岗位", closes_on=date(2026, 3, 5))
    make_posting(employer, tree["a"], title="未来岗位", opens_on=date(2026, 12, 31))
    full = make_posting(employer, tree["a"], title="已满岗位", vacancies=1)
    Posting.objects.filter(pk=full.pk).update(filled=1)
    make_posting(employer_b, tree["b"], title="复兴理货员")
    postings.referral_create(actor=None, person=person_a, posting=open_a, on=date(2026, 3, 10))
    postings.referral_outcome(
        actor=None, referral=open_a.referrals.get(), outcome="hired", on=date(2026, 3, 11)
    )

    response = Client().get(reverse("jobs:board", args=[tree["a"].code]))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")
    body = response.content.decode()
    assert "楼道保洁" in body and "治安巡逻公益岗" in body
    for hidden in ("已截止岗位", "未来岗位", "已满岗位", "复兴理货员"):
        assert hidden not in body
    assert 'data-left="2"' in body  # 3 vacancies, 1 hired
    assert "公益性岗位" in body and 'class="card job mb-2 welfare"' in body
    assert "@media print" in body
    assert person_a.name not in body and person_a.id_number not in body
    assert "csrfmiddlewaretoken" not in body and 'name="csrf' not in body
    assert welfare.number in body

    street = Client().get(reverse("jobs:board", args=[tree["s1"].code])).content.decode()
    assert "复兴理货员" in street and "楼道保洁" in street
    district = Client().get(reverse("jobs:board", args=[tree["district"].code]))
    assert district.status_code == 200


def test_board_unknown_or_grid_is_404(tree: dict[str, Any]) -> None:
    for code in ("nope", tree["a1"].code, "9" * 300):
        assert Client().get(f"/jobs/board/{code}/").status_code == 404


def test_board_in_english(employer: Any, tree: dict[str, Any]) -> None:
    make_posting(employer, tree["a"], title="保洁员")
    body = (
        Client()
        .get(reverse("jobs:board", args=[tree["a"].code]), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "Job board" in body and "Vacancies left" in body
