"""Casework benchmark: the worklist page of the largest community, as its worker sees it.

The issue's target is "worklist for a 3,000-person community renders in ≤ 200 ms p95 on
PostgreSQL with 1M persons in the database". This renders ``/work/`` through Django's test
client (the full view: scope, deadline rules, template) for a worker of the largest community
of the seeded district, ``REQUESTS`` times after one warm-up, and reports the p95 (the
Measurement's seconds) with the median and the community's size in the note.

Plug-in of ``bench/run.py`` (``register(benchmark)``).
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

REQUESTS = 40


@dataclass
class Result:
    seconds: float
    cpu_seconds: float
    note: str = ""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_worklist(ctx: Any = None) -> Result:
    from django.db.models import Count
    from django.test import Client

    from jiuye.accounts.models import Membership, User
    from jiuye.registry.models import Person
    from jiuye.units.models import Unit

    biggest = Person.objects.values("community_id").annotate(n=Count("id")).order_by("-n").first()
    assert biggest is not None, "seed the district first"
    community = Unit.objects.get(pk=biggest["community_id"])
    user = User.objects.filter(username="bench_worker").first() or User.objects.create_user(
        username="bench_worker", password="Bench-Worker-2026!", role="worker"
    )  # create_user stamps password_changed_at, so the password-age policy lets it in
    Membership.objects.get_or_create(user=user, unit=community)
    client = Client()
    client.force_login(user)
    warm = client.get("/work/")  # warm-up, and a check that it renders
    assert warm.status_code == 200, f"/work/ answered {warm.status_code}"
    times: list[float] = []
    cpu = _cpu()
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get("/work/")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    cpu = _cpu() - cpu
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    return Result(
        p95,
        cpu / REQUESTS,
        f"p95 of {REQUESTS} requests (median {statistics.median(times) * 1000:.0f} ms) for "
        f"{community.name} ({biggest['n']:,} persons); target ≤ 200 ms p95",
    )


BENCHMARKS: list[tuple[str, str, Callable[[Any], Result]]] = [
    (
        "casework_worklist",
        "casework: the worklist page /work/ of the largest community, p95 (seconds)",
        bench_worklist,
    ),
]


def register(benchmark: Callable[[str, str], Callable[[Any], Any]]) -> None:
    for name, title, fn in BENCHMARKS:
        benchmark(name, title)(fn)
