"""Writing to the audit log: every service write calls :func:`audit_record`.

The log is a set of hash chains, so that writers of different communities do not wait for one
another. Each entry is linked (``prev_hash``) to the previous entry *of its chain* and signed
with the audit key; appending to a chain takes that chain's lock (PostgreSQL: a transaction
advisory lock, held to the commit, so a chain's order is its commit order). The chains:

- the global chain (``chain`` NULL): every entry written before chains existed, entries without
  a unit or a user (system jobs), and the log's own entries below;
- one chain per user for their entries without a unit (a list page's record of whom it
  showed, a login: ``user:<id>``), so that reading pages never waits on a lock all users share;
- one chain per unit path: a transaction's entries all go to the chain of the unit of the
  first entry it writes (PostgreSQL; on SQLite, which has one writer at a time, each call's
  entries go to the chain of its first entry's unit). So a transaction holds at most one chain
  lock, and the global one only briefly to open a chain: no two writers can deadlock on them.

A chain is *opened* by an ``audit.chain`` entry in the global chain that names it
(``unit_path``); the chain's first entry links to that entry. Deleting a whole chain therefore
leaves an opening without entries, and a chain with no opening is a forgery: ``verify_chain``
finds both. Cutting the tail of any chain is found with an anchor, as before: ``jiuye audit
verify`` (and ``seal``) first records every chain's head in an ``audit.checkpoint`` entry of
the global chain (:func:`audit_checkpoint`), whose head it prints; a later verify checks that
the heads each checkpoint recorded still exist, and ``--anchor`` that the printed one does.

Each chain lives in one district (``district_id``): a unit's chain in the unit's district, a
user's chain in the district of the user's first unit (its name then says which: a user whose
units change opens a chain in the new district, ``user:<id>@<district>``), the global chain
and everything of no district in ``AuditEntry.NO_DISTRICT``. The rule is the accounts app's
(:func:`set_district_rule`: it knows the unit tree and the users' units, which this module
sits below). On Citus the log is distributed by the district with the residents' data, so a
community's write and its audit entry commit on one node, and each chain's head is found on
that node alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from jiuye.audit.models import AuditEntry
from jiuye.lib import signing
from jiuye.lib.masking import mask_text

GENESIS = "0" * 64
OPEN_CHAIN = "audit.chain"  # opens a chain (``unit_path``: its name), in the global chain
CHECKPOINT = "audit.checkpoint"  # every chain's head (``changes["heads"]``), in the global chain
_GLOBAL_LOCK = 80420001  # the global chain's advisory lock (as before chains existed)
NO_DISTRICT = AuditEntry.NO_DISTRICT


def _no_district(*, path: str | None, user: int | None) -> int:
    return NO_DISTRICT


# ``(path=…, user=…) -> district``: the district of a unit's chain (``path``) or of a user's
# (``user``, their id). The accounts app sets it when it starts (:func:`set_district_rule`).
_district_rule: Callable[..., int] = _no_district


def set_district_rule(rule: Callable[..., int]) -> None:
    """Set the rule giving each chain its district; until then every chain is in
    ``NO_DISTRICT``."""
    global _district_rule
    _district_rule = rule


@dataclass(frozen=True)
class Chain:
    """A chain's name (None: the global chain) and its district."""

    name: str | None
    district: int = NO_DISTRICT


GLOBAL = Chain(None)


def _canonical(entry: AuditEntry) -> str:
    body = {
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "unit_path": entry.unit_path,
        "changes": entry.changes,
        "result": entry.result,
        "prev": entry.prev_hash,
    }
    chain = getattr(entry, "chain", None)  # (absent from the migrations' historical models)
    if chain is not None:
        body["chain"] = chain  # signed: an entry moved to another chain does not verify
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def plain_hash(entry: AuditEntry) -> str:
    """The unkeyed SHA-256 the chain used before it was signed (migration 0004 re-signs)."""
    return hashlib.sha256(_canonical(entry).encode("utf-8")).hexdigest()


