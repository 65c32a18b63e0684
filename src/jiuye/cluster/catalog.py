"""What the database says about its tables: the schema :func:`jiuye.cluster.layout.plan` needs
(tables, unique keys, foreign keys, triggers on TRUNCATE) and where each table lives on the
cluster, read from pg_catalog and Citus's metadata (pg_dist_partition, pg_dist_shard) of the
current schema."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection

from jiuye.cluster.layout import ForeignKey, Kind, Schema, TruncateTrigger, UniqueKey


class NotCitus(Exception):
    """The database is not PostgreSQL with the citus extension."""


def require_citus() -> None:
    if connection.vendor != "postgresql":
        raise NotCitus(f"the database is {connection.vendor}, not PostgreSQL with Citus")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        if cursor.fetchone() is None:
            raise NotCitus(
                "the database has no citus extension (CREATE EXTENSION citus, on a server"
                " started with shared_preload_libraries = 'citus': scripts/citus.sh)"
            )


# The tables of the current schema. Citus keeps the shards of reference and Citus local tables
# on the coordinator too, as tables of the same schema: they are not ours to list.
_TABLES = """
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
      AND NOT relation_is_a_known_shard(c.oid)
"""


def _kind(partmethod: str | None, repmodel: str | None) -> Kind:
    if partmethod is None:
        return Kind.LOCAL
    if partmethod == "h":
        return Kind.DISTRIBUTED
    return Kind.REFERENCE if repmodel == "t" else Kind.CITUS_LOCAL


def read_schema() -> Schema:
    """The current schema's tables with where they live, their primary keys, unique
    constraints and unique indexes, and their foreign keys."""
    require_citus()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT c.relname, p.partmethod, p.repmodel FROM pg_class c
            LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
            WHERE c.oid IN ({_TABLES}) ORDER BY c.relname"""
        )
        tables = {name: _kind(method, model) for name, method, model in cursor.fetchall()}
        # Key columns only (indnkeyatts): an INCLUDE column does not make a row unique.
        cursor.execute(
            f"""SELECT t.relname, i.relname, con.oid IS NULL,
                ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true)
                      FROM generate_series(1, x.indnkeyatts) k ORDER BY k),
                CASE WHEN con.oid IS NULL THEN pg_get_indexdef(x.indexrelid)
                     ELSE pg_get_constraintdef(con.oid) END
            FROM pg_index x
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_class i ON i.oid = x.indexrelid
            LEFT JOIN pg_constraint con
              ON con.conindid = x.indexrelid AND con.conrelid = x.indrelid
             AND con.contype IN ('p', 'u')
            WHERE x.indisunique AND x.indrelid IN ({_TABLES})
            ORDER BY t.relname, i.relname"""
        )
        unique_keys = tuple(
            UniqueKey(table=t, name=n, columns=tuple(cols), definition=d, index=index)
            for t, n, index, cols, d in cursor.fetchall()
        )
        cursor.execute(
            f"""SELECT t.relname, con.conname, r.relname,
                ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
                      ORDER BY k.o),
                ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n
                      ORDER BY k.o),
                pg_get_constraintdef(con.oid)
            FROM pg_constraint con
            JOIN pg_class t ON t.oid = con.conrelid
            JOIN pg_class r ON r.oid = con.confrelid
            WHERE con.contype = 'f' AND con.conrelid IN ({_TABLES})
            ORDER BY t.relname, con.conname"""
        )
        foreign_keys = tuple(
            ForeignKey(
                table=t,
                name=n,
                columns=tuple(cols),
                parent=p,
                parent_columns=tuple(pcols),
                definition=_unqualified(d),
            )
            for t, n, p, cols, pcols, d in cursor.fetchall()
        )
        # Our triggers on TRUNCATE (tgtype bit 5), not Citus's own on its tables.
        cursor.execute(
            f"""SELECT t.relname, tg.tgname, pg_get_triggerdef(tg.oid)
            FROM pg_trigger tg JOIN pg_class t ON t.oid = tg.tgrelid
            WHERE tg.tgrelid IN ({_TABLES}) AND NOT tg.tgisinternal AND tg.tgtype & 32 <> 0
              AND tg.tgfoid <> 'citus_truncate_trigger'::regproc
            ORDER BY t.relname, tg.tgname"""
        )
        truncate_triggers = tuple(TruncateTrigger(*row) for row in cursor.fetchall())
    return Schema(
        tables=tables,
        unique_keys=unique_keys,
        foreign_keys=foreign_keys,
        truncate_triggers=truncate_triggers,
    )


def _unqualified(definition: str) -> str:
    """pg_get_constraintdef names the referenced table with its schema when the schema is not
    on the search path; the plan re-adds keys in the current schema, where the name alone is
    what it means."""
    return re.sub(r" REFERENCES [^(]*\.", " REFERENCES ", definition, count=1)


@dataclass(frozen=True)
class Placement:
    """Where one table lives: its kind, its number of shards and its co-location group (0:
    none, a local table)."""

    table: str
    kind: Kind
    shards: int
    colocation: int


def placements() -> list[Placement]:
    """Every table of the current schema, distributed ones first, then reference, Citus local
    and local ones, each group by name."""
    require_citus()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT c.relname, p.partmethod, p.repmodel, COALESCE(p.colocationid, 0),
                (SELECT count(*) FROM pg_dist_shard s WHERE s.logicalrelid = c.oid)
            FROM pg_class c LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
            WHERE c.oid IN ({_TABLES})"""
        )
        rows = [
            Placement(table=t, kind=_kind(m, r), shards=int(n), colocation=int(g))
            for t, m, r, g, n in cursor.fetchall()
        ]
    order = list(Kind)
    return sorted(rows, key=lambda p: (order.index(p.kind), p.table))
