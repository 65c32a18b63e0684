"""托底 pages and API: the candidates list with its 移交 button, a case page with its forms, the
person-page panel, and the API's answers (403/404/422 like the jobs API)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiuye.casework.services import service_record_create
from jiuye.jobs.postings import referral_outcome
from jiuye.policies.escalation_services import escalation_offer, escalation_open
from jiuye.policies.models import EscalationCase, EscalationState
from tests.jobs.conftest import recognise
from tests.policies.escalation_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def candidate(person_a: Any) -> Any:
    recognise(person_a, date(2026, 3, 5))
    for day in (date(2026, 4, 1), date(2026, 6, 1), date(2026, 9, 1)):
        service_record_create(actor=None, person=person_a, kind="guidance", on=day)
    return person_a


LIST = "policies:escalation_list"


def test_the_candidates_list_and_who_gets_the_button(candidate: Any, personas: Any) -> None:
    url = reverse(LIST) + "?date=2026-11-02"
    page = _client(personas["worker_a"]).get(url).content.decode()
    assert candidate.name in page and candidate.id_number not in page
    assert f'data-open="{candidate.pk}"' in page
    district = _client(personas["district"]).get(url).content.decode()
    assert f'data-open="{candidate.pk}"' in district
    assert candidate.name not in _client(personas["worker_b"]).get(url).content.decode()
    assert candidate.name not in _client(personas["auditor"]).get(url).content.decode()


def test_a_wrong_date_is_said(personas: Any) -> None:
    page = _client(personas["worker_a"]).get(reverse(LIST) + "?date=2026-02-30")
    assert page.status_code == 200 and "YYYY-MM-DD" in page.content.decode()


def test_open_from_the_list_then_the_case_page(
    candidate: Any, personas: Any, welfare_post: Any
) -> None:
    worker = _client(personas["worker_a"])
    response = worker.post(
        reverse("policies:escalation_open", args=[candidate.pk]), {"on": "2026-11-02"}
    )
    case = EscalationCase.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "policies:escalation_detail", args=[case.pk]
    )
    assert candidate.name not in worker.get(reverse(LIST)).content.decode()  # no longer listed
    assert candidate.name in worker.get(reverse(LIST) + "?tab=open").content.decode()
    district = _client(personas["district"])
    url = reverse("policies:escalation_detail", args=[case.pk])
    page = district.get(url).content.decode()
    assert "移交区级专业援助" in page and 'id="offer-form"' in page
    assert welfare_post.title in page and candidate.id_number not in page
    today = timezone.localdate().isoformat()
    response = district.post(
        url, {"action": "step", "step-kind": "diagnosis", "step-on": today, "step-note": "诊断"}
    )
    assert response.status_code == 302
    response = district.post(
        url, {"action": "offer", "offer-posting": welfare_post.pk, "offer-on": today}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == EscalationState.OFFERED
    assert "记录安置上岗" not in district.get(url).content.decode()
    referral = case.steps.get(kind="offer").referral
    referral_outcome(
        actor=personas["worker_a"], referral=referral, outcome="hired", on=timezone.localdate()
    )
    page = district.get(url).content.decode()
    assert 'id="placed-form"' in page
    response = district.post(url, {"action": "placed", "placed-on": today})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == EscalationState.PLACED
    assert candidate.name in district.get(reverse(LIST) + "?tab=closed").content.decode()


def test_a_refusal_is_said_above_the_form(candidate: Any, personas: Any, posting: Any) -> None:
    case = escalation_open(actor=personas["worker_a"], person=candidate, on=date(2026, 11, 2))
    url = reverse("policies:escalation_detail", args=[case.pk])
    response = _client(personas["district"]).post(
        url, {"action": "close", "close-on": "2026-11-01", "close-note": "迁出"}
    )
    assert response.status_code == 200 and "不能早于移交日期" in response.content.decode()
    assert EscalationCase.objects.get().closed_on is None


def test_foreign_and_reader_personas(candidate: Any, personas: Any) -> None:
    case = escalation_open(actor=personas["worker_a"], person=candidate, on=date(2026, 11, 2))
    url = reverse("policies:escalation_detail", args=[case.pk])
    body = {"action": "close", "close-on": "2026-11-02", "close-note": "x"}
    assert _client(personas["worker_b"]).get(url).status_code == 404
    assert _client(personas["worker_b"]).post(url, body).status_code == 404
    assert _client(personas["auditor"]).get(url).status_code == 404
    opened = reverse("policies:escalation_open", args=[candidate.pk])
    assert _client(personas["worker_b"]).post(opened, {"on": "2026-11-02"}).status_code == 404
    assert EscalationCase.objects.get().closed_on is None


def test_the_person_panel(candidate: Any, personas: Any) -> None:
    url = reverse("casework:person", args=[candidate.pk])
    worker = _client(personas["worker_a"])
    assert "移交托底援助" in worker.get(url).content.decode()
    escalation_open(actor=personas["worker_a"], person=candidate, on=date(2026, 11, 2))
    page = worker.get(url).content.decode()
    assert "移交托底援助" not in page and 'id="person-escalation"' in page


# ---- the API ---------------------------------------------------------------------------------


def test_the_api_path(candidate: Any, personas: Any, welfare_post: Any, posting: Any) -> None:
    worker, district = _client(personas["worker_a"]), _client(personas["district"])
    found = worker.get("/api/policies/escalations/candidates?date=2026-11-02").json()
    assert found["count"] == 1 and found["items"][0]["services"] == 3
    assert found["items"][0]["id_masked"] != candidate.id_number
    assert worker.get("/api/policies/escalations/candidates?date=2026-02-30").status_code == 422
    assert (
        _client(personas["worker_b"])
        .get("/api/policies/escalations/candidates?date=2026-11-02")
        .json()["count"]
        == 0
    )
    body = {"person": candidate.pk, "date": "2026-11-02"}
    assert (
        _client(personas["worker_b"])
        .post("/api/policies/escalations/", body, content_type="application/json")
        .status_code
        == 404
    )
    made = worker.post("/api/policies/escalations/", body, content_type="application/json")
    assert made.status_code == 201
    pk = made.json()["id"]
    again = worker.post("/api/policies/escalations/", body, content_type="application/json")
    assert again.status_code == 422 and "未结案" in again.json()["detail"][0]["msg"]
    step = district.post(
        f"/api/policies/escalations/{pk}/steps",
        {"kind": "assessment", "date": "2026-11-03"},
        content_type="application/json",
    )
    assert step.status_code == 201 and step.json()["steps"][-1]["kind"] == "assessment"
    wrong = district.post(
        f"/api/policies/escalations/{pk}/offer",
        {"posting": posting.pk, "date": "2026-11-04"},
        content_type="application/json",
    )
    assert wrong.status_code == 422 and "公益性岗位" in wrong.json()["detail"][0]["msg"]
    auditor = _client(personas["auditor"]).post(
        f"/api/policies/escalations/{pk}/steps",
        {"kind": "assessment", "date": "2026-11-03"},
        content_type="application/json",
    )
    assert auditor.status_code == 404
    offered = district.post(
        f"/api/policies/escalations/{pk}/offer",
        {"posting": welfare_post.pk, "date": "2026-11-04"},
        content_type="application/json",
    )
    assert offered.status_code == 201 and offered.json()["state"] == "offered"
    early = district.post(
        f"/api/policies/escalations/{pk}/close",
        {"placed": True, "date": "2026-11-05"},
        content_type="application/json",
    )
    assert early.status_code == 422
    bad = district.post(
        f"/api/policies/escalations/{pk}/close",
        {"placed": True, "date": "1768435200"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    listed = district.get("/api/policies/escalations/?state=open").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == pk
    assert _client(personas["worker_b"]).get(f"/api/policies/escalations/{pk}").status_code == 404


def test_the_api_refuses_a_reader_with_403(candidate: Any, personas: Any) -> None:
    """The auditor sees no resident (404); a sysadmin neither. A street user of another
    street: not found."""
    from tests.jobs.conftest import make_person

    other = make_person(candidate.community, "他人", number="X-1")
    response = _client(personas["auditor"]).post(
        "/api/policies/escalations/",
        {"person": other.pk, "date": "2026-11-02"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_offer_via_service_then_hired_shows_on_the_api(
    candidate: Any, personas: Any, welfare_post: Any
) -> None:
    case = escalation_open(actor=personas["worker_a"], person=candidate, on=date(2026, 11, 2))
    step = escalation_offer(
        actor=personas["street"], case=case, posting=welfare_post, on=date(2026, 11, 3)
    )
    referral_outcome(
        actor=personas["worker_a"], referral=step.referral, outcome="hired", on=date(2026, 11, 4)
    )
    got = _client(personas["street"]).get(f"/api/policies/escalations/{case.pk}").json()
    assert got["hired_on"] == "2026-11-04" and got["state"] == "offered"
