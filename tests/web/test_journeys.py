"""Whole jobs in real headless Chromium (issue 13), one journey per role as the role does it.

The worker's: register a household of three in the browser, register one member unemployed
(登记失业), see the CQ-4 guidance deadline on the worklist, record the guidance and see the
deadline met and the community's CQ-2007 evaluation count it. Every page passed is checked for
the members' full ID numbers."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import make_id
from tests.web.conftest import PASSWORD, ready_to_use

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

MEMBERS = [  # (name, relation, birth date, male)
    ("赵建国", "户主", date(1975, 3, 8), True),
    ("钱秀英", "配偶", date(1978, 9, 21), False),
    ("赵小明", "子", date(2001, 6, 2), True),
]


class Pages:
    """Every page the journey lands on, checked for full personal numbers as it goes."""

    def __init__(self, page: Any, secrets: list[str]) -> None:
        self.page, self.secrets = page, secrets

    def check(self) -> None:
        html = self.page.content()
        for secret in self.secrets:
            assert secret not in html, f"a full number on {self.page.url}"


COMMUNITY_A = "110108001001"


def _ratio(page: Any) -> tuple[int, int]:
    """The CQ-4 criterion's numerator and denominator on an evaluation page."""
    cell = page.locator('tr[data-criterion="CQ-4"] td').nth(3).inner_text().strip()
    numerator, _slash, denominator = cell.partition("/")
    return int(numerator or 0), int(denominator or 0)


def _numbers(people: dict[str, Any]) -> list[str]:
    """The full ID and phone numbers of the shared test residents (tests/web/conftest.py)."""
    found = []
    for p in people.values():
        found += [getattr(p, "id_number", ""), getattr(p, "phone", "")]
    return [n for n in found if n]


def _login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(base + "/")


def test_worker_registers_a_household_and_clears_a_deadline(
    audit_flushable: None,
    personas: dict[str, Any],
    live_server: Any,
    page: Any,
) -> None:
    from playwright.sync_api import expect

    ready_to_use(personas["worker_a"])
    base = live_server.url
    ids = [make_id(birth, male=male) for _name, _relation, birth, male in MEMBERS]
    pages = Pages(page, ids)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 500 else None)

    _login(page, base, "worker_a")
    pages.check()

    # 新增户 from the home page.
    page.click("#home-household-new")
    page.fill("#household-form [name=number]", "A-0099")
    page.select_option("#household-form [name=hukou_type]", "urban")
    page.fill("#household-form [name=address]", "翠微路99号")
    page.click("#household-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/households/\d+/$"))
    household_url = page.url
    expect(page.locator("h1")).to_contain_text("A-0099")
    pages.check()

    # Three members, each ID number checked as it is typed (birth date shown, never typed).
    member_urls = []
    for (name, relation, birth, _male), id_number in zip(MEMBERS, ids, strict=True):
        page.goto(household_url)
        page.click("#person-new")
        page.fill("#person-form [name=id_number]", id_number)
        expect(page.locator("#idcheck-result")).to_contain_text(birth.isoformat())
        page.fill("#person-form [name=name]", name)
        page.fill("#person-form [name=relation]", relation)
        page.click("#person-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/persons/\d+/$"))
        member_urls.append(page.url)
        pages.check()
    page.goto(household_url)
    for name, *_rest in MEMBERS:
        expect(page.locator("main")).to_contain_text(name)
    pages.check()

    # The head registers unemployed today, with its cause.
    head = int(member_urls[0].rstrip("/").rsplit("/", 1)[1])
    page.goto(f"{base}/work/persons/{head}/")
    form = page.locator("#employment form")
    form.locator("[name=status]").select_option("unemployed")
    form.locator("[name=registered]").check()
    form.locator("[name=cause]").fill("单位裁员")
    form.locator("button[type=submit]").click()
    expect(page.locator("#status-history")).to_contain_text("登记失业")
    pages.check()

    # The worklist shows his CQ-4 guidance deadline, open.
    deadline = page.locator(f'tr[data-rule="CQ-4"][data-person="{head}"] [data-state]')
    page.goto(f"{base}/work/rules/CQ-4/")
    expect(deadline).to_have_count(1)
    assert deadline.get_attribute("data-state") in ("pending", "due_soon")
    pages.check()

    # The community's CQ-2007 evaluation over a period that holds his deadline (the 3rd working
    # day after today), at a date after it: his registration counts, not yet guided in time.
    today = timezone.localdate()
    period = f"date={today + timedelta(days=20)}&from={today}"
    evaluation = f"{base}/standards/units/{COMMUNITY_A}/?ruleset=CQ-2007&{period}"
    page.goto(evaluation)
    before = _ratio(page)
    assert before[1] >= 1
    pages.check()

    # Guidance recorded today: the deadline is met in time.
    page.goto(f"{base}/work/persons/{head}/services/new/?kind=guidance")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/work/persons/{head}/")
    pages.check()
    page.goto(f"{base}/work/rules/CQ-4/")
    expect(deadline).to_have_attribute("data-state", "met")
    pages.check()

    # … and the evaluation counts it guided in time.
    page.goto(evaluation)
    assert _ratio(page) == (before[0] + 1, before[1])
    pages.check()

    assert failed == []


