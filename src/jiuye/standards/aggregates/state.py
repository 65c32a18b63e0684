"""Whether the aggregates may be read (:class:`~jiuye.standards.models.AggregateState`).

A bulk loader that bypasses the services (the demo seed) leaves rows the aggregates never saw,
found by their ids (above the maxima recorded here), or an audit entry of a bulk action; until
``aggregates_rebuild`` runs (or, after a load that touched few households,
``aggregates_refresh`` with their ids), the indicators fall back to direct SQL (slower, same
numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Max

from jiuye.audit.models import AuditEntry
from jiuye.casework.models import ServiceRecord
from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
from jiuye.standards.models import AggregateState

# Audit actions of writers that bypass the services (their rows make the aggregates stale).
# (A ledger import says so itself: it sends ``statuses_changed(bulk=True)`` when it wrote
# anything, and ``standards.receivers`` marks the aggregates stale; an import that changed
# nothing leaves them fresh.)
BULK_ACTIONS = ("demo.seed", "system.restore")

SOURCES: dict[str, Any] = {
    "household": Household,
    "person": Person,
    "event": StatusEvent,
    "recognition": DifficultyRecognition,
    "service": ServiceRecord,
}
"""The tables the aggregates are computed from, by the key of their ``max_*`` column."""


def state(*, for_update: bool = False) -> AggregateState | None:
    qs = AggregateState.objects.filter(pk=1)
    if for_update and connection.vendor == "postgresql":
        qs = qs.select_for_update()
    return qs.first()


def current_max() -> dict[str, int]:
    """The highest id of each source table, as ``AggregateState``'s ``max_*`` columns."""
    return {
        f"max_{key}": model.objects.aggregate(m=Max("pk"))["m"] or 0
        for key, model in SOURCES.items()
    }


def last_audit_id() -> int:
    return AuditEntry.objects.aggregate(m=Max("pk"))["m"] or 0


def floor(built: AggregateState) -> dict[str, int]:
    return {key: getattr(built, f"max_{key}") for key in SOURCES}


def bulk_load_since(built: AggregateState) -> str | None:
    """The action of a bulk load audited since the aggregates were built (None: none)."""
    return (
        AuditEntry.objects.filter(pk__gt=built.audit_id, action__in=BULK_ACTIONS)
        .values_list("action", flat=True)
        .first()
    )


@dataclass(frozen=True)
class Freshness:
    fresh: bool
    reason: str = ""


def aggregates_freshness() -> Freshness:
    """May the aggregates be read? (6 index lookups.)"""
    built = state()
    if built is None or not built.built:
        return Freshness(False, "not built")
    for key, value in current_max().items():
        if value > getattr(built, key):
            return Freshness(False, f"{key[4:]} rows written without the services")
    if bulk_load_since(built) is not None:
        return Freshness(False, "a bulk load since the last build")
    return Freshness(True)


def aggregates_fresh() -> bool:
    return aggregates_freshness().fresh


def is_built() -> bool:
    built = state()
    return bool(built and built.built)


def aggregates_invalidate() -> None:
    """Mark the aggregates stale until the next ``aggregates_rebuild`` (a writer that bypassed
    the services, a bulk load too large to refresh in place). Readers fall back to the
    registry's own SQL meanwhile, and a later refresh cannot declare them fresh again: it finds
    them "not built"."""
    AggregateState.objects.filter(pk=1).update(built=False)


@dataclass
class Seen:
    """The source ids above the stored maxima that one computation read; ``floor`` None:
    collect nothing (a rebuild)."""

    floor: dict[str, int] | None = None
    ids: dict[str, set[int]] = field(default_factory=lambda: {k: set() for k in SOURCES})

    def add(self, key: str, pk: int) -> None:
        if self.floor is not None and pk > self.floor[key]:
            self.ids[key].add(pk)


def bump(seen: Seen) -> None:
    """Record the highest ids the aggregates have now seen, if every row between the stored
    maximum and them was seen; otherwise rows were written behind the services' back (a bulk
    loader that announced only some households): the aggregates are stale from now on."""
    if not any(seen.ids.values()):
        return
    built = state(for_update=True)
    if built is None or not built.built:
        return
    updates: dict[str, int] = {}
    for key, ids in seen.ids.items():
        stored = getattr(built, f"max_{key}")
        new = {pk for pk in ids if pk > stored}
        if not new:
            continue
        top = max(new)
        present = SOURCES[key].objects.filter(pk__gt=stored, pk__lte=top).count()
        if present != len(new):
            aggregates_invalidate()
            return
        updates[f"max_{key}"] = top
    if updates:
        AggregateState.objects.filter(pk=1).update(**updates)


def seen(key: str, pk: int) -> None:
    """A row the aggregates have taken into account (a service record, an empty household)."""
    built = state()
    if built is None or not built.built:
        return
    found = Seen(floor(built))
    found.add(key, pk)
    bump(found)
