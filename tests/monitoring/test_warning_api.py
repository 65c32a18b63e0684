"""The early-warning API: the same as the pages and ``jiuye warnings``, in the shapes of
``monitoring.payloads``; a foreign warning is 404, handling one the caller may not is 403, a
refusal 422 with the reason; the run is the district's and is queued (202)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from jiuye.audit.models import AuditEntry
from jiuye.monitoring.models import EarlyWarning, WarningState
from jiuye.monitoring.payloads import warning_json
from tests.api.conftest import bearer, token_for

URL = "/api/monitoring/warnings/"


@pytest.fixture
def api(personas: dict[str, Any]) -> Callable[..., Any]:
    """``api(who, method, url, body=None, **params)``: a request with the persona's token."""
    headers = {who: bearer(token_for(user, name=f"warn-{who}")) for who, user in personas.items()}

    def call(who: str, method: str, url: str, body: Any = None, **params: Any) -> Any:
        client = Client()
        if method == "get":
            return client.get(url, params, headers=headers[who])
        return client.post(
            url,
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers=headers[who],
        )

    return call


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def test_the_list_per_persona(api: Callable[..., Any], warnings_made: dict[str, Any]) -> None:
    w = warnings_made
    assert _ids(api("worker_a", "get", URL)) == {w["a"].pk, w["a_zero"].pk, w["a1"].pk}
    assert _ids(api("worker_b", "get", URL)) == {w["b"].pk}
    assert _ids(api("grid_a1", "get", URL)) == {w["a1"].pk}
    assert _ids(api("street", "get", URL)) == {w[k].pk for k in ("a", "a_zero", "b", "s1", "a1")}
    assert len(_ids(api("district", "get", URL))) == 6
    assert _ids(api("auditor", "get", URL)) == set()


def test_the_list_is_the_commands_shape_and_filters_like_the_page(
    api: Callable[..., Any], warnings_made: dict[str, Any]
) -> None:
    w = warnings_made
    listed = api("district", "get", URL).json()
    assert listed["count"] == 6
    assert listed["items"][0] == warning_json(EarlyWarning.objects.get(pk=listed["items"][0]["id"]))
    out = StringIO()
    call_command("warnings", "list", "--state", "active", "--json", stdout=out)
    assert json.loads(out.getvalue()) == listed["items"]  # the district sees them all
    assert _ids(api("street", "get", URL, state="closed")) == {w["a_closed"].pk}
    assert w["a_closed"].pk in _ids(api("street", "get", URL, state="all"))
    assert _ids(api("street", "get", URL, level="I")) == {w["b"].pk, w["s1"].pk}
    assert _ids(api("street", "get", URL, rule="W-UNEMP-RISE")) == {w["s1"].pk}
    assert _ids(api("street", "get", URL, unit="110108001002")) == {w["b"].pk}
    assert _ids(api("street", "get", URL, unit="110108002001")) == set()  # not the street's
    paged = api("district", "get", URL, limit=2, offset=1).json()
    assert paged["count"] == 6 and len(paged["items"]) == 2
    assert [i["id"] for i in paged["items"]] == [i["id"] for i in listed["items"][1:3]]


@pytest.mark.parametrize(
    "params",
    [
        {"state": "bogus"},
        {"level": "IV"},
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
        {"unit": "x" * 30},
        {"unit": "\x00"},
        {"rule": "r" * 41},
    ],
)
def test_a_wrong_filter_is_422(
    api: Callable[..., Any], warnings_made: dict[str, Any], params: dict[str, Any]
) -> None:
    assert api("district", "get", URL, **params).status_code == 422


def test_a_warning_with_the_records_behind_it(
    api: Callable[..., Any], warnings_made: dict[str, Any]
) -> None:
    w, pa = warnings_made["a"], warnings_made["pa"]
    response = api("worker_a", "get", f"{URL}{w.pk}")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in warning_json(w)} == warning_json(w)
    assert body["behind"] == [
        {
            "kind": "person",
            "id": pa.pk,
            "name": "预警甲",
            "unit": None,
            "detail": "服务 6 次，仍未就业",
        }
    ]
    assert pa.id_number not in response.content.decode()
    read = AuditEntry.objects.filter(action="read.warning_detail").get()
    assert read.changes["persons"] == [pa.pk]
    household = api("worker_a", "get", f"{URL}{warnings_made['a_zero'].pk}").json()
    assert household["behind"][0]["kind"] == "household"
    assert household["behind"][0]["name"] == pa.household.number


def test_a_foreign_warning_is_404(api: Callable[..., Any], warnings_made: dict[str, Any]) -> None:
    w = warnings_made["a"]
    for who in ("worker_b", "grid_a1", "auditor", "sysadmin", "nobody"):
        assert api(who, "get", f"{URL}{w.pk}").status_code == 404, who
        for action in ("acknowledge", "close"):
            response = api(who, "post", f"{URL}{w.pk}/{action}", {"note": "看看"})
            assert response.status_code == 404, who
    for pk in ("0", "-1", "999999999", "99999999999999999999999", "abc"):
        assert api("district", "get", f"{URL}{pk}").status_code in (404, 422), pk
    w.refresh_from_db()
    assert w.state == WarningState.OPEN


