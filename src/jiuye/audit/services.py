"""Writing to the audit log: every service write calls :func:`audit_record`."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jiuye.audit.models import AuditEntry
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


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry).encode("utf-8")).hexdigest()


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
    _lock_chain()
    last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    actor_id = getattr(actor, "pk", None)
    entry = AuditEntry(
        at=at or timezone.now(),
        actor_id=actor_id,
        actor_name=getattr(actor, "username", None) or "system",
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
        object_repr=mask_text(str(obj))[:200] if obj is not None else "",
        unit_path=getattr(unit, "path", "") or "",
        changes=_jsonable(changes or {}),
        result=result,
        prev_hash=last or GENESIS,
    )
    entry.hash = entry_hash(entry)
    entry.save()
    return entry


def verify_chain() -> list[str]:
    """Return the problems found walking the chain in order; an empty list means intact."""
    problems: list[str] = []
    previous = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != previous:
            problems.append(f"entry {entry.pk}: previous hash does not match (row missing?)")
        if entry_hash(entry) != entry.hash:
            problems.append(f"entry {entry.pk}: content does not match its hash (row altered)")
        previous = entry.hash
    return problems


def audit_export(
    *,
    actor: Any | None,
    what: str,
    filters: dict[str, Any],
    rows: int,
    unit: Any | None = None,
) -> AuditEntry:
    """Record an export of personal data: what was exported, with which filter, how many rows.

    Call it in the same transaction that reads the rows, before the file leaves the server.
    """
    return audit_record(
        actor=actor,
        action="export",
        unit=unit,
        changes={"what": what, "filters": filters, "rows": rows},
    )
