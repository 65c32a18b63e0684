"""Benchmarks on a throw-away PostgreSQL: ``.venv/bin/python bench/run.py [--persons N]
[--repeat R] [--city-persons N --city-districts D]``.

Starts its own server with ``scripts/pgtemp.sh`` (data under ``bench/work/``, port 55434),
migrates a template database once, and runs two scenarios, each on databases cloned fresh from
the template:

- **district**: for every repeat, seed one district of ``--persons`` and run every registered
  benchmark on it;
- **city**: then (unless ``--city-persons 0``) seed a city of ``--city-persons`` in
  ``--city-districts`` districts (each its own root unit, see ``jiuye seed --districts``) and run
  the benchmarks registered for it (``@benchmark(..., city=True)``: the seed and the standards
  engine), ``--city-repeat`` times.

Each measurement's runs and median go to ``bench/RESULTS.md`` with the machine they ran on,
and the benchmarks of both scenarios side by side with their targets. The server is stopped
whatever happens.

A benchmark is a function ``(Context) -> Measurement`` registered with ``@benchmark(name,
title)``; the first one, ``seed``, builds the data the later ones read. Other modules add theirs
as plug-ins: every ``bench/bench_*.py`` with a ``register(benchmark)`` function is imported and
registers after the ones here (``--only`` picks a subset; ``seed`` always runs). A plug-in's
benchmarks run in the district scenario unless registered with ``city=True``, and after all the
others if registered with ``last=True`` (they write to the data). A measurement may carry a
Markdown block (``details``: a table per page, say), printed below its scenario's table.

``JIUYE_BENCH_PG_PORT`` moves the server off port 55434 (two runs on one machine).
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
# JIUYE_BENCH_PG_PORT: another port when two runs would collide on the same machine.
PORT = int(os.environ.get("JIUYE_BENCH_PG_PORT", "55434"))
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
    details: str = ""  # optional Markdown (e.g. a table per page) shown below the measurements


DISTRICT, CITY = "district", "city"


@dataclass
class Context:
    persons: int
    seed: int
    summary: Any = None  # the SeedSummary of this repeat
    districts: int = 1  # the city scenario: more than one
    scenario: str = DISTRICT


@dataclass
class Benchmark:
    name: str
    title: str
    run: Callable[[Context], Measurement]
    scenarios: tuple[str, ...] = (DISTRICT,)
    target: str = ""  # shown beside the medians of both scenarios
    ratio_of: str = ""  # another benchmark's median ÷ this one's is reported too
    runs: dict[str, list[Measurement]] = field(default_factory=dict)
    unavailable: str = ""
    last: bool = False  # runs after every other benchmark of its scenario
    error: dict[str, str] = field(default_factory=dict)


BENCHMARKS: list[Benchmark] = []


def benchmark(
    name: str,
    title: str,
    *,
    city: bool = False,
    target: str = "",
    ratio_of: str = "",
    last: bool = False,
) -> Callable[[Callable[[Context], Measurement]], Any]:
    """Register ``fn(Context) -> Measurement``; ``city``: also in the city scenario; ``last``:
    after all the others (a benchmark that writes to the data, or wants it fully prepared)."""

    def register(fn: Callable[[Context], Measurement]) -> Callable[[Context], Measurement]:
        scenarios = (DISTRICT, CITY) if city else (DISTRICT,)
        BENCHMARKS.append(Benchmark(name, title, fn, scenarios, target, ratio_of, last=last))
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


@benchmark("seed", "seed: generate and load the data (COPY, one transaction)", city=True)
def bench_seed(ctx: Context) -> Measurement:
    from jiuye.demo.generator import SeedConfig
    from jiuye.demo.loader import seed

    config = SeedConfig(persons=ctx.persons, seed=ctx.seed, districts=ctx.districts)
    summary, wall, cpu = timed(lambda: seed(config))
    ctx.summary = summary
    where = f"{ctx.districts} districts, " if ctx.districts > 1 else ""
    return Measurement(wall, cpu, f"{where}{summary.zero_households} households ever zero")


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


# The buffer cache of the bench's cluster: the 10M city's hot tables and indexes (persons,
# status events, services) are about 4 GB; with 1 GB its city-wide QG-2016 evaluation read
# most pages from the operating system's cache and took 7.3 s instead of 5.1 s.
SHARED_BUFFERS = "4GB"


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
        env={**os.environ, "PGTEMP_SHARED_BUFFERS": SHARED_BUFFERS},
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
        "PostgreSQL": f"{server} (scripts/pgtemp.sh: fsync off, shared_buffers {SHARED_BUFFERS})",
    }


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (error messages span lines)."""
    return " ".join(text.split()).replace("|", "\\|")


