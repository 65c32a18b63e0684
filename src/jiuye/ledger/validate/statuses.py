"""The 就业状态 sheet: each status event checked by ``registry.checks.status_problems`` (not
before birth, no employment before the 16th birthday, registered only if unemployed: the same
check and words as the status form), then merged with the person's registry history as
``person_change_status`` does (the same day replaces, blank cells keep the value, ``until``
re-chained, the ``current_*`` cache the latest event)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from jiuye.ledger.validate.context import Context
from jiuye.ledger.validate.fetch import P, fetch_by, table_empty
from jiuye.ledger.validate.plan import Counts
from jiuye.ledger.validate.rows import Rows
from jiuye.registry import checks
from jiuye.registry.definitions import EMPLOYED, OUTSIDE_LABOR_FORCE
from jiuye.registry.models import Status, StatusEvent

# The statuses that, for an able, willing person of working age, are in the labor force without
# a job (what a zero-employment family needs): neither employed nor outside the labor force.
_JOBLESS = frozenset(Status.values) - EMPLOYED - OUTSIDE_LABOR_FORCE
NEVER = date.max  # a jobless status that is the person's last: it never ends


def check_statuses(ctx: Context, rows: Rows, counts: Counts) -> None:
    ids = ctx.people_for(rows)
    status, since = rows.col("status"), rows.col("since")
    registered, employer, cause = (
        rows.col("registered"),
        rows.col("employer"),
        rows.col("cause"),
    )
    people = ctx.people
    birth, work_from = P["birth_date"], P["work_from"]
    status_problems = checks.status_problems
    bad = rows.bad
    by_person: dict[str, list[int]] = {}
    get = by_person.get
    if bad:
        ids = [None if i in bad else n for i, n in enumerate(ids)]
    for i, number in enumerate(ids):
        if number is None:
            continue
        person = people[number]
        problems = status_problems(
            status=status[i],
            since=since[i],
            registered=registered[i] is True,
            birth_date=person[birth],
            work_from=person[work_from],
        )
        if problems:
            for problem in problems:
                rows.problem(i, problem)
            continue
        found = get(number)
        if found is None:
            by_person[number] = [i]
        else:
            found.append(i)
    # The same person and day twice: the same row again, or a contradiction.
    for indexes in by_person.values():
        if len(indexes) == 1:
            continue
        seen: dict[date, int] = {}
        kept = []
        for i in indexes:
            j = seen.get(since[i])
            if j is None:
                seen[since[i]] = i
                kept.append(i)
            elif (status[i], registered[i] is True, employer[i], cause[i]) == (
                status[j],
                registered[j] is True,
                employer[j],
                cause[j],
            ):
                counts.unchanged += 1
            else:
                rows.error(i, "conflict_in_file", "since", since[i], first_row=rows.location(j)[1])
        indexes[:] = sorted(kept, key=since.__getitem__)
    ctx.status_rows = by_person
    plan = ctx.plan
    inserts = plan.events_insert
    events_by_person = ctx.events_by_person
    cs, cd, cr = P["current_status"], P["current_since"], P["current_registered"]
    household = P["household_id"]
    old_events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    db_ids = [people[n][0] for n in by_person if people[n][0] is not None]
    if db_ids and not table_empty(StatusEvent):
        for row in fetch_by(
            StatusEvent,
            "person_id",
            db_ids,
            ("person_id", "id", "since", "status", "registered", "employer", "cause", "until"),
        ):
            old_events[row[0]].append(row[1:])
    touched: set[Any] = set()
    inserted = 0
    summary = ctx.summary
    employed, jobless = EMPLOYED, _JOBLESS
    earliest: date | None = None
    for number, indexes in by_person.items():
        person = people[number]
        pid = person[0]
        if pid is None or pid not in old_events:
            # No history in the registry: the file's rows are the whole history.
            if len(indexes) == 1:  # most people: one status on record
                i = indexes[0]
                day, st, reg = since[i], status[i], registered[i] is True
                inserts.append((number, st, day, None, reg, employer[i], cause[i]))
                summary[number] = (day, day, NEVER if st in jobless else None, st in employed, st)
                inserted += 1
                if pid is None:
                    person[cs], person[cd], person[cr] = st, day, reg
                else:
                    plan.current_update.append((pid, st, day, reg))
                touched.add(person[household])
                if earliest is None or day < earliest:
                    earliest = day
                continue
            last = len(indexes) - 1
            for k, i in enumerate(indexes):
                inserts.append(
                    (
                        number,
                        status[i],
                        since[i],
                        since[indexes[k + 1]] if k < last else None,
                        registered[i] is True,
                        employer[i],
                        cause[i],
                    )
                )
            i = indexes[-1]
            current = (status[i], since[i], registered[i] is True)
            events = events_by_person[number] = [(since[i], status[i]) for i in indexes]
            summary[number] = (
                events[0][0],
                events[-1][0],
                _jobless_until(events, jobless),
                all(st in employed for _d, st in events),
                None,
            )
            changed_since: date | None = since[indexes[0]]
            inserted += len(indexes)
        else:
            current, changed_since = _merge_events(
                ctx, number, indexes, old_events[pid], rows, counts
            )
            if changed_since is None:
                continue
        if pid is not None:
            plan.current_update.append((pid, *current))
        else:
            person[cs], person[cd], person[cr] = current
        touched.add(person[household])
        if changed_since is not None and (earliest is None or changed_since < earliest):
            earliest = changed_since
    for key in touched:
        ctx.touch_household(key, None)
    if earliest is not None and (plan.announce_on is None or earliest < plan.announce_on):
        plan.announce_on = earliest
    counts.inserted += inserted


def _jobless_until(events: list[tuple[date, str]], jobless: frozenset[str]) -> date | None:
    """The end of the person's last jobless event (the next event's day; :data:`NEVER` if it
    is the last), None if they never had a jobless status."""
    for k in range(len(events) - 1, -1, -1):
        if events[k][1] in jobless:
            return events[k + 1][0] if k + 1 < len(events) else NEVER
    return None


def _merge_events(
    ctx: Context,
    number: str,
    indexes: list[int],
    old_rows: list[tuple[Any, ...]],
    rows: Rows,
    counts: Counts,
) -> tuple[Any, date | None]:
    """A registry person's history with the file's rows: the same day replaces (blank cells
    keep what was there), ``until`` re-chained; returns the current status and the earliest
    changed day (None: nothing changed)."""
    status, since = rows.col("status"), rows.col("since")
    registered, employer, cause = (
        rows.col("registered"),
        rows.col("employer"),
        rows.col("cause"),
    )
    # since → [event id, status, registered, employer, cause, until in the registry]
    merged: dict[date, list[Any]] = {
        row[1]: [row[0], row[2], row[3], row[4], row[5], row[6]] for row in old_rows
    }
    old = {day: list(values) for day, values in merged.items()}
    changed: date | None = None
    for i in indexes:
        day = since[i]
        before = merged.get(day)
        if before is None:
            merged[day] = [None, status[i], registered[i] is True, employer[i], cause[i], None]
            counts.inserted += 1
        else:
            reg = registered[i]
            if reg is None:  # blank: the day's registration stands while its status does
                reg = before[2] and status[i] == before[1]
            new = [
                before[0],
                status[i],
                reg,
                employer[i] or before[3],
                cause[i] or before[4],
                before[5],
            ]
            if new[1:5] == before[1:5]:
                counts.unchanged += 1
                continue
            merged[day] = new
            counts.updated += 1
        if changed is None or day < changed:
            changed = day
    days = sorted(merged)
    ctx.events_by_person[number] = [(d, merged[d][1]) for d in days]
    ctx.merged_history[number] = [(d, merged[d][1], merged[d][2]) for d in days]
    if changed is None:
        return None, None
    for k, day in enumerate(days):
        until = days[k + 1] if k + 1 < len(days) else None
        event_id, st, reg, emp, cau, old_until = merged[day]
        if event_id is None:
            ctx.plan.events_insert.append((number, st, day, until, reg, emp, cau))
        elif until != old_until or [st, reg, emp, cau] != old[day][1:5]:
            ctx.plan.events_update.append((event_id, st, day, until, reg, emp, cau))
    last = merged[days[-1]]
    return (last[1], days[-1], last[2]), changed
