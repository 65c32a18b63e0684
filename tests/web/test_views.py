"""The pages: jurisdiction (foreign → 404), roles without personal data, masking, filters."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiuye.lib.masking import mask_id_number, mask_phone
from tests.conftest import make_id
from tests.web.conftest import ready_to_use

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
PAGES = ["home", "home_stats", "person_list", "household_list", "unit_tree"]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(ready_to_use(user), backend=MODEL_BACKEND)
    return client


def names_on(response: Any, people: dict[str, Any]) -> set[str]:
    html = response.content.decode()
    return {key for key in ("zhang", "li", "wang", "zhao") if people[key].name in html}


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login(db: Any, name: str) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_detail_is_sent_to_login(people: dict[str, Any]) -> None:
    for url in (
        reverse("person_detail", args=[people["zhang"].pk]),
        reverse("household_detail", args=[people["hh_a"].pk]),
    ):
        response = Client().get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_worker_sees_own_community_only(personas: dict[str, Any], people: dict[str, Any]) -> None:
    client = client_for(personas["worker_a"])
    response = client.get(reverse("person_list"))
    assert response.status_code == 200
    assert names_on(response, people) == {"zhang", "li"}
    households = client.get(reverse("household_list")).content.decode()
    assert "A-0001" in households and "B-0001" not in households and "C-0001" not in households


def test_foreign_person_and_household_are_404(
    personas: dict[str, Any], people: dict[str, Any]
) -> None:
    client = client_for(personas["worker_a"])
    assert client.get(reverse("person_detail", args=[people["zhang"].pk])).status_code == 200
    assert client.get(reverse("person_detail", args=[people["wang"].pk])).status_code == 404
    assert client.get(reverse("household_detail", args=[people["hh_a"].pk])).status_code == 200
    assert client.get(reverse("household_detail", args=[people["hh_b"].pk])).status_code == 404
    assert client.get(reverse("person_detail", args=[999_999])).status_code == 404


def test_grid_coordinator_sees_own_grid(personas: dict[str, Any], people: dict[str, Any]) -> None:
    client = client_for(personas["grid_a1"])
    # Household A-0001 lies in grid A1; a grid member sees the rows placed in the grid only.
    assert names_on(client.get(reverse("person_list")), people) == {"zhang", "li"}
    assert client.get(reverse("person_detail", args=[people["wang"].pk])).status_code == 404


def test_street_reviewer_sees_its_communities(
    personas: dict[str, Any], people: dict[str, Any]
) -> None:
    client = client_for(personas["street"])
    assert names_on(client.get(reverse("person_list")), people) == {"zhang", "li", "wang"}
    assert client.get(reverse("person_detail", args=[people["wang"].pk])).status_code == 200
    assert client.get(reverse("person_detail", args=[people["zhao"].pk])).status_code == 404


def test_street_lists_run_by_community_then_registration(
    personas: dict[str, Any], people: dict[str, Any], tree: dict[str, Any]
) -> None:
    """A street's lists go community by community (the order its community index gives, so a
    page is found without walking every person), then as registered."""
    from jiuye.registry import services

    later = services.household_create(
        actor=None, number="A-0002", unit=tree["a"], hukou_type="urban", address="翠微路9号"
    )
    services.person_create(
        actor=None, id_number=make_id(date(1988, 3, 3)), name="后登记", household=later
    )
    client = client_for(personas["street"])
    html = client.get(reverse("person_list")).content.decode()
    order = sorted(["张伟", "李娜", "王强", "后登记"], key=html.index)
    assert order == ["张伟", "李娜", "后登记", "王强"]  # community A (as registered), then B
    html = client.get(reverse("household_list")).content.decode()
    assert html.index("A-0001") < html.index("A-0002") < html.index("B-0001")


def test_district_sees_everything(personas: dict[str, Any], people: dict[str, Any]) -> None:
    client = client_for(personas["district"])
    assert names_on(client.get(reverse("person_list")), people) == {"zhang", "li", "wang", "zhao"}


@pytest.mark.parametrize("persona", ["auditor", "sysadmin", "secadmin", "nobody"])
def test_roles_without_personal_data_see_no_persons(
    personas: dict[str, Any], people: dict[str, Any], persona: str
) -> None:
    client = client_for(personas[persona])
    response = client.get(reverse("person_list"))
    assert response.status_code == 200
    assert names_on(response, people) == set()
    assert "没有符合条件的人员" in response.content.decode()
    assert client.get(reverse("person_detail", args=[people["zhang"].pk])).status_code == 404
    assert client.get(reverse("household_detail", args=[people["hh_a"].pk])).status_code == 404
    home = client.get(reverse("home"))
    assert home.status_code == 200 and 'id="stats"' not in home.content.decode()
    stats = client.get(reverse("home_stats"))
    assert stats.status_code == 200 and stats.context["counts"] is None


def test_no_full_id_or_phone_in_any_page(personas: dict[str, Any], people: dict[str, Any]) -> None:
    zhang = people["zhang"]
    client = client_for(personas["worker_a"])
    urls = [
        reverse("home"),
        reverse("person_list"),
        # Old bookmarks with the number in the URL: redirected, the number not echoed.
        reverse("person_list") + "?q=" + zhang.id_number,
        reverse("person_list") + "?q=" + people["wang"].id_number,  # foreign: "not found"
        reverse("person_list") + "?q=" + zhang.id_number[-4:],
        reverse("person_detail", args=[zhang.pk]),
        reverse("person_detail", args=[people["li"].pk]),
        reverse("household_list"),
        reverse("household_detail", args=[people["hh_a"].pk]),
        reverse("unit_tree"),
    ]
    for url in urls:
        html = client.get(url, follow=True).content.decode()
        for key in ("zhang", "li", "wang"):
            assert people[key].id_number not in html, url
        assert zhang.phone not in html, url
    detail = client.get(reverse("person_detail", args=[zhang.pk])).content.decode()
    assert mask_id_number(zhang.id_number) in detail
    assert mask_phone(zhang.phone) in detail
    listing = client.get(reverse("person_list")).content.decode()
    assert mask_id_number(zhang.id_number) in listing


def test_person_detail_shows_history_household_and_recognitions(
    personas: dict[str, Any], people: dict[str, Any]
) -> None:
    html = (
        client_for(personas["worker_a"])
        .get(reverse("person_detail", args=[people["zhang"].pk]))
        .content.decode()
    )
    assert "单位就业" in html and "某某公司" in html  # the closed first event
    assert "合同到期" in html and "2025-03-01" in html and "至今" in html
    assert "登记失业" in html
    assert "低保" in html and "2025-04-01" in html  # the recognition
    assert people["li"].name in html  # a household member, linked
    assert reverse("person_detail", args=[people["li"].pk]) in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "张"}, {"zhang"}),
        ({"q": "娜"}, {"li"}),
        ({"status": "unemployed"}, {"zhang", "li"}),
        ({"status": "flexible"}, {"wang"}),
        ({"status": "employed"}, {"wang", "zhao"}),
        ({"registered": "on"}, {"zhang"}),
        ({"labor_force": "on"}, {"zhang", "li", "wang", "zhao"}),
    ],
)
def test_person_filters(
    personas: dict[str, Any], people: dict[str, Any], query: dict[str, str], expected: set[str]
) -> None:
    client = client_for(personas["district"])
    # Searches are posted (issue 11, finding 3): the terms never stand in a URL.
    assert names_on(client.post(reverse("person_list"), query, follow=True), people) == expected


def test_search_by_last_four(personas: dict[str, Any], people: dict[str, Any]) -> None:
    client = client_for(personas["district"])
    tail = client.post(reverse("person_list"), {"q": people["li"].id_number[-4:]}, follow=True)
    assert "li" in names_on(tail, people)


def test_search_by_full_id_opens_the_person_without_echoing_it(
    personas: dict[str, Any], people: dict[str, Any]
) -> None:
    client = client_for(personas["worker_a"])
    li, wang = people["li"], people["wang"]
    response = client.post(reverse("person_list"), {"q": li.id_number.lower()}, follow=True)
    assert response.redirect_chain[-1] == (reverse("person_detail", args=[li.pk]), 302)
    assert all(li.id_number not in url.upper() for url, _code in response.redirect_chain)
    htmx = client.post(
        reverse("person_list"),
        {"q": li.id_number},
        headers={"HX-Request": "true", "HX-Target": "person-results"},
    )
    assert htmx.status_code == 204
    assert htmx["HX-Redirect"] == reverse("person_detail", args=[li.pk])
    # A person outside the jurisdiction is "not found", said with the masked number only.
    foreign = client.post(reverse("person_list"), {"q": wang.id_number}, follow=True)
    assert foreign.redirect_chain[-1] == (reverse("person_list"), 302)
    html = foreign.content.decode()
    assert mask_id_number(wang.id_number) in html and wang.id_number not in html


def test_unit_filter_and_foreign_unit_is_ignored(
    personas: dict[str, Any], tree: dict[str, Any], people: dict[str, Any]
) -> None:
    street = client_for(personas["street"])
    search = reverse("person_list")
    assert names_on(street.post(search, {"unit": tree["b"].pk}, follow=True), people) == {"wang"}
    # Community C lies outside the street: not a choice, so the filter is ignored (still scoped),
    # while the other valid filters still apply.
    response = street.post(search, {"unit": tree["c"].pk, "status": "unemployed"}, follow=True)
    assert names_on(response, people) == {"zhang", "li"}


def test_htmx_request_returns_only_the_results(
    personas: dict[str, Any], people: dict[str, Any]
) -> None:
    client = client_for(personas["worker_a"])
    response = client.post(
        reverse("person_list"),
        {"q": "李"},
        headers={
            "HX-Request": "true",
            "HX-Target": "person-results",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="person-table"' in html
    assert names_on(response, people) == {"li"}
    assert "HX-Request" in response["Vary"]
    # The pushed URL names the search by a token, not by its terms.
    pushed = response["HX-Push-Url"]
    assert pushed.startswith(reverse("person_list") + "?s=") and "李" not in pushed
    full = client.get(pushed)
    assert "<html" in full.content.decode() and names_on(full, people) == {"li"}
    restore = client.get(
        reverse("person_list"),
        headers={
            "HX-Request": "true",
            "HX-Target": "person-results",
            "HX-History-Restore-Request": "true",
        },
    )
    assert "<html" in restore.content.decode()


def test_home_counts_for_worker_and_street(
    personas: dict[str, Any], people: dict[str, Any]
) -> None:
    def stats(user: Any) -> dict[str, int]:
        response = client_for(user).get(
            reverse("home_stats"), headers={"HX-Request": "true", "HX-Target": "stats"}
        )
        assert "<html" not in response.content.decode()
        return response.context["counts"]

    assert stats(personas["worker_a"]) == {
        "persons": 2,
        "households": 1,
        "labor_force": 2,
        "employed": 0,
        "unemployed": 2,
        "registered": 1,
        "zero_families": 1,
    }
    # A grid coordinator: the households of grid A1 (both of community A's persons live there).
    assert stats(personas["grid_a1"]) == stats(personas["worker_a"])
    assert stats(personas["street"]) == {
        "persons": 3,
        "households": 2,
        "labor_force": 3,
        "employed": 1,
        "unemployed": 2,
        "registered": 1,
        "zero_families": 1,
    }


def test_home_loads_its_numbers_after_the_page(personas: dict[str, Any]) -> None:
    client = client_for(personas["worker_a"])
    html = client.get(reverse("home")).content.decode()
    assert f'hx-get="{reverse("home_stats")}" hx-trigger="load"' in html
    assert f'<noscript><a href="{reverse("home_stats")}">' in html
    page = client.get(reverse("home_stats")).content.decode()  # without JS: a page of its own
    assert "<html" in page and 'data-stat="persons"' in page


def test_home_shows_units_and_demo_panel(personas: dict[str, Any], settings: Any) -> None:
    client = client_for(personas["worker_a"])
    settings.DEMO_MODE = True
    html = client.get(reverse("home")).content.decode()
    assert "翠微社区" in html
    assert "演示模式：数据为合成数据，已放宽双因素认证" in html
    assert 'id="demo-welcome"' in html and "worker_a" in html
    settings.DEMO_MODE = False
    html = client.get(reverse("home")).content.decode()
    assert "演示模式" not in html and 'id="demo-welcome"' not in html


def test_nav_has_user_role_units_language_and_post_logout(personas: dict[str, Any]) -> None:
    html = client_for(personas["worker_a"]).get(reverse("home")).content.decode()
    assert "worker_a" in html and "社区工作者" in html and "翠微社区" in html
    assert f'action="{reverse("set_language")}" method="post"' in html
    assert f'action="{reverse("logout")}" method="post"' in html
    assert 'hx-headers=\'{"X-CSRFToken"' in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert "http://" not in html and "https://" not in html  # nothing from outside
    assert f'href="{reverse("casework:worklist")}"' in html  # the worker's to-do list
    auditor = client_for(personas["auditor"]).get(reverse("home")).content.decode()
    assert reverse("casework:worklist") not in auditor
    assert f'href="{reverse("audit_log")}"' in auditor


def test_detail_pages_link_to_casework(personas: dict[str, Any], people: dict[str, Any]) -> None:
    client = client_for(personas["worker_a"])
    zhang, household = people["zhang"], people["hh_a"]
    person_html = client.get(reverse("person_detail", args=[zhang.pk])).content.decode()
    assert reverse("casework:person", args=[zhang.pk]) in person_html
    household_html = client.get(reverse("household_detail", args=[household.pk])).content.decode()
    assert reverse("casework:household", args=[household.pk]) in household_html


def test_english_switch(personas: dict[str, Any], people: dict[str, Any]) -> None:
    client = client_for(personas["worker_a"])
    chinese = client.get(reverse("home")).content.decode()
    assert ">人员<" in chinese and ">首页<" in chinese
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("person_list")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("person_list")
    english = client.get(reverse("person_list")).content.decode()
    assert ">Persons<" in english and ">Households<" in english and ">Home<" in english
    assert "Log out" in english and 'lang="en"' in english
    assert "Unemployed" in english  # a status label from the model's choices
    detail = client.get(reverse("person_detail", args=[people["zhang"].pk])).content.decode()
    assert "Employment status" in detail and "Male" in detail


def test_unit_tree(personas: dict[str, Any], people: dict[str, Any]) -> None:
    html = client_for(personas["worker_a"]).get(reverse("unit_tree")).content.decode()
    assert "翠微社区" in html and "翠微一网格" in html and "复兴社区" not in html
    response = client_for(personas["street"]).get(reverse("unit_tree"))
    rows = {row["unit"].code: row for row in response.context["rows"]}
    assert rows["110108001"]["persons"] == 3 and rows["110108001"]["households"] == 2
    assert rows["110108001001"]["persons"] == 2 and rows["110108001001A1"]["persons"] == 2
    assert rows["110108001002"]["persons"] == 1
    auditor = client_for(personas["auditor"]).get(reverse("unit_tree"))
    assert auditor.status_code == 200 and not auditor.context["sees_personal_data"]


def test_unit_tree_without_grid_detail(
    personas: dict[str, Any], people: dict[str, Any], monkeypatch: Any
) -> None:
    from jiuye.web import views

    monkeypatch.setattr(views, "GRID_DETAIL_MAX_COMMUNITIES", 0)
    response = client_for(personas["street"]).get(reverse("unit_tree"))
    rows = {row["unit"].code: row for row in response.context["rows"]}
    assert rows["110108001"]["persons"] == 3 and rows["110108001001"]["persons"] == 2
    assert rows["110108001001A1"]["persons"] == 0  # grids left out above a few communities


def test_search_terms_never_stand_in_a_url(
    personas: dict[str, Any], people: dict[str, Any]
) -> None:
    """Issue 11, finding 3: an old bookmark with a number in it is turned into a token."""
    client = client_for(personas["worker_a"])
    tail = people["li"].id_number[-4:]
    response = client.get(reverse("person_list"), {"q": tail, "status": "unemployed"})
    assert response.status_code == 302
    location = response["Location"]
    assert tail not in location and "q=" not in location and "status" not in location
    page = client.get(location)
    assert names_on(page, people) == {"li"}
    # Paging keeps the token, not the terms.
    assert "?s=" in location
    other = client_for(personas["worker_a"])
    assert names_on(other.get(location), people) == {"zhang", "li"}  # another session: no terms


def test_id_searches_are_audited_and_limited(
    personas: dict[str, Any], people: dict[str, Any], monkeypatch: Any
) -> None:
    from jiuye.audit.models import AuditEntry
    from jiuye.web import search

    monkeypatch.setattr(search, "ID_SEARCHES_PER_HOUR", 3)
    client = client_for(personas["worker_a"])
    tail = people["li"].id_number[-4:]
    for _ in range(3):
        page = client.post(reverse("person_list"), {"q": tail}, follow=True)
        assert names_on(page, people) == {"li"}
    refused = client.post(reverse("person_list"), {"q": tail}, follow=True)
    assert "过于频繁" in refused.content.decode()
    rows = AuditEntry.objects.filter(action=search.ID_SEARCH_ACTION)
    assert rows.count() >= 4 and rows.filter(result="refused").exists()
    assert all(tail not in str(row.changes) for row in rows)
