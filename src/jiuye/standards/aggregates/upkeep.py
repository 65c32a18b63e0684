"""Keeping the aggregates in line with every write, inside the writer's transaction
(``standards.receivers`` calls these).

- a household a write touched (``registry.signals.statuses_changed``, saves of persons,
  households and recognitions): its timeline is recomputed in Python (:mod:`.timeline`) and the
  *difference* applied to its community's timeline in place (rows from the first changed day on
  get the delta), and its persons' survey facts are recomputed;
- a service record created, changed or deleted: its service day and its survey fact.

All of it is a no-op until the aggregates have been built (``aggregates_rebuild``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection

from jiuye.casework.models import ServiceRecord
from jiuye.lib.sql import lock_community
from jiuye.registry import definitions
from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
from jiuye.standards.aggregates import state as st
from jiuye.standards.aggregates.rebuild import (
    REBUILD_POINTS,
    in_districts,
    rebuild_communities,
    survey_facts_refresh,
    survey_facts_sql,
)
from jiuye.standards.aggregates.records import SERVICE_COLUMNS, service_contribution
from jiuye.standards.aggregates.tables import (
    CHUNK,
    CT,
    HT,
    HT_COLUMNS,
    SD,
    SF,
    sql_value,
    write_rows,
)
from jiuye.standards.aggregates.timeline import (
    ZERO,
    MemberFacts,
    Vector,
    add_into,
    derivative,
    household_timeline,
)
from jiuye.standards.models import VECTOR_FIELDS, CommunityTimeline, HouseholdTimeline
from jiuye.standards.signals import community_timelines_changed
from jiuye.units.sharding import citus, districts_of

N = len(VECTOR_FIELDS)


@dataclass(frozen=True, slots=True)
class HouseholdResult:
    community_id: int
    district_id: int
    rows: list[tuple[date, Vector]]


def _timelines_from(
    households: Iterable[tuple[int, int, int, str, bool]],
    persons: Iterable[tuple[int, int, date, date, bool, bool, str]],
    events: Iterable[tuple[int, int, date, str, bool, date | None]],
    recognitions: Iterable[tuple[int, int, date, date | None]],
    seen: st.Seen,
) -> dict[int, HouseholdResult]:
    by_person_events: dict[int, list[tuple[date, str, bool, date | None]]] = defaultdict(list)
    for event_id, person_id, since, status, registered, until in events:
        by_person_events[person_id].append((since, status, registered, until))
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
                urban=definitions.is_urban(hukou),
                events=events_of,
                difficult=by_person_rec.get(person_id, ()),
            )
        )
    found = {}
    for household_id, community_id, district_id, hukou, dibao in households:
        seen.add("household", household_id)
        found[household_id] = HouseholdResult(
            community_id,
            district_id,
            household_timeline(
                members.get(household_id, []), urban=definitions.is_urban(hukou), dibao=dibao
            ),
        )
    return found


def compute_households(
    household_ids: Sequence[int], seen: st.Seen | None = None
) -> dict[int, HouseholdResult]:
    """The timelines of these households from the registry as it is now (4 queries per 500)."""
    seen = seen if seen is not None else st.Seen()
    found: dict[int, HouseholdResult] = {}
    ids = sorted(set(household_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        households = Household.objects.filter(pk__in=chunk).values_list(
            "pk", "community_id", "district_id", "hukou_type", "dibao"
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
        for pstart in range(0, len(person_ids), CHUNK):
            pchunk = person_ids[pstart : pstart + CHUNK]
            events += (
                StatusEvent.objects.filter(person_id__in=pchunk)
                .order_by()
                .values_list("pk", "person_id", "since", "status", "registered", "until")
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
    fields = ("household_id", "community_id", "district_id", "valid_from", *VECTOR_FIELDS)
    for start in range(0, len(ids), CHUNK):
        rows = (
            HouseholdTimeline.objects.filter(household_id__in=ids[start : start + CHUNK])
            .order_by("household_id", "valid_from")
            .values_list(*fields)
        )
        for household_id, community_id, district_id, valid_from, *vector in rows:
            result = found.get(household_id)
            if result is None:
                result = found[household_id] = HouseholdResult(community_id, district_id, [])
            result.rows.append((valid_from, tuple(vector)))
    return found


def household_rows(household_id: int, result: HouseholdResult) -> Iterator[tuple[Any, ...]]:
    """The stored rows (``tables.HT_COLUMNS``) of one household's timeline."""
    rows = result.rows
    for index, (day, vector) in enumerate(rows):
        until = rows[index + 1][0] if index + 1 < len(rows) else None
        yield (household_id, result.community_id, result.district_id, day, until, *vector)


