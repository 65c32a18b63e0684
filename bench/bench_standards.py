"""Standards benchmarks: evaluate every unit of the seeded district (or of every district of the
seeded city) against HD-2012, from the incremental aggregates and from scratch, and the same
core indicators computed by DuckDB on a copy of the same rows, as a ratio.

Wiring (``bench/run.py``)::

    import bench_standards
    bench_standards.register(benchmark)   # after the seed benchmark is registered

Each function takes run.py's ``Context`` and returns an object with ``seconds``,
``cpu_seconds`` and ``note`` (run.py's ``Measurement`` has the same fields). They run after
``seed`` in this order: ``standards_aggregates`` (build the aggregates the seed bypassed),
``standards_hd2012`` (every unit, all HD-2012 indicators, from the aggregates),
``standards_hd2012_direct`` (the same from scratch: the plain aggregate scan),
``standards_all_indicators`` (every indicator of DOMAIN §5 for every unit),
``standards_duckdb`` (DuckDB on the same data; the note gives our time / DuckDB's). All but
``standards_all_indicators`` also run in run.py's city scenario (``city=True``); the HD-2012
evaluations then cover every district, one ``evaluate_units`` per district root, timed
together.

Standalone on an already seeded database: ``DATABASE_URL=... python bench/bench_standards.py
[--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ON = date(2026, 11, 22)  # the seed's default "today", as in run.py


@dataclass
class Result:
    seconds: float
    cpu_seconds: float
    note: str = ""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    value = fn()
    return value, time.perf_counter() - wall, _cpu() - cpu


# The last "ours" time, for the DuckDB ratio.
_LAST: dict[str, float] = {}
# The last evaluation of each (rule set, source): the province scenario compares Citus's with
# one server's (bench/province.py).
OUTPUTS: dict[tuple[str, str], list[Any]] = {}


def _districts() -> list[Any]:
    """Every district root (one for a district, several for a city), in code order."""
    from jiuye.units.models import Level, Unit

    return list(Unit.objects.filter(level=Level.DISTRICT, parent=None).order_by("code"))


def bench_aggregates(ctx: Any = None) -> Result:
    from jiuye.standards.aggregates import aggregates_rebuild

    summary, wall, cpu = _timed(aggregates_rebuild)
    return Result(
        wall,
        cpu,
        f"{summary.households:,} households → {summary.household_rows:,} household rows, "
        f"{summary.community_rows:,} community rows, {summary.survey_rows:,} survey facts",
    )


def bench_deadline_store(ctx: Any = None) -> Result:
    """Store every deadline item at ``ON`` (casework.deadlines.store: what the task worker does
    once a day); the CQ-2007 and QG-2016 evaluations below then read it, as an evaluation at
    today does."""
    from jiuye.casework.deadlines import store

    total, wall, cpu = _timed(lambda: store.store_build(on=ON))
    return Result(wall, cpu, f"{total:,} items of every rule, every community")


def _evaluate(source: str, ruleset: str = "HD-2012") -> tuple[Any, float, float]:
    """Every unit, as ``jiuye evaluate --all`` does it (on two connections): the district's
    ``evaluate_units``; a city's districts in one pass (``root=None``, the command without a
    unit), which reads the rare rows (unemployed events, registrations) once instead of once
    per district."""
    from jiuye.standards.evaluation import evaluate_units
    from jiuye.standards.rulesets import ruleset_get

    roots = _districts()
    root = roots[0] if len(roots) == 1 else None
    rules = ruleset_get(ruleset)
    timed = _timed(
        lambda: evaluate_units(root=root, ruleset=rules, on=ON, source=source, parallel=True)
    )
    OUTPUTS[(ruleset, source)] = timed[0]
    return timed


def _summary(results: list[Any]) -> str:
    by_level: dict[str, list[Any]] = {}
    for r in results:
        by_level.setdefault(r.level.key, []).append(r)
    parts = []
    for key, rows in by_level.items():
        passed = sum(1 for r in rows if r.criteria_passed)
        parts.append(f"{key} {passed}/{len(rows)} pass")
    return f"{len(results)} units: " + ", ".join(parts)


def bench_hd2012(ctx: Any = None) -> Result:
    results, wall, cpu = _evaluate("aggregates")
    _LAST["ours"] = wall
    return Result(wall, cpu, "from the aggregates; " + _summary(results))


def bench_cq2007(ctx: Any = None) -> Result:
    results, wall, cpu = _evaluate("auto", "CQ-2007")
    return Result(wall, cpu, _summary(results))


def bench_qg2016(ctx: Any = None) -> Result:
    results, wall, cpu = _evaluate("auto", "QG-2016")
    return Result(wall, cpu, _summary(results))


def bench_hd2012_direct(ctx: Any = None) -> Result:
    results, wall, cpu = _evaluate("direct")
    return Result(wall, cpu, "from scratch (direct SQL); " + _summary(results))


def bench_all_indicators(ctx: Any = None) -> Result:
    from jiuye.standards.indicators import INDICATORS, fact_sheet

    root = _districts()[0]

    def run() -> int:
        sheet = fact_sheet(root=root, on=ON, ruleset="HD-2012", indicators=list(INDICATORS))
        units = [u for u in sheet.units.values()]
        for unit in units:
            sheet.facts_for(unit)
        return len(units)

    count, wall, cpu = _timed(run)
    return Result(
        wall,
        cpu,
        f"{len(INDICATORS)} indicators × {count} units (aggregates, set-based SQL, casework rules)",
    )


# ---- DuckDB --------------------------------------------------------------------------------

_EXPORTS = {
    "persons": "SELECT id, household_id, work_from, retire_on, able, willing, hukou_type "
    "FROM registry_person",
    "households": "SELECT id, community_id, hukou_type, dibao FROM registry_household",
    "events": "SELECT person_id, status, since, until, registered FROM registry_statusevent",
    "recognitions": "SELECT person_id, recognized_on, ended_on FROM registry_difficultyrecognition",
    "services": 'SELECT person_id, kind, "on", outcome, training_mode, valid '
    "FROM casework_servicerecord WHERE kind IN ('survey', 'training')",
}

_COLUMNS = {
    "persons": {
        "id": "BIGINT",
        "household_id": "BIGINT",
        "work_from": "DATE",
        "retire_on": "DATE",
        "able": "BOOLEAN",
        "willing": "BOOLEAN",
        "hukou_type": "VARCHAR",
    },
    "households": {
        "id": "BIGINT",
        "community_id": "BIGINT",
        "hukou_type": "VARCHAR",
        "dibao": "BOOLEAN",
    },
    "events": {
        "person_id": "BIGINT",
        "status": "VARCHAR",
        "since": "DATE",
        "until": "DATE",
        "registered": "BOOLEAN",
    },
    "recognitions": {"person_id": "BIGINT", "recognized_on": "DATE", "ended_on": "DATE"},
    "services": {
        "person_id": "BIGINT",
        "kind": "VARCHAR",
        "on": "DATE",
        "outcome": "VARCHAR",
        "training_mode": "VARCHAR",
        "valid": "BOOLEAN",
    },
}

# The same core indicators under DOMAIN's readings of 2026-12: a person with no status in force
# counts nowhere; urban hukou is 城镇 or 农转非 (the person's); zero families are households with
# a labor-force member and none employed at the date (ours read the zero-family cases, the one
# set of episodes: the same households when casework keeps them in line); satisfaction counts
# the surveys of persons unemployed on some day of the period up to the survey (HD-C3).
_DUCK_SQL = """
WITH ev AS (
    SELECT person_id, status, registered FROM events
    WHERE since <= $on AND (until IS NULL OR until > $on)
),
diff AS (
    SELECT DISTINCT person_id FROM recognitions
    WHERE recognized_on <= $on AND (ended_on IS NULL OR ended_on > $on)
),
cand AS (
    SELECT p.household_id, h.community_id, p.hukou_type IN ('urban', 'converted') AS urban,
           e.status, coalesce(e.registered, false) AS reg,
           d.person_id IS NOT NULL AS difficult,
           coalesce(e.status NOT IN ('student', 'retired', 'out'), false) AS lf,
           coalesce(e.status IN ('unit', 'flexible', 'self', 'transfer', 'public_post',
                                 'farming'), false) AS emp
    FROM persons p
    JOIN households h ON h.id = p.household_id
    LEFT JOIN ev e ON e.person_id = p.id
    LEFT JOIN diff d ON d.person_id = p.id
    WHERE p.work_from <= $on AND p.retire_on > $on AND p.able AND p.willing
),
hh AS (
    SELECT household_id, community_id,
           sum(lf::int) AS lf, sum((lf AND emp)::int) AS emp,
           sum((lf AND status = 'farming')::int) AS farm,
           sum((lf AND difficult)::int) AS diff, sum((lf AND difficult AND emp)::int) AS diff_emp,
           sum((lf AND urban AND emp)::int) AS urban_emp,
           sum((lf AND urban AND status = 'unemployed' AND reg)::int) AS urban_reg
    FROM cand GROUP BY household_id, community_id
),
status AS (
    SELECT community_id, sum(lf) AS lf, sum(emp) AS emp, sum(diff) AS diff,
           sum(diff_emp) AS diff_emp, sum(urban_emp) AS urban_emp, sum(urban_reg) AS urban_reg,
           sum((lf > 0 AND emp = 0)::int) AS zero, sum((emp > 0 AND emp = farm)::int) AS pure
    FROM hh GROUP BY community_id
),
surveyed AS (
    SELECT s.person_id, s.outcome FROM services s
    WHERE s.kind = 'survey' AND s."on" >= $start AND s."on" <= $on
      AND EXISTS (
          SELECT 1 FROM events e
          WHERE e.person_id = s.person_id AND e.status = 'unemployed' AND e.since <= s."on"
            AND (e.until IS NULL OR e.until > $start)
      )
),
surveys AS (
    SELECT p.community_id, count(*) AS surveys,
           sum((s.outcome IN ('very_satisfied', 'satisfied'))::int) AS sat
    FROM surveyed s JOIN persons_c p ON p.id = s.person_id
    GROUP BY p.community_id
),
trainings AS (
    SELECT p.community_id,
           count(*) AS trainings,
           sum((s.training_mode IN ('post', 'order', 'directed'))::int) AS three
    FROM services s JOIN persons_c p ON p.id = s.person_id
    WHERE s.kind = 'training' AND s."on" >= $start AND s."on" <= $on
    GROUP BY p.community_id
)
SELECT s.*, coalesce(v.surveys, 0), coalesce(v.sat, 0), coalesce(t.trainings, 0),
       coalesce(t.three, 0)
