"""Incremental aggregates: every household's and every community's counts over time.

The status indicators of DOMAIN §5 (labor force, employed, difficult persons, zero and
pure-farming families, urban registered unemployed, dibao members) are sums over households of
a few counts that change only on a handful of days: a status event, a 16th birthday, a
retirement day, a recognition beginning or ending. So each household's counts are stored as a
*timeline* (:class:`~jiuye.standards.models.HouseholdTimeline`: one row per day they change),
and each community's as the sum of its households' (:class:`CommunityTimeline`). The counts of
every community at any date D are then one indexed lookup per community (the row in force at
D), instead of a scan of every person and event.

- **Definitions**: one household's timeline is swept with ``registry.classification``'s own
  predicates (:func:`~jiuye.registry.classification.in_labor_force`, the employed statuses,
  the zero / pure-farming household rules), so there is no second definition of labor force or
  zero family. The rebuild computes every household's timeline at once in SQL
  (:func:`household_rows_sql`) from the classification's SQL form of the same definitions (its
  status lists and household rules). Tests check the two forms give the same rows (on random
  writes, edge cases and a seeded city) and the aggregates against the aggregated SQL of the
  classification at every change day.
- **Upkeep**: ``standards.receivers`` recomputes the timelines of the households a write
  touched (``registry.signals.statuses_changed``, saves of persons, households and
  recognitions) and applies the *difference* to the community timeline in place (rows from the
  first changed day on get the delta), all inside the writer's transaction. Service records
  keep :class:`ServiceDay` (surveys, trainings, valid complaints per community and day).
- **Trust**: :func:`aggregates_fresh` says whether the aggregates may be read. A bulk loader
  that bypasses the services (the demo seed) leaves rows the aggregates never saw (found by
  their ids) or an audit entry of a bulk action; until :func:`aggregates_rebuild` runs (or,
  after a load that touched few households, :func:`aggregates_refresh` with their ids), the
  indicators fall back to direct SQL (slower, same numbers).
- **Cost** (PostgreSQL, 1M persons): the rebuild is three INSERT … SELECT statements (household
  timelines, community timelines, service days) with the timelines' indexes lifted and rebuilt
  after; about 20 s of server CPU, no rows through Python.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from jiuye.audit.models import AuditEntry
from jiuye.casework.models import THREE_MODES, ServiceKind, ServiceRecord, SurveyOutcome
from jiuye.lib import bulkload
from jiuye.registry import classification
from jiuye.registry.classification import in_labor_force
from jiuye.registry.models import (
    EMPLOYED,
    DifficultyRecognition,
    Household,
    HukouType,
    Person,
    Status,
    StatusEvent,
)
from jiuye.standards.models import (
    VECTOR_FIELDS,
    AggregateState,
    CommunityTimeline,
    HouseholdTimeline,
    ServiceDay,
)
from jiuye.units.models import Level, Unit

Vector = tuple[int, ...]
N = len(VECTOR_FIELDS)
ZERO: Vector = (0,) * N
_MEMBER_FIELDS = 9  # the first nine vector fields are sums over members
_ZERO_MEMBER: Vector = (0,) * _MEMBER_FIELDS
_URBAN = str(HukouType.URBAN)
_FARMING = str(Status.FARMING)
_UNEMPLOYED = str(Status.UNEMPLOYED)
_EMPLOYED = frozenset(str(s) for s in EMPLOYED)
_SATISFIED = (str(SurveyOutcome.VERY_SATISFIED), str(SurveyOutcome.SATISFIED))
_THREE_MODES = tuple(sorted(str(m) for m in THREE_MODES))

# Audit actions of writers that bypass the services (their rows make the aggregates stale).
# (A ledger import says so itself: it sends ``statuses_changed(bulk=True)`` when it wrote
# anything, and ``standards.receivers`` marks the aggregates stale; an import that changed
# nothing leaves them fresh.)
BULK_ACTIONS = ("demo.seed", "system.restore")

_CHUNK = 500

# ---------------------------------------------------------------------------------------------
# One household, in Python
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What decides one member's part in the household's counts over time."""

    work_from: date
    retire_on: date
    able: bool
    willing: bool
    urban: bool  # the person's hukou
    events: Sequence[tuple[date, str, bool]]  # (since, status, registered), sorted by since
    difficult: Sequence[tuple[date, date | None]] = ()  # recognitions (from, ended_on)


def _member_state(m: MemberFacts, sinces: list[date], day: date) -> Vector:
    index = bisect.bisect_right(sinces, day)
    status = m.events[index - 1][1] if index else None
    if not in_labor_force(
        work_from=m.work_from,
        retire_on=m.retire_on,
        able=m.able,
        willing=m.willing,
        status=status,
        on=day,
    ):
        return _ZERO_MEMBER
    employed = status in _EMPLOYED
    unemployed = status == _UNEMPLOYED
    registered = unemployed and m.events[index - 1][2]
    difficult = any(start <= day and (end is None or end > day) for start, end in m.difficult)
    return (
        1,
        int(employed),
        int(status == _FARMING),
        int(unemployed),
        int(registered),
        int(m.urban and employed),
        int(m.urban and registered),
        int(difficult),
        int(difficult and employed),
    )


def _member_changes(m: MemberFacts) -> Iterator[tuple[date, Vector]]:
    """(day, change of this member's counts) on each day they change."""
    sinces = [since for since, _, _ in m.events]
    points = {m.work_from, m.retire_on, *sinces}
    for start, end in m.difficult:
        points.add(start)
        if end is not None:
            points.add(end)
    previous = _ZERO_MEMBER
    for day in sorted(points):
        state = _member_state(m, sinces, day)
        if state != previous:
            yield day, tuple(a - b for a, b in zip(state, previous, strict=True))
            previous = state


