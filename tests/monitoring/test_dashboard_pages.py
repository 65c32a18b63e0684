"""The dashboards (issue 15) through their pages: who opens which unit's dashboard (each data
role its own jurisdiction, a foreign unit 404), each panel's numbers (the roll-ups, the
standards' evaluation, a community's grids counted live), the workbook equal to the table,
and wrong parameters said on the page (never a server error)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jiuye.monitoring import rollups
from jiuye.monitoring.forecast import forecast, number_text, rounded
from jiuye.monitoring.grids import grid_counts
from jiuye.monitoring.panels import Panel
from jiuye.monitoring.series import MEASURES, SERIES
from jiuye.standards.evaluation import evaluate_unit
from jiuye.standards.rulesets import ruleset_get
from tests.monitoring import dashboard_world

DAY = "2026-11-30"
ON = date(2026, 11, 30)
DISTRICT, S1, S2 = "110108", "110108001", "110108002"
A, B, C, A1, A2 = "110108001001", "110108001002", "110108002001", "110108001001A1", "110108001001A2"


@pytest.fixture
def world(tree: dict[str, Any], household: Callable[..., Any], person: Callable[..., Any]) -> Any:
    return dashboard_world.build(tree, household, person)


@pytest.fixture
def clients(personas: dict[str, Any]) -> dict[str, Client]:
    found = {"anonymous": Client()}
    for key, user in personas.items():
        client = Client()
        client.force_login(user)
        found[key] = client
    return found


def unit_url(code: str, **query: str) -> str:
    url = reverse("monitoring:unit", args=[code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def panel_url(code: str, name: str, *, xlsx: bool = False, **query: str) -> str:
    view = "monitoring:panel_xlsx" if xlsx else "monitoring:panel"
    query.setdefault("date", DAY)
    return reverse(view, args=[code, name]) + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def panel_of(client: Client, code: str, name: str, **query: str) -> Panel:
    response = client.get(panel_url(code, name, **query))
    assert response.status_code == 200, response.content[:500]
    return response.context["panel"]


def chart_data(html: str) -> dict[str, Any]:
    """The charts' data on a page (json_script), by chart key."""
    found = re.findall(
        r'<script id="chart-data-([\w-]+)" type="application/json">(.*?)</script>', html
    )
    return {key: json.loads(text) for key, text in found}


# --------------------------------------------------------------------------------------------
# Who sees what
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "home"),
    [("district", DISTRICT), ("street", S1), ("worker_a", A), ("grid_a1", A1)],
)
def test_each_data_role_lands_on_its_own_unit(
    world: Any, clients: dict[str, Client], persona: str, home: str
) -> None:
    response = clients[persona].get(reverse("monitoring:index"))
    assert response.status_code == 302 and response["Location"] == unit_url(home)
    page = clients[persona].get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    panels = re.findall(r'id="panel-(\w+)" data-panel', html)
    assert panels == (
        ["grid"] if persona == "grid_a1" else ["standing", "trend", "services", "ranking"]
    )
    assert 'id="nav-monitoring" aria-current="page"' in html


@pytest.mark.parametrize("persona", ["auditor", "sysadmin", "secadmin", "nobody"])
def test_roles_without_a_data_unit_get_no_dashboard(
    world: Any, clients: dict[str, Client], persona: str
) -> None:
    response = clients[persona].get(reverse("monitoring:index"))
    assert response.status_code == 200 and 'id="monitoring-none"' in response.content.decode()
    # As on the standards pages: the aggregates of residents are for the data roles.
    assert clients[persona].get(unit_url(DISTRICT)).status_code == 404
    assert clients[persona].get(panel_url(DISTRICT, "trend")).status_code == 404


def test_several_units_are_listed(world: Any, tree: dict[str, Any]) -> None:
    from jiuye.accounts.models import Membership, User

    user = User.objects.create_user(username="two_streets", password="x-Pass-2026!", role="street")
    for key in ("s1", "s2", "a"):  # community A lies under S1: only the two streets are listed
        Membership.objects.create(user=user, unit=tree[key])
    client = Client()
    client.force_login(user)
    response = client.get(reverse("monitoring:index"))
    assert response.status_code == 200
    assert re.findall(r'href="/monitoring/units/(\d+)/"', response.content.decode()) == [S1, S2]