def test_acknowledge_and_close(api: Callable[..., Any], warnings_made: dict[str, Any]) -> None:
    w = warnings_made["a"]
    response = api("worker_a", "post", f"{URL}{w.pk}/acknowledge", {"note": "已安排走访"})
    assert response.status_code == 200
    assert response.json()["state"] == "acknowledged"
    assert response.json()["acknowledged_note"] == "已安排走访"
    closed = api("worker_a", "post", f"{URL}{w.pk}/close", {"note": "已安置"})
    assert closed.json()["state"] == "closed" and closed.json()["closed_note"] == "已安置"
    detail = api("worker_a", "get", f"{URL}{w.pk}").json()
    assert detail["acknowledged_by"] == "worker_a" and detail["closed_by"] == "worker_a"
    assert detail["closed_at"] is not None
    again = api("worker_a", "post", f"{URL}{w.pk}/close", {"note": "再关"})
    assert again.status_code == 422 and "已关闭" in again.json()["detail"][0]["msg"]
    ack = api("worker_a", "post", f"{URL}{w.pk}/acknowledge", {"note": "确认"})
    assert ack.status_code == 422 and "待处理" in ack.json()["detail"][0]["msg"]
    notes = [
        e.changes["note"][1]
        for e in AuditEntry.objects.filter(action__startswith="monitoring.warning_").order_by("id")
    ]
    assert notes == ["已安排走访", "已安置"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({}, "请填写说明"),
        ({"note": "  "}, "请填写说明"),
        ({"note": "长" * 501}, "500"),
        ({"note": "a\x00b"}, "无效字符"),
    ],
)
def test_a_note_is_required(
    api: Callable[..., Any], warnings_made: dict[str, Any], body: dict[str, Any], reason: str
) -> None:
    w = warnings_made["a"]
    for action in ("acknowledge", "close"):
        response = api("worker_a", "post", f"{URL}{w.pk}/{action}", body)
        assert response.status_code == 422
        assert reason in response.json()["detail"][0]["msg"]
    w.refresh_from_db()
    assert w.state == WarningState.OPEN


def test_bad_bodies(api: Callable[..., Any], warnings_made: dict[str, Any]) -> None:
    w = warnings_made["a"]
    client = Client()
    headers = bearer(token_for(_worker(), name="raw"))
    url = f"{URL}{w.pk}/close"
    assert (
        client.post(url, "{not json", content_type="application/json", headers=headers).status_code
        == 400
    )
    assert api("worker_a", "post", url, {"note": 5}).status_code == 422
    assert api("worker_a", "post", url, {"note": "x" * 20_000}).status_code == 422
    assert api("worker_a", "post", url, ["note"]).status_code in (400, 422)


def _worker() -> Any:
    from jiuye.accounts.models import User

    return User.objects.get(username="worker_a")


def test_who_sees_but_may_not_handle_gets_403(
    api: Callable[..., Any], warnings_made: dict[str, Any]
) -> None:
    w = warnings_made["a1"]
    assert api("grid_a1", "get", f"{URL}{w.pk}").status_code == 200
    for action in ("acknowledge", "close"):
        assert api("grid_a1", "post", f"{URL}{w.pk}/{action}", {"note": "x"}).status_code == 403
    w.refresh_from_db()
    assert w.state == WarningState.OPEN


def test_the_district_runs_the_rules(api: Callable[..., Any], person: Callable[..., Any]) -> None:
    person("a1", statuses=((date(2025, 12, 1), "unemployed", True),))
    response = api("district", "post", f"{URL}run", {"date": "2026-03-10"})
    assert response.status_code == 202
    body = response.json()
    assert body["task"] and body["status"] == "SUCCESSFUL"
    assert body["summary"]["fired"] == 1 and body["summary"]["date"] == "2026-03-10"
    assert EarlyWarning.objects.get().rule_id == "W-ZERO-OPEN"
    again = api("district", "post", f"{URL}run", {"date": "2026-03-11"}).json()
    assert again["summary"]["fired"] == 0
    today = api("district", "post", f"{URL}run", {})
    assert today.status_code == 202
    assert today.json()["summary"]["date"] == timezone.localdate().isoformat()


@pytest.mark.parametrize("who", ["worker_a", "grid_a1", "street", "auditor", "secadmin"])
def test_only_the_district_runs(api: Callable[..., Any], who: str) -> None:
    assert api(who, "post", f"{URL}run", {"date": "2026-03-10"}).status_code == 403
    assert not AuditEntry.objects.filter(action="monitoring.warnings_run").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"date": "2026-13-01"},
        {"date": "1900-01-01"},
        {"date": "tomorrow"},
        {"date": 1767225600},
        {"date": (date.today() + timedelta(days=2)).isoformat()},
    ],
)
def test_a_wrong_run_date_is_422(api: Callable[..., Any], body: dict[str, Any]) -> None:
    assert api("district", "post", f"{URL}run", body).status_code == 422
    assert not AuditEntry.objects.filter(action="monitoring.warnings_run").exists()


def test_the_rule_book(api: Callable[..., Any]) -> None:
    out = StringIO()
    call_command("warnings", "rules", "--json", stdout=out)
    for who in ("worker_a", "auditor"):
        response = api(who, "get", "/api/monitoring/rules")
        assert response.status_code == 200
        body = response.json()
        assert body["version"] == "2026.12"
        assert body["rules"] == json.loads(out.getvalue())
    # W-MASS-LAYOFF waited for the employers' layoff reports until issue 16: none waits now.
    waiting = {r["id"] for r in body["rules"] if r["waiting"]}
    assert waiting == set()
    assert {r["id"]: r["requires"] for r in body["rules"]}["W-MASS-LAYOFF"] == "employers"


def test_anonymous_is_401(warnings_made: dict[str, Any]) -> None:
    client = Client()
    assert client.get(URL).status_code == 401
    assert client.post(f"{URL}run", {}, content_type="application/json").status_code == 401
    assert client.get(f"{URL}{warnings_made['a'].pk}").status_code == 401
