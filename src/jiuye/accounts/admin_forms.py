"""Forms of the administration screens (accounts.admin_views).

The forms check what a person typed (names, unit codes, passwords, units that suit the role) so
that every mistake comes back next to its field; the services check it all again, and decide
who may do it.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jiuye.accounts.models import DATA_ROLES, ROLE_UNIT_LEVELS, Role, User
from jiuye.accounts.services import OTHER_POWERS, check_unit_levels
from jiuye.units.models import Level, Unit

_SEPARATORS = re.compile(r"[\s,，、;；]+")
MAX_UNITS = 50  # a list of codes longer than this is a paste gone wrong


def role_levels_help() -> str:
    """ "社区工作者：社区/村；…": which units each role may belong to, for the forms' help."""
    parts = []
    for role, levels in ROLE_UNIT_LEVELS.items():
        names = "/".join(str(Level(level).label) for level in sorted(levels))
        parts.append(f"{Role(role).label}：{names}")
    return "；".join(parts)


class UnitCodesField(forms.CharField):
    """Unit codes separated by spaces, commas or 、, resolved to units (unknown codes named)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2000)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[Unit]:
        text = super().clean(value) or ""
        codes = list(dict.fromkeys(code for code in _SEPARATORS.split(text) if code))
        if len(codes) > MAX_UNITS:
            raise ValidationError(_("最多%(n)d个单位。") % {"n": MAX_UNITS})
        found = {unit.code: unit for unit in Unit.objects.filter(code__in=codes)}
        missing = [code for code in codes if code not in found]
        if missing:
            raise ValidationError(
                _("单位代码不存在：%(codes)s") % {"codes": "、".join(missing[:10])},
                code="unit_unknown",
            )
        return [found[code] for code in codes]


def _role_field() -> forms.ChoiceField:
    # Not the security administrator's nor the auditor's: see services.OTHER_POWERS.
    return forms.ChoiceField(
        label=_("角色"),
        choices=[(value, label) for value, label in Role.choices if value not in OTHER_POWERS],
        help_text=_("安全管理员和审计员的账户在服务器命令行创建。"),
    )


def _units_field(required: bool = False) -> UnitCodesField:
    return UnitCodesField(
        label=_("单位代码"),
        required=required,
        help_text=_("多个代码用空格或逗号分隔。"),
        widget=forms.TextInput(attrs={"placeholder": "110108001001"}),
    )


def _check_role_units(form: forms.Form) -> None:
    """The units suit the role, and a data role has at least one (errors on ``units``)."""
    role, units = form.cleaned_data.get("role"), form.cleaned_data.get("units")
    if role is None or units is None:
        return
    if role in DATA_ROLES and not units:
        form.add_error("units", _("业务角色必须至少属于一个单位。"))
        return
    try:
        check_unit_levels(role, units)
    except ValidationError as error:
        form.add_error("units", error)


class PasswordPairMixin(forms.Form):
    """A temporary password typed twice, checked by the site's password validators."""

    password1 = forms.CharField(
        label=_("临时密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("用户首次登录时必须修改此密码。"),
    )
    password2 = forms.CharField(
        label=_("再次输入临时密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def password_user(self) -> User | None:
        return None

    def clean_password2(self) -> str:
        first = self.cleaned_data.get("password1")
        second = self.cleaned_data.get("password2", "")
        if first is not None and first != second:
            raise ValidationError(_("两次输入的密码不一致。"))
        if first:
            password_validation.validate_password(first, self.password_user())
        return second


class UserCreateForm(PasswordPairMixin):
    username = forms.CharField(
        label=_("用户名"), max_length=150, validators=[UnicodeUsernameValidator()]
    )
    full_name = forms.CharField(label=_("姓名"), max_length=60, required=False)
    role = _role_field()
    units = _units_field()

    field_order = ["username", "full_name", "role", "units", "password1", "password2"]

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        # Case-insensitive: "Wang" beside "wang" would be two accounts one person confuses.
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("该用户名已被使用。"))
        return username

    def password_user(self) -> User | None:
        # The similarity validator compares the password with the name being created.
        return User(
            username=self.cleaned_data.get("username", ""),
            full_name=self.cleaned_data.get("full_name", ""),
        )

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        _check_role_units(self)
        return cleaned


class RoleForm(forms.Form):
    role = _role_field()
    units = _units_field()

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        _check_role_units(self)
        return cleaned


class MembershipForm(forms.Form):
    unit = forms.CharField(
        label=_("单位代码"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "110108001001"}),
    )

    def clean_unit(self) -> Unit:
        code = self.cleaned_data["unit"].strip()
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise ValidationError(_("单位代码不存在：%(codes)s") % {"codes": code})
        return unit


class PasswordResetForm(PasswordPairMixin):
    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def password_user(self) -> User | None:
        return self.user


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("用户名或姓名"), max_length=60, required=False)
    role = forms.ChoiceField(
        label=_("角色"), choices=[("", _("全部角色")), *Role.choices], required=False
    )
    state = forms.ChoiceField(
        label=_("状态"),
        choices=[("", _("全部")), ("active", _("启用")), ("inactive", _("已停用"))],
        required=False,
    )
