"""Helpers of the audit tests: simulate tampering by lifting the append-only triggers inside the
test's transaction (rolled back with it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from jiuye.audit.triggers import lift_and_restore


@pytest.fixture
def tamper(db: Any) -> Callable[[str, list[Any] | None], None]:
    """Run raw SQL against the audit table with the triggers lifted, then restore them."""

    def run(sql: str, params: list[Any] | None = None) -> None:
        lift, restore = lift_and_restore(connection.vendor)
        with connection.cursor() as cursor:
            for statement in lift:
                cursor.execute(statement)
            cursor.execute(sql, params)
            for statement in restore:
                cursor.execute(statement)

    return run


@pytest.fixture
def entries(db: Any) -> list[Any]:
    from jiuye.audit.services import audit_record

    return [
        audit_record(actor=None, action=f"test.{i}", changes={"n": [i, i + 1]}) for i in range(5)
    ]
