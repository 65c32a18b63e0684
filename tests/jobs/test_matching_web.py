# ruff: noqa: F811 (the fixtures imported below are the tests' parameters)
"""Matching pages and API per persona: a person's matches (404 outside the jurisdiction), a
posting's candidates (only the persons the reader may see, masked numbers, priority badges, a
referral link), the reads recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiuye.audit.models import AuditEntry
from jiuye.jobs.models import Posting
from jiuye.registry.models import Person
from tests.jobs.matching_fixtures import (  # noqa: F401 (fixtures)
    ON,
    _fresh_cache,
    employer,
    posting,
    seeker,
)


def client(user: Any) -> Client:
    made = Client()
    made.force_login(user)
    return made


@pytest.fixture
def scene(
    personas: dict[str, Any], seeker: Callable[..., Person], posting: Callable[..., Posting]
) -> dict[str, Any]:
    return {
        "job": posting(),
        "a": seeker("a", intent="电工", certificates="低压电工作业证", name="甲求职"),
        "b": seeker("b", intent="电工", difficult=True, name="乙求职"),
        "c": seeker("c", intent="保洁", name="丙求职"),
    }


def test_person_page(personas: dict[str, Any], scene: dict[str, Any]) -> None:
    url = reverse("jobs:match_person", args=[scene["a"].pk]) + f"?date={ON.isoformat()}"
    page = client(personas["worker_a"]).get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert scene["job"].number in body and "求职意向“电工”与岗位相符" in body
    assert scene["a"].id_number not in body
    assert client(personas["worker_b"]).get(url).status_code == 404
    assert client(personas["district"]).get(url).status_code == 200
    assert AuditEntry.objects.filter(action="read.jobs.matches").exists()


def test_person_page_bad_date_is_said(personas: dict[str, Any], scene: dict[str, Any]) -> None:
    url = reverse("jobs:match_person", args=[scene["a"].pk]) + "?date=2026-02-30&limit=abc"
    page = client(personas["worker_a"]).get(url)
    assert page.status_code == 200


def test_candidates_page_per_persona(personas: dict[str, Any], scene: dict[str, Any]) -> None:
    url = reverse("jobs:match_posting", args=[scene["job"].pk]) + f"?date={ON.isoformat()}"
    body = client(personas["district"]).get(url).content.decode()
    for key in ("a", "b", "c"):
        assert scene[key].name in body and scene[key].id_number not in body
    assert body.index("乙求职") < body.index("甲求职")  # a suitable priority person first
    assert "优先" in body
    assert f"/jobs/referrals/new/?person={scene['a'].pk}&amp;posting={scene['job'].pk}" in body
    mine = client(personas["worker_a"]).get(url).content.decode()
    assert "甲求职" in mine and "乙求职" not in mine and "丙求职" not in mine
    # A posting in community A is not worker_b's (nor the grid's).
    assert client(personas["worker_b"]).get(url).status_code == 404
    assert client(personas["sysadmin"]).get(url).status_code == 404
    read = AuditEntry.objects.filter(action="read.jobs.candidates").latest("id")
    assert read.changes["persons"] == [scene["a"].pk]


def test_api(personas: dict[str, Any], scene: dict[str, Any]) -> None:
    api = client(personas["district"])
    got = api.get(f"/api/jobs/match/persons/{scene['a'].pk}?date={ON.isoformat()}&limit=5")
    assert got.status_code == 200
    data = got.json()
    assert data["seeker"] and data["matches"][0]["posting"]["number"] == scene["job"].number
    assert "同一社区" in data["matches"][0]["reasons"]
    assert scene["a"].id_number not in got.content.decode()
    got = api.get(f"/api/jobs/match/postings/{scene['job'].pk}?date={ON.isoformat()}")
    assert got.status_code == 200
    names = [c["person"]["name"] for c in got.json()["candidates"]]
    assert names[0] == "乙求职" and set(names) == {"甲求职", "乙求职", "丙求职"}
    for bad in ("date=2026-02-30", "limit=0", "limit=101", "date=tomorrow"):
        assert api.get(f"/api/jobs/match/persons/{scene['a'].pk}?{bad}").status_code == 422
    worker_b = client(personas["worker_b"])
    assert worker_b.get(f"/api/jobs/match/persons/{scene['a'].pk}").status_code == 404
    assert worker_b.get(f"/api/jobs/match/postings/{scene['job'].pk}").status_code == 404
    assert api.get("/api/jobs/match/persons/999999").status_code == 404
    assert AuditEntry.objects.filter(action="read.api.jobs.candidates").exists()
