"""Sign-in events go to the audit log; a login starts the session clocks."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from jiuye.accounts.middleware import start_session_clock
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
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        actor=None,
        action="account.login_failed",
        result="failed",
        changes={"username": username, **_client(request)},
    )


@receiver(user_locked_out, dispatch_uid="jiuye_locked_out")
def _locked_out(
    sender: Any,
    request: Any,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    audit_record(
        actor=None,
        action="account.locked",
        result="locked",
        changes={"username": str(username or "")[:150], "ip": str(ip_address or "")},
    )
