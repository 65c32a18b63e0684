"""``jiuye backup`` / ``jiuye restore`` round trip, run as real commands on a scratch database.

SQLite always; PostgreSQL too when the suite runs with a postgres DATABASE_URL (a scratch
database is created next to the test database and dropped afterwards).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

SEED = """
from datetime import date
from jiuye.accounts.services import user_create
from jiuye.registry import services as reg
from jiuye.units.services import unit_create
from jiuye.lib import idcard
d = unit_create(actor=None, code="110108", name="海淀区", level="district")
s = unit_create(actor=None, code="110108001", name="万寿路街道", level="street", parent=d)
a = unit_create(actor=None, code="110108001001", name="翠微社区", level="community", parent=s)
user_create(actor=None, username="w1", password="Backup-pass-2026", role="worker", units=[a])
hh = reg.household_create(actor=None, number="H1", unit=a, hukou_type="urban", dibao=True)
for i in range(5):
    reg.person_create(actor=None, id_number=idcard.make("110108", date(1970 + i, 1, 2), 11 + 2 * i),
                      name=f"居民{i}", household=hh, phone=f"1391234560{i}")
"""
MUTATE = """
from jiuye.accounts.models import User
from jiuye.accounts.services import user_create, user_deactivate
from jiuye.units.models import Unit
from jiuye.units.services import unit_create
user_create(actor=None, username="w2", password="Backup-pass-2026", role="worker",
            units=["110108001001"])
user_deactivate(actor=None, user=User.objects.get(username="w1"))
unit_create(actor=None, code="110108002", name="永定路街道", level="street",
            parent=Unit.objects.get(code="110108"))
