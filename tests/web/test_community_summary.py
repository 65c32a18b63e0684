"""The reviewers' per-community summary (``web.summary``): each row's figures equal the
per-community truth (the classification, the deadline rules item by item, the ten clears record
by record), fresh or stale aggregates, stored deadline items or not; the rows are the
communities the user sees whole (a foreign unit is 404); paging and sorting in any input; and
the number of queries does not grow with the number of communities."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jiuye.casework import deadlines, tenclears
from jiuye.casework.deadlines import State
from jiuye.casework.deadlines.store import store_build
from jiuye.registry import services
from jiuye.registry.classification import community_classification
from jiuye.registry.models import Status
from jiuye.standards import aggregates
from jiuye.units.models import Level, Unit
from jiuye.units.scope import SYSTEM
from jiuye.units.services import unit_create
from jiuye.web import summary
from tests.conftest import make_id
from tests.standards.test_behind_paged import _history
from tests.web.conftest import ready_to_use

URL = reverse("community_summary")
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(ready_to_use(user), backend=MODEL_BACKEND)
    return client


def codes(response: Any) -> list[str]:
    return [row["unit"].code for row in response.context["rows"]]


def truth(unit: Unit, on: date) -> dict[str, Any]:
    """One community's figures worked out on their own: the classification, every deadline
    item of the rules, every record of the ten clears (Python)."""
    c = community_classification(on=on, units=Unit.objects.filter(pk=unit.pk)).get(unit.pk)
    items = deadlines.deadline_items(unit, on, user=SYSTEM)
    overdue = [
        sum(1 for i in items if i.rule_id == rule and i.actionable and i.state == State.OVERDUE)
        for rule in deadlines.RULES
    ]
    ten = tenclears.unit_completeness(unit, on, user=SYSTEM)
    return {
        "labor_force": c.labor_force if c else 0,
        "employed": c.employed if c else 0,
        "unemployed": c.unemployed if c else 0,
        "zero_families": c.zero_families if c else 0,
        "overdue_cells": overdue,
        "ten": (ten.numerator, ten.denominator),
    }


def shown(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("labor_force", "employed", "unemployed", "zero_families", "overdue_cells")
    return {**{k: row[k] for k in keys}, "ten": (row["ten_complete"], row["ten_total"])}


@pytest.mark.parametrize(("fresh", "stored"), [(True, False), (False, False), (True, True)])
def test_a_street_sees_its_communities_with_the_true_figures(
    tree: dict[str, Any],
    personas: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    fresh: bool,
    stored: bool,
) -> None:
    aggregates.aggregates_rebuild()
    _history(random.Random(3), tree, persons=70)
    assert aggregates.aggregates_fresh()
    today = timezone.localdate()
    if stored:
        store_build(on=today)
    if not fresh:
        monkeypatch.setattr(aggregates, "aggregates_fresh", lambda: False)

        def refuse(**kwargs: Any) -> None:
            raise AssertionError("stale aggregates read")

        monkeypatch.setattr(aggregates, "community_vectors", refuse)
    response = client_for(personas["street"]).get(URL, {"sort": "code"})
    assert response.status_code == 200
    assert codes(response) == [tree["a"].code, tree["b"].code]  # not C, another street's
    html = response.content.decode()
    assert f'data-unit="{tree["c"].code}"' not in html
    found = {row["unit"].code: shown(row) for row in response.context["rows"]}
    expected = {tree[k].code: truth(tree[k], today) for k in ("a", "b")}
    assert found == expected
    everything = [v for t in expected.values() for v in (t["labor_force"], *t["overdue_cells"])]
    assert sum(everything), "the history gives something to count"


def test_a_foreign_or_unknown_unit_is_404(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    assert client_for(personas["street"]).get(URL, {"unit": tree["c"].code}).status_code == 404
    assert client_for(personas["worker_a"]).get(URL, {"unit": tree["b"].code}).status_code == 404
    assert client_for(personas["grid_a1"]).get(URL, {"unit": tree["a"].code}).status_code == 404
    assert client_for(personas["district"]).get(URL, {"unit": "nope"}).status_code == 404
    # Inside the jurisdiction: that unit's communities only.
    response = client_for(personas["district"]).get(URL, {"unit": tree["s2"].code})
    assert codes(response) == [tree["c"].code]


def test_a_worker_sees_only_their_community(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    assert codes(client_for(personas["worker_a"]).get(URL)) == [tree["a"].code]
    assert codes(client_for(personas["worker_b"]).get(URL)) == [tree["b"].code]
    grid = client_for(personas["grid_a1"]).get(URL)  # part of a community: no row
    assert grid.status_code == 200 and codes(grid) == []
    assert 'id="summary-grid-only"' in grid.content.decode()
    for role in ("sysadmin", "auditor"):  # no personal data: no figures
        assert codes(client_for(personas[role]).get(URL)) == []


def _unemployed(unit: Unit, n: int) -> None:
    """``n`` registered unemployed persons in ``unit`` (guidance overdue after 3 workdays)."""
    for i in range(n):
        hh = services.household_create(
            actor=None, number=f"{unit.code}-{i}", unit=unit, hukou_type="urban"
        )
        p = services.person_create(
            actor=None,
            id_number=make_id(date(1985, 1, 1 + i), region="110108"),
            name=f"{unit.name}{i}",
            household=hh,
        )
        services.person_change_status(
            actor=None,
            person=p,
            status=Status.UNEMPLOYED,
            since=date(2026, 1, 5),
            registered=True,
        )


def test_paging_and_sorting(
    tree: dict[str, Any], personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _unemployed(tree["b"], 2)
    _unemployed(tree["c"], 1)
    client = client_for(personas["district"])
    monkeypatch.setattr(summary, "PAGE_SIZE", 1)
    a, b, c = (tree[k].code for k in ("a", "b", "c"))
    by_code = [codes(client.get(URL, {"sort": "code", "page": n})) for n in (1, 2, 3)]
    assert by_code == [[a], [b], [c]]
    assert codes(client.get(URL, {"sort": "code", "page": "x"})) == [a]  # bad page: the first
    assert codes(client.get(URL, {"sort": "code", "page": "99"})) == [c]  # past the end: last
    assert codes(client.get(URL, {"sort": "code", "page": "-1"})) == [c]
    monkeypatch.setattr(summary, "PAGE_SIZE", 50)
    assert codes(client.get(URL, {"sort": "overdue"})) == [b, c, a]  # most overdue first
    assert codes(client.get(URL)) == [b, c, a]  # the default
    assert codes(client.get(URL, {"sort": "<script>"})) == [b, c, a]  # unknown: the default
    assert codes(client.get(URL, {"sort": "unemployed"})) == [b, c, a]
    # Ten clears, lowest first: B and C have records missing fields (0 %, by code), A has no
    # unemployed person (nothing to complete): last.
    assert codes(client.get(URL, {"sort": "ten_clears"})) == [b, c, a]
    response = client.get(URL, {"sort": "ten_clears", "date": "not-a-date"})
    assert response.status_code == 200  # a bad date: said, today instead


def test_the_number_of_queries_does_not_grow_with_the_communities(
    tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    def add(n: int) -> None:
        for _ in range(n):
            made = Unit.objects.filter(level=Level.COMMUNITY).count()
            unit = unit_create(
                actor=None,
                code=f"110108002{made:03d}",
                name=f"新社区{made}",
                level=Level.COMMUNITY,
                parent=tree["s2"],
            )
            _unemployed(unit, 1)

    def queries(sort: str) -> int:
        client = client_for(personas["district"])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"sort": sort}).status_code == 200
        return len(captured)

    for fresh in (False, True):
        add(2)
        if fresh:
            aggregates.aggregates_rebuild()
        few = {sort: queries(sort) for sort in summary.SORTS}
        add(8)
        if fresh:
            aggregates.aggregates_rebuild()
        many = {sort: queries(sort) for sort in summary.SORTS}
        assert few == many, fresh
        assert max(many.values()) <= 40, many


def test_the_home_page_links_it_for_reviewers_only(personas: dict[str, Any]) -> None:
    for role, linked in (("street", True), ("district", True), ("worker_a", False)):
        html = client_for(personas[role]).get(reverse("home")).content.decode()
        assert ('id="community-summary-link"' in html) is linked, role


def test_an_htmx_page_link_gets_the_table_only(
    tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    response = client_for(personas["street"]).get(
        URL, {"page": "1"}, headers={"HX-Request": "true", "HX-Target": summary.TARGET}
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div id="{summary.TARGET}">')
    assert "<html" not in html


def test_the_ten_clears_sort_puts_the_lowest_completeness_first() -> None:
    figures = {1: (1, 2), 2: (0, 3), 3: None, 4: (3, 3), 5: (2, 3)}
    key = summary.SORTS["ten_clears"].key
    assert sorted(figures, key=lambda pk: key({"ten_clears": figures[pk]})) == [2, 1, 5, 4, 3]
