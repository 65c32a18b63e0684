"""Where each table lives on a Citus cluster, and the SQL that puts it there.

``layout.toml`` names the tables distributed by district (all co-located with the first), the
reference tables (copied to every node) and, for the record, the local tables whose foreign keys
into distributed tables are left out; every other table stays a local table on the coordinator.
:func:`plan` turns the layout and the live schema (:class:`Schema`, read from pg_catalog by
:mod:`jiuye.cluster.catalog`) into the statements ``jiuye citus distribute`` runs, in order:

1. Every foreign key is dropped, and re-added at the end. Were a key there when the table it
   references becomes a reference table, Citus would make the referencing table a "Citus
   local table", and Citus can neither distribute such a table nor turn it back into a plain
   one when it has an identity column (citusdata/citus#7888; every Django id is one). A table
   to distribute that is one already (made so outside this plan) is refused with that reason.
2. A distributed table's primary key and unique constraints and indexes gain ``district_id``:
   Citus checks uniqueness on each shard alone, so it requires the distribution column in
   each. This keeps their meaning, since the district follows from the row itself: the id is
   unique by itself (an identity), and the other keys start from the row's person or household
   (one status a person a day, one recognition a person, category and day, one profile a
   person, one zero-family case a household and day), whose district is the row's. Two keys
   become unique per district only: a person's ID number (``registry_person.id_number``) and a
   household's number (``registry_household.number``). That they are unique in the whole
   province is checked by the registry services before they write a person or a household
   (``person_create``, ``household_create``: a query over every shard).
3. ``create_reference_table`` for the reference tables (the referenced before the referencing),
   then ``create_distributed_table`` on ``district_id`` for the distributed ones, co-located
   with the first; after each, the coordinator's local copy of the rows is emptied (Citus keeps
   it on disk, invisible, otherwise). A distributed table's triggers go to each of its shards
   (:data:`TRIGGERS`), except a trigger on TRUNCATE: Citus would copy it to the shards but
   never enable or disable it there, so it is dropped before and created again after, on the
   table the coordinator truncates through (the audit log's ``audit_no_truncate``, which the
   tests' flush lifts).
4. The foreign keys come back: between two distributed tables as composite keys
   ``(fk, district_id) REFERENCES parent (id, district_id)`` (a row and its parent are in the
   same district, so on the same shard group); into reference tables as they were; between
   local tables as they were. A key from a local or reference table into a distributed one
   cannot be kept (the referenced row may be on any node): it is left out and returned in
   :attr:`Plan.left_out`, and the services that write those rows check the row they point at.
   A local table with a key into a reference table becomes a Citus local table (still on the
   coordinator, in Citus's metadata), and so do the local tables its keys link it with.

The statements run in one transaction (:data:`SEQUENTIAL`, :data:`KEEP_CITUS_LOCAL` say why
they set what they set). A table that already is what the layout says is skipped; when all are,
there is nothing to run.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from jiuye.units.sharding import COLUMN

LAYOUT_FILE = Path(__file__).with_name("layout.toml")


class LayoutError(Exception):
    """The layout does not fit the schema (a table missing, a key Citus cannot keep)."""


class Kind(StrEnum):
    """Where a table lives: what the layout asks for, and what pg_dist_partition says."""

    DISTRIBUTED = "distributed"
    REFERENCE = "reference"
    CITUS_LOCAL = "citus local"  # on the coordinator, in Citus's metadata (a key to a reference)
    LOCAL = "local"


@dataclass(frozen=True)
class Layout:
    """``layout.toml``: table → why, per section, in the file's order."""

    distributed: Mapping[str, str]
    reference: Mapping[str, str]
    local_with_dropped_fks: Mapping[str, str]

    @property
    def colocate_with(self) -> str:
        """The table the distributed ones are co-located with: the first named."""
        return next(iter(self.distributed))

    def kind(self, table: str) -> Kind:
        if table in self.distributed:
            return Kind.DISTRIBUTED
        if table in self.reference:
            return Kind.REFERENCE
        return Kind.LOCAL


