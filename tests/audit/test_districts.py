"""Each audit chain lives in one district (issue 18): on Citus the log is distributed by it, so
a community's write and its audit entry commit on one node. A unit's chain is in the unit's
district, a user's chain in the district of the user's first unit, the global chain and
everything of no district in district 0; a chain keeps its district, and the upgrade moves the
existing chains to their districts without breaking the log."""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from jiuye.audit.models import AuditEntry
from jiuye.audit.services import OPEN_CHAIN, audit_read, audit_record, verify_chain

NO_DISTRICT = AuditEntry.NO_DISTRICT
# Each audit_record outside a transaction is one of its own (on PostgreSQL a transaction's
# entries all go to the chain of its first entry).
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_units_entries_are_in_its_district(tree: dict[str, Any]) -> None:
    district = tree["district"].pk
    for unit in ("district", "s1", "a", "a1"):
        entry = audit_record(actor=None, action="test.unit", unit=tree[unit])
        assert (entry.chain, entry.district_id) == (tree[unit].path, district)
    openings = AuditEntry.objects.filter(action=OPEN_CHAIN)
    assert set(openings.values_list("district_id", flat=True)) == {NO_DISTRICT}
    assert verify_chain() == []


def test_entries_of_no_district(tree: dict[str, Any]) -> None:
    """A system job's entry is in the global chain; a path no unit has (a unit of another
    system's tree) is a chain of no district."""
    assert audit_record(actor=None, action="system.job").district_id == NO_DISTRICT
    stray = audit_record(actor=None, action="test.stray", unit=SimpleNamespace(path="/9/"))
    assert (stray.chain, stray.district_id) == ("/9/", NO_DISTRICT)
    assert verify_chain() == []


def test_a_users_entries_without_a_unit_are_in_the_users_district(
    personas: dict[str, Any], tree: dict[str, Any]
) -> None:
    district = tree["district"].pk
    worker, nobody = personas["worker_a"], personas["nobody"]
    (read,) = audit_read(actor=worker, what="persons", persons=[1, 2])
    assert (read.chain, read.district_id) == (f"user:{worker.pk}@{district}", district)
    (again,) = audit_read(actor=worker, what="persons", persons=[3])
    assert (again.chain, again.prev_hash) == (read.chain, read.hash)
    (alone,) = audit_read(actor=nobody, what="persons", persons=[1])
    assert (alone.chain, alone.district_id) == (f"user:{nobody.pk}", NO_DISTRICT)
    assert verify_chain() == []


def test_a_user_moved_to_another_district_opens_a_chain_there(
    personas: dict[str, Any], tree: dict[str, Any]
) -> None:
    from jiuye.accounts.models import Membership
    from jiuye.units.models import Level
    from jiuye.units.services import unit_create

    worker = personas["worker_a"]
    audit_read(actor=worker, what="persons", persons=[1])
    other = unit_create(actor=None, code="110109", name="门头沟区", level=Level.DISTRICT)
    Membership.objects.filter(user=worker).delete()
    Membership.objects.create(user=worker, unit=other)
    (entry,) = audit_read(actor=worker, what="persons", persons=[2])
    assert (entry.chain, entry.district_id) == (f"user:{worker.pk}@{other.pk}", other.pk)
    assert verify_chain() == []


# On Citus the district is the distribution column, which no UPDATE may change: an entry can
# only be "moved" by deleting it and writing another, which breaks its chain's links
# (test_chain.py), and the upgrade runs before ``jiuye citus distribute`` distributes the log.
local_log = pytest.mark.skipif(
    settings.JIUYE_CITUS, reason="Citus: the distribution column cannot be updated"
)


@local_log
def test_an_entry_moved_to_another_district_is_found(tree: dict[str, Any], tamper: Any) -> None:
    entries = [audit_record(actor=None, action=f"a.{i}", unit=tree["a"]) for i in range(3)]
    tamper(
        "UPDATE audit_auditentry SET district_id = %s WHERE id = %s",
        [tree["district"].pk + 1, entries[1].pk],
    )
    problems = verify_chain()
    assert problems == [
        f"entry {entries[1].pk}: district {tree['district'].pk + 1}, its chain's is"
        f" {tree['district'].pk} (row moved?)"
    ]


def _upgrade() -> None:
    """Units' migration 0003 on the test database (its function reads only the editor's
    connection)."""
    migration = import_module("jiuye.units.migrations.0003_audit_districts")
    migration.fill_districts(None, SimpleNamespace(connection=connection))


@local_log
def test_the_upgrade_moves_each_units_chain_to_its_district(
    personas: dict[str, Any], tree: dict[str, Any], tamper: Any
) -> None:
    """The log as the previous version left it (every entry in district 0, the users' chains
    named ``user:<id>``): after the upgrade each unit's chain is in its district, the log
    verifies, and appending goes on where each chain ended."""
    worker = personas["worker_a"]
    last = {u: audit_record(actor=worker, action="old", unit=tree[u]) for u in ("a", "c")}
    tamper("UPDATE audit_auditentry SET district_id = 0")
    _upgrade()
    district = tree["district"].pk
    moved = AuditEntry.objects.filter(chain__in=[tree["a"].path, tree["c"].path])
    assert set(moved.values_list("district_id", flat=True)) == {district}
    assert not AuditEntry.objects.filter(chain__isnull=True).exclude(district_id=0).exists()
    assert verify_chain() == []
    after = audit_record(actor=worker, action="new", unit=tree["a"])
    assert after.prev_hash == last["a"].hash
    assert verify_chain() == []


def test_the_upgrade_of_an_empty_log_does_nothing(db: Any) -> None:
    _upgrade()
    assert not AuditEntry.objects.exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_one_transaction_writes_to_one_district(tree: dict[str, Any]) -> None:
    """On PostgreSQL a transaction's entries all go to the chain (and so the district) of its
    first entry: on Citus they commit on one node with the rows they record."""
    from django.db import transaction

    with transaction.atomic():
        first = audit_record(actor=None, action="t.first", unit=tree["a"])
        second = audit_record(actor=None, action="t.second", unit=tree["c"])
    assert (second.chain, second.district_id) == (first.chain, first.district_id)
