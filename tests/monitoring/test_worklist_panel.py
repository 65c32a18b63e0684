"""A warning lands on the responsible unit's worklist (DOMAIN §10): monitoring's panel on the
casework worklist, through casework's plug-in point (casework does not import monitoring)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from jiuye.casework import panels
from jiuye.units.models import Unit

WORKLIST = reverse("casework:worklist")


def _get(user: Any, **params: str) -> Any:
    client = Client()
    client.force_login(user)
    response = client.get(WORKLIST, params)
    assert response.status_code == 200
    return response


def _panel(response: Any) -> dict[str, Any] | None:
    found = [p for p in response.context.get("panels") or [] if p["key"] == "warnings"]
    return found[0]["panel"] if found else None


def test_the_worker_sees_its_communitys_active_warnings(
    personas: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    w = warnings_made
    response = _get(personas["worker_a"])
    html = response.content.decode()
    assert 'id="panel-warnings"' in html and 'id="worklist-warnings"' in html
    panel = _panel(response)
    assert panel is not None
    assert panel["total"] == 3  # A's two and its grid A1's; not the closed one, not B's
    assert [(lv["level"], lv["n"]) for lv in panel["levels"]] == [("I", 0), ("II", 1), ("III", 2)]
    assert [row["w"].pk for row in panel["newest"]] == [w["a"].pk, w["a1"].pk, w["a_zero"].pk]
    assert reverse("warnings:detail", args=[w["a"].pk]) in html
    assert reverse("warnings:detail", args=[w["b"].pk]) not in html
    assert panel["list_url"] == reverse("warnings:list") + "?unit=110108001001"
    assert "就业困难人员多次服务仍未就业" in html


def test_a_street_sees_its_communities_and_drills_down(
    personas: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    panel = _panel(_get(personas["street"]))
    assert panel is not None and panel["total"] == 5  # A (3), B, S1
    assert panel["list_url"] == reverse("warnings:list") + "?unit=110108001"
    chosen = _panel(_get(personas["street"], unit="110108001002"))
    assert chosen is not None and chosen["total"] == 1
    assert [row["w"].pk for row in chosen["newest"]] == [warnings_made["b"].pk]
    assert chosen["list_url"].endswith("?unit=110108001002")


def test_the_newest_few_only(personas: dict[str, Any], tree: dict[str, Any]) -> None:
    from tests.monitoring.warning_helpers import make_warning

    for month in range(1, 9):
        make_warning(tree["a"], period=f"2026-0{month}", fired_on=date(2026, month, 2))
    panel = _panel(_get(personas["worker_a"]))
    assert panel is not None and panel["total"] == 8 and len(panel["newest"]) == 5
    assert panel["newest"][0]["w"].period == "2026-08"


def test_no_warnings_says_so(personas: dict[str, Any], tree: dict[str, Any]) -> None:
    response = _get(personas["worker_b"])
    assert _panel(response) is not None
    assert b'id="worklist-warnings-none"' in response.content


def test_no_panel_without_personal_data_or_for_a_grid(
    personas: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    for who in ("auditor", "sysadmin", "nobody", "grid_a1"):
        response = _get(personas[who])
        assert _panel(response) is None, who
        assert b'id="worklist-warnings"' not in response.content, who


def test_the_plug_in_point(personas: dict[str, Any], tree: dict[str, Any]) -> None:
    """A panel is registered once per key (``ready()`` may run twice); one that returns None
    shows nothing; the panels get the worklist's units and date."""
    seen: list[tuple[list[str], date]] = []

    def quiet(request: HttpRequest, units: list[Unit], on: date) -> dict[str, Any] | None:
        seen.append(([u.code for u in units], on))
        return None

    keys = [p.key for p in panels.registered()]
    assert keys.count("warnings") == 1
    panels.register_panel("quiet", "monitoring/warnings/_worklist_panel.html", quiet)
    panels.register_panel("quiet", "monitoring/warnings/_worklist_panel.html", quiet)
    try:
        response = _get(personas["worker_a"], date="2026-03-10")
        assert [p["key"] for p in response.context["panels"]] == ["warnings"]
        assert seen == [(["110108001001"], date(2026, 3, 10))]
    finally:
        panels.unregister_panel("quiet")
    assert [p.key for p in panels.registered()] == keys


@pytest.mark.parametrize("params", [{"unit": "110108002001"}, {"date": "2026-99-99"}])
def test_the_worklist_still_answers_wrong_parameters(
    personas: dict[str, Any], warnings_made: dict[str, Any], params: dict[str, str]
) -> None:
    client = Client()
    client.force_login(personas["worker_a"])
    assert client.get(WORKLIST, params).status_code in (200, 404)