FOREIGN = {
    "worker_a": [B, S1, DISTRICT, C],
    "worker_b": [A, A1, S1],
    "grid_a1": [A, A2, S1],
    "street": [S2, C, DISTRICT],
}


@pytest.mark.parametrize("persona", list(FOREIGN))
def test_a_foreign_unit_is_not_found(world: Any, clients: dict[str, Client], persona: str) -> None:
    client = clients[persona]
    for code in FOREIGN[persona]:
        assert client.get(unit_url(code)).status_code == 404, code
        for name in ("standing", "trend", "ranking", "grid"):
            assert client.get(panel_url(code, name)).status_code == 404, (code, name)
            assert client.get(panel_url(code, name, xlsx=True)).status_code == 404, (code, name)


def test_anonymous_is_sent_to_log_in(world: Any, clients: dict[str, Client]) -> None:
    for url in (reverse("monitoring:index"), unit_url(A), panel_url(A, "trend")):
        response = clients["anonymous"].get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_breadcrumbs_link_only_inside_the_jurisdiction(
    world: Any, clients: dict[str, Client]
) -> None:
    html = clients["worker_a"].get(unit_url(A1)).content.decode()
    crumbs = html[html.index('id="dashboard-crumbs"') :][:2000]
    assert f'href="{unit_url(A)}' in crumbs
    assert f'href="{unit_url(S1)}' not in crumbs and "万寿路街道" in crumbs
    html = clients["district"].get(unit_url(A)).content.decode()
    assert f'href="{unit_url(S1)}' in html[html.index('id="dashboard-crumbs"') :][:2000]


def test_no_personal_data_on_any_panel(world: Any, clients: dict[str, Client]) -> None:
    from jiuye.registry.models import Person

    secrets = [s for p in Person.objects.all() for s in (p.name, p.id_number)]
    for code, names in (
        (DISTRICT, ["standing", "trend", "services", "ranking"]),
        (A, ["ranking"]),
        (A1, ["grid"]),
    ):
        for name in names:
            html = clients["district"].get(panel_url(code, name)).content.decode()
            assert not [s for s in secrets if s in html], (code, name)


# --------------------------------------------------------------------------------------------
# The panels' numbers
# --------------------------------------------------------------------------------------------


def test_trend_is_the_unit_s_months(
    world: Any, tree: dict[str, Any], clients: dict[str, Client]
) -> None:
    response = clients["street"].get(panel_url(S1, "trend"))
    panel: Panel = response.context["panel"]
    months = rollups.unit_months(unit=tree["s1"], last=ON, count=24)
    assert months is not None and panel.table is not None
    assert [row[0] for row in panel.table.rows] == [f"{m.month:%Y-%m}" for m in months]
    assert panel.table.rows[-1][0] == "2026-11"
    headers = panel.table.headers
    for row, month in zip(panel.table.rows, months, strict=True):
        cells = dict(zip(headers, row, strict=True))
        assert cells["劳动力"] == month["labor_force"]
        assert cells["登记失业人数"] == month["registered"]
        assert cells["零就业家庭数"] == month["zero_families"]
        rate = MEASURES["employment_rate"].value(month.values)
        assert cells["就业率（%）"] == (None if rate is None else round(rate * 100, 2))
    by_month = {row[0]: dict(zip(headers, row, strict=True)) for row in panel.table.rows}
    assert by_month["2026-06"]["登记失业人数"] == 2  # A's head and B's
    assert by_month["2026-02"]["登记失业人数"] == 0
    # Each chart draws columns of that table, number for number.
    charts = chart_data(response.content.decode())
    assert set(charts) == {"labor", "unemployed", "rates"}
    column = headers.index("城镇登记失业率（%）")
    rates = next(s for s in charts["rates"]["series"] if s["name"] == "城镇登记失业率（%）")
    assert rates["data"] == [row[column] for row in panel.table.rows]
    assert charts["labor"]["categories"] == [row[0] for row in panel.table.rows]


def test_services_by_kind_per_month(world: Any, clients: dict[str, Client]) -> None:
    panel = panel_of(clients["district"], DISTRICT, "services")
    assert panel.table is not None
    rows = {row[0]: dict(zip(panel.table.headers, row, strict=True)) for row in panel.table.rows}
    assert rows["2026-03"]["职业指导"] == 2 and rows["2026-03"]["合计"] == 2
    assert rows["2026-04"]["走访"] == 1
    assert rows["2026-06"]["职业指导"] == 1
    assert sum(r["合计"] for r in rows.values()) == 4
    community_b = panel_of(clients["worker_b"], B, "services")
    assert community_b.table is not None
    assert sum(row[-1] for row in community_b.table.rows) == 1


