"""``jiuye demo_users [--password P] [--district-code 110108]``

One account per role for the seeded district, so a demo can show every view: district admin,
street reviewer, community worker and grid coordinator (of the first street, community and
grid), auditor, system and security administrators. Idempotent: running it again resets the
accounts to the same roles, units and password.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from jiuye.accounts.models import DATA_ROLES, Membership, Role, User
from jiuye.audit.services import audit_record
from jiuye.demo.generator import DEFAULT_DISTRICT
from jiuye.units.models import Level, Unit

DEFAULT_PASSWORD = "Jiuye-Demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    unit: Unit
    full_name: str


def _first(unit: Unit, *levels: Level) -> Unit:
    child = unit.children.filter(level__in=levels).order_by("code").first()
    if child is None:
        names = "/".join(str(level.label) for level in levels)
        raise CommandError(f"{unit} 下没有{names}：请先运行 jiuye seed")
    return child


def _district(code: str | None) -> Unit:
    districts = Unit.objects.filter(level=Level.DISTRICT)
    if code is None:
        only = list(districts[:2])
        code = only[0].code if len(only) == 1 else DEFAULT_DISTRICT
    district = districts.filter(code=code).first()
    if district is None:
        raise CommandError(f"没有代码为 {code} 的区：请先运行 jiuye seed")
    return district


def demo_accounts(district: Unit) -> list[DemoAccount]:
    """The accounts and the unit each belongs to: the first street (by code) under the
    district, its first community, that community's first grid."""
    street = _first(district, Level.STREET, Level.TOWN)
    community = _first(street, Level.COMMUNITY, Level.VILLAGE)
    grid = _first(community, Level.GRID)
    return [
        DemoAccount("district_admin", Role.DISTRICT, district, "区级管理员（演示）"),
        DemoAccount("street_reviewer", Role.STREET, street, "街道审核员（演示）"),
        DemoAccount("community_worker", Role.WORKER, community, "社区工作者（演示）"),
        DemoAccount("grid_coordinator", Role.GRID, grid, "网格协管员（演示）"),
        DemoAccount("auditor", Role.AUDITOR, district, "审计员（演示）"),
        DemoAccount("sysadmin", Role.SYSADMIN, district, "系统管理员（演示）"),
        DemoAccount("secadmin", Role.SECADMIN, district, "安全管理员（演示）"),
    ]


def ensure_account(account: DemoAccount, password: str) -> User:
    """Create or reset one account: role, name, password, exactly one membership."""
    user = User.objects.filter(username=account.username).first()
    if user is None:
        user = User.objects.create_user(
            username=account.username, password=password, role=account.role
        )
    else:
        user.role = account.role
        user.is_active = True
        user.set_password(password)
    user.full_name = account.full_name
    # The demo shows the audited reveal; in production a security administrator grants it.
    user.can_reveal = account.role in DATA_ROLES
    user.save()
    user.memberships.exclude(unit=account.unit).delete()
    Membership.objects.get_or_create(user=user, unit=account.unit)
    return user


class Command(BaseCommand):
    help = "Create (or reset) one demo account per role for the seeded district."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help=f"(default {DEFAULT_PASSWORD})"
        )
        parser.add_argument(
            "--district-code",
            default=None,
            help=f"the seeded district (default: the only district, else {DEFAULT_DISTRICT})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password: str = options["password"]
        district = _district(options["district_code"])
        accounts = demo_accounts(district)
        with transaction.atomic():
            for account in accounts:
                user = User.objects.filter(username=account.username).first()
                try:
                    validate_password(password, user)
                except ValidationError as error:
                    raise CommandError("；".join(error.messages)) from None
                ensure_account(account, password)
            audit_record(
                actor=None,
                action="demo.users",
                unit=district,
                changes={"users": [None, [a.username for a in accounts]]},
            )
        self._print(accounts, password)

    def _print(self, accounts: list[DemoAccount], password: str) -> None:
        rows = [("username", "password", "role", "unit")]
        rows += [
            (a.username, password, f"{a.role.value} {a.role.label}", f"{a.unit.name} {a.unit.code}")
            for a in accounts
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
            self.stdout.write("  ".join(cells).rstrip())


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
