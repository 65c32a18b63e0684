"""The append-only triggers of ``audit_auditentry`` (created by migration 0002), by name.

Only tests lift them (to simulate tampering, or to let the test flush empty the table): on
SQLite by dropping and re-creating them, on PostgreSQL by ``ALTER TABLE … DISABLE/ENABLE
TRIGGER`` (which only the table's owner may do).
"""

from __future__ import annotations

TABLE = "audit_auditentry"
SQLITE_TRIGGERS = {
    "audit_no_update": """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit_auditentry is append-only'); END;""",
    "audit_no_delete": """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit_auditentry is append-only'); END;""",
}
POSTGRES_TRIGGERS = ("audit_append_only", "audit_no_truncate")


def lift_and_restore(vendor: str) -> tuple[list[str], list[str]]:
    """SQL that lifts the triggers, and SQL that restores them."""
    if vendor == "sqlite":
        return (
            [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS],
            list(SQLITE_TRIGGERS.values()),
        )
    if vendor == "postgresql":
        return (
            [f"ALTER TABLE {TABLE} DISABLE TRIGGER {name}" for name in POSTGRES_TRIGGERS],
            [f"ALTER TABLE {TABLE} ENABLE TRIGGER {name}" for name in POSTGRES_TRIGGERS],
        )
    return [], []


def active_triggers(connection: object) -> set[str]:
    """Names of the enabled append-only triggers on ``audit_auditentry``."""
    vendor = connection.vendor  # type: ignore[attr-defined]
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        if vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name=%s", [TABLE]
            )
        elif vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'",
                [TABLE],
            )
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}
