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


def test_trying_during_the_lock_does_not_extend_it(client, personas, clock):
    """Issue 11, finding 11: one request every few minutes must not keep an account locked."""
    for _ in range(5):
        login(client, "worker_a", "Wrong-pass-2026")
    for _ in range(3):
        clock.advance(minutes=4, seconds=50)
        assert login(client, "worker_a", "Wrong-pass-2026").status_code == 429
    clock.advance(minutes=0, seconds=40)  # 15 minutes after the failure that locked it
    response = login(client, "worker_a")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(personas["worker_a"].pk)
    assert AuditEntry.objects.filter(action="account.locked").count() == 1


def _spray(client, address: str, names: int) -> None:
    for i in range(names):
        client.post(
            "/accounts/login/",
            {"username": f"guess{i}", "password": "Wrong-pass-1"},
            REMOTE_ADDR=address,
        )


def test_password_spraying_locks_the_address(client, personas, clock):
    """Many user names from one address: the address locks (20 failures), others do not."""
    from jiuye.accounts.lockout import ADDRESS_FAILURE_LIMIT

    _spray(client, "10.9.9.9", ADDRESS_FAILURE_LIMIT)
    blocked = client.post(
        "/accounts/login/",
        {"username": "worker_a", "password": "Persona-pass-2026!"},
        REMOTE_ADDR="10.9.9.9",
    )
    assert blocked.status_code == 429
    assert login(client, "worker_a").status_code == 302  # from another address
    clock.advance(minutes=16)
    client.post("/accounts/logout/")
    again = client.post(
        "/accounts/login/",
        {"username": "worker_a", "password": "Persona-pass-2026!"},
        REMOTE_ADDR="10.9.9.9",
    )
    assert again.status_code == 302


def test_anonymous_failures_do_not_flood_the_audit_log(client, personas):
    """Failures on names that are no account are counted, not written one row each."""
    before = AuditEntry.objects.count()
    _spray(client, "10.9.9.8", 50)
    unknown = AuditEntry.objects.filter(action="account.login_failed_unknown")
    assert unknown.count() == 1
    assert unknown.get().changes["ip"] == "10.9.9.8"
    assert AuditEntry.objects.filter(action="account.locked").count() <= 1
    assert AuditEntry.objects.count() - before == 2  # one "unknown names", one lock


def test_a_huge_user_name_is_not_stored(client, personas):
    huge = "x" * 100_000
    response = client.post(
        "/accounts/login/", {"username": huge, "password": "Wrong-pass-1"}, REMOTE_ADDR="10.9.9.7"
    )
    assert response.status_code in (200, 429)
    for entry in AuditEntry.objects.all():
        assert len(str(entry.changes)) < 1000
    for attempt in AccessAttempt.objects.all():
        assert len(attempt.username or "") <= 150
        assert huge not in attempt.post_data and huge not in attempt.get_data


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
