"""The administration screens, with 三权分立 on each of them.

- The system administrator manages accounts: creates them (with a temporary password),
  deactivates and reactivates them, changes roles and units, resets passwords.
- The security administrator manages what accounts may do: grants and withdraws reveal, lifts
  lockouts, resets second factors; the roles and units are read-only to them.
- The auditor, and every other role, sees none of these screens.

A role that may not use a screen gets 404, as the audit log answers everyone but the auditor:
the screen does not exist for them. Every write is a service of ``accounts.services``, which
checks the role again and writes the audit row; the services also refuse changes of one's own
powers (role, units, reveal, second factor).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiuye.accounts import services
from jiuye.accounts.admin_forms import (
    MembershipForm,
    PasswordResetForm,
    RoleForm,
    UserCreateForm,
    UserSearchForm,
    role_levels_help,
)
from jiuye.accounts.lockout import locked_usernames
from jiuye.accounts.models import DATA_ROLES, Role, User
from jiuye.units.models import Unit

PAGE_SIZE = 50
ADMIN_ROLES = (Role.SYSADMIN, Role.SECADMIN)
PASSWORD_FIELDS = ("password1", "password2")


View = Callable[..., HttpResponse]


def _for(*roles: Role) -> Callable[[View], View]:
    """Sign-in first, then 404 for anyone without one of ``roles`` (before any other answer,
    such as a 405 for a GET of an action: the screen does not exist for them)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not (user.is_active and getattr(user, "role", None) in roles):
                raise Http404
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _add_error(form: Form, error: ValidationError, field: str | None) -> None:
    """A service's objection to the input, shown on the form: on ``field``, or on the fields
    it names."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(field, error)


def _refused(request: HttpRequest, target: User, error: PermissionDenied) -> HttpResponse:
    """A service's refusal (one's own powers): said on the account's page, whose forms for
    oneself are not shown."""
    messages.error(request, str(error) or _("无权执行此操作。"))
    return redirect("user_detail", pk=target.pk)


# ---------------------------------------------------------------------------------------------
# The list (both administrators)
# ---------------------------------------------------------------------------------------------


def _search(form: UserSearchForm) -> QuerySet[User]:
    users = User.objects.order_by("username").prefetch_related("units")
    if not form.is_valid():
        return users
    q, role, state = (form.cleaned_data[key] for key in ("q", "role", "state"))
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    if role:
        users = users.filter(role=role)
    if state:
        users = users.filter(is_active=state == "active")
    return users


@never_cache
@_for(*ADMIN_ROLES)
def user_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = UserSearchForm(request.GET or None)
    page = Paginator(_search(form), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    locked = locked_usernames([u.username for u in page.object_list])
    for user in page.object_list:
        user.locked = user.username in locked  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "is_sysadmin": actor.role == Role.SYSADMIN,
    }
    fragment = (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == "user-results"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
    template = "accounts/admin/_user_table.html" if fragment else "accounts/admin/user_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# ---------------------------------------------------------------------------------------------
# Creating an account (system administrator)
# ---------------------------------------------------------------------------------------------


@never_cache
@sensitive_post_parameters(*PASSWORD_FIELDS)
@_for(Role.SYSADMIN)
def user_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=actor,
                username=data["username"],
                full_name=data["full_name"],
                role=data["role"],
                units=data["units"],
                password=data["password1"],
                temporary=True,  # the user chooses their own at the first login
            )
        except ValidationError as error:
            _add_error(form, error, "username")
        else:
            messages.success(
                request,
                _("已创建用户 %(username)s。用户首次登录时须修改临时密码。")
                % {"username": user.username},
            )
            return redirect("user_detail", pk=user.pk)
    return render(
        request,
        "accounts/admin/user_create.html",
        {"form": form, "levels_help": role_levels_help()},
    )


# ---------------------------------------------------------------------------------------------
# One account: its page and the actions on it
# ---------------------------------------------------------------------------------------------


def _detail(request: HttpRequest, actor: User, target: User, **forms: Form) -> HttpResponse:
    """The account's page; ``forms`` replaces an unbound form by one with errors."""
    units = list(target.units.order_by("code"))
    otp_devices = TOTPDevice.objects.filter(user=target, confirmed=True).count()
    other_power = target.role in services.OTHER_POWERS
    context: dict[str, Any] = {
        "target": target,
        "units": units,
        "is_self": actor.pk == target.pk,
        "is_sysadmin": actor.role == Role.SYSADMIN,
        "is_secadmin": actor.role == Role.SECADMIN,
        "locked": bool(locked_usernames([target.username])),
        "otp_devices": otp_devices,
        # what the services refuse the system administrator is not offered (OTHER_POWERS)
        "other_power": other_power,
        "may_reset_password": not other_power or otp_devices > 0,
        "reveal_possible": target.role in DATA_ROLES,
        "levels_help": role_levels_help(),
        "role_form": RoleForm(
            initial={"role": target.role, "units": " ".join(u.code for u in units)}
        ),
        "membership_form": MembershipForm(),
        "password_form": PasswordResetForm(user=target),
    }
    context.update(forms)
    return render(request, "accounts/admin/user_detail.html", context)


