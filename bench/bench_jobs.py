"""Matching benchmarks (issue 16, 人岗匹配), in the district scenario, at the seed's today:

- ``jobs_bulk``: the top 10 open postings for every seeker of the district and the top 10
  candidates for every open posting (``jobs.matching.district_matches``: one query for the
  seekers, one for the postings, sparse products and numpy in chunks), from a cold index;
- ``jobs_person``: one person's list (``person_matches``) for 50 seekers spread over the
  district, the index cached as the pages use it (its version query included): the median;
- ``jobs_quality``: against the seekers each posting was planted for by the seed
  (``SeedSummary.planted``): for each posting with planted seekers, precision@5 (planted among
  its top 5 candidates ÷ min(5, planted)) and recall@10 (planted among its top 10 ÷ planted),
  averaged over postings; and per planted seeker, whether the posting is in their own top 10.
  The full model beside a baseline: BM25 over the posting titles alone (the same seekers'
  words, the same district corpus, ranked by that text score only; ties by person id).

Plug-in of ``bench/run.py`` (``register(benchmark)``).
"""

from __future__ import annotations

import resource
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

ON = date(2026, 11, 22)  # the seed's default today: its seekers and open postings
K = 10
_state: dict[str, Any] = {}


@dataclass
class Result:
    seconds: float
    cpu_seconds: float
    note: str = ""
    details: str = ""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _district() -> Any:
    from jiuye.units.models import Unit

    district = Unit.objects.filter(level="district").order_by("code").first()
    assert district is not None, "seed the data first"
    return district


def bench_bulk(ctx: Any = None) -> Result:
    from jiuye.jobs import matching

    matching.clear_cache()
    district = _district()
    cpu, start = _cpu(), time.perf_counter()
    found = matching.district_matches(district, on=ON, k=K)
    seconds = time.perf_counter() - start
    _state["bulk"] = found
    lists = sum(1 for v in found.by_person.values() if v)
    return Result(
        seconds,
        _cpu() - cpu,
        f"{found.seekers:,} seekers × {found.postings:,} open postings; "
        f"{lists:,} persons' and {len(found.by_posting):,} postings' top {K}",
    )


def bench_person(ctx: Any = None) -> Result:
    from jiuye.jobs import matching
    from jiuye.registry.models import Person

    district = _district()
    seekers = matching.read_seekers(matching.seekers_sql(ON, district_path=district.path), ON)
    step = max(1, len(seekers) // 50)
    chosen = [s.id for s in seekers[::step][:50]]
    persons = list(Person.objects.select_related("community").filter(pk__in=chosen))
    matching.person_matches(persons[0], on=ON)  # the index, built once per process
    times = []
    cpu = _cpu()
    for person in persons:
        start = time.perf_counter()
        matching.person_matches(person, on=ON, k=K)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return Result(
        median,
        (_cpu() - cpu) / len(persons),
        f"median of {len(persons)} persons ({max(times) * 1000:.0f} ms the slowest); "
        "target ≤ 0.1 s",
    )


def _baseline(district: Any) -> dict[int, list[int]]:
    """Each open posting's top-K seekers by BM25 of their words over its title alone."""
    import numpy as np

    from jiuye.jobs import matching

    index = matching.build_index(district, ON, fields="title")
    seekers = matching.read_seekers(matching.seekers_sql(ON, district_path=district.path), ON)
    arrays = matching.seeker_arrays(index, seekers)
    m = len(index.rows)
    best = np.full((K, m), -1, dtype=np.int64)
    tie = matching._TIE
    for start in range(0, len(seekers), matching.CHUNK):
        rows = np.arange(start, min(start + matching.CHUNK, len(seekers)))
        raw = (arrays.queries[rows[0] : rows[-1] + 1] @ index.weights.T).toarray()
        bound = arrays.bound[rows][:, None]
        text = np.minimum(1.0, raw / np.where(bound > 0, bound, 1.0))
        allowed = ~index.public_welfare[None, :] | arrays.difficult[rows][:, None]
        keys = np.rint(text * 1e6).astype(np.int64) * tie + (tie - 1 - rows[:, None])
        keys = np.where(allowed, keys, -1)
        merged = np.vstack([best, keys])
        take = np.argpartition(-merged, K - 1, axis=0)[:K]
        best = np.take_along_axis(merged, take, axis=0)
    out = {}
    for col in range(m):
        keys = best[:, col]
        keys = keys[keys >= 0]
        keys = keys[np.argsort(-keys)]
        out[index.rows[col].id] = [seekers[int(tie - 1 - k % tie)].id for k in keys]
    return out


def _quality(tops: dict[int, list[int]], planted: dict[int, set[int]]) -> tuple[float, float]:
    precision, recall = [], []
    for posting_id, persons in planted.items():
        top = tops.get(posting_id, [])
        precision.append(len(set(top[:5]) & persons) / min(5, len(persons)))
        recall.append(len(set(top[:K]) & persons) / len(persons))
    return statistics.mean(precision), statistics.mean(recall)


def bench_quality(ctx: Any) -> Result:
    from jiuye.jobs import matching

    district = _district()
    pairs = getattr(getattr(ctx, "summary", None), "planted", ()) or ()
    if not pairs:
        raise RuntimeError("no planted pairs: the seed of this run must have made them")
    found = _state.get("bulk") or matching.district_matches(district, on=ON, k=K)
    cpu, start = _cpu(), time.perf_counter()
    open_ids = {posting_id for posting_id in found.by_posting}
    planted: dict[int, set[int]] = defaultdict(set)
    for pair in pairs:
        if pair.posting_id in open_ids:
            planted[pair.posting_id].add(pair.person_id)
    full = {pid: [m.seeker.id for m in ms] for pid, ms in found.by_posting.items()}
    base = _baseline(district)
    p_full, r_full = _quality(full, planted)
    p_base, r_base = _quality(base, planted)
    hits = sum(
        1
        for posting_id, persons in planted.items()
        for person in persons
        if posting_id in {m.posting.id for m in found.by_person.get(person, [])}
    )
    total = sum(len(p) for p in planted.values())
    seconds = time.perf_counter() - start
    details = "\n".join(
        [
            f"{len(planted):,} open postings with planted seekers ({total:,} pairs).",
            "",
            "| model | precision@5 | recall@10 | planted posting in the seeker's own top 10 |",
            "|---|---:|---:|---:|",
            f"| full (text, education, age, place, pay; priority first) | {p_full:.3f} | "
            f"{r_full:.3f} | {hits / total:.3f} |",
            f"| baseline: BM25 over titles only | {p_base:.3f} | {r_base:.3f} | — |",
        ]
    )
    return Result(
        seconds,
        _cpu() - cpu,
        f"full P@5 {p_full:.3f} R@10 {r_full:.3f}; titles-only P@5 {p_base:.3f} R@10 {r_base:.3f}",
        details,
    )


def register(benchmark: Any) -> None:
    benchmark(
        "jobs_bulk",
        "matching: top 10 for every seeker and every open posting of the district",
        target="≤ 60 s",
    )(bench_bulk)
    benchmark(
        "jobs_person",
        "matching: one person's list (median of 50)",
        target="≤ 0.1 s",
    )(bench_person)
    benchmark(
        "jobs_quality",
        "matching quality against the planted seekers (full model and titles-only BM25)",
    )(bench_quality)
