"""The province scenario of ``bench/run.py`` (issue 18): the city on a throw-away Citus cluster.

``run.py --province-persons N --province-districts D [--province-shards S]`` (off by default)
seeds the same city as the city scenario (the same persons, districts and seed) on three nodes
started by ``scripts/citus.sh`` (data under ``bench/work/citus``; the coordinator on
``JIUYE_BENCH_CITUS_PORT``, default 55440, the workers on the next two ports), after the
deploy steps of a province: a database with the citus extension on every node, the workers
added, ``jiuye migrate``, ``jiuye citus distribute --shards S``. The benchmarks of the city
scenario then run there with ``JIUYE_CITUS=1`` (in this process's settings and in the
environment of the processes it starts: gunicorn, ``jiuye`` commands). What this module adds:

- the cluster and its database (:func:`start_cluster`, :func:`fresh_database`,
  :func:`citus_database` to point Django at it and back);
- the work of each node per benchmark, from ``pg_stat_statements`` on every node (preloaded
  beside citus; reset before each benchmark, read after);
- ``province_explain``: the main queries of the users' pages (each role's pages, in this
  process through Django's test client) and of the evaluations, captured as they run, then
  ``EXPLAIN (ANALYZE)`` on the coordinator with every task shown: router (one task) or
  multi-shard (the task count), and each node's rows and time;
- the check that the numbers agree: every unit's evaluation (each rule set and source the
  standards benchmarks ran) on Citus equals the one on one PostgreSQL server for the same seed;
- the "Province (Citus)" section of ``bench/RESULTS.md``, replaced in place (the file's other
  sections are kept).

A benchmark that fails on Citus is recorded with its error; the scenario goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
CITUS_DIR = WORK / "citus"
# JIUYE_BENCH_CITUS_PORT: the coordinator's port; the workers take the next two.
PORT = int(os.environ.get("JIUYE_BENCH_CITUS_PORT", "55440"))
NODES = ("coordinator", "worker1", "worker2")
DATABASE = "jiuye_province"
SECTION = "## Province (Citus)"
# Each node's buffer cache: a worker holds half the city's hot rows (the single server of the
# city scenario has 4GB for all of them); the coordinator holds the small tables only.
SHARED_BUFFERS = "2GB"
ON = date(2026, 11, 22)  # the seed's default "today", as in run.py

# Per node: the benchmark's statements (calls, execution ms, rows) from pg_stat_statements.
NODE_WORK: dict[str, list[tuple[str, int, float, int]]] = {}
SETUP: dict[str, str] = {}  # what the deploy steps took, for the section


@dataclass
class Result:
    seconds: float
    cpu_seconds: float
    note: str = ""
    details: str = ""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ports() -> list[int]:
    return [PORT + i for i in range(len(NODES))]


# ---- the cluster ----------------------------------------------------------------------------


def _script(*args: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        [str(ROOT / "scripts" / args[0]), *args[1:]],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    return out.stdout.strip()


def _connect(port: int, dbname: str) -> Any:
    import psycopg

    return psycopg.connect(
        host="127.0.0.1", port=port, user="jiuye", dbname=dbname, autocommit=True
    )


def start_cluster() -> str:
    """Three fresh nodes (any previous ones in bench/work/citus are stopped and removed), with
    pg_stat_statements preloaded beside citus (scripts/citus.sh preloads citus only: the
    setting is changed and each node restarted)."""
    stop_cluster(quiet=True)
    shutil.rmtree(CITUS_DIR, ignore_errors=True)
    WORK.mkdir(parents=True, exist_ok=True)
    env = {"PGTEMP_SHARED_BUFFERS": SHARED_BUFFERS}
    _script("citus.sh", "start", str(CITUS_DIR), str(PORT), env=env)
    for node, port in zip(NODES, ports(), strict=True):
        with _connect(port, "postgres") as conn:
            conn.execute("ALTER SYSTEM SET shared_preload_libraries = citus, pg_stat_statements")
        _script("pgtemp.sh", "stop", str(CITUS_DIR / node))
        _script("pgtemp.sh", "start", str(CITUS_DIR / node), str(port), env=env)
    with _connect(PORT, "postgres") as conn:
        version = conn.execute(
            "SELECT default_version FROM pg_available_extensions WHERE name = 'citus'"
        ).fetchone()
    return str(version[0]) if version else "?"


def stop_cluster(*, quiet: bool = False) -> None:
    if CITUS_DIR.exists():
        subprocess.run(
            [str(ROOT / "scripts" / "citus.sh"), "stop", str(CITUS_DIR)],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL if quiet else None,
        )


def remove_cluster() -> None:
    stop_cluster(quiet=True)
    shutil.rmtree(CITUS_DIR, ignore_errors=True)  # a throw-away cluster: do not keep its GBs


def url() -> str:
    return f"postgres://jiuye@127.0.0.1:{PORT}/{DATABASE}"


def _create_database() -> None:
    """The province's database on every node with the extensions (Citus creates none on the
    workers itself), the coordinator's own address and the workers registered in it."""
    for port in ports():
        with _connect(port, "postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DATABASE}")
        with _connect(port, DATABASE) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS citus")
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    with _connect(PORT, DATABASE) as conn:
        conn.execute("SELECT citus_set_coordinator_host('127.0.0.1', %s)", [PORT])
        for port in ports()[1:]:
            conn.execute("SELECT citus_add_node('127.0.0.1', %s)", [port])


