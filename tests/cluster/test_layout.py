"""The Citus layout (jiuye.cluster): every table is decided, the plan's SQL on a hand-made
schema, and on a Citus cluster (settings.JIUYE_CITUS: ``make test-citus``) the distributed
test database itself."""

from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models

from jiuye.cluster import layout
from jiuye.cluster.layout import ForeignKey, Kind, LayoutError, Schema, UniqueKey
from jiuye.units.sharding import COLUMN, DistrictOwned
from tests.conftest import make_id

LAYOUT = layout.load()

on_citus = pytest.mark.skipif(not settings.JIUYE_CITUS, reason="needs a Citus cluster")
not_on_citus = pytest.mark.skipif(settings.JIUYE_CITUS, reason="the database is Citus")


def _model_tables() -> dict[str, type[models.Model]]:
    return {
        m._meta.db_table: m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    }


def _keys(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    return [f for f in model._meta.local_fields if isinstance(f, models.ForeignKey)]


# --- the layout against the project's models (any database) ---------------------------------


def test_every_table_named_in_the_layout_is_a_table_of_the_project() -> None:
    tables = _model_tables()
    named = [*LAYOUT.distributed, *LAYOUT.reference, *LAYOUT.local_with_dropped_fks]
    assert [t for t in named if t not in tables] == []


def test_the_district_owned_tables_are_the_distributed_ones() -> None:
    """The residents' rows (DistrictOwned) and what is derived from them per district (the
    standards' aggregates, a plain ``district_id`` column) are the distributed tables."""
    owned = {
        t
        for t, m in _model_tables().items()
        if issubclass(m, DistrictOwned)
        or any(f.column == "district_id" for f in m._meta.local_concrete_fields)
    }
    assert owned == set(LAYOUT.distributed)
    assert LAYOUT.colocate_with == "registry_person"


def test_every_key_into_a_distributed_table_is_decided() -> None:
    """A table with a foreign key into a distributed table (a person, a household, a service)
    is distributed itself, a reference table or listed in [local_with_dropped_fks]: a new such
    table fails here until someone decides. A listed table has such a key (the list does not
    go stale)."""
    into_distributed = {
        table
        for table, model in _model_tables().items()
        if any(fk.related_model._meta.db_table in LAYOUT.distributed for fk in _keys(model))
    }
    decided_elsewhere = set(LAYOUT.distributed) | set(LAYOUT.reference)
    assert into_distributed - decided_elsewhere == set(LAYOUT.local_with_dropped_fks)


def test_reference_tables_reference_reference_tables_only() -> None:
    """Citus copies a reference table to every node: what it references must be there too
    (a key into a distributed table is left out, like a local table's)."""
    tables = _model_tables()
    found = [
        f"{table}.{fk.name} → {fk.related_model._meta.db_table}"
        for table in LAYOUT.reference
        for fk in _keys(tables[table])
        if fk.related_model._meta.db_table not in {*LAYOUT.reference, *LAYOUT.distributed}
    ]
    assert found == []


def test_a_table_in_two_sections_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "layout.toml"
    path.write_text('[distributed]\na = "x"\n[reference]\na = "y"\n', encoding="utf-8")
    with pytest.raises(LayoutError, match="a is in"):
        layout.load(path)
    path.write_text('[distributed]\na = ""\n', encoding="utf-8")
    with pytest.raises(LayoutError, match="needs a reason"):
        layout.load(path)


# --- the plan on a hand-made schema ---------------------------------------------------------

SMALL = layout.Layout(
    distributed={"person": "first", "event": "its events"},
    reference={"unit": "the tree", "user": "users"},
    local_with_dropped_fks={"referral": "a local table pointing at a person"},
)


def _fk(
    table: str, column: str, parent: str, tail: str = " DEFERRABLE INITIALLY DEFERRED"
) -> ForeignKey:
    return ForeignKey(
        table=table,
        name=f"{table}_{column}_fk",
        columns=(column,),
        parent=parent,
        parent_columns=("id",),
        definition=f"FOREIGN KEY ({column}) REFERENCES {parent}(id){tail}",
    )


def _pk(table: str) -> UniqueKey:
    return UniqueKey(table, f"{table}_pkey", ("id",), "PRIMARY KEY (id)")


def _schema(**kinds: Kind) -> Schema:
    tables = {"person": Kind.LOCAL, "event": Kind.LOCAL, "unit": Kind.LOCAL}
    tables |= {"user": Kind.LOCAL, "referral": Kind.LOCAL, "posting": Kind.LOCAL}
    return Schema(
        tables=tables | kinds,
        unique_keys=(
            _pk("person"),
            UniqueKey("person", "person_id_number_key", ("id_number",), "UNIQUE (id_number)"),
            _pk("event"),
            UniqueKey("event", "one_a_day", ("person_id", "since"), "UNIQUE (person_id, since)"),
            UniqueKey(
                "event",
                "open_once",
                ("person_id", "lower(kind::text)"),
                "CREATE UNIQUE INDEX open_once ON public.event USING btree"
                " (person_id, lower((kind)::text)) WHERE (until IS NULL)",
                index=True,
            ),
            UniqueKey("event", "by_district", ("id", COLUMN), f"UNIQUE (id, {COLUMN})"),
            _pk("unit"),
            _pk("referral"),
        ),
        foreign_keys=(
            _fk("event", "person_id", "person"),
            _fk("person", "community_id", "unit", " ON DELETE CASCADE"),
            _fk("user", "unit_id", "unit"),
            _fk("referral", "person_id", "person"),
            _fk("referral", "posting_id", "posting"),
        ),
    )


def test_plan_drops_the_keys_first_and_widens_the_unique_keys() -> None:
    plan = layout.plan(layout=SMALL, schema=_schema())
    sql = list(plan.statements)
    first_create = next(i for i, s in enumerate(sql) if "create_" in s)
    drops = [s for s in sql if "DROP CONSTRAINT" in s and "ADD CONSTRAINT" not in s]
    assert len(drops) == 5 and all(sql.index(s) < first_create for s in drops)
    assert (
        "ALTER TABLE person DROP CONSTRAINT person_pkey,"
        f" ADD CONSTRAINT person_pkey PRIMARY KEY (id, {COLUMN})" in sql
    )
    assert (
        "ALTER TABLE person DROP CONSTRAINT person_id_number_key,"
        f" ADD CONSTRAINT person_id_number_key UNIQUE (id_number, {COLUMN})" in sql
    )
    assert (
        "ALTER TABLE event DROP CONSTRAINT one_a_day,"
        f" ADD CONSTRAINT one_a_day UNIQUE (person_id, since, {COLUMN})" in sql
    )
    # A unique index keeps its expression and condition; one with the column already is kept.
    assert "DROP INDEX open_once" in sql
    assert (
        "CREATE UNIQUE INDEX open_once ON public.event USING btree"
        f" (person_id, lower((kind)::text), {COLUMN}) WHERE (until IS NULL)" in sql
    )
    assert not [s for s in sql if "by_district" in s]
    # The reference and local tables keep their keys as they are.
    assert not [s for s in sql if "unit_pkey" in s or "referral_pkey" in s]
    assert [k.name for k in plan.widened] == [
        "person_pkey",
        "person_id_number_key",
        "event_pkey",
        "one_a_day",
        "open_once",
    ]


def test_plan_distributes_co_located_after_the_reference_tables() -> None:
    sql = list(layout.plan(layout=SMALL, schema=_schema(), shard_count=4).statements)
    creates = [s for s in sql if "create_" in s]
    assert creates == [
        "SELECT create_reference_table('unit')",
        "SELECT create_reference_table('user')",
        f"SELECT create_distributed_table('person', '{COLUMN}', colocate_with => 'none',"
        " shard_count => 4)",
        f"SELECT create_distributed_table('event', '{COLUMN}', colocate_with => 'person')",
    ]
    for table in ("unit", "user", "person", "event"):
        assert f"SELECT truncate_local_data_after_distributing_table('{table}')" in sql
    assert sql[:3] == [layout.SEQUENTIAL, layout.KEEP_CITUS_LOCAL, layout.TRIGGERS]


def test_plan_moves_a_truncate_trigger_past_the_distribution() -> None:
    """A distributed table's trigger on TRUNCATE (the audit log's) is created again after the
    table is distributed, so that it stays on the coordinator's table, where it can be lifted,
    instead of on every shard, where Citus cannot switch it."""
    trigger = layout.TruncateTrigger(
        "event",
        "no_truncate",
        "CREATE TRIGGER no_truncate BEFORE TRUNCATE ON public.event"
        " FOR EACH STATEMENT EXECUTE FUNCTION refuse()",
    )
    schema = _schema()
    schema = Schema(schema.tables, schema.unique_keys, schema.foreign_keys, (trigger,))
    sql = list(layout.plan(layout=SMALL, schema=schema).statements)
    drop = sql.index("DROP TRIGGER no_truncate ON event")
    create = sql.index(trigger.definition)
    emptied = sql.index("SELECT truncate_local_data_after_distributing_table('event')")
    distributed = next(i for i, s in enumerate(sql) if "create_distributed_table('event'" in s)
    assert drop < distributed < emptied < create


def test_plan_re_adds_the_keys_citus_keeps_and_leaves_out_the_others() -> None:
    plan = layout.plan(layout=SMALL, schema=_schema())
    sql = list(plan.statements)
    link = sql.index(layout.LINK_LOCAL)
    added = sql[link + 1 :]
    assert added == [
        # between distributed tables: through the district
        f"ALTER TABLE event ADD CONSTRAINT event_person_id_fk FOREIGN KEY (person_id, {COLUMN})"
        f" REFERENCES person(id, {COLUMN}) DEFERRABLE INITIALLY DEFERRED",
        # into reference tables, and between local tables: as they were
        "ALTER TABLE person ADD CONSTRAINT person_community_id_fk"
        " FOREIGN KEY (community_id) REFERENCES unit(id) ON DELETE CASCADE",
        "ALTER TABLE user ADD CONSTRAINT user_unit_id_fk"
        " FOREIGN KEY (unit_id) REFERENCES unit(id) DEFERRABLE INITIALLY DEFERRED",
        "ALTER TABLE referral ADD CONSTRAINT referral_posting_id_fk"
        " FOREIGN KEY (posting_id) REFERENCES posting(id) DEFERRABLE INITIALLY DEFERRED",
    ]
    assert [(fk.table, fk.parent) for fk in plan.left_out] == [("referral", "person")]
    assert not [s for s in added if "referral_person_id_fk" in s]


def test_plan_is_empty_once_distributed() -> None:
    done = _schema(
        person=Kind.DISTRIBUTED,
        event=Kind.DISTRIBUTED,
        unit=Kind.REFERENCE,
        user=Kind.REFERENCE,
        referral=Kind.CITUS_LOCAL,
    )
    assert layout.plan(layout=SMALL, schema=done).statements == ()


def test_plan_skips_what_is_done_and_refuses_what_citus_cannot_convert() -> None:
    half = _schema(unit=Kind.REFERENCE, user=Kind.REFERENCE)
    sql = layout.plan(layout=SMALL, schema=half).statements
    assert not [s for s in sql if "create_reference_table" in s]
    assert f"SELECT create_distributed_table('event', '{COLUMN}', colocate_with => 'person')" in sql
    # A table that became a Citus local table (a key into a reference table) with an identity
    # column cannot be distributed any more (citusdata/citus#7888).
    stuck = _schema(unit=Kind.REFERENCE, person=Kind.CITUS_LOCAL)
    with pytest.raises(LayoutError, match="7888"):
        layout.plan(layout=SMALL, schema=stuck)


def test_plan_refuses_a_layout_citus_cannot_follow() -> None:
    with pytest.raises(LayoutError, match="not in the database: event"):
        layout.plan(layout=SMALL, schema=Schema(tables={"person": Kind.LOCAL}))
    schema = _schema()
    into_local = Schema(
        tables=schema.tables,
        foreign_keys=(_fk("user", "posting_id", "posting"),),
    )
    with pytest.raises(LayoutError, match="make posting a reference table"):
        layout.plan(layout=SMALL, schema=into_local)


# --- the command ----------------------------------------------------------------------------


@not_on_citus
@pytest.mark.django_db
def test_the_command_says_plainly_when_the_database_is_not_citus() -> None:
    for action in ("status", "distribute"):
        with pytest.raises(CommandError, match=r"not PostgreSQL with Citus|no citus extension"):
            call_command("citus", action)


# --- on a Citus cluster ---------------------------------------------------------------------


@on_citus
@pytest.mark.django_db
def test_status_shows_where_the_tables_live() -> None:
    out = StringIO()
    call_command("citus", "status", stdout=out)
    rows = {line.split()[0]: line.split()[1:] for line in out.getvalue().splitlines()[1:]}
    assert rows["registry_person"][0] == "distributed"
    assert rows["registry_statusevent"][0] == "distributed"
    assert rows["registry_person"][1:] == rows["registry_statusevent"][1:]  # shards, group
    assert rows["units_unit"][0] == "reference"
    assert rows["audit_auditentry"] == rows["registry_person"]  # with the residents' data
    assert rows["accounts_membership"][0] == "reference"
    # And running the deploy step again changes nothing.
    out = StringIO()
    call_command("citus", "distribute", stdout=out)
    assert out.getvalue().strip() == "已分布：无需改动"


@pytest.fixture
def district_persons(tree: dict[str, Any]) -> int:
    """Two persons of the tree's district, one with two status events, one with none."""
    from jiuye.registry import services
    from jiuye.registry.models import Status, StatusEvent

    household = services.household_create(
        actor=None, number="H001", unit=tree["a1"], hukou_type="urban"
    )
    first, _second = (
        services.person_create(
            actor=None,
            id_number=make_id(date(1980, 5, 6 + n)),
            name=f"居民{n}",
            household=household,
        )
        for n in range(2)
    )
    # The rows themselves (their district from the person: DistrictOwned), not the status
    # service: what follows a status change (the zero-family cases, the worklists) is not
    # what these tests are about.
    StatusEvent.objects.create(person=first, status=Status.UNIT, since=date(2024, 1, 1))
    StatusEvent.objects.create(person=first, status=Status.UNEMPLOYED, since=date(2025, 6, 1))
    return int(tree["district"].id)


@on_citus
@pytest.mark.django_db
def test_one_districts_persons_are_read_from_one_shard(district_persons: int) -> None:
    from jiuye.registry.models import Person

    plan = Person.objects.filter(district_id=district_persons).explain()
    assert "Task Count: 1" in plan
    assert Person.objects.filter(district_id=district_persons).count() == 2


@on_citus
@pytest.mark.django_db
def test_persons_join_their_status_events_through_the_district(district_persons: int) -> None:
    from jiuye.registry.models import Person

    # The ORM's join through the DistrictForeignKey equates the districts too.
    unemployed = Person.objects.filter(
        district_id=district_persons, status_events__status="unemployed"
    )
    assert "Task Count: 1" in unemployed.explain()
    assert unemployed.count() == 1
    # Written by hand, across every district: a join of co-located shards, on each node.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM registry_person p JOIN registry_statusevent e"
            f" ON e.person_id = p.id AND e.{COLUMN} = p.{COLUMN}"
        )
        assert cursor.fetchone() == (2,)
