"""The employers' API under ``/api/jobs/``: the same selectors and services as the pages. A
foreign employer is 404, a write the caller may not make 403, bad data 422 with the reason (never
a 500); a contract's employee leaves masked only; a hire changes the person's status once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jiuye.jobs.models import ContractEvent, Employer, Hire, Layoff, Posting, StaffReport
from jiuye.registry.models import Status
from tests.api.conftest import bearer, token_for
from tests.conftest import make_id
from tests.jobs.fixtures_employers import employers_fixture, make_uscc  # noqa: F401

URL = "/api/jobs/employers/"
DAY = "2026-03-10"


@pytest.fixture
def api(personas: dict[str, Any]) -> Callable[..., Any]:
    """``api(who, method, url, body=None, **params)``: a request with the persona's token."""
    now = timezone.now()
    for user in personas.values():
        user.password_changed_at = now
        user.save(update_fields=["password_changed_at"])
    headers = {who: bearer(token_for(user, name=f"emp-{who}")) for who, user in personas.items()}

    def call(who: str, method: str, url: str, body: Any = None, **params: Any) -> Any:
        client = Client()
        if method == "get":
            return client.get(url, params, headers=headers[who])
        return getattr(client, method)(
            url,
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers=headers[who],
        )

    return call


def _names(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["name"] for item in response.json()["items"]}


def test_list_per_persona_and_filters(api: Callable[..., Any], employers: dict[str, Any]) -> None:
    a, b, c = (employers[k].name for k in "ABC")
    assert _names(api("worker_a", "get", URL)) == {a}
    assert _names(api("street", "get", URL)) == {a, b}
    assert _names(api("district", "get", URL)) == {a, b, c}
    assert _names(api("grid_a1", "get", URL)) == set()
    assert _names(api("auditor", "get", URL)) == set()
    assert _names(api("district", "get", URL, q="复兴")) == {b}
    assert _names(api("district", "get", URL, q=employers["C"].uscc.lower())) == {c}
    assert _names(api("district", "get", URL, unit="110108002")) == {c}
    assert _names(api("street", "get", URL, unit="110108002001")) == set()  # not the street's
    item = api("worker_a", "get", URL).json()["items"][0]
    assert item["staff"] == 120 and item["staff_on"] == "2026-01-01"
    assert (
        item["open_postings"] == 0 and item["laid_off"] == 0 and item["unit_code"] == "110108001001"
    )
    assert api("district", "get", URL, limit=501).status_code == 422
    assert api("district", "get", URL, q="x" * 61).status_code == 422


def test_detail_and_404(api: Callable[..., Any], employers: dict[str, Any]) -> None:
    pk = employers["A"].pk
    body = api("street", "get", f"{URL}{pk}").json()
    assert body["counts"]["staff_reports"] == 1 and body["uscc"] == employers["A"].uscc
    for who in ("worker_b", "grid_a1", "auditor", "nobody"):
        assert api(who, "get", f"{URL}{pk}").status_code == 404, who
    assert api("district", "get", f"{URL}99999999").status_code == 404
    assert api("district", "get", f"{URL}{2**64}").status_code in (404, 422)
    assert api("district", "get", f"{URL}0").status_code in (404, 422)


def test_create(api: Callable[..., Any], tree: dict[str, Any]) -> None:
    code = make_uscc()
    body = {
        "uscc": code.lower(),
        "name": "接口公司",
        "unit": "110108001001A1",
        "staff": 30,
        "on": DAY,
    }
    response = api("worker_a", "post", URL, body)
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["uscc"] == code and made["unit_code"] == "110108001001" and made["staff"] == 30
    again = api("worker_a", "post", URL, {**body, "name": "重复"})
    assert again.status_code == 422 and "已登记" in again.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        ("worker_a", {"uscc": "123"}, 422),
        ("worker_a", {"uscc": "91110108MA00000010"}, 422),
        ("worker_a", {"name": ""}, 422),
        ("worker_a", {"unit": "110108001002"}, 422),  # not visible: no such unit of theirs
        ("worker_a", {"unit": "110108001"}, 422),  # a street: an employer sits in a community
        ("street", {"unit": "110108001002"}, 201),
        ("street", {"unit": "110108002001"}, 422),
        ("grid_a1", {"unit": "110108001001A1"}, 403),
        ("auditor", {}, 403),
        ("worker_a", {"staff": -1}, 422),
        ("worker_a", {"staff": 10**12}, 422),
        ("worker_a", {"staff": 3, "on": "2099-01-01"}, 422),
        ("worker_a", {"staff": 3, "on": "2026-02-30"}, 422),
        ("worker_a", {"name": "\x00"}, 422),
        ("worker_a", {"industry": "a\x00b"}, 422),
    ],
)
def test_create_refusals(
    api: Callable[..., Any], tree: dict[str, Any], who: str, body: dict[str, Any], status: int
) -> None:
    full = {"uscc": make_uscc(), "name": "接口公司", "unit": "110108001001", **body}
    response = api(who, "post", URL, full)
    assert response.status_code == status, response.content
    if status != 201:
        assert not Employer.objects.filter(uscc=full["uscc"]).exists()


