"""The audit log is append-only: the ORM refuses, and the database trigger rejects raw SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from jiuye.audit.models import AuditEntry
from jiuye.audit.triggers import active_triggers


def test_model_save_of_an_existing_entry_is_refused(entries):
    entry = entries[0]
    entry.action = "forged"
    with pytest.raises(PermissionError):
        entry.save()


def test_model_delete_is_refused(entries):
    with pytest.raises(PermissionError):
        entries[0].delete()


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_queryset_update_and_delete_are_refused(entries, operation):
    queryset = AuditEntry.objects.filter(pk=entries[0].pk)
    with pytest.raises(PermissionError):
        if operation == "update":
            queryset.update(action="forged")
        else:
            queryset.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.bulk_update(entries, ["action"])


@pytest.mark.django_db
def test_the_database_has_the_triggers():
    expected = (
        {"audit_no_update", "audit_no_delete"}
        if connection.vendor == "sqlite"
        else {"audit_append_only", "audit_no_truncate"}
    )
    assert active_triggers(connection) == expected


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET action = 'forged'",
        "UPDATE audit_auditentry SET result = 'x' "
        "WHERE id = (SELECT MIN(id) FROM audit_auditentry)",
        "DELETE FROM audit_auditentry",
        "DELETE FROM audit_auditentry WHERE id = (SELECT MAX(id) FROM audit_auditentry)",
    ],
)
def test_raw_sql_update_and_delete_are_rejected_by_the_trigger(entries, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEntry.objects.count() == 5
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [
        f"test.{i}" for i in range(5)
    ]


def test_truncate_is_rejected_on_postgresql(entries):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (DELETE is covered above)")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE audit_auditentry")
    assert AuditEntry.objects.count() == 5


def test_inserting_is_still_possible(entries):
    from jiuye.audit.services import audit_record

    audit_record(actor=None, action="test.more")
    assert AuditEntry.objects.count() == 6
