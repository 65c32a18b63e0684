"""Ledger workbook benchmarks: export the seeded district as a workbook (xlsx and CSV), import it
into an empty PostgreSQL database with every check on, the raw COPY rate of the same rows as a
ratio, a 100k-person workbook into SQLite, and the export of a 100k-person unit's ten ledgers.

Wiring: ``bench/run.py`` imports every ``bench/bench_*.py`` and calls ``register(benchmark)``;
the functions below then run after ``seed``, on its database, in this order:

- ``ledger_export``: the whole district, full numbers, as .xlsx and as CSV files (the input of
  the import benchmarks; both times and the file sizes in the note);
- ``ledger_import_xlsx`` / ``ledger_import_csv``: into a database cloned from the empty
  migrated template, all checks on, one transaction (target: 1M persons ≤ 60 s);
- ``ledger_raw_copy``: the same CSV rows COPYed as text into bare tables, no checks: the note
  gives our CSV import time ÷ this (the price of reading, checking and deriving);
- ``ledger_import_sqlite``: a 100k-person district (seeded apart, exported) into a fresh SQLite
  file, in a subprocess (target ≤ 20 s);
- ``ledger_export_100k``: that 100k-person district's ten ledgers, masked (target ≤ 30 s).

Standalone, against a PostgreSQL server whose ``jiuye`` database is migrated and empty:
``DATABASE_URL=postgres://jiuye@127.0.0.1:PORT/jiuye python bench/bench_ledger.py
--persons 100000`` (it seeds a clone first).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work" / "ledger"
ON = date(2026, 11, 22)  # the seed's default "today"
DISTRICT = "110108"
SQLITE_PERSONS = 100_000
SCRATCH_DB = "jiuye_bench_ledger"
SMALL_DB = "jiuye_bench_ledger_100k"
DATA_SHEETS = ("单位", "户", "人员", "就业状态", "困难认定", "服务记录")


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


def _mb(path: Path) -> str:
    size = sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size
    return f"{size / 2**20:.0f} MB"


# ---- databases ------------------------------------------------------------------------------


def _server() -> tuple[str, int, str, str]:
    """(host, port, user, template database) of the DATABASE_URL in use."""
    url = urlparse(os.environ["DATABASE_URL"])
    return (
        url.hostname or "127.0.0.1",
        url.port or 5432,
        url.username or "jiuye",
        (url.path.lstrip("/") or "jiuye"),
    )


def _admin(sql: str) -> None:
    import psycopg

    host, port, user, _template = _server()
    with psycopg.connect(
        host=host, port=port, user=user, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(sql)


@contextlib.contextmanager
def database(name: str, *, keep: bool = False) -> Iterator[None]:
    """Django switched to a database cloned from the empty migrated template, then back."""
    from django.db import connections

    _host, _port, _user, template = _server()
    settings = connections["default"].settings_dict
    previous = settings["NAME"]
    connections.close_all()
    _admin(f"DROP DATABASE IF EXISTS {name}")
    _admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    settings["NAME"] = name
    try:
        yield
    finally:
        connections.close_all()
        settings["NAME"] = previous
        if not keep:
            _admin(f"DROP DATABASE IF EXISTS {name}")


# ---- the steps ------------------------------------------------------------------------------


def export_district(target: Path, fmt: str, *, reveal: bool = True) -> Any:
    from jiuye.ledger.export import export_ledgers
    from jiuye.units.models import Unit

    unit = Unit.objects.get(code=DISTRICT)
    if fmt == "csv":
        shutil.rmtree(target, ignore_errors=True)
    return export_ledgers(
        actor=None,
        unit=unit,
        target=target,
        on=ON,
        fmt=fmt,
        reveal=reveal,
        reason="基准测试：导出后再导入" if reveal else "",
    )


def import_files(files: list[Path]) -> Any:
    from jiuye.ledger.services import ledger_import

    result = ledger_import(actor=None, files=[(p, p.name) for p in files], today=ON)
    if not result.written:
        raise RuntimeError(f"import failed: {[i.message_en for i in result.issues[:3]]}")
    return result


def csv_files(directory: Path) -> list[Path]:
    return [
        directory / f"{name}.csv" for name in DATA_SHEETS if (directory / f"{name}.csv").exists()
    ]


def raw_copy(files: list[Path]) -> int:
    """COPY the CSV files as they are into bare text tables (no types, no keys, no checks):
    what PostgreSQL alone needs for the same rows. Returns the rows copied."""
    from django.db import connection, transaction

    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for index, path in enumerate(files):
            with path.open(encoding="utf-8-sig") as handle:
                header = handle.readline().rstrip("\n").split(",")
            columns = ", ".join(f"c{i} text" for i in range(len(header)))
            cursor.execute(f"CREATE TEMP TABLE raw_{index} ({columns}) ON COMMIT DROP")
            with (
                path.open("rb") as handle,
                cursor.cursor.copy(
                    f"COPY raw_{index} FROM STDIN (FORMAT csv, HEADER true)"
                ) as copy,
            ):
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
            cursor.execute(f"SELECT count(*) FROM raw_{index}")
            rows += cursor.fetchone()[0]
    return rows


def sqlite_import(workbook: Path) -> float:
    """Import ``workbook`` into a fresh SQLite database in a subprocess; the import's seconds."""
    directory = Path(tempfile.mkdtemp(prefix="ledger-sqlite-", dir=WORK))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{directory / 'bench.sqlite3'}",
        "JIUYE_VAR_DIR": str(directory),
    }
    jiuye = str(Path(sys.executable).with_name("jiuye"))
    try:
        subprocess.run([jiuye, "migrate", "-v0"], env=env, check=True)
        code = (
            "import json, os, time, django\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'jiuye.settings')\n"
            "django.setup()\n"
            "from pathlib import Path\n"
            "from jiuye.ledger.services import ledger_import\n"
            f"p = Path({str(workbook)!r})\n"
            "t = time.perf_counter()\n"
            "r = ledger_import(actor=None, files=[(p, p.name)])\n"
            "print(json.dumps({'seconds': time.perf_counter() - t, 'written': r.written,"
            " 'persons': r.counts['persons'].inserted}))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
        )
        found = json.loads(out.stdout.strip().splitlines()[-1])
        if not found["written"]:
            raise RuntimeError("SQLite import wrote nothing")
        return float(found["seconds"])
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# ---- the benchmarks (run.py's Context in, Result out) ----------------------------------------

