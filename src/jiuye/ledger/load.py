"""Writing a validated :class:`~jiuye.ledger.validate.Plan`: bulk, inside the caller's transaction.

Rows never go through the ORM one by one. New rows get their ids up front (PostgreSQL hands out
a block from the table's sequence with one query; SQLite, whose writer holds the database lock
for the whole transaction, continues after the largest id), so foreign keys are resolved in
Python and every table is written in one stream: ``COPY … FROM STDIN`` on PostgreSQL,
``executemany`` elsewhere — the demo loader's writers, reused. Updates go through a temporary
table and one ``UPDATE … FROM`` on PostgreSQL (``executemany`` elsewhere).

A large load into tables that are small beside it (an initial import, the benchmark's million
persons into an empty database) lifts the registry's foreign keys, unique constraints and
secondary indexes for the duration and puts them back afterwards, exactly as ``jiuye seed``
does (one validating pass per constraint instead of a check per row); that is DDL inside the
same transaction, so a failure or a kill leaves every table as it was.

What the registry services guarantee is reproduced: derived person columns come from the plan
(``registry.derive``), each status event's ``until`` is the next event's ``since``, the
``current_*`` cache is the latest event, a moved household's members follow it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from itertools import count
from typing import Any

from django.db import connection, models
from django.utils import timezone

from jiuye.casework.models import ServiceRecord, UnemployedProfile
from jiuye.demo.generator import (
    EVENT_FIELDS,
    HOUSEHOLD_FIELDS,
    PERSON_FIELDS,
    RECOGNITION_FIELDS,
    UNIT_FIELDS,
)
from jiuye.demo.loader import (
    _analyze,
    _insert_rows,
    _lift_constraints,
    _quoted_columns,
    _restore_constraints,
    _sqlite_value,
)
from jiuye.ledger.validate import P, Plan, fetch_by
from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
from jiuye.units.models import Unit

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
)
SERVICE_INSERT_FIELDS = (
    "id",
    "person_id",
    "kind",
    "on",
    "by_id",
    "by_name",
    "training_mode",
    "enrolled",
    "completed",
    "certified",
    "outcome",
    "valid",
    "policy_name",
    "amount",
    "note",
    "created_at",
)
PERSON_UPDATE_FIELDS = tuple(
    name
    for name in PERSON_FIELDS
    if name not in ("current_status", "current_since", "current_registered")
)
_temp_names = count(1)

Progress = Callable[[int], None]


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` fresh primary keys for ``model``.

    PostgreSQL: the table is locked against other writers (SHARE ROW EXCLUSIVE, held to the end
    of the import's transaction) and the sequence moved past a block of ``n`` with one
    ``setval``: handing out a million ids one ``nextval`` at a time costs seconds. SQLite: the
    import's transaction holds the database's write lock, so the ids after the largest used
    one are free."""
    if n <= 0:
        return []
    table = model._meta.db_table
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(f"LOCK TABLE {qn(table)} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
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


def _column_types(table: str, columns: Sequence[str]) -> list[str]:
    """PostgreSQL type names of ``columns`` of ``table`` (for binary COPY)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT a.attname, t.typname FROM pg_attribute a
               JOIN pg_type t ON t.oid = a.atttypid
               WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped""",
            [table],
        )
        types = dict(cursor.fetchall())
    return [types[column] for column in columns]


def copy_binary(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``COPY … FROM STDIN (FORMAT BINARY)``: about four times less client CPU than the text
    format (psycopg packs the values in C; no text to format here or to parse on the server),
    which is most of an import's write time."""
    qn = connection.ops.quote_name
    types = _column_types(table, columns)
    sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.set_types(types)
        write = copy.write_row
        for row in rows:
            write(row)


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    out = []
    for name in fields:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field) and field.column
        out.append(field.column)
    return out


def insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    progress: Progress | None = None,
) -> None:
    """Rows in ``fields`` order: binary COPY on PostgreSQL (the demo loader's text COPY is
    ``_copy_rows``), the demo loader's batched ``executemany`` elsewhere."""
    if not rows:
        return
    if _postgres():
        copy_binary(model._meta.db_table, _columns(model, fields), rows)
    else:
        _insert_rows(model, fields, rows)  # type: ignore[arg-type]
    if progress is not None:
        progress(len(rows))


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
    columns = _columns(model, fields)
    with connection.cursor() as cursor:
        if _postgres():
            temp = f"ledger_update_{next(_temp_names)}"
            cursor.execute(
                f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS "
                f"SELECT {_quoted_columns(model, fields)} FROM {table} LIMIT 0"
            )
            types = _column_types(model._meta.db_table, columns)
            with cursor.cursor.copy(
                f"COPY {temp} ({', '.join(qn(c) for c in columns)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            sets = ", ".join(f"{qn(c)} = t.{qn(c)}" for c in columns[1:])
            cursor.execute(f"UPDATE {table} SET {sets} FROM {temp} t WHERE {table}.id = t.id")
            cursor.execute(f"DROP TABLE {temp}")
        else:
            sets = ", ".join(f"{qn(c)} = %s" for c in columns[1:])
            sql = f"UPDATE {table} SET {sets} WHERE id = %s"
            cursor.executemany(sql, [tuple(map(_sqlite_value, (*row[1:], row[0]))) for row in rows])
    if progress is not None:
        progress(len(rows))


def _should_lift(plan: Plan) -> bool:
    if not _postgres():
        return False
    inserted = len(plan.persons_insert) + len(plan.events_insert) + len(plan.households_insert)
    if inserted < LIFT_ROWS:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [Person._meta.db_table],
        )
        found = cursor.fetchone()
    existing = max(found[0], 0) if found else 0
    if existing < 1000:  # statistics may be stale on a fresh table: count it
        existing = Person.objects.count()
    return inserted > 2 * existing


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
    )


def _map(rows: Iterable[tuple[Any, Any]]) -> dict[Any, Any]:
    return dict(rows)