def test_patch(api: Callable[..., Any], employers: dict[str, Any]) -> None:
    pk = employers["A"].pk
    response = api("street", "patch", f"{URL}{pk}", {"name": "街道改名", "industry": "物流"})
    assert response.status_code == 200 and response.json()["name"] == "街道改名"
    assert api("worker_b", "patch", f"{URL}{pk}", {"name": "x"}).status_code == 404
    assert api("auditor", "patch", f"{URL}{pk}", {"name": "x"}).status_code == 404
    assert api("street", "patch", f"{URL}{pk}", {"name": "  "}).status_code == 422
    assert api("worker_a", "patch", f"{URL}{pk}", {"unit": "110108001002"}).status_code == 422
    moved = api("street", "patch", f"{URL}{pk}", {"unit": "110108001002"})
    assert moved.status_code == 200 and moved.json()["unit_code"] == "110108001002"
    assert api("worker_a", "get", f"{URL}{pk}").status_code == 404  # no longer theirs


def test_reports(api: Callable[..., Any], employers: dict[str, Any]) -> None:
    pk = employers["A"].pk
    staff = api("worker_a", "post", f"{URL}{pk}/staff", {"on": DAY, "staff": 140})
    assert staff.status_code == 201 and staff.json() == {"on": DAY, "staff": 140}
    assert api("worker_a", "post", f"{URL}{pk}/staff", {"on": DAY, "staff": 140}).status_code == 201
    assert StaffReport.objects.filter(employer_id=pk).count() == 2
    number = make_id(date(1991, 1, 1))
    body = {"id_number": number, "kind": "signed", "on": DAY, "term_months": 24}
    contract = api("street", "post", f"{URL}{pk}/contracts", body)
    assert contract.status_code == 201 and number not in contract.content.decode()
    assert contract.json()["employee_masked"] == ContractEvent.objects.get().employee_masked
    layoff = api(
        "district", "post", f"{URL}{pk}/layoffs", {"on": DAY, "count": 6, "reason": "停产整顿"}
    )
    assert layoff.status_code == 201 and layoff.json()["abnormal"] is True
    api("district", "post", f"{URL}{pk}/layoffs", {"on": DAY, "count": 1, "reason": "个人原因"})
    listed = api("worker_a", "get", f"{URL}{pk}/layoffs").json()
    assert listed["count"] == 2 and {x["abnormal"] for x in listed["items"]} == {True, False}
    assert api("worker_b", "get", f"{URL}{pk}/layoffs").status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("staff", {"on": DAY, "staff": -1}),
        ("staff", {"on": "2099-01-01", "staff": 1}),
        ("staff", {"on": "yesterday", "staff": 1}),
        ("staff", {"on": DAY, "staff": 10**10}),
        ("staff", {"on": DAY}),
        ("contracts", {"id_number": "123", "kind": "signed", "on": DAY, "term_months": 12}),
        ("contracts", {"id_number": "", "kind": "signed", "on": DAY, "term_months": 12}),
        ("contracts", {"id_number": "X", "kind": "fired", "on": DAY}),
        ("contracts", {"kind": "signed", "on": DAY}),
        ("contracts", {"kind": "ended", "on": DAY, "term_months": 12}),
        ("contracts", {"kind": "renewed", "on": DAY, "term_months": 70000}),
        ("layoffs", {"on": DAY, "count": 0, "reason": "停产"}),
        ("layoffs", {"on": DAY, "count": 3, "reason": ""}),
        ("layoffs", {"on": DAY, "count": 3, "reason": "x" * 201}),
        ("layoffs", {"on": DAY, "count": 3, "reason": "停\x00产"}),
        ("hires", {"on": DAY, "posting": 99999}),
        ("hires", {"id_number": "123", "on": DAY}),
        ("hires", {"on": DAY}),
    ],
)
def test_report_refusals(
    api: Callable[..., Any], employers: dict[str, Any], path: str, body: dict[str, Any]
) -> None:
    if path in ("contracts", "hires"):
        body = {"id_number": make_id(date(1990, 3, 3)), **body}
    response = api("worker_a", "post", f"{URL}{employers['A'].pk}/{path}", body)
    assert response.status_code == 422, response.content
    assert StaffReport.objects.count() == 1
    assert not ContractEvent.objects.exists() and not Layoff.objects.exists()
    assert not Hire.objects.exists()