def _data_rows(label: str, s: Any) -> list[str]:
    if s is None:
        return []
    return [
        f"| {label} | {s.units:,} | {s.households:,} | {s.persons:,} | {s.events:,} | "
        f"{s.recognitions:,} |"
    ]


def _median(runs: list[Measurement]) -> float:
    return statistics.median(m.seconds for m in runs)


def _measurements(scenario: str) -> list[str]:
    lines = [
        "| benchmark | runs (s) | median (s) | CPU median (s) | notes |",
        "|---|---|---:|---:|---|",
    ]
    for b in BENCHMARKS:
        if scenario not in b.scenarios:
            continue
        runs, error = b.runs.get(scenario, []), b.error.get(scenario, "")
        if b.unavailable or (error and not runs):
            lines.append(f"| {b.title} | — | — | — | {_cell(b.unavailable or error)} |")
            continue
        if not runs:
            continue
        times = ", ".join(f"{m.seconds:.2f}" for m in runs)
        cpu = statistics.median(m.cpu_seconds for m in runs)
        note = runs[-1].note + (f"; error: {error}" if error else "")
        lines.append(f"| {b.title} | {times} | {_median(runs):.2f} | {cpu:.2f} | {_cell(note)} |")
    return lines


def _details(scenario: str) -> list[str]:
    """The Markdown blocks of the benchmarks that have one (their last run's), after the table."""
    lines = []
    for b in BENCHMARKS:
        runs = b.runs.get(scenario, [])
        details = getattr(runs[-1], "details", "") if runs else ""
        if details:
            lines += ["", f"### {b.title}", "", details.strip()]
    return lines


def _both_sizes(args: argparse.Namespace) -> list[str]:
    """The benchmarks of both scenarios side by side, with their targets."""
    both = [b for b in BENCHMARKS if CITY in b.scenarios and b.name != "seed" and b.runs]
    if not both or args.city_persons <= 0:
        return []
    by_name = {b.name: b for b in BENCHMARKS}
    district = f"{args.persons / 1e6:g}M-person district"
    city = f"{args.city_persons / 1e6:g}M-person city ({args.city_districts} districts)"
    lines = [
        "## Both sizes",
        "",
        f"Medians in seconds: one {district}, then a {city}. A ratio row divides the first "
        "benchmark's median by the second's.",
        "",
        f"| benchmark | {district} | {city} | target |",
        "|---|---:|---:|---|",
    ]

    def cell(b: Benchmark, scenario: str) -> str:
        runs = b.runs.get(scenario)
        return f"{_median(runs):.2f}" if runs else "—"

    for b in both:
        lines.append(f"| {b.title} | {cell(b, DISTRICT)} | {cell(b, CITY)} | {b.target} |")
        other = by_name.get(b.ratio_of)
        if other is None:
            continue
        ratios = []
        for scenario in (DISTRICT, CITY):
            mine, theirs = b.runs.get(scenario), other.runs.get(scenario)
            ratios.append(
                f"{_median(theirs) / _median(mine):.2f}"
                if mine and theirs and _median(mine) > 0
                else "—"
            )
        lines.append(f"| ratio `{other.name}` ÷ `{b.name}` | {' | '.join(ratios)} | |")
    return [*lines, ""]


