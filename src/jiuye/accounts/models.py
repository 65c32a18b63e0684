"""Users, their one role, and the units they belong to.

One role per user enforces 三权分立: nobody can be system administrator, security administrator
and auditor at once, or hold any two of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiuye.units.models import Level

if TYPE_CHECKING:
    from jiuye.units.models import Unit


class Role(models.TextChoices):
    WORKER = "worker", _("社区工作者")
    GRID = "grid", _("网格协管员")
    STREET = "street", _("街道审核员")
    DISTRICT = "district", _("区级管理员")
    SYSADMIN = "sysadmin", _("系统管理员")
    SECADMIN = "secadmin", _("安全管理员")
    AUDITOR = "auditor", _("审计员")


# Roles that work with residents' personal data, inside their jurisdiction.
DATA_ROLES = frozenset({Role.WORKER, Role.GRID, Role.STREET, Role.DISTRICT})
# Roles that write residents' data (registry and casework), inside their jurisdiction: the
# community workers and grid coordinators who keep the registry (DOMAIN §1). The street and
# the district read and review what they write (issue 11, finding 4); see units.scope.may_write.
WRITER_ROLES = frozenset({Role.WORKER, Role.GRID})
# Roles that must present a TOTP second factor (outside the demo): the district, the
# administrators and the auditor, who reads the whole district's log.
TWO_FACTOR_ROLES = frozenset({Role.DISTRICT, Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})
# The levels of the units each role may belong to: a membership is a jurisdiction, so a
# worker of a street would read the whole street, a district administrator of a grid too little.
# The administrators and the auditor belong to the district (or the city) they administer.
_TOP = frozenset({Level.CITY, Level.DISTRICT})
ROLE_UNIT_LEVELS: dict[str, frozenset[str]] = {
    Role.WORKER: frozenset({Level.COMMUNITY, Level.VILLAGE}),
    Role.GRID: frozenset({Level.GRID}),
    Role.STREET: frozenset({Level.STREET, Level.TOWN}),
    Role.DISTRICT: _TOP,
    Role.SYSADMIN: _TOP,
    Role.SECADMIN: _TOP,
    Role.AUDITOR: _TOP,
}


class JiuyeUserManager(UserManager["User"]):
    def _create_user_object(
        self, username: str, email: str | None, password: str | None, **extra_fields: Any
    ) -> User:
        user: User = super()._create_user_object(  # type: ignore[misc]
            username, email, password, **extra_fields
        )
        if password is not None and user.password_changed_at is None:
            user.password_changed_at = timezone.now()
        return user


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=12, choices=Role.choices, default=Role.WORKER)
    full_name = models.CharField(_("姓名"), max_length=60, blank=True)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    # Seeing a full ID or phone number ("reveal") needs a data role AND this grant, which only a
    # security administrator gives (accounts.services.user_set_reveal). Off by default.
    can_reveal = models.BooleanField(_("可查看完整证件号和电话"), default=False)
    units: models.ManyToManyField[Unit, Membership] = models.ManyToManyField(
        "units.Unit", through="Membership", related_name="members"
    )

    objects: ClassVar[JiuyeUserManager] = JiuyeUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def sees_personal_data(self) -> bool:
        return self.is_active and self.role in DATA_ROLES

    @property
    def writes_residents(self) -> bool:
        """A role that records residents' data (where: ``units.scope.may_write``)."""
        return self.is_active and self.role in WRITER_ROLES

    @property
    def needs_second_factor(self) -> bool:
        return self.role in TWO_FACTOR_ROLES

    @property
    def may_reveal(self) -> bool:
        """May see full ID and phone numbers (inside the jurisdiction, with a reason)."""
        return self.sees_personal_data and self.can_reveal

    def set_password(self, raw_password: str | None) -> None:
        """Every new password restarts the 90-day clock (a temporary one clears it afterwards)."""
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def check_password(self, raw_password: str) -> bool:
        # A hasher upgrade re-sets the same password: that is not a password change.
        stamp = self.password_changed_at
        ok = super().check_password(raw_password)
        self.password_changed_at = stamp
        return ok


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.unit_id}"
