"""``jiuye createsuperuser`` is refused: accounts come from ``jiuye user_create`` (one role)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from django.core.management import CommandError, call_command, get_commands
from django.utils import translation

from jiuye.accounts.models import User


def test_jiuye_overrides_djangos_command() -> None:
    assert get_commands()["createsuperuser"] == "jiuye.accounts"


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"interactive": False, "username": "root", "email": "root@example.invalid"},
        {"database": "default"},
    ],
)
def test_createsuperuser_refuses_and_points_at_user_create(
    db: Any, options: dict[str, Any]
) -> None:
    with pytest.raises(CommandError) as info:
        call_command("createsuperuser", **options)
    assert info.value.returncode == 1
    message = str(info.value)
    assert "jiuye user_create" in message and "--role sysadmin" in message
    assert "worker, grid, street, district, sysadmin, secadmin, auditor" in message
    assert User.objects.count() == 0


def test_the_message_in_english(db: Any) -> None:
    with translation.override("en"), pytest.raises(CommandError, match="is disabled"):
        call_command("createsuperuser")


def test_the_command_line_exits_non_zero_without_prompting(tmp_path: Any) -> None:
    """Run as a shell would (no database needed: it refuses before touching one)."""
    result = subprocess.run(
        [sys.executable, "-m", "jiuye.cli", "createsuperuser", "--username", "root"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "JIUYE_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 1
    assert "jiuye user_create" in result.stderr
    assert "Username" not in result.stdout + result.stderr  # never prompted
