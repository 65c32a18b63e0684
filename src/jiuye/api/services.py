"""Writes to API tokens: create (the plain token is returned once, never stored) and revoke."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from jiuye.api.models import ApiToken, token_hash
from jiuye.audit.services import audit_record

TOKEN_PREFIX = "jy_"


@transaction.atomic
def api_token_create(
    *, actor: Any, user: Any, name: str, expires: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new bearer token for ``user``; returns the row and the plain token (shown once)."""
    name = name.strip()
    if not name:
        raise ValidationError("令牌名称不能为空", code="name")
    if not user.is_active:
        raise ValidationError("用户已停用", code="inactive")
    if expires is not None and expires <= timezone.now():
        raise ValidationError("到期时间必须晚于现在", code="expires")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=token_hash(plain), expires=expires
    )
    audit_record(
        actor=actor,
        action="api_token.create",
        obj=token,
        changes={
            "user": [None, user.username],
            "name": [None, name],
            "expires": [None, expires.isoformat() if expires else None],
        },
    )
    return token, plain


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    if token.revoked:
        return token
    token.revoked = True
    token.save(update_fields=["revoked"])
    audit_record(
        actor=actor, action="api_token.revoke", obj=token, changes={"revoked": [False, True]}
    )
    return token
