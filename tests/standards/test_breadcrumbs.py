"""The evaluation page's breadcrumb and checklist times (issue 13): a unit above the user's
jurisdiction is named without a link (its page would be 404); a tick's time is local."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.test import Client
from django.urls import reverse

from tests.web.conftest import ready_to_use

COMMUNITY_A, STREET_S1, DISTRICT = "110108001001", "110108001", "110108"
QUERY = "?ruleset=HD-2012&level=demonstration&date=2026-05-12"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(ready_to_use(user), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _crumbs(html: str) -> dict[str, bool]:
    """Each unit of the breadcrumb: whether it is a link."""
    start = html.index('class="breadcrumb')
    trail = html[start : html.index("</ol>", start)]
    found = re.findall(r'data-unit="(\w+)">(<a )?', trail)
    return {code: bool(link) for code, link in found}


def test_worker_sees_street_and_district_as_text(personas: dict[str, Any]) -> None:
    client = _client(personas["worker_a"])
    html = client.get(reverse("standards:unit", args=[COMMUNITY_A]) + QUERY).content.decode()
    assert _crumbs(html) == {DISTRICT: False, STREET_S1: False}
    assert "万寿路街道" in html and "海淀区" in html
    assert client.get(reverse("standards:unit", args=[STREET_S1])).status_code == 404


def test_street_reviewer_links_its_street_only(personas: dict[str, Any]) -> None:
    client = _client(personas["street"])
    html = client.get(reverse("standards:unit", args=[COMMUNITY_A]) + QUERY).content.decode()
    assert _crumbs(html) == {DISTRICT: False, STREET_S1: True}
    link = re.search(rf'data-unit="{STREET_S1}"><a href="([^"]+)"', html)
    assert link is not None
    assert client.get(link.group(1).replace("&amp;", "&")).status_code == 200


def test_tick_time_is_local_and_chinese(personas: dict[str, Any], tree: dict[str, Any]) -> None:
    from jiuye.standards import services
    from jiuye.standards.models import ChecklistTick
    from jiuye.standards.rulesets import ruleset_get

    services.checklist_tick_set(
        actor=personas["worker_a"],
        unit=tree["a"],
        ruleset=ruleset_get("HD-2012"),
        item="HD-D1",
        year=2026,
        role="self",
        ticked=True,
        note="劳动关系稳定",
    )
    ChecklistTick.objects.update(updated_at=datetime(2026, 12, 3, 13, 19, tzinfo=UTC))
    client = _client(personas["worker_a"])
    html = client.get(reverse("standards:unit", args=[COMMUNITY_A]) + QUERY).content.decode()
    assert "2026年12月3日 21:19" in html and "+00:00" not in html
    client.cookies["django_language"] = "en"
    html = client.get(reverse("standards:unit", args=[COMMUNITY_A]) + QUERY).content.decode()
    assert "2026-12-03 21:19" in html


def test_the_index_offers_only_units_a_standard_evaluates(personas: dict[str, Any]) -> None:
    """A worker goes straight to their community's page; a grid's coordinator (no standard
    has a grid level) is told there is nothing to evaluate instead of meeting a 404."""
    worker = _client(personas["worker_a"]).get(reverse("standards:index"))
    assert worker.status_code == 302
    assert worker["Location"] == reverse("standards:unit", args=[COMMUNITY_A])
    grid = _client(personas["grid_a1"]).get(reverse("standards:index"))
    assert grid.status_code == 200
    assert 'id="standards-none"' in grid.content.decode()
