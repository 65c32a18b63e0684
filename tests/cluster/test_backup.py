"""``jiuye backup`` / ``jiuye restore`` of a province on Citus (settings.JIUYE_CITUS: run under
``scripts/with-citus.sh``), as real commands on scratch Citus databases of the test cluster.

A seeded, distributed database is backed up through the coordinator; the backup is restored
into a fresh database of the same cluster once it is migrated and distributed, and refused
before that; a restore that fails half-way leaves the target as it was; a backup waits for the
writes in flight and holds them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings

from tests.accounts.test_backup import SEED, base_env, fingerprint, jiuye
from tests.citus_setup import _workers

pytestmark = pytest.mark.skipif(not settings.JIUYE_CITUS, reason="needs a Citus cluster")

# A write after the restore: the restored sequences go on from the backup's last ids.
ONE_MORE = """
from jiuye.registry import services as reg
from jiuye.units.models import Unit
reg.household_create(actor=None, number="H2", unit=Unit.objects.get(code="110108001001"),
                     hukou_type="urban")
"""
SHARDS = "4"  # few shards: every shard is one more table each statement goes through


def _execute(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as con:
        for statement in statements:
            con.execute(statement)  # type: ignore[arg-type]


def _url(host: str, port: int, dbname: str) -> str:
    user = urlsplit(os.environ["DATABASE_URL"]).username
    return f"postgresql://{user}@{host}:{port}/{dbname}"


@contextmanager
def citus_database(folder: Path) -> Iterator[dict[str, str]]:
    """A fresh database with the citus extension on every node of the test cluster, its
    coordinator and workers registered (what `scripts/citus.sh start` does for ``jiuye``);
    the environment of `jiuye` commands on it. Dropped on every node afterwards."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    name = f"jiuye_backup_{uuid.uuid4().hex[:8]}"
    coordinator = (str(parts.hostname), int(parts.port or 5432))
    nodes = [coordinator, *_workers()]
    try:
        for host, port in nodes:
            _execute(_url(host, port, "postgres"), f'CREATE DATABASE "{name}"')
            _execute(_url(host, port, name), "CREATE EXTENSION citus")
        _execute(
            _url(*coordinator, name),
            f"SELECT citus_set_coordinator_host('{coordinator[0]}', {coordinator[1]})",
            *(f"SELECT citus_add_node('{host}', {port})" for host, port in _workers()),
        )
        yield base_env(folder, urlunsplit(parts._replace(path=f"/{name}")))
    finally:
        for host, port in nodes:
            _execute(_url(host, port, "postgres"), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _ready(env: dict[str, str], *, distribute: bool = True) -> None:
    jiuye(env, "migrate", "--noinput", "-v0")
    if distribute:
        jiuye(env, "citus", "distribute", "--shards", SHARDS)


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A seeded province and its backup: the environment, the dump, its manifest and the
    database's fingerprint just after the backup."""
    folder = tmp_path_factory.mktemp("province")
    with citus_database(folder) as env:
        _ready(env)
        jiuye(env, "shell", "-c", SEED)
        dump = folder / "province.dump"
        assert "backup written" in jiuye(env, "backup", "-o", str(dump)).stdout
        manifest = json.loads((folder / "province.dump.manifest.json").read_text())
        yield {"env": env, "dump": dump, "manifest": manifest, "before": fingerprint(env)}


def test_the_backup_holds_every_table_of_the_cluster(province: dict[str, Any]) -> None:
    manifest, before = province["manifest"], province["before"]
    assert manifest["database"] == "citus"
    assert manifest["tables"] == before["tables"]
    assert before["last"][1] == "system.backup"
    # Rows of each kind of table: distributed (read from the shards), reference and local.
    placed = manifest["citus"]
    assert (
        placed["registry_person"] == "distributed"
        and manifest["tables"]["registry_person"]["rows"] == 5
    )
    assert placed["units_unit"] == "reference" and manifest["tables"]["units_unit"]["rows"] == 3
    assert placed["audit_auditentry"] == "distributed"
    assert manifest["tables"]["audit_auditentry"]["rows"]
    assert "local" in placed.values()  # django_migrations, the sessions...
    assert set(placed) == set(manifest["tables"])


def test_restore_into_a_fresh_cluster(province: dict[str, Any], tmp_path: Path) -> None:
    dump, before = province["dump"], province["before"]
    with citus_database(tmp_path) as target:
        # Migrated but not distributed: refused, naming what to run, and nothing written.
        _ready(target, distribute=False)
        empty = fingerprint(target)
        refused = jiuye(target, "restore", str(dump), "--yes", check=False)
        assert refused.returncode != 0
        assert "jiuye citus distribute" in refused.stderr
        assert "registry_household（distributed → local）" in refused.stderr
        assert fingerprint(target)["tables"] == empty["tables"]

        # Other shards than the source's: the rows go through the coordinator to where they
        # belong in the target.
        jiuye(target, "citus", "distribute", "--shards", "6")
        out = jiuye(target, "restore", str(dump), "--yes").stdout
        assert "identical to the backup" in out
        after = fingerprint(target, audit_upto=before["last"][0])
        for table, print_ in before["tables"].items():
            if table != "audit_auditentry":
                assert after["tables"][table] == print_, table
        assert after["audit_prefix"] == before["tables"]["audit_auditentry"]
        assert after["last"][1] == "system.restore"
        assert "审计日志完整" in jiuye(target, "audit", "verify").stdout
        # Still a cluster: the residents distributed, and written to after the restore.
        status = jiuye(target, "citus", "status").stdout
        assert "registry_person distributed 6" in " ".join(status.split())
        jiuye(target, "shell", "-c", ONE_MORE)
        assert fingerprint(target)["tables"]["registry_household"]["rows"] == 2


def test_a_restore_that_fails_half_way_changes_nothing(
    province: dict[str, Any], tmp_path: Path
) -> None:
    with citus_database(tmp_path) as target:
        _ready(target)
        jiuye(target, "shell", "-c", SEED.replace("居民", "住户"))
        # The target refuses one row of the backup: the load stops at the fourth person.
        _execute(
            target["DATABASE_URL"],
            "ALTER TABLE registry_person ADD CONSTRAINT test_no_3 CHECK (name <> '居民3')",
        )
        kept = fingerprint(target)
        failed = jiuye(target, "restore", str(province["dump"]), "--yes", check=False)
        assert failed.returncode != 0 and "未作任何改动" in failed.stderr
        assert "test_no_3" in failed.stderr
        assert "1101081973" not in failed.stderr  # the row's ID number is not in the message
        assert fingerprint(target)["tables"] == kept["tables"]
        assert "审计日志完整" in jiuye(target, "audit", "verify").stdout
        with psycopg.connect(target["DATABASE_URL"]) as con:
            enabled = con.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_auditentry'::regclass"
                " AND NOT tgisinternal AND tgenabled <> 'D'"
            ).fetchone()
        assert enabled == (2,)  # the append-only triggers are on