def _deploy(shards: int | None, *, distribute: bool = True) -> None:
    """The database made again on every node, then ``jiuye migrate`` and (unless not
    ``distribute``) ``jiuye citus distribute --shards`` (timed, for the section)."""
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    _create_database()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    SETUP["migrate"] = f"{time.perf_counter() - started:.1f} s"
    if distribute:
        started = time.perf_counter()
        call_command("citus", "distribute", shards=shards, verbosity=0)
        SETUP["distribute"] = f"{time.perf_counter() - started:.1f} s"


def fresh_database(shards: int | None) -> Callable[[], None]:
    """run.py's ``prepare`` of a province repeat: the deploy steps in the documented order."""
    SETUP["shards"] = str(shards or "")
    return lambda: _deploy(shards)


def seed_then_distribute(seed: Callable[[], Any]) -> Any:
    """A bench fallback when the seed fails on the distributed schema: the deploy steps again
    without the distribution, the seed into the coordinator's plain tables, then
    ``jiuye citus distribute`` (Citus copies the rows into the shards), timed with it; so the
    benchmarks after the seed have their data."""
    from django.core.management import call_command

    shards = int(SETUP["shards"]) if SETUP.get("shards") else None
    _deploy(shards, distribute=False)
    measurement = seed()
    started, cpu = time.perf_counter(), _cpu()
    call_command("citus", "distribute", shards=shards, verbosity=0)
    took = time.perf_counter() - started
    SETUP["distribute"] = f"{took:.1f} s (after the seed, moving its rows)"
    measurement.seconds += took
    measurement.cpu_seconds += _cpu() - cpu
    measurement.note = (
        f"{FALLBACK_NOTE}: the seed {measurement.seconds - took:.1f} s, the distribution "
        f"{took:.1f} s; {measurement.note}"
    )
    return measurement


@contextlib.contextmanager
def citus_database() -> Iterator[None]:
    """Django (and the processes the benchmarks start) on the province's coordinator with
    JIUYE_CITUS on, as settings.py makes it from the environment; put back after."""
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    database = connections["default"].settings_dict  # the dict every thread's connection uses
    saved = {key: database.get(key) for key in ("HOST", "PORT", "NAME", "OPTIONS")}
    saved_env = {key: os.environ.get(key) for key in ("JIUYE_CITUS", "DATABASE_URL")}
    saved_flag = settings.JIUYE_CITUS
    options = dict(database.get("OPTIONS") or {})
    options["options"] = (
        options.get("options", "") + " -c citus.enable_repartition_joins=on"
    ).strip()
    database.update(HOST="127.0.0.1", PORT=PORT, NAME=DATABASE, OPTIONS=options)
    settings.JIUYE_CITUS = True
    os.environ.update(JIUYE_CITUS="1", DATABASE_URL=url())
    try:
        yield
    finally:
        connections.close_all()
        database.update(saved)
        settings.JIUYE_CITUS = saved_flag
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# ---- failures ------------------------------------------------------------------------------