def test_ranking_of_the_streets_is_one_month_of_the_rollups(
    world: Any, tree: dict[str, Any], clients: dict[str, Client]
) -> None:
    response = clients["district"].get(panel_url(DISTRICT, "ranking", indicator="labor_force"))
    panel: Panel = response.context["panel"]
    values = rollups.units_month(units=[tree["s1"], tree["s2"]], month=ON)
    assert values is not None and panel.table is not None
    assert [row[:4] for row in panel.table.rows] == [
        [1, "万寿路街道", S1, values[tree["s1"].pk]["labor_force"]],
        [2, "永定路街道", S2, values[tree["s2"].pk]["labor_force"]],
    ]
    assert panel.table.rows[0][3] == 8
    # Each row leads to the street's dashboard, at the same date and rule set.
    assert panel.table.links[0] == unit_url(S1, date=DAY, ruleset="HD-2012")
    chart = chart_data(response.content.decode())["ranking"]
    assert chart["categories"] == ["万寿路街道", "永定路街道"]
    assert chart["series"][0]["data"] == [8, 2] and chart["links"] == panel.table.links


def test_ranking_by_a_rate_puts_the_highest_first_with_numerator_and_denominator(
    world: Any, clients: dict[str, Client]
) -> None:
    panel = panel_of(clients["street"], S1, "ranking", indicator="registered_unemployment_rate")
    assert panel.table is not None
    # A: head registered of 4 urban (head, plain two… spouse employed since August); B: 1 of 2.
    assert [(row[1], row[3], row[4], row[5]) for row in panel.table.rows] == [
        ("复兴社区", 50.0, 1, 2),
        ("翠微社区", 25.0, 1, 4),
    ]


def test_a_community_ranks_its_grids_live(
    world: Any, tree: dict[str, Any], clients: dict[str, Client]
) -> None:
    panel = panel_of(clients["worker_a"], A, "ranking", indicator="labor_force")
    assert panel.title == "网格排名（实时）" and panel.table is not None
    live = grid_counts(community=tree["a"], on=ON)
    assert [(row[2], row[3]) for row in panel.table.rows] == [
        (A1, live[tree["a1"].pk]["labor_force"]),
        (A2, live[tree["a2"].pk]["labor_force"]),
    ]
    assert live[tree["a1"].pk] == {
        "labor_force": 2,
        "employed": 1,
        "unemployed": 1,
        "registered": 1,
        "zero_families": 0,
    }
    # The household outside any grid is said, not ranked.
    assert any("未划分网格" in notice for notice in panel.notices)
    # A figure grids do not have falls back to the default, saying so.
    fallback = panel_of(clients["worker_a"], A, "ranking", indicator="dibao_unemployed_share")
    assert fallback.extra["measure"].id == "employment_rate"
    assert any("不能按" in notice for notice in fallback.notices)


def test_a_grid_shows_its_live_counts_and_no_trend(
    world: Any, tree: dict[str, Any], clients: dict[str, Client]
) -> None:
    panel = panel_of(clients["grid_a1"], A1, "grid")
    assert panel.table is not None
    rows = dict(panel.table.rows)  # type: ignore[arg-type]
    assert rows["劳动力"] == 2 and rows["就业人数"] == 1 and rows["就业率（%）"] == 50.0
    assert "不显示趋势" in panel.note
    for name in ("trend", "standing", "ranking"):
        assert clients["grid_a1"].get(panel_url(A1, name)).status_code == 404


def _standing_rows(panel: Panel) -> dict[str, dict[str, Any]]:
    assert panel.table is not None
    return {row[0]: dict(zip(panel.table.headers, row, strict=True)) for row in panel.table.rows}  # type: ignore[misc]