def entry_hash(entry: AuditEntry) -> str:
    """The entry's link in the chain: HMAC-SHA256 under the audit key named by ``key_id``
    (``lib.signing``), so rows re-hashed by someone holding only the database do not verify.
    Raises ``signing.UnknownKeyError`` for an entry signed with no key this server holds."""
    return signing.sign(_canonical(entry), with_key=entry.key_id or "")


def _lock_chain(chain: str | None) -> None:
    """Serialise the appends to one chain, so it stays linear, until the commit (SQLite
    writers are serialised already). The global chain keeps its one 64-bit key; the others
    take a pair of 32-bit keys (PostgreSQL keeps the two kinds apart): the global key and a
    hash of the chain's name (two chains sharing a hash would only share a lock)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if chain is None:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_GLOBAL_LOCK])
        else:
            digest = hashlib.sha256(chain.encode("utf-8")).digest()
            key = int.from_bytes(digest[:4], "big", signed=True)
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_GLOBAL_LOCK, key])


def _transaction_chain(first: AuditDraft) -> Chain:
    """The chain this call appends to: on PostgreSQL the chain the transaction appends to
    already, else the chain of ``first`` (and from now on for this transaction); locked either
    way (a savepoint rolled back releases the locks taken inside it). On SQLite the chain of
    ``first``."""
    if connection.vendor != "postgresql":
        return _draft_chain(first)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text")
        txid = cursor.fetchone()[0]
    held = getattr(connection, "_audit_chain", None)
    chain = held[1] if held is not None and held[0] == txid else _draft_chain(first)
    connection._audit_chain = (txid, chain)  # type: ignore[attr-defined]
    _lock_chain(chain.name)
    return chain


def _head(chain: Chain) -> str | None:
    """The hash of the chain's last entry (None: the chain has no entry yet)."""
    # name None: IS NULL, the global chain; the district keeps it to one shard on Citus
    entries = AuditEntry.objects.filter(district_id=chain.district, chain=chain.name)
    return entries.order_by("-id").values_list("hash", flat=True).first()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)  # no full ID or phone number ever lands in the log
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        # An ID or phone number typed as a number must be masked like the text form.
        masked = mask_text(str(value))
        return value if masked == str(value) else masked
    return mask_text(str(value))


@dataclass(frozen=True)
class AuditDraft:
    """One entry to append (see :func:`audit_record` for the fields)."""

    actor: Any | None
    action: str
    obj: Any | None = None
    unit: Any | None = None
    changes: dict[str, Any] | None = None
    result: str = "ok"
    at: datetime | None = None


def _entry(draft: AuditDraft, previous: str, now: datetime, chain: Chain = GLOBAL) -> AuditEntry:
    obj = draft.obj
    entry = AuditEntry(
        at=draft.at or now,
        actor_id=getattr(draft.actor, "pk", None),
        actor_name=getattr(draft.actor, "username", None) or "system",
        action=draft.action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
        object_repr=mask_text(str(obj))[:200] if obj is not None else "",
        unit_path=getattr(draft.unit, "path", "") or "",
        changes=_jsonable(draft.changes or {}),
        result=draft.result,
        prev_hash=previous,
        key_id=signing.current_key_id(),
        chain=chain.name,
        district_id=chain.district,
    )
    entry.hash = entry_hash(entry)
    return entry


