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
from jiuye.lib.masking import mask_id_number
from jiuye.registry.models import StatusEvent
from jiuye.units.scope import SYSTEM

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
    items = deadlines.worklist(tree["a"], ON, user=SYSTEM)
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


def test_worklist_page_is_scoped(
    cases: dict[str, Any], personas: dict[str, Any], tree: dict[str, Any]
) -> None:
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
    # A street's worklist counts its items per community (issue 12) and names nobody; each
    # community drills down to its own list.
    assert not any(n in html["street"] for n in ("甲一", "乙一", "丙一"))
    assert 'id="worklist-summary"' in html["street"]
    assert f'data-unit="{tree["a"].code}"' in html["street"]
    assert f'data-unit="{tree["b"].code}"' in html["street"]
    street = client_for(personas["street"])
    drill = street.get(url + f"&unit={tree['a'].code}").content.decode()
    assert all(n in drill for n in ("甲一", "乙一")) and "丙一" not in drill
    for name in ("auditor", "nobody"):
        assert not any(n in html[name] for n in ("甲一", "乙一", "丙一"))
    # Every row carries the one action that clears it.
    guidance_url = reverse("casework:service_new", args=[cases["a1_old"].pk]) + "?kind=guidance"
    assert guidance_url in html["worker_a"]


def test_street_summary_is_paged_most_overdue_first(
    cases: dict[str, Any], personas: dict[str, Any], tree: dict[str, Any], monkeypatch: Any
) -> None:
    """A district's hundreds of communities come a page at a time, those with the most overdue
    first; every community is on exactly one page."""
    from jiuye.casework import views

    monkeypatch.setattr(views, "SUMMARY_PAGE", 1)
    street = client_for(personas["street"])
    url = reverse("casework:worklist") + f"?date={ON.isoformat()}"
    first, second = (street.get(url + f"&page={n}").content.decode() for n in (1, 2))
    codes = {tree[u].code for u in ("a", "b")}
    on_first = {c for c in codes if f'data-unit="{c}"' in first}
    on_second = {c for c in codes if f'data-unit="{c}"' in second}
    assert len(on_first) == len(on_second) == 1 and on_first | on_second == codes
    assert on_first == {tree["a"].code}  # four overdue or due items against one
    assert 'id="worklist-paging"' in first and "page=2" in first


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
    html = response.content.decode()
    assert "worklist-error" in html
    # The banner names the fix (issue 11, finding 8).
    assert "jiuye holidays install 2100.toml" in html


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
        i.person_id == p.pk and i.rule_id == "CQ-4"
        for i in deadlines.worklist(tree["a"], ON, user=SYSTEM)
    )
    bad = client.post(
        reverse("casework:service_new", args=[p.pk]), {"kind": "training", "on": "2026-05-12"}
    )
    assert bad.status_code == 200 and "培训模式" in bad.content.decode()
    assert ServiceRecord.objects.filter(person=p).count() == 1


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
    # A year without holidays no longer fails the command: it lists what it can and names the
    # fix; only a date out of range is an error (issue 11, finding 8).
    out = StringIO()
    call_command("worklist", tree["a"].code, "--date", "2100-01-05", stdout=out)
    assert "jiuye holidays install 2100.toml" in out.getvalue()
    with pytest.raises(CommandError, match="2101-01-05"):
        call_command("worklist", tree["a"].code, "--date", "2101-01-05", stdout=StringIO())
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


# ---- each problem on its field (casework.checks, registry.checks) ----------------------------


def _field_errors(html: str, field: str) -> str:
    """The text of a form field's block (``data-field``) in a rendered page."""
    start = html.index(f'data-field="{field}"')
    return html[start : html.index("data-field=", start + 10)]


SERVICE_FORM_PROBLEMS = {
    "survey without outcome: on the outcome field": (
        {"kind": "survey", "on": "2026-05-12"},
        "outcome",
        "outcome_required",
    ),
    "complaint without validity: on the validity field": (
        {"kind": "complaint", "on": "2026-05-12"},
        "valid",
        "valid_required",
    ),
    "training without a mode: on the mode field": (
        {"kind": "training", "on": "2026-05-12", "enrolled": "on"},
        "training_mode",
        "training_mode_required",
    ),
    "a negative payment: on the amount field": (
        {"kind": "policy", "on": "2026-05-12", "policy_name": "补贴", "amount": "-5"},
        "amount",
        "amount_negative",
    ),
    "before birth: on the date field": (
        {"kind": "guidance", "on": "1979-12-31"},
        "on",
        "before_birth",
    ),
}


