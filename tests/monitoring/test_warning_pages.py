"""The early-warning pages (issue 15): each persona sees its jurisdiction's warnings (the
auditor none), filters and the Excel download agree with the page, a worker acknowledges and
closes a warning of its community with a note (audited), refusals are said on the page and
change nothing, a foreign warning is 404, a district user runs the rules now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jiuye.audit.models import AuditEntry
from jiuye.monitoring.models import EarlyWarning, WarningState
from jiuye.registry.models import Person
from tests.monitoring.warning_helpers import make_warning

LIST = reverse("warnings:list")


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _shown(response: Any) -> set[int]:
    return {row["w"].pk for row in response.context["rows"]}


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _detail(w: EarlyWarning) -> str:
    return reverse("warnings:detail", args=[w.pk])


# ---- who sees what -----------------------------------------------------------------------------


def test_each_persona_sees_its_jurisdictions_active_warnings(
    personas: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    w = warnings_made
    expected = {
        "worker_a": {w["a"].pk, w["a_zero"].pk, w["a1"].pk},
        "worker_b": {w["b"].pk},
        "grid_a1": {w["a1"].pk},  # its grid's only: no community warning
        "street": {w[k].pk for k in ("a", "a_zero", "b", "s1", "a1")},
        "district": {w[k].pk for k in ("a", "a_zero", "b", "c", "s1", "a1")},
        "auditor": set(),  # reads no personal data: none
        "nobody": set(),
    }
    for who, pks in expected.items():
        response = _client(personas[who]).get(LIST)
        assert response.status_code == 200, who
        assert _shown(response) == pks, who
    auditor = _client(personas["auditor"]).get(LIST)
    assert b'id="warnings-no-data"' in auditor.content


def test_the_list_shows_level_unit_rule_period_state_and_dates(
    personas: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    response = _client(personas["worker_a"]).get(LIST)
    html = response.content.decode()
    assert "就业困难人员多次服务仍未就业" in html  # the rule's name from the rule book
    assert 'data-level="II"' in html and "background-color:#fd7e14" in html  # Ⅱ orange
    assert "text-bg-warning" in html  # Ⅲ yellow
    assert "2026-11-06" in html and "翠微社区" in html and "2026-11" in html
    assert response.context["counts"] == {"II": 1, "III": 2}
    assert "warning-run-form" not in html  # not a district user


def test_filters(personas: dict[str, Any], warnings_made: dict[str, Any]) -> None:
    w = warnings_made
    street = _client(personas["street"])
    assert _shown(street.get(LIST, {"state": "closed"})) == {w["a_closed"].pk}
    assert w["a_closed"].pk in _shown(street.get(LIST, {"state": "all"}))
    assert _shown(street.get(LIST, {"level": "I"})) == {w["b"].pk, w["s1"].pk}
    assert _shown(street.get(LIST, {"rule": "W-UNEMP-RISE"})) == {w["s1"].pk}
    assert _shown(street.get(LIST, {"unit": "110108001001"})) == {
        w["a"].pk,
        w["a_zero"].pk,
        w["a1"].pk,
    }
    assert _shown(street.get(LIST, {"unit": "110108001001", "level": "III"})) == {
        w["a_zero"].pk,
        w["a1"].pk,
    }
    assert _shown(street.get(LIST, {"state": "acknowledged"})) == set()


@pytest.mark.parametrize(
    "query",
    [
        {"state": "bogus"},
        {"level": "IV"},
        {"rule": "W-NOPE"},
        {"unit": "110108002001"},  # community C: another street's
        {"unit": "x" * 500},
        {"unit": "\x00"},
        {"page": "abc"},
        {"page": "99999999999999999999"},
        {"unknown": "1"},
    ],
)
def test_a_wrong_filter_is_said_and_dropped(
    personas: dict[str, Any], warnings_made: dict[str, Any], query: dict[str, str]
) -> None:
    response = _client(personas["street"]).get(LIST, query)
    assert response.status_code == 200
    # The wrong value is dropped: the street's active warnings, C's never among them.
    assert warnings_made["c"].pk not in _shown(response)
    assert _shown(response) == {warnings_made[k].pk for k in ("a", "a_zero", "b", "s1", "a1")}
    if set(query) & {"state", "level", "rule", "unit"}:
        assert b'id="filter-errors"' in response.content


def test_the_list_pages_in_the_database(
    personas: dict[str, Any], tree: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from jiuye.monitoring import warning_views

    monkeypatch.setattr(warning_views, "PAGE_SIZE", 2)
    for month in range(1, 6):
        make_warning(tree["a"], period=f"2026-0{month}", fired_on=date(2026, month, 3))
    client = _client(personas["worker_a"])
    first = client.get(LIST)
    assert [r["w"].period for r in first.context["rows"]] == ["2026-05", "2026-04"]
    assert first.context["page"].paginator.num_pages == 3
    last = client.get(LIST, {"page": 3})
    assert [r["w"].period for r in last.context["rows"]] == ["2026-01"]


def test_the_download_holds_the_rows_of_the_page(
    personas: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    client = _client(personas["street"])
    for query in ({}, {"state": "all"}, {"level": "I"}, {"unit": "110108001002"}):
        page = client.get(LIST, query)
        response = client.get(page.context["xlsx_url"])
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:4] == ("级别", "单位代码", "单位", "预警规则")
        cells = [(r[1], r[3], r[5], r[7]) for r in rows[1:]]
        shown = [
            (row["w"].unit.code, row["w"].rule_id, row["w"].period, row["w"].get_state_display())
            for row in page.context["rows"]
        ]
        assert cells == shown, query
        text = repr(rows)
        for p in ("pa", "pb"):  # nobody's name, ID or phone number
            person = warnings_made[p]
            assert person.name not in text and person.id_number not in text


def test_the_download_is_for_the_data_roles(
    personas: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    assert _client(personas["auditor"]).get(reverse("warnings:xlsx")).status_code == 404
    wrong = _client(personas["street"]).get(reverse("warnings:xlsx"), {"unit": "110108002001"})
    assert wrong.status_code == 302 and wrong["Location"].startswith(LIST)


# ---- a warning ---------------------------------------------------------------------------------


def test_the_detail_page(personas: dict[str, Any], warnings_made: dict[str, Any]) -> None:
    w, pa = warnings_made["a"], warnings_made["pa"]
    response = _client(personas["worker_a"]).get(_detail(w))
    assert response.status_code == 200
    html = response.content.decode()
    assert w.summary in html
    assert reverse("casework:person", args=[pa.pk]) in html and "预警甲" in html
    assert pa.id_number not in html and pa.id_number[-4:] not in html
    assert "托底" in html  # the rule's text
    assert "DOMAIN §9 托底" in html  # its cites
    assert "&gt;= 6" in html  # the Ⅱ threshold
    assert "统计起始日期" in html and "2025-11-06" in html  # the facts in words
    assert 'id="warning-acknowledge-form"' in html and 'id="warning-close-form"' in html
    read = AuditEntry.objects.filter(action="read.warning_detail").get()
    assert read.changes["persons"] == [pa.pk] and read.object_id == str(w.pk)
    household = _client(personas["worker_a"]).get(_detail(warnings_made["a_zero"]))
    assert reverse("casework:household", args=[pa.household_id]) in household.content.decode()


def test_a_foreign_warning_is_not_found(
    personas: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    w = warnings_made["a"]
    for who in ("worker_b", "grid_a1", "auditor", "nobody", "sysadmin"):
        client = _client(personas[who])
        assert client.get(_detail(w)).status_code == 404, who
        for action in ("acknowledge", "close"):
            url = reverse(f"warnings:{action}", args=[w.pk])
            assert client.post(url, {"note": "看看"}).status_code == 404, who
    assert _client(personas["street"]).get(_detail(warnings_made["c"])).status_code == 404
    assert _client(personas["worker_a"]).get("/monitoring/warnings/999999999/").status_code == 404
    big = "/monitoring/warnings/99999999999999999999999/"
    assert _client(personas["worker_a"]).get(big).status_code == 404
    w.refresh_from_db()
    assert w.state == WarningState.OPEN


def test_a_resident_who_moved_away_is_listed_without_a_name(
    personas: dict[str, Any], tree: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    pa = warnings_made["pa"]
    Person.objects.filter(pk=pa.pk).update(community=tree["c"], grid=None)
    response = _client(personas["worker_a"]).get(_detail(warnings_made["a"]))
    html = response.content.decode()
    assert "预警甲" not in html and "已不在您的管辖范围内" in html
    assert "persons" not in AuditEntry.objects.filter(action="read.warning_detail").get().changes


def test_worker_acknowledges_then_closes_with_notes(
    personas: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    w = warnings_made["a"]
    client = _client(personas["worker_a"])
    response = client.post(reverse("warnings:acknowledge", args=[w.pk]), {"note": "已安排走访"})
    assert response.status_code == 302 and response["Location"] == _detail(w)
    w.refresh_from_db()
    assert (w.state, w.acknowledged_by, w.acknowledged_note) == (
        WarningState.ACKNOWLEDGED,
        personas["worker_a"],
        "已安排走访",
    )
    page = client.get(_detail(w))
    assert "已安排走访" in page.content.decode()
    assert page.context["ack_form"] is None and page.context["close_form"] is not None
    client.post(reverse("warnings:close", args=[w.pk]), {"note": "已安置公益性岗位"})
    w.refresh_from_db()
    assert (w.state, w.closed_note) == (WarningState.CLOSED, "已安置公益性岗位")
    entries = AuditEntry.objects.filter(action__startswith="monitoring.warning_").order_by("id")
    assert [(e.action, e.changes["note"][1], e.actor_id) for e in entries] == [
        ("monitoring.warning_acknowledge", "已安排走访", personas["worker_a"].pk),
        ("monitoring.warning_close", "已安置公益性岗位", personas["worker_a"].pk),
    ]
    page = client.get(_detail(w))
    assert page.context["ack_form"] is None and page.context["close_form"] is None
    assert [e["key"] for e in page.context["history"]] == ["fired", "acknowledged", "closed"]
    # Closed: off the default (active) list, on the closed one.
    assert w.pk not in _shown(client.get(LIST))
    assert w.pk in _shown(client.get(LIST, {"state": "closed"}))


def test_closing_twice_is_refused_with_a_message(
    personas: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    w = warnings_made["a_closed"]
    response = _client(personas["street"]).post(
        reverse("warnings:close", args=[w.pk]), {"note": "再关一次"}
    )
    assert response.status_code == 200
    assert "该预警已关闭。" in response.context["errors"]
    assert b'id="warning-errors"' in response.content
    acknowledging = _client(personas["street"]).post(
        reverse("warnings:acknowledge", args=[w.pk]), {"note": "确认"}
    )
    assert "只有待处理的预警可以确认。" in acknowledging.context["errors"]
    assert not AuditEntry.objects.filter(action__startswith="monitoring.warning_").exists()


@pytest.mark.parametrize(
    ("note", "error"),
    [("", "请填写说明。"), ("   ", "请填写说明。"), ("长" * 501, "500"), ("a\x00b", "")],
)
def test_a_note_is_required_and_at_most_500_characters(
    personas: dict[str, Any], warnings_made: dict[str, Any], note: str, error: str
) -> None:
    w = warnings_made["a"]
    for action in ("acknowledge", "close"):
        response = _client(personas["worker_a"]).post(
            reverse(f"warnings:{action}", args=[w.pk]), {"note": note}
        )
        assert response.status_code == 200
        form = response.context["close_form" if action == "close" else "ack_form"]
        assert form.errors and error in str(form.errors["note"])
        if len(note) > 500:  # what was typed is kept
            assert note in response.content.decode()
    w.refresh_from_db()
    assert w.state == WarningState.OPEN
    assert not AuditEntry.objects.filter(action__startswith="monitoring.warning_").exists()


def test_who_sees_but_may_not_handle_gets_403(
    personas: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    """A grid coordinator sees its grid's warning but handles none (warnings are the
    community's and above): no forms, and a POST is 403."""
    w = warnings_made["a1"]
    client = _client(personas["grid_a1"])
    page = client.get(_detail(w))
    assert page.status_code == 200
    assert page.context["ack_form"] is None and page.context["close_form"] is None
    for action in ("acknowledge", "close"):
        assert (
            client.post(reverse(f"warnings:{action}", args=[w.pk]), {"note": "x"}).status_code
            == 403
        )
    w.refresh_from_db()
    assert w.state == WarningState.OPEN


