"""Session limits and the account policy, enforced on every request.

``SessionLimitsMiddleware``: idle timeout (30 minutes without a request; also the sliding
session-cookie age, so an idle session is gone from the database too) and absolute limit
(12 hours after login, however active).

``AccountPolicyMiddleware`` (after ``OTPMiddleware``): a role in ``TWO_FACTOR_ROLES`` must have
passed the TOTP second factor (unless ``DEMO_MODE``, which says so on screen), and a password
older than ``PASSWORD_MAX_AGE_DAYS`` (or a temporary one) must be changed, before any page but
the few needed to do so. API calls get a JSON 403 instead of a redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

STARTED_KEY = "jiuye_session_started"
LAST_SEEN_KEY = "jiuye_session_last_seen"

# Pages reachable before the second factor / the forced password change.
OTP_EXEMPT = frozenset({"login", "logout", "otp_setup", "otp_verify", "set_language"})
PASSWORD_EXEMPT = frozenset({"login", "logout", "password_change", "set_language"})


def idle_seconds() -> int:
    return int(getattr(settings, "SESSION_IDLE_SECONDS", settings.SESSION_COOKIE_AGE))


def start_session_clock(request: HttpRequest) -> None:
    """Called at login: both clocks start now."""
    now = timezone.now().timestamp()
    request.session[STARTED_KEY] = now
    request.session[LAST_SEEN_KEY] = now


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            started = request.session.get(STARTED_KEY)
            last_seen = request.session.get(LAST_SEEN_KEY)
            if started is None:
                start_session_clock(request)
            elif now - float(started) > settings.SESSION_ABSOLUTE_SECONDS or (
                last_seen is not None and now - float(last_seen) > idle_seconds()
            ):
                logout(request)
                request.session["jiuye_session_expired"] = True
            else:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


def password_expired(user: Any) -> bool:
    changed = getattr(user, "password_changed_at", None)
    if changed is None:
        return True
    return timezone.now() - changed > timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)


def second_factor_missing(user: Any) -> bool:
    if settings.DEMO_MODE or not getattr(user, "needs_second_factor", False):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (callable(is_verified) and is_verified())


class AccountPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        match = request.resolver_match
        name = match.url_name if match is not None else None
        if second_factor_missing(user) and name not in OTP_EXEMPT:
            return self._block(
                request, "otp_required", _("请先完成双因素认证。"), self._otp_url(user)
            )
        if password_expired(user) and name not in PASSWORD_EXEMPT and name not in OTP_EXEMPT:
            return self._block(
                request,
                "password_expired",
                _("密码已过期，请先修改密码。"),
                reverse("password_change"),
            )
        return None

    @staticmethod
    def _otp_url(user: Any) -> str:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        return reverse("otp_verify" if enrolled else "otp_setup")

    @staticmethod
    def _block(request: HttpRequest, code: str, message: str, url: str) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message, "code": code}, status=403)
        if request.headers.get("HX-Request"):
            # an HTMX partial would swap the redirect target into a fragment: go to the page
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        if request.method == "GET":
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        return HttpResponseRedirect(url)
