"""Benchmarks on a throw-away PostgreSQL: ``.venv/bin/python bench/run.py [--persons N]
[--repeat R]``.

Starts its own server with ``scripts/pgtemp.sh`` (data under ``bench/work/``, port 55434),
migrates a template database once, and for every repeat clones a fresh database from it, seeds
it and runs each registered benchmark on the result. Each measurement's runs and median go to
``bench/RESULTS.md`` with the machine they ran on. The server is stopped whatever happens.

A benchmark is a function ``(Context) -> Measurement`` registered with ``@benchmark(name,
title)``; the first one, ``seed``, builds the data the later ones read. Other modules add theirs
as plug-ins: every ``bench/bench_*.py`` with a ``register(benchmark)`` function is imported and
registers after the ones here (``--only`` picks a subset; ``seed`` always runs).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
PGDATA = WORK / "pgdata"
PORT = 55434
TEMPLATE_DB = "jiuye"
RUN_DB = "jiuye_bench_run"
ON = date(2026, 11, 22)  # the seed's default "today": the as-of date of the read benchmarks


class NotAvailable(Exception):
    """The code a benchmark measures does not exist (yet) in this tree."""


@dataclass
class Measurement:
    seconds: float
    cpu_seconds: float  # of this Python process (the server's CPU is not included)
    note: str = ""


@dataclass
class Context:
    persons: int
    seed: int
    summary: Any = None  # the SeedSummary of this repeat


@dataclass
class Benchmark:
    name: str
    title: str
    run: Callable[[Context], Measurement]
    runs: list[Measurement] = field(default_factory=list)
    unavailable: str = ""
    error: str = ""


BENCHMARKS: list[Benchmark] = []


def benchmark(name: str, title: str) -> Callable[[Callable[[Context], Measurement]], Any]:
    def register(fn: Callable[[Context], Measurement]) -> Callable[[Context], Measurement]:
        BENCHMARKS.append(Benchmark(name, title, fn))
        return fn

    return register


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), _cpu()
    result = fn()
    return result, time.perf_counter() - wall, _cpu() - cpu


# ---- the benchmarks -----------------------------------------------------------------------


@benchmark("seed", "seed: generate and load the district (COPY, one transaction)")
def bench_seed(ctx: Context) -> Measurement:
    from jiuye.demo.generator import SeedConfig
    from jiuye.demo.loader import seed

    summary, wall, cpu = timed(lambda: seed(SeedConfig(persons=ctx.persons, seed=ctx.seed)))
    ctx.summary = summary
    return Measurement(wall, cpu, f"{summary.zero_households} households ever zero")


@benchmark(
    "community_classification",
    f"as-of-date household classification for all communities ({ON.isoformat()})",
)
def bench_classification(ctx: Context) -> Measurement:
    try:
        module = importlib.import_module("jiuye.registry.classification")
        classify = module.community_classification
    except (ImportError, AttributeError) as error:
        raise NotAvailable(f"not yet available ({error})") from None
    counts, wall, cpu = timed(lambda: classify(on=ON))
    zero = sum(c.zero_families for c in counts.values())
    with_zero = sum(1 for c in counts.values() if c.zero_families)
    labor = sum(c.labor_force for c in counts.values())
    employed = sum(c.employed for c in counts.values())
    note = (
        f"{len(counts)} communities ({with_zero} with a zero family), labor force {labor:,}, "
        f"employed {employed:,}, zero families {zero}"
    )
    return Measurement(wall, cpu, note)


def load_plugins() -> list[str]:
    """Import ``bench/bench_*.py`` and let each ``register(benchmark)``; returns problems."""
    problems = []
    sys.path.insert(0, str(ROOT / "bench"))
    for path in sorted((ROOT / "bench").glob("bench_*.py")):
        try:
            module = importlib.import_module(path.stem)
            register = getattr(module, "register", None)
            if callable(register):
                register(benchmark)
        except Exception as error:  # a broken plug-in must not stop the others
            problems.append(f"{path.name}: {type(error).__name__}: {error}")
    return problems


# ---- the server and databases -------------------------------------------------------------


def start_server() -> str:
    """A fresh cluster in bench/work/pgdata (any previous one there is stopped and removed)."""
    stop_server(quiet=True)  # a cluster left behind by an interrupted run
    shutil.rmtree(PGDATA, ignore_errors=True)
    WORK.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        [str(ROOT / "scripts" / "pgtemp.sh"), "start", str(PGDATA), str(PORT)],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def stop_server(*, quiet: bool = False) -> None:
    if (PGDATA / "PG_VERSION").exists():
        subprocess.run(
            [str(ROOT / "scripts" / "pgtemp.sh"), "stop", str(PGDATA)],
            check=False,
            stderr=subprocess.DEVNULL if quiet else None,
        )


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=PORT, user="jiuye", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(sql)


def use_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    connections["default"].settings_dict["NAME"] = name


def fresh_database() -> None:
    """A new database cloned from the migrated template (cheaper than migrating each time)."""
    use_database(TEMPLATE_DB)
    from django.db import connections

    connections.close_all()
    _admin(f"DROP DATABASE IF EXISTS {RUN_DB}")
    _admin(f"CREATE DATABASE {RUN_DB} TEMPLATE {TEMPLATE_DB}")
    use_database(RUN_DB)


# ---- the machine and the report -----------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with open("/proc/meminfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "PostgreSQL": f"{server} (scripts/pgtemp.sh: fsync off, shared_buffers 1GB)",
    }


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (error messages span lines)."""
    return " ".join(text.split()).replace("|", "\\|")