# Bench workarounds, never the code's, so the benchmarks after a failed seed have data: first
# Citus's own hint (DDL in a transaction after a parallel multi-shard read needs the session's
# multi-shard work on one connection per node), then the seed before the distribution.
SEQUENTIAL_NOTE = (
    "seeded with `citus.multi_shard_modify_mode=sequential` set by the bench (a workaround: "
    "the seed failed without it, see the failures)"
)
FALLBACK_NOTE = (
    "seeded before `jiuye citus distribute`, into the coordinator's plain tables (a bench "
    "fallback: the seed failed on the distributed schema, see the failures)"
)
_LAST_FAILED: list[str] = []  # the statement that raised, of the benchmark running now


@contextlib.contextmanager
def watch() -> Iterator[None]:
    """Remember the statement that raises (this thread's connection; COPY goes around it)."""
    from django.db import connection

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        try:
            return execute(sql, params, many, context)
        except Exception:
            _LAST_FAILED[:] = [" ".join(sql.split())[:400]]
            raise

    _LAST_FAILED.clear()
    with connection.execute_wrapper(wrapper):
        yield


def describe(error: BaseException) -> str:
    """The error, the statement that raised it and where in jiuye's code (innermost frames)."""
    import traceback

    frames = [
        f"{Path(f.filename).relative_to(ROOT / 'src')}:{f.lineno} {f.name}"
        for f in traceback.extract_tb(error.__traceback__)
        if f"{ROOT / 'src'}/" in f.filename
    ]
    text = f"{type(error).__name__}: {_short(error)}"
    if _LAST_FAILED:
        text += f" — statement: `{_LAST_FAILED[0]}`"
    if frames:
        text += " — at " + " → ".join(frames[-3:])
    return text


@contextlib.contextmanager
def sequential() -> Iterator[None]:
    """This process's sessions with ``citus.multi_shard_modify_mode=sequential``."""
    from django.db import connections

    connections.close_all()
    database = connections["default"].settings_dict
    saved = database["OPTIONS"]
    options = dict(saved)
    options["options"] += " -c citus.multi_shard_modify_mode=sequential"
    database["OPTIONS"] = options
    try:
        yield
    finally:
        connections.close_all()
        database["OPTIONS"] = saved


# ---- each node's work -----------------------------------------------------------------------


def work_reset() -> None:
    for port in ports():
        with contextlib.suppress(Exception), _connect(port, DATABASE) as conn:
            conn.execute("SELECT pg_stat_statements_reset()")