@pytest.mark.parametrize(
    ("data", "field", "code"), SERVICE_FORM_PROBLEMS.values(), ids=SERVICE_FORM_PROBLEMS.keys()
)
def test_service_form_shows_each_problem_on_its_field(
    cases: dict[str, Any], personas: dict[str, Any], data: dict[str, str], field: str, code: str
) -> None:
    from jiuye.casework import checks

    p = cases["a1_old"]
    response = client_for(personas["worker_a"]).post(
        reverse("casework:service_new", args=[p.pk]), data
    )
    assert response.status_code == 200
    html = response.content.decode()
    messages = {
        "outcome_required": checks.problem("outcome_required", "outcome"),
        "valid_required": checks.problem("valid_required", "outcome"),
        "training_mode_required": checks.problem("training_mode_required", "training_mode"),
        "amount_negative": checks.problem("amount_negative", "amount"),
        "before_birth": checks.problem("before_birth", "on", what=checks.SERVICE_DATE),
    }
    assert messages[code].message() in _field_errors(html, field)
    assert not ServiceRecord.objects.filter(person=p).exists()


def test_employment_before_16_is_refused_on_the_form(
    person: Callable[..., Any], personas: dict[str, Any]
) -> None:
    """DOMAIN §3 (readings of 2026-12): an employed status may not start before the 16th
    birthday. An 11-year-old's employment is refused on the form's date field, in the registry
    check's words; nothing is written, no success message."""
    from jiuye.registry import checks

    child = person("a1", birth=D(2015, 1, 1), name="小明")
    response = client_for(personas["worker_a"]).post(
        reverse("casework:employment", args=[child.pk]),
        {"status": "unit", "since": "2026-05-11", "employer": "某工厂"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    [problem] = checks.status_problems(
        status="unit",
        since=D(2026, 5, 11),
        registered=False,
        birth_date=child.birth_date,
        work_from=child.work_from,
    )
    assert problem.code == "employed_under_16"
    assert problem.message() in _field_errors(html, "since")
    assert "就业状态已登记" not in html
    assert not StatusEvent.objects.filter(person=child).exists()
    child.refresh_from_db()
    assert child.current_status == ""


def test_employment_service_refusal_is_shown_not_a_500(
    cases: dict[str, Any], personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal the form's own checks do not foresee (raised by the service) is shown above
    the form, and nothing is written."""
    from django.core.exceptions import ValidationError

    from jiuye.casework import views

    def refuse(**kwargs: Any) -> None:
        raise ValidationError("登记被拒绝（测试）", code="test")

    monkeypatch.setattr(views, "person_change_status", refuse)
    p = cases["a1_old"]
    response = client_for(personas["worker_a"]).post(
        reverse("casework:employment", args=[p.pk]), {"status": "unit", "since": "2026-05-11"}
    )
    assert response.status_code == 200
    assert "登记被拒绝（测试）" in response.content.decode()


# ---- status not recorded (DOMAIN §3 data quality) ---------------------------------------------


@pytest.fixture
def unrecorded(person: Callable[..., Any]) -> dict[str, Any]:
    """Persons with no status in A1, A2 and B, a child and a retiree (not of working age), and
    one whose first status comes after the date looked at."""
    return {
        "a1": person("a1", name="未登甲"),
        "a2": person("a2", name="未登乙"),
        "b": person("b", name="未登丙"),
        "child": person("a1", name="未登童", birth=D(2015, 1, 1)),
        "retired": person("a1", name="未登老", birth=D(1950, 1, 1)),
        "later": person("a1", name="未登迟", statuses=((D(2026, 6, 1), "unit"),)),
    }


def _missing_section(html: str) -> str:
    start = html.index('id="status-not-recorded"')
    return html[start : html.index("</section>", start)]


def test_status_not_recorded_in_the_web_worklist(
    cases: dict[str, Any], unrecorded: dict[str, Any], personas: dict[str, Any], tree: Any
) -> None:
    url = reverse("casework:worklist") + f"?date={ON.isoformat()}"
    section = _missing_section(client_for(personas["worker_a"]).get(url).content.decode())
    assert 'id="status-not-recorded-count">3<' in section
    for key in ("a1", "a2", "later"):  # "later": no status yet on the date
        p = unrecorded[key]
        assert p.name in section and mask_id_number(p.id_number) in section
        assert p.id_number not in section  # masked
        assert reverse("casework:person", args=[p.pk]) in section
    for key in ("b", "child", "retired"):
        assert unrecorded[key].name not in section
    for p in cases.values():  # every one has a status
        assert p.name not in section
    # A grid coordinator: their grid only.
    grid = _missing_section(client_for(personas["grid_a1"]).get(url).content.decode())
    assert "未登甲" in grid and "未登乙" not in grid
    # A street: a count per community, each a link to the community's list.
    street = _missing_section(client_for(personas["street"]).get(url).content.decode())
    assert 'id="status-not-recorded-count">4<' in street
    assert f'data-unit="{tree["a"].code}"' in street and f'data-unit="{tree["b"].code}"' in street
    assert "未登甲" not in street
    listed = client_for(personas["street"]).get(
        reverse("casework:worklist"), {"unit": tree["b"].code, "date": ON.isoformat()}
    )
    assert "未登丙" in _missing_section(listed.content.decode())
    # Nobody without the right to see residents gets the section.
    assert 'id="status-not-recorded"' not in (
        client_for(personas["auditor"]).get(url).content.decode()
    )


def test_status_not_recorded_is_paged(
    person: Callable[..., Any], personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from jiuye.casework import views

    monkeypatch.setattr(views, "MISSING_STATUS_PAGE", 2)
    names = [person("a1", name=f"未登{i}").name for i in range(5)]
    client = client_for(personas["worker_a"])
    seen = []
    for page in (1, 2, 3):
        html = client.get(
            reverse("casework:worklist"), {"date": ON.isoformat(), "missing_page": page}
        ).content.decode()
        section = _missing_section(html)
        seen += [n for n in names if n in section]
    assert sorted(seen) == sorted(names)


def test_status_not_recorded_in_the_worklist_command(
    cases: dict[str, Any], unrecorded: dict[str, Any], tree: dict[str, Any]
) -> None:
    out = StringIO()
    call_command("worklist", tree["a"].code, "--date", ON.isoformat(), stdout=out)
    text = out.getvalue()
    section = text[text.index("就业状态未登记") :]
    assert "3 人" in section.splitlines()[0]
    for key in ("a1", "a2", "later"):
        p = unrecorded[key]
        assert p.name in section and mask_id_number(p.id_number) in section
        assert p.id_number not in text
    for key in ("b", "child", "retired"):
        assert unrecorded[key].name not in section


# ---- the zero-family page, as of a date -------------------------------------------------------


def test_zero_family_page_as_of_a_date_with_hukou(
    person: Callable[..., Any], household: Callable[..., Any], personas: dict[str, Any]
) -> None:
    urban = household("a1", hukou_type="converted")
    rural = household("a1", hukou_type="agricultural")
    person(hh=urban, statuses=((D(2020, 1, 1), "unit"), (D(2026, 3, 2), "unemployed", True)))
    person(
        hh=rural,
        statuses=((D(2020, 1, 1), "unit"), (D(2026, 3, 2), "unemployed"), (D(2026, 5, 1), "unit")),
    )
    client = client_for(personas["worker_a"])

    def rows(**params: str) -> dict[str, str]:
        html = client.get(reverse("casework:zero_families"), params).content.decode()
        found = {}
        for number in (urban.number, rural.number):
            if number in html:
                start = html.rindex("<tr", 0, html.index(number))
                found[number] = html[start : html.index("</tr>", start)]
        return found

    assert rows(date="2026-03-01") == {}
    march = rows(date="2026-04-10")
    assert set(march) == {urban.number, rural.number}
    assert "农转非" in march[urban.number] and "CQ-2" in march[urban.number]
    assert "农业" in march[rural.number] and "CQ-2" not in march[rural.number]
    assert "table-danger" in march[urban.number]  # due 04-02, still open
    assert "table-danger" not in march[rural.number]  # CQ-2 does not count it
    june = rows(date="2026-06-01")
    assert set(june) == {urban.number}
    assert set(rows(date="2026-06-01", show="all")) == {urban.number, rural.number}
    # The household pages: every case with its standing today; the CQ-2 deadline for the urban
    # household only.
    urban_page = client.get(reverse("casework:household", args=[urban.pk])).content.decode()
    assert "2026-04-02" in urban_page and 'data-standing="open"' in urban_page
    rural_page = client.get(reverse("casework:household", args=[rural.pk])).content.decode()
    assert 'data-standing="closed"' in rural_page and "不计入CQ-2" in rural_page
