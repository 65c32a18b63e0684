"""Backup and restore of the whole database (``jiuye backup`` / ``jiuye restore``).

- PostgreSQL: ``pg_dump -Fc`` of one consistent snapshot, restored with
  ``pg_restore --clean --if-exists --single-transaction``.
- SQLite: the SQLite online-backup API, both ways (a consistent copy while the system runs).

Every backup writes, next to ``FILE``, a manifest ``FILE.manifest.json``: the file's SHA-256 and,
per table, the row count and a checksum of the rows, taken from the same snapshot as the dump.
A restore refuses a file that does not match its manifest, and after restoring compares every
table with the manifest, verifies the audit chain, and appends a ``system.restore`` audit row.

Backups hold residents' personal data: files are created readable by their owner only (0600);
keep them on encrypted storage.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jiuye.audit.services import audit_record, verify_chain
from jiuye.lib import signing

MANIFEST_SUFFIX = ".manifest.json"
FORMAT = 1


class BackupError(Exception):
    pass


# --------------------------------------------------------------------------- fingerprints


def table_fingerprint(cursor: Any, table: str, quote: Any, where: str = "") -> dict[str, Any]:
    """Row count and an order-independent SHA-256-based checksum of a table's rows."""
    sql = f"SELECT * FROM {quote(table)}"
    if where:
        sql += f" WHERE {where}"
    cursor.execute(sql)
    total = 0
    rows = 0
    while True:
        batch = cursor.fetchmany(2000)
        if not batch:
            break
        for row in batch:
            digest = hashlib.sha256(repr(tuple(row)).encode("utf-8")).digest()
            total = (total + int.from_bytes(digest, "big")) % (1 << 256)
            rows += 1
    return {"rows": rows, "checksum": f"{total:064x}"}