def work_read(name: str) -> None:
    """The statements each node ran since :func:`work_reset` (its own database only)."""
    rows = []
    for node, port in zip(NODES, ports(), strict=True):
        try:
            with _connect(port, DATABASE) as conn:
                calls, ms, count = conn.execute(
                    "SELECT coalesce(sum(calls), 0), coalesce(sum(total_exec_time), 0), "
                    "coalesce(sum(rows), 0) FROM pg_stat_statements "
                    "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ).fetchone()
        except Exception:  # a node gone: the row says so
            calls, ms, count = -1, 0.0, 0
        rows.append((node, int(calls), float(ms), int(count)))
    NODE_WORK[name] = rows


def work_table(titles: dict[str, str]) -> list[str]:
    if not NODE_WORK:
        return []
    head = " | ".join(f"{n}: calls, s, rows" for n in NODES)
    lines = [
        "Each node's statements during each benchmark (`pg_stat_statements` on each node, its "
        "own database; the coordinator's time includes waiting for the workers; a worker's "
        "are the shard queries, COPYs and DDL it ran).",
        "",
        f"| benchmark | {head} |",
        "|---|" + "---:|" * len(NODES),
    ]
    for name, rows in NODE_WORK.items():
        cells = " | ".join(
            "—" if calls < 0 else f"{calls:,}, {ms / 1000:.2f}, {count:,}"
            for _node, calls, ms, count in rows
        )
        lines.append(f"| {titles.get(name, name)} | {cells} |")
    return lines


# ---- the queries: captured, then EXPLAIN on the coordinator ---------------------------------


@dataclass
class Captured:
    origin: str  # the page or evaluation that ran it
    sql: str
    params: Any
    seconds: float


@dataclass
class Plan:
    kind: str  # router, multi-shard, coordinator only, failed
    tasks: list[int] = field(default_factory=list)
    subplans: int = 0
    repartition: bool = False
    per_node: dict[str, list[float]] = field(default_factory=dict)  # node: [tasks, rows, ms]
    seconds: float = 0.0
    error: str = ""


@contextlib.contextmanager
def capture(origin: list[str], into: list[Captured]) -> Iterator[None]:
    """Every SELECT this thread's connection runs, with its time and ``origin[0]``."""
    from django.db import connection

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            head = sql.lstrip().upper()
            if not many and (head.startswith("SELECT") or head.startswith("WITH")):
                into.append(Captured(origin[0], sql, params, time.perf_counter() - started))

    with connection.execute_wrapper(wrapper):
        yield


def _page_queries(into: list[Captured]) -> list[str]:
    """Each role's pages as bench_pages' solo accounts open them, in this process (Django's
    test client, the district admin's second factor marked passed in the session)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    import bench_pages
    from jiuye.accounts.models import User

    problems = []
    try:
        accounts = bench_pages._prepare()
    except Exception as error:  # the aggregates or deadline items: the pages may still open
        problems.append(f"preparing the pages: {describe(error)}")
        accounts = bench_pages.ensure_accounts()
    origin = [""]
    for role in ("worker", "street", "district"):
        account = accounts.solo[role]
        user = User.objects.get(username=account.username)
        client = Client()
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        for page in bench_pages.role_pages(account.unit):
            origin[0] = f"{role} `{page.label}`"
            with capture(origin, into):
                try:
                    response = client.get(page.path, headers=page.headers)
                    if response.status_code != 200:
                        problems.append(f"{origin[0]}: HTTP {response.status_code}")
                except Exception as error:
                    problems.append(f"{origin[0]}: {type(error).__name__}: {_short(error)}")
    return problems


def _evaluation_queries(into: list[Captured]) -> list[str]:
    """The evaluations as the standards benchmarks run them (one connection: the capture is
    per connection), city-wide, and one district's."""
    from jiuye.standards.evaluation import evaluate_units
    from jiuye.standards.rulesets import ruleset_get
    from jiuye.units.models import Level, Unit

    district = Unit.objects.filter(level=Level.DISTRICT, parent=None).order_by("code").first()
    runs = [
        ("HD-2012", "aggregates", None, "evaluation HD-2012 (aggregates), every district"),
        ("QG-2016", "auto", None, "evaluation QG-2016, every district"),
        ("QG-2016", "auto", district, "evaluation QG-2016, one district"),
    ]
    problems = []
    origin = [""]
    for ruleset, source, root, label in runs:
        origin[0] = label
        with capture(origin, into):
            try:
                evaluate_units(root=root, ruleset=ruleset_get(ruleset), on=ON, source=source)
            except Exception as error:
                problems.append(f"{label}: {type(error).__name__}: {_short(error)}")
    return problems


def _short(error: BaseException) -> str:
    return " ".join(str(error).split())[:300]


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _node_name(text: str) -> str:
    found = re.search(r"port=(\d+)", text)
    if not found:
        return text
    port = int(found.group(1))
    return NODES[port - PORT] if 0 <= port - PORT < len(NODES) else f"port {port}"


def classify(explained: Any) -> Plan:
    """Router or multi-shard from the coordinator's ``EXPLAIN (ANALYZE, FORMAT JSON)`` with
    ``citus.explain_all_tasks``: every distributed job's task count, the subplans Citus ran
    first (their results sent to the workers), each node's tasks, rows and time."""
    plan = Plan("coordinator only")
    top = explained[0] if isinstance(explained, list) and explained else {}
    plan.seconds = float(top.get("Execution Time", 0.0)) / 1000
    for node in _walk(explained):
        query = node.get("Distributed Query")
        if not isinstance(query, dict):
            continue
        plan.subplans += len(query.get("Subplans") or [])
        job = query.get("Job") or {}
        plan.tasks.append(int(job.get("Task Count", 0)))
        plan.repartition = plan.repartition or bool(job.get("Dependent Jobs"))
        for task in job.get("Tasks") or []:
            name = _node_name(str(task.get("Node", "?")))
            remote = task.get("Remote Plan")
            inner = next((d for d in _walk(remote) if "Plan" in d), {})
            rows = float((inner.get("Plan") or {}).get("Actual Rows", 0))
            ms = float(inner.get("Execution Time", 0.0))
            totals = plan.per_node.setdefault(name, [0, 0, 0.0])
            totals[0] += 1
            totals[1] += rows
            totals[2] += ms
    if plan.tasks:
        single = all(t == 1 for t in plan.tasks) and not plan.subplans and not plan.repartition
        plan.kind = "router" if single else "multi-shard"
    return plan


def explain(captured: Captured) -> Plan:
    from django.db import connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL citus.explain_all_tasks = on")
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + captured.sql, captured.params)
            raw = cursor.fetchone()[0]
    except Exception as error:
        return Plan("failed", error=f"{type(error).__name__}: {_short(error)}")
    return classify(json.loads(raw) if isinstance(raw, str) else raw)


