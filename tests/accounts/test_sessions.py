"""Idle timeout (30 minutes) and absolute session limit (12 hours)."""

from __future__ import annotations

from django.conf import settings

from jiuye.accounts.middleware import LAST_SEEN_KEY, STARTED_KEY
from tests.accounts.conftest import login

PAGE = "/accounts/password/"  # any page behind login


def logged_in(client) -> bool:
    response = client.get(PAGE)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_settings_match_the_policy():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY


def test_login_starts_both_clocks(client, personas):
    login(client, "worker_a")
    assert STARTED_KEY in client.session and LAST_SEEN_KEY in client.session


def test_idle_timeout_after_30_minutes(client, personas, clock):
    login(client, "worker_a")
    clock.advance(minutes=29)
    assert logged_in(client)
    clock.advance(minutes=29)  # 58 minutes since login, but only 29 idle
    assert logged_in(client)
    clock.advance(minutes=31)
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not logged_in(client)


def test_idle_timeout_is_enforced_by_the_middleware_too(client, personas, clock, settings):
    # even if the session store kept the session longer (another engine, a longer cookie)
    settings.SESSION_COOKIE_AGE = 24 * 60 * 60
    settings.SESSION_IDLE_SECONDS = 30 * 60
    login(client, "worker_a")
    clock.advance(minutes=31)
    response = client.get(PAGE)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "会话已超时" in page


def test_absolute_limit_after_12_hours_however_active(client, personas, clock):
    login(client, "worker_a")
    for _ in range(35):  # a request every 20 minutes for 11 h 40 min
        clock.advance(minutes=20)
        assert logged_in(client)
    clock.advance(minutes=19)  # 11 h 59 min
    assert logged_in(client)
    clock.advance(minutes=2)  # 12 h 01 min
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "会话已超时" in client.get(response["Location"]).content.decode()
    assert not logged_in(client)


def test_a_new_login_starts_a_new_12_hours(client, personas, clock):
    login(client, "worker_a")
    clock.advance(hours=11, minutes=50)
    client.post("/accounts/logout/")
    login(client, "worker_a")
    clock.advance(minutes=20)
    assert logged_in(client)