def test_standing_is_the_evaluation_with_a_forecast_to_the_year_end(
    world: Any, tree: dict[str, Any], clients: dict[str, Client]
) -> None:
    panel = panel_of(clients["worker_a"], A, "standing", ruleset="HD-2012")
    evaluation = evaluate_unit(unit=tree["a"], ruleset=ruleset_get("HD-2012"), on=ON)
    rows = _standing_rows(panel)
    assert list(rows) == [r.criterion.id for r in evaluation.results]
    for result in evaluation.results:
        row = rows[result.criterion.id]
        assert (row["分子"], row["分母"]) == (result.numerator, result.denominator)
        assert row["结果"] == {True: "达标", False: "未达标"}.get(result.passed, row["结果"])
    assert rows["HD-C1"]["数值"] == "83.33%"  # 5 of 6
    target = panel.extra["target"]
    assert target.on == date(2026, 12, 31) and not target.certified
    # The forecast: the last twelve month ends (2025-12 … 2026-11) of the community's series.
    months = rollups.unit_months(unit=tree["a"], last=ON, count=12)
    assert months is not None
    expected = forecast(
        [(m.month, SERIES["employment_rate"].value(m.values)) for m in months],
        target=date(2026, 12, 31),
        kind="ratio",
    )
    assert expected.value is not None
    assert rows["HD-C1"]["预测值"] == number_text(rounded(expected.value, "ratio"), "ratio")
    assert "近12个月（2025-12至2026-11）" in rows["HD-C1"]["预测说明"]
    assert "推算至2026-12-31" in rows["HD-C1"]["预测说明"]
    # No monthly series for the satisfaction rate: said in words, no forecast.
    assert rows["HD-C3"]["预测值"] == ""
    assert "没有月度数据" in rows["HD-C3"]["预测说明"]


def test_a_certified_unit_is_forecast_to_its_next_recheck(
    world: Any, tree: dict[str, Any], clients: dict[str, Client]
) -> None:
    from jiuye.standards import services

    hd = ruleset_get("HD-2012")
    services.certification_create(
        actor=None,
        unit=tree["a"],
        ruleset=hd,
        level="community",
        year=2026,
        certified_on=date(2026, 1, 20),
    )
    panel = panel_of(clients["worker_a"], A, "standing", ruleset="HD-2012")
    assert panel.extra["target"].on == date(2027, 2, 28) and panel.extra["target"].certified
    assert "推算至2027-02-28" in _standing_rows(panel)["HD-C1"]["预测说明"]
    # Certified in 2025: the 2026 re-check (by 02-28) is overdue at the date; no forecast.
    services.certification_create(
        actor=None,
        unit=tree["b"],
        ruleset=hd,
        level="community",
        year=2025,
        certified_on=date(2025, 1, 20),
    )
    overdue = panel_of(clients["worker_b"], B, "standing", ruleset="HD-2012")
    assert overdue.extra["target"].on == date(2026, 2, 28)
    assert "已过" in _standing_rows(overdue)["HD-C1"]["预测说明"]


def test_too_few_months_give_no_forecast(world: Any, clients: dict[str, Client]) -> None:
    # Community C's difficult employment rate has no denominator in any month: no values.
    panel = panel_of(clients["district"], C, "standing", ruleset="HD-2012")
    row = _standing_rows(panel)["HD-C2a"]
    assert row["指标"] == "就业困难人员就业率" and row["数值"] == "—"
    assert row["预测值"] == "" and "少于 3 个月" in row["预测说明"]


# --------------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "code", "name", "query"),
    [
        ("district", DISTRICT, "standing", {}),
        ("district", DISTRICT, "trend", {}),
        ("district", DISTRICT, "services", {}),
        ("district", DISTRICT, "ranking", {"indicator": "zero_families"}),
        ("worker_a", A, "standing", {"ruleset": "CQ-2007"}),
        ("worker_a", A, "ranking", {}),
        ("grid_a1", A1, "grid", {}),
    ],
)
def test_the_workbook_holds_the_table(
    world: Any,
    clients: dict[str, Client],
    persona: str,
    code: str,
    name: str,
    query: dict[str, str],
) -> None:
    panel = panel_of(clients[persona], code, name, **query)
    assert panel.table is not None
    response = clients[persona].get(panel_url(code, name, xlsx=True, **query))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"{code}-{name}-{DAY}.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(
        BytesIO(b"".join(response.streaming_content if response.streaming else [response.content]))
    ).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == panel.table.headers
    assert rows[1:] == [[None if c == "" else c for c in row] for row in panel.table.rows]


# --------------------------------------------------------------------------------------------
# Wrong parameters
# --------------------------------------------------------------------------------------------


