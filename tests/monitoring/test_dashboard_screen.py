"""The district's big screen (大屏): for the district administrator only, their own district;
the headline numbers are this month's roll-up, the open warnings under the district are
counted, the certification's progress by level; polled every five minutes; no personal data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiuye.monitoring import rollups
from jiuye.monitoring.series import MEASURES
from tests.monitoring import dashboard_world


@pytest.fixture
def world(tree: dict[str, Any], household: Callable[..., Any], person: Callable[..., Any]) -> Any:
    return dashboard_world.build(tree, household, person)


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def headline(html: str) -> dict[str, str]:
    found = re.findall(
        r'data-headline="(\w+)">\s*<div class="screen-label">[^<]*</div>\s*'
        r'<div class="screen-value">([^<]*)</div>',
        html,
    )
    return dict(found)


def test_the_district_admin_sees_this_month_of_their_district(
    world: Any, tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    response = client_of(personas["district"]).get(reverse("monitoring:screen"))
    assert response.status_code == 200
    html = response.content.decode()
    months = rollups.unit_months(unit=tree["district"], last=timezone.localdate(), count=1)
    assert months is not None
    now = months[-1].values
    shown = headline(html)
    assert shown["labor_force"] == f"{now['labor_force']:,}"
    assert shown["registered"] == f"{now['registered']:,}"
    assert shown["zero_families"] == f"{now['zero_families']:,}"
    rate = MEASURES["employment_rate"].value(now)
    assert rate is not None and shown["employment_rate"] == f"{rate * 100:.2f}%"
    # Polled every five minutes, from its own fragment.
    assert 'hx-trigger="every 300s"' in html and reverse("monitoring:screen_body") in html
    assert 'data-bs-theme="dark"' in html
    for key in ("labor", "rates", "unemployed", "ranking", "certification"):
        assert f'id="chart-data-{key}"' in html
    from jiuye.registry.models import Person

    assert not [p.name for p in Person.objects.all() if p.name in html]
    body = client_of(personas["district"]).get(reverse("monitoring:screen_body"))
    assert body.status_code == 200 and headline(body.content.decode()) == shown


def test_open_warnings_are_counted_once_the_warnings_run(
    world: Any, tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    from jiuye.monitoring.models import EarlyWarning

    client = client_of(personas["district"])
    assert "预警尚未运行" in client.get(reverse("monitoring:screen")).content.decode()
    for n, state in enumerate(("open", "open", "closed")):
        EarlyWarning.objects.create(
            rule_id=f"TEST-{n}",
            rule_version="1",
            kind="test",
            unit=tree["a"],
            period="2026-11",
            level="III",
            state=state,
            fired_on=date(2026, 11, 30),
            summary="测试",
        )
    assert headline(client.get(reverse("monitoring:screen")).content.decode())["warnings"] == "2"


def test_certification_progress_by_level(
    world: Any, tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    from jiuye.standards import services
    from jiuye.standards.rulesets import ruleset_get

    today = timezone.localdate()
    services.certification_create(
        actor=None,
        unit=tree["a"],
        ruleset=ruleset_get("HD-2012"),
        level="community",
        year=today.year,
        certified_on=today,
    )
    from jiuye.certification import services as certification

    certification.certification_apply(
        actor=None, unit=tree["b"], ruleset=ruleset_get("HD-2012"), year=today.year, on=today
    )
    response = client_of(personas["district"]).get(reverse("monitoring:screen"))
    table = response.context["s"].certification.table
    rows = {row[0]: row[1:] for row in table.rows}
    assert table.headers == ["层级", "单位数", "已认定", "待自评", "已退回", "待初核", "待验收"]
    assert rows == {
        "区": [1, 0, 0, 0, 0, 0],
        "街道": [2, 0, 0, 0, 0, 0],
        "社区": [3, 1, 1, 0, 0, 0],
    }


@pytest.mark.parametrize(
    "persona", ["worker_a", "grid_a1", "street", "sysadmin", "secadmin", "auditor", "nobody"]
)
def test_nobody_else_opens_the_screen(world: Any, personas: dict[str, Any], persona: str) -> None:
    client = client_of(personas[persona])
    assert client.get(reverse("monitoring:screen")).status_code == 404
    assert client.get(reverse("monitoring:screen_body")).status_code == 404


def test_another_district_is_not_found(world: Any, personas: dict[str, Any]) -> None:
    client = client_of(personas["district"])
    assert client.get(reverse("monitoring:screen") + "?unit=110108001").status_code == 404
    assert client.get(reverse("monitoring:screen") + "?unit=110108").status_code == 200
