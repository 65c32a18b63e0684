"""Users, their one role, and the units they belong to.

One role per user enforces 三权分立: nobody can be system administrator, security administrator
and auditor at once, or hold any two of them.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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
# Roles that must present a TOTP second factor (outside the demo).
TWO_FACTOR_ROLES = frozenset({Role.DISTRICT, Role.SYSADMIN, Role.SECADMIN})


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=12, choices=Role.choices, default=Role.WORKER)
    full_name = models.CharField(_("姓名"), max_length=60, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    units = models.ManyToManyField("units.Unit", through="Membership", related_name="members")

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def sees_personal_data(self) -> bool:
        return self.is_active and self.role in DATA_ROLES

    @property
    def needs_second_factor(self) -> bool:
        return self.role in TWO_FACTOR_ROLES


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="membership_unique"),
        ]