@transaction.atomic
def audit_record(
    *,
    actor: Any | None,
    action: str,
    obj: Any | None = None,
    unit: Any | None = None,
    changes: dict[str, Any] | None = None,
    result: str = "ok",
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry: who, when, what, old → new (``changes``: field → [old, new]), result."""
    (entry,) = audit_records([AuditDraft(actor, action, obj, unit, changes, result, at)])
    return entry


def _append(chain: Chain, drafts: Sequence[AuditDraft]) -> list[AuditEntry]:
    """Append to ``chain`` (locked by the caller), opening it first if it has no entry."""
    previous = _head(chain)
    if previous is None:
        previous = GENESIS if chain.name is None else _open(chain.name).hash
    now = timezone.now()
    entries = []
    for draft in drafts:
        entry = _entry(draft, previous, now, chain)
        entries.append(entry)
        previous = entry.hash
    if len(entries) == 1:
        entries[0].save()
    else:
        AuditEntry.objects.bulk_create(entries)
    return entries


def _open(chain: str) -> AuditEntry:
    """The global chain's entry that opens ``chain`` (its name in ``unit_path``): the first
    entry of the chain links to it. Taken under the global lock, once in a chain's life."""
    _lock_chain(None)
    (opening,) = _append(GLOBAL, [AuditDraft(None, OPEN_CHAIN, unit=_Path(chain))])
    return opening


@dataclass(frozen=True)
class _Path:
    """Stands for a unit in a draft: its path is all an entry keeps of it."""

    path: str


def _draft_chain(draft: AuditDraft) -> Chain:
    """The chain of an entry: its unit's; without a unit, its user's (named for the user's
    district unless that is none); else the global one."""
    path = getattr(draft.unit, "path", "") or None
    if path is not None:
        return Chain(path, _district_rule(path=path, user=None))
    user = getattr(draft.actor, "pk", None)
    if user is None:
        return GLOBAL
    district = _district_rule(path=None, user=user)
    name = f"user:{user}" if district == NO_DISTRICT else f"user:{user}@{district}"
    return Chain(name, district)


@transaction.atomic
def audit_records(drafts: Sequence[AuditDraft]) -> list[AuditEntry]:
    """Append several entries in order, chained, in one insert (a sync of many cases)."""
    if not drafts:
        return []
    return _append(_transaction_chain(drafts[0]), drafts)


def verify_chain() -> list[str]:
    """Return the problems found walking the chains in order; an empty list means intact.

    Each entry must link to the previous entry of its chain (the first entry of the global
    chain to the genesis, the first of any other to the global entry that opened it); a chain
    without an opening, or opened twice, is forged, and an opening without entries means a
    whole chain was removed. The heads the last checkpoint recorded must still be there (a cut
    tail). Besides the links, each entry's keyed hash: an unsigned entry (a plain hash anyone
    can compute) is a forgery, and so is one signed with a key this server does not hold. A
    chain keeps one district: an entry in another was moved (its chain's appends would skip
    it)."""
    problems: list[str] = []
    heads: dict[str | None, str] = {None: GENESIS}  # each chain's last hash so far
    opened: dict[str, int] = {}  # chain → the id of the entry that opened it
    started: set[str] = set()
    recorded: dict[str, int] = {}  # chain → its head by the latest checkpoint
    districts: dict[str | None, int] = {None: NO_DISTRICT}  # each chain's district
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        chain = entry.chain
        previous = heads.get(chain)
        if previous is None:
            problems.append(f"entry {entry.pk}: chain {chain} was never opened (forged?)")
        elif entry.prev_hash != previous:
            problems.append(f"entry {entry.pk}: previous hash does not match (row missing?)")
        district = districts.setdefault(chain, entry.district_id)
        if entry.district_id != district:
            problems.append(
                f"entry {entry.pk}: district {entry.district_id}, its chain's is {district}"
                " (row moved?)"
            )
        heads[chain] = entry.hash
        if chain is not None:
            started.add(chain)
        elif entry.action == OPEN_CHAIN:
            name = entry.unit_path
            if name in opened:
                problems.append(f"entry {entry.pk}: chain {name} opened twice (forged?)")
            else:
                opened[name] = entry.pk
                heads[name] = entry.hash
        elif entry.action == CHECKPOINT and isinstance(entry.changes, dict):
            recorded.update(entry.changes.get("heads") or {})
        if entry.key_id is None:
            problems.append(f"entry {entry.pk}: not signed with the audit key (forged?)")
            continue
        try:
            intact = hmac.compare_digest(entry_hash(entry), entry.hash)
        except signing.UnknownKeyError:
            problems.append(f"entry {entry.pk}: signed with an unknown key {entry.key_id}")
        else:
            if not intact:
                problems.append(f"entry {entry.pk}: content does not match its hash (row altered)")
    for name, pk in opened.items():
        if name not in started:
            problems.append(f"entry {pk}: chain {name} has no entries (rows missing?)")
    found = dict(
        AuditEntry.objects.filter(pk__in=[int(v) for v in recorded.values()]).values_list(
            "pk", "chain"
        )
    )
    for name, pk in sorted(recorded.items()):
        if found.get(int(pk), "") != name:
            problems.append(f"chain {name}: its head {pk} at the last checkpoint is missing")
    return problems


@transaction.atomic
def audit_checkpoint() -> AuditEntry | None:
    """Record the head (last entry id) of every chain but the global one in the global chain,
    so that the global chain's head, the anchor ``jiuye audit verify`` prints, vouches for
    every chain's tail. None (nothing written) when there is no other chain, or when no head
    moved since the last checkpoint."""
    heads = dict(
        AuditEntry.objects.filter(chain__isnull=False)
        .order_by()
        .values_list("chain")
        .annotate(head=Max("id"))
    )
    if not heads:
        return None
    _lock_chain(None)
    last = (
        AuditEntry.objects.filter(chain__isnull=True, action=CHECKPOINT)
        .order_by("-id")
        .values_list("changes", flat=True)
        .first()
    )
    if isinstance(last, dict) and last.get("heads") == heads:
        return None
    (entry,) = _append(GLOBAL, [AuditDraft(None, CHECKPOINT, changes={"heads": heads})])
    return entry


def chain_head() -> str | None:
    """The hash of the global chain's last entry: the anchor to keep outside the system."""
    return _head(GLOBAL)


# Person ids per audit row of a read: an export of a whole district is split into rows of this
# many ids (all written in one insert), so no row grows past a few tens of kilobytes.
READ_CHUNK = 5000


def _ids(values: Iterable[Any]) -> list[int]:
    return sorted({int(v) for v in values})


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + READ_CHUNK] for i in range(0, len(ids), READ_CHUNK)] or [[]]


