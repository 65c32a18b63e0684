"""Monitoring benchmarks (issue 15), in the district and the city scenario.

- ``monitoring_rollups``: the monthly roll-ups of every unit built from scratch (what a rebuild of
  the aggregates does after them; the incremental upkeep makes it unnecessary otherwise);
- ``monitoring_upkeep``: status changes through the registry's service in different
  communities, each keeping the aggregates and the roll-ups in its transaction: the median
  write, and the median of the roll-ups' share of it;
- ``monitoring_warnings``: the daily warnings run as of ``ON`` with every community of the first
  district certified under HD-2012 the year before (so the drift rule evaluates them), per rule,
  then the same run again (it stores nothing: once per rule version, unit and period);
- the dashboards' panels are timed by ``bench_dashboard.py``.

Writes run inside a transaction that is rolled back: the data stay as seeded.
Plug-in of ``bench/run.py`` (``register(benchmark)``).
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

ON = date(2026, 12, 3)


@dataclass
class Result:
    seconds: float
    cpu_seconds: float
    note: str = ""
    details: str = ""


class _Rollback(Exception):
    pass


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _rolled_back(work: Callable[[], Result]) -> Result:
    from django.db import transaction

    found: list[Result] = []
    try:
        with transaction.atomic():
            found.append(work())
            raise _Rollback
    except _Rollback:
        pass
    return found[0]


def _first_district() -> Any:
    from jiuye.units.models import Unit

    district = Unit.objects.filter(level="district").order_by("code").first()
    assert district is not None, "seed the data first"
    return district


def bench_rollups(ctx: Any = None) -> Result:
    def work() -> Result:
        from jiuye.monitoring import rollups

        cpu = _cpu()
        seconds, summary = _timed(lambda: rollups.rollups_build(through=ON))
        return Result(
            seconds,
            _cpu() - cpu,
            f"{summary.units:,} units × {summary.rows // max(summary.units, 1)} months "
            f"({summary.first_month:%Y-%m}..{summary.last_month:%Y-%m}) = {summary.rows:,} rows",
        )

    return _rolled_back(work)


def bench_upkeep(ctx: Any = None) -> Result:
    def work() -> Result:
        from jiuye.monitoring import rollups
        from jiuye.registry import services
        from jiuye.registry.models import Person

        spent: list[float] = []
        original = rollups.community_refresh

        def timed_refresh(*args: Any, **kwargs: Any) -> None:
            took, _ = _timed(lambda: original(*args, **kwargs))
            spent.append(took)

        rollups.community_refresh = timed_refresh  # type: ignore[assignment]
        try:
            persons = list(
                Person.objects.filter(current_status="unit")
                .order_by("community_id", "pk")
                .distinct("community_id")[:20]
            )
            cpu = _cpu()
            writes, shares = [], []
            for person in persons:
                spent.clear()
                took, _ = _timed(
                    lambda person=person: services.person_change_status(
                        actor=None,
                        person=person,
                        status="unemployed",
                        since=date(ON.year, ON.month, 1),
                        registered=True,
                    )
                )
                writes.append(took)
                shares.append(sum(spent))
        finally:
            rollups.community_refresh = original  # type: ignore[assignment]
        write, share = statistics.median(writes), statistics.median(shares)
        return Result(
            write,
            (_cpu() - cpu) / max(len(writes), 1),
            f"median of {len(writes)} status changes (each in another community): "
            f"{write * 1000:.0f} ms a write, of which {share * 1000:.0f} ms keep the roll-ups",
        )

    return _rolled_back(work)


def _certify_first_district() -> int:
    from jiuye.standards import services as std
    from jiuye.standards.rulesets import ruleset_get

    district = _first_district()
    hd = ruleset_get("HD-2012")
    from jiuye.units.models import Unit

    communities = Unit.objects.filter(
        level__in=["community", "village"], path__startswith=district.path
    )
    count = 0
    for unit in communities:
        std.certification_create(
            actor=None,
            unit=unit,
            ruleset=hd,
            level="community",
            year=ON.year - 1,
            certified_on=date(ON.year - 1, 6, 30),
        )
        count += 1
    return count


def bench_warnings(ctx: Any = None) -> Result:
    def work() -> Result:
        from jiuye.monitoring import services

        certified = _certify_first_district()
        cpu = _cpu()
        seconds, first = _timed(lambda: services.warnings_run(actor=None, on=ON))
        again, second = _timed(lambda: services.warnings_run(actor=None, on=ON))
        rows = [
            "| rule | found | fired | first run | again |",
            "|---|---:|---:|---:|---:|",
        ]
        for a, b in zip(first.rules, second.rules, strict=True):
            found = "waiting for its data" if a.waiting else f"{a.found:,}"
            rows.append(
                f"| {a.rule} | {found} | {a.fired:,} | {a.seconds:.2f} s | {b.seconds:.2f} s |"
            )
        return Result(
            seconds,
            _cpu() - cpu,
            f"{first.fired:,} warnings fired ({certified} communities certified for the drift "
            f"rule); the same run again {again:.2f} s, {second.fired} fired",
            "\n".join(rows),
        )

    return _rolled_back(work)


BENCHMARKS: list[tuple[str, str, Callable[[Any], Result], dict[str, Any]]] = [
    (
        "monitoring_rollups",
        "monitoring: the monthly roll-ups of every unit built from scratch",
        bench_rollups,
        {"city": True},
    ),
    (
        "monitoring_upkeep",
        "monitoring: a status change keeping the aggregates and the roll-ups (median)",
        bench_upkeep,
        {"city": True},
    ),
    (
        "monitoring_warnings",
        "monitoring: the daily early-warnings run (every rule, every unit)",
        bench_warnings,
        {"city": True},
    ),
]


def register(benchmark: Callable[..., Callable[[Any], Any]]) -> None:
    for name, title, fn, options in BENCHMARKS:
        benchmark(name, title, last=True, **options)(fn)
