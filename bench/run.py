"""Benchmarks on a throw-away PostgreSQL: ``.venv/bin/python bench/run.py [--persons N]
[--repeat R] [--city-persons N --city-districts D] [--province-persons N --province-districts D
--province-shards S [--province-only]]``.

Starts its own server with ``scripts/pgtemp.sh`` (data under ``bench/work/``, port 55434),
migrates a template database once, and runs two scenarios, each on databases cloned fresh from
the template:

- **district**: for every repeat, seed one district of ``--persons`` and run every registered
  benchmark on it;
- **city**: then (unless ``--city-persons 0``) seed a city of ``--city-persons`` in
  ``--city-districts`` districts (each its own root unit, see ``jiuye seed --districts``) and run
  the benchmarks registered for it (``@benchmark(..., city=True)``: the seed and the standards
  engine), ``--city-repeat`` times;
- **province** (off unless ``--province-persons`` is given; ``bench/province.py``): the same
  city (``--province-persons`` in ``--province-districts``, the same seed) on a throw-away Citus
  cluster (``scripts/citus.sh``: a coordinator and two workers, ``--province-shards`` shards),
  the city's benchmarks run there with ``JIUYE_CITUS=1``, beside the same city on the single
  server (the city scenario's runs when it seeded the same city, else the city's benchmarks run
  again at the province's size: the **province-pg** scenario). The evaluations on both must
  agree unit by unit; ``province_explain`` classifies the main queries of the pages and the
  evaluations (router or multi-shard) with each node's work. A benchmark failing on Citus is
  recorded with its error. Its results go to the "Province (Citus)" section of RESULTS.md,
  replaced in place; ``--province-only`` skips the district and city scenarios and leaves the
  rest of the file as it is.

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

``JIUYE_BENCH_PG_PORT`` moves the server off port 55434 (two runs on one machine);
``JIUYE_BENCH_CITUS_PORT`` the province's coordinator off 55440 (its workers: the next two).
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

import province

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
# The province: the city on Citus, and the same city on the single server when the city
# scenario did not seed it (another size): both run the city's benchmarks.
PROVINCE, PROVINCE_PG = "province", "province-pg"


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


def runs_in(b: Benchmark, scenario: str) -> bool:
    """The province scenarios run the city's benchmarks (and their own)."""
    if scenario in (PROVINCE, PROVINCE_PG):
        return CITY in b.scenarios or scenario in b.scenarios
    return scenario in b.scenarios


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
        if not runs_in(b, scenario):
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


def _measure(b: Benchmark, ctx: Context) -> Measurement:
    """``b.run(ctx)``; on Citus with each node's work and a failure's statement recorded, and a
    seed that fails tried once more in sequential mode, so the benchmarks after it still run
    (the first failure stays in ``b.error``)."""
    if ctx.scenario != PROVINCE:
        return b.run(ctx)
    province.work_reset()
    try:
        with province.watch():
            return b.run(ctx)
    except NotAvailable:
        raise
    except Exception as error:
        first = province.describe(error)
        if b.name != "seed":
            raise RuntimeError(first) from error
        b.error[PROVINCE] = first
        print(f"[{ctx.scenario}] seed: FAILED {first}; again in sequential mode", flush=True)
        try:
            with province.sequential(), province.watch():
                measurement = b.run(ctx)
            measurement.note = f"{province.SEQUENTIAL_NOTE}; {measurement.note}"
            return measurement
        except Exception as again:
            b.error[PROVINCE] += f"; in sequential mode: {province.describe(again)}"
        print(f"[{ctx.scenario}] seed: FAILED again; seeding before the distribution", flush=True)
        try:
            with province.watch():
                return province.seed_then_distribute(lambda: b.run(ctx))
        except Exception as third:
            raise RuntimeError(
                f"{b.error[PROVINCE]}; seeded before the distribution: {province.describe(third)}"
            ) from None
    finally:
        province.work_read(b.name)


def run_scenario(ctx: Context, repeat: int, prepare: Callable[[], None] = fresh_database) -> None:
    """Seed a fresh database (``prepare``) and run every benchmark of ``ctx.scenario`` on it."""
    prepare()
    label = f"{ctx.scenario} {repeat}"
    for b in BENCHMARKS:
        if b.unavailable or not runs_in(b, ctx.scenario):
            continue
        try:
            measurement = _measure(b, ctx)
        except NotAvailable as missing:
            b.unavailable = str(missing)
            print(f"[{label}] {b.name}: {missing}", flush=True)
            continue
        except Exception as error:  # recorded, and the other benchmarks still run
            b.error[ctx.scenario] = (
                str(error) if ctx.scenario == PROVINCE else f"{type(error).__name__}: {error}"
            )
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


