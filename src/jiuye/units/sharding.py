"""The distribution column: the district every row of residents' data belongs to.

A province runs on Citus (docs/decisions.md, "A province on Citus: distributed by district").
Its residents' tables are distributed by ``district_id``, so a district's persons, households,
status events, services and aggregates sit in one shard group: a worker's, a street's and a
district's reads go to one node, and the joins between those tables stay on it. On SQLite and
on one PostgreSQL server the column is kept the same way; it costs eight bytes a row.

The rules Citus sets, and how the models keep them:
- the column is in every row, written when the row is: :class:`DistrictOwned` fills it from
  the row's parent (a status event from its person, a person from its household, a household
  from its community); the bulk loaders write it in their column tuples;
- it never changes in an UPDATE: :meth:`DistrictOwned.save` leaves it out of the SET list;
- a join between two such tables equates it: :class:`DistrictForeignKey` adds
  ``child.district_id = parent.district_id`` to every join the ORM writes through it (on
  Citus only, where it is what lets the join run on the shards; on one server it would only
  make the planner guess worse), and the SQL written by hand says it where it joins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, cast

from django.db import connection, models
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND, WhereNode
from django.utils.translation import gettext_lazy as _

from jiuye.lib.sql import citus
from jiuye.units.models import Unit

COLUMN = "district_id"


def district_sql(unit_column: str) -> str:
    """SQL for the district of the unit in ``unit_column`` (itself when it is one); for a unit
    above the districts or in a tree without them, the top unit of its tree. The one statement
    of that rule: the migrations, the loaders and :func:`district_of` use it."""
    return (
        "(SELECT d.id FROM units_unit u JOIN units_unit d ON u.path LIKE d.path || '%%'"
        f" WHERE u.id = {unit_column}"
        " ORDER BY CASE WHEN d.level = 'district' THEN 0 ELSE 1 END, LENGTH(d.path) LIMIT 1)"
    )


def district_of(unit_id: int) -> int:
    """The district of the unit ``unit_id`` (:func:`district_sql`)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {district_sql('%s')}", [unit_id])
        row = cursor.fetchone()
    if row is None or row[0] is None:
        raise Unit.DoesNotExist(f"no unit {unit_id}")
    return int(row[0])


