"""Today's deadline items, stored: every item of every rule (:mod:`.queries`) for every person
and household at one date (``DeadlineStore.as_of``, over the calendar year to it), so that a
street's or district's worklist, a rule's list and the indicators that count a rule's items read
an indexed table instead of working the rules out for a whole district on every request.

- **Built** once a day (:func:`store_build`, the task :func:`build_task`, ``jiuye deadlines
  store``) community by community, each batch under the communities' writer lock, by the same
  SQL statements the live path runs (:func:`.queries.rules_sql`): one statement of each rule.
- **Kept in line with every write** of that day, inside the writer's transaction
  (:func:`store_refresh`, called by ``casework.receivers``): the items of the households a
  write touched are deleted and worked out again (a few milliseconds for one household).
- **Read** only when the day and period asked for are stored and ready (``queries.scope_for``);
  any other date, period or an unbuilt day is worked out from the registry (same answers,
  slower). A reader that finds today unstored asks for a build (:func:`request_build`).
- A bulk write that does not name its households, a new holiday calendar or a refresh too big to
  be worth doing row by row marks the day unready (:func:`store_invalidate`) and asks for a
  build: readers fall back to the rules meanwhile, never to stale rows.

The state of an item (overdue, due soon, ...) is not stored: it is classified at read time from
the stored due and done dates (``queries.classify_sql``), with the due-soon horizon of the day.
See docs/decisions.md, "Stored deadline items".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task

from jiuye.casework.deadlines import queries
from jiuye.casework.deadlines.dates import period_start_of, soon_horizon
from jiuye.casework.deadlines.items import CalendarGaps
from jiuye.casework.models import DeadlineItem, DeadlineStore
from jiuye.lib import bulkload
from jiuye.lib.sql import Sql, lock_community
from jiuye.registry import definitions
from jiuye.registry.models import Household, Person, StatusEvent
from jiuye.units.models import COMMUNITY_LEVELS, Unit

log = logging.getLogger(__name__)

# Communities built per transaction: few enough that writers of a batch wait briefly.
BUILD_BATCH = 25
# A refresh of more households than this (a big import) marks the day for a rebuild instead.
REFRESH_LIMIT = 2000
# A build not finished after this long is taken to have died: the next reader asks again.
BUILD_STALE = timedelta(hours=1)

STORED_COLUMNS = (
    "as_of, rule_id, person_id, household_id, case_id, due, done_on, actionable, day, n, "
    "home_id, community_id, grid_id"
)


def _scope(
    on: date, period_start: date, persons: QuerySet[Person], households: QuerySet[Household]
) -> queries.Scope:
    """Every item of these persons and households, worked out from the registry."""
    gaps = CalendarGaps()
    return queries.Scope(
        persons=persons,
        households=households,
        on=on,
        period_start=period_start,
        soon_until=soon_horizon(on, gaps),
        gaps=gaps,
    )


def _insert(scope: queries.Scope) -> int:
    """Store the scope's items (worked out by the rules) for its day: one statement."""
    items = queries.rules_sql(scope, list(queries.RULE_SQL))
    persons = queries.rows_for_coordinator(
        queries.P, "sp", "id, household_id", scope.person_where()
    )
    query = Sql(
        f"INSERT INTO {queries.D} ({STORED_COLUMNS}) "
        "SELECT %s, i.rule_id, i.person_id, i.household_id, i.case_id, i.due, i.done_on, "
        "i.actionable, i.day, i.n, COALESCE(i.household_id, sp.household_id), i.community_id, "
        f"i.grid_id FROM ({items.text}) i LEFT JOIN {persons.text} ON sp.id = i.person_id",
        (scope.on, *items.params, *persons.params),
    )
    with connection.cursor() as cursor:
        cursor.execute(query.text, query.params)
        return max(cursor.rowcount, 0)


def _communities() -> list[int]:
    return list(
        Unit.objects.filter(level__in=COMMUNITY_LEVELS).order_by("pk").values_list("pk", flat=True)
    )