def household_vector(sums: Sequence[int], *, urban: bool, dibao: bool) -> Vector:
    """A household's full count vector from its member sums (the household rules of
    ``registry.classification``: zero = labor force and nobody employed; pure farming = someone
    employed and every employed member farming)."""
    labor_force, employed, farming = sums[0], sums[1], sums[2]
    zero = int(labor_force > 0 and employed == 0)
    return (
        *sums[:_MEMBER_FIELDS],
        zero,
        zero if urban else 0,
        int(employed > 0 and employed == farming),
        labor_force if dibao else 0,
        labor_force - employed if dibao else 0,
    )


def household_timeline(
    members: Iterable[MemberFacts], *, urban: bool, dibao: bool
) -> list[tuple[date, Vector]]:
    """The household's counts from each day they change on (before the first row: all zero).

    ``urban`` and ``dibao`` are the household's hukou and dibao standing (current values)."""
    changes: dict[date, list[int]] = {}
    for member in members:
        for day, delta in _member_changes(member):
            acc = changes.get(day)
            if acc is None:
                changes[day] = list(delta)
            else:
                for i, d in enumerate(delta):
                    acc[i] += d
    rows: list[tuple[date, Vector]] = []
    running = [0] * _MEMBER_FIELDS
    previous = ZERO
    for day in sorted(changes):
        for i, d in enumerate(changes[day]):
            running[i] += d
        vector = household_vector(running, urban=urban, dibao=dibao)
        if vector != previous:
            rows.append((day, vector))
            previous = vector
    return rows


def vector_at(rows: Sequence[tuple[date, Vector]], day: date) -> Vector:
    """The counts in force at ``day`` of a timeline (rows sorted by day)."""
    index = bisect.bisect_right([d for d, _ in rows], day)
    return rows[index - 1][1] if index else ZERO


def derivative(rows: Sequence[tuple[date, Vector]], sign: int = 1) -> dict[date, list[int]]:
    """The day-by-day changes of a timeline (``sign`` -1: of its negation)."""
    out: dict[date, list[int]] = {}
    previous = ZERO
    for day, vector in rows:
        out[day] = [sign * (a - b) for a, b in zip(vector, previous, strict=True)]
        previous = vector
    return out


def _add_into(target: dict[date, list[int]], changes: dict[date, list[int]]) -> None:
    for day, delta in changes.items():
        acc = target.get(day)
        if acc is None:
            target[day] = list(delta)
        else:
            for i, d in enumerate(delta):
                acc[i] += d


# ---------------------------------------------------------------------------------------------
# Reading the registry for a set of households
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HouseholdResult:
    community_id: int
    rows: list[tuple[date, Vector]]


_KEYS = ("household", "person", "event", "recognition", "service")


@dataclass
class _Seen:
    """The source ids above the stored maxima that one computation read (for
    :class:`AggregateState`); ``floor`` None: collect nothing (a rebuild)."""

    floor: dict[str, int] | None = None
    ids: dict[str, set[int]] = field(default_factory=lambda: {k: set() for k in _KEYS})

    def add(self, key: str, pk: int) -> None:
        if self.floor is not None and pk > self.floor[key]:
            self.ids[key].add(pk)


def _timelines_from(
    households: Iterable[tuple[int, int, str, bool]],
    persons: Iterable[tuple[int, int, date, date, bool, bool, str]],
    events: Iterable[tuple[int, int, date, str, bool]],
    recognitions: Iterable[tuple[int, int, date, date | None]],
    seen: _Seen,
) -> dict[int, HouseholdResult]:
    by_person_events: dict[int, list[tuple[date, str, bool]]] = defaultdict(list)
    for event_id, person_id, since, status, registered in events:
        by_person_events[person_id].append((since, status, registered))
        seen.add("event", event_id)
    by_person_rec: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for rec_id, person_id, start, end in recognitions:
        by_person_rec[person_id].append((start, end))
        seen.add("recognition", rec_id)
    members: dict[int, list[MemberFacts]] = defaultdict(list)
    for person_id, household_id, work_from, retire_on, able, willing, hukou in persons:
        seen.add("person", person_id)
        events_of = by_person_events.get(person_id, [])
        events_of.sort()
        members[household_id].append(
            MemberFacts(
                work_from=work_from,
                retire_on=retire_on,
                able=able,
                willing=willing,
                urban=hukou == _URBAN,
                events=events_of,
                difficult=by_person_rec.get(person_id, ()),
            )
        )
    found = {}
    for household_id, community_id, hukou, dibao in households:
        seen.add("household", household_id)
        found[household_id] = HouseholdResult(
            community_id,
            household_timeline(members.get(household_id, []), urban=hukou == _URBAN, dibao=dibao),
        )
    return found


