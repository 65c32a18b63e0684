"""Whether the aggregates may be read (:class:`~jiuye.standards.models.AggregateState`).

Every row of the source tables is accounted for either by the maxima recorded at the last
build, refresh or compaction (``max_*``: every row up to them) or, above them, by an
:class:`~jiuye.standards.models.AggregateSeen` row that the upkeep appends in the writer's own
transaction. A writer that bypasses the services (a bulk loader, raw SQL) leaves rows above
the maxima without one, and a bulk load that replaces everything (``BULK_ACTIONS``) leaves an
audit entry: either makes the aggregates stale, and until ``aggregates_rebuild`` runs (or,
after a load that names the households it wrote, ``aggregates_refresh``) the indicators fall
back to direct SQL (slower, same numbers).

No writer updates the state row: appends of the seen rows never wait for one another, so
writers of different communities do not serialise here. The maxima move up (and the seen rows
below them are forgotten) in a short transaction of their own after some commits
(:func:`compact`), which keeps the freshness check proportional to recent writes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef

from jiuye.audit.models import AuditEntry
from jiuye.casework.models import ServiceRecord
from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
from jiuye.standards.models import AggregateSeen, AggregateState
from jiuye.units.sharding import citus

logger = logging.getLogger(__name__)

# Audit actions of writers that bypass the services (their rows make the aggregates stale).
# (A ledger import refreshes the households it wrote in its own transaction: see
# ``standards.receivers``.)
BULK_ACTIONS = ("demo.seed", "system.restore")

SOURCES: dict[str, Any] = {
    "household": Household,
    "person": Person,
    "event": StatusEvent,
    "recognition": DifficultyRecognition,
    "service": ServiceRecord,
}
"""The tables the aggregates are computed from, by the key of their ``max_*`` column."""

COMPACT_EVERY = 256
"""A writer that records a row whose id is a multiple of this compacts after its commit."""


def state(*, for_update: bool = False, skip_locked: bool = False) -> AggregateState | None:
    qs = AggregateState.objects.filter(pk=1)
    if for_update and connection.vendor == "postgresql":
        qs = qs.select_for_update(skip_locked=skip_locked)
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


def unseen(key: str, above: int, upto: int | None = None) -> Any:
    """The rows of source ``key`` above ``above`` (up to ``upto``) that no upkeep recorded."""
    rows = SOURCES[key].objects.filter(pk__gt=above)
    if upto is not None:
        rows = rows.filter(pk__lte=upto)
    if citus():
        # The seen rows are a table of the coordinator, and Citus correlates no sub-query with
        # one: a plain NOT IN, which it reads first and sends to the shards.
        ids = AggregateSeen.objects.filter(source=key).values("row_id")
        return rows.exclude(pk__in=ids).order_by()
    return rows.filter(
        ~Exists(AggregateSeen.objects.filter(source=key, row_id=OuterRef("pk")))
    ).order_by()


def unseen_source(built: AggregateState, upto: dict[str, int] | None = None) -> str | None:
    """The first source with rows above the maxima that no upkeep recorded (None: none)."""
    for key, above in floor(built).items():
        if unseen(key, above, upto[f"max_{key}"] if upto else None).exists():
            return key
    return None


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
    """May the aggregates be read? (7 index lookups; the anti-joins read the rows written
    since the last compaction.)"""
    built = state()
    if built is None or not built.built:
        return Freshness(False, "not built")
    key = unseen_source(built)
    if key is not None:
        return Freshness(False, f"{key} rows written without the services")
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


def forget_seen(maxima: dict[str, int]) -> None:
    """Drop the seen rows at or below the new maxima (``max_*`` → id)."""
    for key in SOURCES:
        AggregateSeen.objects.filter(source=key, row_id__lte=maxima[f"max_{key}"]).delete()


@dataclass
class Seen:
    """The source ids above the stored maxima that one computation read; ``floor`` None:
    collect nothing (a rebuild)."""

    floor: dict[str, int] | None = None
    ids: dict[str, set[int]] = field(default_factory=lambda: {k: set() for k in SOURCES})

    def add(self, key: str, pk: int) -> None:
        if self.floor is not None and pk > self.floor[key]:
            self.ids[key].add(pk)


def record(found: Seen) -> None:
    """Append the rows this computation accounted for to the seen rows (one insert, in the
    writer's transaction; a row recorded already is skipped). Every ``COMPACT_EVERY``-th id
    schedules :func:`compact` after the commit."""
    rows = [AggregateSeen(source=key, row_id=pk) for key, ids in found.ids.items() for pk in ids]
    if not rows:
        return
    AggregateSeen.objects.bulk_create(rows, ignore_conflicts=True)
    if any(row.row_id % COMPACT_EVERY == 0 for row in rows):
        transaction.on_commit(compact, robust=True)


def seen(key: str, pk: int) -> None:
    """A row the aggregates have taken into account (a service record, an empty household)."""
    built = state()
    if built is None or not built.built:
        return
    found = Seen(floor(built))
    found.add(key, pk)
    record(found)


@transaction.atomic
def compact() -> bool:
    """Move the maxima up to the highest ids now present, if every row between the old and the
    new maxima was recorded as seen, and forget the seen rows below them. Skipped (False) when
    another transaction holds the state row (a rebuild, a refresh, another compaction), when
    the aggregates are not built, or when rows were written behind the services' back (they
    stay stale until a rebuild). A short transaction of its own: nothing waits on it for long.
    """
    built = state(for_update=True, skip_locked=True)
    if built is None or not built.built:
        return False
    current = current_max()
    if unseen_source(built, current) is not None:
        return False
    moved = {k: v for k, v in current.items() if v > getattr(built, k)}
    if not moved:
        return False
    AggregateState.objects.filter(pk=1).update(**moved)
    forget_seen({**{f"max_{k}": v for k, v in floor(built).items()}, **moved})
    return True
