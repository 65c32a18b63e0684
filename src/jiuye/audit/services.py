"""Writing to the audit log: every service write calls :func:`audit_record`."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jiuye.audit.models import AuditEntry
from jiuye.lib import signing
from jiuye.lib.masking import mask_text

GENESIS = "0" * 64


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
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def plain_hash(entry: AuditEntry) -> str:
    """The unkeyed SHA-256 the chain used before it was signed (migration 0004 re-signs)."""
    return hashlib.sha256(_canonical(entry).encode("utf-8")).hexdigest()


def entry_hash(entry: AuditEntry) -> str:
    """The entry's link in the chain: HMAC-SHA256 under the audit key named by ``key_id``
    (``lib.signing``), so rows re-hashed by someone holding only the database do not verify.
    Raises ``signing.UnknownKeyError`` for an entry signed with no key this server holds."""
    return signing.sign(_canonical(entry), with_key=entry.key_id or "")


def _lock_chain() -> None:
    """Serialise appends so the chain stays linear (SQLite writers are serialised already)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(80420001)")


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


def _entry(draft: AuditDraft, previous: str, now: datetime) -> AuditEntry:
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


@transaction.atomic
def audit_records(drafts: Sequence[AuditDraft]) -> list[AuditEntry]:
    """Append several entries in order, chained, in one insert (a sync of many cases)."""
    if not drafts:
        return []
    _lock_chain()
    previous = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    previous = previous or GENESIS
    now = timezone.now()
    entries = []
    for draft in drafts:
        entry = _entry(draft, previous, now)
        entries.append(entry)
        previous = entry.hash
    if len(entries) == 1:
        entries[0].save()
    else:
        AuditEntry.objects.bulk_create(entries)
    return entries


def verify_chain() -> list[str]:
    """Return the problems found walking the chain in order; an empty list means intact.

    Besides the links, each entry's keyed hash: an unsigned entry (a plain hash anyone can
    compute) is a forgery, and so is one signed with a key this server does not hold."""
    problems: list[str] = []
    previous = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != previous:
            problems.append(f"entry {entry.pk}: previous hash does not match (row missing?)")
        if entry.key_id is None:
            problems.append(f"entry {entry.pk}: not signed with the audit key (forged?)")
            previous = entry.hash
            continue
        try:
            intact = hmac.compare_digest(entry_hash(entry), entry.hash)
        except signing.UnknownKeyError:
            problems.append(f"entry {entry.pk}: signed with an unknown key {entry.key_id}")
        else:
            if not intact:
                problems.append(f"entry {entry.pk}: content does not match its hash (row altered)")
        previous = entry.hash
    return problems


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