def write(
    plan: Plan, *, actor: Any = None, today: date | None = None, progress: Progress | None = None
) -> set[int]:
    """Write the plan; returns the ids of the households to announce (statuses_changed).

    Must run inside a transaction (``ledger.services`` opens it)."""
    assert connection.in_atomic_block, "ledger.load.write needs a transaction"
    today = today or timezone.localdate()
    actor_id = getattr(actor, "pk", None)
    lifted = None
    if _should_lift(plan):
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        lifted = _lift_constraints()

    # -- units (parents before children: the plan's order) --
    unit_ids: dict[str, int] = _map(Unit.objects.values_list("code", "id"))
    if plan.units_insert:
        ids = reserve_ids(Unit, len(plan.units_insert))
        rows: list[Any] = []
        for pk, (code, name, level, parent, path) in zip(ids, plan.units_insert, strict=True):
            unit_ids[code] = pk
            rows.append((pk, code, name, level, unit_ids[parent] if parent else None, path))
        insert(Unit, UNIT_FIELDS, rows, progress)
    update(Unit, ("id", "name"), plan.units_update, progress)

    # -- households --
    households: dict[str, tuple[int, int, int | None]] = {}
    if plan.households_insert:
        ids = reserve_ids(Household, len(plan.households_insert))
        rows = []
        for pk, (number, community, grid, hukou, address, dibao) in zip(
            ids, plan.households_insert, strict=True
        ):
            community_id = unit_ids[community]
            grid_id = unit_ids[grid] if grid else None
            households[number] = (pk, community_id, grid_id)
            rows.append((pk, number, community_id, grid_id, hukou, address, dibao))
        insert(Household, HOUSEHOLD_FIELDS, rows, progress)
        del rows
    if plan.households_update:
        rows = [
            (pk, unit_ids[community], unit_ids[grid] if grid else None, hukou, address, dibao)
            for pk, community, grid, hukou, address, dibao in plan.households_update
        ]
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

    # -- persons --
    wanted = {row[P["household_id"]] for row in plan.persons_insert}
    wanted.update(row[P["household_id"]] for row in plan.persons_update)
    wanted.update(plan.announce_numbers)
    wanted.difference_update(households)
    for number, pk, community_id, grid_id in fetch_by(
        Household, "number", wanted, ("number", "id", "community_id", "grid_id")
    ):
        households[number] = (pk, community_id, grid_id)
    person_ids: dict[str, int] = {}
    h = P["household_id"]
    c, g = P["community_id"], P["grid_id"]
    if plan.persons_insert:
        ids = reserve_ids(Person, len(plan.persons_insert))
        for pk, row in zip(ids, plan.persons_insert, strict=True):
            row[0] = pk
            person_ids[row[1]] = pk
            row[h], row[c], row[g] = households[row[h]]
        insert(Person, PERSON_FIELDS, plan.persons_insert, progress)
    if plan.persons_update:
        rows = []
        for row in plan.persons_update:
            row[h], row[c], row[g] = households[row[h]]
            person_ids[row[1]] = row[0]
            rows.append([row[P[name]] for name in PERSON_UPDATE_FIELDS])
        update(Person, PERSON_UPDATE_FIELDS, rows, progress)
    # ID numbers of registry persons referred to by the dependent sheets.
    referred = {row[0] for row in plan.events_insert}
    referred.update(row[0] for row in plan.recognitions_insert)
    referred.update(row[0] for row in plan.services_insert)
    referred.update(row[0] for row in plan.profiles_insert)
    referred.difference_update(person_ids)
    person_ids.update(fetch_by(Person, "id_number", referred, ("id_number", "id")))

    # -- ten-clears profiles --
    if plan.profiles_insert:
        ids = reserve_ids(UnemployedProfile, len(plan.profiles_insert))
        insert(
            UnemployedProfile,
            PROFILE_FIELDS,
            [
                (pk, person_ids[number], *values, today, actor_id)
                for pk, (number, *values) in zip(ids, plan.profiles_insert, strict=True)
            ],
            progress,
        )
    update(
        UnemployedProfile,
        PROFILE_FIELDS[:1] + PROFILE_FIELDS[2:],
        [(*row, today, actor_id) for row in plan.profiles_update],
        progress,
    )

    # -- status events --
    if plan.events_insert:
        ids = reserve_ids(StatusEvent, len(plan.events_insert))
        insert(
            StatusEvent,
            EVENT_FIELDS,
            [
                (pk, person_ids[number], status, since, until, registered, employer, cause)
                for pk, (number, status, since, until, registered, employer, cause) in zip(
                    ids, plan.events_insert, strict=True
                )
            ],
            progress,
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

    # -- recognitions --
    if plan.recognitions_insert:
        ids = reserve_ids(DifficultyRecognition, len(plan.recognitions_insert))
        insert(
            DifficultyRecognition,
            RECOGNITION_FIELDS,
            [
                (pk, person_ids[number], category, start, end, note)
                for pk, (number, category, start, end, note) in zip(
                    ids, plan.recognitions_insert, strict=True
                )
            ],
            progress,
        )
    update(DifficultyRecognition, ("id", "ended_on", "note"), plan.recognitions_update, progress)

    # -- service records (imported rows have no recording user, only the recorder's name) --
    if plan.services_insert:
        ids = reserve_ids(ServiceRecord, len(plan.services_insert))
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        insert(
            ServiceRecord,
            SERVICE_INSERT_FIELDS,
            [
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
            ],
            progress,
        )

    if lifted is not None:
        _restore_constraints(lifted)
        _analyze()
    announce = set(plan.announce_ids)
    announce.update(households[n][0] for n in plan.announce_numbers if n in households)
    return announce
