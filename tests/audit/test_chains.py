"""Several chains (one per unit path, the global one for the rest), so that writers of different
communities never wait for one another: each still detects a changed, inserted or removed row;
a chain is opened by an entry of the global chain, so a removed chain is found too; a
checkpoint of every chain's head lets one anchor catch a cut tail of any of them.

Transactional: each ``audit_record`` outside a transaction is a transaction of its own (on
PostgreSQL a transaction's entries all go to the chain of its first entry's unit)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from jiuye.audit.models import AuditEntry
from jiuye.audit.services import (
    CHECKPOINT,
    OPEN_CHAIN,
    audit_checkpoint,
    audit_record,
    chain_head,
    entry_hash,
    verify_chain,
)
from tests.conftest import transaction_held_open

pytestmark = pytest.mark.django_db(transaction=True)

A = SimpleNamespace(path="/110108/110108001/110108001001/")
B = SimpleNamespace(path="/110108/110108001/110108001002/")


@pytest.fixture
def log() -> dict[str, list[AuditEntry]]:
    """Entries of community A, community B and the global chain, interleaved."""
    found: dict[str, list[AuditEntry]] = {"a": [], "b": [], "global": []}
    for i in range(3):
        found["a"].append(audit_record(actor=None, action=f"a.{i}", unit=A))
        found["b"].append(audit_record(actor=None, action=f"b.{i}", unit=B))
        found["global"].append(audit_record(actor=None, action=f"g.{i}"))
    return found


def run_verify(capsys: Any, *anchors: str) -> tuple[int, str, str]:
    args = [arg for anchor in anchors for arg in ("--anchor", anchor)]
    try:
        call_command("audit", "verify", *args)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_each_unit_has_its_chain_opened_in_the_global_chain(log: dict[str, Any]) -> None:
    assert {e.chain for e in log["a"]} == {A.path}
    assert {e.chain for e in log["b"]} == {B.path}
    assert {e.chain for e in log["global"]} == {None}
    openings = {e.unit_path: e for e in AuditEntry.objects.filter(action=OPEN_CHAIN)}
    assert set(openings) == {A.path, B.path}
    assert all(e.chain is None for e in openings.values())
    assert log["a"][0].prev_hash == openings[A.path].hash
    assert log["b"][1].prev_hash == log["b"][0].hash
    assert verify_chain() == []


def test_a_removed_row_of_a_unit_chain_is_detected(log: dict[str, Any], tamper: Any) -> None:
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [log["a"][1].pk])
    assert verify_chain() == [
        f"entry {log['a'][2].pk}: previous hash does not match (row missing?)"
    ]


def test_an_altered_row_of_a_unit_chain_is_detected(log: dict[str, Any], tamper: Any) -> None:
    tamper("UPDATE audit_auditentry SET action = 'forged' WHERE id = %s", [log["b"][0].pk])
    assert verify_chain() == [
        f"entry {log['b'][0].pk}: content does not match its hash (row altered)"
    ]


def test_an_entry_moved_to_another_chain_is_detected(log: dict[str, Any], tamper: Any) -> None:
    moved = log["b"][2]  # the tail of B, relabelled as the tail of A
    tamper("UPDATE audit_auditentry SET chain = %s WHERE id = %s", [A.path, moved.pk])
    problems = verify_chain()
    assert f"entry {moved.pk}: content does not match its hash (row altered)" in problems
    assert f"entry {moved.pk}: previous hash does not match (row missing?)" in problems


def test_a_whole_removed_chain_is_detected(log: dict[str, Any], tamper: Any) -> None:
    tamper("DELETE FROM audit_auditentry WHERE chain = %s", [B.path])
    opening = AuditEntry.objects.get(action=OPEN_CHAIN, unit_path=B.path)
    assert verify_chain() == [f"entry {opening.pk}: chain {B.path} has no entries (rows missing?)"]


def test_a_removed_opening_is_detected(log: dict[str, Any], tamper: Any) -> None:
    opening = AuditEntry.objects.get(action=OPEN_CHAIN, unit_path=A.path)
    after = AuditEntry.objects.filter(chain__isnull=True, pk__gt=opening.pk).order_by("pk")[0]
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [opening.pk])
    problems = verify_chain()
    assert f"entry {after.pk}: previous hash does not match (row missing?)" in problems
    assert f"entry {log['a'][0].pk}: chain {A.path} was never opened (forged?)" in problems


def test_a_chain_without_an_opening_is_forged(log: dict[str, Any], tamper: Any) -> None:
    forged = AuditEntry(
        at=log["a"][0].at,
        actor_name="system",
        action="forged",
        prev_hash="0" * 64,
        key_id=log["a"][0].key_id,
        chain="/110108/110108009/",
    )
    forged.hash = entry_hash(forged)  # even signed with the key: no opening names the chain
    tamper(
        "INSERT INTO audit_auditentry (at, actor_name, action, object_type, object_id, "
        "object_repr, unit_path, changes, result, prev_hash, hash, key_id, chain) "
        "VALUES (%s, 'system', 'forged', '', '', '', '', '{}', 'ok', %s, %s, %s, %s)",
        [forged.at, forged.prev_hash, forged.hash, forged.key_id, forged.chain],
    )
    (problem,) = verify_chain()
    assert "chain /110108/110108009/ was never opened (forged?)" in problem


def test_verify_records_the_heads_and_an_anchor_finds_a_cut_tail_of_any_chain(
    log: dict[str, Any], tamper: Any, capsys: Any
) -> None:
    code, out, _err = run_verify(capsys)
    assert code == 0
    checkpoint = AuditEntry.objects.get(action=CHECKPOINT)
    assert checkpoint.chain is None
    assert checkpoint.changes["heads"] == {A.path: log["a"][-1].pk, B.path: log["b"][-1].pk}
    anchor = checkpoint.hash
    assert chain_head() == anchor and f"末条哈希：{anchor}" in out
    # Nothing moved: a second verify records nothing more.
    assert run_verify(capsys, anchor)[0] == 0
    assert AuditEntry.objects.filter(action=CHECKPOINT).count() == 1
    # Cutting the tail of community A's chain (its head at the checkpoint) is found.
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [log["a"][-1].pk])
    assert verify_chain() == [
        f"chain {A.path}: its head {log['a'][-1].pk} at the last checkpoint is missing"
    ]
    code, _out, err = run_verify(capsys, anchor)
    assert code == 1 and A.path in err
    # Cutting the checkpoint itself (the global tail) is found by the anchor.
    tamper("DELETE FROM audit_auditentry WHERE id >= %s", [checkpoint.pk])
    code, _out, err = run_verify(capsys, anchor)
    assert code == 1 and f"anchor {anchor}" in err


def test_seal_command(log: dict[str, Any], capsys: Any) -> None:
    call_command("audit", "seal")
    out = capsys.readouterr().out
    assert "已记录 2 条分链的末条" in out
    assert audit_checkpoint() is None  # nothing moved since
    audit_record(actor=None, action="a.more", unit=A)
    assert audit_checkpoint() is not None
    assert verify_chain() == []


def test_one_transaction_writes_one_chain_on_postgresql(db: Any) -> None:
    """A transaction holds at most one chain's lock: entries of other units written in it join
    its chain (on PostgreSQL; SQLite's single writer needs no such rule)."""
    with transaction.atomic():
        first = audit_record(actor=None, action="t.1", unit=A)
        second = audit_record(actor=None, action="t.2", unit=B)
        third = audit_record(actor=None, action="t.3")
    if connection.vendor == "postgresql":
        assert first.chain == second.chain == third.chain == A.path
    else:
        assert (first.chain, second.chain, third.chain) == (A.path, B.path, None)
    assert verify_chain() == []


def _advisory_locks(pid: int) -> list[tuple[int, int, int]]:
    """The advisory locks ``pid`` holds of the two kinds an application takes (objsubid 1: a
    64-bit key, 2: a pair of 32-bit keys); Citus takes its own kinds too (a write holds its
    co-location group's, objsubid 8)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT classid::bigint, objid::bigint, objsubid FROM pg_locks "
            "WHERE locktype = 'advisory' AND pid = %s AND granted AND objsubid IN (1, 2)",
            [pid],
        )
        return sorted(cursor.fetchall())


def test_writers_of_two_communities_do_not_share_a_lock(db: Any) -> None:
    """While a transaction that audited in community A is still open, another one audits in
    community B without waiting (it would time out on a shared lock), and the open one holds
    its own chain's lock only, not the global one."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: SQLite has a single writer")
    audit_record(actor=None, action="open.a", unit=A)  # the chains exist: no opening below
    audit_record(actor=None, action="open.b", unit=B)
    pid: list[int] = []

    def community_a() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid.append(cursor.fetchone()[0])
        audit_record(actor=None, action="held.a", unit=A)

    with transaction_held_open(community_a):
        held = _advisory_locks(pid[0])
        assert held and all(objsubid == 2 for _c, _o, objsubid in held)  # a chain's key pair
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '10s'")
            entry = audit_record(actor=None, action="meanwhile.b", unit=B)
        assert entry.chain == B.path
    assert verify_chain() == []


def test_a_users_entries_without_a_unit_have_the_users_chain(db: Any) -> None:
    """A list page's record of whom it showed has no unit: it goes to its reader's chain, so
    that readers never wait on the global chain's lock; the log still verifies, and an
    entry without a user (a system job) stays in the global chain."""
    from jiuye.audit.services import audit_read

    readers = [SimpleNamespace(pk=pk, username=f"reader{pk}") for pk in (7, 8)]
    for _round in range(2):
        for reader in readers:
            (entry,) = audit_read(actor=reader, what="persons", persons=[1, 2])
            assert entry.chain == f"user:{reader.pk}"
    assert audit_record(actor=None, action="system.job").chain is None
    assert verify_chain() == []
    opened = AuditEntry.objects.filter(action=OPEN_CHAIN, unit_path__startswith="user:")
    assert sorted(opened.values_list("unit_path", flat=True)) == ["user:7", "user:8"]