def test_system_admin_creates_a_user_and_security_admin_grants_reveal(
    audit_flushable: None,
    people: dict[str, Any],
    personas: dict[str, Any],
    live_server: Any,
    page: Any,
) -> None:
    """三权分立 in the browser: the system administrator creates a worker but is offered no
    reveal; the security administrator grants it; each step is the audited service's."""
    from playwright.sync_api import expect

    from jiuye.accounts.models import User
    from jiuye.audit.models import AuditEntry

    for name in ("sysadmin", "secadmin"):
        ready_to_use(personas[name])
    base = live_server.url
    pages = Pages(page, _numbers(people))

    _login(page, base, "sysadmin")
    page.click("#nav-users")
    page.click("#user-create-link")
    form = page.locator("#user-create-form")
    form.locator("[name=username]").fill("wang_worker")
    form.locator("[name=full_name]").fill("王社区")
    form.locator("[name=role]").select_option("worker")
    form.locator("[name=units]").fill(COMMUNITY_A)
    form.locator("[name=password1]").fill("Temp-pass-2026-xyz!")
    form.locator("[name=password2]").fill("Temp-pass-2026-xyz!")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/accounts/users/\d+/$"))
    detail = page.url
    expect(page.locator("h1")).to_contain_text("wang_worker")
    expect(page.locator("#user-facts")).to_contain_text(COMMUNITY_A)
    expect(page.locator("#reveal-section")).to_have_count(0)  # not the system admin's power
    pages.check()

    page.context.clear_cookies()
    _login(page, base, "secadmin")
    page.goto(detail)
    expect(page.locator("#role-section")).to_have_count(0)  # not the security admin's power
    page.locator("#reveal-form button[type=submit]").click()
    expect(page.locator("#reveal-form button[type=submit]")).to_contain_text("撤销权限")
    pages.check()

    created = User.objects.get(username="wang_worker")
    assert created.can_reveal and created.role == "worker"
    # Both writes are audited, each under the administrator who made it.
    by = dict(
        AuditEntry.objects.filter(object_id=str(created.pk)).values_list("actor_name", "action")
    )
    assert set(by) >= {"sysadmin", "secadmin"}, by


def test_street_reviewer_scans_the_summary_and_opens_a_community(
    audit_flushable: None,
    people: dict[str, Any],
    personas: dict[str, Any],
    live_server: Any,
    page: Any,
) -> None:
    """A row per community of the street, then one community's own persons."""
    from playwright.sync_api import expect

    ready_to_use(personas["street"])
    base = live_server.url
    pages = Pages(page, _numbers(people))

    _login(page, base, "street_s1")
    page.click("#community-summary-link")
    rows = page.locator("#summary-table tbody tr[data-unit]")
    expect(rows.first).to_be_visible()
    codes = rows.evaluate_all("rows => rows.map(r => r.dataset.unit)")
    assert COMMUNITY_A in codes and all(code.startswith("110108001") for code in codes)
    pages.check()

    row = page.locator(f'#summary-table tr[data-unit="{COMMUNITY_A}"]')
    row.locator("a", has_text="人员").click()
    page.wait_for_url(re.compile(r".*/persons/\?.*"))
    table = page.locator("#person-table tbody")
    expect(table).to_contain_text("张伟")
    expect(table).not_to_contain_text("王强")  # community B's
    pages.check()


