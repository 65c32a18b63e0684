"""The navigation bar fits on one line from the expand breakpoint (992 px) up, at 1280 px in
particular, in Chinese and in English: for the persona with the most menu entries (district:
persons, households, units, worklist, standards, ledgers) and for one with a long name and
four units. Screenshots go to /tmp/jiuye-nav-*.png."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, ready_to_use

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _nav_lines(page: Any) -> dict[str, Any]:
    """How many rows the items of the expanded navbar take, and whether anything overflows."""
    return page.evaluate(
        """() => {
        const nav = document.querySelector('nav.navbar');
        const items = [...nav.querySelectorAll('.navbar-brand, .nav-link, #nav-user,'
            + ' #language-form, #logout-form')].filter(e => e.offsetParent !== null);
        const tops = new Set(items.map(e => Math.round(e.getBoundingClientRect().top
            + e.getBoundingClientRect().height / 2)));
        const centres = [...tops].sort((a, b) => a - b);
        return {
            rows: centres.filter((c, i) => !i || c - centres[i - 1] > 8).length,
            height: nav.getBoundingClientRect().height,
            toggler: getComputedStyle(nav.querySelector('.navbar-toggler')).display,
            overflow: document.documentElement.scrollWidth > window.innerWidth,
        };
    }"""
    )


@pytest.fixture
def many_units(tree: dict[str, Any]) -> Any:
    from jiuye.accounts.models import Membership, User

    user = User.objects.create_user(
        username="many", password=PASSWORD, role="street", full_name="欧阳长名字测试"
    )
    for key in ("s1", "s2", "a", "b"):
        Membership.objects.create(user=user, unit=tree[key])
    return user


@pytest.fixture
def viewer(personas: dict[str, Any], many_units: Any, who: str) -> Any:
    # A fixture, so the ORM runs before ``browser`` starts Playwright's event loop in this
    # thread (an ORM call inside it leaves a connection open past the test database's teardown).
    return ready_to_use(personas["district"] if who == "district" else many_units)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", ["district", "many"])
def test_nav_fits_one_line(
    audit_flushable: None,
    viewer: Any,
    live_server: Any,
    browser: Any,
    language: str,
    who: str,
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + "/")
        page.fill("input[name=username]", who)
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(live_server.url + "/")
        if language == "en":
            page.click("#language-form button[value=en]")
            page.wait_for_url(live_server.url + "/")
            page.locator("html[lang=en]").wait_for()
        for width in (1280, 1200, 992):  # 1200: xl, where role and units come back
            page.set_viewport_size({"width": width, "height": 800})
            page.screenshot(path=f"/tmp/jiuye-nav-{who}-{language}-{width}.png")
            found = _nav_lines(page)
            assert found["toggler"] == "none", f"the menu is expanded at {width} px"
            assert found["rows"] == 1, (width, found)
            assert not found["overflow"], (width, found)
        # Whatever is cut short is still there in full, as the title.
        title = page.locator("#nav-user").get_attribute("title") or ""
        if who == "many":
            assert "欧阳长名字测试" in title and "永定路街道" in title
        # Below the breakpoint the menu collapses behind the toggler.
        page.set_viewport_size({"width": 800, "height": 800})
        assert _nav_lines(page)["toggler"] != "none"
    finally:
        context.close()