def store_build(*, on: date, batch: int = BUILD_BATCH) -> int:
    """Store every item at ``on`` (over the calendar year to it), batch by batch of
    communities, then mark the day ready and drop the days before it. Writers of a community
    wait only while its batch is written. Returns the number of items stored."""
    period_start = period_start_of(on, None)
    row, _ = DeadlineStore.objects.get_or_create(as_of=on, defaults={"period_start": period_start})
    if row.period_start != period_start:
        DeadlineStore.objects.filter(pk=row.pk).update(period_start=period_start)
    total = 0
    communities = _communities()
    for start in range(0, len(communities), batch):
        chunk = communities[start : start + batch]
        with transaction.atomic():
            for community_id in chunk:
                lock_community(community_id)
            DeadlineItem.objects.filter(as_of=on, community_id__in=chunk).delete()
            persons = Person.objects.filter(community_id__in=chunk)
            households = Household.objects.filter(community_id__in=chunk)
            total += _insert(_scope(on, period_start, persons, households))
    with transaction.atomic():
        DeadlineStore.objects.filter(pk=row.pk).update(ready=True, finished_at=timezone.now())
        DeadlineStore.objects.exclude(as_of__gte=on).delete()
        DeadlineItem.objects.exclude(as_of__gte=on).delete()
    # A day's items replace the last day's: without fresh statistics PostgreSQL takes the new
    # day for empty (until autovacuum comes round) and reads every item of the day where a
    # rule's would do (QG-2016 for the district: 1.4 s against 1.0 s at 1M persons).
    bulkload.analyze([DeadlineItem])
    log.info("deadline items stored for %s: %d", on.isoformat(), total)
    return total


@task()
def build_task(on: str) -> int:
    """The background build of a day (an ISO date), asked for by :func:`request_build`."""
    return store_build(on=date.fromisoformat(on))


def request_build(on: date) -> None:
    """Ask the task worker to store ``on`` (today only; other dates are read from the
    registry), unless a build of it is under way. ``DEADLINE_STORE_BUILD`` turns this off
    (the tests: each builds the store it reads)."""
    if not getattr(settings, "DEADLINE_STORE_BUILD", True) or on != timezone.localdate():
        return
    now = timezone.now()
    row, created = DeadlineStore.objects.get_or_create(
        as_of=on, defaults={"period_start": period_start_of(on, None)}
    )
    if not created and (row.ready or row.started_at > now - BUILD_STALE):
        return
    if not created:
        DeadlineStore.objects.filter(pk=row.pk).update(started_at=now)
    transaction.on_commit(lambda: _enqueue(on), robust=True)


def _enqueue(on: date) -> None:
    build_task.enqueue(on.isoformat())


def store_invalidate() -> None:
    """Every stored day is unready (readers work the rules out) until rebuilt; today's build
    is asked for."""
    if DeadlineStore.objects.exists():
        DeadlineStore.objects.update(ready=False, started_at=timezone.now() - BUILD_STALE)
        request_build(timezone.localdate())


def is_kept() -> bool:
    """Whether any day is stored (else a write has nothing to refresh)."""
    return DeadlineStore.objects.exists()


def store_refresh(household_ids: Iterable[int | None]) -> None:
    """Work out again, in the writer's transaction, the stored items of these households (their
    persons' and their own) on every stored day, under their communities' writer lock (a build
    of the same communities waits, then reads what this transaction wrote)."""
    days = list(DeadlineStore.objects.values_list("as_of", "period_start"))
    ids = sorted({pk for pk in household_ids if pk is not None})
    if not days or not ids:
        return
    if len(ids) > REFRESH_LIMIT:
        store_invalidate()
        return
    for community_id in _communities_of(ids):
        lock_community(community_id)
    persons = Person.objects.filter(household_id__in=ids)
    households = Household.objects.filter(pk__in=ids)
    # The days their registrations can begin on: CQ-4's due dates of those days only.
    starts = frozenset(
        StatusEvent.objects.filter(definitions.registered_q(), person__household_id__in=ids)
        .values_list("since", flat=True)
        .distinct()
    )
    for on, period_start in days:
        DeadlineItem.objects.filter(as_of=on, home_id__in=ids).delete()
        scope = replace(_scope(on, period_start, persons, households), start_days=starts)
        _insert(scope)


def _communities_of(household_ids: Sequence[int]) -> list[int]:
    """The communities the households are in now and those their stored items were in (a
    household that moved): every lock a build of their rows would take."""
    now = Household.objects.filter(pk__in=household_ids).values_list("community_id", flat=True)
    before = (
        DeadlineItem.objects.filter(home_id__in=household_ids)
        .values_list("community_id", flat=True)
        .distinct()
    )
    return sorted(set(now) | set(before))