def test_auditor_filters_the_log_and_exports_it(
    audit_flushable: None,
    people: dict[str, Any],
    tree: dict[str, Any],
    personas: dict[str, Any],
    live_server: Any,
    page: Any,
) -> None:
    """The auditor narrows the log to one user's household registrations and downloads them."""
    from playwright.sync_api import expect

    from jiuye.registry import services

    ready_to_use(personas["auditor"])
    for number in ("A-0101", "A-0102"):
        services.household_create(
            actor=personas["worker_a"], number=number, unit=tree["a"], hukou_type="urban"
        )
    services.household_create(
        actor=personas["worker_b"], number="B-0101", unit=tree["b"], hukou_type="urban"
    )
    base = live_server.url

    _login(page, base, "auditor")
    page.click("#nav-audit")
    page.fill("#audit-filter [name=actor]", "worker_a")
    page.select_option("#audit-filter [name=action]", "household.create")
    page.click("#audit-filter button[type=submit]")
    rows = page.locator("#audit-table > tbody > tr")
    expect(rows).to_have_count(2)
    for i in range(2):
        expect(rows.nth(i)).to_contain_text("worker_a")
        expect(rows.nth(i)).to_contain_text("登记家庭")
    expect(page.locator("#audit-table")).not_to_contain_text("B-0101")
    Pages(page, _numbers(people)).check()

    with page.expect_download() as download:
        page.click("#audit-export-link")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_worker_imports_fixes_the_errors_and_imports_again(
    audit_flushable: None,
    personas: dict[str, Any],
    live_server: Any,
    page: Any,
    tmp_path: Any,
    settings: Any,
) -> None:
    """A workbook with a wrong date: the check says where, its problem list downloads, the
    fixed workbook checks clean, imports, and the result links to the households written."""
    from playwright.sync_api import expect

    from tests.ledger.conftest import Book

    settings.LEDGER_UPLOAD_DIR = str(tmp_path / "uploads")
    ready_to_use(personas["worker_a"])
    book = Book()
    book.sheets["单位"] = book.sheets["单位"][:1]  # community A's own grids only
    book.sheets["户"][2][1] = "110108001001A2"
    status_row = book.sheets["就业状态"][2]
    good_date = status_row[2]
    status_row[2] = "2021-13-45"  # no such date
    pages = Pages(page, [*book.ids.values(), book.phone])
    base = live_server.url

    _login(page, base, "worker_a")
    page.click("#nav-ledger")
    page.set_input_files("#upload-form input[type=file]", str(book.save(tmp_path / "a.xlsx")))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#check-errors")).to_be_visible(timeout=30_000)
    expect(page.locator("body")).to_contain_text("就业状态")
    pages.check()
    with page.expect_download() as download:
        page.click("#errors-download")
    assert download.value.suggested_filename.endswith(".xlsx")

    status_row[2] = good_date
    page.click("#nav-ledger")
    page.set_input_files("#upload-form input[type=file]", str(book.save(tmp_path / "b.xlsx")))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#check-ok")).to_be_visible(timeout=30_000)
    page.click("#confirm-import")
    expect(page.locator("#import-ok")).to_be_visible(timeout=30_000)
    written = page.locator("#written-households a")
    expect(written).to_have_count(2)
    pages.check()
    written.first.click()
    page.wait_for_url(re.compile(r".*/households/\d+/$"))
    expect(page.locator("main")).to_contain_text("张建国")
    pages.check()


def _employed_in_a(tree: dict[str, Any]) -> list[str]:
    """Three employed residents of community A (HD-C passes); their full numbers returned."""
    from jiuye.registry import services
    from jiuye.registry.models import Status
    from tests.web.conftest import make_phone

    household = services.household_create(
        actor=None, number="A-0201", unit=tree["a1"], hukou_type="urban", address="翠微路5号"
    )
    numbers = []
    for i, name in enumerate(("孙立", "周敏", "吴强")):
        who = services.person_create(
            actor=None,
            id_number=make_id(date(1985, 3, 1 + i)),
            name=name,
            household=household,
            phone=make_phone(2200 + i),
        )
        services.person_change_status(
            actor=None, person=who, status=Status.UNIT, since=date(2020, 1, 1), employer="某公司"
        )
        numbers += [who.id_number, who.phone]
    return numbers


def _open_from_queue(page: Any, base: str, username: str, pages: Pages) -> None:
    """Sign in as ``username`` and open the one application waiting for them."""
    page.context.clear_cookies()
    _login(page, base, username)
    page.click("#nav-certification")
    pages.check()
    page.locator("#queue a", has_text="查看").first.click()
    page.wait_for_url(re.compile(r".*/certification/applications/\d+/$"))
    pages.check()