def compute_households(
    household_ids: Sequence[int], seen: _Seen | None = None
) -> dict[int, HouseholdResult]:
    """The timelines of these households from the registry as it is now (4 queries per 500)."""
    seen = seen if seen is not None else _Seen()
    found: dict[int, HouseholdResult] = {}
    ids = sorted(set(household_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        households = Household.objects.filter(pk__in=chunk).values_list(
            "pk", "community_id", "hukou_type", "dibao"
        )
        persons = list(
            Person.objects.filter(household_id__in=chunk)
            .order_by()
            .values_list(
                "pk", "household_id", "work_from", "retire_on", "able", "willing", "hukou_type"
            )
        )
        person_ids = [p[0] for p in persons]
        events: list[Any] = []
        recognitions: list[Any] = []
        for pstart in range(0, len(person_ids), _CHUNK):
            pchunk = person_ids[pstart : pstart + _CHUNK]
            events += (
                StatusEvent.objects.filter(person_id__in=pchunk)
                .order_by()
                .values_list("pk", "person_id", "since", "status", "registered")
            )
            recognitions += (
                DifficultyRecognition.objects.filter(person_id__in=pchunk)
                .order_by()
                .values_list("pk", "person_id", "recognized_on", "ended_on")
            )
        found.update(_timelines_from(households, persons, events, recognitions, seen))
    return found


def stored_households(household_ids: Sequence[int]) -> dict[int, HouseholdResult]:
    """The stored timelines of these households."""
    found: dict[int, HouseholdResult] = {}
    ids = sorted(set(household_ids))
    fields = ("household_id", "community_id", "valid_from", *VECTOR_FIELDS)
    for start in range(0, len(ids), _CHUNK):
        rows = (
            HouseholdTimeline.objects.filter(household_id__in=ids[start : start + _CHUNK])
            .order_by("household_id", "valid_from")
            .values_list(*fields)
        )
        for household_id, community_id, valid_from, *vector in rows:
            result = found.get(household_id)
            if result is None:
                result = found[household_id] = HouseholdResult(community_id, [])
            result.rows.append((valid_from, tuple(vector)))
    return found


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

_HT = HouseholdTimeline._meta.db_table
_CT = CommunityTimeline._meta.db_table
_SD = ServiceDay._meta.db_table
_HT_COLUMNS = ("household_id", "community_id", "valid_from", "valid_until", *VECTOR_FIELDS)
_CT_COLUMNS = ("community_id", "valid_from", "valid_until", *VECTOR_FIELDS)


def _sql_value(value: Any) -> Any:
    if connection.vendor == "sqlite" and isinstance(value, date):
        return value.isoformat()
    return value


def _write_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Append rows: COPY on PostgreSQL, ``executemany`` elsewhere."""
    count = 0
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(_sql_value(v) for v in row))
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def household_rows(household_id: int, result: HouseholdResult) -> Iterator[tuple[Any, ...]]:
    rows = result.rows
    for index, (day, vector) in enumerate(rows):
        until = rows[index + 1][0] if index + 1 < len(rows) else None
        yield (household_id, result.community_id, day, until, *vector)


def _lock_community(community_id: int) -> None:
    """Serialise writers of one community's timeline (PostgreSQL; SQLite has one writer)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x5354_0000_0000 + community_id])


def _split(cursor: Any, community_id: int, day: date) -> None:
    """Make sure a community row starts on ``day`` (copying the counts in force then)."""
    cols = ", ".join(VECTOR_FIELDS)
    cursor.execute(
        f"SELECT id, valid_from, valid_until, {cols} FROM {_CT} "
        "WHERE community_id = %s AND valid_from <= %s ORDER BY valid_from DESC LIMIT 1",
        [community_id, _sql_value(day)],
    )
    row = cursor.fetchone()
    placeholders = ", ".join(["%s"] * (3 + N))
    insert = f"INSERT INTO {_CT} (community_id, valid_from, valid_until, {cols}) VALUES "
    if row is not None:
        row_id, valid_from, valid_until, *vector = row
        if str(valid_from) == str(_sql_value(day)) or valid_from == day:
            return
        cursor.execute(
            insert + f"({placeholders})",
            [community_id, _sql_value(day), valid_until, *vector],
        )
        cursor.execute(
            f"UPDATE {_CT} SET valid_until = %s WHERE id = %s", [_sql_value(day), row_id]
        )
        return
    cursor.execute(
        f"SELECT valid_from FROM {_CT} WHERE community_id = %s AND valid_from > %s "
        "ORDER BY valid_from LIMIT 1",
        [community_id, _sql_value(day)],
    )
    following = cursor.fetchone()
    cursor.execute(
        insert + f"({placeholders})",
        [community_id, _sql_value(day), following[0] if following else None, *ZERO],
    )


def apply_community_changes(community_id: int, changes: dict[date, list[int]]) -> int:
    """Add a change function (day → change of the counts from that day on) to a community's
    timeline in place: rows are split where the change starts, then every row of each interval
    gets that interval's cumulative change. Returns the number of UPDATE statements."""
    days = sorted(day for day, delta in changes.items() if any(delta))
    if not days:
        return 0
    _lock_community(community_id)
    statements = 0
    assignments = ", ".join(f"{f} = {f} + %s" for f in VECTOR_FIELDS)
    with connection.cursor() as cursor:
        for day in days:
            _split(cursor, community_id, day)
        running = [0] * N
        for index, day in enumerate(days):
            for i, d in enumerate(changes[day]):
                running[i] += d
            if not any(running):
                continue
            params: list[Any] = [*running, community_id, _sql_value(day)]
            where = "community_id = %s AND valid_from >= %s"
            if index + 1 < len(days):
                where += " AND valid_from < %s"
                params.append(_sql_value(days[index + 1]))
            cursor.execute(f"UPDATE {_CT} SET {assignments} WHERE {where}", params)
            statements += 1
    return statements


# ---------------------------------------------------------------------------------------------
# State: built, fresh
# ---------------------------------------------------------------------------------------------


def _state(*, for_update: bool = False) -> AggregateState | None:
    qs = AggregateState.objects.filter(pk=1)
    if for_update and connection.vendor == "postgresql":
        qs = qs.select_for_update()
    return qs.first()


def _current_max() -> dict[str, int]:
    return {
        "max_household": Household.objects.aggregate(m=Max("pk"))["m"] or 0,
        "max_person": Person.objects.aggregate(m=Max("pk"))["m"] or 0,
        "max_event": StatusEvent.objects.aggregate(m=Max("pk"))["m"] or 0,
        "max_recognition": DifficultyRecognition.objects.aggregate(m=Max("pk"))["m"] or 0,
        "max_service": ServiceRecord.objects.aggregate(m=Max("pk"))["m"] or 0,
    }


@dataclass(frozen=True)
class Freshness:
    fresh: bool
    reason: str = ""


def aggregates_freshness() -> Freshness:
    """May the aggregates be read? (6 index lookups.)"""
    state = _state()
    if state is None or not state.built:
        return Freshness(False, "not built")
    current = _current_max()
    for key, value in current.items():
        if value > getattr(state, key):
            return Freshness(False, f"{key[4:]} rows written without the services")
    if AuditEntry.objects.filter(pk__gt=state.audit_id, action__in=BULK_ACTIONS).exists():
        return Freshness(False, "a bulk load since the last build")
    return Freshness(True)


def aggregates_fresh() -> bool:
    return aggregates_freshness().fresh


_SOURCES: dict[str, Any] = {
    "household": Household,
    "person": Person,
    "event": StatusEvent,
    "recognition": DifficultyRecognition,
    "service": ServiceRecord,
}


def _floor(state: AggregateState) -> dict[str, int]:
    return {key: getattr(state, f"max_{key}") for key in _KEYS}


def _bump(seen: _Seen) -> None:
    """Record the highest ids the aggregates have now seen, if every row between the stored
    maximum and them was seen; otherwise rows were written behind the services' back (a bulk
    loader that announced only some households): the aggregates are stale from now on."""
    if not any(seen.ids.values()):
        return
    state = _state(for_update=True)
    if state is None or not state.built:
        return
    updates: dict[str, int] = {}
    for key, ids in seen.ids.items():
        stored = getattr(state, f"max_{key}")
        new = {pk for pk in ids if pk > stored}
        if not new:
            continue
        top = max(new)
        present = _SOURCES[key].objects.filter(pk__gt=stored, pk__lte=top).count()
        if present != len(new):
            AggregateState.objects.filter(pk=1).update(built=False)
            return
        updates[f"max_{key}"] = top
    if updates:
        AggregateState.objects.filter(pk=1).update(**updates)


def is_built() -> bool:
    state = _state()
    return bool(state and state.built)


# ---------------------------------------------------------------------------------------------
# Upkeep
# ---------------------------------------------------------------------------------------------


def households_changed(household_ids: Iterable[int]) -> int:
    """Bring these households' timelines (and their communities') in line with the registry.
    A no-op while the aggregates are not built. Returns the households whose timeline changed."""
    ids = sorted({int(i) for i in household_ids if i is not None})
    state = _state() if ids else None
    if state is None or not state.built:
        return 0
    seen = _Seen(_floor(state))
    new = compute_households(ids, seen)
    old = stored_households(ids)
    community_changes: dict[int, dict[date, list[int]]] = defaultdict(dict)
    changed = []
    for household_id in ids:
        before, after = old.get(household_id), new.get(household_id)
        if before is not None and after is not None and before == after:
            continue
        if before is None and (after is None or not after.rows):
            continue
        changed.append(household_id)
        if before is not None:
            _add_into(community_changes[before.community_id], derivative(before.rows, -1))
        if after is not None:
            _add_into(community_changes[after.community_id], derivative(after.rows))
    if changed:
        HouseholdTimeline.objects.filter(household_id__in=changed).delete()
        _write_rows(
            _HT,
            _HT_COLUMNS,
            (
                row
                for household_id in changed
                if household_id in new
                for row in household_rows(household_id, new[household_id])
            ),
        )
        points = sum(len(changes) for changes in community_changes.values())
        if points > REBUILD_POINTS:
            # Many change days (a large import): recompute those communities' timelines from
            # their household rows in one statement instead of splitting rows day by day.
            rebuild_communities(sorted(community_changes))
        else:
            for community_id in sorted(community_changes):
                apply_community_changes(community_id, community_changes[community_id])
    _bump(seen)
    return len(changed)


def service_contribution(
    kind: str, outcome: str, training_mode: str, valid: bool | None
) -> tuple[int, int, int, int, int]:
    """(surveys, satisfied, trainings, three-mode trainings, valid complaints) of one record."""
    if kind == ServiceKind.SURVEY:
        return (1, int(outcome in _SATISFIED), 0, 0, 0)
    if kind == ServiceKind.TRAINING:
        return (0, 0, 1, int(training_mode in _THREE_MODES), 0)
    if kind == ServiceKind.COMPLAINT:
        return (0, 0, 0, 0, int(bool(valid)))
    return (0, 0, 0, 0, 0)


_SERVICE_COLUMNS = (
    "surveys",
    "satisfied",
    "trainings",
    "trainings_three_modes",
    "complaints_valid",
)


def service_day_add(community_id: int, day: date, counts: Sequence[int], sign: int = 1) -> None:
    """Add (or, ``sign`` -1, take away) one record's counts to its community and day."""
    if not any(counts) or not is_built():
        return
    values = [sign * c for c in counts]
    cols = ", ".join(_SERVICE_COLUMNS)
    updates = ", ".join(f"{c} = {_SD}.{c} + excluded.{c}" for c in _SERVICE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_SD} (community_id, day, {cols}) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            f"ON CONFLICT (community_id, day) DO UPDATE SET {updates}",
            [community_id, _sql_value(day), *values],
        )


def seen(key: str, pk: int) -> None:
    """A row the aggregates have taken into account (a service record, an empty household)."""
    state = _state()
    if state is None or not state.built:
        return
    found = _Seen(_floor(state))
    found.add(key, pk)
    _bump(found)


def person_moved(person_id: int, old_community: int, new_community: int) -> None:
    """A person's service records now count for their new community."""
    if old_community == new_community or not is_built():
        return
    rows = ServiceRecord.objects.filter(person_id=person_id).values_list(
        "on", "kind", "outcome", "training_mode", "valid"
    )
    for day, kind, outcome, mode, valid in rows:
        counts = service_contribution(kind, outcome, mode, valid)
        service_day_add(old_community, day, counts, -1)
        service_day_add(new_community, day, counts, 1)


# ---------------------------------------------------------------------------------------------
# Rebuild from scratch
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RebuildSummary:
    households: int
    household_rows: int
    community_rows: int
    service_rows: int
    seconds: float


def _truncate(*models: Any) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models:
            table = qn(model._meta.db_table)
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {table}")
            else:
                cursor.execute(f"DELETE FROM {table}")


# The member counts of VECTOR_FIELDS as bits of one integer per (person, day), so a person's
# changes are found with one LAG instead of nine. Bit i is VECTOR_FIELDS[i]; the household rules
# (zero, pure farming, dibao) are applied to the sums afterwards.
_EMP_SQL = f"e.status IN ({classification._EMPLOYED_SQL})"
_UNEMP_SQL = f"e.status = '{classification._UNEMPLOYED}'"
_MEMBER_BITS = (
    ("labor_force", "1 = 1"),
    ("employed", _EMP_SQL),
    ("farming", f"e.status = '{classification._FARMING}'"),
    ("unemployed", _UNEMP_SQL),
    ("registered", f"{_UNEMP_SQL} AND e.registered"),
    ("urban_employed", f"m.urban AND {_EMP_SQL}"),
    ("urban_registered", f"m.urban AND {_UNEMP_SQL} AND e.registered"),
    ("difficult", None),  # bit 7 and 8: in the SQL below (one recognition probe per row)
    ("difficult_employed", None),
)
assert tuple(name for name, _ in _MEMBER_BITS) == VECTOR_FIELDS[:_MEMBER_FIELDS]


def household_rows_sql(household_filter: str = "") -> str:
    """``INSERT … SELECT`` of every household's timeline (those of the persons matching
    ``household_filter``, a condition on ``p.household_id``), set-based, on SQLite and
    PostgreSQL alike: the same rows :func:`household_timeline` computes one household at a time.

    1. ``m``: members who can ever be in the labor force (able and willing: the others count
       for nothing at any date);
    2. ``pt``: each member's change days (16th birthday, retirement day, status events,
       recognitions beginning and ending), kept within their working age: before it they count
       for nothing, and from the retirement day on nothing either;
    3. ``st``: the member's counts on each such day, as bits of one integer, with the status in
       force (the ``until`` range, as ``registry.classification``'s SQL picks it) and the
       classification's labor-force, employed, farming and unemployed lists;
    4. the member's change from the day before (one LAG), summed per household and day;
    5. the household's running sums, and the household rules (zero family, pure farming, dibao)
       exactly as the classification writes them (``_ZERO_SQL``, ``_PURE_FARMING_SQL``).
    """
    person = Person._meta.db_table
    event = StatusEvent._meta.db_table
    recognition = DifficultyRecognition._meta.db_table
    household = Household._meta.db_table
    where = f"AND {household_filter}" if household_filter else ""
    # Events and recognitions of a subset: by person (an index probe each); of everyone: all.
    own = "WHERE person_id IN (SELECT id FROM m)" if household_filter else ""
    own_ended = f"{own} AND" if own else "WHERE"
    code = " + ".join(
        f"CASE WHEN {cond} THEN {1 << bit} ELSE 0 END"
        for bit, (_, cond) in enumerate(_MEMBER_BITS)
        if cond is not None
    )
    difficult = (
        f"m.recognised AND EXISTS (SELECT 1 FROM {recognition} r WHERE r.person_id = m.id "
        "AND r.recognized_on <= pt.day AND (r.ended_on IS NULL OR r.ended_on > pt.day))"
    )
    names = [name for name, _ in _MEMBER_BITS]
    difficult_bit = 1 << names.index("difficult")
    difficult_employed_bit = 1 << names.index("difficult_employed")
    # The change of bit i: ((code & 2^i) - (prev & 2^i)) / 2^i is -1, 0 or 1.
    deltas = ", ".join(
        f"CAST(SUM(((code & {1 << bit}) - (prev & {1 << bit})) / {1 << bit}) AS INTEGER) AS {name}"
        for bit, name in enumerate(names)
    )
    changed = " OR ".join(
        f"CAST(SUM(((code & {1 << bit}) - (prev & {1 << bit})) / {1 << bit}) AS INTEGER) <> 0"
        for bit in range(len(names))
    )
    # hh.farming_employed: the name the classification's pure-farming rule reads.
    running = ", ".join(
        f"SUM({name}) OVER w AS {'farming_employed' if name == 'farming' else name}"
        for name in names
    )
    zero, pure = classification._ZERO_SQL, classification._PURE_FARMING_SQL
    member_cols = ", ".join(
        f"hh.{'farming_employed' if name == 'farming' else name}" for name in names
    )
    return f"""
    INSERT INTO {_HT} ({", ".join(_HT_COLUMNS)})
    WITH m AS (
        SELECT p.id, p.household_id, p.work_from, p.retire_on,
               p.hukou_type = '{_URBAN}' AS urban,
               EXISTS (SELECT 1 FROM {recognition} r WHERE r.person_id = p.id) AS recognised
        FROM {person} p
        WHERE p.able AND p.willing {where}
    ),
    pt AS (
        SELECT id AS person_id, work_from AS day FROM m
        UNION ALL SELECT id, retire_on FROM m
        UNION ALL SELECT person_id, since FROM {event} {own}
        UNION ALL SELECT person_id, recognized_on FROM {recognition} {own}
        UNION ALL SELECT person_id, ended_on FROM {recognition} {own_ended} ended_on IS NOT NULL
    ),
    st AS (
        SELECT m.household_id, m.id AS person_id, pt.day,
               CASE WHEN pt.day >= m.retire_on
                         OR (e.status IS NOT NULL
                             AND e.status IN ({classification._OUTSIDE_SQL})) THEN 0
                    WHEN {difficult}
                         THEN {code} + {difficult_bit}
                              + CASE WHEN {_EMP_SQL} THEN {difficult_employed_bit} ELSE 0 END
                    ELSE {code} END AS code
        FROM pt
        JOIN m ON m.id = pt.person_id AND pt.day >= m.work_from AND pt.day <= m.retire_on
        LEFT JOIN {event} e
               ON e.person_id = m.id AND e.since <= pt.day
              AND (e.until IS NULL OR e.until > pt.day)
    ),
    md AS (
        SELECT household_id, day, code,
               COALESCE(LAG(code) OVER (PARTITION BY person_id ORDER BY day), 0) AS prev
        FROM st
    ),
    hd AS (
        SELECT household_id, day, {deltas}
        FROM md WHERE code <> prev
        GROUP BY household_id, day
        HAVING {changed}
    ),
    hh AS (
        SELECT household_id, day, LEAD(day) OVER w AS until, {running}
        FROM hd
        WINDOW w AS (PARTITION BY household_id ORDER BY day)
    )
    SELECT hh.household_id, h.community_id, hh.day, hh.until, {member_cols},
           CASE WHEN {zero} THEN 1 ELSE 0 END,
           CASE WHEN {zero} AND h.hukou_type = '{_URBAN}' THEN 1 ELSE 0 END,
           CASE WHEN {pure} THEN 1 ELSE 0 END,
           CASE WHEN h.dibao THEN hh.labor_force ELSE 0 END,
           CASE WHEN h.dibao THEN hh.labor_force - hh.employed ELSE 0 END
    FROM hh JOIN {household} h ON h.id = hh.household_id"""


def community_rows_sql(where: str = "") -> str:
    """Every community's timeline (those matching ``where`` on the household rows) as the
    running sum of its households' changes: one INSERT … SELECT, on SQLite and PostgreSQL alike.

    A household row holding ``v`` from ``valid_from`` up to ``valid_until`` changes its
    community's counts by ``+v`` on the first day and by ``-v`` on the second, so the changes
    are a plain GROUP BY (no per-household LAG); days whose changes cancel out get no row."""
    cols = ", ".join(VECTOR_FIELDS)
    minus = ", ".join(f"-{f}" for f in VECTOR_FIELDS)
    # CAST: a running SUM over bigint would be numeric on PostgreSQL (several times slower).
    sums = ", ".join(f"CAST(SUM({f}) AS INTEGER) AS {f}" for f in VECTOR_FIELDS)
    changed = " OR ".join(f"CAST(SUM({f}) AS INTEGER) <> 0" for f in VECTOR_FIELDS)
    # One window for the running sums and LEAD: one sort, one pass (PostgreSQL evaluates
    # differently framed windows in separate passes).
    running = ", ".join(f"SUM({f}) OVER w AS {f}" for f in VECTOR_FIELDS)
    until_where = f"{where} AND" if where else "WHERE"
    return f"""
    INSERT INTO {_CT} (community_id, valid_from, valid_until, {cols})
    SELECT community_id, day, LEAD(day) OVER w, {running}
    FROM (
        SELECT community_id, day, {sums}
        FROM (
            SELECT community_id, valid_from AS day, {cols} FROM {_HT} {where}
            UNION ALL
            SELECT community_id, valid_until, {minus} FROM {_HT}
            {until_where} valid_until IS NOT NULL
        ) d
        GROUP BY community_id, day
        HAVING {changed}
    ) g
    WINDOW w AS (PARTITION BY community_id ORDER BY day ROWS UNBOUNDED PRECEDING)"""


REBUILD_POINTS = 5000  # above this many (community, day) changes, recompute the communities


def rebuild_communities(community_ids: Sequence[int]) -> None:
    """Recompute these communities' timelines from their household rows."""
    for start in range(0, len(community_ids), _CHUNK):
        chunk = list(community_ids[start : start + _CHUNK])
        for community_id in chunk:
            _lock_community(community_id)
        marks = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {_CT} WHERE community_id IN ({marks})", chunk)
            where = f"WHERE community_id IN ({marks})"
            cursor.execute(community_rows_sql(where), chunk + chunk)  # the where is used twice


def service_days_sql(community_filter: str = "") -> tuple[str, list[Any]]:
    """``INSERT … SELECT`` of the service days (of the persons matching ``community_filter``,
    a condition on ``p.community_id``); its parameters come before the filter's."""
    person = Person._meta.db_table
    record = ServiceRecord._meta.db_table
    satisfied = ", ".join(f"'{v}'" for v in _SATISFIED)
    modes = ", ".join(f"'{v}'" for v in _THREE_MODES)
    survey, training, complaint = (
        str(ServiceKind.SURVEY),
        str(ServiceKind.TRAINING),
        str(ServiceKind.COMPLAINT),
    )
    sql = f"""
    INSERT INTO {_SD} (community_id, day, {", ".join(_SERVICE_COLUMNS)})
    SELECT p.community_id, s.{connection.ops.quote_name("on")},
           SUM(CASE WHEN s.kind = %s THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.kind = %s AND s.outcome IN ({satisfied}) THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.kind = %s THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.kind = %s AND s.training_mode IN ({modes}) THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.kind = %s AND s.valid THEN 1 ELSE 0 END)
    FROM {record} s JOIN {person} p ON p.id = s.person_id
    WHERE s.kind IN (%s, %s, %s) {f"AND {community_filter}" if community_filter else ""}
    GROUP BY p.community_id, s.{connection.ops.quote_name("on")}"""
    params = [survey, survey, training, training, complaint, survey, training, complaint]
    return sql, params


_TIMELINES = (HouseholdTimeline, CommunityTimeline)
_HOUSEHOLD = Household._meta.db_table


@transaction.atomic
def aggregates_rebuild() -> RebuildSummary:
    """Recompute every aggregate from the registry and casework (in one transaction), and mark
    them fresh: household timelines (:func:`household_rows_sql`), community timelines and
    service days, each one set-based SQL statement."""
    started = time.perf_counter()
    state = _state(for_update=True)
    if state is None:
        state = AggregateState.objects.create(pk=1)
    current = _current_max()
    audit_id = AuditEntry.objects.aggregate(m=Max("pk"))["m"] or 0
    _truncate(HouseholdTimeline, CommunityTimeline, ServiceDay)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SHOW work_mem")
            work_mem = cursor.fetchone()[0]
            # The statements sort and hash a few million narrow rows: in memory, not on disk
            # (for this transaction only; the setting is put back below).
            cursor.execute("SELECT set_config('work_mem', '256MB', true)")
        # One sorted build per index afterwards instead of upkeep row by row (PostgreSQL).
        lifted = bulkload.lift_constraints(_TIMELINES) if postgres else None
        cursor.execute(household_rows_sql())
        household_rows_written = cursor.rowcount
        cursor.execute(community_rows_sql())
        community_rows = cursor.rowcount
        if lifted is not None:
            bulkload.restore_constraints(lifted)
        sql, params = service_days_sql()
        cursor.execute(sql, params)
        service_rows = cursor.rowcount
        if postgres:
            for model in (HouseholdTimeline, CommunityTimeline, ServiceDay):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
    AggregateState.objects.filter(pk=1).update(
        built=True, built_at=timezone.now(), audit_id=audit_id, **current
    )
    return RebuildSummary(
        Household.objects.count(),
        household_rows_written,
        community_rows,
        service_rows,
        time.perf_counter() - started,
    )


@dataclass(frozen=True)
class RefreshSummary:
    households: int  # households named
    household_rows: int  # their timeline rows now
    communities: int  # communities whose timelines were recomputed
    rebuilt: str  # why a full rebuild ran instead ("" when the refresh sufficed)
    seconds: float


def _refresh_refused(state: AggregateState | None, ids: set[int]) -> str:
    """Why the aggregates cannot be brought up to date from these households alone ("" if they
    can): not built, a bulk load that replaces everything, or rows above the recorded maxima
    that belong to other households."""
    if state is None or not state.built:
        return "not built"
    bulk = (
        AuditEntry.objects.filter(pk__gt=state.audit_id, action__in=BULK_ACTIONS)
        .values_list("action", flat=True)
        .first()
    )
    if bulk is not None:
        return f"a bulk load ({bulk}) since the last build"
    floor = _floor(state)
    owners: dict[str, Any] = {
        "household": Household.objects.filter(pk__gt=floor["household"]).values_list("pk"),
        "person": Person.objects.filter(pk__gt=floor["person"]).values_list("household_id"),
        "event": StatusEvent.objects.filter(pk__gt=floor["event"]).values_list(
            "person__household_id"
        ),
        "recognition": DifficultyRecognition.objects.filter(
            pk__gt=floor["recognition"]
        ).values_list("person__household_id"),
        "service": ServiceRecord.objects.filter(pk__gt=floor["service"]).values_list(
            "person__household_id"
        ),
    }
    for key, rows in owners.items():
        if any(owner not in ids for (owner,) in rows.order_by().distinct()):
            return f"{key} rows of households not named"
    return ""


def _in_ids(column: str, values: Sequence[int]) -> tuple[str, list[Any]]:
    """``column`` among ``values``: one array parameter on PostgreSQL (planned with index
    probes however long), an IN list elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


@transaction.atomic
def invalidate() -> None:
    """Mark the aggregates stale until the next :func:`aggregates_rebuild` (a bulk load too
    large to refresh in place). Readers fall back to the registry's own SQL meanwhile, and a
    later refresh cannot declare them fresh again: it finds them "not built"."""
    AggregateState.objects.filter(pk=1).update(built=False)


def aggregates_refresh(*, household_ids: Iterable[int]) -> RefreshSummary:
    """Bring the aggregates up to date after a bulk load that wrote, changed or deleted the rows
    of these households only (the households themselves, their persons, status events,
    recognitions and service records; a person who moved: both households), and mark them
    fresh again, instead of a full :func:`aggregates_rebuild`.

    Call it inside the load's transaction, after its rows are written, instead of sending
    ``statuses_changed(bulk=True)`` (whose receiver marks the aggregates stale). It checks what
    it can: every row above the maxima the aggregates have seen must belong to a named
    household, and no bulk load of :data:`BULK_ACTIONS` (which replace everything) may have
    happened since the last build; otherwise (or when the aggregates are not built) it rebuilds
    everything and says why in ``rebuilt``. Changes to rows of households not named cannot be
    detected: naming them all is the caller's part.

    The named households' timelines are recomputed set-based (:func:`household_rows_sql`, a
    few thousand households a statement), then their communities' timelines and service days.
    On PostgreSQL, 1M persons: about 0.5 s for 500 households, 5 s for 50,000."""
    started = time.perf_counter()
    ids = sorted({int(i) for i in household_ids if i is not None})
    state = _state(for_update=True)
    current = _current_max()
    audit_id = AuditEntry.objects.aggregate(m=Max("pk"))["m"] or 0
    reason = _refresh_refused(state, set(ids))
    if reason:
        summary = aggregates_rebuild()
        everything = Unit.objects.filter(level__in=_COMMUNITY_LEVELS).count()
        return RefreshSummary(
            len(ids), summary.household_rows, everything, reason, time.perf_counter() - started
        )
    assert state is not None
    communities: set[int] = set()
    unplaced = False  # an existing household without stored rows: its old community is unknown
    rows_written = 0
    # Households a statement: many on PostgreSQL (one array parameter; a statement's fixed
    # cost, such as probing the recognitions, is spread wider), SQLite caps the parameters.
    size = 20_000 if connection.vendor == "postgresql" else _CHUNK
    with connection.cursor() as cursor:
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            where, params = _in_ids("household_id", chunk)
            cursor.execute(
                f"SELECT DISTINCT household_id, community_id FROM {_HT} WHERE {where}", params
            )
            stored = dict(cursor.fetchall())
            communities.update(stored.values())
            where, params = _in_ids("id", chunk)
            cursor.execute(f"SELECT DISTINCT community_id FROM {_HOUSEHOLD} WHERE {where}", params)
            communities.update(row[0] for row in cursor.fetchall())
            unplaced = unplaced or any(
                hid not in stored and hid <= state.max_household for hid in chunk
            )
            where, params = _in_ids("household_id", chunk)
            cursor.execute(f"DELETE FROM {_HT} WHERE {where}", params)
            where, params = _in_ids("p.household_id", chunk)
            cursor.execute(household_rows_sql(where), params)
            rows_written += cursor.rowcount
        affected = sorted(communities)
        rebuild_communities(affected)
        # Service records count for their person's community: recompute the service days of
        # the communities involved, or all of them when a household's former community is not
        # known (it had no timeline rows, and may have moved).
        if unplaced:
            cursor.execute(f"DELETE FROM {_SD}")
            cursor.execute(*service_days_sql())
        else:
            for start in range(0, len(affected), _CHUNK):
                chunk = affected[start : start + _CHUNK]
                where, params = _in_ids("community_id", chunk)
                cursor.execute(f"DELETE FROM {_SD} WHERE {where}", params)
                where, params = _in_ids("p.community_id", chunk)
                sql, kinds = service_days_sql(where)
                cursor.execute(sql, kinds + params)
    AggregateState.objects.filter(pk=1).update(audit_id=audit_id, **current)
    return RefreshSummary(len(ids), rows_written, len(affected), "", time.perf_counter() - started)


def aggregates_invalidate() -> None:
    """Mark the aggregates stale (a writer that bypassed the services calls this)."""
    AggregateState.objects.filter(pk=1).update(built=False)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

_COMMUNITY_LEVELS = (str(Level.COMMUNITY), str(Level.VILLAGE))


def community_vectors(*, on: date, path: str | None = None) -> dict[int, dict[str, int]]:
    """Every community's counts at ``on`` (those under ``path`` when given), from the community
    timelines: PostgreSQL looks up each community's row in force with one index probe (LATERAL);
    elsewhere the rows in force are filtered by their date range."""
    unit = Unit._meta.db_table
    cols = ", ".join(f"t.{f}" for f in VECTOR_FIELDS)
    params: list[Any] = []
    unit_where = "u.level IN (%s, %s)"
    unit_params: list[Any] = list(_COMMUNITY_LEVELS)
    if path:
        unit_where += " AND u.path LIKE %s"
        unit_params.append(path + "%")
    if connection.vendor == "postgresql":
        sql = f"""
        SELECT u.id, {cols} FROM {unit} u
        CROSS JOIN LATERAL (
            SELECT * FROM {_CT} c
            WHERE c.community_id = u.id AND c.valid_from <= %s
            ORDER BY c.valid_from DESC LIMIT 1
        ) t
        WHERE {unit_where}"""
        params = [on, *unit_params]
    else:
        sql = f"""
        SELECT u.id, {cols} FROM {unit} u
        JOIN {_CT} t ON t.community_id = u.id
        WHERE t.valid_from <= %s AND (t.valid_until IS NULL OR t.valid_until > %s)
          AND {unit_where}"""
        params = [_sql_value(on), _sql_value(on), *unit_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            row[0]: dict(zip(VECTOR_FIELDS, (int(v) for v in row[1:]), strict=True))
            for row in cursor.fetchall()
        }


def service_counts(*, start: date, end: date, path: str | None = None) -> dict[int, dict[str, int]]:
    """Per community: surveys, satisfied, trainings, three-mode trainings and valid complaints
    dated in [start, end]."""
    unit = Unit._meta.db_table
    sums = ", ".join(f"SUM(s.{c})" for c in _SERVICE_COLUMNS)
    where, params = "s.day >= %s AND s.day <= %s", [_sql_value(start), _sql_value(end)]
    if path:
        where += f" AND s.community_id IN (SELECT id FROM {unit} WHERE path LIKE %s)"
        params.append(path + "%")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.community_id, {sums} FROM {_SD} s WHERE {where} GROUP BY s.community_id",
            params,
        )
        return {
            row[0]: dict(zip(_SERVICE_COLUMNS, (int(v or 0) for v in row[1:]), strict=True))
            for row in cursor.fetchall()
        }


def zero_runs(
    *, start: date, on: date, path: str | None = None
) -> list[tuple[int, int, date, date | None]]:
    """Zero-family episodes that overlap [start, on], from the household timelines:
    (household, community, emerged_on, ended_on or None while open at ``on``). Consecutive zero
    rows of one household are one episode; an end after ``on`` is not yet known at ``on``."""
    unit = Unit._meta.db_table
    where = "h.zero = 1 AND h.valid_from <= %s"
    params: list[Any] = [_sql_value(on)]
    if path:
        where += f" AND h.community_id IN (SELECT id FROM {unit} WHERE path LIKE %s)"
        params.append(path + "%")
    params.append(_sql_value(start))
    with connection.cursor() as cursor:
        # Two steps: the few households with a zero row overlapping the period (a partial
        # index on valid_until), then their rows by household (the unique index).
        cursor.execute(
            f"""SELECT DISTINCT household_id FROM {_HT} h
                WHERE {where} AND (h.valid_until IS NULL OR h.valid_until > %s)""",
            params,
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        rows: list[Any] = []
        for chunk_start in range(0, len(ids), _CHUNK):
            chunk = ids[chunk_start : chunk_start + _CHUNK]
            cursor.execute(
                f"""SELECT h.household_id, h.community_id, h.valid_from, h.valid_until, h.zero
                    FROM {_HT} h
                    WHERE h.household_id IN ({", ".join(["%s"] * len(chunk))})
                      AND h.valid_from <= %s
                    ORDER BY h.household_id, h.valid_from""",
                [*chunk, _sql_value(on)],
            )
            rows += cursor.fetchall()
    episodes = []
    current: list[Any] | None = None
    for household_id, community_id, valid_from, valid_until, zero in rows:
        valid_from = _as_date(valid_from)
        valid_until = _as_date(valid_until) if valid_until is not None else None
        if current is not None and current[0] != household_id:
            episodes.append(current)
            current = None
        if zero:
            if current is None:
                current = [household_id, community_id, valid_from, valid_until]
            else:
                current[3] = valid_until
        elif current is not None:
            episodes.append(current)
            current = None
    if current is not None:
        episodes.append(current)
    found = []
    for household_id, community_id, emerged, ended in episodes:
        if ended is not None and ended > on:
            ended = None
        if emerged <= on and (ended is None or ended > start):
            found.append((household_id, community_id, emerged, ended))
    return found


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
