"""The certification API: the same steps as the command line, through the same services; a
foreign application is 404, a step the caller may not take 403, a refused step 422 with the
reason, and nothing changes on a refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from jiuye.certification.models import Application, State, Step
from tests.api.conftest import bearer, token_for
from tests.conftest import _user

URL = "/api/certification/applications/"
YEAR = date.today().year


@pytest.fixture
def clients(personas: dict[str, Any], tree: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for who in ("worker_a", "worker_b", "street", "district", "auditor"):
        headers = bearer(token_for(personas[who], name=f"cert-{who}"))
        out[who] = (Client(), headers)
    s2 = _user("street_s2", "street", [tree["s2"]])
    out["street2"] = (Client(), bearer(token_for(s2, name="cert-s2")))
    return out


def _post(clients: dict[str, Any], who: str, url: str, body: dict[str, Any]) -> Any:
    client, headers = clients[who]
    return client.post(url, body, content_type="application/json", headers=headers)


def _get(clients: dict[str, Any], who: str, url: str) -> Any:
    client, headers = clients[who]
    return client.get(url, headers=headers)


def test_workflow_over_the_api(
    tree: dict[str, Any], clients: dict[str, Any], person: Callable[..., Any]
) -> None:
    person("a1", statuses=((date(2020, 1, 1), "unit"),))
    body = {"unit": "110108001001", "ruleset": "HD-2012", "year": YEAR}
    assert _post(clients, "worker_b", URL, body).status_code == 404  # A is not B's
    assert _post(clients, "street", URL, body).status_code == 403  # sees A, may not apply
    response = _post(clients, "worker_a", URL, body)
    assert response.status_code == 201
    assert response.json()["state"] == "applied"
    assert _post(clients, "worker_a", URL, body).status_code == 422  # once a year
    pk = Application.objects.get().pk
    steps = f"{URL}{pk}/steps"
    assert _post(clients, "worker_a", steps, {"step": "submit"}).status_code == 200
    # The other street's reviewer does not see it; the district may not review it.
    assert _post(clients, "street2", steps, {"step": "review"}).status_code == 404
    assert _post(clients, "district", steps, {"step": "review"}).status_code == 403
    refused = _post(clients, "street", steps, {"step": "review", "decision": "return"})
    assert refused.status_code == 422 and "理由" in refused.json()["detail"][0]["msg"]
    assert Step.objects.count() == 2
    returned = _post(
        clients, "street", steps, {"step": "review", "decision": "return", "note": "补充材料"}
    )
    assert returned.json()["revision"] == 2 and returned.json()["state"] == "returned"
    assert _post(clients, "worker_a", steps, {"step": "submit"}).status_code == 200
    assert _post(clients, "street", steps, {"step": "review"}).status_code == 200
    assert _post(clients, "district", steps, {"step": "accept"}).json()["state"] == "certified"
    detail = _get(clients, "district", f"{URL}{pk}").json()
    assert [s["step"] for s in detail["steps"]] == [
        "apply",
        "submit",
        "review",
        "submit",
        "review",
        "accept",
    ]
    assert detail["certification"]["revoked_on"] is None
    assert _get(clients, "worker_b", f"{URL}{pk}").status_code == 404
    assert _get(clients, "auditor", f"{URL}{pk}").status_code == 404  # no data role
    assert _get(clients, "worker_b", URL).json()["count"] == 0
    assert _get(clients, "district", URL + "?waiting=true").json()["count"] == 0
    assert Application.objects.get().state == State.CERTIFIED


def test_queue(tree: dict[str, Any], clients: dict[str, Any]) -> None:
    body = {"unit": "110108001002", "ruleset": "HD-2012", "year": YEAR}
    assert _post(clients, "worker_b", URL, body).status_code == 201
    pk = Application.objects.get().pk
    _post(clients, "worker_b", f"{URL}{pk}/steps", {"step": "submit"})
    assert _get(clients, "street", URL + "?waiting=true").json()["count"] == 1
    assert _get(clients, "street2", URL + "?waiting=true").json()["count"] == 0
    assert _get(clients, "district", URL + "?waiting=true").json()["count"] == 0
    assert _get(clients, "street", f"{URL}?year=1999").status_code == 422
