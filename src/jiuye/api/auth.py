"""API authentication: a bearer token, or the Django session (with CSRF on unsafe methods).

Either way the authenticated :class:`~jiuye.accounts.models.User` is ``request.auth`` (and
``request.user``), and every read goes through the jurisdiction scope with that user.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from jiuye.api.models import ApiToken
from jiuye.api.selectors import api_token_for_key

# ``last_used`` is written at most once a minute per token, not on every request.
TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: the token's hash must match a live, unrevoked token of
    an active user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        token = token.strip()
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        row = api_token_for_key(token)
        now = timezone.now()
        if row is None or not row.is_usable(now) or not row.user.is_active:
            return None
        if row.last_used is None or now - row.last_used >= TOUCH_EVERY:
            ApiToken.objects.filter(pk=row.pk).update(last_used=now)
        request.user = row.user
        return row.user


class VerifiedSessionAuth(SessionAuth):
    """The session login; a role that must use a second factor must have passed it (outside the
    demo), so the API is no way around two-factor login."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        user = super().authenticate(request, key)
        if user is None:
            return None
        if getattr(user, "needs_second_factor", False) and not settings.DEMO_MODE:
            is_verified = getattr(user, "is_verified", None)
            if not (callable(is_verified) and is_verified()):
                return None
        return user


# Bearer first: a token client never needs a CSRF token; a session client always does for
# unsafe methods (SessionAuth checks it).
API_AUTH = [BearerTokenAuth(), VerifiedSessionAuth()]