def test_street_and_district_handle_their_communities_warnings(
    personas: dict[str, Any], warnings_made: dict[str, Any]
) -> None:
    w = warnings_made
    _client(personas["street"]).post(
        reverse("warnings:acknowledge", args=[w["b"].pk]), {"note": "街道督办"}
    )
    _client(personas["district"]).post(
        reverse("warnings:close", args=[w["c"].pk]), {"note": "核实"}
    )
    assert EarlyWarning.objects.get(pk=w["b"].pk).state == WarningState.ACKNOWLEDGED
    assert EarlyWarning.objects.get(pk=w["c"].pk).state == WarningState.CLOSED


def test_get_is_not_a_write(personas: dict[str, Any], warnings_made: dict[str, Any]) -> None:
    w = warnings_made["a"]
    client = _client(personas["worker_a"])
    for action in ("acknowledge", "close"):
        assert client.get(reverse(f"warnings:{action}", args=[w.pk])).status_code == 405
    assert client.get(reverse("warnings:run")).status_code == 405


# ---- run now -----------------------------------------------------------------------------------


def test_a_district_user_runs_the_rules_now(
    personas: dict[str, Any], person: Callable[..., Any]
) -> None:
    person("a1", statuses=((date(2025, 12, 1), "unemployed", True),))
    client = _client(personas["district"])
    page = client.get(LIST)
    assert b'id="warning-run-form"' in page.content
    assert page.context["run_form"]["on"].value() == timezone.localdate()
    response = client.post(reverse("warnings:run"), {"on": "2026-03-10"}, follow=True)
    assert "新预警 1 条" in " ".join(_messages(response))
    fired = EarlyWarning.objects.get()
    assert (fired.rule_id, fired.unit.code, fired.period) == (
        "W-ZERO-OPEN",
        "110108001001",
        "2026-03",
    )
    run = AuditEntry.objects.filter(action="monitoring.warnings_run").get()
    assert run.actor_id == personas["district"].pk
    again = client.post(reverse("warnings:run"), {"on": "2026-03-20"}, follow=True)
    assert "新预警 0 条" in " ".join(_messages(again))  # once per rule version, unit, period
    assert EarlyWarning.objects.count() == 1