def report(
    args: argparse.Namespace,
    info: dict[str, str],
    summaries: dict[str, Any],
    loads: list[str],
) -> str:
    city = (
        f" --city-persons {args.city_persons} --city-districts {args.city_districts}"
        f" --city-repeat {args.city_repeat}"
    )
    lines = [
        "# Benchmark results",
        "",
        f"`.venv/bin/python bench/run.py --persons {args.persons} --repeat {args.repeat}"
        f"{city}`, run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}. Each repeat clones "
        f"a fresh database from a migrated template, seeds it (seed {args.seed}, today "
        f"{ON.isoformat()}) and runs every benchmark of its scenario on the result; the median "
        "is reported. The **district** scenario is one district of "
        f"{args.persons:,} persons; the **city** scenario "
        + (
            f"{args.city_persons:,} persons in {args.city_districts} districts of one city "
            "(`jiuye seed --districts`: each district its own root unit, the persons split "
            "evenly), in a fresh database after the district scenario, running only the seed, "
            "the standards and the pages benchmarks."
            if args.city_persons > 0
            else "was skipped (`--city-persons 0`)."
        ),
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
        "| scenario | units | households | persons | status events | recognitions |",
        "|---|---:|---:|---:|---:|---:|",
        *_data_rows("district", summaries.get(DISTRICT)),
        *_data_rows(f"city ({args.city_districts} districts)", summaries.get(CITY)),
        "",
        *_both_sizes(args),
        "## Measurements: district",
        "",
        "Wall-clock seconds; CPU is this Python process's user+system time (the database "
        "server's work is in the wall time only).",
        "",
        *_measurements(DISTRICT),
        *_details(DISTRICT),
    ]
    if args.city_persons > 0:
        lines += ["", "## Measurements: city", "", *_measurements(CITY), *_details(CITY)]
    return "\n".join(lines) + "\n"


def run_scenario(ctx: Context, repeat: int) -> None:
    """Seed a fresh database and run every benchmark of ``ctx.scenario`` on it."""
    fresh_database()
    label = f"{ctx.scenario} {repeat}"
    for b in BENCHMARKS:
        if b.unavailable or ctx.scenario not in b.scenarios:
            continue
        try:
            measurement = b.run(ctx)
        except NotAvailable as missing:
            b.unavailable = str(missing)
            print(f"[{label}] {b.name}: {missing}", flush=True)
            continue
        except Exception as error:  # recorded, and the other benchmarks still run
            b.error[ctx.scenario] = f"{type(error).__name__}: {error}"
            print(f"[{label}] {b.name}: FAILED {b.error[ctx.scenario]}", flush=True)
            if b.name == "seed":
                raise
            continue
        # The machine may be shared: the load average right after each run goes with it.
        measurement.note = f"{measurement.note}; load {_load()}".lstrip("; ")
        b.runs.setdefault(ctx.scenario, []).append(measurement)
        print(
            f"[{label}] {b.name}: {measurement.seconds:.2f} s "
            f"(CPU {measurement.cpu_seconds:.2f} s) {measurement.note}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--city-persons",
        type=int,
        default=10_000_000,
        help="persons of the city scenario (0: skip it)",
    )
    parser.add_argument("--city-districts", type=int, default=10)
    parser.add_argument("--city-repeat", type=int, default=1)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    args = parser.parse_args(argv)
    if args.city_persons > 0 and not 1 < args.city_districts <= args.city_persons:
        parser.error("--city-districts must be at least 2 (and at most --city-persons)")
    for problem in load_plugins():
        print(f"plug-in not loaded: {problem}", flush=True)
    BENCHMARKS.sort(key=lambda b: b.last)  # stable: the others keep their order
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
        summaries: dict[str, Any] = {}
        ctx = Context(persons=args.persons, seed=args.seed)
        for repeat in range(1, args.repeat + 1):
            run_scenario(ctx, repeat)
        summaries[DISTRICT] = ctx.summary
        if args.city_persons > 0:
            city = Context(
                persons=args.city_persons,
                seed=args.seed,
                districts=args.city_districts,
                scenario=CITY,
            )
            for repeat in range(1, args.city_repeat + 1):
                run_scenario(city, repeat)
            summaries[CITY] = city.summary
        loads.append(_load())
        use_database(TEMPLATE_DB)
        text = report(args, info, summaries, loads)
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