def _routed(district_id: int) -> tuple[str, list[Any]]:
    """`` AND district_id = %s`` on Citus, where it sends a community's statement to its one
    shard; nothing on one server (the community's index is what finds the rows there)."""
    return (" AND district_id = %s", [district_id]) if citus() else ("", [])


def _split(cursor: Any, community_id: int, district_id: int, day: date) -> None:
    """Make sure a community row starts on ``day`` (copying the counts in force then)."""
    cols = ", ".join(VECTOR_FIELDS)
    routed, route = _routed(district_id)
    cursor.execute(
        f"SELECT id, valid_from, valid_until, {cols} FROM {CT} "
        f"WHERE community_id = %s{routed} AND valid_from <= %s ORDER BY valid_from DESC LIMIT 1",
        [community_id, *route, sql_value(day)],
    )
    row = cursor.fetchone()
    placeholders = ", ".join(["%s"] * (4 + N))
    insert = (
        f"INSERT INTO {CT} (community_id, district_id, valid_from, valid_until, {cols}) VALUES "
    )
    if row is not None:
        row_id, valid_from, valid_until, *vector = row
        if str(valid_from) == str(sql_value(day)) or valid_from == day:
            return
        cursor.execute(
            insert + f"({placeholders})",
            [community_id, district_id, sql_value(day), valid_until, *vector],
        )
        cursor.execute(
            f"UPDATE {CT} SET valid_until = %s WHERE id = %s{routed}",
            [sql_value(day), row_id, *route],
        )
        return
    cursor.execute(
        f"SELECT valid_from FROM {CT} WHERE community_id = %s{routed} AND valid_from > %s "
        "ORDER BY valid_from LIMIT 1",
        [community_id, *route, sql_value(day)],
    )
    following = cursor.fetchone()
    cursor.execute(
        insert + f"({placeholders})",
        [community_id, district_id, sql_value(day), following[0] if following else None, *ZERO],
    )


def apply_community_changes(
    community_id: int, district_id: int, changes: dict[date, list[int]]
) -> int:
    """Add a change function (day → change of the counts from that day on) to a community's
    timeline in place: rows are split where the change starts, then every row of each interval
    gets that interval's cumulative change. Returns the number of UPDATE statements."""
    days = sorted(day for day, delta in changes.items() if any(delta))
    if not days:
        return 0
    lock_community(community_id)
    statements = 0
    assignments = ", ".join(f"{f} = {f} + %s" for f in VECTOR_FIELDS)
    with connection.cursor() as cursor:
        for day in days:
            _split(cursor, community_id, district_id, day)
        running = [0] * N
        for index, day in enumerate(days):
            for i, d in enumerate(changes[day]):
                running[i] += d
            if not any(running):
                continue
            routed, route = _routed(district_id)
            params: list[Any] = [*running, community_id, *route, sql_value(day)]
            where = f"community_id = %s{routed} AND valid_from >= %s"
            if index + 1 < len(days):
                where += " AND valid_from < %s"
                params.append(sql_value(days[index + 1]))
            cursor.execute(f"UPDATE {CT} SET {assignments} WHERE {where}", params)
            statements += 1
    community_timelines_changed.send(sender=CommunityTimeline, since={community_id: days[0]})
    return statements


