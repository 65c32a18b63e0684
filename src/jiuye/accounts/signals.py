"""Sign-in events go to the audit log; a login starts the session clocks."""

from __future__ import annotations

import contextlib
import os
import stat
from datetime import timedelta
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils import timezone

from jiuye.accounts.lockout import USERNAME_MAX, address_failures
from jiuye.accounts.middleware import start_session_clock
from jiuye.accounts.models import User
from jiuye.audit.models import AuditEntry
from jiuye.audit.services import audit_record


def _client(request: Any) -> dict[str, str]:
    if request is None:
        return {}
    return {"ip": str(request.META.get("REMOTE_ADDR", ""))}


@receiver(user_logged_in, dispatch_uid="jiuye_login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        start_session_clock(request)
    audit_record(actor=user, action="account.login", obj=user, changes=_client(request))


@receiver(user_logged_out, dispatch_uid="jiuye_logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action="account.logout", obj=user, changes=_client(request))


@receiver(user_login_failed, dispatch_uid="jiuye_login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    """A failure on a real account is one audit row. Failures on names that are no account
    (guessing, spraying) would flood the permanent log: they are counted by the lockout
    (per address) and reach the log at most once per address and cool-off period, with the
    count so far."""
    username = str(credentials.get("username", ""))[:USERNAME_MAX]
    client = _client(request)
    if User.objects.filter(username=username).exists():
        audit_record(
            actor=None,
            action="account.login_failed",
            result="failed",
            changes={"username": username, **client},
        )
        return
    address = client.get("ip", "")
    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    already = AuditEntry.objects.filter(
        action="account.login_failed_unknown", object_repr=address, at__gte=since
    ).exists()
    if not already:
        audit_record(
            actor=None,
            action="account.login_failed_unknown",
            obj=address,
            result="failed",
            changes={
                "username": username[:40],
                "attempts": address_failures(address) + 1 if address else 1,
                **client,
            },
        )


@receiver(user_locked_out, dispatch_uid="jiuye_locked_out")
def _locked_out(
    sender: Any,
    request: Any,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    """One audit row per lock (of an account, or of an address that tried names that are no
    account): attempts during it, each signalled again, add none."""
    username = str(username or "")[:USERNAME_MAX]
    if User.objects.filter(username=username).exists():
        key = f"account {username}"
    else:
        key = f"address {ip_address or ''}"
    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    if AuditEntry.objects.filter(action="account.locked", object_repr=key, at__gte=since).exists():
        return
    audit_record(
        actor=None,
        action="account.locked",
        obj=key,
        result="locked",
        changes={"username": username, "ip": str(ip_address or "")},
    )


@receiver(connection_created, dispatch_uid="accounts.private_sqlite_files")
def _private_sqlite_files(sender: Any, connection: Any, **kwargs: Any) -> None:
    """The SQLite database holds personal data: its files are the owner's only (0600), however
    the process's umask would have created them."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for path in (name, f"{name}-wal", f"{name}-shm", f"{name}-journal"):
        with contextlib.suppress(FileNotFoundError):
            if stat.S_IMODE(os.stat(path).st_mode) != 0o600:
                os.chmod(path, 0o600)
