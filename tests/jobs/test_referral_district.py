"""A worker refers their person to any open posting of the person's district (postings are
public: the board shows them to anyone, and the matcher ranks the district's for the person),
from the person's matches as from a posting's candidates."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiuye.jobs.models import Referral
from tests.jobs.conftest import make_posting

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_posting_of_another_community_of_the_district(
    personas: dict[str, Any], tree: dict[str, Any], employer_b: Any, person_a: Any
) -> None:
    """worker_a does not see community B's posting in its lists, but may refer A's person to it."""
    elsewhere = make_posting(employer_b, tree["c"], title="理货员")
    worker = _client(personas["worker_a"])
    assert worker.get(reverse("jobs:posting_detail", args=[elsewhere.pk])).status_code == 404
    url = reverse("jobs:referral_new") + f"?person={person_a.pk}&posting={elsewhere.pk}"
    page = worker.get(url).content.decode()
    assert "理货员" in page
    response = worker.post(url, {"on": "2026-11-02", "note": ""})
    assert response.status_code == 302
    assert Referral.objects.filter(person=person_a, posting=elsewhere).count() == 1


def test_a_foreign_person_still_refused(
    personas: dict[str, Any], tree: dict[str, Any], employer_b: Any, person_b: Any
) -> None:
    posting = make_posting(employer_b, tree["b"])
    url = reverse("jobs:referral_new") + f"?person={person_b.pk}&posting={posting.pk}"
    response = _client(personas["worker_a"]).post(url, {"on": "2026-11-02"})
    assert response.status_code == 200  # the form again: no such person to refer
    assert not Referral.objects.exists()


def test_the_matches_page_offers_the_referral_to_the_persons_workers(
    personas: dict[str, Any], tree: dict[str, Any], employer_b: Any, person_a: Any
) -> None:
    elsewhere = make_posting(employer_b, tree["c"], title="保洁员")
    target = reverse("jobs:match_person", args=[person_a.pk]) + "?date=2026-11-02"
    link = f"{reverse('jobs:referral_new')}?person={person_a.pk}&amp;posting={elsewhere.pk}"
    assert link in _client(personas["worker_a"]).get(target).content.decode()
    # The street reads the matches but refers nobody.
    assert link not in _client(personas["street"]).get(target).content.decode()


def test_the_district_of_a_unit(tree: dict[str, Any]) -> None:
    for key in ("district", "s1", "a", "a1"):
        assert tree[key].district() == tree["district"]
