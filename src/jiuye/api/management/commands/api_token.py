"""``jiuye api_token create USERNAME --name NAME [--expires-days N]`` prints a new token once;
``jiuye api_token list [USERNAME]``; ``jiuye api_token revoke ID``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiuye.api import selectors, services

MAX_EXPIRES_DAYS = 3660  # ten years: a token is rotated long before


class Command(BaseCommand):
    help = "Create, list and revoke API bearer tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the token is for")
        create.add_argument(
            "--expires-days",
            type=int,
            default=None,
            help="valid for this many days (default: until revoked)",
        )
        listing = sub.add_parser("list", help="list tokens (never their values)")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options["username"], options["name"], options["expires_days"])
        elif action == "list":
            self._list(options["username"])
        else:
            self._revoke(options["id"])

    def _create(self, username: str, name: str, expires_days: int | None) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
            raise CommandError(f"--expires-days must be between 1 and {MAX_EXPIRES_DAYS}")
        expires = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            token, plain = services.api_token_create(
                actor=None, user=user, name=name, expires=expires
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stderr.write(f"token {token.pk} for {username}; it is shown only this once:")
        self.stdout.write(plain)

    def _list(self, username: str | None) -> None:
        for token in selectors.api_tokens(username=username):
            state = "revoked" if token.revoked else "active" if token.is_usable() else "expired"
            expires = f"expires {token.expires:%Y-%m-%d}" if token.expires else "no expiry"
            last = f"last used {token.last_used:%Y-%m-%d}" if token.last_used else "never used"
            self.stdout.write(
                "\t".join(
                    [
                        str(token.pk),
                        token.user.username,
                        token.name,
                        state,
                        f"created {token.created:%Y-%m-%d}",
                        expires,
                        last,
                    ]
                )
            )

    def _revoke(self, pk: int) -> None:
        token = selectors.api_tokens().filter(pk=pk).first()
        if token is None:
            raise CommandError(f"no token {pk}")
        services.api_token_revoke(actor=None, token=token)
        self.stdout.write(f"token {pk} revoked")
