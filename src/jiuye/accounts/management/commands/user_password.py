"""``jiuye user_password USERNAME [--password-env VAR]``: reset an account's password from the
server's command line, audited (``user.password``, by the command line) and temporary: the user
chooses their own at the next login.

For the accounts the system administrator may not reset on screen (a security administrator or
auditor without a second factor yet: 三权分立, ``accounts.services``), and for any account when
no administrator can sign in.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuye.accounts.management.passwords import read_password
from jiuye.accounts.models import User
from jiuye.accounts.services import user_set_password


class Command(BaseCommand):
    help = "Reset a user's password (prompted for; temporary, audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--password-env", metavar="VAR", help="read the password from this environment variable"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no such user: {options['username']}")
        password = read_password(options["password_env"])
        try:
            user_set_password(actor=None, user=user, password=password, temporary=True)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"password of {user.username} reset; it must be changed at next login")
