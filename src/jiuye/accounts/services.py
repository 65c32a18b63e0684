"""Every write to users and memberships: atomic, validated, audited.

Who may do what (三权分立):

- the system administrator (or the command line, ``actor=None``) creates, deactivates and
  reactivates accounts, changes roles, manages memberships and resets passwords (temporary ones);
- the security administrator grants the reveal permission, resets second factors and lifts
  lockouts;
- everyone may change their own password;
- the auditor only reads the audit log.

A user holds exactly one role, so nobody can hold two of system administrator, security
administrator and auditor; nobody changes their own role or units, nor grants themselves reveal
or resets their own second factor. No password, secret or TOTP key is ever written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiuye.accounts.models import DATA_ROLES, ROLE_UNIT_LEVELS, Membership, Role, User
from jiuye.audit.services import audit_record
from jiuye.units.models import Level, Unit


def _require(actor: User | None, *roles: Role) -> None:
    """``actor=None`` is the command line (someone with a shell on the server)."""
    if actor is None:
        return
    if not getattr(actor, "is_active", False) or getattr(actor, "role", None) not in roles:
        raise PermissionDenied(_("无权执行此操作。"))


# The two powers beside the system administrator's (三权分立). A system administrator who could
# make an account of either in the running system, or take over one by its password, would
# hold that power too: those accounts are made and re-roled on the server's command line
# (``jiuye user_create``, ``actor=None``), by someone with a shell.
OTHER_POWERS = frozenset({Role.SECADMIN, Role.AUDITOR})


def _guard_other_powers(actor: User | None, *roles: str) -> None:
    if actor is not None and any(role in OTHER_POWERS for role in roles):
        raise PermissionDenied(
            _(
                "安全管理员和审计员的账户只能在服务器命令行创建（jiuye user_create），"
                "其角色不能授予或更改。"
            )
        )


def _refuse_self(actor: User | None, user: User, message: str) -> None:
    """Nobody changes their own powers: another administrator must (no self-escalation)."""
    if actor is not None and getattr(actor, "pk", None) == user.pk:
        raise PermissionDenied(message)


def check_unit_levels(role: str, units: Iterable[Unit]) -> None:
    """Raise a ``ValidationError`` (code ``unit_level``) for a unit the role may not belong to
    (``accounts.models.ROLE_UNIT_LEVELS``): a membership is a jurisdiction."""
    allowed = ROLE_UNIT_LEVELS.get(role, frozenset())
    wrong = [unit for unit in units if unit.level not in allowed]
    if wrong:
        raise ValidationError(
            _("角色“%(role)s”不能属于以下单位：%(units)s（应为：%(levels)s）。")
            % {
                "role": str(Role(role).label),
                "units": "、".join(f"{u.name}（{u.get_level_display()}）" for u in wrong),
                "levels": "/".join(str(Level(level).label) for level in sorted(allowed)),
            },
            code="unit_level",
        )


def _units_by_code(units: Iterable[Unit | str]) -> list[Unit]:
    resolved: list[Unit] = []
    for item in units:
        if isinstance(item, Unit):
            resolved.append(item)
            continue
        unit = Unit.objects.filter(code=item).first()
        if unit is None:
            raise ValidationError(_("单位代码不存在：%(code)s") % {"code": item})
        resolved.append(unit)
    return resolved


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    units: Iterable[Unit | str],
    full_name: str = "",
    can_reveal: bool = False,
    temporary: bool = False,
) -> User:
    """Create an account with one role and its units.

    ``temporary=True`` makes the user choose a new password at the first login (a password the
    administrator typed should not outlive that). ``can_reveal`` may only be granted here by the
    command line; in the running system the security administrator grants it.
    """
    _require(actor, Role.SYSADMIN)
    if role not in Role.values:
        raise ValidationError(_("未知角色：%(role)s") % {"role": role})
    _guard_other_powers(actor, role)
    if can_reveal and actor is not None:
        raise PermissionDenied(_("查看完整号码的权限由安全管理员授予。"))
    unit_list = _units_by_code(units)
    if role in DATA_ROLES and not unit_list:
        raise ValidationError(_("业务角色必须至少属于一个单位。"))
    check_unit_levels(role, unit_list)
    user = User(username=username, role=role, full_name=full_name, can_reveal=can_reveal)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    password_validation.validate_password(password, user)
    user.set_password(password)
    if temporary:
        user.password_changed_at = None
    user.save()
    for unit in unit_list:
        Membership.objects.create(user=user, unit=unit)
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        changes={
            "username": [None, username],
            "role": [None, role],
            "units": [None, sorted(u.code for u in unit_list)],
            "can_reveal": [None, can_reveal],
            "temporary_password": [None, temporary],
        },
    )
    return user


def _guard_password_takeover(actor: User | None, user: User) -> None:
    """A security administrator's or auditor's password alone must not open their account to
    the system administrator who sets it: reset only once a second factor guards it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if actor is None or user.role not in OTHER_POWERS:
        return
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise PermissionDenied(
            _(
                "该账户尚未绑定手机验证器，系统管理员不能重置其密码"
                "（请在服务器命令行运行 jiuye user_password 重置）。"
            )
        )


