"""Writing a validated :class:`~jiuye.ledger.validate.Plan`: bulk, inside the caller's transaction.

Rows never go through the ORM one by one. New rows get their ids up front (PostgreSQL hands out
a block from the table's sequence with one query; SQLite, whose writer holds the database lock
for the whole transaction, continues after the largest id), so foreign keys are resolved in
Python and every table is written in one stream: ``COPY … FROM STDIN`` on PostgreSQL,
``executemany`` elsewhere (``jiuye.lib.bulkload``, shared with ``jiuye seed``). Updates go
through a temporary table and one ``UPDATE … FROM`` on PostgreSQL (``executemany`` elsewhere).

A large load into tables that are small beside it (an initial import, the benchmark's million
persons into an empty database) lifts the registry's foreign keys, unique constraints and
secondary indexes for the duration and puts them back afterwards, exactly as ``jiuye seed``
does (one validating pass per constraint instead of a check per row); that is DDL inside the
same transaction, so a failure or a kill leaves every table as it was.

What the registry services guarantee is reproduced: derived person columns come from the plan
(``registry.derive``), each status event's ``until`` is the next event's ``since``, the
``current_*`` cache is the latest event, a moved household's members follow it. What
``units.sharding.DistrictOwned`` does for a row saved alone is done here too: a new household
carries its community's district (read once for all of them, ``districts_of``), a new person
its household's, a new profile, status event, recognition or service record its person's;
updates leave the column as it is.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import count
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone

from jiuye.accounts.models import User
from jiuye.casework.columns import SERVICE_FIELDS
from jiuye.casework.models import ServiceRecord, UnemployedProfile
from jiuye.jobs.models import ContractEvent, Employer, Layoff, Posting, StaffReport
from jiuye.ledger.validate.employers import POSTING_VALUES
from jiuye.ledger.validate.fetch import P, fetch_by
from jiuye.ledger.validate.plan import Plan
from jiuye.lib import bulkload
from jiuye.registry.columns import (
    EVENT_FIELDS,
    HOUSEHOLD_FIELDS,
    PERSON_FIELDS,
    RECOGNITION_FIELDS,
)
from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
from jiuye.units import sharding
from jiuye.units.columns import STATION_FIELDS, UNIT_FIELDS
from jiuye.units.models import Unit
from jiuye.units.sharding import districts_of

# The tables whose constraints and indexes a large load lifts (those ``jiuye seed`` lifts).
LIFTED: tuple[type[models.Model], ...] = (
    Unit,
    Household,
    Person,
    StatusEvent,
    DifficultyRecognition,
    ServiceRecord,
)
# The lifted tables written in the second stage (after the validation of their sheets).
DEPENDENT: tuple[type[models.Model], ...] = (DifficultyRecognition, ServiceRecord)
# Lift constraints when at least this many registry rows are inserted and they outnumber the
# rows already in the person table (rebuilding big indexes for a small addition would cost more).
LIFT_ROWS = 200_000
PROFILE_FIELDS = (
    "id",
    "person_id",
    "family_situation",
    "training_need",
    "destination",
    "policies",
    "social_insurance",
    "updated_on",
    "updated_by_id",
    "district_id",
)
# The distribution column (``district_id``, units.sharding) never changes in an update.
PROFILE_UPDATE_FIELDS = tuple(f for f in PROFILE_FIELDS if f not in ("person_id", "district_id"))
EMPLOYER_FIELDS = ("id", "uscc", "name", "unit_id", "industry", "created_at", "updated_at")
_POSTING_COLUMNS = tuple("unit_id" if f == "unit" else f for f in POSTING_VALUES)
POSTING_INSERT_FIELDS = (
    "id",
    "number",
    "employer_id",
    *_POSTING_COLUMNS,
    "terms",
    "filled",
    "created_at",
    "updated_at",
)
POSTING_UPDATE_FIELDS = ("id", *_POSTING_COLUMNS, "terms", "updated_at")
CONTRACT_FIELDS = (
    "id",
    "employer_id",
    "employee_key",
    "employee_masked",
    "person_id",
    "kind",
    "on",
    "term_months",
    "created_at",
)
# The seed's columns with the recorder's account (an import knows who recorded it).
SERVICE_INSERT_FIELDS = (*SERVICE_FIELDS[:4], "by_id", *SERVICE_FIELDS[4:])
PERSON_UPDATE_FIELDS = tuple(
    name
    for name in PERSON_FIELDS
    if name not in ("current_status", "current_since", "current_registered", "district_id")
)
_temp_names = count(1)

Progress = Callable[[int], None]


_postgres = bulkload.postgres


# Fewer new rows than this: their ids are drawn from the sequence one by one, in one statement
# (0.2 s for 100,000), without locking the table; more: the table is locked and the sequence
# moved past the whole block at once (a district's first load).
RESERVE_UNLOCKED = 100_000


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` fresh primary keys for ``model``.

    PostgreSQL: up to :data:`RESERVE_UNLOCKED`, ``nextval`` ``n`` times in one statement, so
    writers of the table (a service record in any community) go on meanwhile; beyond, the
    table is locked against other writers (SHARE ROW EXCLUSIVE, held to the end of the
    import's transaction) and the sequence moved past a block of ``n`` with one ``setval``:
    handing out a million ids one ``nextval`` at a time costs seconds. SQLite: the import's
    transaction holds the database's write lock, so the ids after the largest used one are
    free."""
    if n <= 0:
        return []
    table = model._meta.db_table
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            if n < RESERVE_UNLOCKED:
                cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, n])
                return sorted(row[0] for row in cursor.fetchall())
            cursor.execute(f"LOCK TABLE {qn(table)} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = cursor.fetchone()[0]
            if n > 1:
                cursor.execute("SELECT setval(%s, %s)", [sequence, first + n - 1])
            return list(range(first, first + n))
        cursor.execute(f"SELECT MAX(id) FROM {qn(table)}")
        top = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        top = max(top, found[0] if found else 0)
    return list(range(top + 1, top + 1 + n))


def insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    progress: Progress | None = None,
    *,
    count: int | None = None,
) -> None:
    """Rows in ``fields`` order (a sequence, or an iterable of ``count`` rows, built as they
    are written): binary COPY on PostgreSQL, batched ``executemany`` elsewhere."""
    if count is None:
        rows = rows if isinstance(rows, Sequence) else list(rows)
        count = len(rows)
    if not count:
        return
    if _postgres():
        bulkload.copy_binary(model._meta.db_table, bulkload.columns(model, fields), rows)
    else:
        bulkload.insert_rows(model, fields, rows if isinstance(rows, Sequence) else list(rows))
    if progress is not None:
        progress(count)


