"""One user journey in real headless Chromium (Debian's), against pytest-django's live server:
log in as a community worker → home → persons → filter by name over HTMX (no full page load)
→ open a person (masked ID) → switch to English and back. Screenshots go to /tmp/jiuye-*.png."""

from __future__ import annotations

import os
from typing import Any

import pytest

from jiuye.lib.masking import mask_id_number
from tests.web.conftest import PASSWORD, ready_to_use

# Playwright's sync API runs an event loop in this thread; the ORM calls of the fixtures are
# still plain synchronous ones.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


@pytest.fixture
def worker_a(personas: dict[str, Any]) -> Any:
    return ready_to_use(personas["worker_a"])


# Every database fixture comes before ``page``: inside ``sync_playwright()`` the ORM would open
# a second connection (asgiref's context-local storage sees another context) that outlives the
# test and keeps PostgreSQL from dropping the test database.
def test_worker_journey(
    audit_flushable: None,
    people: dict[str, Any],
    worker_a: Any,
    live_server: Any,
    page: Any,
) -> None:
    from playwright.sync_api import expect

    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url) if not r.url.startswith((live_server.url, "data:")) else None
        ),
    )
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    numbers = [
        n
        for p in people.values()
        for n in (getattr(p, "id_number", ""), getattr(p, "phone", ""))
        if n
    ]

    def no_full_numbers() -> None:
        html = page.content()
        assert not [n for n in numbers if n in html], f"a full number on {page.url}"

    # Anonymous → the login page; sign in.
    page.goto(live_server.url + "/")
    expect(page.locator("#login-form")).to_be_visible()
    page.fill("input[name=username]", "worker_a")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(live_server.url + "/")

    # Home: the user's community and the numbers of their jurisdiction.
    expect(page.locator("#nav-user")).to_contain_text("worker_a")
    expect(page.locator("#nav-user")).to_contain_text("翠微社区")
    expect(page.locator("#demo-banner")).to_be_visible()
    expect(page.locator("[data-stat=persons]")).to_have_text("2")
    page.screenshot(path="/tmp/jiuye-home.png", full_page=True)
    no_full_numbers()

    # Persons: both of community A's persons, none of B's.
    page.click("nav >> text=人员")
    page.wait_for_url(live_server.url + "/persons/")
    table = page.locator("#person-table tbody")
    expect(table.locator("tr")).to_have_count(2)
    expect(table).to_contain_text("张伟")
    expect(table).not_to_contain_text("王强")

    # Filter by name: htmx posts the form, swaps the results in place and pushes a URL that
    # names the search by a token, never by its terms (issue 11, finding 3); no page load.
    page.evaluate("window.__still_here = true")
    page.fill("#id_q", "李")
    expect(table.locator("tr")).to_have_count(1)
    expect(table).to_contain_text("李娜")
    page.wait_for_url("**/persons/?s=*")
    assert "李" not in page.url and "%" not in page.url
    assert page.evaluate("window.__still_here") is True
    page.screenshot(path="/tmp/jiuye-persons.png", full_page=True)
    no_full_numbers()

    # The person: the ID number masked, never in full.
    li = people["li"]
    page.click("#person-table >> text=李娜")
    page.wait_for_url(f"{live_server.url}/persons/{li.pk}/")
    expect(page.locator("#person-id")).to_have_text(mask_id_number(li.id_number))
    assert li.id_number not in page.content()
    expect(page.locator("#status-history")).to_contain_text("失业")
    page.screenshot(path="/tmp/jiuye-person.png", full_page=True)
    no_full_numbers()

    # English: the nav switches, and the page stays the same person.
    page.click("#language-form button[value=en]")
    page.wait_for_url(f"{live_server.url}/persons/{li.pk}/")
    expect(page.locator("#nav-main")).to_contain_text("Persons")
    expect(page.locator("#nav-main")).to_contain_text("Households")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path="/tmp/jiuye-person-en.png", full_page=True)
    no_full_numbers()

    # And back to Chinese, still on the same person.
    page.click("#language-form button[value=zh-hans]")
    page.wait_for_url(f"{live_server.url}/persons/{li.pk}/")
    expect(page.locator("#nav-main")).to_contain_text("人员")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    no_full_numbers()

    assert outside == [], "requests left the server (assets must be local)"
    assert failed == []
