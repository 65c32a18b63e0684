"""Loading many rows into the database fast, inside the caller's transaction.

Shared by the bulk writers that bypass the services on purpose (``jiuye seed`` in
``demo.loader``, the ledger workbook import in ``ledger.load``): streaming rows with ``COPY``
on PostgreSQL or batched ``executemany`` elsewhere, and lifting the foreign keys, unique
constraints and secondary indexes of the tables being loaded for the duration, then putting
them back exactly as the catalog had them.

It lives in ``lib`` because it knows no model of its own: every function takes the models (or
table) it works on, so any app may use it without an import pointing upwards (the set of
tables a loader lifts is the loader's business: ``demo.loader.CORE_MODELS``, the import's own
list in ``ledger.load``). Everything here is plain SQL on the one connection, so DDL and rows
commit or roll back together with the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction

from jiuye.lib.sql import citus

SQLITE_BATCH = 5000

Models = Sequence[type[models.Model]]


def postgres() -> bool:
    return connection.vendor == "postgresql"


def column(model: type[models.Model], name: str) -> str:
    """The database column of field ``name`` (also a foreign key's attname, "parent_id")."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field.column


def columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    return [column(model, name) for name in fields]


def quoted_columns(model: type[models.Model], fields: Sequence[str]) -> str:
    qn = connection.ops.quote_name
    return ", ".join(qn(column(model, name)) for name in fields)


def sqlite_value(value: Any) -> Any:
    """A value as Django stores it on SQLite: dates as ISO text, an aware datetime as naive
    UTC text, a Decimal as text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat() if isinstance(value, date) else value


def copy_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """PostgreSQL: stream rows with text ``COPY`` (psycopg's C row writer formats dates and
    booleans)."""
    sql = (
        f"COPY {connection.ops.quote_name(model._meta.db_table)} "
        f"({quoted_columns(model, fields)}) FROM STDIN"
    )
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def column_types(table: str, names: Sequence[str]) -> list[str]:
    """PostgreSQL type names of the columns ``names`` of ``table`` (for binary COPY)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT a.attname, t.typname FROM pg_attribute a
               JOIN pg_type t ON t.oid = a.atttypid
               WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped""",
            [table],
        )
        types = dict(cursor.fetchall())
    return [types[name] for name in names]


def copy_binary(table: str, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL: ``COPY … FROM STDIN (FORMAT BINARY)`` into the columns ``names``: about four
    times less client CPU than the text format (psycopg packs the values in C; no text to
    format here or to parse on the server)."""
    qn = connection.ops.quote_name
    types = column_types(table, names)
    sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in names)}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.set_types(types)
        write = copy.write_row
        for row in rows:
            write(row)


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Any database: ``executemany`` in batches of :data:`SQLITE_BATCH` (values as
    :func:`sqlite_value` gives them)."""
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "
        f"({quoted_columns(model, fields)}) VALUES ({placeholders})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), SQLITE_BATCH):
            chunk = rows[start : start + SQLITE_BATCH]
            cursor.executemany(sql, [tuple(map(sqlite_value, row)) for row in chunk])


@dataclass(frozen=True)
class Lifted:
    """Constraints and plain indexes lifted for a bulk load, with their exact definitions."""

    # (table, name, definition, referenced table or ""): unique constraints first, FKs last
    constraints: list[tuple[str, str, str, str]]
    indexes: list[tuple[str, str, str]]  # (table, name, CREATE INDEX statement)


def one_connection_a_node() -> None:
    """Citus: the rest of this transaction sends its statements over one connection a node.
    A load writes the unit tree (a reference table) after reading and writing the residents'
    shards, which Citus allows only then; the COPY streams are one a node either way."""
    if citus():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")


def lift_constraints(tables: Models) -> Lifted:
    """PostgreSQL: drop the foreign keys from and into ``tables``, their unique constraints and
    secondary indexes (primary keys stay), keeping the definitions from the catalog to put them
    back with :func:`restore_constraints`.

    Checking a million foreign keys row by row and inserting random keys into a dozen B-trees
    costs more than the COPY itself; one validating pass per constraint and one sorted build per
    index afterwards is several times cheaper, and without foreign keys into them the tables can
    be truncated. It is all DDL inside the caller's transaction: a failure restores everything.
    Pending deferred checks would block the DDL: the caller sets ``SET CONSTRAINTS ALL
    IMMEDIATE`` first.

    On Citus nothing is lifted: the keys of a distributed table are checked on its shards, in
    parallel, and DDL on the cluster's tables inside a load's transaction (after its parallel
    reads, or on the coordinator's tables that reference the unit tree) is refused.
    """
    if citus():
        return Lifted(constraints=[], indexes=[])
    names = [model._meta.db_table for model in tables]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid),
                      CASE WHEN c.contype = 'f' THEN c.confrelid::regclass::text ELSE '' END
               FROM pg_constraint c
               WHERE (c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u'))
                  OR (c.confrelid = ANY(%s::regclass[]) AND c.contype = 'f')
               ORDER BY c.contype DESC, 1, 2""",
            [names, names],
        )
        constraints = [(t, n, d, r) for t, n, d, r in cursor.fetchall()]  # 'u' before 'f'
        cursor.execute(
            """SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text,
                      pg_get_indexdef(i.indexrelid)
               FROM pg_index i
               WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                 WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u'))
               ORDER BY 2""",
            [names],
        )
        indexes = [(t, n, d) for t, n, d in cursor.fetchall()]
        for table, name, _, _ in reversed(constraints):  # foreign keys first
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
        for _, name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    return Lifted(constraints=constraints, indexes=indexes)


