"""``jiuye user_create``: the way accounts come into being (no default accounts)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from jiuye.accounts.models import User

PW = "Command-pass-2026"


def test_no_account_exists_after_migrating(db):
    assert User.objects.count() == 0


def test_user_create_with_password_from_the_environment(tree, monkeypatch, capsys):
    monkeypatch.setenv("NEW_USER_PW", PW)
    call_command(
        "user_create",
        "zhang",
        "--role",
        "street",
        "--unit",
        "110108001",
        "--full-name",
        "张三",
        "--password-env",
        "NEW_USER_PW",
    )
    user = User.objects.get(username="zhang")
    assert user.role == "street" and user.full_name == "张三" and user.check_password(PW)
    assert list(user.units.values_list("code", flat=True)) == ["110108001"]
    assert "created zhang" in capsys.readouterr().out


def test_user_create_prompts_for_the_password(tree, monkeypatch):
    answers = iter([PW, PW])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("user_create", "li", "--role", "auditor", "--temporary")
    user = User.objects.get(username="li")
    assert user.role == "auditor" and user.password_changed_at is None


def test_user_create_refuses_mismatched_or_weak_passwords(tree, monkeypatch):
    answers = iter([PW, PW + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="do not match"):
        call_command("user_create", "wang", "--role", "worker", "--unit", "110108001001")
    monkeypatch.setenv("WEAK", "abcdefgh12")
    with pytest.raises(CommandError):
        call_command(
            "user_create",
            "wang",
            "--role",
            "worker",
            "--unit",
            "110108001001",
            "--password-env",
            "WEAK",
        )
    with pytest.raises(CommandError, match="not set"):
        call_command("user_create", "wang", "--role", "worker", "--password-env", "NOPE_UNSET")
    assert not User.objects.filter(username="wang").exists()


def test_user_password_resets_from_the_command_line(personas, monkeypatch):
    """The reset the screens leave to the server (a security administrator without a second
    factor): audited as the command line's, temporary, the password never on the command line."""
    from jiuye.audit.models import AuditEntry

    target = personas["secadmin"]
    monkeypatch.setenv("RESET_PW", "Another-pass-2026!")
    call_command("user_password", "secadmin", "--password-env", "RESET_PW")
    target.refresh_from_db()
    assert target.check_password("Another-pass-2026!")
    assert target.password_changed_at is None  # to be changed at the next login
    entry = AuditEntry.objects.filter(action="user.password", object_id=str(target.pk)).get()
    assert entry.actor_id is None and "Another" not in str(entry.changes)
    # Prompted twice when no variable is named; refused when they differ.
    answers = iter(["Third-pass-2026-x!", "Other-pass-2026-y!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="do not match"):
        call_command("user_password", "secadmin")
    with pytest.raises(CommandError, match="no such user"):
        call_command("user_password", "nobody-here", "--password-env", "RESET_PW")
    monkeypatch.setenv("WEAK", "abcdefgh12")
    with pytest.raises(CommandError):
        call_command("user_password", "secadmin", "--password-env", "WEAK")
