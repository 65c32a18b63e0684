"""The deploy step that puts the schema on the Citus cluster (``jiuye citus distribute``).

It changes the schema, like a migration, and is not audited either: the audit log records what
users do with the data."""

from __future__ import annotations

from django.db import connection, transaction

from jiuye.cluster import catalog, layout
from jiuye.cluster.layout import Plan


def citus_distribute(*, shard_count: int | None = None, dry_run: bool = False) -> Plan:
    """Distribute the tables as ``layout.toml`` says (:func:`jiuye.cluster.layout.plan`), in
    one transaction: a failure leaves the schema as it was. Nothing to do when it already is.
    ``shard_count``: the co-location group's shards (Citus's default, 32, when None);
    ``dry_run``: only say what it would run. Returns what it ran."""
    catalog.require_citus()
    with transaction.atomic():
        found = layout.plan(
            layout=layout.load(), schema=catalog.read_schema(), shard_count=shard_count
        )
        if not dry_run:
            with connection.cursor() as cursor:
                for statement in found.statements:
                    cursor.execute(statement)
    return found
