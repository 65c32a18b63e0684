"""The lists behind the indicators are picked, counted and paged in the database (issue 12):
on random histories, each list holds exactly whom the indicator counts (its size is the
indicator's gap or count, from the same definitions), the employment list is the persons the
Python rules of ``registry.definitions`` name, pages never overlap and together are the whole
list, and the count stops at the cap."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from itertools import count
from typing import Any

import pytest
from django.urls import reverse

from jiuye.audit.models import AuditEntry
from jiuye.casework import services as casework
from jiuye.registry import classification, definitions, services
from jiuye.registry.models import Person
from jiuye.standards import behind as behind_module
from jiuye.standards.behind import behind, listing
from jiuye.standards.indicators import INDICATORS, Row, fact_sheet, period_of
from jiuye.standards.indicators.base import KnownCount, ListRows, QueryRows
from jiuye.standards.rules import Ratio
from jiuye.units.scope import SYSTEM
from tests.api.conftest import bearer, token_for

D = date
TODAY = D(2026, 12, 31)
CHECKS = [D(2026, 3, 31), D(2026, 9, 30), TODAY]
_numbers = count(1)

# Per indicator: how many rows its list holds, from its value (a Ratio's gap or a count).
GAP: dict[str, Callable[[Any], int]] = {
    "employment_rate": lambda r: r.denominator - r.numerator,
    "difficult_employment_rate": lambda r: r.denominator - r.numerator,
    "registered_unemployment_rate": lambda r: r.numerator,
    "dibao_unemployed_share": lambda r: r.numerator,
    "pure_farming_families": lambda n: n,
    "job_preparation_rate": lambda r: r.denominator - r.numerator,
    "registered_unemployed_employment_rate": lambda r: r.denominator - r.numerator,
    "long_term_unemployed": lambda n: n,
    "long_term_unemployed_urban": lambda n: n,
    "assisted_long_term": lambda n: n,
    "zero_families": lambda n: n,
    "zero_families_urban": lambda n: n,
    "zero_family_over_month": lambda n: n,
    "valid_complaints": lambda n: n,
}


def _day(rng: random.Random, start: date, end: date = TODAY) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _history(rng: random.Random, tree: dict[str, Any], persons: int = 60) -> None:
    """Households (some urban dibao) of one to three members with random status histories,
    recognitions and services, spread over the three communities (and community A's grid)."""
    made = 0
    while made < persons:
        unit = rng.choice(["a", "a1", "b", "c"])
        hh = services.household_create(
            actor=None,
            number=f"BH-{next(_numbers):05d}",
            unit=tree[unit],
            hukou_type=rng.choice(["urban", "converted", "agricultural"]),
            dibao=rng.random() < 0.5,
        )
        for _member in range(rng.randrange(1, 4)):
            made += 1
            birth = D(rng.randrange(1958, 2009), rng.randrange(1, 13), rng.randrange(1, 28))
            p = services.person_create(
                actor=None,
                id_number=_id(birth),
                name=f"名{rng.randrange(30):02d}",  # shared names: the id breaks ties
                household=hh,
                hukou_type=rng.choice(["urban", "converted", "agricultural"]),
                able=rng.random() < 0.9,
                willing=rng.random() < 0.85,
            )
            # From the 16th birthday on (a status before it is refused).
            day = max(_day(rng, D(2023, 1, 1), D(2026, 6, 1)), D(birth.year + 17, 1, 1))
            for _step in range(rng.randrange(0, 4)):
                status = rng.choice(
                    ["unemployed", "unemployed", "unit", "farming", "flexible", "out", "student"]
                )
                services.person_change_status(
                    actor=None,
                    person=p,
                    status=status,
                    since=day,
                    registered=status == "unemployed" and rng.random() < 0.8,
                )
                day += timedelta(days=rng.randrange(20, 400))
            if rng.random() < 0.3:
                start = _day(rng, D(2024, 1, 1), D(2026, 8, 1))
                services.recognition_create(
                    actor=None, person=p, category="other", recognized_on=start, note="x"
                )
            for _service in range(rng.randrange(0, 4)):
                kind = rng.choice(["guidance", "referral", "training", "complaint"])
                casework.service_record_create(
                    actor=None,
                    person=p,
                    kind=kind,
                    on=_day(rng, D(2026, 1, 1)),
                    today=TODAY,
                    **_details(rng, kind),
                )


def _details(rng: random.Random, kind: str) -> dict[str, Any]:
    if kind == "complaint":
        return {"valid": rng.random() < 0.5}
    if kind == "training":
        return {"training_mode": rng.choice(["post", "order", "other"])}
    return {}


def _id(birth: date) -> str:
    from tests.conftest import make_id

    return make_id(birth)


def _all(rows: Any) -> list[Row]:
    return [row for chunk in rows.chunks(7) for row in chunk]


@pytest.mark.parametrize("seed", [1, 2])
def test_each_list_holds_whom_its_indicator_counts(tree: dict[str, Any], seed: int) -> None:
    _history(random.Random(seed), tree)
    for on in CHECKS:
        period = period_of(on)
        sheet = fact_sheet(root=tree["district"], on=on, indicators=list(GAP), source="direct")
        for unit in (tree["district"], tree["s1"], tree["a"], tree["c"]):
            facts = sheet.facts_for(unit)
            for indicator, gap in GAP.items():
                rows, _query = listing(
                    indicator=indicator,
                    unit=unit,
                    period=period,
                    user=SYSTEM,  # type: ignore[arg-type]
                )
                every = _all(rows)
                value = facts[indicator]
                expected = gap(value if isinstance(value, Ratio | int) else Ratio(0, 0))
                assert rows.count() == len(every) == expected, (indicator, unit.code, on)
                assert rows.count(cap=2) == min(expected, 3)
                # Pages of 5 are the whole list in order, without overlap.
                pages = [rows.rows(offset, 5) for offset in range(0, len(every) + 5, 5)]
                assert [r for page in pages for r in page] == every, indicator


@pytest.mark.parametrize("seed", [3])
def test_the_employment_list_is_whom_the_definitions_name(tree: dict[str, Any], seed: int) -> None:
    """Each person of the labor force not employed at the date, by community and name, with
    their status then: the Python rules of ``registry.definitions``, person by person."""
    _history(random.Random(seed), tree, persons=60)
    for on in CHECKS:
        expected = []
        for p in Person.objects.filter(community__path__startswith=tree["s1"].path):
            status = classification.status_at(p, on)
            if classification.labor_force_on(p, on) and not definitions.is_employed(status):
                expected.append(((p.community_id, p.name, p.pk), p, status))
        expected.sort(key=lambda e: e[0])
        rows, _query = listing(
            indicator="employment_rate",
            unit=tree["s1"],
            period=period_of(on),
            user=SYSTEM,  # type: ignore[arg-type]
        )
        # Paged in the database (its count maybe read from the aggregates).
        assert isinstance(rows.listing if isinstance(rows, KnownCount) else rows, QueryRows)
        got = [(r.name, r.detail, r.url, r.community_id) for r in _all(rows)]
        assert got == [
            (
                p.name,
                str(definitions.Status(status).label),
                reverse("casework:person", args=[p.pk]),
                p.community_id,
            )
            for _key, p, status in expected
        ], on
        assert got, "the history should leave someone to list"


def test_a_page_of_the_list(
    tree: dict[str, Any], person: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``behind`` reads one page: the count from the database (none needed when the first page
    is short), a page past the end is the last one, and the count stops at the cap."""
    names = [f"待业{i:02d}" for i in range(12)]
    for name in reversed(names):
        person("a", name=name, statuses=((D(2025, 1, 1), "unemployed", True),))
    period = period_of(TODAY)

    def page(**kwargs: Any) -> behind_module.Behind:
        return behind(
            indicator="employment_rate",
            unit=tree["a"],
            period=period,
            user=SYSTEM,  # type: ignore[arg-type]
            **kwargs,
        )

    first = page(limit=5)
    assert [r.name for r in first.rows] == names[:5]
    assert (first.total, first.capped, first.number, first.num_pages) == (12, False, 1, 3)
    assert first.has_next and not first.has_previous
    third = page(limit=5, page=3)
    assert [r.name for r in third.rows] == names[10:]
    assert (third.number, third.has_next) == (3, False)
    assert [r.name for r in page(limit=5, page=99).rows] == names[10:]  # past the end: last
    assert page(limit=5, offset=99).rows == []  # an offset past the end: nothing (the API)
    short = page(limit=50)
    assert (short.total, len(short.rows), short.num_pages) == (12, 12, 1)

    monkeypatch.setattr(behind_module, "COUNT_CAP", 8)
    capped = page(limit=5, page=9)
    assert (capped.total, capped.capped, capped.num_pages, capped.number) == (8, True, 2, 2)
    assert [r.name for r in capped.rows] == names[5:10]


def test_a_list_held_in_memory_pages_the_same() -> None:
    rows = [Row("text", str(i)) for i in range(7)]
    made: list[int] = []

    def load() -> list[Row]:
        made.append(1)
        return rows

    lazy = ListRows(load)
    assert made == []  # nothing read before the list is
    assert (lazy.count(), lazy.count(cap=3), lazy.rows(5, 5)) == (7, 4, rows[5:])
    assert [r for c in lazy.chunks(3) for r in c] == rows and made == [1]


def test_the_page_shows_and_records_one_page(
    client: Any,
    tree: dict[str, Any],
    personas: dict[str, Any],
    person: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The list page shows ``?page=`` of the list (a wrong one is the first, never an error),
    keeps its other parameters in the page links, and records only the persons it shows."""
    monkeypatch.setattr(behind_module, "PAGE_SIZE", 2)
    people = [
        person("a", name=f"页{i}", statuses=((D(2025, 1, 1), "unemployed", True),))
        for i in range(5)
    ]
    client.force_login(personas["worker_a"])
    url = reverse("standards:behind", args=[tree["a"].code, "employment_rate"])
    query = "?ruleset=HD-2012&date=2026-05-12"
    second = client.get(url + query + "&page=2").content.decode()
    audited = AuditEntry.objects.filter(action="read.standards.behind").latest("id")
    for wrong in ("x", "-3", "0", "9" * 5000, "1e3"):
        assert client.get(url + query + "&page=" + wrong).status_code == 200
    assert second.count('data-kind="person"') == 2
    assert "页2" in second and "页3" in second and "页1" not in second
    assert "第 2 / 3 页" in second
    assert 'href="?ruleset=HD-2012&amp;date=2026-05-12&amp;page=3"' in second
    assert sorted(audited.changes["persons"]) == sorted(p.pk for p in people[2:4])


def test_the_api_pages_with_limit_and_offset(
    client: Any, tree: dict[str, Any], personas: dict[str, Any], person: Callable[..., Any]
) -> None:
    for i in range(3):
        person("a", name=f"接口{i}", statuses=((D(2025, 1, 1), "unemployed", True),))
    headers = bearer(token_for(personas["worker_a"], name="a"))
    url = f"/api/standards/units/{tree['a'].code}/indicators/employment_rate/behind?date=2026-05-12"
    body = client.get(url + "&limit=2&offset=1", headers=headers).json()
    assert (body["total"], body["capped"], body["offset"], body["limit"]) == (3, False, 1, 2)
    assert [r["name"] for r in body["rows"]] == ["接口1", "接口2"]
    whole = client.get(url, headers=headers).json()  # by default up to 500 rows, as before
    assert (whole["total"], len(whole["rows"]), whole["limit"]) == (3, 3, 500)
    for wrong in ("limit=0", "limit=501", "offset=-1"):
        assert client.get(url + "&" + wrong, headers=headers).status_code == 422


@pytest.mark.parametrize("indicator", sorted(INDICATORS))
def test_every_list_pages_without_a_user_as_empty(tree: dict[str, Any], indicator: str) -> None:
    found = behind(indicator=indicator, unit=tree["a"], period=period_of(TODAY), user=None)
    assert (found.rows, found.total, found.num_pages) == ([], 0, 1)


@pytest.mark.parametrize("seed", [4])
def test_status_lists_counted_from_the_aggregates_hold_that_many(
    tree: dict[str, Any], personas: dict[str, Any], seed: int
) -> None:
    """With the aggregates built, a status indicator's list is counted from them (no count of
    the persons) for a reader who sees the whole unit: that count is the number of rows the
    list pages through. A grid member sees part of a community: their list is counted."""
    from jiuye.standards.aggregates import aggregates_fresh
    from jiuye.standards.services import aggregates_rebuild

    _history(random.Random(seed), tree)
    aggregates_rebuild(actor=None)
    assert aggregates_fresh()
    status_lists = [
        "employment_rate",
        "difficult_employment_rate",
        "pure_farming_families",
        "registered_unemployment_rate",
        "dibao_unemployed_share",
    ]
    readers = [(SYSTEM, tree["district"]), (personas["street"], tree["s1"])]
    readers.append((personas["worker_a"], tree["a"]))
    for on in CHECKS:
        for reader, unit in readers:
            for indicator in status_lists:
                rows, _query = listing(
                    indicator=indicator, unit=unit, period=period_of(on), user=reader
                )
                assert isinstance(rows, KnownCount), indicator
                assert rows.count() == len(_all(rows)) == len(_all(rows.listing)), (
                    indicator,
                    unit.code,
                    on,
                )
                assert rows.listing.count() == rows.count()
        rows, _query = listing(
            indicator="employment_rate",
            unit=tree["a"],
            period=period_of(on),
            user=personas["grid_a1"],
        )
        assert not isinstance(rows, KnownCount)
