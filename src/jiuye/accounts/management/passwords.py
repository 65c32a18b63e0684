"""The password of an account command (``user_create``, ``user_password``): from a prompt, twice,
or from an environment variable for scripted set-ups — never from the command line, where ``ps``
would show it."""

from __future__ import annotations

import getpass
import os

from django.core.management.base import CommandError


def read_password(var: str | None) -> str:
    if var:
        value = os.environ.get(var)
        if not value:
            raise CommandError(f"environment variable {var} is empty or not set")
        return value
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise CommandError("the passwords do not match")
    return first
