"""Certification benchmarks (issue 14): what its users open and run, on the seeded district.

- ``certification_steps``: a passing community taken through apply, self-assessment, street
  review and acceptance by its users (each step evaluates the community and freezes a snapshot);
- ``certification_pages``: the district's /certification/ (its queue), the application page,
  and the acceptance report PDF, median of 5 each after one warm-up;
- ``certification_board``: the public notice board and its PDF rendered cold (cache cleared);
- ``certification_recheck``: the yearly re-check of every community of the district, all
  certified under CQ-2007 the year before (each re-evaluated; a revoked one keeps a snapshot
  with the persons behind its failures).

Everything runs inside a transaction that is rolled back: the data stay as seeded.
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


class _Rollback(Exception):
    pass


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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


def _actors() -> dict[str, Any]:
    """A passing community of the first street, and a worker, reviewer and district user."""
    from django.test import Client

    from jiuye.accounts.models import Membership, User
    from jiuye.standards.evaluation import evaluate_units
    from jiuye.standards.rulesets import ruleset_get
    from jiuye.units.models import Unit

    district = Unit.objects.filter(level="district").order_by("code").first()
    assert district is not None, "seed the district first"
    street = Unit.objects.filter(parent=district).order_by("code").first()
    assert street is not None
    hd = ruleset_get("HD-2012")
    results = evaluate_units(root=street, ruleset=hd, on=ON, level_key="community")
    community = next((r.unit for r in results if r.criteria_passed), results[0].unit)
    out: dict[str, Any] = {"district": district, "street": street, "community": community}
    for role, unit in (("worker", community), ("street", street), ("district", district)):
        user = User.objects.create_user(
            username=f"bench_cert_{role}", password="Bench-Cert-2026!", role=role
        )
        Membership.objects.create(user=user, unit=unit)
        client = Client()
        client.force_login(user)
        out[role], out[f"{role}_client"] = user, client
    return out


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def bench_steps(ctx: Any = None) -> Result:
    def work() -> Result:
        from jiuye.certification import services as cert
        from jiuye.standards.rulesets import ruleset_get

        a = _actors()
        cpu = _cpu()
        took: dict[str, float] = {}
        took["apply"], app = _timed(
            lambda: cert.certification_apply(
                actor=a["worker"],
                unit=a["community"],
                ruleset=ruleset_get("HD-2012"),
                year=ON.year,
                on=ON,
            )
        )
        took["submit"], _ = _timed(
            lambda: cert.certification_submit(actor=a["worker"], application=app, on=ON)
        )
        took["review"], _ = _timed(
            lambda: cert.certification_review(
                actor=a["street"], application=app, passed=True, on=ON
            )
        )
        took["accept"], _ = _timed(
            lambda: cert.certification_accept(
                actor=a["district"], application=app, passed=True, on=ON
            )
        )
        each = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in took.items())
        return Result(sum(took.values()), _cpu() - cpu, f"{a['community'].name}: {each}")

    return _rolled_back(work)


def _median(client: Any, url: str, runs: int = 5) -> float:
    assert client.get(url).status_code == 200, url  # warm-up and check
    times = []
    for _ in range(runs):
        took, response = _timed(lambda: client.get(url))
        assert response.status_code == 200, url
        times.append(took)
    return statistics.median(times)


def bench_pages(ctx: Any = None) -> Result:
    def work() -> Result:
        from jiuye.certification import services as cert
        from jiuye.standards.rulesets import ruleset_get

        a = _actors()
        app = cert.certification_apply(
            actor=a["worker"],
            unit=a["community"],
            ruleset=ruleset_get("HD-2012"),
            year=ON.year,
            on=ON,
        )
        cert.certification_submit(actor=a["worker"], application=app, on=ON)
        cpu = _cpu()
        pages = {
            "district /certification/": (a["district_client"], "/certification/"),
            "street /certification/": (a["street_client"], "/certification/"),
            "application page": (a["street_client"], f"/certification/applications/{app.pk}/"),
            "report PDF": (a["street_client"], f"/certification/applications/{app.pk}/report.pdf"),
        }
        took = {name: _median(client, url) for name, (client, url) in pages.items()}
        each = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in took.items())
        return Result(max(took.values()), (_cpu() - cpu) / 24, f"medians of 5: {each}")

    return _rolled_back(work)


def bench_board(ctx: Any = None) -> Result:
    from django.core.cache import cache
    from django.test import Client

    from jiuye.units.models import Unit

    community = Unit.objects.filter(level__in=["community", "village"]).order_by("code").first()
    assert community is not None
    client, cpu = Client(), _cpu()
    took: dict[str, list[float]] = {"page": [], "pdf": []}
    for _ in range(5):
        for kind, url in (
            ("page", f"/board/{community.code}/"),
            ("pdf", f"/board/{community.code}.pdf"),
        ):
            cache.clear()  # cold: evaluated and rendered again
            seconds, response = _timed(lambda url=url: client.get(url))
            assert response.status_code == 200, url
            took[kind].append(seconds)
    page, pdf = statistics.median(took["page"]), statistics.median(took["pdf"])
    return Result(
        max(page, pdf),
        (_cpu() - cpu) / 10,
        f"cold medians of 5: page {page * 1000:.0f} ms, PDF {pdf * 1000:.0f} ms "
        "(then cached for 10 minutes)",
    )


def bench_recheck(ctx: Any = None) -> Result:
    def work() -> Result:
        from jiuye.certification import services as cert
        from jiuye.standards import services as std
        from jiuye.standards.rulesets import ruleset_get
        from jiuye.units.models import Unit

        cq = ruleset_get("CQ-2007")
        communities = Unit.objects.filter(level__in=["community", "village"])
        for unit in communities:
            std.certification_create(
                actor=None,
                unit=unit,
                ruleset=cq,
                level="community",
                year=ON.year - 1,
                certified_on=date(ON.year - 1, 12, 31),
            )
        cpu = _cpu()
        seconds, run = _timed(lambda: cert.recheck_run(actor=None, ruleset=cq, on=ON))
        return Result(
            seconds,
            _cpu() - cpu,
            f"{len(run.rechecks)} communities re-checked: {len(run.kept)} kept, "
            f"{len(run.revoked)} revoked (each revoked one with the persons behind it)",
        )

    return _rolled_back(work)


BENCHMARKS: list[tuple[str, str, Callable[[Any], Result]]] = [
    (
        "certification_steps",
        "certification: apply, 自评, 初核, 验收 of a community (seconds, sum)",
        bench_steps,
    ),
    (
        "certification_pages",
        "certification: queue, application page, report PDF (slowest median)",
        bench_pages,
    ),
    (
        "certification_board",
        "certification: public notice board page and PDF, cold (slower median)",
        bench_board,
    ),
    (
        "certification_recheck",
        "certification: yearly re-check of every community (CQ-2007)",
        bench_recheck,
    ),
]


def register(benchmark: Callable[..., Callable[[Any], Any]]) -> None:
    for name, title, fn in BENCHMARKS:
        benchmark(name, title, last=True)(fn)
