"""Test support: let Django's test flush empty the append-only audit table.

``TransactionTestCase`` (pytest-django's ``transactional_db``, ``live_server``) empties every
table after each test with ``flush``, which the append-only triggers reject. Call
:func:`allow_flush_in_tests` once, e.g. from a session fixture in ``tests/conftest.py``::

    @pytest.fixture(scope="session", autouse=True)
    def _audit_flushable() -> None:
        from jiuye.audit.testing import allow_flush_in_tests
        allow_flush_in_tests()

The flush then lifts the triggers inside its own transaction and puts them back before
committing. Never used outside tests; the application has no other way around the triggers.
"""

from __future__ import annotations

from typing import Any

from jiuye.audit import triggers as _triggers

_PATCHED: set[type] = set()


def _wrap(original: Any, vendor: str) -> Any:
    def sql_flush(self: Any, style: Any, tables: Any, *args: Any, **kwargs: Any) -> list[str]:
        statements = list(original(self, style, tables, *args, **kwargs))
        if "audit_auditentry" not in tables or not statements:
            return statements
        before, after = _triggers.lift_and_restore(vendor)
        return [*before, *statements, *after]

    return sql_flush


def allow_flush_in_tests() -> None:
    """Patch the flush SQL of the configured databases' backends (idempotent)."""
    from django.db import connections

    for conn in connections.all(initialized_only=False):
        cls = type(conn.ops)
        if cls not in _PATCHED:
            cls.sql_flush = _wrap(cls.sql_flush, conn.vendor)  # type: ignore[method-assign]
            _PATCHED.add(cls)
