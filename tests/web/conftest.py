"""A few households and persons in communities A, B and C of the shared tree."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from tests.conftest import make_id


def ready_to_use(user: Any) -> Any:
    """Mark the persona's password as freshly chosen, so the account policy (a password older
    than 90 days, or never set by its owner, must be changed first) lets the pages through."""
    from django.utils import timezone

    type(user).objects.filter(pk=user.pk).update(password_changed_at=timezone.now())
    user.refresh_from_db()
    return user


def make_phone(n: int) -> str:
    """A synthetic mobile number (the 1390000xxxx block; no literal number in the repo)."""
    return f"1390000{n:04d}"


@pytest.fixture
def people(tree: dict[str, Any]) -> dict[str, Any]:
    from jiuye.registry import services
    from jiuye.registry.models import DifficultyCategory, Status

    hh_a = services.household_create(
        actor=None,
        number="A-0001",
        unit=tree["a1"],
        hukou_type="urban",
        address="翠微路1号",
        dibao=True,
    )
    hh_b = services.household_create(
        actor=None, number="B-0001", unit=tree["b"], hukou_type="urban", address="复兴路2号"
    )
    hh_c = services.household_create(
        actor=None, number="C-0001", unit=tree["c"], hukou_type="agricultural", address="永定路3号"
    )
    p: dict[str, Any] = {"hh_a": hh_a, "hh_b": hh_b, "hh_c": hh_c}
    p["zhang"] = services.person_create(
        actor=None,
        id_number=make_id(date(1980, 5, 6)),
        name="张伟",
        household=hh_a,
        relation="户主",
        phone=make_phone(1234),
    )
    p["li"] = services.person_create(
        actor=None,
        id_number=make_id(date(1983, 2, 1), male=False),
        name="李娜",
        household=hh_a,
        relation="配偶",
    )
    p["wang"] = services.person_create(
        actor=None,
        id_number=make_id(date(1990, 7, 8)),
        name="王强",
        household=hh_b,
    )
    p["zhao"] = services.person_create(
        actor=None,
        id_number=make_id(date(1975, 1, 2), male=False),
        name="赵敏",
        household=hh_c,
    )
    services.person_change_status(
        actor=None,
        person=p["zhang"],
        status=Status.UNIT,
        since=date(2020, 1, 1),
        employer="某某公司",
    )
    services.person_change_status(
        actor=None,
        person=p["zhang"],
        status=Status.UNEMPLOYED,
        since=date(2025, 3, 1),
        registered=True,
        cause="合同到期",
    )
    services.person_change_status(
        actor=None, person=p["li"], status=Status.UNEMPLOYED, since=date(2024, 6, 1)
    )
    services.person_change_status(
        actor=None, person=p["wang"], status=Status.FLEXIBLE, since=date(2023, 4, 1)
    )
    services.person_change_status(
        actor=None, person=p["zhao"], status=Status.FARMING, since=date(2010, 1, 1)
    )
    services.recognition_create(
        actor=None,
        person=p["zhang"],
        category=DifficultyCategory.DIBAO,
        recognized_on=date(2025, 4, 1),
    )
    for key in ("zhang", "li", "wang", "zhao"):
        p[key].refresh_from_db()
    return p


def _audit_triggers(*, on: bool) -> None:
    """Switch the audit table's append-only triggers (migration audit 0002) on or off."""
    from django.db import connection

    migration = importlib.import_module("jiuye.audit.migrations.0002_append_only_trigger")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"ALTER TABLE audit_auditentry {'ENABLE' if on else 'DISABLE'} TRIGGER USER"
            )
        elif connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_no_delete")
            if on:
                for statement in migration.SQLITE_FORWARD:
                    cursor.execute(statement)


@pytest.fixture(scope="module")
def _audit_triggers_back(django_db_blocker: Any) -> Iterator[None]:
    """Module teardown, after every test's flush: the append-only triggers are back."""
    yield
    with django_db_blocker.unblock():
        _audit_triggers(on=True)


@pytest.fixture
def audit_flushable(request: pytest.FixtureRequest, transactional_db: Any) -> Iterator[None]:
    """For live-server tests: their database is emptied by a flush after the test, which the
    append-only audit table refuses. Uses ``jiuye.audit.testing`` when it is there (the flush
    lifts the triggers itself); otherwise the triggers are off from the end of the test until
    the module is done (``_audit_triggers_back``)."""
    try:
        from jiuye.audit.testing import allow_flush_in_tests
    except ImportError:
        request.getfixturevalue("_audit_triggers_back")
        yield
        _audit_triggers(on=False)
    else:
        allow_flush_in_tests()
        yield


# ---- the browser (Playwright driving Debian's Chromium), for the journeys ----------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "Persona-pass-2026!"


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
