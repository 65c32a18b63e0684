"""``jiuye user_create USERNAME --role ROLE --unit CODE [--unit CODE …]``.

The password is read from a prompt (twice), or from an environment variable named with
``--password-env`` (for scripted set-ups; never on the command line, where ``ps`` shows it).
There are no default accounts: every account is created this way (or by the demo).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuye.accounts.management.passwords import read_password
from jiuye.accounts.models import Role
from jiuye.accounts.services import user_create


class Command(BaseCommand):
    help = "Create a user with one role and its units (the password is prompted for)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--unit",
            action="append",
            default=[],
            metavar="CODE",
            help="unit code; repeat for several units",
        )
        parser.add_argument("--full-name", default="")
        parser.add_argument(
            "--password-env", metavar="VAR", help="read the password from this environment variable"
        )
        parser.add_argument(
            "--temporary",
            action="store_true",
            help="the user must choose a new password at the first login",
        )
        parser.add_argument(
            "--can-reveal",
            action="store_true",
            help="may see full ID and phone numbers (data roles only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = read_password(options["password_env"])
        try:
            user = user_create(
                actor=None,
                username=options["username"],
                password=password,
                role=options["role"],
                units=options["unit"],
                full_name=options["full_name"],
                can_reveal=options["can_reveal"],
                temporary=options["temporary"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            f"created {user.username} ({user.role}), units: {', '.join(options['unit']) or '-'}"
        )
