"""The jobs work of a community worker in real headless Chromium (issue 16), clicked through the
pages as the worker does it: 岗位 in the navigation → the community's employer → a staff report
→ the 岗位 tab → the posting → its candidates → 推荐 a matching seeker → the outcome 已面试, then
已录用 (the person's status becomes 单位就业) → the person's page lists the referral → the public
job board, in a fresh browser without login, shows the posting with one vacancy less and no
personal number. No console error, no failed request, no full ID number or phone on any page."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from jiuye.policies.catalog import policies
from tests.web.conftest import PASSWORD, make_phone, ready_to_use

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

# An 18-character ID number or a mainland mobile number anywhere in a page's text.
PERSONAL_NUMBER = re.compile(r"(?<!\d)(\d{17}[\dXx]|1[3-9]\d{9})(?!\d)")


@pytest.fixture
def jobs_data(tree: dict[str, Any], personas: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Community A's employer with a posting of 保洁员 (2 vacancies), and a registered
    unemployed seeker of A whose 求职意向 is 保洁 (beside an employed spouse)."""
    from django.core.cache import cache

    from jiuye.jobs import matching
    from jiuye.jobs.postings import posting_create
    from jiuye.jobs.services import employer_create
    from jiuye.registry import services as registry
    from jiuye.registry.models import Status
    from tests.conftest import make_id
    from tests.jobs.conftest import valid_uscc

    matching.clear_cache()
    cache.clear()  # the public board is cached per unit and day
    employer = employer_create(
        actor=None,
        uscc=valid_uscc("91110108MA01JRNY0"),
        name="翠微家政服务公司",
        unit=tree["a"],
        industry="居民服务业",
    )
    posting = posting_create(
        actor=None,
        employer=employer,
        title="保洁员",
        skills="保洁 清洁",
        vacancies=2,
        pay_min=3000,
        pay_max=4000,
        unit=tree["a"],
        opens_on=date(2026, 3, 1),
    )
    home = registry.household_create(
        actor=None, number="JOB-0001", unit=tree["a1"], hukou_type="urban"
    )
    spouse = registry.person_create(
        actor=None, id_number=make_id(date(1984, 5, 5)), name="钱国华", household=home
    )
    registry.person_change_status(
        actor=None, person=spouse, status=Status.UNIT, since=date(2020, 1, 1)
    )
    seeker = registry.person_create(
        actor=None,
        id_number=make_id(date(1986, 9, 12), male=False),
        name="孙桂兰",
        household=home,
        relation="配偶",
        phone=make_phone(4321),
        education="高中",
        job_intent="保洁",
    )
    registry.person_change_status(
        actor=None, person=seeker, status=Status.UNIT, since=date(2015, 1, 1)
    )
    registry.person_change_status(
        actor=None,
        person=seeker,
        status=Status.UNEMPLOYED,
        since=date(2026, 9, 1),
        registered=True,
        cause="合同到期",
    )
    ready_to_use(personas["worker_a"])
    yield {
        "employer": employer,
        "posting": posting,
        "seeker": seeker,
        "secrets": [seeker.id_number, seeker.phone, spouse.id_number],
        "units": list(tree.values()),
    }
    matching.clear_cache()
    cache.clear()