def test_a_backup_waits_for_the_writes_in_flight(province: dict[str, Any], tmp_path: Path) -> None:
    """The coordinator's snapshot does not reach the workers; the backup pauses the writes
    instead, so a write in flight is either wholly in it or not at all."""
    env = province["env"]
    dump = tmp_path / "during.dump"
    with psycopg.connect(env["DATABASE_URL"]) as writer:
        writer.execute("UPDATE registry_person SET name = '改名' WHERE name = '居民0'")
        backup = subprocess.Popen(
            [sys.executable, "-m", "jiuye.cli", "backup", "-o", str(dump)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_for_a_lock_wait(env["DATABASE_URL"], backup)
        writer.commit()
    _out, err = backup.communicate(timeout=300)
    assert backup.returncode == 0, err
    manifest = json.loads((tmp_path / "during.dump.manifest.json").read_text())
    assert manifest["tables"]["registry_person"] == fingerprint(env)["tables"]["registry_person"]


def _wait_for_a_lock_wait(url: str, backup: subprocess.Popen[str]) -> None:
    """Until the backup waits for the writer's lock (a bound, not a measure: it fails a hung
    test, it asserts nothing about time)."""
    deadline = time.monotonic() + 120
    with psycopg.connect(url, autocommit=True) as watcher:
        while time.monotonic() < deadline and backup.poll() is None:
            waiting = watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'LOCK TABLE%'"
            ).fetchone()
            if waiting:
                return
            time.sleep(0.2)
    raise AssertionError("the backup never waited for the write in flight")