_TABLES = re.compile(r'(?:FROM|JOIN)\s+"?([a-z_]+)"?', re.IGNORECASE)


def _tables(sql: str) -> str:
    names = []
    for name in _TABLES.findall(sql):
        if "_" in name and name not in names and not name.startswith("pg_"):
            names.append(name)
    return ", ".join(names[:4]) + (" …" if len(names) > 4 else "")


def main_queries(captured: list[Captured], per_origin: int = 2) -> list[Captured]:
    """Each page's and evaluation's slowest statements (``per_origin``), one per SQL text."""
    chosen: list[Captured] = []
    seen: set[str] = set()
    by_origin: dict[str, list[Captured]] = {}
    for c in captured:
        by_origin.setdefault(c.origin, []).append(c)
    for rows in by_origin.values():
        taken = 0
        for c in sorted(rows, key=lambda c: -c.seconds):
            if c.sql in seen or taken >= per_origin:
                continue
            seen.add(c.sql)
            chosen.append(c)
            taken += 1
    return chosen


def bench_explain(ctx: Any = None) -> Result:
    """Capture the pages' and the evaluations' statements, then EXPLAIN the main ones."""
    wall, cpu = time.perf_counter(), _cpu()
    captured: list[Captured] = []
    problems = _page_queries(captured) + _evaluation_queries(captured)
    chosen = main_queries(captured)
    plans = [(c, explain(c)) for c in chosen]
    lines = [
        f"{len(captured):,} statements captured; each page's and evaluation's two slowest "
        f"(one per SQL text) explained on the coordinator: `EXPLAIN (ANALYZE)` with "
        "`citus.explain_all_tasks` on. **router**: every distributed step one task (one node); "
        "**multi-shard**: some step fans out (task counts listed; subplans are results Citus "
        "computes first and ships to the workers; repartition: rows shuffled between workers). "
        "Per node: tasks / rows / ms from the tasks' own plans.",
        "",
        "| # | ran by | tables | captured (ms) | kind | tasks | subplans | EXPLAIN ANALYZE (ms) "
        "| per node: tasks / rows / ms |",
        "|---:|---|---|---:|---|---|---:|---:|---|",
    ]
    for i, (c, plan) in enumerate(plans, 1):
        nodes = "; ".join(
            f"{n} {int(t)} / {int(r):,} / {ms:,.0f}"
            for n, (t, r, ms) in sorted(plan.per_node.items())
        )
        kind = plan.kind + (" (repartition)" if plan.repartition else "")
        if plan.error:
            kind = f"failed: {plan.error.replace('|', '/')}"
        tasks = ", ".join(str(t) for t in plan.tasks) or "—"
        lines.append(
            f"| {i} | {c.origin} | {_tables(c.sql)} | {c.seconds * 1000:,.0f} | {kind} | {tasks} "
            f"| {plan.subplans} | {plan.seconds * 1000:,.0f} | {nodes or '—'} |"
        )
    if problems:
        lines += ["", "Did not run here:", "", *(f"- {p}" for p in problems)]
    lines += ["", "<details><summary>the statements (first 400 characters)</summary>", ""]
    for i, (c, _plan) in enumerate(plans, 1):
        lines.append(f"{i}. `{' '.join(c.sql.split())[:400].replace('`', chr(39))}`")
    lines += ["", "</details>"]
    counts: dict[str, int] = {}
    for _c, plan in plans:
        counts[plan.kind] = counts.get(plan.kind, 0) + 1
    note = f"{len(plans)} main queries: " + ", ".join(f"{n} {k}" for k, n in counts.items())
    if problems:
        note += f"; {len(problems)} pages/evaluations failed"
    return Result(time.perf_counter() - wall, _cpu() - cpu, note, "\n".join(lines))