_STATE: dict[str, Any] = {}


def bench_export(ctx: Any) -> Result:
    WORK.mkdir(parents=True, exist_ok=True)
    xlsx, csv_dir = WORK / "district.xlsx", WORK / "district_csv"
    summary, wall, cpu = _timed(lambda: export_district(xlsx, "xlsx"))
    _, csv_wall, _ = _timed(lambda: export_district(csv_dir, "csv"))
    _STATE.update(xlsx=xlsx, csv=csv_dir, persons=summary.persons)
    return Result(
        wall,
        cpu,
        f"{summary.persons:,} persons; xlsx {_mb(xlsx)}; CSV {csv_wall:.1f} s, {_mb(csv_dir)}",
    )


def bench_import_xlsx(ctx: Any) -> Result:
    with database(SCRATCH_DB):
        result, wall, cpu = _timed(lambda: import_files([_STATE["xlsx"]]))
    _STATE["xlsx_seconds"] = wall
    return Result(wall, cpu, f"{result.inserted:,} rows, {result.inserted / wall:,.0f} rows/s")


def bench_import_csv(ctx: Any) -> Result:
    with database(SCRATCH_DB):
        result, wall, cpu = _timed(lambda: import_files(csv_files(_STATE["csv"])))
    _STATE["csv_seconds"] = wall
    _STATE["rows"] = result.inserted
    return Result(wall, cpu, f"{result.inserted:,} rows, {result.inserted / wall:,.0f} rows/s")


