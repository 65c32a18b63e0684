"""Policy money in real headless Chromium (issue 17), each role clicking through its part:
the community worker opens 政策, the flexible-employment social-insurance subsidy's worklist
(应享未享) and applies for everyone on it at once; the street reviewer ticks one application and
approves it, then pays the entitlement on its page; the worker finds the payment on the
person's page, the subsidy no longer on the worklist, and the pages in English. No console
error, no failed request, no full ID number on any page."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, ready_to_use

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser
FLEX = "HD18-FLEX-SI"


@pytest.fixture
def money_data(tree: dict[str, Any], personas: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Two women of community A, agricultural hukou, in flexible work and over 35."""
    from tests.policies.conftest import person

    first = person(tree["a"], born=date(1980, 3, 3))
    second = person(tree["a"], born=date(1975, 7, 7))
    ready_to_use(personas["worker_a"])
    ready_to_use(personas["street"])
    yield {"persons": [first, second], "secrets": [first.id_number, second.id_number]}


def _login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(base + "/")


def _logout(page: Any, base: str) -> None:
    page.click("#nav-user")
    page.locator("#logout-form button[type=submit]").click()
    page.wait_for_load_state()


# Every database fixture comes before ``page`` (see tests/web/test_browser.py).
def test_worker_applies_street_approves_and_pays(
    audit_flushable: None,
    money_data: dict[str, Any],
    live_server: Any,
    page: Any,
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    first, second = money_data["persons"]
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )

    def check() -> None:
        html = page.content()
        for secret in money_data["secrets"]:
            assert secret not in html, f"a full number on {page.url}"

    # The worker: 政策 → the catalog counts (loaded after the page) → the worklist → apply all.
    _login(page, base, "worker_a")
    page.click("#nav-policies")
    page.wait_for_url(f"{base}/policies/")
    row = page.locator(f'tr[data-policy="{FLEX}"]')
    # Counted once the page is shown, each policy its own request (up to 6 at once).
    expect(row.locator('[data-col="eligible"]')).to_have_text("2", timeout=20_000)
    expect(row.locator('[data-col="unpaid"]')).to_have_text("2")
    check()
    row.locator('[data-col="unpaid"] a').click()
    page.wait_for_url(re.compile(rf".*/policies/{FLEX}/\?.*unpaid=1"))
    table = page.locator("#eligible-table")
    expect(table.locator(f'tr[data-pk="{first.pk}"]')).to_contain_text("户籍为农业")
    expect(table.locator(f'tr[data-pk="{first.pk}"]')).to_contain_text("年满35周岁")
    check()
    page.click("#apply-all")
    page.wait_for_url(re.compile(r".*/policies/applications/\?.*state=submitted"))
    expect(page.locator("#application-table tbody tr")).to_have_count(2)
    check()
    _logout(page, base)

    # The street: tick the first person's application, approve, then pay it.
    _login(page, base, "street_s1")
    page.click("#nav-policies")
    page.locator("#policies-tabs").get_by_role("link", name="政策申请").click()
    page.wait_for_url(f"{base}/policies/applications/")
    mine = page.locator("#application-table tbody tr", has_text=first.name)
    mine.locator("input[name=application]").check()
    page.click("#approve-many")
    page.wait_for_load_state()
    expect(mine).to_have_attribute("data-state", "approved")
    check()
    page.locator("#policies-tabs").get_by_role("link", name="享受资格").click()
    page.locator("#entitlement-table tbody tr a").first.click()
    page.wait_for_url(re.compile(r".*/policies/entitlements/\d+/$"))
    expect(page.locator("#payment-table")).to_contain_text("尚未支付")
    page.locator("#pay-form [name=reference]").fill("PZ-2026-001")
    page.locator("#pay-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator('#payment-table tr[data-kind="payment"]')).to_contain_text("PZ-2026-001")
    check()
    _logout(page, base)

    # The worker again: the person's page shows the payment; the worklist keeps the other one.
    _login(page, base, "worker_a")
    page.goto(f"{base}/work/persons/{first.pk}/")
    panel = page.locator("#person-policies")
    expect(panel.locator(f'tr[data-policy="{FLEX}"]')).to_have_attribute("data-eligible", "1")
    expect(panel.locator("#person-policy-records")).to_contain_text("支付")
    check()
    page.goto(f"{base}/policies/{FLEX}/?unpaid=1")
    expect(page.locator(f'#eligible-table tr[data-pk="{first.pk}"]')).to_have_count(0)
    expect(page.locator(f'#eligible-table tr[data-pk="{second.pk}"]')).to_have_count(1)

    # In English: the reasons and the panel are translated.
    page.click("#language-form button[value=en]")
    page.wait_for_load_state()
    expect(page.locator(f'#eligible-table tr[data-pk="{second.pk}"]')).to_contain_text(
        "hukou: Agricultural"
    )
    assert problems == [], problems
