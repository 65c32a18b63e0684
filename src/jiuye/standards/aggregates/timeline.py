"""One household's counts over time, in Python (no database): the form the set-based rebuild
(``aggregates.rebuild``) is tested against, and what the upkeep recomputes for the households a
write touched.

A member's part in the counts (:data:`~jiuye.standards.models.VECTOR_FIELDS`) on a day is
decided by ``registry.definitions`` alone: the status in force (the latest event begun by then,
if :func:`in_force`; unknown before the first event, then counted nowhere),
:func:`in_labor_force`, :func:`is_employed`, :func:`is_urban` (the person's hukou, 城镇 or
农转非), :func:`recognition_in_force`, :func:`in_dibao_base` and :func:`dibao_not_employed`
(CQ-3), :func:`status_not_recorded` (data quality: able or not); the household's part by
:func:`is_pure_farming` and its urban dibao standing. It can only change on a member's change
point: a status event beginning or ending, the 16th birthday, the retirement day, a
recognition beginning or ending.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from jiuye.registry import definitions
from jiuye.standards.models import VECTOR_FIELDS

Vector = tuple[int, ...]
N = len(VECTOR_FIELDS)
ZERO: Vector = (0,) * N
# Sums over members: every field but the household's pure-farming flag; the two CQ-3 fields
# count only in an urban dibao household (:func:`household_vector`).
MEMBER_FIELDS = tuple(f for f in VECTOR_FIELDS if f != "pure_farming")
_ZERO_MEMBER: Vector = (0,) * len(MEMBER_FIELDS)
_INDEX = {name: i for i, name in enumerate(MEMBER_FIELDS)}


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What decides one member's part in the household's counts over time."""

    work_from: date
    retire_on: date
    able: bool
    willing: bool
    urban: bool  # the person's hukou (definitions.is_urban)
    # (since, status, registered, until), sorted by since
    events: Sequence[tuple[date, str, bool, date | None]]
    difficult: Sequence[tuple[date, date | None]] = ()  # recognitions (from, ended_on)


def member_state(m: MemberFacts, sinces: Sequence[date], day: date) -> Vector:
    """The member's counts (:data:`MEMBER_FIELDS`) on ``day``; ``sinces`` are the events'
    days."""
    index = bisect.bisect_right(sinces, day)
    status: str | None = None
    registered = False
    if index:
        since, found, found_registered, until = m.events[index - 1]
        if definitions.in_force(since=since, until=until, on=day):
            status, registered = found, found_registered
    state = [0] * len(MEMBER_FIELDS)
    state[_INDEX["status_not_recorded"]] = int(
        definitions.status_not_recorded(
            work_from=m.work_from, retire_on=m.retire_on, status=status, on=day
        )
    )
    if definitions.in_labor_force(
        work_from=m.work_from,
        retire_on=m.retire_on,
        able=m.able,
        willing=m.willing,
        status=status,
        on=day,
    ):
        employed = definitions.is_employed(status)
        unemployed = status == definitions.UNEMPLOYED
        difficult = any(
            definitions.recognition_in_force(recognized_on=start, ended_on=end, on=day)
            for start, end in m.difficult
        )
        state[_INDEX["labor_force"]] = 1
        state[_INDEX["employed"]] = int(employed)
        state[_INDEX["farming"]] = int(status == definitions.FARMING)
        state[_INDEX["unemployed"]] = int(unemployed)
        state[_INDEX["registered"]] = int(unemployed and registered)
        state[_INDEX["urban_employed"]] = int(m.urban and employed)
        state[_INDEX["urban_registered"]] = int(m.urban and unemployed and registered)
        state[_INDEX["difficult"]] = int(difficult)
        state[_INDEX["difficult_employed"]] = int(difficult and employed)
    if definitions.in_dibao_base(
        work_from=m.work_from, retire_on=m.retire_on, able=m.able, status=status, on=day
    ):
        state[_INDEX["dibao_base"]] = 1
        state[_INDEX["dibao_not_employed"]] = int(definitions.dibao_not_employed(status))
    return tuple(state)


def change_points(m: MemberFacts) -> set[date]:
    """The days a member's counts can change on."""
    points = {m.work_from, m.retire_on}
    for since, _status, _registered, until in m.events:
        points.add(since)
        if until is not None:
            points.add(until)
    for start, end in m.difficult:
        points.add(start)
        if end is not None:
            points.add(end)
    return points


def member_changes(m: MemberFacts) -> Iterator[tuple[date, Vector]]:
    """(day, change of this member's counts) on each day they change."""
    sinces = [event[0] for event in m.events]
    previous = _ZERO_MEMBER
    for day in sorted(change_points(m)):
        state = member_state(m, sinces, day)
        if state != previous:
            yield day, tuple(a - b for a, b in zip(state, previous, strict=True))
            previous = state


def household_vector(sums: Sequence[int], *, urban: bool, dibao: bool) -> Vector:
    """A household's full count vector (:data:`VECTOR_FIELDS`) from its member sums
    (:data:`MEMBER_FIELDS`); ``urban`` and ``dibao`` are the household's hukou and standing."""
    by_name = dict(zip(MEMBER_FIELDS, sums, strict=True))
    by_name["pure_farming"] = int(
        definitions.is_pure_farming(employed=by_name["employed"], farming=by_name["farming"])
    )
    if not (dibao and urban):
        by_name["dibao_base"] = by_name["dibao_not_employed"] = 0
    return tuple(by_name[f] for f in VECTOR_FIELDS)


def household_timeline(
    members: Iterable[MemberFacts], *, urban: bool, dibao: bool
) -> list[tuple[date, Vector]]:
    """The household's counts from each day they change on (before the first row: all zero).

    ``urban`` and ``dibao`` are the household's hukou (``definitions.is_urban``) and dibao
    standing (current values: they have no history)."""
    changes: dict[date, list[int]] = {}
    for member in members:
        for day, delta in member_changes(member):
            acc = changes.get(day)
            if acc is None:
                changes[day] = list(delta)
            else:
                for i, d in enumerate(delta):
                    acc[i] += d
    rows: list[tuple[date, Vector]] = []
    running = [0] * len(MEMBER_FIELDS)
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


def add_into(target: dict[date, list[int]], changes: dict[date, list[int]]) -> None:
    """Add the change function ``changes`` into ``target`` (both day → change)."""
    for day, delta in changes.items():
        acc = target.get(day)
        if acc is None:
            target[day] = list(delta)
        else:
            for i, d in enumerate(delta):
                acc[i] += d