def load(path: Path = LAYOUT_FILE) -> Layout:
    """Read the layout; a table named in two sections, or no distributed table, is an error."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise LayoutError(f"{path}: {error}") from None
    sections = ("distributed", "reference", "local_with_dropped_fks")
    unknown = set(data) - set(sections)
    if unknown:
        raise LayoutError(f"{path}: unknown sections {sorted(unknown)}")
    tables: dict[str, dict[str, str]] = {}
    for section in sections:
        entries = data.get(section, {})
        if not all(isinstance(why, str) and why.strip() for why in entries.values()):
            raise LayoutError(f"{path}: every table in [{section}] needs a reason")
        tables[section] = dict(entries)
    seen: dict[str, str] = {}
    for section, entries in tables.items():
        for table in entries:
            if table in seen:
                raise LayoutError(f"{path}: {table} is in [{seen[table]}] and [{section}]")
            seen[table] = section
    if not tables["distributed"]:
        raise LayoutError(f"{path}: no distributed table")
    return Layout(**tables)


@dataclass(frozen=True)
class UniqueKey:
    """A primary key, a unique constraint or a unique index (``index``: no constraint of its
    own); ``definition`` is pg_get_constraintdef's text (``PRIMARY KEY (id)``) for a
    constraint, pg_get_indexdef's (``CREATE UNIQUE INDEX ...``) for an index."""

    table: str
    name: str
    columns: tuple[str, ...]
    definition: str
    index: bool = False


@dataclass(frozen=True)
class ForeignKey:
    """``definition`` is pg_get_constraintdef's text:
    ``FOREIGN KEY (person_id) REFERENCES registry_person(id) DEFERRABLE INITIALLY DEFERRED``."""

    table: str
    name: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    definition: str


@dataclass(frozen=True)
class TruncateTrigger:
    """A trigger on TRUNCATE; ``definition`` is pg_get_triggerdef's text (``CREATE TRIGGER
    audit_no_truncate BEFORE TRUNCATE ON public.audit_auditentry ...``)."""

    table: str
    name: str
    definition: str


