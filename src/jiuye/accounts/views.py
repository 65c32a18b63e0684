"""Login, forced password change and the TOTP second factor."""

from __future__ import annotations

from base64 import b32encode
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiuye.accounts.forms import OTPTokenForm
from jiuye.accounts.middleware import password_expired
from jiuye.accounts.models import User
from jiuye.accounts.services import otp_device_confirm, user_set_password
from jiuye.audit.services import audit_record


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["session_expired"] = self.request.session.pop("jiuye_session_expired", False)
        return context


@never_cache
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_set_password(actor=user, user=user, password=form.cleaned_data["new_password1"])
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改。"))
            return HttpResponseRedirect(_next_url(request))
    return render(
        request,
        "accounts/password_change.html",
        {
            "form": form,
            "expired": password_expired(user),
            "max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
            "next": request.GET.get("next", ""),
        },
    )


def _require_two_factor_role(request: HttpRequest) -> None:
    if not getattr(request.user, "needs_second_factor", False):
        raise Http404


def _group(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP authenticator: show the otpauth URI and the secret, confirm with a code.

    Someone holding only the password must not replace an enrolled authenticator: once a
    confirmed device exists, this page needs a verified session.
    """
    _require_two_factor_role(request)
    user = request.user
    verified = user.is_verified()  # type: ignore[union-attr]
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists() and not verified:
        return redirect("otp_verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("手机验证器"), confirmed=False)
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _info = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            otp_device_confirm(user=user, device=device)  # type: ignore[arg-type]
            otp_login(request, device)
            messages.success(request, _("双因素认证已启用。"))
            return HttpResponseRedirect(_next_url(request))
        audit_record(
            actor=user,
            action="account.otp_failed",
            obj=user,
            result="failed",
            changes={"step": "enrol"},
        )
        if allowed:
            form.add_error("token", _("验证码不正确，请核对手机时间后重试。"))
        else:
            form.add_error("token", _("尝试次数过多，请稍后再试。"))
    secret = b32encode(device.bin_key).decode("ascii")
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "config_url": device.config_url,
            "secret": _group(secret),
            "next": request.GET.get("next", ""),
        },
    )


@never_cache
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    _require_two_factor_role(request)
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()
    if device is None:
        return redirect("otp_setup")
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _info = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            audit_record(actor=user, action="account.otp_verify", obj=user)
            return HttpResponseRedirect(_next_url(request))
        audit_record(
            actor=user,
            action="account.otp_failed",
            obj=user,
            result="failed",
            changes={"step": "verify"},
        )
        if allowed:
            form.add_error("token", _("验证码不正确。"))
        else:
            form.add_error("token", _("尝试次数过多，请稍后再试。"))
    return render(
        request, "accounts/otp_verify.html", {"form": form, "next": request.GET.get("next", "")}
    )
