"""Policy eligibility benchmark (issue 17, DOMAIN §9), in the district scenario, at the seed's
today: for every shipped policy, who in the district is eligible (``policies.eligibility``,
as the system): ``EligibleSet.count()``, ``total()`` and the first page (50 rows, with their
reasons in words and where each stands), every person and employer of the district judged by
the policies' conditions in SQL. The measurement is the time for all the policies (target
≤ 10 s at 1M persons); the details give each policy's time and count.

Plug-in of ``bench/run.py`` (``register(benchmark)``; ``--only policies``).
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

ON = date(2026, 11, 22)  # the seed's default today
PAGE = 50


@dataclass
class Result:
    seconds: float
    cpu_seconds: float
    note: str = ""
    details: str = ""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_policies(ctx: Any = None) -> Result:
    from jiuye.policies.catalog import policies
    from jiuye.policies.eligibility import eligible
    from jiuye.units.models import Unit
    from jiuye.units.scope import SYSTEM

    district = Unit.objects.filter(level="district").order_by("code").first()
    assert district is not None, "seed the data first"
    lines = ["| policy | beneficiary | eligible | total (yuan) | first page | seconds |"]
    lines.append("|---|---|---:|---:|---:|---:|")
    cpu, start = _cpu(), time.perf_counter()
    counted = 0
    for policy in policies().values():
        began = time.perf_counter()
        found = eligible(user=SYSTEM, policy=policy, on=ON, unit=district)
        count = found.count()
        total = found.total()
        page = found.page(0, PAGE)
        took = time.perf_counter() - began
        counted += count
        lines.append(
            f"| {policy.id} | {policy.beneficiary} | {count} | "
            f"{'—' if total is None else total} | {len(page)} | {took:.2f} |"
        )
    seconds = time.perf_counter() - start
    note = f"{len(policies())} policies, {counted} eligible in all"
    return Result(seconds, _cpu() - cpu, note, "\n".join(lines))


def register(benchmark: Any) -> None:
    benchmark(
        "policies",
        "policies: who is eligible for every shipped policy in the district (count, total, "
        "first page)",
        target="≤ 10 s",
    )(bench_policies)
