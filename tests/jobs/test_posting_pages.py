"""The posting, referral and placements pages, and the API (issue 16): filters, forms, the
outcome form's warning, the person's referrals on their casework page, refusals said; English."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiuye.jobs import postings
from jiuye.jobs.models import Posting, Referral
from jiuye.registry.models import Status
from tests.jobs.conftest import make_posting, recognise

pytestmark = pytest.mark.django_db


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_list_filters_and_paging(
    personas: dict[str, Any], employer: Any, employer_b: Any, tree: dict[str, Any]
) -> None:
    make_posting(employer, tree["a"], title="保洁员")
    make_posting(employer, tree["a"], title="社区公益岗", public_welfare=True)
    make_posting(employer_b, tree["b"], title="理货员", closes_on=date(2026, 3, 2))
    street = client_of(personas["street"])
    url = reverse("jobs:posting_list")
    body = street.get(url).content.decode()
    assert "保洁员" in body and "理货员" in body and "社区公益岗" in body
    body = street.get(url, {"state": "open"}).content.decode()
    assert "理货员" not in body and "保洁员" in body
    body = street.get(url, {"welfare": "yes"}).content.decode()
    assert "社区公益岗" in body and "保洁员" not in body
    body = street.get(url, {"employer": employer_b.pk}).content.decode()
    assert "理货员" in body and "保洁员" not in body
    body = street.get(url, {"q": "理货"}).content.decode()
    assert "理货员" in body and "保洁员" not in body
    body = street.get(url, {"unit": tree["b"].code}).content.decode()
    assert "理货员" in body and "保洁员" not in body
    # Wrong values are said, never a server error.
    response = street.get(url, {"unit": "999", "employer": "abc", "page": "x" * 50})
    assert response.status_code == 200
    assert "filter-errors" in response.content.decode()
    # worker_b sees B's only
    body = client_of(personas["worker_b"]).get(url).content.decode()
    assert "理货员" in body and "保洁员" not in body


def test_posting_new_edit_close(
    personas: dict[str, Any], employer: Any, tree: dict[str, Any]
) -> None:
    worker = client_of(personas["worker_a"])
    page = worker.get(reverse("jobs:posting_new"), {"employer": employer.pk})
    assert employer.uscc in page.content.decode()
    data = {
        "employer": employer.uscc,
        "title": "电工",
        "vacancies": "2",
        "unit": tree["a"].code,
        "opens_on": "2026-11-01",
        "pay_min": "5000",
        "pay_max": "4000",
    }
    refused = worker.post(reverse("jobs:posting_new"), data)
    assert refused.status_code == 200
    assert "月薪下限不能高于月薪上限" in refused.content.decode()
    data["pay_max"] = "6000"
    response = worker.post(reverse("jobs:posting_new"), data)
    posting = Posting.objects.get(title="电工")
    assert response.status_code == 302 and posting.number.startswith("GW2026")
    edit = reverse("jobs:posting_edit", args=[posting.pk])
    data.pop("employer")
    data["vacancies"] = "4"
    assert worker.post(edit, data).status_code == 302
    posting.refresh_from_db()
    assert posting.vacancies == 4
    close = reverse("jobs:posting_close", args=[posting.pk])
    assert "不能早于发布日期" in worker.post(close, {"on": "2026-10-01"}).content.decode()
    assert worker.post(close, {"on": "2026-11-30"}).status_code == 302
    posting.refresh_from_db()
    assert posting.closes_on == date(2026, 11, 30)
    # A grid coordinator and the auditor may not; a sibling worker does not find it.
    for key in ("grid_a1", "auditor"):
        assert client_of(personas[key]).get(reverse("jobs:posting_new")).status_code == 403
    assert client_of(personas["auditor"]).get(edit).status_code == 403
    assert client_of(personas["worker_b"]).get(edit).status_code == 404
    assert client_of(personas["street"]).post(close, {"on": "2026-11-29"}).status_code == 302


def test_referral_flow_and_outcome(personas: dict[str, Any], person_a: Any, posting: Any) -> None:
    worker = client_of(personas["worker_a"])
    url = reverse("jobs:referral_new")
    search = worker.get(url, {"q_person": "求职", "posting": posting.pk}).content.decode()
    assert "求职甲" in search and person_a.id_number not in search
    assert person_a.id_number[:2] + "*" in search
    # The sibling's worker does not find A's person.
    other = client_of(personas["worker_b"]).get(url, {"q_person": "求职"}).content.decode()
    assert "求职甲" not in other
    response = worker.post(
        f"{url}?person={person_a.pk}&posting={posting.pk}", {"on": "2026-03-10", "note": "合适"}
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    # The person's casework page lists the referral.
    person_page = worker.get(reverse("casework:person", args=[person_a.pk])).content.decode()
    assert 'id="person-referrals"' in person_page and "保洁员" in person_page
    detail = reverse("jobs:referral_detail", args=[referral.pk])
    page = worker.get(detail).content.decode()
    assert 'id="hired-notice"' in page and "单位就业" in page
    refused = worker.post(detail, {"outcome": "declined", "on": "2026-03-11"}).content.decode()
    assert "未录用须填写原因" in refused
    assert worker.post(detail, {"outcome": "hired", "on": "2026-03-12"}).status_code == 302
    person_a.refresh_from_db()
    assert person_a.current_status == Status.UNIT
    page = worker.get(detail).content.decode()
    assert 'id="outcome-final"' in page and 'id="outcome-form"' not in page
    # Reviewers read, never write; the sibling does not find it.
    assert client_of(personas["street"]).get(detail).status_code == 200
    assert client_of(personas["street"]).post(detail, {"outcome": "interviewed"}).status_code == 403
    assert client_of(personas["worker_b"]).get(detail).status_code == 404
    assert client_of(personas["street"]).get(url).status_code == 403


def test_public_welfare_refusal_on_the_page(
    personas: dict[str, Any], person_a: Any, welfare_post: Any
) -> None:
    worker = client_of(personas["worker_a"])
    url = f"{reverse('jobs:referral_new')}?person={person_a.pk}&posting={welfare_post.pk}"
    page = worker.get(url).content.decode()
    assert 'id="welfare-warning"' in page
    refused = worker.post(url, {"on": "2026-03-10"}).content.decode()
    assert "公益性岗位只安置就业困难人员" in refused
    assert not Referral.objects.exists()
    recognise(person_a, date(2026, 3, 1))
    assert worker.post(url, {"on": "2026-03-10"}).status_code == 302


def test_placements_page(personas: dict[str, Any], person_a: Any, posting: Any, tree: Any) -> None:
    postings.referral_create(actor=None, person=person_a, posting=posting, on=date(2026, 3, 10))
    page = client_of(personas["district"]).get(
        reverse("jobs:placements"), {"start": "2026-01-01", "end": "2026-12-31"}
    )
    body = page.content.decode()
    assert 'data-unit="110108001"' in body and 'id="placements-total"' in body
    bad = client_of(personas["district"]).get(
        reverse("jobs:placements"), {"start": "2026-13-01", "end": "x", "unit": "nope"}
    )
    assert bad.status_code == 200 and 'id="form-errors"' in bad.content.decode()


def test_english(personas: dict[str, Any], posting: Any, person_a: Any) -> None:
    worker = client_of(personas["worker_a"])
    worker.cookies["django_language"] = "en"
    body = worker.get(reverse("jobs:posting_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Postings" in body and "Publish a posting" in body
    referral = postings.referral_create(
        actor=None, person=person_a, posting=posting, on=date(2026, 3, 10)
    )
    body = worker.get(
        reverse("jobs:referral_detail", args=[referral.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "employment status" in body


# ---- API ------------------------------------------------------------------------------------


def test_api(personas: dict[str, Any], employer: Any, person_a: Any, tree: dict[str, Any]) -> None:
    worker = client_of(personas["worker_a"])
    base = "/api/jobs"
    made = worker.post(
        f"{base}/postings/",
        {
            "employer": employer.pk,
            "title": "厨师",
            "vacancies": 1,
            "unit": tree["a"].code,
            "opens_on": "2026-03-01",
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["open"] is True
    refused = worker.patch(
        f"{base}/postings/{pk}", {"vacancies": 0}, content_type="application/json"
    )
    assert refused.status_code == 422 and "招聘人数" in refused.json()["detail"][0]["msg"]
    assert (
        worker.patch(
            f"{base}/postings/{pk}", {"skills": "川菜"}, content_type="application/json"
        ).json()["skills"]
        == "川菜"
    )
    assert (
        client_of(personas["auditor"])
        .patch(f"{base}/postings/{pk}", {"skills": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    assert client_of(personas["worker_b"]).get(f"{base}/postings/{pk}").status_code == 404
    listed = worker.get(f"{base}/postings/", {"state": "open"}).json()
    assert listed["count"] == 1
    referral = worker.post(
        f"{base}/referrals/",
        {"person": person_a.pk, "posting": pk, "date": "2026-03-10"},
        content_type="application/json",
    )
    assert referral.status_code == 201
    data = referral.json()
    assert person_a.id_number not in json.dumps(data)
    again = worker.post(
        f"{base}/referrals/",
        {"person": person_a.pk, "posting": pk, "date": "2026-03-10"},
        content_type="application/json",
    )
    assert again.status_code == 422
    outcome = worker.post(
        f"{base}/referrals/{data['id']}/outcome",
        {"outcome": "hired", "date": "2026-03-11"},
        content_type="application/json",
    )
    assert outcome.status_code == 200 and outcome.json()["outcome"] == "hired"
    second = worker.post(
        f"{base}/referrals/{data['id']}/outcome",
        {"outcome": "hired", "date": "2026-03-11"},
        content_type="application/json",
    )
    assert second.status_code == 422
    assert worker.get(f"{base}/referrals/", {"person": person_a.pk}).json()["count"] == 1
    assert client_of(personas["worker_b"]).get(f"{base}/referrals/").json()["count"] == 0
    closed = worker.post(
        f"{base}/postings/{pk}/close", {"date": "2026-02-01"}, content_type="application/json"
    )
    assert closed.status_code == 422
    report = (
        client_of(personas["district"])
        .get(f"{base}/placements/", {"start": "2026-01-01", "end": "2026-12-31"})
        .json()
    )
    assert report["total"]["hired"] == 1 and report["unit"] == "110108"
    assert (
        client_of(personas["district"])
        .get(f"{base}/placements/", {"start": "2026-02-30"})
        .status_code
        == 422
    )
    assert worker.get(f"{base}/placements/", {"unit": "110108002"}).status_code == 404
