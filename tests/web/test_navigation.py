"""The navigation by role (issue 13): each role is offered only what it can use, every link
answers 200, and the user menu says who is signed in and leads to the password and out."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.web.conftest import ready_to_use


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(ready_to_use(user), backend="django.contrib.auth.backends.ModelBackend")
    return client


DATA = ["home", "persons", "households", "units", "worklist", "jobs", "policies"]
EXPECTED = {
    "worker_a": [*DATA, "standards", "certification", "monitoring", "ledger"],
    # No rule set evaluates a grid: the standards would answer 404 (issue 13), and there is
    # nothing to apply for (issue 14); its dashboard shows the grid's live counts (issue 15).
    "grid_a1": [*DATA, "monitoring", "ledger"],
    "street": [*DATA, "standards", "certification", "monitoring", "ledger"],
    "district": [*DATA, "standards", "certification", "monitoring", "ledger"],
    # No resident's data: the lists would always be empty.
    "sysadmin": ["home", "users"],
    "secadmin": ["home", "users"],
    "auditor": ["home", "audit"],
    "nobody": ["home"],  # a worker with no unit yet
}
NAV_LINK = re.compile(
    r'<a class="nav-link[^"]*" id="nav-(\w+)" (?:aria-current="page" )?href="([^"]+)"'
)


def nav_links(html: str) -> dict[str, str]:
    return dict(NAV_LINK.findall(html))


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_sees_its_items_and_each_answers(
    personas: dict[str, Any], settings: Any, who: str
) -> None:
    settings.DEMO_MODE = True  # the second factor is the policy's business, not the nav's
    client = client_for(personas[who])
    links = nav_links(client.get(reverse("home")).content.decode())
    assert list(links) == EXPECTED[who]
    for key, url in [*links.items(), ("password", reverse("password_change"))]:
        response = client.get(url, follow=True)
        assert response.status_code == 200, (key, url, response.redirect_chain)


def test_the_current_page_is_marked(personas: dict[str, Any]) -> None:
    html = client_for(personas["worker_a"]).get(reverse("person_list")).content.decode()
    assert 'id="nav-persons" aria-current="page"' in html
    assert 'id="nav-home" aria-current' not in html


def test_user_menu(personas: dict[str, Any]) -> None:
    user = personas["street"]
    type(user).objects.filter(pk=user.pk).update(full_name="王审核")
    html = client_for(user).get(reverse("home")).content.decode()
    menu = html[html.index('id="user-menu"') :]
    assert (
        "王审核" in menu and "street_s1" in menu and "街道审核员" in menu and "万寿路街道" in menu
    )
    assert f'href="{reverse("password_change")}"' in menu
    assert f'action="{reverse("logout")}" method="post"' in menu
    assert 'id="language-form"' in html  # the language stays one click away


def test_visitor_gets_no_items(db: Any) -> None:
    html = Client().get(reverse("login")).content.decode()
    assert nav_links(html) == {} and 'id="user-menu"' not in html and 'id="language-form"' in html