@dataclass(frozen=True)
class Schema:
    """The live schema as far as distributing it goes: each table with where it lives now."""

    tables: Mapping[str, Kind]
    unique_keys: tuple[UniqueKey, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    truncate_triggers: tuple[TruncateTrigger, ...] = ()


@dataclass(frozen=True)
class Plan:
    """The statements, in order, and for the record: the reference and distributed tables
    made, the unique keys given ``district_id``, the foreign keys dropped and not re-added."""

    statements: tuple[str, ...]
    reference: tuple[str, ...] = ()
    distributed: tuple[str, ...] = ()
    widened: tuple[UniqueKey, ...] = ()
    dropped: int = 0
    left_out: tuple[ForeignKey, ...] = field(default=())


# One transaction, its Citus commands over one connection a node: a foreign key added to a
# table the same transaction made a reference table must see its new shards, which a second
# connection of a parallel command cannot ("cannot modify table units_unit because there was a
# parallel operation on a distributed table").
SEQUENTIAL = "SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"
# While the keys are off, Citus must not turn the Citus local tables they connected back into
# plain ones: it cannot for a table with an identity column (every Django id), and the keys come
# back before the transaction ends anyway.
KEEP_CITUS_LOCAL = "SET LOCAL citus.enable_local_reference_table_foreign_keys TO off"
LINK_LOCAL = "SET LOCAL citus.enable_local_reference_table_foreign_keys TO on"
# The audit log's append-only triggers go to each of its shards (Citus refuses to distribute a
# table with triggers otherwise); they only raise an error, reading no other table.
TRIGGERS = "SET LOCAL citus.enable_unsafe_triggers TO on"


def plan(*, layout: Layout, schema: Schema, shard_count: int | None = None) -> Plan:
    """The statements that put ``schema`` where ``layout`` says, to run in one transaction
    (see the module's docstring); none when every distributed and reference table already is
    one."""
    missing = [t for t in (*layout.distributed, *layout.reference) if t not in schema.tables]
    if missing:
        raise LayoutError(f"tables in the layout but not in the database: {', '.join(missing)}")
    distributed = [t for t in layout.distributed if schema.tables[t] != Kind.DISTRIBUTED]
    reference = [t for t in layout.reference if schema.tables[t] != Kind.REFERENCE]
    if not distributed and not reference:
        return Plan(())
    stuck = [t for t in (*distributed, *reference) if schema.tables[t] != Kind.LOCAL]
    if stuck:
        raise LayoutError(
            f"{', '.join(stuck)}: already a {schema.tables[stuck[0]]} table; Citus cannot"
            " change a table with an identity column into another kind (citusdata/citus#7888):"
            " copy its rows into a new plain table first"
        )
    readd, left_out = _sort_keys(layout, schema.foreign_keys)

    statements = [SEQUENTIAL, KEEP_CITUS_LOCAL, TRIGGERS]
    statements += [
        f"ALTER TABLE {fk.table} DROP CONSTRAINT {fk.name}" for fk in schema.foreign_keys
    ]
    widened = [k for k in schema.unique_keys if k.table in distributed and COLUMN not in k.columns]
    for key in widened:
        statements.extend(_with_district(key))
    reference = _referenced_first(reference, schema.foreign_keys)
    for table in reference:
        statements.append(f"SELECT create_reference_table('{table}')")
        statements.append(f"SELECT truncate_local_data_after_distributing_table('{table}')")
    for table in distributed:
        triggers = [t for t in schema.truncate_triggers if t.table == table]
        statements += [f"DROP TRIGGER {t.name} ON {t.table}" for t in triggers]
        if table == layout.colocate_with:
            shards = "" if shard_count is None else f", shard_count => {int(shard_count)}"
            colocation = f"'none'{shards}"
        else:
            colocation = f"'{layout.colocate_with}'"
        statements.append(
            f"SELECT create_distributed_table('{table}', '{COLUMN}', colocate_with => {colocation})"
        )
        statements.append(f"SELECT truncate_local_data_after_distributing_table('{table}')")
        statements += [t.definition for t in triggers]
    statements.append(LINK_LOCAL)
    statements.extend(readd)
    return Plan(
        statements=tuple(statements),
        reference=tuple(reference),
        distributed=tuple(distributed),
        widened=tuple(widened),
        dropped=len(schema.foreign_keys),
        left_out=tuple(left_out),
    )


def _sort_keys(layout: Layout, keys: tuple[ForeignKey, ...]) -> tuple[list[str], list[ForeignKey]]:
    """The statements re-adding the keys Citus keeps, and the keys it cannot keep. A local
    table that gets back a key into a reference table becomes a Citus local table, and so do
    the local tables its keys link it with (Citus follows them, in whichever order they come)."""
    readd, left_out = [], []
    for fk in keys:
        child, parent = layout.kind(fk.table), layout.kind(fk.parent)
        add = f"ALTER TABLE {fk.table} ADD CONSTRAINT {fk.name} "
        if parent == Kind.REFERENCE or (parent == child == Kind.LOCAL):
            readd.append(add + fk.definition)
        elif parent == child == Kind.DISTRIBUTED:
            readd.append(add + _composite(fk))
        elif parent == Kind.DISTRIBUTED:
            left_out.append(fk)
        else:
            raise LayoutError(
                f"{fk.table}.{fk.name}: a {child} table cannot reference the local table"
                f" {fk.parent}; make {fk.parent} a reference table"
            )
    return readd, left_out


def _composite(fk: ForeignKey) -> str:
    """``FOREIGN KEY (person_id) REFERENCES registry_person(id) ...`` →
    ``FOREIGN KEY (person_id, district_id) REFERENCES registry_person(id, district_id) ...``."""
    if COLUMN in fk.columns:
        return fk.definition
    text = _add_column(fk.definition, fk.definition.index("("))
    return _add_column(text, text.index("(", text.index(" REFERENCES ")))


def _with_district(key: UniqueKey) -> list[str]:
    if key.index:
        start = key.definition.index("(", key.definition.index(" USING "))
        return [f"DROP INDEX {key.name}", _add_column(key.definition, start)]
    definition = _add_column(key.definition, key.definition.index("("))
    return [
        f"ALTER TABLE {key.table} DROP CONSTRAINT {key.name},"
        f" ADD CONSTRAINT {key.name} {definition}"
    ]


def _add_column(text: str, start: int) -> str:
    """``text`` with ``, district_id`` added at the end of the parenthesised list opening at
    ``start`` (an index's keys may be expressions with parentheses of their own)."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return f"{text[:i]}, {COLUMN}{text[i:]}"
    raise LayoutError(f"unbalanced parentheses in {text!r}")


def _referenced_first(tables: list[str], keys: tuple[ForeignKey, ...]) -> list[str]:
    """``tables`` in the layout's order, except that a referenced table comes before the
    tables referencing it."""
    parents = {
        t: sorted(
            {fk.parent for fk in keys if fk.table == t and fk.parent in tables} - {t},
            key=tables.index,
        )
        for t in tables
    }
    ordered: list[str] = []

    def visit(table: str, path: tuple[str, ...]) -> None:
        if table in ordered:
            return
        if table in path:
            raise LayoutError(f"reference tables reference each other in a cycle: {path}")
        for parent in parents[table]:
            visit(parent, (*path, table))
        ordered.append(table)

    for table in tables:
        visit(table, ())
    return ordered