def bench_raw_copy(ctx: Any) -> Result:
    with database(SCRATCH_DB):
        rows, wall, cpu = _timed(lambda: raw_copy(csv_files(_STATE["csv"])))
    ours = _STATE.get("csv_seconds")
    ratio = f"; our CSV import takes {ours / wall:.1f}× this" if ours else ""
    return Result(wall, cpu, f"{rows:,} rows, {rows / wall:,.0f} rows/s raw{ratio}")


def _small_workbook() -> Path:
    """A 100k-person district, seeded apart and exported (masked and revealed)."""
    if "small" in _STATE:
        return _STATE["small"]
    from jiuye.demo.generator import SeedConfig
    from jiuye.demo.loader import seed

    target = WORK / "district_100k.xlsx"
    with database(SMALL_DB, keep=True):
        seed(SeedConfig(persons=SQLITE_PERSONS, seed=7))
        export_district(target, "xlsx")
    _STATE["small"] = target
    return target


def bench_import_sqlite(ctx: Any) -> Result:
    workbook = _small_workbook()
    seconds = sqlite_import(workbook)
    return Result(seconds, 0.0, f"{SQLITE_PERSONS:,} persons into SQLite (subprocess)")


def bench_export_100k(ctx: Any) -> Result:
    _small_workbook()
    from django.db import connections

    settings = connections["default"].settings_dict
    previous = settings["NAME"]
    connections.close_all()
    settings["NAME"] = SMALL_DB
    try:
        summary, wall, cpu = _timed(
            lambda: export_district(WORK / "ledgers_100k.xlsx", "xlsx", reveal=False)
        )
    finally:
        connections.close_all()
        settings["NAME"] = previous
        _admin(f"DROP DATABASE IF EXISTS {SMALL_DB}")
        _STATE.pop("small", None)
    rows = sum(v for k, v in summary.rows.items() if k.endswith("台账"))
    return Result(wall, cpu, f"{summary.persons:,} persons, {rows:,} ledger rows (masked)")


BENCHMARKS: list[tuple[str, str, Callable[[Any], Result]]] = [
    (
        "ledger_export",
        "ledger: export the district workbook (xlsx, then CSV), full numbers",
        bench_export,
    ),
    (
        "ledger_import_xlsx",
        "ledger: import the xlsx workbook into an empty database, all checks",
        bench_import_xlsx,
    ),
    (
        "ledger_import_csv",
        "ledger: import the CSV files into an empty database, all checks",
        bench_import_csv,
    ),
    (
        "ledger_raw_copy",
        "ledger: raw COPY of the same CSV rows (no checks), for the ratio",
        bench_raw_copy,
    ),
    (
        "ledger_import_sqlite",
        "ledger: import a 100k-person workbook into SQLite",
        bench_import_sqlite,
    ),
    (
        "ledger_export_100k",
        "ledger: export a 100k-person unit's ten ledgers (masked)",
        bench_export_100k,
    ),
]


def register(benchmark: Callable[[str, str], Callable[[Any], Any]]) -> None:
    for name, title, fn in BENCHMARKS:
        benchmark(name, title)(fn)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuye.settings")
    import django

    django.setup()
    from jiuye.demo.generator import SeedConfig
    from jiuye.demo.loader import seed

    class Ctx:
        persons = args.persons

    wanted = set(filter(None, args.only.split(",")))
    with database("jiuye_bench_ledger_source"):
        seed(SeedConfig(persons=args.persons, seed=1))
        for name, _title, fn in BENCHMARKS:
            if wanted and name not in wanted:
                continue
            result = fn(Ctx())
            print(
                f"{name:22} {result.seconds:8.2f} s  (CPU {result.cpu_seconds:6.2f} s)  "
                f"{result.note}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