"""
FINGERPRINT = """
import json
from jiuye.accounts.backup import database_fingerprint
from jiuye.audit.models import AuditEntry
upto = int(__import__("os").environ.get("AUDIT_UPTO") or 0)
prefix = database_fingerprint({"audit_auditentry": f"id <= {upto}"})["audit_auditentry"]
last = AuditEntry.objects.order_by("-id").values_list("id", "action").first()
print(json.dumps({"tables": database_fingerprint(), "audit_prefix": prefix, "last": last}))
"""


def jiuye(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "jiuye.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"jiuye {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def fingerprint(env: dict[str, str], audit_upto: int = 0) -> dict:
    out = jiuye({**env, "AUDIT_UPTO": str(audit_upto)}, "shell", "-c", FINGERPRINT).stdout
    return json.loads(out.strip().splitlines()[-1])


def base_env(tmp_path: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        JIUYE_VAR_DIR=str(tmp_path),
        JIUYE_ENV="development",
        DJANGO_SETTINGS_MODULE="jiuye.settings",
    )
    return env


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated scratch database per module; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("migrated")
    path = folder / "template.sqlite3"
    jiuye(base_env(folder, f"sqlite:///{path}"), "migrate", "--noinput", "-v0")
    return path


@pytest.fixture
def sqlite_env(tmp_path: Path, migrated_sqlite: Path) -> dict[str, str]:
    shutil.copyfile(migrated_sqlite, tmp_path / "scratch.sqlite3")
    return base_env(tmp_path, f"sqlite:///{tmp_path / 'scratch.sqlite3'}")


@pytest.fixture
def postgres_env(tmp_path: Path, django_db_blocker) -> Iterator[dict[str, str]]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("PostgreSQL round trip needs DATABASE_URL=postgres://…")
    import psycopg

    name = f"jiuye_backup_{uuid.uuid4().hex[:8]}"
    base, _slash, _db = url.rpartition("/")
    admin = f"{base}/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        # A plain database (on a Citus coordinator too: tests/cluster/test_backup.py covers
        # the cluster's backups).
        yield {**base_env(tmp_path, f"{base}/{name}"), "JIUYE_CITUS": "0"}
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def round_trip(env: dict[str, str], tmp_path: Path) -> None:
    jiuye(env, "migrate", "--noinput", "-v0")
    jiuye(env, "shell", "-c", SEED)
    dump = tmp_path / "backup.dump"
    out = jiuye(env, "backup", "-o", str(dump)).stdout
    assert "backup written" in out
    assert dump.stat().st_mode & 0o077 == 0  # personal data: owner only
    manifest = json.loads((tmp_path / "backup.dump.manifest.json").read_text())
    before = fingerprint(env)
    assert before["last"][1] == "system.backup"  # the backup holds the record of itself
    assert manifest["tables"] == before["tables"]
    assert before["tables"]["registry_person"]["rows"] == 5

    jiuye(env, "shell", "-c", MUTATE)
    changed = fingerprint(env)
    assert changed["tables"] != before["tables"]

    refused = jiuye(env, "restore", str(dump), check=False)
    assert refused.returncode != 0 and "--yes" in refused.stderr
    assert fingerprint(env)["tables"] == changed["tables"]  # nothing happened

    out = jiuye(env, "restore", str(dump), "--yes").stdout
    assert "identical to the backup" in out
    after = fingerprint(env, audit_upto=before["last"][0])
    for table, print_ in before["tables"].items():
        if table == "audit_auditentry":
            continue
        assert after["tables"][table] == print_, table
    audit_before = before["tables"]["audit_auditentry"]
    assert after["audit_prefix"] == audit_before
    assert after["tables"]["audit_auditentry"]["rows"] == audit_before["rows"] + 1
    assert after["last"][1] == "system.restore"
    verify = jiuye(env, "audit", "verify")
    assert "审计日志完整" in verify.stdout


def test_sqlite_round_trip(sqlite_env, tmp_path):
    round_trip(sqlite_env, tmp_path)


def test_postgresql_round_trip(postgres_env, tmp_path):
    round_trip(postgres_env, tmp_path)


def test_restore_refuses_a_damaged_file(sqlite_env, tmp_path):
    dump = tmp_path / "b.dump"
    jiuye(sqlite_env, "backup", "-o", str(dump))
    with dump.open("r+b") as handle:
        handle.seek(2000)
        handle.write(b"\x00garbage\x00")
    proc = jiuye(sqlite_env, "restore", str(dump), "--yes", check=False)
    assert proc.returncode != 0 and "does not match its manifest" in proc.stderr
    (tmp_path / "b.dump.manifest.json").unlink()
    proc = jiuye(sqlite_env, "restore", str(dump), "--yes", check=False)
    assert proc.returncode != 0 and "manifest" in proc.stderr


def test_restore_of_another_database_kind_is_refused(sqlite_env, tmp_path):
    dump = tmp_path / "b.dump"
    jiuye(sqlite_env, "backup", "-o", str(dump))
    manifest_file = tmp_path / "b.dump.manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["database"] = "postgresql"
    # Signed as a real PostgreSQL backup's would be (the test holds the audit key).
    manifest["signature"] = _sign(manifest)
    manifest_file.write_text(json.dumps(manifest))
    proc = jiuye(sqlite_env, "restore", str(dump), "--yes", check=False)
    assert proc.returncode != 0 and "cannot be restored into sqlite" in proc.stderr


def _sign(manifest: dict) -> str:
    from jiuye.accounts.backup import _manifest_body
    from jiuye.lib import signing

    return signing.sign(_manifest_body(manifest), with_key=manifest["key_id"])


def test_a_forged_manifest_is_refused(sqlite_env, tmp_path):
    """Issue 11, finding 7: an edited backup with a regenerated manifest does not restore."""
    import hashlib
    import sqlite3

    jiuye(sqlite_env, "shell", "-c", SEED)
    dump = tmp_path / "b.dump"
    jiuye(sqlite_env, "backup", "-o", str(dump))
    with sqlite3.connect(dump) as con:  # the attacker edits a name in the backup…
        changed = con.execute("UPDATE registry_person SET name = 'forged'").rowcount
    assert changed > 0
    manifest_file = tmp_path / "b.dump.manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["sha256"] = hashlib.sha256(dump.read_bytes()).hexdigest()  # …and the manifest
    manifest_file.write_text(json.dumps(manifest))
    proc = jiuye(sqlite_env, "restore", str(dump), "--yes", check=False)
    assert proc.returncode != 0 and "signature does not verify" in proc.stderr
    manifest.pop("signature")
    manifest_file.write_text(json.dumps(manifest))
    proc = jiuye(sqlite_env, "restore", str(dump), "--yes", check=False)
    assert proc.returncode != 0 and "not signed" in proc.stderr


def test_vendor_of_the_test_database_is_supported():
    assert connection.vendor in {"sqlite", "postgresql"}