def test_community_applies_the_street_reviews_the_district_accepts(
    audit_flushable: None,
    tree: dict[str, Any],
    personas: dict[str, Any],
    live_server: Any,
    page: Any,
) -> None:
    """Issue 14: the worker applies for HD-2012 and self-assesses, the street reviewer passes
    it from their queue (the community level has no checklist to tick), the district accepts
    it from theirs, and the application page says 已认定."""
    from playwright.sync_api import expect

    from jiuye.certification.models import Application

    for name in ("worker_a", "street", "district"):
        ready_to_use(personas[name])
    pages = Pages(page, _employed_in_a(tree))
    base = live_server.url
    state = page.locator("#application-state")

    _login(page, base, "worker_a")
    page.click("#nav-certification")
    form = page.locator(f'form.apply-form[data-unit="{COMMUNITY_A}"]')
    form.locator("[name=ruleset]").select_option("HD-2012")
    form.locator("[name=note]").fill("申请创建充分就业社区")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/certification/applications/\d+/$"))
    expect(state).to_have_attribute("data-state", "applied")
    pages.check()
    page.fill("#step-note", "各项指标达标")
    page.click("#action-submit")
    expect(state).to_have_attribute("data-state", "submitted")
    expect(page.locator("#step-form")).to_have_count(0)
    pages.check()

    _open_from_queue(page, base, "street_s1", pages)
    expect(page.locator("#step-form")).to_have_attribute("data-step", "review")
    page.fill("#step-note", "初核同意")
    page.click("#action-pass")
    expect(state).to_have_attribute("data-state", "reviewed")
    pages.check()

    _open_from_queue(page, base, "district", pages)
    expect(page.locator("#step-form")).to_have_attribute("data-step", "accept")
    page.click("#action-pass")
    expect(state).to_have_attribute("data-state", "certified")
    expect(state).to_contain_text("已认定")
    expect(page.locator("#application-certified")).to_be_visible()
    pages.check()

    application = Application.objects.get()
    assert application.state == "certified" and application.certification is not None
    assert [s.step for s in application.steps.order_by("id")] == [
        "apply",
        "submit",
        "review",
        "accept",
    ]


@pytest.fixture
def dashboard_data(tree: dict[str, Any], people: dict[str, Any]) -> list[str]:
    """Residents in communities A, B and C, three employed in A, and the roll-ups built (the
    live server's database starts empty of them): their full numbers returned."""
    from jiuye.standards.aggregates import aggregates_rebuild

    numbers = _employed_in_a(tree) + _numbers(people)
    aggregates_rebuild()  # and with them the monthly roll-ups
    return numbers


def test_district_admin_drills_down_the_dashboards(
    audit_flushable: None,
    dashboard_data: list[str],
    personas: dict[str, Any],
    live_server: Any,
    page: Any,
) -> None:
    """Issue 15: the district administrator opens the monitoring dashboard from the navigation,
    every chart draws (a canvas in each), nothing goes wrong in the console, and the ranking
    leads to a street and then to a community, whose dashboard shows its own charts."""
    from playwright.sync_api import expect

    ready_to_use(personas["district"])
    pages = Pages(page, dashboard_data)
    base = live_server.url
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )

    def charts_drawn(unit: str) -> None:
        expect(page.locator("#dashboard-unit")).to_have_attribute("data-unit", unit)
        for name in ("standing", "trend", "services", "ranking"):
            expect(
                page.locator(f'#panel-{name}[data-panel="{name}"]:not([data-loading])')
            ).to_be_visible()
        charts = page.locator("[data-chart]")
        expect(charts.first).to_have_attribute("data-chart-ready", "true")
        count = charts.count()
        assert count >= 5, count  # three trend charts, the services, the ranking
        for i in range(count):
            expect(charts.nth(i).locator("canvas")).to_have_count(1)
        pages.check()

    _login(page, base, "district")
    page.click("#nav-monitoring")
    charts_drawn("110108")
    expect(page.locator("#panel-standing")).to_contain_text("HD-Q2a")
    # Another figure to rank by: the panel comes again, its chart drawn anew.
    page.select_option("#f-indicator", "registered")
    expect(page.locator('#panel-ranking [data-table="ranking"] th').nth(3)).to_have_text(
        "登记失业人数"
    )
    expect(page.locator("#panel-ranking [data-chart] canvas")).to_have_count(1)

    # The ranking of the streets: a street, then (its communities) community A.
    page.locator("#panel-ranking a.drill", has_text="万寿路街道").click()
    charts_drawn("110108001")
    page.locator("#panel-ranking a.drill", has_text="翠微社区").click()
    charts_drawn(COMMUNITY_A)
    expect(page.locator("#panel-ranking")).to_contain_text("翠微一网格")  # its grids, live
    expect(page.locator("#dashboard-crumbs")).to_contain_text("万寿路街道")

    assert problems == []
