"""Reads of API tokens (for the management command and bearer authentication)."""

from __future__ import annotations

from django.db.models import QuerySet

from jiuye.api.models import ApiToken, token_hash


def api_token_for_key(key: str) -> ApiToken | None:
    """The token row matching a presented key, whatever its state (callers check usability)."""
    return ApiToken.objects.select_related("user").filter(key_hash=token_hash(key)).first()


def api_tokens(*, username: str | None = None) -> QuerySet[ApiToken]:
    qs = ApiToken.objects.select_related("user").order_by("id")
    return qs.filter(user__username=username) if username else qs
