"""django-axes with two limits: an account locks after 5 failures (from anywhere), and a client
address after :data:`ADDRESS_FAILURE_LIMIT` failures across any user names (password spraying),
both for 15 minutes from the failure that locked them: an attempt during the lock neither
counts nor extends it (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``).

The address limit is higher than the account limit: in an office several people share a
router's address and mistype their own passwords.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

ADDRESS_FAILURE_LIMIT = 20
USERNAME_MAX = 150  # as the user model's field: longer names are cut before anything stores them


def client_username(request: Any, credentials: dict[str, Any] | None) -> str:
    """The user name axes records, cut to the length a real one can have."""
    source = credentials if credentials else getattr(request, "POST", {})
    return str(source.get("username", "") or "")[:USERNAME_MAX]


def address_failures(ip_address: str) -> int:
    """Failed sign-ins from ``ip_address`` within the cool-off, across user names."""
    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    total = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return int(total or 0)


class LockoutHandler(AxesDatabaseHandler):
    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        ip_address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
        return bool(ip_address) and address_failures(ip_address) >= ADDRESS_FAILURE_LIMIT


def locked_usernames(usernames: list[str]) -> set[str]:
    """Which of ``usernames`` are locked now by their own failures (what the administrators'
    user list shows; a lock of a client address is not an account's)."""
    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    rows = (
        AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=since)
        .order_by()
        .values("username")
        .annotate(n=Sum("failures_since_start"))
        .filter(n__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}