def test_wrong_parameters_are_said_never_a_server_error(
    world: Any, clients: dict[str, Client]
) -> None:
    client = clients["district"]
    # An unknown rule set: not found, as on the standards pages.
    assert client.get(unit_url(DISTRICT, ruleset="NOPE")).status_code == 404
    assert client.get(panel_url(DISTRICT, "standing", ruleset="NOPE")).status_code == 404
    # A rule set that does not evaluate a district: said, and the one that does is used.
    html = client.get(unit_url(DISTRICT, ruleset="CQ-2007")).content.decode()
    assert "CQ-2007 不评估区" in html
    standing = panel_of(client, DISTRICT, "standing", ruleset="CQ-2007")
    assert standing.table is not None and standing.table.rows[0][0] == "HD-Q1"
    # A malformed date: said, and today is used.
    response = client.get(unit_url(A, date="2026-13-45"))
    assert response.status_code == 200 and "日期应为 YYYY-MM-DD 格式" in response.content.decode()
    page = client.get(unit_url(A, date="2026-13-45")).content.decode()
    today = timezone.localdate().isoformat()
    assert f"date={today}" in page and "2026-13-45" not in page.split("dashboard-panels")[1]
    asked = client.get(panel_url(A, "trend", date="2026-13-45"))  # a panel asked for directly
    assert asked.status_code == 200 and "日期应为 YYYY-MM-DD 格式" in asked.content.decode()
    assert client.get(panel_url(A, "trend", date="1900-01-01")).status_code == 200
    # A level the unit does not have: said; the default level is evaluated.
    response = client.get(unit_url(A, ruleset="HD-2012", level="district"))
    assert "不适用于本单位" in response.content.decode()
    assert panel_of(client, A, "standing", ruleset="HD-2012", level="district").table is not None
    # An unknown figure to rank by: said, the default used; its workbook is refused (400).
    ranking = panel_of(client, DISTRICT, "ranking", indicator="<script>")
    assert ranking.extra["measure"].id == "employment_rate" and ranking.notices
    assert client.get(panel_url(DISTRICT, "ranking", xlsx=True, indicator="x")).status_code == 400
    assert client.get(panel_url(DISTRICT, "trend", xlsx=True, date="2026-02-30")).status_code == 400
    # An unknown panel.
    assert client.get(panel_url(DISTRICT, "nothing")).status_code == 404
    # A date before the roll-ups: nothing to chart, said.
    early = panel_of(client, DISTRICT, "trend", date="1990-06-01")
    assert early.table is None and early.notices
    early_ranking = panel_of(client, DISTRICT, "ranking", date="1990-06-01")
    assert early_ranking.table is None and early_ranking.notices
    assert client.get(panel_url(DISTRICT, "trend", xlsx=True, date="1990-06-01")).status_code == 404


def test_stale_rollups_are_said_instead_of_a_chart(
    world: Any, tree: dict[str, Any], clients: dict[str, Client]
) -> None:
    from jiuye.registry.models import Household

    # A bulk load the aggregates have not seen: the roll-ups may not be read.
    Household.objects.bulk_create(
        [Household(number="BULK", community=tree["a"], hukou_type="urban")]
    )
    assert not rollups.rollups_fresh()
    client = clients["district"]
    for name in ("trend", "services", "ranking"):
        panel = panel_of(client, DISTRICT, name)
        assert panel.table is None and any("月度汇总" in n for n in panel.notices), name
        assert client.get(panel_url(DISTRICT, name, xlsx=True)).status_code == 404
    standing = _standing_rows(panel_of(client, A, "standing", ruleset="HD-2012"))
    assert "月度汇总" in standing["HD-C1"]["预测说明"]


def test_the_dashboard_in_english(world: Any, clients: dict[str, Client]) -> None:
    from django.utils import translation

    client = clients["district"]
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        html = client.get(unit_url(DISTRICT)).content.decode()
        assert "Big screen" in html and ">Monitoring<" in html
        standing = client.get(panel_url(DISTRICT, "standing")).content.decode()
        assert "Standing and forecast" in standing and "Not certified: forecast to" in standing
        assert "the linear trend gives" in standing
        trend = client.get(panel_url(DISTRICT, "trend")).content.decode()
        assert "Labor force and employed" in trend and "Month" in trend