@never_cache
@_for(*ADMIN_ROLES)
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    return _detail(request, actor, get_object_or_404(User, pk=pk))


def _action(request: HttpRequest, pk: int, write: Callable[[User, User], str]) -> HttpResponse:
    """A button's action without a form: run ``write(actor, target)`` (a service call that
    returns the message to show), then back to the account's page with the outcome."""
    actor = _actor(request)
    target = get_object_or_404(User, pk=pk)
    try:
        messages.success(request, write(actor, target))
    except (ValidationError, PermissionDenied) as error:
        text = "；".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text or _("无权执行此操作。"))
    return redirect("user_detail", pk=target.pk)


@_for(Role.SYSADMIN)
@require_POST
def user_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (``active=0``) or reactivate (``active=1``) an account."""
    activate = request.POST.get("active") == "1"

    def write(actor: User, target: User) -> str:
        if activate:
            services.user_reactivate(actor=actor, user=target)
            return _("账户已启用。")
        services.user_deactivate(actor=actor, user=target)
        return _("账户已停用，其会话在下次请求时失效。")

    return _action(request, pk, write)


@_for(Role.SYSADMIN)
@require_POST
def user_role(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = get_object_or_404(User, pk=pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_role(
                actor=actor,
                user=target,
                role=form.cleaned_data["role"],
                units=form.cleaned_data["units"],
            )
        except PermissionDenied as error:
            return _refused(request, target, error)
        except ValidationError as error:
            _add_error(form, error, "units")
        else:
            messages.success(request, _("角色和单位已保存。"))
            return redirect("user_detail", pk=target.pk)
    return _detail(request, actor, target, role_form=form)


@_for(Role.SYSADMIN)
@require_POST
def user_membership_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = get_object_or_404(User, pk=pk)
    form = MembershipForm(request.POST)
    if form.is_valid():
        try:
            services.membership_add(actor=actor, user=target, unit=form.cleaned_data["unit"])
        except PermissionDenied as error:
            return _refused(request, target, error)
        except ValidationError as error:
            _add_error(form, error, "unit")
        else:
            messages.success(request, _("已加入单位。"))
            return redirect("user_detail", pk=target.pk)
    return _detail(request, actor, target, membership_form=form)


@_for(Role.SYSADMIN)
@require_POST
def user_membership_remove(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    unit = get_object_or_404(Unit, pk=unit_pk)

    def write(actor: User, target: User) -> str:
        services.membership_remove(actor=actor, user=target, unit=unit)
        return _("已移出单位 %(unit)s。") % {"unit": unit.name}

    return _action(request, pk, write)


@never_cache
@sensitive_post_parameters(*PASSWORD_FIELDS)
@_for(Role.SYSADMIN)
@require_POST
def user_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = get_object_or_404(User, pk=pk)
    if actor.pk == target.pk:
        # Here the old password would not be asked: one's own goes through password_change.
        return _refused(request, target, PermissionDenied(_("请在“修改密码”页面修改自己的密码。")))
    form = PasswordResetForm(request.POST, user=target)
    if form.is_valid():
        try:
            services.user_set_password(
                actor=actor, user=target, password=form.cleaned_data["password1"], temporary=True
            )
        except PermissionDenied as error:
            return _refused(request, target, error)
        except ValidationError as error:
            _add_error(form, error, "password2")
        else:
            messages.success(request, _("已设置临时密码，用户下次登录时须修改。"))
            return redirect("user_detail", pk=target.pk)
    return _detail(request, actor, target, password_form=form)


@_for(Role.SECADMIN)
@require_POST
def user_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Grant (``allowed=1``) or withdraw (``allowed=0``) the reveal permission."""
    allowed = request.POST.get("allowed") == "1"

    def write(actor: User, target: User) -> str:
        services.user_set_reveal(actor=actor, user=target, allowed=allowed)
        return _("已授予查看完整号码的权限。") if allowed else _("已撤销查看完整号码的权限。")

    return _action(request, pk, write)


@_for(Role.SECADMIN)
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    def write(actor: User, target: User) -> str:
        services.user_unlock(actor=actor, username=target.username)
        return _("已解除锁定。")

    return _action(request, pk, write)


@_for(Role.SECADMIN)
@require_POST
def user_otp_reset(request: HttpRequest, pk: int) -> HttpResponse:
    def write(actor: User, target: User) -> str:
        services.user_reset_second_factor(actor=actor, user=target)
        return _("已重置双因素认证，用户下次登录时重新绑定手机验证器。")

    return _action(request, pk, write)
