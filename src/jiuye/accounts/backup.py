"""Backup and restore of the whole database (``jiuye backup`` / ``jiuye restore``).

- PostgreSQL: ``pg_dump -Fc`` of one consistent snapshot, restored with
  ``pg_restore --clean --if-exists --single-transaction``.
- SQLite: the SQLite online-backup API, both ways (a consistent copy while the system runs).
- Citus (settings.JIUYE_CITUS): ``pg_dump -Fc`` through the coordinator, which fetches the
  distributed tables' rows from the shards, with writes paused for the dump (the exported
  snapshot is the coordinator's only, not the workers'); restored data-only through the
  coordinator into a cluster already migrated and distributed like the backup's, in one
  transaction (:func:`_citus_load`).

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
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.audit import triggers
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
    placements: dict[str, str] = field(default_factory=dict)  # Citus: table → where it lives

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


def _run(args: list[str]) -> str:
    proc = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(
            f"{Path(args[0]).name} failed ({proc.returncode}): {_errors(proc.stderr)}"
        )
    return proc.stdout


def _errors(stderr: str) -> str:
    """A client's error output without PostgreSQL's DETAIL and CONTEXT lines: they quote the
    rows a load failed on (names, ID and phone numbers), which do not belong in a log."""
    kept = [line for line in stderr.strip().splitlines() if not _DETAIL.search(line)]
    return "\n".join(kept)


_DETAIL = re.compile(r"^(\S+:\d+: )?(DETAIL|CONTEXT):")


@contextmanager
def _pg_snapshot(*, pause_writes: bool = False) -> Iterator[str]:
    """A REPEATABLE READ transaction whose snapshot pg_dump shares (``--snapshot``).

    ``pause_writes`` (Citus): the snapshot is the coordinator's only; pg_dump reads the
    distributed tables' shards on the workers in transactions of their own. So every table is
    locked in SHARE mode first (reads go on, writes wait until the dump is done), which makes
    what the workers return the same rows as the coordinator's snapshot sees."""
    with transaction.atomic(), connection.cursor() as cursor:
        # LOCK … IN SHARE MODE is refused in a READ ONLY transaction; this one writes nothing.
        mode = "" if pause_writes else ", READ ONLY"
        cursor.execute(f"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ{mode}")
        if pause_writes:
            _lock_tables(cursor)
        cursor.execute("SELECT pg_export_snapshot()")
        yield str(cursor.fetchone()[0])


PAUSE_WAIT = "60s"  # how long a backup waits for the writes in flight before giving up


def _lock_tables(cursor: Any) -> None:
    tables = ", ".join(connection.ops.quote_name(t) for t in _tables())
    # A backup queued behind a long write would hold every later write up behind it: it waits
    # a bounded time, then fails and lets the writes go on.
    cursor.execute(f"SET LOCAL lock_timeout = '{PAUSE_WAIT}'")
    try:
        cursor.execute(f"LOCK TABLE {tables} IN SHARE MODE")
    except DatabaseError as error:
        raise BackupError(
            _("未能暂停写入（%(wait)s 内仍有写入未结束），没有备份：%(error)s")
            % {"wait": PAUSE_WAIT, "error": error}
        ) from error
    cursor.execute("SET LOCAL lock_timeout = 0")


def _tables() -> list[str]:
    """The database's tables; Citus hides the shards the coordinator holds from this list
    (and from pg_dump), so they are the application's tables only."""
    return sorted(connection.introspection.table_names())


def database_kind() -> str:
    """What a backup is a backup of: ``sqlite``, ``postgresql`` or ``citus``."""
    citus = connection.vendor == "postgresql" and settings.JIUYE_CITUS
    return "citus" if citus else connection.vendor


# --------------------------------------------------------------------------- backup