@pytest.mark.parametrize("who", ["worker_a", "grid_a1", "street", "auditor", "sysadmin"])
def test_only_the_district_runs(personas: dict[str, Any], who: str) -> None:
    response = _client(personas[who]).post(reverse("warnings:run"), {"on": "2026-03-10"})
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="monitoring.warnings_run").exists()
    assert _client(personas[who]).get(LIST).context["run_form"] is None


@pytest.mark.parametrize("on", ["", "2026-13-01", "yesterday", "1900-01-01", "x" * 300, "\x00"])
def test_a_wrong_run_date_is_said(personas: dict[str, Any], on: str) -> None:
    response = _client(personas["district"]).post(reverse("warnings:run"), {"on": on}, follow=True)
    assert response.status_code == 200
    assert any("预警日期" in m for m in _messages(response))
    assert not AuditEntry.objects.filter(action="monitoring.warnings_run").exists()


def test_a_run_date_after_today_is_refused(personas: dict[str, Any]) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = _client(personas["district"]).post(
        reverse("warnings:run"), {"on": tomorrow.isoformat()}, follow=True
    )
    assert "预警日期不能晚于今天" in " ".join(_messages(response))
    assert not AuditEntry.objects.filter(action="monitoring.warnings_run").exists()


# ---- the rule book -----------------------------------------------------------------------------