def province_report(
    args: argparse.Namespace,
    info: dict[str, str],
    summaries: dict[str, Any],
    reference: str,
    outcome: dict[str, Any],
) -> str:
    """The "Province (Citus)" section: the city on one server beside the same city on Citus,
    whether their evaluations agree, each node's work, the failures and the query plans."""
    size = f"{args.province_persons:,} persons in {args.province_districts} districts"
    shards = args.province_shards or "32 (Citus's default)"
    source = (
        "the city scenario of this run"
        if reference == CITY
        else "the city's benchmarks again at this size (scenario province-pg)"
    )
    command = (
        f"--province-persons {args.province_persons} --province-districts "
        f"{args.province_districts}"
        + (f" --province-shards {args.province_shards}" if args.province_shards else "")
        + f" --province-repeat {args.province_repeat}"
        + (" --province-only" if args.province_only else "")
        + (f" --only {args.only}" if args.only else "")
    )
    lines = [
        province.SECTION,
        "",
        f"`.venv/bin/python bench/run.py {command}`, run "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}: the city of {size} (seed "
        f"{args.seed}, today {ON.isoformat()}) on one PostgreSQL server ({source}) and on a "
        f"throw-away Citus cluster (`scripts/citus.sh`: Citus {outcome.get('version', '?')}, a "
        "coordinator and two workers on this machine, each shared_buffers "
        f"{province.SHARED_BUFFERS}; `jiuye migrate`, then `jiuye citus distribute --shards "
        f"{shards}`: {province.SETUP.get('migrate', '—')} and "
        f"{province.SETUP.get('distribute', '—')}), `JIUYE_CITUS=1`. Machine: {info['CPU']}, "
        f"{info['cores']} cores, {info['RAM']}; load average at the end {_load()}. The three "
        "nodes share the machine's cores: Citus's time here is its overhead, not a speed-up.",
        "",
        "| scenario | units | households | persons | status events | recognitions |",
        "|---|---:|---:|---:|---:|---:|",
        *_data_rows("one PostgreSQL server", summaries.get(reference)),
        *_data_rows("Citus", summaries.get(PROVINCE)),
        "",
        "Medians in seconds (runs of the Citus column in brackets when more than one).",
        "",
        "| benchmark | one PostgreSQL | Citus | Citus ÷ PostgreSQL | target | Citus's note |",
        "|---|---:|---:|---:|---|---|",
    ]
    failures = []
    for b in BENCHMARKS:
        if not runs_in(b, PROVINCE) or b.unavailable:
            continue
        pg, ci = b.runs.get(reference), b.runs.get(PROVINCE)
        error = b.error.get(PROVINCE, "")
        if error:
            failures.append(f"- **{b.name}**: {_cell(error)}")
        one = f"{_median(pg):.2f}" if pg else "—"
        other = "failed" if error and not ci else (f"{_median(ci):.2f}" if ci else "—")
        if ci and len(ci) > 1:
            other += " (" + ", ".join(f"{m.seconds:.2f}" for m in ci) + ")"
        ratio = f"{_median(ci) / _median(pg):.2f}" if pg and ci and _median(pg) > 0 else "—"
        note = _cell(ci[-1].note if ci else error)
        note = note if len(note) <= 300 else note[:300] + " …"
        lines.append(f"| {b.title} | {one} | {other} | {ratio} | {b.target} | {note} |")
    if outcome.get("failure"):
        failures.insert(0, f"- **the scenario stopped**: {_cell(outcome['failure'])}")
    lines += [
        "",
        "### The numbers agree",
        "",
        "Every unit's evaluation (the API's JSON: each criterion's value, numerator, "
        "denominator and verdict, the score table) of each rule set and source the standards "
        "benchmarks ran, on Citus against the single server, by unit code.",
        "",
        *province.compare(outcome.get("reference", {}), outcome.get("citus", {})),
        "",
        "### Failures on Citus",
        "",
        *(failures or ["None."]),
        "",
        "### Statements Citus refused",
        "",
        *province.refused_table(outcome.get("refused", [])),
        "",
        "### Each node's work",
        "",
        *province.work_table({b.name: b.title for b in BENCHMARKS}),
        *[
            line.replace("### ", "#### ", 1) if line.startswith("### ") else line
            for line in _details(PROVINCE)
        ],
    ]
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