def district_of_path(path: str) -> int | None:
    """The district of the unit whose path is ``path`` (:func:`district_sql`); None when no
    unit has that path."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {district_sql('x.id')} FROM units_unit x WHERE x.path = %s ORDER BY x.id",
            [path],
        )
        row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


DISTRICTS_CHUNK = 500  # units per query of districts_of (well under SQLite's parameter limit)


def districts_of(unit_ids: Iterable[int]) -> dict[int, int]:
    """The district of each unit of ``unit_ids`` (:func:`district_sql`), for the bulk loaders
    that write rows without :class:`DistrictOwned`: one query per 500 units (their
    communities), never one a row."""
    wanted = sorted(set(unit_ids))
    found: dict[int, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), DISTRICTS_CHUNK):
            chunk = wanted[start : start + DISTRICTS_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            # The outer alias is "c": district_sql's subquery names its own units u and d, and
            # "u.id" there would be the subquery's u, not this one.
            cursor.execute(
                f"SELECT c.id, {district_sql('c.id')} FROM units_unit c WHERE c.id IN ({marks})",
                chunk,
            )
            found.update((int(pk), int(district)) for pk, district in cursor.fetchall())
    missing = set(wanted) - found.keys()
    if missing:
        raise Unit.DoesNotExist(f"no unit {min(missing)}")
    return found


def same_district(a: str, b: str) -> str:
    """SQL to add to a join or a correlated sub-query between two district-owned tables (the
    aliases ``a`` and ``b``): `` AND a.district_id = b.district_id`` on Citus, where it is what
    lets the join run on the co-located shards; nothing on one server, where the columns are
    equal by construction and the condition would only make the planner's row estimates
    worse (it takes the two conditions for independent)."""
    return f" AND {a}.{COLUMN} = {b}.{COLUMN}" if citus() else ""


def outer_district(outer: str = COLUMN) -> models.Q:
    """The ORM's form of :func:`same_district`, for a sub-query correlated with an outer row
    (``OuterRef``): the sub-query's rows in the outer row's district (``outer``, the outer
    query's column), on Citus only."""
    return models.Q(**{COLUMN: models.OuterRef(outer)}) if citus() else models.Q()


def carried(alias: str = "") -> str:
    """``, alias.district_id`` for a select list on Citus, nothing on one server: a CTE or
    sub-query carries the district to the join, grouping or window after it."""
    if not citus():
        return ""
    return f", {alias}.{COLUMN}" if alias else f", {COLUMN}"


def by_district(columns: str, alias: str = "") -> str:
    """A GROUP BY or PARTITION BY list, led on Citus by the district (``alias.district_id``):
    a grouping or a window runs on the shards only when it names the distribution column. On
    one server the list as it is (the planner's estimates stay as measured)."""
    if not citus():
        return columns
    return f"{alias}.{COLUMN}, {columns}" if alias else f"{COLUMN}, {columns}"


def rows_of(child: str, key: str, parent: str) -> str:
    """SQL: the rows of ``child`` (an alias) whose ``key`` names the row of ``parent`` (an alias
    of a district-owned table): ``e.person_id = p.id``, and on Citus the districts equated
    (:func:`same_district`)."""
    return f"{child}.{key} = {parent}.id{same_district(child, parent)}"


class DistrictKey(models.ForeignKey):
    """The ``district`` column itself: a unit, never edited, not indexed (Citus prunes shards
    by it; on one server the community's and the household's indexes serve every read)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("to", "units.Unit")
        kwargs.setdefault("on_delete", models.PROTECT)
        kwargs.setdefault("related_name", "+")
        kwargs.setdefault("db_index", False)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("verbose_name", _("所属区"))
        super().__init__(**kwargs)


class DistrictForeignKey(models.ForeignKey):
    """A foreign key between two district-owned tables: on Citus every join through it also
    equates the districts, which makes it a join of co-located shards."""

    def get_extra_restriction(self, alias: str, related_alias: str) -> WhereNode | None:
        if not citus():
            return None
        # ``alias`` is the referenced table's, ``related_alias`` this model's (Django's
        # ForeignObject contract; the reverse relation swaps them for us).
        target = cast(models.Field[Any, Any], self.remote_field.model._meta.get_field("district"))
        own = cast(models.Field[Any, Any], self.model._meta.get_field("district"))
        condition: Any = Exact(target.get_col(alias), own.get_col(related_alias))
        return WhereNode([condition], connector=AND)


class DistrictOneToOneField(DistrictForeignKey, models.OneToOneField):
    """:class:`DistrictForeignKey` for a one-to-one relation."""


class DistrictQuerySet(models.QuerySet[Any]):
    """``bulk_create`` fills the district of the rows that have none, as ``save`` does, in one
    query for all of them (a bulk writer that knows the districts writes them itself)."""

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        rows = list(objs)
        missing = [row for row in rows if row.district_id is None]
        if missing:
            model = cast(type[DistrictOwned], self.model)
            field = cast(models.ForeignKey[Any, Any], model._meta.get_field(model.DISTRICT_FROM))
            parents = {getattr(row, field.attname) for row in missing}
            if field.related_model is Unit:
                found = districts_of(parents)
            else:
                parent = cast(type[models.Model], field.related_model)
                found = dict(
                    parent._default_manager.filter(pk__in=parents).values_list("pk", "district_id")
                )
            for row in missing:
                row.district_id = found[getattr(row, field.attname)]
        return super().bulk_create(rows, *args, **kwargs)


class DistrictOwned(models.Model):
    """A table of residents' data, distributed by district on Citus.

    ``DISTRICT_FROM`` names the foreign key the district is read from when a row is created:
    another district-owned row (``"person"``) or a unit (``"community"``)."""

    district = DistrictKey()

    objects = DistrictQuerySet.as_manager()

    DISTRICT_FROM: ClassVar[str]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.district_id is None:
            self.district_id = self.district_from_parent()
        elif not self._state.adding and kwargs.get("update_fields") is None:
            # The distribution column never changes in an UPDATE (Citus refuses even the same
            # value): an update writes every other field.
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "district"
            ]
        super().save(*args, **kwargs)

    def district_from_parent(self) -> int:
        field = cast(models.ForeignKey[Any, Any], self._meta.get_field(self.DISTRICT_FROM))
        if field.related_model is Unit:
            return district_of(getattr(self, field.attname))
        parent = getattr(self, self.DISTRICT_FROM)
        return int(parent.district_id)


class CrossDistrictMove(Exception):
    """A row would change district: on Citus its rows would have to move between shards, which
    jiuye does not do yet (docs/decisions.md, "A province on Citus")."""


def follow_moves(*, household_ids: Iterable[int]) -> int:
    """After households moved to another community, or persons to another household: give every
    row of those households (the households, their persons and each table hanging off them)
    the district its parent now has. Set-based, one statement a table; rows already right are
    not written. Returns the number of households that changed district.

    On Citus the distribution column of a row never changes, so a move across districts raises
    :class:`CrossDistrictMove` before anything is written."""
    ids = sorted(set(household_ids))
    if not ids:
        return 0
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT h.id FROM registry_household h WHERE h.id IN ({marks})"
            f" AND h.district_id <> {district_sql('h.community_id')}",
            ids,
        )
        moved = [pk for (pk,) in cursor.fetchall()]
        cursor.execute(
            "SELECT COUNT(*) FROM registry_person p JOIN registry_household h"
            f" ON h.id = p.household_id WHERE h.id IN ({marks}) AND p.district_id <> h.district_id",
            ids,
        )
        persons_moved = cursor.fetchone()[0]
        if not moved and not persons_moved:
            return 0
        if citus():
            raise CrossDistrictMove(ids)
        for sql in _follow_statements(marks):
            cursor.execute(sql, ids)
    return len(moved)


def _follow_statements(marks: str) -> list[str]:
    """The UPDATEs of :func:`follow_moves`, parents first: each district-owned table takes its
    parent's district (``DISTRICT_FROM``) for the rows of the households ``marks`` names."""
    from django.apps import apps  # the models of every app that owns district rows

    households = f"SELECT id FROM registry_household WHERE id IN ({marks})"
    persons = f"SELECT id FROM registry_person WHERE household_id IN ({marks})"
    own_district = district_sql("registry_household.community_id")
    statements = [
        f"UPDATE registry_household SET district_id = {own_district} WHERE id IN ({households})"
    ]
    owned = [m for m in apps.get_models() if issubclass(m, DistrictOwned)]
    for parent_table, key, rows in (
        ("registry_household", "household", households),
        ("registry_person", "person", persons),
    ):
        for model in owned:
            if getattr(model, "DISTRICT_FROM", None) != key:
                continue
            table = model._meta.db_table
            column = cast(models.ForeignKey[Any, Any], model._meta.get_field(key)).column
            statements.append(
                f"UPDATE {table} SET district_id = (SELECT p.district_id FROM {parent_table} p"
                f" WHERE p.id = {table}.{column}) WHERE {column} IN ({rows})"
            )
    return statements
