"""The interfaces: ``jiuye evaluate --json`` (the shape DESIGN.md fixes), the REST API and the
web pages, each through the jurisdiction scope (worker of B gets 404 for A; the street sees its
communities), and the checklist ticks (self and assessor columns)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiuye.casework import services as casework
from jiuye.standards.models import ChecklistTick
from tests.api.conftest import bearer, token_for

D = date
ON = D(2026, 5, 12)
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

CRITERION_KEYS = {
    "id",
    "rule",
    "indicator",
    "op",
    "threshold",
    "value",
    "numerator",
    "denominator",
    "passed",
    "gap",
    "note",
    "text",
    # Added by issue 11, finding 8: null, or the years without a holiday calendar and the fix.
    "unavailable",
}
TOP_KEYS = {
    "unit",
    "unit_name",
    "unit_level",
    "ruleset",
    "level",
    "level_name",
    "date",
    "period",
    "passed",
    "criteria_passed",
    "checklist_complete",
    "source",
    "criteria",
    "checklist",
}


@pytest.fixture
def data(person: Callable[..., Any]) -> dict[str, Any]:
    """Community A: 8 of 10 employed (HD-C1 fails, gap 1); B: everyone employed."""
    hh = None
    people = []
    for i in range(10):
        p = person(
            "a1", statuses=((D(2020, 1, 1), "unit" if i < 8 else "unemployed", i >= 8),), hh=hh
        )
        hh = p.household
        people.append(p)
    person("b", statuses=((D(2020, 1, 1), "unit"),))
    return {"a": people}


def _client(user: Any) -> Client:
    now = timezone.now()
    if user.password_changed_at is None:
        user.password_changed_at = now
        user.save(update_fields=["password_changed_at"])
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def _run(*args: str) -> str:
    out = StringIO()
    call_command("evaluate", *args, stdout=out)
    return out.getvalue()


def test_evaluate_json_shape(data: dict[str, Any], tree: dict[str, Any]) -> None:
    result = json.loads(
        _run("110108001001", "--ruleset", "HD-2012", "--date", "2026-05-12", "--json")
    )
    assert set(result) >= TOP_KEYS
    assert result["unit"] == "110108001001" and result["ruleset"] == "HD-2012"
    assert result["level"] == "community" and result["date"] == "2026-05-12"
    assert result["period"] == {"start": "2026-01-01", "end": "2026-05-12"}
    assert result["passed"] is False
    assert [c["id"] for c in result["criteria"]] == ["HD-C1", "HD-C2a", "HD-C2b", "HD-C2c", "HD-C3"]
    for c in result["criteria"]:
        assert set(c) == CRITERION_KEYS
    c1 = result["criteria"][0]
    assert c1 | {"text": ""} == {
        "id": "HD-C1",
        "rule": "HD-C1",
        "indicator": "employment_rate",
        "op": ">=",
        "threshold": 0.9,
        "value": 0.8,
        "numerator": 8,
        "denominator": 10,
        "passed": False,
        "gap": 1,
        "note": "",
        "text": "",
        "unavailable": None,
    }
    assert result["checklist"] == []
    assert result["score"] is None


def test_evaluate_json_qg_score_and_checklist(data: dict[str, Any]) -> None:
    result = json.loads(
        _run("110108001001", "--ruleset", "QG-2016", "--date", "2026-05-12", "--json")
    )
    assert [i["no"] for i in result["score"]["items"]] == list(range(1, 9))
    assert result["score"]["total_points"] == 100
    assert {"self_total", "assessor_total", "pass_mark"} <= set(result["score"])
    assert [c["id"] for c in result["checklist"]] == ["QG-1a", "QG-1b", "QG-1c", "QG-2a", "QG-2b"]
    assert all(c["satisfied"] is False for c in result["checklist"])


def test_evaluate_text_and_all_and_errors(data: dict[str, Any]) -> None:
    text = _run("110108001", "--ruleset", "HD-2012", "--date", "2026-05-12")
    assert "HD-S1" in text and "未达标" in text
    listed = json.loads(
        _run("110108", "--ruleset", "HD-2012", "--date", "2026-05-12", "--all", "--json")
    )
    assert [(r["unit"], r["level"]) for r in listed] == [
        ("110108", "district"),
        ("110108001", "street"),
        ("110108001001", "community"),
        ("110108001002", "community"),
        ("110108002", "street"),
        ("110108002001", "community"),
    ]
    demo = json.loads(
        _run(
            "110108001001",
            "--ruleset",
            "HD-2012",
            "--level",
            "demonstration",
            "--date",
            "2026-05-12",
            "--json",
        )
    )
    assert [c["id"] for c in demo["checklist"]] == ["HD-D1", "HD-D2", "HD-D3"]
    with pytest.raises(CommandError, match="单位代码不存在"):
        _run("999", "--ruleset", "HD-2012")
    with pytest.raises(CommandError, match="unknown rule set"):
        _run("110108", "--ruleset", "XX")
    with pytest.raises(CommandError, match="does not apply"):
        _run("110108", "--ruleset", "HD-2012", "--level", "community")


def test_aggregates_command(data: dict[str, Any]) -> None:
    out = StringIO()
    call_command("aggregates", "verify", "--date", "2026-05-12", stdout=out)
    assert "一致" in out.getvalue()
    call_command("aggregates", "rebuild", stdout=out)
    call_command("aggregates", "status", stdout=out)
    assert "最新" in out.getvalue()


# ---- web -------------------------------------------------------------------------------------


def test_unit_page_green_and_red(data: dict[str, Any], personas: dict[str, Any]) -> None:
    client = _client(personas["worker_a"])
    url = reverse("standards:unit", args=["110108001001"]) + "?ruleset=HD-2012&date=2026-05-12"
    page = client.get(url).content.decode()
    assert 'data-criterion="HD-C1" data-passed="false"' in page
    assert 'data-criterion="HD-C2b" data-passed="true"' in page
    assert "table-danger" in page and "table-success" in page
    assert 'data-gap="1"' in page
    behind_url = reverse("standards:behind", args=["110108001001", "employment_rate"])
    assert behind_url in page
    behind = client.get(behind_url + "?ruleset=HD-2012&date=2026-05-12").content.decode()
    assert behind.count('data-kind="person"') == 2  # the two unemployed


def test_district_under_a_community_standard_offers_its_streets(
    data: dict[str, Any], personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """CQ-2007 assesses communities only: the district's page evaluates nothing and leads down
    to its streets, whose pages list their communities."""
    from jiuye.standards import selectors

    def evaluated(**kwargs: Any) -> Any:
        raise AssertionError("nothing to evaluate for the district")

    monkeypatch.setattr(selectors, "evaluations_below", evaluated)
    client = _client(personas["district"])
    page = client.get(
        reverse("standards:unit", args=["110108"]) + "?ruleset=CQ-2007&date=2026-05-12"
    ).content.decode()
    assert 'id="drill-down"' in page
    street = reverse("standards:unit", args=["110108001"]) + "?ruleset=CQ-2007&amp;date=2026-05-12"
    assert street in page
    monkeypatch.undo()
    page = client.get(
        reverse("standards:unit", args=["110108001"]) + "?ruleset=CQ-2007&date=2026-05-12"
    ).content.decode()
    assert 'id="drill-down"' not in page and 'data-unit="110108001001"' in page


def test_worker_of_b_gets_404_for_a(data: dict[str, Any], personas: dict[str, Any]) -> None:
    client = _client(personas["worker_b"])
    assert client.get(reverse("standards:unit", args=["110108001001"])).status_code == 404
    url = reverse("standards:behind", args=["110108001001", "employment_rate"])
    assert client.get(url).status_code == 404
    assert client.get(reverse("standards:unit", args=["110108001002"])).status_code == 200


def test_street_sees_its_communities(data: dict[str, Any], personas: dict[str, Any]) -> None:
    client = _client(personas["street"])
    page = client.get(
        reverse("standards:unit", args=["110108001"]) + "?ruleset=HD-2012&date=2026-05-12"
    ).content.decode()
    assert 'data-unit="110108001001"' in page and 'data-unit="110108001002"' in page
    assert 'data-unit="110108002001"' not in page
    assert client.get(reverse("standards:unit", args=["110108001001"])).status_code == 200
    assert client.get(reverse("standards:unit", args=["110108002001"])).status_code == 404
    behind = client.get(
        reverse("standards:behind", args=["110108001", "employment_rate"]) + "?date=2026-05-12"
    ).content.decode()
    assert behind.count('data-kind="person"') == 2


@pytest.mark.parametrize("who", ["auditor", "sysadmin", "secadmin", "nobody"])
def test_no_data_role_no_evaluation(
    data: dict[str, Any], personas: dict[str, Any], who: str
) -> None:
    client = _client(personas[who])
    assert client.get(reverse("standards:unit", args=["110108001001"])).status_code == 404
    url = reverse("standards:behind", args=["110108001001", "employment_rate"])
    assert client.get(url).status_code == 404


def test_checklist_ticks(data: dict[str, Any], personas: dict[str, Any]) -> None:
    tick_url = reverse("standards:tick", args=["110108001001"]) + "?ruleset=HD-2012&date=2026-05-12"
    form = {"item": "HD-D1", "role": "self", "ticked": "on", "note": "劳动关系稳定"}
    # The community's own worker fills the self column, not the assessor's.
    worker = _client(personas["worker_a"])
    assert worker.post(tick_url, form).status_code == 302
    assert worker.post(tick_url, {**form, "role": "assessor"}).status_code == 404
    assert worker.post(tick_url, {**form, "role": "street"}).status_code == 404
    # The street reviewer fills the street review column (初核), not the acceptance (验收);
    # a note or evidence is required.
    street = _client(personas["street"])
    response = street.post(tick_url, {**form, "role": "street", "note": ""}, follow=True)
    assert "佐证" in response.content.decode()
    street.post(tick_url, {**form, "role": "street", "evidence": "现场检查记录"})
    assert street.post(tick_url, form).status_code == 404  # not a member of A
    assert street.post(tick_url, {**form, "role": "assessor"}).status_code == 404
    # The district accepts (验收): its column decides.
    district = _client(personas["district"])
    assert district.post(tick_url, {**form, "role": "street"}).status_code == 404
    district.post(tick_url, {**form, "role": "assessor", "evidence": "验收检查记录"})
    # The worker of B cannot reach A at all.
    assert _client(personas["worker_b"]).post(tick_url, form).status_code == 404
    ticks = {(t.role, t.ticked) for t in ChecklistTick.objects.filter(item="HD-D1")}
    assert ticks == {("self", True), ("street", True), ("assessor", True)}
    result = json.loads(
        _run(
            "110108001001",
            "--ruleset",
            "HD-2012",
            "--level",
            "demonstration",
            "--date",
            "2026-05-12",
            "--json",
        )
    )
    d1 = result["checklist"][0]
    assert d1["satisfied"] is True and d1["assessor"]["evidence"] == "验收检查记录"
    assert d1["street"]["evidence"] == "现场检查记录"
    assert [c["satisfied"] for c in result["checklist"]] == [True, False, False]


def test_qg_score_ticks_per_column(data: dict[str, Any], personas: dict[str, Any]) -> None:
    from jiuye.standards import services
    from jiuye.standards.rulesets import ruleset_get

    qg = ruleset_get("QG-2016")
    unit = personas["worker_a"].units.get()
    for item in ["QG-S1a", "QG-S1b", "QG-S1c", "QG-S1d", "QG-S1e"]:
        services.checklist_tick_set(
            actor=personas["worker_a"],
            unit=unit,
            ruleset=qg,
            item=item,
            year=2026,
            role="self",
            ticked=True,
        )
    for item in ["QG-S1a", "QG-S1b"]:
        services.checklist_tick_set(
            actor=personas["street"],
            unit=unit,
            ruleset=qg,
            item=item,
            year=2026,
            role="street",
            ticked=True,
            note="初核已核实",
        )
    services.checklist_tick_set(
        actor=personas["district"],
        unit=unit,
        ruleset=qg,
        item="QG-S1a",
        year=2026,
        role="assessor",
        ticked=True,
        note="已核实",
    )
    result = json.loads(
        _run("110108001001", "--ruleset", "QG-2016", "--date", "2026-05-12", "--json")
    )
    item1 = result["score"]["items"][0]
    # Street: −2 −2 −2 (plan, target, measures); district: −5 (rules) −2 −2 −2.
    assert (item1["self"], item1["street"], item1["assessor"]) == (15, 9, 4)
    assert result["score"]["street_total"] - result["score"]["assessor_total"] == 5
    page = (
        _client(personas["street"])
        .get(reverse("standards:unit", args=["110108001001"]) + "?ruleset=QG-2016&date=2026-05-12")
        .content.decode()
    )
    assert 'id="self-total"' in page and 'id="assessor-total"' in page
    assert 'id="street-total"' in page


# ---- API -------------------------------------------------------------------------------------


def test_api_evaluation_shape_and_scope(data: dict[str, Any], personas: dict[str, Any]) -> None:
    from django.test import Client as C

    client = C()
    headers = bearer(token_for(personas["worker_a"]))
    url = "/api/standards/units/110108001001/evaluation?ruleset=HD-2012&date=2026-05-12"
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    body = response.json()
    cli = json.loads(_run("110108001001", "--ruleset", "HD-2012", "--date", "2026-05-12", "--json"))
    assert body == cli
    other = bearer(token_for(personas["worker_b"], name="b"))
    assert client.get(url, headers=other).status_code == 404
    assert client.get(url.replace("HD-2012", "NOPE"), headers=headers).status_code == 404
    # A period starting after the date is a wrong parameter like a malformed or out-of-range
    # date: 422 with the reason, no longer 404 (issue 11, finding 8).
    assert client.get(url + "&from=2026-06-01", headers=headers).status_code == 422
    behind = client.get(
        "/api/standards/units/110108001001/indicators/employment_rate/behind?date=2026-05-12",
        headers=headers,
    )
    assert behind.status_code == 200 and behind.json()["total"] == 2
    street = bearer(token_for(personas["street"], name="s"))
    listed = client.get(
        "/api/standards/units/110108001/evaluations?ruleset=HD-2012&date=2026-05-12",
        headers=street,
    ).json()
    assert [r["unit"] for r in listed["items"]] == ["110108001", "110108001001", "110108001002"]
    rulesets = client.get("/api/standards/rulesets/", headers=headers).json()
    assert {"HD-2012", "CQ-2007", "QG-2016"} <= {r["id"] for r in rulesets["items"]}


def test_api_requires_authentication() -> None:
    assert Client().get("/api/standards/rulesets/").status_code == 401


def test_service_record_feeds_the_page(data: dict[str, Any], personas: dict[str, Any]) -> None:
    # An unemployed person's survey: HD-C3 counts only those (DOMAIN readings of 2026-12, 6).
    casework.service_record_create(
        actor=None,
        person=data["a"][8],
        kind="survey",
        on=D(2026, 5, 1),
        outcome="dissatisfied",
        today=ON,
    )
    result = json.loads(
        _run("110108001001", "--ruleset", "HD-2012", "--date", "2026-05-12", "--json")
    )
    c3 = result["criteria"][4]
    assert (c3["numerator"], c3["denominator"], c3["passed"]) == (0, 1, False)
    assert result["source"] == "aggregates"
