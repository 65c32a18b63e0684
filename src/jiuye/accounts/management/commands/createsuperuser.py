"""``jiuye createsuperuser`` is refused: every account has one role and its units.

Django's own command would create a superuser with all permissions and no role or unit, outside
the one-role-per-user model (``accounts.User``). It points at ``jiuye user_create`` instead,
whatever options it was given, and exits non-zero.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jiuye.accounts.models import Role


def refusal() -> str:
    lines = [
        _("createsuperuser 已停用：每个账号只有一个角色及其单位，没有超级用户。"),
        _("请用 jiuye user_create 创建账号，例如系统管理员："),
        "  jiuye user_create USERNAME --role sysadmin --unit " + _("区代码"),
        _("角色：%(roles)s（jiuye user_create --help）") % {"roles": ", ".join(Role.values)},
    ]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "已停用：请用 jiuye user_create 创建账号（一个角色及其单位）。"

    def add_arguments(self, parser: CommandParser) -> None:
        # Django's options, accepted so that scripts calling them get the message, not a usage
        # error.
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")
        parser.add_argument("--database")

    def run_from_argv(self, argv: list[str]) -> None:
        if "-h" in argv or "--help" in argv:
            super().run_from_argv(argv)
            return
        self.stderr.write(refusal())
        sys.exit(1)

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(refusal(), returncode=1)
