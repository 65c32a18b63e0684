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