@transaction.atomic
def user_set_password(
    *, actor: User | None, user: User, password: str, temporary: bool = False
) -> User:
    """Set a new password (validated; never the same as the current one).

    A user changing their own password needs no role; an administrator's reset is made
    temporary, so the user must choose their own at the next login.
    """
    own = actor is not None and getattr(actor, "pk", None) == user.pk
    if not own:
        _require(actor, Role.SYSADMIN)
        _guard_password_takeover(actor, user)
        temporary = True
    password_validation.validate_password(password, user)
    if user.has_usable_password() and user.check_password(password):
        raise ValidationError(_("新密码不能与当前密码相同。"), code="password_reused")
    user.set_password(password)
    if temporary:
        user.password_changed_at = None
    user.save(update_fields=["password", "password_changed_at"])
    audit_record(
        actor=actor,
        action="user.password",
        obj=user,
        changes={"password": ["***", "***"], "temporary": [None, temporary]},
    )
    return user


@transaction.atomic
def membership_add(*, actor: User | None, user: User, unit: Unit) -> Membership:
    _require(actor, Role.SYSADMIN)
    _refuse_self(actor, user, _("不能修改自己所属的单位。"))
    check_unit_levels(user.role, [unit])
    membership, created = Membership.objects.get_or_create(user=user, unit=unit)
    if created:
        audit_record(
            actor=actor,
            action="user.membership_add",
            obj=user,
            unit=unit,
            changes={"unit": [None, unit.code]},
        )
    return membership


@transaction.atomic
def membership_remove(*, actor: User | None, user: User, unit: Unit) -> None:
    _require(actor, Role.SYSADMIN)
    _refuse_self(actor, user, _("不能修改自己所属的单位。"))
    deleted, _rows = Membership.objects.filter(user=user, unit=unit).delete()
    if deleted:
        audit_record(
            actor=actor,
            action="user.membership_remove",
            obj=user,
            unit=unit,
            changes={"unit": [unit.code, None]},
        )


@transaction.atomic
def user_deactivate(*, actor: User | None, user: User) -> User:
    """Accounts are deactivated, never deleted (the audit log keeps pointing at them). An
    inactive user's open sessions stop working at their next request."""
    _require(actor, Role.SYSADMIN)
    if actor is not None and actor.pk == user.pk:
        raise ValidationError(_("不能停用自己的账户。"))
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_record(
            actor=actor, action="user.deactivate", obj=user, changes={"is_active": [True, False]}
        )
    return user


