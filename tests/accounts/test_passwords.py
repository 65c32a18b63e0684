"""Password rules, Argon2, and the password-change service."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError

from jiuye.accounts.models import User
from jiuye.accounts.services import user_set_password
from jiuye.audit.models import AuditEntry


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Ab1-efghi", False),  # 9 characters, 4 classes
        ("abcdefgh12", False),  # 10 characters, 2 classes (lower, digit)
        ("abcdefghij", False),  # 1 class
        ("ABCDEFGH-!", False),  # 2 classes (upper, symbol)
        ("Qwzx-plmn7", True),  # 10 characters, 3 classes (lower, symbol, digit)
        ("Qwzxplmnb7", True),  # 10 characters, 3 classes (upper, lower, digit)
        ("Persona-pass-2026!", True),
    ],
)
def test_password_rules(password, ok):
    if ok:
        password_validation.validate_password(password)
    else:
        with pytest.raises(ValidationError):
            password_validation.validate_password(password)


def test_character_class_message_is_chinese():
    with pytest.raises(ValidationError) as info:
        password_validation.validate_password("abcdefgh12")
    assert any("至少3类" in m for m in info.value.messages)


@pytest.mark.argon2
def test_passwords_are_hashed_with_argon2(tree):
    from django.conf import settings

    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    user = User.objects.create_user(username="hashed", password="Persona-pass-2026!")
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password("Persona-pass-2026!")


@pytest.mark.argon2
def test_a_hash_made_with_djangos_parameters_verifies_and_is_upgraded(tree):
    from django.contrib.auth.hashers import Argon2PasswordHasher, make_password

    old = make_password("Persona-pass-2026!", hasher=Argon2PasswordHasher())
    assert "m=102400" in old
    user = User.objects.create_user(username="old-hash")
    user.password = old
    user.save(update_fields=["password"])
    assert user.check_password("Persona-pass-2026!")  # verifies, and re-hashes on the way
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password


def test_setting_a_password_restarts_the_clock(personas):
    user = personas["worker_a"]
    assert user.password_changed_at is not None
    User.objects.filter(pk=user.pk).update(password_changed_at=None)
    user.refresh_from_db()
    user.set_password("Another-pass-2026")
    assert user.password_changed_at is not None


def test_own_password_change_is_audited_without_the_password(personas):
    user = personas["worker_a"]
    user_set_password(actor=user, user=user, password="Brand-new-pass-77")
    user.refresh_from_db()
    assert user.check_password("Brand-new-pass-77")
    entry = AuditEntry.objects.filter(action="user.password").get()
    assert entry.actor_id == user.pk and entry.result == "ok"
    assert "Brand-new-pass-77" not in str(entry.changes)
    assert entry.changes["temporary"] == [None, False]


def test_same_password_again_is_refused(personas):
    user = personas["worker_a"]
    with pytest.raises(ValidationError) as info:
        user_set_password(actor=user, user=user, password="Persona-pass-2026!")
    assert info.value.code == "password_reused"


def test_weak_new_password_is_refused(personas):
    user = personas["worker_a"]
    with pytest.raises(ValidationError):
        user_set_password(actor=user, user=user, password="short1A!")


def test_admin_reset_is_temporary_and_only_for_sysadmin(personas):
    target = personas["worker_b"]
    with pytest.raises(PermissionDenied):
        user_set_password(actor=personas["secadmin"], user=target, password="Reset-pass-2026")
    user_set_password(actor=personas["sysadmin"], user=target, password="Reset-pass-2026")
    target.refresh_from_db()
    assert target.check_password("Reset-pass-2026")
    assert target.password_changed_at is None  # must choose their own at the next login