def test_the_rule_book_page(personas: dict[str, Any]) -> None:
    for who in ("worker_a", "auditor", "district"):
        response = _client(personas[who]).get(reverse("warnings:rules"))
        assert response.status_code == 200
    html = response.content.decode()
    for rule_id in ("W-UNEMP-RISE", "W-ZERO-OPEN", "W-MASS-LAYOFF", "W-CERT-DRIFT"):
        assert f'id="rule-{rule_id}"' in html
    assert "&gt; 10%" in html and "&gt; 50%" in html  # the rise's thresholds as percentages
    assert "经营困难" in html  # a parameter
    # W-MASS-LAYOFF waited for the employers' layoff reports until the jobs app kept them
    # (issue 16): no rule waits now.
    waiting = [r["rule"].id for r in response.context["rules"] if r["waiting_for"]]
    assert waiting == []
    assert "等待数据" not in html


def test_a_broken_rule_book_does_not_break_the_pages(
    personas: dict[str, Any], warnings_made: dict[str, Any], settings: Any, tmp_path: Any
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('version = "1"\n[[rule]]\nid = "X"\nkind = "nope"\n', encoding="utf-8")
    settings.JIUYE_WARNING_RULES = str(broken)
    client = _client(personas["worker_a"])
    assert b'id="rules-broken"' in client.get(reverse("warnings:rules")).content
    assert client.get(LIST).status_code == 200
    assert client.get(_detail(warnings_made["a"])).status_code == 200


def test_the_pages_in_english(personas: dict[str, Any], warnings_made: dict[str, Any]) -> None:
    client = _client(personas["worker_a"])
    client.cookies["django_language"] = "en"
    listing = client.get(LIST).content.decode()
    assert "Unemployment-risk warnings" in listing and "Level Ⅱ (orange)" in listing
    detail = client.get(_detail(warnings_made["a"])).content.decode()
    assert "Acknowledgement note (what is being done)" in detail and "Counted since" in detail
    assert ">Acknowledge</button>" in detail
    rules = client.get(reverse("warnings:rules")).content.decode()
    # No rule waits for its data since the employers' layoff reports are kept (issue 16).
    assert "Waiting for data" not in rules
    assert "Abnormal layoff reasons" in rules and "Employers laying off at once" in rules


def test_the_run_task_reads_the_user_again(personas: dict[str, Any]) -> None:
    """A user no longer a district user (or deactivated) since asking is refused by the task
    as on the page."""
    from django_tasks import TaskResultStatus

    from jiuye.monitoring.tasks import warnings_run_task

    ok = warnings_run_task.enqueue(personas["district"].pk, "2026-03-10")
    assert ok.status == TaskResultStatus.SUCCESSFUL and ok.return_value["date"] == "2026-03-10"
    refused = warnings_run_task.enqueue(personas["street"].pk, "2026-03-10")
    assert refused.status == TaskResultStatus.FAILED
    personas["district"].is_active = False
    personas["district"].save()
    assert warnings_run_task.enqueue(personas["district"].pk, "2026-03-10").status == (
        TaskResultStatus.FAILED
    )
    assert AuditEntry.objects.filter(action="monitoring.warnings_run").count() == 1


@pytest.mark.parametrize("page", ["abc", "-1", "0", "99999999999999999999", "\x00"])
def test_a_wrong_records_page_is_not_an_error(
    personas: dict[str, Any], warnings_made: dict[str, Any], page: str
) -> None:
    response = _client(personas["worker_a"]).get(_detail(warnings_made["a"]), {"page": page})
    assert response.status_code == 200
    assert "预警甲" in response.content.decode()