def audit_read(
    *,
    actor: Any | None,
    what: str,
    persons: Iterable[int] = (),
    households: Iterable[int] = (),
    obj: Any | None = None,
    unit: Any | None = None,
    extra: dict[str, Any] | None = None,
) -> list[AuditEntry]:
    """Record that ``actor`` was shown residents' personal data: one ``read.<what>`` row per
    request (a list page, an API page, a detail page) naming the ids of the persons (and
    households) shown, never their names or numbers, so the auditor can answer "who looked at
    this person" (``changes["persons"]``; ``obj``, a detail page's person or household, is the
    row's object). Nothing shown, nothing recorded. Thousands of ids (an export) are split
    into rows of :data:`READ_CHUNK`, written in one insert."""
    person_ids, household_ids = _ids(persons), _ids(households)
    if obj is None and not person_ids and not household_ids:
        return []
    parts = _chunks(person_ids)
    drafts = []
    for index, part in enumerate(parts):
        changes: dict[str, Any] = {"persons": part, "count": len(person_ids)} if part else {}
        if index == 0:
            if household_ids:
                changes["households"] = household_ids
            changes.update(extra or {})
        if len(parts) > 1:
            changes["part"] = [index + 1, len(parts)]
        drafts.append(AuditDraft(actor, f"read.{what}", obj, unit, changes))
    return audit_records(drafts)


def audit_export(
    *,
    actor: Any | None,
    what: str,
    filters: dict[str, Any],
    rows: int,
    unit: Any | None = None,
    persons: Iterable[int] | None = None,
) -> AuditEntry:
    """Record an export of personal data: what was exported, with which filter, how many rows,
    and (``persons``) the ids of the persons in it, so the export is found when the auditor asks
    who looked at one of them (beyond :data:`READ_CHUNK` ids, the rest follow in
    ``export.persons`` rows, in the same insert).

    Call it in the same transaction that reads the rows, before the file leaves the server.
    """
    changes: dict[str, Any] = {"what": what, "filters": filters, "rows": rows}
    if persons is None:
        return audit_record(actor=actor, action="export", unit=unit, changes=changes)
    ids = _ids(persons)
    parts = _chunks(ids)
    drafts = [AuditDraft(actor, "export", None, unit, {**changes, "persons": parts[0]})]
    drafts += [
        AuditDraft(
            actor,
            "export.persons",
            None,
            unit,
            {"what": what, "persons": part, "part": [index + 2, len(parts)]},
        )
        for index, part in enumerate(parts[1:])
    ]
    return audit_records(drafts)[0]