# ---- what the coordinator refused -----------------------------------------------------------

_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[(\d+)\] ([A-Z]+):  (.*)$")
ERRORS_FILE = WORK / "province-errors.sql"


def refused() -> list[tuple[str, str, int]]:
    """(error, statement, times) for each statement the coordinator answered with an error
    (its log: log_min_error_statement is ERROR), the bench's EXPLAINs counted with the
    statement they explain; every statement in full goes to bench/work/province-errors.sql."""
    path = CITUS_DIR / "coordinator" / "server.log"
    if not path.exists():
        return []
    entries: list[list[str]] = []  # [pid, level, text]
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        found = _LOG_LINE.match(line)
        if found:
            entries.append(list(found.groups()))
        elif entries:
            entries[-1][2] += "\n" + line
    last_error: dict[str, str] = {}
    seen: dict[tuple[str, str], list[Any]] = {}  # (error, shape): [first statement, times]
    for pid, level, text in entries:
        if level == "ERROR":
            last_error[pid] = " ".join(text.split())
        elif level == "STATEMENT" and pid in last_error:
            statement = re.sub(r"^EXPLAIN \(ANALYZE, FORMAT JSON\) ", "", text.strip())
            row = seen.setdefault((last_error.pop(pid), _shape(statement)), [statement, 0])
            row[1] += 1
    found_all = [(error, statement, n) for (error, _), (statement, n) in seen.items()]
    WORK.mkdir(parents=True, exist_ok=True)
    ERRORS_FILE.write_text(
        "\n\n".join(f"-- {n}×: {error}\n{statement};" for error, statement, n in found_all) + "\n",
        encoding="utf-8",
    )
    return found_all


def _shape(statement: str) -> str:
    """The statement without its literals (another unit, another date: the same statement)."""
    text = re.sub(r"'[^']*'", "?", " ".join(statement.split()))
    text = re.sub(r"\b\d+\b", "?", text)
    return re.sub(r"\(\?(, \?)*\)", "(…)", text)


