"""The policies' API under ``/api/policies/``: the same selectors and services as the pages.
A foreign application, entitlement or payment is 404, a write the caller may not make 403 (the
maker cannot approve their own application), bad data or a refused service 422 with the reason
(a second payment of one entitlement), never a 500; ID numbers leave masked only."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jiuye.lib.masking import mask_id_number
from jiuye.policies.models import Application, Payment
from tests.api.conftest import bearer, token_for
from tests.policies.conftest import DAY, FLEX, flex_person

URL = "/api/policies/"
ON = DAY.isoformat()


@pytest.fixture
def api(personas: dict[str, Any]) -> Callable[..., Any]:
    """``api(who, method, url, body=None, **params)``: a request with the persona's token."""
    now = timezone.now()
    for user in personas.values():
        user.password_changed_at = now
        user.save(update_fields=["password_changed_at"])
    headers = {who: bearer(token_for(user, name=f"pol-{who}")) for who, user in personas.items()}

    def call(who: str, method: str, url: str, body: Any = None, **params: Any) -> Any:
        client = Client()
        if method == "get":
            return client.get(URL + url, params, headers=headers[who])
        return getattr(client, method)(
            URL + url,
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers=headers[who],
        )

    return call


@pytest.fixture
def flex(tree: dict[str, Any]) -> dict[str, Any]:
    return {"a": flex_person(tree["a"]), "b": flex_person(tree["b"]), "c": flex_person(tree["c"])}


def test_catalog(api: Callable[..., Any]) -> None:
    body = api("worker_a", "get", "catalog").json()
    ids = {p["id"] for p in body["policies"]}
    assert {"HD18-HIRE", FLEX, "004-PUBLIC-POST", "CERT-HD-2012"} <= ids
    hire = next(p for p in body["policies"] if p["id"] == "HD18-HIRE")
    assert "3 人及以上 10000 元" in hire["amount"] and hire["beneficiary"] == "employer"
    assert body["parameters"] and body["parameters"][0]["values"]


def test_eligible_is_scoped_and_masked(
    api: Callable[..., Any], flex: dict[str, Any], tree: dict[str, Any]
) -> None:
    mine = api("worker_a", "get", f"catalog/{FLEX}/eligible", date=ON).json()
    assert mine["count"] == 1 and mine["period"] == "2026-03"
    (row,) = mine["items"]
    assert row["id"] == flex["a"].pk and row["masked"] == mask_id_number(flex["a"].id_number)
    assert flex["a"].id_number not in json.dumps(mine) and row["reasons"]
    assert api("district", "get", f"catalog/{FLEX}/eligible", date=ON).json()["count"] == 3
    street = api("street", "get", f"catalog/{FLEX}/eligible", date=ON, unit="110108001002")
    assert [r["id"] for r in street.json()["items"]] == [flex["b"].pk]
    # A unit outside the jurisdiction, a bad date, an unknown policy.
    assert (
        api("worker_a", "get", f"catalog/{FLEX}/eligible", unit="110108002001").status_code == 422
    )
    assert api("worker_a", "get", f"catalog/{FLEX}/eligible", date="2026-02-30").status_code == 422
    assert api("worker_a", "get", "catalog/NOPE/eligible").status_code == 404


def test_explain(api: Callable[..., Any], flex: dict[str, Any]) -> None:
    body = api("worker_a", "get", f"catalog/{FLEX}/explain", person=flex["a"].pk, date=ON).json()
    assert body["eligible"] and body["amount"] and all(r["ok"] for r in body["reasons"])
    # Someone else's resident is not found; no beneficiary, or two, is 422.
    assert api("worker_a", "get", f"catalog/{FLEX}/explain", person=flex["b"].pk).status_code == 404
    assert api("worker_a", "get", f"catalog/{FLEX}/explain").status_code == 422
    both = api("worker_a", "get", f"catalog/{FLEX}/explain", person=flex["a"].pk, unit="110108")
    assert both.status_code == 422
    unit = api("street", "get", "catalog/004-REFERRAL/explain", unit="110108001001", date=ON)
    assert unit.status_code == 200 and unit.json()["eligible"] is False


def _says(response: Any) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


def _apply(api: Callable[..., Any], who: str, person: Any, **extra: Any) -> Any:
    body = {"policy": FLEX, "kind": "person", "id": person.pk, "date": ON} | extra
    return api(who, "post", "applications", body)