@pytest.mark.parametrize("who", ["worker_b", "grid_a1", "auditor", "nobody"])
def test_reports_on_a_foreign_employer_are_404(
    api: Callable[..., Any], employers: dict[str, Any], who: str
) -> None:
    pk = employers["A"].pk
    for path, body in (
        ("staff", {"on": DAY, "staff": 1}),
        ("layoffs", {"on": DAY, "count": 1, "reason": "停产"}),
        ("hires", {"id_number": employers["pa"].id_number, "on": DAY}),
    ):
        assert api(who, "post", f"{URL}{pk}/{path}", body).status_code == 404, (who, path)


def test_hire_changes_the_status_once(api: Callable[..., Any], employers: dict[str, Any]) -> None:
    person = employers["pa"]
    url = f"{URL}{employers['A'].pk}/hires"
    body = {"id_number": person.id_number, "on": DAY}
    response = api("worker_a", "post", url, body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["status"] == Status.UNIT and out["person_id"] == person.pk
    assert person.id_number not in response.content.decode()
    again = api("worker_a", "post", url, body)
    assert again.status_code == 422 and Hire.objects.count() == 1
    # The street keeps the employer but does not write residents' data: 403.
    other = api("street", "post", url, {"id_number": employers["pb"].id_number, "on": DAY})
    assert other.status_code == 403
    # A person outside the worker's registry is not found.
    foreign = api("worker_a", "post", url, {"id_number": employers["pc"].id_number, "on": DAY})
    assert foreign.status_code == 422
    employers["pb"].refresh_from_db()
    assert employers["pb"].current_status == Status.UNEMPLOYED


def test_hire_through_a_posting_fills_it_and_a_full_one_is_refused(
    api: Callable[..., Any], employers: dict[str, Any]
) -> None:
    a = employers["A"]
    posting = Posting.objects.create(
        number="API-1",
        employer=a,
        title="仓管",
        vacancies=1,
        unit=a.unit,
        opens_on=date(2026, 3, 1),
    )
    url = f"{URL}{a.pk}/hires"
    first = api(
        "worker_a",
        "post",
        url,
        {"id_number": employers["pa"].id_number, "on": DAY, "posting": posting.pk},
    )
    assert first.status_code == 201 and first.json()["posting"] == posting.pk
    posting.refresh_from_db()
    assert posting.filled == 1
    other = Posting.objects.create(
        number="API-2",
        employer=employers["B"],
        title="仓管",
        vacancies=1,
        unit=a.unit,
        opens_on=date(2026, 3, 1),
    )
    # the same person the next day, into the full posting, then into another employer's
    full = api(
        "worker_a",
        "post",
        url,
        {"id_number": employers["pa"].id_number, "on": "2026-03-11", "posting": posting.pk},
    )
    assert full.status_code == 422 and "已满" in full.json()["detail"][0]["msg"]
    foreign = api(
        "worker_a",
        "post",
        url,
        {"id_number": employers["pa"].id_number, "on": "2026-03-11", "posting": other.pk},
    )
    assert foreign.status_code == 422
    assert Hire.objects.count() == 1