def refused_table(found: list[tuple[str, str, int]]) -> list[str]:
    if not found:
        return ["None in the coordinator's log."]
    lines = [
        f"{len(found)} distinct statements (their literals aside), from the coordinator's log "
        f"(each in full: `{ERRORS_FILE.relative_to(ROOT)}`, kept until `make clean`).",
        "",
        "| # | Citus's error | times | statement (first 300 characters) |",
        "|---:|---|---:|---|",
    ]
    for i, (error, statement, n) in enumerate(found, 1):
        text = " ".join(statement.split())[:300].replace("|", "/").replace("`", "'")
        lines.append(f"| {i} | {error.replace('|', '/')} | {n} | `{text}` |")
    return lines


# ---- the numbers agree ----------------------------------------------------------------------


def snapshot() -> dict[str, dict[str, Any]]:
    """The evaluations the standards benchmarks ran last (per rule set and source), each unit's
    JSON as the API gives it; taken after a scenario, before the next one overwrites them."""
    import bench_standards

    taken = {
        f"{ruleset} ({source})": {r.unit.code: r.as_json() for r in results}
        for (ruleset, source), results in bench_standards.OUTPUTS.items()
    }
    bench_standards.OUTPUTS.clear()
    return taken


def _first_difference(a: dict[str, Any], b: dict[str, Any]) -> str:
    for ca, cb in zip(a.get("criteria", []), b.get("criteria", []), strict=False):
        keys = ("value", "numerator", "denominator", "passed")
        if any(ca.get(k) != cb.get(k) for k in keys):
            pg = "/".join(str(ca.get(k)) for k in keys)
            ci = "/".join(str(cb.get(k)) for k in keys)
            return f"{ca.get('id')}: {pg} vs {ci} (value/numerator/denominator/passed)"
    if a.get("score") != b.get("score"):
        return "the score table"
    differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    return ", ".join(differing)


def compare(single: dict[str, dict[str, Any]], citus: dict[str, dict[str, Any]]) -> list[str]:
    """A table row per evaluation: units on each side, how many equal, the first difference."""
    lines = [
        "| evaluation | units (PostgreSQL) | units (Citus) | equal | first difference |",
        "|---|---:|---:|---:|---|",
    ]
    for key in sorted(single.keys() | citus.keys()):
        pg, ci = single.get(key, {}), citus.get(key)
        if ci is None:
            lines.append(f"| {key} | {len(pg):,} | — | — | not evaluated on Citus (failed) |")
            continue
        equal = sum(1 for code, row in pg.items() if ci.get(code) == row)
        first = ""
        for code in sorted(pg.keys() | ci.keys()):
            if code not in pg or code not in ci:
                first = f"unit {code} only on {'Citus' if code in ci else 'PostgreSQL'}"
                break
            if pg[code] != ci[code]:
                first = f"unit {code}: {_first_difference(pg[code], ci[code])}"
                break
        ok = equal == len(pg) == len(ci)
        lines.append(
            f"| {key} | {len(pg):,} | {len(ci):,} | {equal:,} {'✓' if ok else '✗'} | "
            f"{(first or '—').replace('|', '/')} |"
        )
    return lines


# ---- the section of RESULTS.md --------------------------------------------------------------


def write_section(path: Path, text: str) -> None:
    """Replace the "Province (Citus)" section of ``path`` (up to the next ``## `` heading), or
    add it at the end: the file's other sections stay as they are."""
    old = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    start = next((i for i, line in enumerate(old) if line.startswith(SECTION)), None)
    new = text.rstrip("\n").splitlines()
    if start is None:
        lines = [*old, "", *new] if old else new
    else:
        end = next((i for i in range(start + 1, len(old)) if old[i].startswith("## ")), len(old))
        tail = old[end:]
        lines = [*old[:start], *new, *(["", *tail] if tail else [])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def median(runs: list[Any]) -> float:
    return statistics.median(m.seconds for m in runs)
