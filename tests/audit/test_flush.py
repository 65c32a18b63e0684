"""Transactional tests can flush the audit table (test support only), and the triggers are back
in force afterwards."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from jiuye.audit.testing import allow_flush_in_tests
from jiuye.audit.triggers import active_triggers


@pytest.fixture
def flushable() -> None:
    allow_flush_in_tests()  # idempotent; also what tests/conftest.py may do for the session


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_keeps_the_triggers(flushable):
    from jiuye.audit.models import AuditEntry
    from jiuye.audit.services import audit_record

    audit_record(actor=None, action="test.flush")
    before = active_triggers(connection)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 0
    assert active_triggers(connection) == before != set()
    audit_record(actor=None, action="test.after")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditentry")
