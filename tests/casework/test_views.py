"""The casework pages and the worklist command: scoping (foreign → 404), ordering, actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from jiuye.casework import deadlines
from jiuye.casework.deadlines import State
from jiuye.casework.models import ServiceRecord, UnemployedProfile

D = date
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
ON = D(2026, 5, 12)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def cases(registered: Callable[..., Any], person: Callable[..., Any]) -> dict[str, Any]:
    """Registered unemployed in grid A1, grid A2 and community B, on dates around May Day."""
    return {
        "a1_old": registered(D(2026, 4, 30), unit="a1", name="甲一"),  # CQ-4 due 05-08
        "a1_new": registered(D(2026, 5, 7), unit="a1", name="甲二"),  # CQ-4 due 05-11
        "a1_today": registered(D(2026, 5, 11), unit="a1", name="甲三"),  # CQ-4 due 05-14
        "a2": registered(D(2026, 5, 7), unit="a2", name="乙一"),
        "b": registered(D(2026, 5, 7), unit="b", name="丙一"),
    }


def test_worklist_orders_most_urgent_first(cases: dict[str, Any], tree: dict[str, Any]) -> None:
    items = deadlines.worklist(tree["a"], ON)
    assert items == sorted(items, key=lambda i: i.urgent_key)
    states = [i.state for i in items]
    assert states == sorted(states, key=lambda s: s != State.OVERDUE)
    cq4 = [(i.name, i.due, i.state) for i in items if i.rule_id == "CQ-4"]
    assert cq4[0] == ("甲一", D(2026, 5, 8), State.OVERDUE)
    assert set(cq4[1:3]) == {
        ("甲二", D(2026, 5, 11), State.OVERDUE),
        ("乙一", D(2026, 5, 11), State.OVERDUE),
    }
    assert ("甲三", D(2026, 5, 14), State.DUE_SOON) in cq4
    assert all(i.state in (State.OVERDUE, State.DUE_SOON) and i.actionable for i in items)
    overdue_dues = [i.due for i in items if i.state == State.OVERDUE]
    assert overdue_dues == sorted(overdue_dues)


def test_worklist_page_is_scoped(cases: dict[str, Any], personas: dict[str, Any]) -> None:
    url = reverse("casework:worklist") + f"?date={ON.isoformat()}"
    pages = {
        name: client_for(personas[name]).get(url)
        for name in ("worker_a", "worker_b", "grid_a1", "street", "auditor", "nobody")
    }
    assert all(r.status_code == 200 for r in pages.values())
    html = {name: r.content.decode() for name, r in pages.items()}
    assert all(n in html["worker_a"] for n in ("甲一", "甲二", "甲三", "乙一"))
    assert "丙一" not in html["worker_a"]
    assert "丙一" in html["worker_b"] and "甲一" not in html["worker_b"]
    assert all(n in html["grid_a1"] for n in ("甲一", "甲二")) and "乙一" not in html["grid_a1"]
    assert all(n in html["street"] for n in ("甲一", "乙一", "丙一"))
    for name in ("auditor", "nobody"):
        assert not any(n in html[name] for n in ("甲一", "乙一", "丙一"))
    # Every row carries the one action that clears it.
    guidance_url = reverse("casework:service_new", args=[cases["a1_old"].pk]) + "?kind=guidance"
    assert guidance_url in html["worker_a"]


def test_worklist_unit_parameter_and_foreign_unit(
    cases: dict[str, Any], personas: dict[str, Any], tree: dict[str, Any]
) -> None:
    client = client_for(personas["street"])
    html = client.get(
        reverse("casework:worklist"), {"unit": tree["b"].code, "date": ON.isoformat()}
    ).content.decode()
    assert "丙一" in html and "甲一" not in html
    response = client_for(personas["worker_a"]).get(
        reverse("casework:worklist"), {"unit": tree["b"].code}
    )
    assert response.status_code == 404


def test_worklist_shows_calendar_errors_plainly(
    cases: dict[str, Any], personas: dict[str, Any]
) -> None:
    response = client_for(personas["worker_a"]).get(
        reverse("casework:worklist"), {"date": "2100-03-01"}
    )
    assert response.status_code == 200
    assert "worklist-error" in response.content.decode()


def test_foreign_person_is_404_on_every_casework_page(
    cases: dict[str, Any], personas: dict[str, Any]
) -> None:
    b = cases["b"]
    client = client_for(personas["worker_a"])
    gets = [
        reverse("casework:person", args=[b.pk]),
        reverse("casework:service_new", args=[b.pk]),
        reverse("casework:household", args=[b.household_id]),
    ]
    posts = [
        reverse("casework:service_new", args=[b.pk]),
        reverse("casework:profile", args=[b.pk]),
        reverse("casework:employment", args=[b.pk]),
        reverse("casework:assistance_open", args=[b.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"kind": "guidance", "on": "2026-05-08"}).status_code == 404, url
    # The grid coordinator of A1 cannot reach a person of grid A2 either.
    grid = client_for(personas["grid_a1"])
    assert grid.get(reverse("casework:person", args=[cases["a2"].pk])).status_code == 404
    assert grid.get(reverse("casework:person", args=[cases["a1_old"].pk])).status_code == 200
    assert not ServiceRecord.objects.exists()


def test_foreign_records_and_cases_are_404(cases: dict[str, Any], personas: dict[str, Any]) -> None:
    from jiuye.casework import services

    record = services.service_record_create(
        actor=None, person=cases["b"], kind="visit", on=D(2026, 5, 8)
    )
    case = services.assistance_open(actor=None, person=cases["b"], on=D(2026, 5, 8))
    client = client_for(personas["worker_a"])
    assert client.post(reverse("casework:service_delete", args=[record.pk])).status_code == 404
    assert client.get(reverse("casework:assistance", args=[case.pk])).status_code == 404
    assert ServiceRecord.objects.filter(pk=record.pk).exists()
    assert (
        client_for(personas["worker_b"])
        .get(reverse("casework:assistance", args=[case.pk]))
        .status_code
        == 200
    )


def test_anonymous_is_sent_to_login(cases: dict[str, Any]) -> None:
    for url in (
        reverse("casework:worklist"),
        reverse("casework:person", args=[cases["a1_old"].pk]),
    ):
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_record_guidance_from_the_worklist_clears_it(
    cases: dict[str, Any], personas: dict[str, Any], tree: dict[str, Any]
) -> None:
    p = cases["a1_today"]
    client = client_for(personas["worker_a"])
    form = client.get(reverse("casework:service_new", args=[p.pk]), {"kind": "guidance"})
    assert form.status_code == 200 and 'value="guidance" selected' in form.content.decode()
    response = client.post(
        reverse("casework:service_new", args=[p.pk]),
        {"kind": "guidance", "on": "2026-05-12", "enrolled": "on"},
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get(person=p)
    assert record.by == personas["worker_a"] and record.kind == "guidance"
    assert not any(
        i.person_id == p.pk and i.rule_id == "CQ-4" for i in deadlines.worklist(tree["a"], ON)
    )
    bad = client.post(
        reverse("casework:service_new", args=[p.pk]), {"kind": "training", "on": "2026-05-12"}
    )
    assert bad.status_code == 200 and "培训模式" in bad.content.decode()


def test_person_page_profile_employment_and_assistance(
    cases: dict[str, Any], personas: dict[str, Any]
) -> None:
    p = cases["a1_old"]
    client = client_for(personas["grid_a1"])
    page = client.get(reverse("casework:person", args=[p.pk]))
    assert page.status_code == 200 and "ten-clears-state" in page.content.decode()
    client.post(
        reverse("casework:profile", args=[p.pk]),
        {"family_situation": "独居", "social_insurance": "已参保"},
    )
    assert UnemployedProfile.objects.get(person=p).family_situation == "独居"
    response = client.post(
        reverse("casework:assistance_open", args=[p.pk]),
        {"on": "2026-05-08", "accepts_any_post": "on"},
    )
    assert response.status_code == 302
    case_url = response["Location"]
    assert client.get(case_url).status_code == 200
    assert client.post(case_url, {"on": "2026-05-08", "accepts_any_post": "yes"}).status_code == 302
    client.post(
        reverse("casework:employment", args=[p.pk]),
        {"status": "flexible", "since": "2026-05-11", "employer": "外卖骑手"},
    )
    p.refresh_from_db()
    assert p.current_status == "flexible"


def test_other_pages_render(
    cases: dict[str, Any], personas: dict[str, Any], person: Callable[..., Any]
) -> None:
    from jiuye.casework import services

    services.service_record_create(
        actor=None, person=cases["a1_old"], kind="training", on=D(2026, 5, 8), training_mode="post"
    )
    client = client_for(personas["worker_a"])
    for name, args in (
        ("zero_families", []),
        ("ten_clears", []),
        ("ledger", ["training"]),
        ("ledger", ["services"]),
        ("ledger", ["policy"]),
        ("rule", ["CQ-4"]),
    ):
        response = client.get(reverse(f"casework:{name}", args=args), {"date": ON.isoformat()})
        assert response.status_code == 200, name
    assert client.get(reverse("casework:rule", args=["XX-1"])).status_code == 404
    zero = client.get(reverse("casework:zero_families")).content.decode()
    assert cases["a1_old"].household.number in zero
    assert cases["b"].household.number not in zero
    ledger = client.get(
        reverse("casework:ledger", args=["training"]), {"start": "2026-01-01", "end": "2026-06-30"}
    ).content.decode()
    assert cases["a1_old"].name in ledger


def test_worklist_command(cases: dict[str, Any], tree: dict[str, Any]) -> None:
    out = StringIO()
    call_command("worklist", tree["a"].code, "--date", ON.isoformat(), stdout=out)
    text = out.getvalue()
    assert "甲一" in text and "丙一" not in text and "CQ-4" in text and "记录职业指导" in text
    lines = text.splitlines()
    assert lines[0].startswith(tree["a"].name)
    assert text.index("2026-05-08") < text.index("2026-05-14")
    with pytest.raises(CommandError):
        call_command("worklist", "999", stdout=StringIO())
    with pytest.raises(CommandError, match="2100"):
        call_command("worklist", tree["a"].code, "--date", "2100-01-05", stdout=StringIO())
    out = StringIO()
    call_command(
        "worklist", tree["a1"].code, "--date", ON.isoformat(), "--all", "--sync", stdout=out
    )
    assert "乙一" not in out.getvalue() and "甲一" in out.getvalue()


def test_worklist_card_for_a_home_page(cases: dict[str, Any], personas: dict[str, Any]) -> None:
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = personas["worker_b"]
    html = Template("{% load casework %}{% worklist_card 5 %}").render(
        Context({"request": request})
    )
    assert "worklist-card" in html and "丙一" in html and "甲一" not in html
    request.user = personas["auditor"]
    assert "worklist-card" not in Template("{% load casework %}{% worklist_card %}").render(
        Context({"request": request})
    )
