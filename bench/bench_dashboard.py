"""Monitoring dashboard benchmarks (issue 15): each panel of a unit's dashboard timed alone, as
the browser asks for it (the page shell loads at once, then each panel is its own HTMX
request), through Django's test client in this process: the view, its queries, the template.

- ``monitoring_panels`` (district and city): for a district's administrator, the district's
  page shell, its four panels (standing with forecast, trend, services, ranking of the
  streets) and their workbooks, the big screen; for the largest street and the largest
  community of that district (the street's reviewer, the community's worker) the same
  panels; a community's ranking is its grids counted live. Median of ``RUNS`` runs after one
  warm-up each; the measurement is the slowest panel's median (target: every panel ≤ 300 ms
  at 10M persons), the details table has them all.

- ``monitoring_new_month`` (district and city): the same panels on the first days of a month,
  before the daily job has stored it (``rollups_extend``): the roll-ups built through last
  month, so this month is computed from the sources for the unit (the trend) or for all the
  children at once (the ranking).

The monthly roll-ups are read as the pages read them: built with the aggregates (the standards
benchmarks build those; this one builds them first if they are not fresh, untimed). Runs
inside a transaction that is rolled back: the accounts it makes go away.
Plug-in of ``bench/run.py`` (``register(benchmark)``); the roll-ups and warnings are in
``bench_monitoring.py``.
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RUNS = 5
TARGET_MS = 300
PANELS = ("standing", "trend", "services", "ranking")


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


def _median(client: Any, url: str) -> float:
    response = client.get(url)  # warm-up and check
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, url
    return statistics.median(times)


def _largest(units: Any, persons_of: Callable[[Any], int]) -> Any:
    return max(units, key=persons_of)


def _targets() -> list[tuple[str, Any, str]]:
    """(who, unit, role): a district, its largest street and that street's largest community."""
    from django.db.models import Count

    from jiuye.registry.models import Person
    from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit

    district = Unit.objects.filter(level=Level.DISTRICT).order_by("code").first()
    assert district is not None, "seed the district first"
    sizes = dict(
        Person.objects.filter(community__path__startswith=district.path)
        .values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    )
    communities = list(
        Unit.objects.filter(path__startswith=district.path, level__in=COMMUNITY_LEVELS)
    )
    streets = list(Unit.objects.filter(parent=district))

    def street_size(street: Any) -> int:
        return sum(sizes.get(c.pk, 0) for c in communities if c.path.startswith(street.path))

    street = _largest(streets, street_size)
    community = _largest(
        [c for c in communities if c.path.startswith(street.path)],
        lambda c: sizes.get(c.pk, 0),
    )
    return [
        ("district", district, "district"),
        ("street", street, "street"),
        ("community", community, "worker"),
    ]


def _client(unit: Any, role: str) -> Any:
    from django.test import Client

    from jiuye.accounts.models import Membership, User

    user = User.objects.create_user(
        username=f"bench_monitor_{role}_{unit.code}", password="Bench-Monitor-2026!", role=role
    )
    Membership.objects.create(user=user, unit=unit)
    client = Client()
    client.force_login(user)
    return client


def bench_panels(ctx: Any = None) -> Result:
    from django.db import transaction

    from jiuye.lib.bulkload import one_connection_a_node

    _ready()
    found: list[Result] = []
    try:
        with transaction.atomic():
            # On Citus the rolled-back transaction reads the shards, then creates the users (a
            # reference table): allowed over one connection a node (as for a test's
            # transaction, tests/citus_setup.py); no request mixes the two.
            one_connection_a_node()
            found.append(_measure())
            raise _Rollback
    except _Rollback:
        pass
    return found[0]


def bench_new_month(ctx: Any = None) -> Result:
    from django.db import transaction
    from django.utils import timezone

    from jiuye.lib.bulkload import one_connection_a_node
    from jiuye.monitoring import rollups

    _ready()
    found: list[Result] = []
    try:
        with transaction.atomic():
            one_connection_a_node()  # (see bench_panels)
            last = rollups.add_months(rollups.month_of(timezone.localdate()), -1)
            rollups.rollups_build(through=last)
            found.append(_measure(panels=("trend", "services", "ranking"), xlsx=False))
            raise _Rollback
    except _Rollback:
        pass
    return found[0]


def _ready() -> None:
    from jiuye.monitoring import rollups
    from jiuye.standards.aggregates import aggregates_rebuild

    if not rollups.rollups_fresh():
        aggregates_rebuild()  # and with them the roll-ups (untimed: the standards bench times it)


def _measure(panels: tuple[str, ...] = PANELS, *, xlsx: bool = True) -> Result:
    cpu = _cpu()
    rows: list[tuple[str, str, float]] = []
    for who, unit, role in _targets():
        client = _client(unit, role)
        base = f"/monitoring/units/{unit.code}/"
        pages = {"page shell": base} if xlsx else {}
        for name in panels:
            pages[name] = f"{base}panels/{name}/"
            if xlsx:
                pages[f"{name} (xlsx)"] = f"{base}panels/{name}.xlsx"
        if who == "district":
            pages["big screen"] = "/monitoring/screen/"
        for page, url in pages.items():
            rows.append((f"{who} {unit.name}", page, _median(client, url)))
    timed = [(w, p, s) for w, p, s in rows if p in panels]
    slowest = max(timed, key=lambda r: r[2])
    table = ["| unit | page | median (ms) |", "|---|---|---:|"]
    table += [f"| {w} | {p} | {s * 1000:.0f} |" for w, p, s in rows]
    over = [f"{w} {p}" for w, p, s in timed if s * 1000 > TARGET_MS]
    note = (
        f"slowest panel: {slowest[0]} {slowest[1]} {slowest[2] * 1000:.0f} ms; "
        f"{len(timed)} panels, medians of {RUNS}; "
        + (f"over {TARGET_MS} ms: {', '.join(over)}" if over else f"all ≤ {TARGET_MS} ms")
    )
    return Result(slowest[2], (_cpu() - cpu) / (len(rows) * (RUNS + 1)), note, "\n".join(table))


BENCHMARKS: list[tuple[str, str, Callable[[Any], Result], dict[str, Any]]] = [
    (
        "monitoring_panels",
        "monitoring: each dashboard panel alone, district, street and community (slowest median)",
        bench_panels,
        {"city": True, "target": f"each panel ≤ {TARGET_MS} ms at 10M persons"},
    ),
    (
        "monitoring_new_month",
        "monitoring: trend, services and ranking before the new month is stored (slowest median)",
        bench_new_month,
        {"city": True, "target": f"each panel ≤ {TARGET_MS} ms at 10M persons"},
    ),
]


def register(benchmark: Callable[..., Callable[[Any], Any]]) -> None:
    for name, title, fn, options in BENCHMARKS:
        benchmark(name, title, last=True, **options)(fn)