def database_fingerprint(where: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Fingerprint of every table of the default database (``where``: table → SQL condition).

    SQLite is read through a plain ``sqlite3`` connection (Django's converts dates and booleans),
    so the values are compared exactly as stored, like in the backup file.
    """
    where = where or {}
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():  # type: ignore[attr-defined]
        return sqlite_file_fingerprint(
            Path(str(connection.settings_dict["NAME"])), readonly=False, where=where
        )
    tables = sorted(connection.introspection.table_names())
    with connection.cursor() as cursor:
        return {
            t: table_fingerprint(cursor, t, connection.ops.quote_name, where.get(t, ""))
            for t in tables
        }


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_file_fingerprint(
    path: Path, *, readonly: bool = True, where: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    # A live database in WAL mode is opened normally (read-only opening needs its -shm file).
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True) if readonly else sqlite3.connect(path)
    try:
        cursor = con.cursor()
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = sorted(row[0] for row in cursor.fetchall())
        return {
            t: table_fingerprint(cursor, t, _sqlite_quote, (where or {}).get(t, "")) for t in tables
        }
    finally:
        con.close()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def compare_fingerprints(
    expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]]
) -> list[str]:
    problems = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want is None:
            problems.append(f"{table}: not in the backup")
        elif got is None:
            problems.append(f"{table}: missing after restore")
        elif want != got:
            problems.append(
                f"{table}: rows {want['rows']} → {got['rows']}, checksum "
                f"{'same' if want['checksum'] == got['checksum'] else 'differs'}"
            )
    return problems


# --------------------------------------------------------------------------- helpers


@dataclass
class Result:
    path: Path
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.tables.values())


def _private_file(path: Path) -> None:
    """Create (or truncate) ``path`` readable and writable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def _pg_binary(name: str) -> str:
    """The client matching the server's major version if installed, else the one on PATH."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
    for candidate in (Path(f"/usr/lib/postgresql/{major}/bin/{name}"),):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found (install the PostgreSQL {major} client)")
    return found


def _pg_env() -> dict[str, str]:
    s = connection.settings_dict
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", s.get("HOST")),
        ("PGPORT", s.get("PORT")),
        ("PGUSER", s.get("USER")),
        ("PGPASSWORD", s.get("PASSWORD")),
        ("PGDATABASE", s.get("NAME")),
        ("PGSSLMODE", (s.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[key] = str(value)
    return env


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed ({proc.returncode}): {proc.stderr.strip()}")


@contextmanager
def _pg_snapshot() -> Iterator[str]:
    """A REPEATABLE READ transaction whose snapshot pg_dump shares (``--snapshot``)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        yield str(cursor.fetchone()[0])


# --------------------------------------------------------------------------- backup


def backup(path: Path, *, actor: Any | None = None) -> Result:
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    # Recorded first, so the backup itself holds the record of being taken.
    audit_record(actor=actor, action="system.backup", changes={"file": path.name, "db": vendor})
    tmp = path.with_name(path.name + ".part")
    _private_file(tmp)
    result = Result(path=path)
    try:
        if vendor == "sqlite":
            connection.ensure_connection()
            dest = sqlite3.connect(tmp)
            try:
                connection.connection.backup(dest)
                # A self-contained file: no -wal/-shm companions (the live database uses WAL).
                dest.execute("PRAGMA journal_mode=DELETE")
            finally:
                dest.close()
            result.tables = sqlite_file_fingerprint(tmp)
        elif vendor == "postgresql":
            pg_dump = _pg_binary("pg_dump")
            with _pg_snapshot() as snapshot:
                result.tables = database_fingerprint()
                _run([pg_dump, "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(tmp)])
        else:
            raise BackupError(f"backups of {vendor} databases are not supported")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    manifest = {
        "format": FORMAT,
        "database": vendor,
        "created": timezone.now().isoformat(),
        "file": path.name,
        "sha256": file_sha256(path),
        "tables": result.tables,
    }
    # Signed with the audit key (kept outside the database and the backups): a manifest
    # regenerated for an edited backup does not verify.
    manifest["key_id"] = signing.current_key_id()
    manifest["signature"] = signing.sign(_manifest_body(manifest))
    mpath = manifest_path(path)
    _private_file(mpath)
    mpath.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


# --------------------------------------------------------------------------- restore


def _manifest_body(manifest: dict[str, Any]) -> str:
    """What the signature covers: everything in the manifest but the signature."""
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def read_manifest(path: Path) -> dict[str, Any]:
    mpath = manifest_path(path)
    if not mpath.exists():
        raise BackupError(f"manifest {mpath.name} not found next to the backup")
    manifest: dict[str, Any] = json.loads(mpath.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown manifest format {manifest.get('format')!r}")
    signature, key = manifest.get("signature"), manifest.get("key_id")
    if not isinstance(signature, str) or not isinstance(key, str):
        raise BackupError("the manifest is not signed: it cannot be trusted")
    if not signing.verify(_manifest_body(manifest), signature, with_key=key):
        raise BackupError(
            "the manifest's signature does not verify (forged, altered, or signed with an audit "
            "key this server does not hold)"
        )
    if file_sha256(path) != manifest.get("sha256"):
        raise BackupError("the backup file does not match its manifest (damaged or altered)")
    if manifest.get("database") != connection.vendor:
        raise BackupError(
            f"a {manifest.get('database')} backup cannot be restored into {connection.vendor}"
        )
    return manifest


def restore(path: Path, *, actor: Any | None = None) -> Result:
    """Replace the whole database with the backup's content (the caller asked for confirmation)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise BackupError(f"{path} not found")
    manifest = read_manifest(path)
    vendor = connection.vendor
    if vendor == "sqlite":
        _check_sqlite_file(path)
        connection.close()
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        connection.close()
    elif vendor == "postgresql":
        pg_restore = _pg_binary("pg_restore")
        dbname = str(connection.settings_dict["NAME"])
        connection.close()
        _run(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "-d",
                dbname,
                str(path),
            ]
        )
        connection.close()
    else:
        raise BackupError(f"restores into {vendor} databases are not supported")
    result = Result(path=path, tables=database_fingerprint())
    result.problems = compare_fingerprints(manifest["tables"], result.tables)
    chain = verify_chain()
    result.problems += [f"audit chain: {p}" for p in chain]
    audit_record(
        actor=actor,
        action="system.restore",
        changes={
            "file": path.name,
            "backup_created": manifest.get("created"),
            "rows": result.rows,
            "problems": len(result.problems),
        },
        result="ok" if not result.problems else "mismatch",
    )
    return result


def _check_sqlite_file(path: Path) -> None:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            status = con.execute("PRAGMA integrity_check").fetchone()[0]
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"not an SQLite database: {error}") from error
    if status != "ok":
        raise BackupError(f"SQLite integrity check failed: {status}")
    if not {"django_migrations", "audit_auditentry"} <= names:
        raise BackupError("not a jiuye database backup")