def restore_constraints(lifted: Lifted, *, keep: Iterable[str] = ()) -> Lifted:
    """Put back what :func:`lift_constraints` dropped: indexes, then unique constraints, then
    foreign keys (each validated in one pass over its table). ``keep``: tables still being
    loaded; what is on them (or, for a foreign key, points into them) stays lifted and is
    returned, to be restored later."""
    held = set(keep)
    qn = connection.ops.quote_name
    kept_indexes = [index for index in lifted.indexes if index[0] in held]
    kept_constraints = [c for c in lifted.constraints if c[0] in held or c[3] in held]
    with connection.cursor() as cursor:
        for table, _, statement in lifted.indexes:
            if table not in held:
                cursor.execute(statement)
        for table, name, definition, references in lifted.constraints:
            if table not in held and references not in held:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")
    return Lifted(constraints=kept_constraints, indexes=kept_indexes)


def reset_sequences(tables: Models) -> None:
    """Move the id sequences of ``tables`` past their largest id (after explicit ids)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(tables))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def analyze(tables: Models) -> None:
    """PostgreSQL: fresh planner statistics for ``tables``, so the first query after a bulk
    load plans well (elsewhere nothing); without them, a table autovacuum last saw empty is
    planned as empty, and a district's evaluation ran for minutes on Citus. On Citus inside
    the load's transaction (:func:`_citus_analyze`)."""
    if not postgres():
        return
    if citus():
        _citus_analyze(tables)
        return
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _citus_analyze(tables: Models) -> None:
    """A distributed table is analysed as on one server (each shard, over the transaction's
    connections, so with the load's rows). A reference table's ANALYZE would be a parallel
    command after the load's local writes to the coordinator's copy, which Citus refuses: that
    copy (a plain table, on which the coordinator runs every query over reference tables
    alone) is analysed by its own name now, and the table on every node once the load has
    committed."""
    names = [m._meta.db_table for m in tables]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.logicalrelid::regclass::text, shard_name(s.logicalrelid, s.shardid)"
            " FROM pg_dist_partition p JOIN pg_dist_shard s ON s.logicalrelid = p.logicalrelid"
            " JOIN pg_dist_placement pl ON pl.shardid = s.shardid"
            " WHERE p.repmodel = 't' AND pl.groupid = 0"
            " AND p.logicalrelid::regclass::text = ANY(%s)",
            [names],
        )
        copies = dict(cursor.fetchall())
        for name in names:
            cursor.execute(f"ANALYZE {copies.get(name) or connection.ops.quote_name(name)}")
    later = [connection.ops.quote_name(name) for name in names if name in copies]

    def on_every_node() -> None:
        with connection.cursor() as cursor:
            for name in later:
                cursor.execute(f"ANALYZE {name}")

    if later:
        transaction.on_commit(on_every_node)
