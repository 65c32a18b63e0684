"""The test database as a Citus database (settings.JIUYE_CITUS; ``make test-citus``).

pytest-django creates the test database on the coordinator and migrates it as on any
PostgreSQL server: Citus needs nothing before that (CREATE EXTENSION citus on a database that
already holds tables leaves them plain local tables). Then :func:`make_citus`:
- on each worker (JIUYE_CITUS_WORKERS, ``host:port,...``), a fresh database of the test
  database's name with the extension (Citus creates no database on the workers itself);
- on the coordinator's test database, the extension, the coordinator's own address and the
  workers (the nodes are registered per database);
- the deploy step, ``jiuye citus distribute``, with a few shards: the tests' rows are few, and
  every shard is one more table each DDL and each flush of a transactional test goes through;
- sequential multi-shard execution for the test database: a test runs its fixtures' writes and
  its own reads in one transaction, which no request does (a unit created after an evaluation
  read every shard), and Citus refuses a write to a reference table after a parallel read in
  the same transaction. Sequential mode reads each node over one connection, which allows it.
"""

from __future__ import annotations

import os

import psycopg
from django.db import connection
from django.db.backends.base.creation import TEST_DATABASE_PREFIX
from psycopg import sql

SHARDS = 4


def _workers() -> list[tuple[str, int]]:
    nodes = [w.strip() for w in os.environ.get("JIUYE_CITUS_WORKERS", "").split(",") if w.strip()]
    if not nodes:
        raise RuntimeError("JIUYE_CITUS is on but JIUYE_CITUS_WORKERS names no worker")
    return [(host, int(port)) for host, port in (node.rsplit(":", 1) for node in nodes)]


def _on_worker(host: str, port: int, *statements: sql.Composable | str, dbname: str) -> None:
    user = connection.settings_dict["USER"]
    password = connection.settings_dict["PASSWORD"] or None
    with psycopg.connect(
        host=host, port=port, user=user, password=password, dbname=dbname, autocommit=True
    ) as worker:
        for statement in statements:
            worker.execute(statement)


def created_test_database() -> str | None:
    """The test database's name; None when pytest-django created none (no test selected
    uses the database) and the connection still names the real one."""
    name = str(connection.settings_dict["NAME"])
    return name if name.startswith(TEST_DATABASE_PREFIX) else None


def make_citus() -> None:
    from jiuye.cluster.services import citus_distribute

    name = created_test_database()
    if name is None:
        return
    database = sql.Identifier(name)
    for host, port in _workers():
        _on_worker(
            host,
            port,
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database),
            sql.SQL("CREATE DATABASE {}").format(database),
            dbname="postgres",
        )
        _on_worker(host, port, "CREATE EXTENSION IF NOT EXISTS citus", dbname=name)
    coordinator = (str(connection.settings_dict["HOST"]), int(connection.settings_dict["PORT"]))
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS citus")
        cursor.execute("SELECT citus_set_coordinator_host(%s, %s)", coordinator)
        for host, port in _workers():
            cursor.execute("SELECT citus_add_node(%s, %s)", [host, port])
    citus_distribute(shard_count=SHARDS)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("ALTER DATABASE {} SET citus.multi_shard_modify_mode = 'sequential'")
            .format(database)
            .as_string(cursor.connection)
        )
    connection.close()  # the next connection takes the setting


def drop_worker_databases() -> None:
    """The workers' test databases, once the tests are done (the coordinator's is dropped
    by pytest-django); a worker's open connections from the coordinator are ended."""
    name = created_test_database()
    if name is None:
        return
    for host, port in _workers():
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        _on_worker(host, port, drop, dbname="postgres")