def test_maker_checker_payment_and_reversal(
    api: Callable[..., Any], flex: dict[str, Any], settings: Any
) -> None:
    made = _apply(api, "worker_a", flex["a"], note="灵活就业")
    assert made.status_code == 201, made.content
    app = made.json()
    assert app["state"] == "submitted" and app["beneficiary"]["masked"] == mask_id_number(
        flex["a"].id_number
    )
    assert flex["a"].id_number not in made.content.decode()
    # The same again: refused with the reason.
    again = _apply(api, "worker_a", flex["a"])
    assert again.status_code == 422 and "待审批" in _says(again)
    pk = app["id"]
    # The maker cannot approve; a sibling community's worker does not find it.
    assert api("worker_a", "post", f"applications/{pk}/approve", {}).status_code == 403
    assert api("worker_b", "get", f"applications/{pk}").status_code == 404
    assert api("worker_b", "post", f"applications/{pk}/approve", {}).status_code == 404
    approved = api("street", "post", f"applications/{pk}/approve", {"note": "同意"})
    assert approved.status_code == 201, approved.content
    ent = approved.json()
    assert ent["amount"] == app["amount"] and ent["approved_by"] == "street_s1"
    assert api("worker_a", "get", f"applications/{pk}").json()["state"] == "approved"
    assert api("street", "post", f"applications/{pk}/reject", {"note": "x"}).status_code == 422
    # Pay: the worker may not; the street pays once; a second payment is 422.
    pay = {"date": ON, "reference": "PZ-1"}
    assert api("worker_a", "post", f"entitlements/{ent['id']}/pay", pay).status_code == 403
    paid = api("street", "post", f"entitlements/{ent['id']}/pay", pay)
    assert paid.status_code == 201, paid.content
    twice = api("street", "post", f"entitlements/{ent['id']}/pay", pay)
    assert twice.status_code == 422 and "重复支付" in _says(twice)
    assert Payment.objects.count() == 1
    # The worklist no longer lists the person.
    unpaid = api("street", "get", f"catalog/{FLEX}/eligible", date=ON, unpaid="true").json()
    assert flex["a"].pk not in {r["id"] for r in unpaid["items"]}
    state = api("street", "get", f"catalog/{FLEX}/eligible", date=ON).json()["items"]
    assert {r["id"]: r["state"] for r in state}[flex["a"].pk] == "paid"
    # Reverse: a note is needed; a reversal once.
    payment = paid.json()["id"]
    no_note = api("street", "post", f"payments/{payment}/reverse", {"date": ON, "note": ""})
    assert no_note.status_code == 422
    rev = api("street", "post", f"payments/{payment}/reverse", {"date": ON, "note": "误发"})
    assert rev.status_code == 201 and rev.json()["amount"].startswith("-")
    assert (
        api("street", "post", f"payments/{payment}/reverse", {"date": ON, "note": "x"}).status_code
        == 422
    )
    listed = api("district", "get", "payments").json()
    assert listed["count"] == 2 and {i["kind"] for i in listed["items"]} == {"payment", "reversal"}
    assert api("worker_b", "get", "payments").json()["count"] == 0
    ents = api("street", "get", "entitlements", state="cancelled").json()
    assert [e["id"] for e in ents["items"]] == [ent["id"]]


def test_reject_and_evidence(api: Callable[..., Any], flex: dict[str, Any], personas: Any) -> None:
    pk = _apply(api, "worker_a", flex["a"]).json()["id"]
    client = Client()
    token = bearer(token_for(personas["worker_a"], name="pol-upload"))
    sent = client.post(
        f"{URL}applications/{pk}/evidence",
        {"file": _file("证明.pdf", b"%PDF-1.4 test")},
        headers=token,
    )
    assert sent.status_code == 201, sent.content
    bad = client.post(
        f"{URL}applications/{pk}/evidence", {"file": _file("x.exe", b"MZ")}, headers=token
    )
    assert bad.status_code == 422
    detail = api("worker_a", "get", f"applications/{pk}").json()
    assert [e["name"] for e in detail["evidence"]] == ["证明.pdf"]
    assert api("street", "post", f"applications/{pk}/reject", {"note": ""}).status_code == 422
    done = api("street", "post", f"applications/{pk}/reject", {"note": "材料不全"})
    assert done.status_code == 200 and done.json()["state"] == "rejected"
    assert Application.objects.get(pk=pk).decision_note == "材料不全"


def _file(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_bad_input_is_422_never_500(api: Callable[..., Any], flex: dict[str, Any]) -> None:
    person = flex["a"]
    for extra in (
        {"date": "2026-02-30"},
        {"date": "9999-12-31"},
        {"policy": "NOPE"},
        {"kind": "martian"},
        {"declared": "abc"},
        {"declared": -1},
    ):
        response = _apply(api, "worker_a", person, **extra)
        assert response.status_code == 422, (extra, response.content)
    assert _apply(api, "worker_a", flex["c"]).status_code == 404
    # A future date is the service's refusal.
    assert _apply(api, "worker_a", person, date="2099-01-01").status_code == 422
    assert api("worker_a", "get", "applications/99999999").status_code == 404
    assert api("worker_a", "get", "applications/0").status_code == 404
    assert api("worker_a", "post", "entitlements/99999999/pay", {"date": ON}).status_code == 404
    assert (
        api("worker_a", "post", "payments/1/reverse", {"date": ON, "note": "x"}).status_code == 404
    )


def test_budgets(api: Callable[..., Any], flex: dict[str, Any]) -> None:
    body = {"policy": FLEX, "unit": "110108", "year": 2026, "amount": "100000.00"}
    # The street may not set budgets, even its own; a unit outside the caller's is 422.
    assert api("street", "put", "budgets", body | {"unit": "110108001"}).status_code == 403
    assert api("worker_a", "put", "budgets", body).status_code == 422
    done = api("district", "put", "budgets", body)
    assert done.status_code == 200, done.content
    assert done.json()["amount"] == "100000.00" and done.json()["committed"] == "0.00"
    assert api("district", "put", "budgets", body | {"amount": -5}).status_code == 422
    assert api("district", "put", "budgets", body | {"policy": "NOPE"}).status_code == 422
    lines = api("district", "get", "budgets", year=2026).json()
    assert [(b["policy"], b["unit"]) for b in lines] == [(FLEX, "110108")]
    assert api("district", "get", "budgets", year=1900).status_code == 422
    assert api("worker_a", "get", "budgets", year=2026).json() == []