@transaction.atomic
def user_reactivate(*, actor: User | None, user: User) -> User:
    """Undo a deactivation (the account keeps its role, units and grants)."""
    _require(actor, Role.SYSADMIN)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_record(
            actor=actor, action="user.reactivate", obj=user, changes={"is_active": [False, True]}
        )
    return user


@transaction.atomic
def user_set_role(
    *, actor: User | None, user: User, role: str, units: Iterable[Unit | str] | None = None
) -> User:
    """Give ``user`` another role, and with it (``units``, if given) other units: the units
    must suit the new role, so a change of both is one step.

    A new role is a new job: the reveal grant is withdrawn (the security administrator grants
    it again if the new job needs it). Nobody changes their own role.
    """
    _require(actor, Role.SYSADMIN)
    _refuse_self(actor, user, _("不能修改自己的角色。"))
    if role not in Role.values:
        raise ValidationError(_("未知角色：%(role)s") % {"role": role})
    _guard_other_powers(actor, user.role, role)
    old_units = list(user.units.order_by("code"))
    new_units = old_units if units is None else _units_by_code(units)
    if role in DATA_ROLES and not new_units:
        raise ValidationError(_("业务角色必须至少属于一个单位。"))
    check_unit_levels(role, new_units)
    changes: dict[str, Any] = {}
    if user.role != role:
        changes["role"] = [user.role, role]
        if user.can_reveal:
            changes["can_reveal"] = [True, False]
        user.role, user.can_reveal = role, False
        user.save(update_fields=["role", "can_reveal"])
    old_codes = [u.code for u in old_units]
    new_codes = sorted({u.code for u in new_units})
    if old_codes != new_codes:
        changes["units"] = [old_codes, new_codes]
        Membership.objects.filter(user=user).exclude(unit__in=new_units).delete()
        for unit in new_units:
            Membership.objects.get_or_create(user=user, unit=unit)
    if changes:
        audit_record(actor=actor, action="user.role", obj=user, changes=changes)
    return user


@transaction.atomic
def user_set_reveal(*, actor: User | None, user: User, allowed: bool) -> User:
    """Grant or withdraw the permission to see full ID and phone numbers (security admin)."""
    _require(actor, Role.SECADMIN)
    _refuse_self(actor, user, _("不能修改自己的权限。"))
    if allowed and user.role not in DATA_ROLES:
        raise ValidationError(_("只有业务角色可以查看居民的完整号码。"))
    if user.can_reveal != allowed:
        old = user.can_reveal
        user.can_reveal = allowed
        user.save(update_fields=["can_reveal"])
        audit_record(
            actor=actor, action="user.can_reveal", obj=user, changes={"can_reveal": [old, allowed]}
        )
    return user


@transaction.atomic
def user_reset_second_factor(*, actor: User | None, user: User) -> int:
    """Remove the user's TOTP devices (lost phone); they enrol a new one at the next login."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _require(actor, Role.SECADMIN)
    _refuse_self(actor, user, _("不能重置自己的双因素认证，请联系另一位安全管理员。"))
    removed, _rows = TOTPDevice.objects.filter(user=user).delete()
    audit_record(actor=actor, action="user.otp_reset", obj=user, changes={"devices": [removed, 0]})
    return removed


@transaction.atomic
def user_unlock(*, actor: User | None, username: str) -> int:
    """Lift a django-axes lockout before its 15 minutes are over (security admin)."""
    from axes.utils import reset

    _require(actor, Role.SECADMIN)
    count = int(reset(username=username) or 0)
    audit_record(
        actor=actor, action="user.unlock", changes={"username": username, "attempts": count}
    )
    return count


@transaction.atomic
def otp_device_confirm(*, user: User, device: Any) -> None:
    """The user proved their new authenticator works: the device is now their second factor."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One confirmed device per user: an older one (e.g. a replaced phone) stops working.
    type(device).objects.filter(user=user).exclude(pk=device.pk).delete()
    audit_record(
        actor=user, action="user.otp_enrol", obj=user, changes={"device": [None, device.name]}
    )