def update(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    progress: Progress | None = None,
) -> None:
    """Set ``fields[1:]`` of the rows whose id is ``fields[0]`` (``"id"``)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = bulkload.columns(model, fields)
    with connection.cursor() as cursor:
        if _postgres() and _joins_temporary(model):
            temp = f"ledger_update_{next(_temp_names)}"
            cursor.execute(
                f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS "
                f"SELECT {bulkload.quoted_columns(model, fields)} FROM {table} LIMIT 0"
            )
            types = bulkload.column_types(model._meta.db_table, columns)
            with cursor.cursor.copy(
                f"COPY {temp} ({', '.join(qn(c) for c in columns)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            sets = ", ".join(f"{qn(c)} = t.{qn(c)}" for c in columns[1:])
            # The temporary table read as a sub-query: Citus joins no temporary table with a
            # distributed one, but sends a sub-query's rows to the shards (OFFSET 0 keeps it one)
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (SELECT * FROM {temp} OFFSET 0) t"
                f" WHERE {table}.id = t.id"
            )
            cursor.execute(f"DROP TABLE {temp}")
        else:
            sets = ", ".join(f"{qn(c)} = %s" for c in columns[1:])
            sql = f"UPDATE {table} SET {sets} WHERE id = %s"
            params = [(*row[1:], row[0]) for row in rows]
            if not _postgres():
                params = [tuple(map(bulkload.sqlite_value, p)) for p in params]
            cursor.executemany(sql, params)
    if progress is not None:
        progress(len(rows))


def _joins_temporary(model: type[models.Model]) -> bool:
    """Whether an UPDATE of ``model`` may join a temporary table: on one server always; on
    Citus a distributed table's may (read as a sub-query), a reference table's may not (the
    unit tree, the employers' sheets: a few hundred rows, updated one statement a row)."""
    return not sharding.citus() or issubclass(model, sharding.DistrictOwned)


def _should_lift(plan: Plan) -> bool:
    if not _postgres():
        return False
    inserted = len(plan.persons_insert) + len(plan.events_insert) + len(plan.households_insert)
    if inserted < LIFT_ROWS:
        return False
    # An exact count (tens of milliseconds at 1M persons, nothing beside such a load), not the
    # planner's reltuples: ANALYZE updates that in place, so a rolled-back load leaves it high.
    return inserted > 2 * Person.objects.count()


def rows_to_write(plan: Plan) -> int:
    return (
        len(plan.units_insert)
        + len(plan.units_update)
        + len(plan.households_insert)
        + len(plan.households_update)
        + len(plan.persons_insert)
        + len(plan.persons_update)
        + len(plan.profiles_insert)
        + len(plan.profiles_update)
        + len(plan.events_insert)
        + len(plan.events_update)
        + len(plan.current_update)
        + len(plan.recognitions_insert)
        + len(plan.recognitions_update)
        + len(plan.services_insert)
        + jobs_rows(plan)
    )


def jobs_rows(plan: Plan) -> int:
    """The rows of the employers' sheets to write."""
    return (
        len(plan.employers_insert)
        + len(plan.employers_update)
        + len(plan.staff_insert)
        + len(plan.staff_update)
        + len(plan.postings_insert)
        + len(plan.postings_update)
        + len(plan.contracts_insert)
        + len(plan.contracts_update)
        + len(plan.layoffs_insert)
        + len(plan.layoffs_update)
    )


def _map(rows: Iterable[tuple[Any, Any]]) -> dict[Any, Any]:
    return dict(rows)


@dataclass(frozen=True)
class Written:
    """What an import wrote, for the listeners of ``statuses_changed``."""

    announce: set[int]  # households whose zero-family cases may change (``household_ids``)
    # Every household whose rows were written or changed: the household itself, its persons,
    # their status events, recognitions and service records; a person who moved: both
    # households (the aggregates refresh them, ``written``).
    households: set[int]
    former_communities: set[int]  # of the households moved to another community


class Stopped(Exception):
    """The import gave up while the writer was still at work (its transaction rolls back)."""


class Writer:
    """Writes a plan in two stages, each complete once validation has reached it:

    - :meth:`write_registry`: units, households, persons (and their ten-clears profiles),
      status events and the persons' ``current_*`` cache — all final once the status sheet is
      validated;
    - :meth:`write_dependents`: recognitions and service records;

    then :meth:`finish` puts the lifted constraints back and names the households to announce.
    The plan's rows are never modified (the validator still reads them while a background
    writer runs: :class:`Pipeline`); the ids given to new rows are kept here."""

    def __init__(
        self,
        plan: Plan,
        *,
        actor: User | None = None,
        today: date | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.plan = plan
        self.actor_id = actor.pk if actor is not None else None
        self.today = today or timezone.localdate()
        self.progress = progress
        self.unit_ids: dict[str, int] = {}
        # household number → (id, community, grid, district)
        self.households: dict[str, tuple[int, int, int | None, int]] = {}
        self.person_ids: dict[str, int] = {}
        self.person_districts: dict[str, int] = {}  # ID number → the person's district
        self.lifted: bulkload.Lifted | None = None
        self.analyzed: set[type[models.Model]] = set()
        self.stop = threading.Event()
        # What the aggregates must refresh (``Written``): the households whose rows are written
        # or changed, the registry persons whose rows are (their households looked up at the
        # end), the former communities of the households moved to another one.
        self.written: set[int] = set()
        self.written_persons: set[int] = set()
        self.new_persons: set[int] = set()  # (their households are among ``written``)
        self.former_communities: set[int] = set()

    def _check(self) -> None:
        if self.stop.is_set():
            raise Stopped

    def _watch(self, rows: Iterable[Any]) -> Iterator[Any]:
        """``rows``, checking every 10,000 whether the import gave up."""
        stop = self.stop
        for n, row in enumerate(rows):
            if not n % 10_000 and stop.is_set():
                raise Stopped
            yield row

    def lift_if_large(self) -> None:
        """Lift the constraints and indexes of :data:`LIFTED` for a large load into small
        tables (see :func:`_should_lift`)."""
        if _should_lift(self.plan):
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.lifted = bulkload.lift_constraints(LIFTED)

    # -- stage 1 -------------------------------------------------------------------------------

    def write_registry(self) -> None:
        plan, progress = self.plan, self.progress
        self._check()
        # -- units (parents before children: the plan's order) --
        unit_ids = self.unit_ids
        unit_ids.update(_map(Unit.objects.values_list("code", "id")))
        if plan.units_insert:
            ids = reserve_ids(Unit, len(plan.units_insert))
            rows: list[Any] = []
            for pk, (code, name, level, parent, path, *station) in zip(
                ids, plan.units_insert, strict=True
            ):
                unit_ids[code] = pk
                parent_id = unit_ids[parent] if parent else None
                rows.append((pk, code, name, level, parent_id, path, *station))
            insert(Unit, UNIT_FIELDS, rows, progress)
        update(Unit, ("id", "name", *STATION_FIELDS), plan.units_update, progress)
        self._check()

        # -- households --
        households = self.households
        if plan.households_insert:
            ids = reserve_ids(Household, len(plan.households_insert))
            districts = districts_of({unit_ids[row[1]] for row in plan.households_insert})
            rows = []
            for pk, (number, community, grid, hukou, address, dibao) in zip(
                ids, plan.households_insert, strict=True
            ):
                community_id = unit_ids[community]
                grid_id = unit_ids[grid] if grid else None
                district_id = districts[community_id]
                households[number] = (pk, community_id, grid_id, district_id)
                self.written.add(pk)
                rows.append((pk, number, community_id, grid_id, hukou, address, dibao, district_id))
            insert(Household, HOUSEHOLD_FIELDS, self._watch(rows), progress, count=len(rows))
            del rows
        if plan.households_update:
            rows = [
                (pk, unit_ids[community], unit_ids[grid] if grid else None, hukou, address, dibao)
                for pk, community, grid, hukou, address, dibao in plan.households_update
            ]
            self.written.update(row[0] for row in rows)
            self.former_communities.update(
                community_id
                for (community_id,) in fetch_by(
                    Household, "id", plan.households_moved, ("community_id",)
                )
            )
            update(
                Household,
                ("id", "community_id", "grid_id", "hukou_type", "address", "dibao"),
                rows,
                progress,
            )
            for pk, community_id, grid_id, *_rest in rows:
                if pk in plan.households_moved:
                    Person.objects.filter(household_id=pk).update(
                        community_id=community_id, grid_id=grid_id
                    )
            # Before the households are read back below: their rows then carry the new district.
            follow_moves(plan.households_moved)
        self._check()

        # -- persons --
        wanted = {row[P["household_id"]] for row in plan.persons_insert}
        wanted.update(row[P["household_id"]] for row in plan.persons_update)
        wanted.update(plan.announce_numbers)
        wanted.difference_update(households)
        read_households(households, wanted)
        person_ids, person_districts = self.person_ids, self.person_districts
        written = self.written
        h = P["household_id"]
        c, g, d = P["community_id"], P["grid_id"], P["district_id"]
        if plan.persons_insert:
            ids = reserve_ids(Person, len(plan.persons_insert))
            self.new_persons.update(ids)

            def new_persons() -> Iterator[list[Any]]:
                for pk, row in zip(ids, plan.persons_insert, strict=True):
                    out = row.copy()  # the validator's row stays as it is
                    out[0] = pk
                    person_ids[row[1]] = pk
                    out[h], out[c], out[g], out[d] = households[row[h]]
                    person_districts[row[1]] = out[d]
                    written.add(out[h])
                    yield out

            insert(
                Person,
                PERSON_FIELDS,
                self._watch(new_persons()),
                progress,
                count=len(plan.persons_insert),
            )
        if plan.persons_update:
            # A person who moves leaves a household behind: it is written too.
            written.update(
                household_id
                for (household_id,) in fetch_by(
                    Person, "id", [row[0] for row in plan.persons_update], ("household_id",)
                )
            )
            rows = []
            moved_into: set[int] = set()
            for row in plan.persons_update:
                out = row.copy()
                # The update leaves the district alone (as DistrictOwned.save does); a person who
                # moved to another district's household takes it below (follow_moves), and the
                # rows this import adds for them are written with it already.
                out[h], out[c], out[g], new_district = households[row[h]]
                if new_district != row[d]:
                    moved_into.add(out[h])
                written.add(out[h])
                person_ids[row[1]] = row[0]
                person_districts[row[1]] = new_district
                rows.append([out[P[name]] for name in PERSON_UPDATE_FIELDS])
            update(Person, PERSON_UPDATE_FIELDS, rows, progress)
            follow_moves(moved_into)
        self._check()
        # ID numbers of registry persons referred to by the events and profiles.
        self._refer(number for number, *_ in plan.events_insert)
        self._refer(number for number, *_ in plan.profiles_insert)

        # -- ten-clears profiles --
        today, actor_id = self.today, self.actor_id
        if plan.profiles_insert:
            ids = reserve_ids(UnemployedProfile, len(plan.profiles_insert))
            insert(
                UnemployedProfile,
                PROFILE_FIELDS,
                [
                    (
                        pk,
                        person_ids[number],
                        *values,
                        today,
                        actor_id,
                        person_districts[number],
                    )
                    for pk, (number, *values) in zip(ids, plan.profiles_insert, strict=True)
                ],
                progress,
            )
        update(
            UnemployedProfile,
            PROFILE_UPDATE_FIELDS,
            [(*row, today, actor_id) for row in plan.profiles_update],
            progress,
        )
        self._check()

        # -- status events --
        if plan.events_insert:
            ids = reserve_ids(StatusEvent, len(plan.events_insert))
            insert(
                StatusEvent,
                EVENT_FIELDS,
                self._watch(
                    (
                        pk,
                        person_ids[number],
                        status,
                        since,
                        until,
                        registered,
                        employer,
                        cause,
                        person_districts[number],
                    )
                    for pk, (number, status, since, until, registered, employer, cause) in zip(
                        ids, plan.events_insert, strict=True
                    )
                ),
                progress,
                count=len(plan.events_insert),
            )
        update(
            StatusEvent,
            ("id", "status", "since", "until", "registered", "employer", "cause"),
            plan.events_update,
            progress,
        )
        update(
            Person,
            ("id", "current_status", "current_since", "current_registered"),
            plan.current_update,
            progress,
        )
        self.written_persons.update(person_ids[number] for number, *_ in plan.events_insert)
        self.written_persons.update(row[0] for row in plan.current_update)
        self._written_by(StatusEvent, plan.events_update)

    def _written_by(self, model: type[models.Model], updated: Sequence[Sequence[Any]]) -> None:
        """The persons of the rows of ``model`` updated (their ids first) are written."""
        ids = [row[0] for row in updated]
        self.written_persons.update(pk for (pk,) in fetch_by(model, "id", ids, ("person_id",)))

    def _refer(self, numbers: Iterable[str]) -> None:
        """Look up the ids of the registry persons among ``numbers`` not known yet."""
        referred = set(numbers)
        referred.difference_update(self.person_ids)
        for number, pk, district_id in fetch_by(
            Person, "id_number", referred, ("id_number", "id", "district_id")
        ):
            self.person_ids[number] = pk
            self.person_districts[number] = district_id

    def restore_registry(self) -> None:
        """With constraints lifted: put back those of the tables written so far (indexes,
        unique constraints, and foreign keys among them or from tables this import does not
        write), and refresh their statistics."""
        self._check()
        if self.lifted is None:
            return
        later = [model._meta.db_table for model in DEPENDENT]
        self.lifted = bulkload.restore_constraints(self.lifted, keep=later)
        self._check()
        done = [model for model in LIFTED if model not in DEPENDENT]
        bulkload.analyze(done)
        self.analyzed.update(done)

    # -- stage 2 -------------------------------------------------------------------------------

    def write_dependents(self) -> None:
        plan, progress, person_ids = self.plan, self.progress, self.person_ids
        person_districts = self.person_districts
        self._check()
        self._refer(number for number, *_ in plan.recognitions_insert)
        self._refer(number for number, *_ in plan.services_insert)
        # -- recognitions --
        if plan.recognitions_insert:
            ids = reserve_ids(DifficultyRecognition, len(plan.recognitions_insert))
            insert(
                DifficultyRecognition,
                RECOGNITION_FIELDS,
                [
                    (pk, person_ids[number], category, start, end, note, person_districts[number])
                    for pk, (number, category, start, end, note) in zip(
                        ids, plan.recognitions_insert, strict=True
                    )
                ],
                progress,
            )
        update(
            DifficultyRecognition, ("id", "ended_on", "note"), plan.recognitions_update, progress
        )
        persons_written = self.written_persons
        persons_written.update(person_ids[number] for number, *_ in plan.recognitions_insert)
        self._written_by(DifficultyRecognition, plan.recognitions_update)
        persons_written.update(person_ids[number] for number, *_ in plan.services_insert)
        self._check()

        # -- service records (imported rows have no recording user, only the recorder's name) --
        if plan.services_insert:
            ids = reserve_ids(ServiceRecord, len(plan.services_insert))
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            insert(
                ServiceRecord,
                SERVICE_INSERT_FIELDS,
                self._watch(
                    (
                        pk,
                        person_ids[number],
                        kind,
                        on,
                        None,
                        by_name,
                        mode,
                        enrolled,
                        completed,
                        certified,
                        outcome,
                        valid,
                        policy,
                        amount,
                        note,
                        now,
                        person_districts[number],
                    )
                    for pk, (
                        number,
                        kind,
                        on,
                        mode,
                        enrolled,
                        completed,
                        certified,
                        outcome,
                        valid,
                        policy,
                        amount,
                        note,
                        by_name,
                    ) in zip(ids, plan.services_insert, strict=True)
                ),
                progress,
                count=len(plan.services_insert),
            )
        self.write_jobs()

    # -- stage 3: the employers' sheets (after the registry: a contract links its person) -------

    def write_jobs(self) -> None:
        """Employers, their staff reports, postings, contracts and layoffs: each table in one
        bulk insert and one bulk update, like the registry's."""
        plan, progress = self.plan, self.progress
        if not jobs_rows(plan):
            return
        self._check()
        unit_ids = self.unit_ids or _map(Unit.objects.values_list("code", "id"))
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        employer_ids: dict[str, int] = {}
        if plan.employers_insert:
            ids = reserve_ids(Employer, len(plan.employers_insert))
            rows = []
            for pk, (uscc, name, community, industry) in zip(
                ids, plan.employers_insert, strict=True
            ):
                employer_ids[uscc] = pk
                rows.append((pk, uscc, name, unit_ids[community], industry, now, now))
            insert(Employer, EMPLOYER_FIELDS, rows, progress)
        update(
            Employer,
            ("id", "name", "unit_id", "industry", "updated_at"),
            [
                (pk, name, unit_ids[community], industry, now)
                for pk, name, community, industry in plan.employers_update
            ],
            progress,
        )
        wanted = {row[0] for row in plan.staff_insert}
        wanted.update(row[1] for row in plan.postings_insert)
        wanted.update(row[0] for row in plan.contracts_insert)
        wanted.update(row[0] for row in plan.layoffs_insert)
        wanted.difference_update(employer_ids)
        employer_ids.update(fetch_by(Employer, "uscc", wanted, ("uscc", "id")))
        if plan.staff_insert:
            ids = reserve_ids(StaffReport, len(plan.staff_insert))
            insert(
                StaffReport,
                ("id", "employer_id", "on", "staff", "created_at"),
                [
                    (pk, employer_ids[uscc], on, staff, now)
                    for pk, (uscc, on, staff) in zip(ids, plan.staff_insert, strict=True)
                ],
                progress,
            )
        update(StaffReport, ("id", "staff"), plan.staff_update, progress)
        self._check()
        unit_at = POSTING_VALUES.index("unit")

        def posting_values(values: Sequence[Any]) -> list[Any]:
            """A posting's values with its work unit's id for its code."""
            out = list(values)
            out[unit_at] = unit_ids[out[unit_at]]
            return out

        if plan.postings_insert:
            ids = reserve_ids(Posting, len(plan.postings_insert))
            insert(
                Posting,
                POSTING_INSERT_FIELDS,
                [
                    (
                        pk,
                        number,
                        employer_ids[uscc],
                        *posting_values(rest[:-1]),
                        rest[-1],
                        0,
                        now,
                        now,
                    )
                    for pk, (number, uscc, *rest) in zip(ids, plan.postings_insert, strict=True)
                ],
                progress,
            )
        update(
            Posting,
            POSTING_UPDATE_FIELDS,
            [(pk, *posting_values(rest[:-1]), rest[-1], now) for pk, *rest in plan.postings_update],
            progress,
        )
        self._check()
        if plan.contracts_insert:
            persons = _map(
                fetch_by(
                    Person,
                    "id_number",
                    {row[3] for row in plan.contracts_insert},
                    ("id_number", "id"),
                )
            )
            ids = reserve_ids(ContractEvent, len(plan.contracts_insert))
            insert(
                ContractEvent,
                CONTRACT_FIELDS,
                [
                    (pk, employer_ids[uscc], key, masked, persons.get(number), kind, on, term, now)
                    for pk, (uscc, key, masked, number, kind, on, term) in zip(
                        ids, plan.contracts_insert, strict=True
                    )
                ],
                progress,
            )
        update(ContractEvent, ("id", "kind", "term_months"), plan.contracts_update, progress)
        if plan.layoffs_insert:
            ids = reserve_ids(Layoff, len(plan.layoffs_insert))
            insert(
                Layoff,
                ("id", "employer_id", "on", "count", "reason", "created_at"),
                [
                    (pk, employer_ids[uscc], on, count, reason, now)
                    for pk, (uscc, on, count, reason) in zip(ids, plan.layoffs_insert, strict=True)
                ],
                progress,
            )
        update(Layoff, ("id", "count"), plan.layoffs_update, progress)

    def finish(self) -> Written:
        """Put back what is still lifted; the households to announce (statuses_changed) and
        those written."""
        self._check()
        if self.lifted is not None:
            bulkload.restore_constraints(self.lifted)
            bulkload.analyze([model for model in LIFTED if model not in self.analyzed])
            self.lifted = None
        plan, households = self.plan, self.households
        announce = set(plan.announce_ids)
        missing = plan.announce_numbers - households.keys()
        if missing:  # new households whose number the persons stage did not look up
            read_households(households, missing)
        announce.update(households[n][0] for n in plan.announce_numbers if n in households)
        registry_persons = self.written_persons - self.new_persons
        self.written.update(
            household_id
            for (household_id,) in fetch_by(Person, "id", registry_persons, ("household_id",))
        )
        return Written(announce, self.written, self.former_communities)


def write(
    plan: Plan,
    *,
    actor: User | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> Written:
    """Write the plan; returns the households to announce (statuses_changed) and those written.

    Must run inside a transaction (``ledger.services`` opens it)."""
    assert connection.in_atomic_block, "ledger.load.write needs a transaction"
    writer = Writer(plan, actor=actor, today=today, progress=progress)
    writer.lift_if_large()
    writer.write_registry()
    writer.write_dependents()
    return writer.finish()


class Pipeline:
    """Writing while the validation goes on (PostgreSQL, a large load with its constraints
    lifted: the initial import of a district).

    Once the status sheet is validated, units, households, persons and status events are final
    (:class:`Writer`'s first stage): they are written at once, and then a background thread
    has PostgreSQL rebuild their indexes and constraints and refresh their statistics — work
    done by the server, on the other core — while this thread validates the recognitions and
    service records. The thread uses the import's own connection (shared with Django's
    ``inc_thread_sharing``, as Django's live-server tests do; psycopg serialises the statements
    of the two threads) and only sends DDL, so everything stays in the import's one
    transaction: whatever fails, in either thread, rolls all of it back.

    Without a background stage (SQLite, or a load too small to lift constraints for) the plan
    is written at :meth:`finish`, all in this thread, as :func:`write` does.
    """

    def __init__(
        self,
        *,
        actor: User | None = None,
        today: date | None = None,
    ) -> None:
        self.actor = actor
        self.today = today
        self.writer: Writer | None = None
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.written = 0
        self.report: Callable[[int], None] | None = None

    def _count(self, rows: int) -> None:
        self.written += rows
        if self.report is not None:
            self.report(self.written)

    def start(self, plan: Plan) -> None:
        """Called by the validator once the status sheet is validated: write the first stage
        and start the rebuild of its indexes, if the load is large enough to lift them (else
        nothing happens until :meth:`finish`, which reports the progress of all writing)."""
        if self.writer is not None or not _postgres():
            return
        writer = Writer(plan, actor=self.actor, today=self.today, progress=self._count)
        writer.lift_if_large()
        if writer.lifted is None:
            return
        self.writer = writer
        writer.write_registry()
        conn = connections[DEFAULT_DB_ALIAS]
        conn.inc_thread_sharing()

        def run() -> None:
            connections[DEFAULT_DB_ALIAS] = conn  # this thread uses the import's connection
            try:
                writer.restore_registry()
            except BaseException as error:  # handed over to the import's thread
                self.error = error
            finally:
                del connections[DEFAULT_DB_ALIAS]

        self.thread = threading.Thread(target=run, name="ledger-indexes", daemon=True)
        self.thread.start()

    def _join(self) -> None:
        thread, self.thread = self.thread, None
        if thread is None:
            return
        thread.join()
        connections[DEFAULT_DB_ALIAS].dec_thread_sharing()
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def finish(self, plan: Plan, report: Callable[[int], None] | None = None) -> Written:
        """Write what is left of ``plan`` (all of it when nothing was started); the households
        to announce and those written. ``report`` gets the rows written so far."""
        assert connection.in_atomic_block, "ledger.load needs a transaction"
        self.report = report
        if report is not None and self.written:
            report(self.written)
        if self.writer is None:
            return write(plan, actor=self.actor, today=self.today, progress=self._count)
        self._join()
        self.writer.write_dependents()
        return self.writer.finish()

    def stop(self) -> None:
        """Stop the background thread if it is still running (the import is being abandoned):
        it stops at its next check and its running statement is cancelled."""
        thread = self.thread
        if thread is None:
            return
        assert self.writer is not None
        self.writer.stop.set()
        if thread.is_alive():
            raw = connections[DEFAULT_DB_ALIAS].connection
            if raw is not None:
                with contextlib.suppress(Exception):
                    raw.cancel_safe()
        thread.join()
        self.thread = None
        self.error = None
        connections[DEFAULT_DB_ALIAS].dec_thread_sharing()


def follow_moves(household_ids: set[int]) -> None:
    """The rows of households that moved, or that persons moved into, take their new district
    (``units.sharding.follow_moves``), a few hundred households a statement."""
    ids = sorted(household_ids)
    for start in range(0, len(ids), 500):
        sharding.follow_moves(household_ids=ids[start : start + 500])


def read_households(
    households: dict[str, tuple[int, int, int | None, int]], numbers: Iterable[str]
) -> None:
    """Add the registry's households among ``numbers`` to ``households``: number → (id,
    community, grid, district), as the loader's stages carry them."""
    for number, pk, community_id, grid_id, district_id in fetch_by(
        Household, "number", numbers, ("number", "id", "community_id", "grid_id", "district_id")
    ):
        households[number] = (pk, community_id, grid_id, district_id)
