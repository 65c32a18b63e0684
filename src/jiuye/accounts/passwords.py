"""Password rules: at least 10 characters (Django's validator) from 3 character classes; and
how passwords are hashed (:class:`Argon2PasswordHasher`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import hashers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """Requires characters from at least ``min_classes`` of: lower, upper, digit, other."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号中的至少%(n)d类。")
                % {"n": self.min_classes},
                code="password_classes",
            )

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号中的至少%(n)d类。") % {
            "n": self.min_classes
        }


class Argon2PasswordHasher(hashers.Argon2PasswordHasher):
    """Argon2id with OWASP's 19 MiB, 2 passes, 1 lane (Password Storage Cheat Sheet), instead
    of Django's 100 MiB, 2 passes, 8 lanes: each login held 100 MiB more in a server process
    (issue 12 measured it: 4 processes on a modest server). Hashes made with other parameters
    still verify, and are re-hashed with these at the next login (``must_update``).
    docs/decisions.md, "Password hashing memory"."""

    memory_cost = 19 * 1024  # KiB
    time_cost = 2
    parallelism = 1