def run_province(args: argparse.Namespace, summaries: dict[str, Any]) -> dict[str, Any]:
    """The province on Citus; the same city on the single server first unless the city
    scenario seeded it. Never raises for the code under test: a failure is in the outcome."""
    outcome: dict[str, Any] = {}
    same_city = (
        not args.province_only
        and args.city_persons == args.province_persons
        and args.city_districts == args.province_districts
    )
    if same_city:  # the city scenario's evaluations, the last ones run
        outcome["reference"] = province.snapshot()
    city = {"seed": args.seed, "districts": args.province_districts}
    if not same_city:
        ctx = Context(persons=args.province_persons, scenario=PROVINCE_PG, **city)
        for repeat in range(1, args.province_repeat + 1):
            run_scenario(ctx, repeat)
        summaries[PROVINCE_PG] = ctx.summary
        outcome["reference"] = province.snapshot()
    use_database(TEMPLATE_DB)
    print(f"starting Citus in {province.CITUS_DIR} on ports {province.ports()}", flush=True)
    try:
        outcome["version"] = province.start_cluster()
        with province.citus_database():
            ctx = Context(persons=args.province_persons, scenario=PROVINCE, **city)
            prepare = province.fresh_database(args.province_shards)
            for repeat in range(1, args.province_repeat + 1):
                run_scenario(ctx, repeat, prepare)
            summaries[PROVINCE] = ctx.summary
    except Exception as error:  # the seed or the deploy steps: recorded, the section written
        outcome["failure"] = f"{type(error).__name__}: {error}"
        print(f"[province] stopped: {outcome['failure']}", flush=True)
    finally:
        outcome["citus"] = province.snapshot()
        outcome["refused"] = province.refused()
        province.remove_cluster()
        print("Citus stopped and its data directory removed", flush=True)
    return outcome


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
    parser.add_argument(
        "--province-persons",
        type=int,
        default=0,
        help="persons of the province scenario on Citus (0, the default: skip it)",
    )
    parser.add_argument("--province-districts", type=int, default=10)
    parser.add_argument(
        "--province-shards", type=int, default=None, help="jiuye citus distribute --shards"
    )
    parser.add_argument("--province-repeat", type=int, default=1)
    parser.add_argument(
        "--province-only",
        action="store_true",
        help="only the province (and the same city on one server); RESULTS.md's other "
        "sections are kept",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    args = parser.parse_args(argv)
    if args.city_persons > 0 and not 1 < args.city_districts <= args.city_persons:
        parser.error("--city-districts must be at least 2 (and at most --city-persons)")
    if args.province_only and args.province_persons <= 0:
        parser.error("--province-only needs --province-persons")
    if args.province_persons > 0 and not 1 < args.province_districts <= args.province_persons:
        parser.error("--province-districts must be at least 2 (and at most --province-persons)")
    for problem in load_plugins():
        print(f"plug-in not loaded: {problem}", flush=True)
    if args.province_persons > 0:
        BENCHMARKS.append(
            Benchmark(
                "province_explain",
                "province: the main queries of the pages and the evaluations, EXPLAIN on the "
                "coordinator (seconds: capture and explain)",
                province.bench_explain,
                (PROVINCE,),
                last=True,
            )
        )
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
        if not args.province_only:
            ctx = Context(persons=args.persons, seed=args.seed)
            for repeat in range(1, args.repeat + 1):
                run_scenario(ctx, repeat)
            summaries[DISTRICT] = ctx.summary
            province.snapshot()  # the district's evaluations are not the city's
        if args.city_persons > 0 and not args.province_only:
            city = Context(
                persons=args.city_persons,
                seed=args.seed,
                districts=args.city_districts,
                scenario=CITY,
            )
            for repeat in range(1, args.city_repeat + 1):
                run_scenario(city, repeat)
            summaries[CITY] = city.summary
        if args.province_persons > 0:
            outcome = run_province(args, summaries)
        loads.append(_load())
        use_database(TEMPLATE_DB)
        if not args.province_only:
            text = report(args, info, summaries, loads)
            args.output.write_text(text, encoding="utf-8")
            print(f"\nwrote {args.output}\n\n{text}")
        if args.province_persons > 0:
            reference = PROVINCE_PG if PROVINCE_PG in summaries else CITY
            section = province_report(args, info, summaries, reference, outcome)
            province.write_section(args.output, section)
            print(f"\nwrote the province section of {args.output}\n\n{section}")
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
