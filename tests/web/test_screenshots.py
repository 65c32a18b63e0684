"""``make screenshots``: each role's main pages on a small synthetic demo district, in Debian's
Chromium, written to ``$JIUYE_SCREENSHOTS`` (docs/screenshots/ for the README). Skipped unless
that variable names a directory; the journeys (test_journeys.py) are what tests the pages."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from jiuye.demo.management.commands.demo_users import DEFAULT_PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

OUT = os.environ.get("JIUYE_SCREENSHOTS", "")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not OUT, reason="set JIUYE_SCREENSHOTS to a directory (make screenshots)"),
]

# (file name, account, path); the unit codes are the demo district's (jiuye demo, seed 1).
SHOTS = [
    ("worker-home", "community_worker", "/"),
    ("worker-persons", "community_worker", "/persons/"),
    ("worker-worklist", "community_worker", "/work/"),
    ("worker-household-new", "community_worker", "/households/new/"),
    ("worker-standards", "community_worker", "/standards/"),
    ("street-summary", "street_reviewer", "/units/summary/"),
    ("street-worklist", "street_reviewer", "/work/"),
    ("street-certification", "street_reviewer", "/certification/"),
    ("district-standards", "district_admin", "/standards/"),
    ("district-monitoring", "district_admin", "/monitoring/"),
    ("district-screen", "district_admin", "/monitoring/screen/"),
    ("auditor-log", "auditor", "/accounts/audit/"),
    ("sysadmin-users", "sysadmin", "/accounts/users/"),
    ("public-board", "", "/board/110108001001/"),  # no account: the public notice board
]


@pytest.fixture
def demo(db: Any) -> None:
    call_command("demo", persons=3000, seed=1, stdout=StringIO())


def test_screenshots(demo: None, live_server: Any, page: Any) -> None:
    out = Path(OUT)
    out.mkdir(parents=True, exist_ok=True)
    signed_in = ""
    for name, username, path in SHOTS:
        if username != signed_in:
            page.context.clear_cookies()
            if username:  # "": a public page, seen signed out
                page.goto(live_server.url + "/accounts/login/")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", DEFAULT_PASSWORD)
                page.click("#login-form button[type=submit]")
                page.wait_for_url(live_server.url + "/**")
            signed_in = username
        response = page.goto(live_server.url + path)
        assert response is not None and response.status < 400, (name, response)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / f"{name}.png"), full_page=False)
