"""Login, the django-axes lockout (5 failures → 15 minutes) and login auditing."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt

from jiuye.audit.models import AuditEntry
from tests.accounts.conftest import login

LOCKED_TEXT = "账户已锁定，请15分钟后再试"


def test_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_login_succeeds_and_is_audited(client, personas):
    response = login(client, "worker_a")
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action="account.login").get()
    assert entry.actor_id == personas["worker_a"].pk and entry.changes["ip"] == "10.0.0.7"


def test_wrong_password_is_refused_and_audited(client, personas):
    response = login(client, "worker_a", "Wrong-pass-2026")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.filter(action="account.login_failed").get()
    assert entry.result == "failed" and entry.changes["username"] == "worker_a"
    assert "Wrong-pass-2026" not in str(entry.changes)


def test_four_failures_then_success_resets_the_counter(client, personas):
    for _ in range(4):
        assert login(client, "worker_a", "Wrong-pass-2026").status_code == 200
    assert login(client, "worker_a").status_code == 302
    assert not AccessAttempt.objects.filter(username="worker_a").exists()


def test_five_failures_lock_the_account(client, personas):
    for _ in range(5):
        login(client, "worker_a", "Wrong-pass-2026")
    response = login(client, "worker_a")  # even the right password
    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="account.locked").exists()


def test_lock_is_per_account_from_any_address(client, personas):
    for i in range(5):
        client.post(
            "/accounts/login/",
            {"username": "worker_a", "password": "Wrong-pass-1"},
            REMOTE_ADDR=f"10.0.1.{i}",
        )
    assert login(client, "worker_a").status_code == 429
    assert login(client, "worker_b").status_code == 302  # others are not affected


def test_lock_lifts_after_15_minutes(client, personas, clock):
    for _ in range(5):
        login(client, "worker_a", "Wrong-pass-2026")
    clock.advance(minutes=16)
    assert login(client, "worker_a").status_code == 302


def test_trying_during_the_lock_restarts_it(client, personas, clock):
    for _ in range(5):
        login(client, "worker_a", "Wrong-pass-2026")
    clock.advance(minutes=14)
    assert login(client, "worker_a").status_code == 429
    # a failure during the lockout restarts the cool-off (AXES_RESET_COOL_OFF_ON_FAILURE…)
    clock.advance(minutes=15, seconds=30)
    response = login(client, "worker_a")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(personas["worker_a"].pk)


@pytest.mark.parametrize("who", ["secadmin"])
def test_security_admin_can_lift_a_lock(client, personas, who):
    from jiuye.accounts.services import user_unlock

    for _ in range(5):
        login(client, "worker_a", "Wrong-pass-2026")
    assert login(client, "worker_a").status_code == 429
    user_unlock(actor=personas[who], username="worker_a")
    assert login(client, "worker_a").status_code == 302


def test_logout_is_post_only_and_audited(client, personas):
    login(client, "worker_a")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="account.logout").exists()