def households_changed(household_ids: Iterable[int]) -> int:
    """Bring these households' timelines (and their communities') and their persons' survey
    facts in line with the registry. A no-op while the aggregates are not built. Returns the
    households whose timeline changed."""
    ids = sorted({int(i) for i in household_ids if i is not None})
    built = st.state() if ids else None
    if built is None or not built.built:
        return 0
    seen = st.Seen(st.floor(built))
    new = compute_households(ids, seen)
    old = stored_households(ids)
    community_changes: dict[int, dict[date, list[int]]] = defaultdict(dict)
    district_of: dict[int, int] = {}  # community → district
    changed = []
    for household_id in ids:
        before, after = old.get(household_id), new.get(household_id)
        if before is not None and after is not None and before == after:
            continue
        if before is None and (after is None or not after.rows):
            continue
        changed.append(household_id)
        if before is not None:
            add_into(community_changes[before.community_id], derivative(before.rows, -1))
            district_of[before.community_id] = before.district_id
        if after is not None:
            add_into(community_changes[after.community_id], derivative(after.rows))
            district_of[after.community_id] = after.district_id
    districts = sorted({r.district_id for r in (*new.values(), *old.values())})
    if changed:
        stale = HouseholdTimeline.objects.filter(household_id__in=changed)
        if citus():  # to the district's shard alone (rebuild.in_districts)
            stale = stale.filter(district_id__in=districts)
        stale.delete()
        write_rows(
            HT,
            HT_COLUMNS,
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
                apply_community_changes(
                    community_id, district_of[community_id], community_changes[community_id]
                )
    survey_facts_refresh(ids, districts=districts or None)
    st.record(seen)
    return len(changed)


def service_day_add(
    community_id: int, day: date, counts: Sequence[int], sign: int = 1, *, district_id: int
) -> None:
    """Add (or, ``sign`` -1, take away) one record's counts to its community and day."""
    if not any(counts) or not st.is_built():
        return
    values = [sign * c for c in counts]
    cols = ", ".join(SERVICE_COLUMNS)
    marks = ", ".join(["%s"] * len(SERVICE_COLUMNS))
    updates = ", ".join(f"{c} = {SD}.{c} + excluded.{c}" for c in SERVICE_COLUMNS)
    # The unique key the conflict names: on Citus it holds the district too (cluster.layout).
    key = "community_id, day, district_id" if citus() else "community_id, day"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SD} (community_id, district_id, day, {cols}) "
            f"VALUES (%s, %s, %s, {marks}) ON CONFLICT ({key}) DO UPDATE SET {updates}",
            [community_id, district_id, sql_value(day), *values],
        )


def survey_fact_update(record_id: int, district_id: int) -> None:
    """Recompute the survey fact of one service record (created, changed or deleted) of a
    person of ``district_id``."""
    if not st.is_built():
        return
    routed, route = in_districts(SF, [district_id])
    s_routed, s_route = in_districts("s", [district_id])
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SF} WHERE record_id = %s{routed}", [record_id, *route])
        cursor.execute(survey_facts_sql(f"s.id = %s{s_routed}"), [record_id, *s_route])


def person_moved(person_id: int, old_community: int, new_community: int) -> None:
    """A person's service records now count for their new community (their survey facts follow
    with their household's upkeep)."""
    if old_community == new_community or not st.is_built():
        return
    rows = ServiceRecord.objects.filter(person_id=person_id).values_list(
        "on", "kind", "training_mode", "valid"
    )
    districts = districts_of([old_community, new_community])
    for day, kind, mode, valid in rows:
        counts = service_contribution(kind, mode, valid)
        service_day_add(old_community, day, counts, -1, district_id=districts[old_community])
        service_day_add(new_community, day, counts, 1, district_id=districts[new_community])
