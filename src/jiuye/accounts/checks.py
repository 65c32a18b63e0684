"""Deploy checks of the security settings (``jiuye check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def security_policy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if getattr(settings, "PRODUCTION", False) and settings.DEMO_MODE:
        problems.append(
            Error(
                "JIUYE_DEMO is on in production: the second factor is not enforced.",
                hint="Unset JIUYE_DEMO (the demo is for laptops and trainings only).",
                id="jiuye.E001",
            )
        )
    if settings.PASSWORD_MAX_AGE_DAYS > 90:
        problems.append(Error("PASSWORD_MAX_AGE_DAYS must be at most 90.", id="jiuye.E002"))
    if settings.SESSION_COOKIE_AGE > 30 * 60 or settings.SESSION_ABSOLUTE_SECONDS > 12 * 3600:
        problems.append(
            Error("Sessions must time out after 30 idle minutes and 12 hours.", id="jiuye.E003")
        )
    if settings.AXES_FAILURE_LIMIT > 5:
        problems.append(Error("AXES_FAILURE_LIMIT must be at most 5.", id="jiuye.E004"))
    if not settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher"):
        problems.append(Error("Argon2 must be the first password hasher.", id="jiuye.E005"))
    key = settings.JIUYE_AUDIT_KEY
    if getattr(settings, "PRODUCTION", False) and (len(key) < 32 or key.startswith("dev-only")):
        problems.append(
            Error(
                "JIUYE_AUDIT_KEY must be a secret of at least 32 characters in production.",
                hint="Generate one (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                " and keep it outside the database and its backups.",
                id="jiuye.E006",
            )
        )
    return problems