FROM status s
LEFT JOIN surveys v ON v.community_id = s.community_id
LEFT JOIN trainings t ON t.community_id = s.community_id
"""


_COMPARED = (
    "labor_force",
    "employed",
    "difficult",
    "difficult_employed",
    "urban_employed",
    "urban_registered",
    "zero_families",
    "pure_farming",
    "surveys",
    "satisfied",
    "trainings",
    "trainings_three_modes",
)


def _export(directory: Path) -> dict[str, Path]:
    """Copy the rows the indicators read out of PostgreSQL as CSV (not timed)."""
    from django.db import connection

    paths = {}
    with connection.cursor() as cursor:
        for name, sql in _EXPORTS.items():
            path = directory / f"{name}.csv"
            with (
                path.open("wb") as out,
                cursor.cursor.copy(
                    f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)"
                ) as copy,
            ):
                for chunk in copy:
                    out.write(chunk)
            paths[name] = path
    return paths


def bench_duckdb(ctx: Any = None) -> Result:
    try:
        import duckdb
    except ImportError:  # the dev extra is not installed
        return Result(0.0, 0.0, "duckdb not installed (pip install -e '.[dev]')")
    from django.db.models import Count

    from jiuye.casework.models import ZeroFamilyCase
    from jiuye.standards.aggregates import community_vectors, service_counts, survey_counts

    with tempfile.TemporaryDirectory(prefix="jiuye-duck-") as tmp:
        paths = _export(Path(tmp))
        db = duckdb.connect()
        db.execute(f"SET threads = {os.cpu_count() or 1}")
        for name, path in paths.items():
            columns = ", ".join(f"'{c}': '{t}'" for c, t in _COLUMNS[name].items())
            db.execute(
                f"CREATE TABLE {name} AS SELECT * FROM "
                f"read_csv('{path}', header = true, columns = {{{columns}}})"
            )
        db.execute(
            "CREATE TABLE persons_c AS SELECT p.id, h.community_id FROM persons p "
            "JOIN households h ON h.id = p.household_id"
        )
        params = {"on": ON, "start": date(ON.year, 1, 1)}
        db.execute(_DUCK_SQL, params).fetchall()  # warm
        runs = []
        for _ in range(3):
            rows, wall, cpu = _timed(lambda: db.execute(_DUCK_SQL, params).fetchall())
            runs.append((wall, cpu))
        duck_wall = statistics.median(w for w, _ in runs)
        duck_cpu = statistics.median(c for _, c in runs)
    # The same numbers as ours?
    start = date(ON.year, 1, 1)
    ours = community_vectors(on=ON)
    services = service_counts(start=start, end=ON)
    counted_surveys = survey_counts(start=start, end=ON)
    zero_cases = dict(
        ZeroFamilyCase.objects.open_on(ON)
        .values("household__community_id")
        .annotate(n=Count("pk"))
        .values_list("household__community_id", "n")
    )
    mismatches = 0
    first = ""
    for row in rows:
        community, lf, emp, diff, diff_emp, urban_emp, urban_reg, zero, pure = row[:9]
        surveys, sat, trainings, three = row[9:]
        v = ours.get(community, {})
        s = services.get(community, {})
        satisfied, counted = counted_surveys.get(community, (0, 0))
        expected = (
            v.get("labor_force", 0),
            v.get("employed", 0),
            v.get("difficult", 0),
            v.get("difficult_employed", 0),
            v.get("urban_employed", 0),
            v.get("urban_registered", 0),
            zero_cases.get(community, 0),
            v.get("pure_farming", 0),
            counted,
            satisfied,
            s.get("trainings", 0),
            s.get("trainings_three_modes", 0),
        )
        got = (
            lf,
            emp,
            diff,
            diff_emp,
            urban_emp,
            urban_reg,
            zero,
            pure,
            surveys,
            sat,
            trainings,
            three,
        )
        found = tuple(int(x or 0) for x in got)
        if found != expected:
            mismatches += 1
            if not first:
                first = ", ".join(
                    f"{name} {o} vs DuckDB {d}"
                    for name, o, d in zip(_COMPARED, expected, found, strict=True)
                    if o != d
                )
                first = f" (community {community}: {first})"
    ours_wall = _LAST.get("ours")
    ratio = f"ours / DuckDB = {ours_wall / duck_wall:.2f}" if ours_wall else "ours not measured"
    check = "same numbers" if not mismatches else f"{mismatches} communities differ{first}"
    return Result(
        duck_wall,
        duck_cpu,
        f"DuckDB {duckdb.__version__}, {len(rows)} communities, core indicators "
        f"(status + surveys + trainings) as one scan; {check}; {ratio}",
    )


# (name, title, function, run.py's options: city scenario too, target, ratio)
BENCHMARKS: list[tuple[str, str, Callable[[Any], Result], dict[str, Any]]] = [
    (
        "standards_aggregates",
        "standards: build the incremental aggregates after the seed",
        bench_aggregates,
        {"city": True},
    ),
    (
        "standards_deadline_store",
        f"casework: store every deadline item at {ON.isoformat()} (once a day, in the background)",
        bench_deadline_store,
        {"city": True},
    ),
    (
        "standards_hd2012",
        f"standards: evaluate every unit against HD-2012 ({ON.isoformat()}), from the aggregates",
        bench_hd2012,
        {"city": True, "target": "≤ 1 s at 1M persons, ≤ 5 s at 10M"},
    ),
    (
        "standards_hd2012_direct",
        "standards: the same from scratch (plain aggregate scan)",
        bench_hd2012_direct,
        {"city": True},
    ),
    (
        "standards_cq2007",
        f"standards: evaluate every unit against CQ-2007 ({ON.isoformat()})",
        bench_cq2007,
        {"city": True, "target": "≤ 1 s at 1M persons, ≤ 5 s at 10M"},
    ),
    (
        "standards_qg2016",
        f"standards: evaluate every unit against QG-2016 ({ON.isoformat()})",
        bench_qg2016,
        {"city": True, "target": "≤ 1 s at 1M persons, ≤ 5 s at 10M"},
    ),
    (
        "standards_all_indicators",
        "standards: every DOMAIN §5 indicator for every unit",
        bench_all_indicators,
        {},
    ),
    (
        "standards_duckdb",
        "standards: DuckDB, the same core indicators on the same rows",
        bench_duckdb,
        {"city": True, "ratio_of": "standards_hd2012"},
    ),
]


def register(benchmark: Callable[..., Callable[[Any], Any]]) -> None:
    """Register the standards benchmarks with run.py's ``@benchmark(name, title, ...)``."""
    for name, title, fn, options in BENCHMARKS:
        benchmark(name, title, **options)(fn)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="standards benchmarks on a seeded database")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-build", action="store_true", help="aggregates already built")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuye.settings")
    import django

    django.setup()
    from jiuye.registry.models import Person

    print(f"persons: {Person.objects.count():,}", flush=True)
    for name, _title, fn, _options in BENCHMARKS:
        if name == "standards_aggregates" and args.skip_build:
            continue
        repeat = 1 if name in ("standards_aggregates", "standards_duckdb") else args.repeat
        runs = [fn(None) for _ in range(repeat)]
        walls = ", ".join(f"{r.seconds:.3f}" for r in runs)
        median = statistics.median(r.seconds for r in runs)
        print(f"{name}: runs {walls} s, median {median:.3f} s; {runs[-1].note}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