def report(args: argparse.Namespace, info: dict[str, str], ctx: Context, loads: list[str]) -> str:
    s = ctx.summary
    lines = [
        "# Benchmark results",
        "",
        f"`.venv/bin/python bench/run.py --persons {args.persons} --repeat {args.repeat}`, "
        f"run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}. Each repeat clones a fresh "
        f"database from a migrated template, seeds it (seed {args.seed}, today "
        f"{ON.isoformat()}) and runs every benchmark on the result; the median is reported.",
        "",
        "- **seed** is `jiuye.demo.loader.seed` as `jiuye seed` runs it: generating the rows, "
        "COPY with constraints and indexes lifted, putting them back (validation, index "
        "builds), ANALYZE, the `statuses_changed` signal (casework opens the zero-family "
        "cases), the audit row and the commit.",
        "- **community_classification** is one call of "
        "`jiuye.registry.classification.community_classification(on=…)`: every community's "
        "labor force, employed, unemployed, zero and pure-farming families at the date, in one "
        "SQL query.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in info.items()),
        f"| load average (1/5/15 min) at start; end | {loads[0]}; {loads[-1]} |",
        "",
        "A load average near or above the core count means other work shared the machine "
        "during the run; wall times are then pessimistic.",
        "",
        "## Data",
        "",
        "| units | households | persons | status events | recognitions |",
        "|---:|---:|---:|---:|---:|",
    ]
    if s is not None:
        lines.append(
            f"| {s.units:,} | {s.households:,} | {s.persons:,} | {s.events:,} | "
            f"{s.recognitions:,} |"
        )
    lines += [
        "",
        "## Measurements",
        "",
        "Wall-clock seconds; CPU is this Python process's user+system time (the database "
        "server's work is in the wall time only).",
        "",
        "| benchmark | runs (s) | median (s) | CPU median (s) | notes |",
        "|---|---|---:|---:|---|",
    ]
    for b in BENCHMARKS:
        if b.unavailable or (b.error and not b.runs):
            lines.append(f"| {b.title} | — | — | — | {_cell(b.unavailable or b.error)} |")
            continue
        runs = ", ".join(f"{m.seconds:.2f}" for m in b.runs)
        median = statistics.median(m.seconds for m in b.runs)
        cpu = statistics.median(m.cpu_seconds for m in b.runs)
        note = b.runs[-1].note + (f"; error: {b.error}" if b.error else "")
        lines.append(f"| {b.title} | {runs} | {median:.2f} | {cpu:.2f} | {_cell(note)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    args = parser.parse_args(argv)
    for problem in load_plugins():
        print(f"plug-in not loaded: {problem}", flush=True)
    if args.only:
        wanted = {"seed", *args.only.split(",")}
        BENCHMARKS[:] = [b for b in BENCHMARKS if b.name in wanted]

    loads = [_load()]
    print(f"starting PostgreSQL in {PGDATA} on port {PORT}", flush=True)
    url = start_server()
    try:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuye.settings")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        info = machine()
        ctx = Context(persons=args.persons, seed=args.seed)
        for repeat in range(1, args.repeat + 1):
            fresh_database()
            for b in BENCHMARKS:
                if b.unavailable:
                    continue
                try:
                    measurement = b.run(ctx)
                except NotAvailable as missing:
                    b.unavailable = str(missing)
                    print(f"[{repeat}] {b.name}: {missing}", flush=True)
                    continue
                except Exception as error:  # recorded, and the other benchmarks still run
                    b.error = f"{type(error).__name__}: {error}"
                    print(f"[{repeat}] {b.name}: FAILED {b.error}", flush=True)
                    if b.name == "seed":
                        raise
                    continue
                b.runs.append(measurement)
                print(
                    f"[{repeat}] {b.name}: {measurement.seconds:.2f} s "
                    f"(CPU {measurement.cpu_seconds:.2f} s) {measurement.note}",
                    flush=True,
                )
        loads.append(_load())
        use_database(TEMPLATE_DB)
        text = report(args, info, ctx, loads)
        args.output.write_text(text, encoding="utf-8")
        print(f"\nwrote {args.output}\n\n{text}")
        return 0
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        stop_server()
        shutil.rmtree(PGDATA, ignore_errors=True)  # a throw-away cluster: do not keep its GBs
        print("PostgreSQL stopped and its data directory removed", flush=True)


if __name__ == "__main__":
    sys.exit(main())