def backup(path: Path, *, actor: Any | None = None) -> Result:
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    vendor, kind = connection.vendor, database_kind()
    # Recorded first, so the backup itself holds the record of being taken.
    audit_record(actor=actor, action="system.backup", changes={"file": path.name, "db": kind})
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
            _pg_dump(tmp, result, citus=kind == "citus")
        else:
            raise BackupError(f"backups of {vendor} databases are not supported")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    manifest = {
        "format": FORMAT,
        "database": kind,
        "created": timezone.now().isoformat(),
        "file": path.name,
        "sha256": file_sha256(path),
        "tables": result.tables,
    }
    if result.placements:
        manifest["citus"] = result.placements
    # Signed with the audit key (kept outside the database and the backups): a manifest
    # regenerated for an edited backup does not verify.
    manifest["key_id"] = signing.current_key_id()
    manifest["signature"] = signing.sign(_manifest_body(manifest))
    mpath = manifest_path(path)
    _private_file(mpath)
    mpath.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def _pg_dump(tmp: Path, result: Result, *, citus: bool) -> None:
    pg_dump = _pg_binary("pg_dump")
    if citus:
        _require_citus_extension()
    with _pg_snapshot(pause_writes=citus) as snapshot:
        result.tables = database_fingerprint()
        if citus:
            result.placements = citus_placements()
        _run([pg_dump, "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(tmp)])
    if citus:
        _check_dumped_tables(tmp, set(result.tables))


def _check_dumped_tables(dump: Path, tables: set[str]) -> None:
    """Every table of the manifest has its rows in the dump, and no other table (a shard the
    coordinator holds, were it not hidden from pg_dump, would be restored twice)."""
    listing = _run([_pg_binary("pg_restore"), "--list", str(dump)])
    dumped = set(re.findall(r" TABLE DATA \S+ (\S+) ", listing))
    if dumped != tables:
        raise BackupError(
            _("转储与清单的表不一致：缺少 %(missing)s；多出 %(extra)s")
            % {
                "missing": ", ".join(sorted(tables - dumped)) or "—",
                "extra": ", ".join(sorted(dumped - tables)) or "—",
            }
        )


# --------------------------------------------------------------------------- Citus

# pg_dist_partition's partmethod and repmodel → where a table lives (as `jiuye citus status`
# says it; jiuye.cluster sits above accounts, so its catalog reader cannot be used here).
_PLACEMENTS = """
    SELECT c.relname, CASE WHEN p.partmethod IS NULL THEN 'local'
                           WHEN p.partmethod = 'h' THEN 'distributed'
                           WHEN p.repmodel = 't' THEN 'reference'
                           ELSE 'citus local' END
    FROM pg_class c LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%s)
"""


def _require_citus_extension() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        if cursor.fetchone() is None:
            raise BackupError(
                _(
                    "JIUYE_CITUS 已开启，但数据库 %(db)s 没有 citus 扩展（scripts/citus.sh；"
                    "或关闭 JIUYE_CITUS）"
                )
                % {"db": connection.settings_dict["NAME"]}
            )


def citus_placements() -> dict[str, str]:
    """Each table → distributed, reference, citus local or local."""
    with connection.cursor() as cursor:
        cursor.execute(_PLACEMENTS, [_tables()])
        return dict(sorted(cursor.fetchall()))


def _check_citus_target(manifest: dict[str, Any]) -> None:
    """The target is a cluster laid out like the backup's: every table of the backup, no other,
    each distributed, reference or local as it was. Refuses, naming the tables, otherwise."""
    _require_citus_extension()
    wanted: dict[str, str] = manifest.get("citus") or {}
    found = citus_placements()
    problems = []
    if missing := sorted(set(wanted) - set(found)):
        problems.append(_("目标库缺少这些表（先运行 jiuye migrate）：") + _names(missing))
    if extra := sorted(set(found) - set(wanted)):
        problems.append(_("目标库多出这些表（与备份的迁移不同）：") + _names(extra))
    # The residents' tables first: a target not distributed is mostly a matter of those.
    order = ["distributed", "reference", "citus local", "local"]
    moved = sorted(
        (t for t in set(wanted) & set(found) if wanted[t] != found[t]),
        key=lambda t: (order.index(wanted[t]) if wanted[t] in order else len(order), t),
    )
    if moved:
        problems.append(
            _("这些表的分布与备份不同（先运行 jiuye citus distribute）：")
            + _names([f"{t}（{wanted[t]} → {found[t]}）" for t in moved])
        )
    if problems:
        raise BackupError(
            _("目标库还不能恢复这份 Citus 备份，未作任何改动：") + "\n  " + "\n  ".join(problems)
        )


def _names(names: list[str], shown: int = 6) -> str:
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown]) + _(" 等 %(n)d 张") % {"n": len(names)}


def _each(option: str, values: list[str]) -> list[str]:
    """``[option, value]`` for each value, in order."""
    return [part for value in values for part in (option, value)]


def _citus_load(path: Path, tables: list[str]) -> None:
    """Replace every table's rows with the backup's, through the coordinator, in one
    transaction (psql --single-transaction, stopping at the first error): a failure leaves the
    cluster as it was. The schema and the Citus metadata are the target's own (migrated and
    distributed); the dump gives only the rows and the sequences' positions."""
    quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
    lift, restore_triggers = triggers.lift_and_restore("postgresql")
    before = [
        "SET client_min_messages = warning",
        # One connection a worker: modifying a reference table after a parallel access to a
        # distributed table that references it, in one transaction, is refused by Citus.
        "SET citus.multi_shard_modify_mode TO 'sequential'",
        # Replacing the audit log is what a restore does (pg_restore --clean drops the table on
        # PostgreSQL); the triggers are back before the commit. The log is distributed, and
        # Citus lets only a session that asks for it switch a distributed table's triggers.
        "SET citus.enable_unsafe_triggers TO on",
        *lift,
        f"TRUNCATE {quoted}",
    ]
    psql = [_pg_binary("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction"]
    # The dump's script empties search_path; the tables are named unqualified again after it.
    after = ["RESET search_path", *restore_triggers]
    # One -c a statement: Citus sends a trigger's ALTER TABLE to the workers as the query
    # string it came in, which must then hold that one command.
    script = [*psql, *_each("-c", before), "-f", "-", *_each("-c", after)]
    rows = subprocess.Popen(
        [_pg_binary("pg_restore"), "--data-only", "-f", "-", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_pg_env(),
    )
    assert rows.stdout is not None
    loaded = subprocess.run(
        script, stdin=rows.stdout, env=_pg_env(), capture_output=True, text=True, check=False
    )
    rows.stdout.close()
    assert rows.stderr is not None
    reading = rows.stderr.read().decode("utf-8", "replace").strip()
    rows.wait()
    if loaded.returncode != 0 or rows.returncode != 0:
        raise BackupError(
            _("恢复失败，目标库未作任何改动：%(error)s")
            % {"error": _errors(loaded.stderr) or _errors(reading)}
        )


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
    if manifest.get("database") != database_kind():
        raise BackupError(
            f"a {manifest.get('database')} backup cannot be restored into {database_kind()}"
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
    elif database_kind() == "citus":
        _check_citus_target(manifest)
        _citus_load(path, sorted(manifest["tables"]))
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
