"""A bulk load leaves the planner statistics of what it wrote, on Citus too (``bulkload.analyze``,
docs/decisions.md "Statistics after a load"): without them a table autovacuum last saw empty is
planned as empty, and a seeded district's evaluation ran for minutes."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from jiuye.demo.generator import SeedConfig
from jiuye.demo.loader import seed
from jiuye.jobs.models import ContractEvent
from jiuye.registry.models import Person

pytestmark = pytest.mark.skipif(not settings.JIUYE_CITUS, reason="needs a Citus cluster")


def _coordinator_copy(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shard_name(s.logicalrelid, s.shardid) FROM pg_dist_shard s"
            " JOIN pg_dist_placement pl ON pl.shardid = s.shardid"
            " WHERE s.logicalrelid = %s::regclass AND pl.groupid = 0",
            [table],
        )
        return str(cursor.fetchone()[0])


def _planned_rows(sql: str, params: list[Any]) -> int:
    """The rows the planner expects from the scan of ``sql``'s one table (on its shard)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        lines = [row[0] for row in cursor.fetchall() if " Scan on " in row[0]]
    assert lines, "no scan in the plan"
    return int(lines[-1].split(" rows=")[1].split()[0])


def test_a_seed_leaves_the_statistics_of_what_it_wrote(db: Any) -> None:
    contracts = ContractEvent._meta.db_table
    persons = Person._meta.db_table
    # What autovacuum would have left: statistics of the empty tables.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {_coordinator_copy(contracts)}")
        cursor.execute(f"ANALYZE {persons}")
    seed(SeedConfig(persons=3_000, seed=5))
    person = Person.objects.order_by("pk").first()
    assert person is not None
    in_district = Person.objects.filter(district_id=person.district_id).count()
    assert ContractEvent.objects.count() > 100

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL citus.override_table_visibility TO off")  # shards hidden else
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [_coordinator_copy(contracts)],
        )
        assert cursor.fetchone()[0] == ContractEvent.objects.count()
    planned = _planned_rows(f"SELECT * FROM {persons} WHERE district_id = %s", [person.district_id])
    assert planned >= in_district // 2