# Every database fixture comes before ``page`` (see tests/web/test_browser.py).
def test_worker_refers_a_seeker_who_is_hired(
    audit_flushable: None,
    jobs_data: dict[str, Any],
    live_server: Any,
    page: Any,
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    employer, posting, seeker = jobs_data["employer"], jobs_data["posting"], jobs_data["seeker"]
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
        for secret in jobs_data["secrets"]:
            assert secret not in html, f"a full number on {page.url}"

    # Log in; 岗位 in the navigation opens the employers tab with the community's employer.
    page.goto(base + "/")
    page.fill("input[name=username]", "worker_a")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(base + "/")
    page.click("#nav-jobs")
    page.wait_for_url(f"{base}/jobs/")
    expect(page.locator("#jobs-tabs .nav-link.active")).to_have_text("用人单位")
    row = page.locator(f'#employer-table tr[data-employer="{employer.pk}"]')
    expect(row).to_contain_text("翠微家政服务公司")
    expect(row.locator('[data-col="open"]')).to_have_text("1")
    check()

    # The employer; a staff report through its form, then listed on the employer's page.
    row.get_by_role("link", name="翠微家政服务公司").click()
    page.wait_for_url(f"{base}/jobs/employers/{employer.pk}/")
    expect(page.locator("h1")).to_have_text("翠微家政服务公司")
    expect(page.locator("#staff-reports")).to_contain_text("尚无报告。")
    page.click("#staff-new")
    form = page.locator("#staff-form")
    form.locator("[name=on]").fill("2026-11-30")
    form.locator("[name=staff]").fill("36")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/jobs/employers/{employer.pk}/(\?.*)?$"))
    expect(page.locator("#staff-reports tbody tr")).to_have_count(1)
    expect(page.locator("#staff-reports tbody tr")).to_contain_text("2026-11-30")
    expect(page.locator("#staff-reports tbody tr")).to_contain_text("36")
    expect(page.locator("#employer-staff")).to_contain_text("36")
    check()

    # The 岗位 tab: the posting, open, with its candidates: the seeker, with reasons.
    page.click("#nav-jobs")
    page.locator("#jobs-tabs").get_by_role("link", name="岗位", exact=True).click()
    page.wait_for_url(f"{base}/jobs/postings/")
    posting_row = page.locator(f'#postings tr[data-posting="{posting.pk}"]')
    expect(posting_row).to_have_attribute("data-open", "1")
    expect(posting_row).to_contain_text("2 / 0")
    posting_row.get_by_role("link", name=posting.number).click()
    page.wait_for_url(f"{base}/jobs/postings/{posting.pk}/")
    expect(page.locator("h1")).to_have_text("保洁员")
    expect(page.locator("#posting-state")).to_have_text("开放中")
    check()
    page.click("#candidates-link")
    page.wait_for_url(re.compile(rf".*/jobs/match/posting/{posting.pk}/$"))
    candidate = page.locator(f'#candidate-table tr[data-person="{seeker.pk}"]')
    expect(candidate).to_contain_text("孙桂兰")
    reasons = candidate.locator("td").nth(3)
    expect(reasons).to_contain_text("保洁")
    assert reasons.inner_text().strip()
    check()

    # 推荐: the referral form with both chosen; submitted, the referral's page.
    candidate.get_by_role("link", name="推荐").click()
    expect(page.locator("#chosen-person")).to_contain_text("孙桂兰")
    expect(page.locator("#chosen-posting")).to_contain_text(posting.number)
    check()
    page.locator("#referral-form [name=note]").fill("求职意向保洁，推荐面试")
    page.locator("#referral-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/jobs/referrals/\d+/$"))
    referral_url = page.url
    expect(page.locator("#referral-outcome")).to_have_attribute("data-outcome", "pending")
    expect(page.locator("h1")).to_contain_text("孙桂兰")
    check()

    # The outcome: 已面试, then 已录用; the page says the person's status changed.
    def outcome(value: str) -> None:
        form = page.locator("#outcome-form")
        form.locator(f'[name=outcome][value="{value}"]').check()
        form.locator("button[type=submit]").click()
        page.wait_for_url(referral_url)
        expect(page.locator("#referral-outcome")).to_have_attribute("data-outcome", value)
        check()

    page.screenshot(path="/tmp/jiuye-jobs-referral.png", full_page=True)
    outcome("interviewed")
    expect(page.locator("#referral-outcome")).to_contain_text("已面试")
    expect(page.locator("#hired-notice")).to_contain_text("单位就业")
    outcome("hired")
    expect(page.locator("#referral-outcome")).to_contain_text("已录用")
    expect(page.locator("#outcome-form")).to_have_count(0)
    expect(page.locator("#outcome-final")).to_be_visible()
    expect(page.locator(".messages .alert-success")).to_contain_text(
        "孙桂兰 已录用，其就业状态已改为“单位就业”。"
    )

    # The person's page (from the referral's): the referral hired, the status 单位就业.
    page.locator("#referral-fields").get_by_role("link", name="孙桂兰").click()
    page.wait_for_url(re.compile(rf".*/persons/{seeker.pk}/$"))
    referral_row = page.locator("#person-referrals tr[data-referral]")
    expect(referral_row).to_have_count(1)
    expect(referral_row).to_have_attribute("data-outcome", "hired")
    expect(referral_row).to_contain_text("已录用")
    expect(referral_row).to_contain_text("翠微家政服务公司")
    expect(page.locator("h1 + .badge")).to_have_text("单位就业")
    expect(page.locator("#status-history tbody tr").first).to_have_attribute("data-status", "unit")
    check()

    # The public board (the tab's link opens a new tab): in a fresh browser, without login,
    # the posting with one vacancy left, and no personal number at all.
    page.click("#nav-jobs")
    board_link = page.locator("#jobs-board-link")
    expect(board_link).to_have_attribute("target", "_blank")
    href = board_link.get_attribute("href")
    assert href is not None
    with page.context.expect_page() as opened:
        board_link.click()
    opened.value.wait_for_load_state()
    assert opened.value.url == base + href
    opened.value.close()

    stranger = page.context.browser.new_context(locale="zh-CN")
    try:
        board = stranger.new_page()
        board.on(
            "console",
            lambda m: problems.append(f"board console: {m.text}") if m.type == "error" else None,
        )
        board.on("pageerror", lambda error: problems.append(f"board page error: {error}"))
        board.add_init_script("window.print = () => { window.printed = true; };")
        response = board.goto(base + href)
        assert response is not None and response.status == 200
        assert "/accounts/login" not in board.url
        card = board.locator(f'#board-postings [data-posting="{posting.number}"]')
        expect(card).to_contain_text("保洁员")
        expect(card).to_contain_text("翠微家政服务公司")
        expect(card.locator("[data-left]")).to_have_attribute("data-left", "1")
        text = board.locator("body").inner_text()
        assert PERSONAL_NUMBER.search(text) is None, PERSONAL_NUMBER.search(text)
        assert "孙桂兰" not in text
        for secret in jobs_data["secrets"]:
            assert secret not in board.content()
        board.click("#board-print")  # its script is allowed by the page's security policy
        assert board.evaluate("window.printed === true")
    finally:
        stranger.close()

    # The same pages in English: no Chinese left but the data's (names, places, and the texts
    # stored with the records: the status cause, the referral's service note).
    page.click("#language-form button[value=en]")
    expect(page.locator("#nav-jobs")).not_to_have_text("岗位")
    data = [u.name for u in jobs_data["units"]]
    data += ["翠微家政服务公司", "居民服务业", "保洁员", "保洁 清洁", "保洁", "孙桂兰", "钱国华"]
    data += ["求职意向保洁，推荐面试", "合同到期", "推荐至岗位", "中文"]
    data += [p.name for p in policies().values()]  # the policy catalog is data (issue 17)
    pages = ["/jobs/", f"/jobs/employers/{employer.pk}/", "/jobs/postings/"]
    pages += [f"/jobs/postings/{posting.pk}/", f"/jobs/match/posting/{posting.pk}/"]
    pages += [referral_url.removeprefix(base), f"/work/persons/{seeker.pk}/"]
    for path in pages:
        page.goto(base + path)
        text = page.locator("body").inner_text()
        for word in sorted(data, key=len, reverse=True):
            text = text.replace(word, "")
        assert re.findall(r"[\u4e00-\u9fff]+", text) == [], f"Chinese in English on {path}"
    check()
    page.click("#language-form button[value=zh-hans]")

    assert problems == []
