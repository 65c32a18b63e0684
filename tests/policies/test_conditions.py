"""Every condition of the policies' vocabulary gives the same persons in its SQL form (the
set-based lists) as in its Python form (the reasons on a page), on generated persons and
histories: births at the age edges and on leap days, all three hukou types, flags, dibao,
graduation years, status histories with registrations, recognitions that begin and end,
trainings around the new year. And the catalog is checked when it is read."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection

from jiuye.casework.models import ServiceRecord
from jiuye.lib.retirement import add_months
from jiuye.policies import catalog, conditions
from jiuye.policies.catalog import CatalogError
from jiuye.registry.models import Person
from tests.policies.conftest import person, recognise, status

PROBES = [date(2025, 12, 31), date(2026, 1, 1), date(2026, 2, 28), date(2026, 6, 15)]

SPECS: list[dict[str, Any]] = [
    {"hukou": ["agricultural", "converted"]},
    {"hukou": ["urban"]},
    {"min_age": {"F": 35, "M": 40}},
    {"min_age": 50},
    {"status": ["flexible"]},
    {"status": ["unit", "public_post"]},
    {"registered": True},
    {"registered_before": True},
    {"registered_when_hired": True},
    {"difficult": True},
    {"difficult": ["4050", "other"]},
    {"flags": ["landless"]},
    {"flags": ["veteran", "disabled"]},
    {"dibao": True},
    {"graduate": True},
    {"graduate_within": 2},
    {"training": "completed"},
    {"training": "certified"},
    {"any_of": [{"registered_when_hired": True}, {"hukou": ["agricultural"]}, {"graduate": True}]},
    {"hukou": ["agricultural", "converted"], "min_age": {"F": 35, "M": 40}, "status": ["flexible"]},
]


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _build(tree: dict[str, Any], seed: int) -> list[Any]:
    rng = random.Random(seed)
    made = []
    for _ in range(40):
        probe = rng.choice(PROBES)
        years = rng.choice([35, 40, 50])
        born = add_months(probe, -12 * years) + timedelta(days=rng.choice([-1, 0, 1, 200]))
        if rng.random() < 0.1:
            born = date(1988, 2, 29)
        p = person(
            tree["a"],
            born=born,
            male=rng.random() < 0.5,
            hukou=rng.choice(["urban", "agricultural", "converted"]),
            status=None,
            dibao=rng.random() < 0.3,
            landless=rng.random() < 0.4,
            veteran=rng.random() < 0.3,
            disabled=rng.random() < 0.3,
            graduate_year=rng.choice([None, None, 2023, 2024, 2026]),
        )
        day = date(2024, 1, 1)
        for _e in range(rng.randrange(0, 4)):
            day = day + timedelta(days=rng.randrange(1, 300))
            value = rng.choice(["unemployed", "flexible", "unit", "public_post", "student"])
            status(p, value, day, registered=value == "unemployed" and rng.random() < 0.7)
        if rng.random() < 0.5:
            start = _day(rng, date(2025, 1, 1), date(2026, 6, 1))
            end = rng.choice([None, start + timedelta(days=rng.randrange(1, 400))])
            recognise(
                p,
                start,
                ended_on=end,
                category=rng.choice(["other", "4050", "disabled"]) if False else "other",
            )
        for _t in range(rng.randrange(0, 3)):
            completed = rng.random() < 0.6
            ServiceRecord.objects.create(
                person=p,
                kind="training",
                on=_day(rng, date(2025, 11, 1), date(2026, 7, 1)),
                enrolled=True,
                completed=completed,
                certified=completed and rng.random() < 0.5,
            )
        made.append(p)
    return made


def _sql_ids(found: list[conditions.Condition], on: date) -> set[int]:
    where = conditions.all_sql(found, "p", on)
    table = Person._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT p.id FROM {table} p WHERE {where.text}", where.params)
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2])
def test_sql_and_python_forms_agree(tree, seed):
    persons = _build(tree, seed)
    facts = conditions.facts_for([p.pk for p in persons])
    telling = 0  # specs that some persons meet and others do not: the data tells them apart
    for spec in SPECS:
        found = conditions.parse(spec)
        sizes = set()
        for on in PROBES:
            python = {pk for pk, f in facts.items() if all(c.test(f, on) for c in found)}
            assert _sql_ids(found, on) == python, (spec, on)
            sizes.add(0 < len(python) < len(facts))
            for f in facts.values():
                for c in found:
                    assert c.words(f, on)  # every verdict has its words
        telling += True in sizes
    assert telling >= len(SPECS) - 2


@pytest.mark.django_db
def test_a_column_date_agrees_with_the_python_form(tree):
    """The hires' conditions are read at each hire's day (an SQL column)."""
    persons = _build(tree, 3)
    facts = conditions.facts_for([p.pk for p in persons])
    found = conditions.parse(SPECS[-2]) + conditions.parse({"min_age": {"F": 35, "M": 40}})
    table = Person._meta.db_table
    for on in PROBES:
        where = conditions.all_sql(found, "p", "d.day")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT p.id FROM {table} p, (SELECT %s AS day) d WHERE {where.text}",
                (on, *where.params),
            )
            sql = {row[0] for row in cursor.fetchall()}
        python = {pk for pk, f in facts.items() if all(c.test(f, on) for c in found)}
        assert sql == python, on


def test_shipped_catalog_reads_and_cites_its_clauses():
    found = catalog.policies()
    assert {
        "HD18-HIRE",
        "HD18-FLEX-SI",
        "004-PUBLIC-POST",
        "004-CONTRACT-3Y",
        "CERT-HD-2012",
    } <= set(found)
    for policy in found.values():
        assert policy.clause and policy.budget_line, policy.id
        assert policy.computed or policy.attested, policy.id
    assert catalog.parameters()["min_wage"].value_on(date(2024, 8, 31))[1] == 2420
    assert catalog.parameters()["min_wage"].value_on(date(2024, 9, 1))[1] == 2540
    assert catalog.parameters()["min_wage"].value_on(date(2023, 8, 31)) is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            '[[policy]]\nid="X"\nversion=1\nname="x"\nclause="c"\nbeneficiary="person"\nperiod="weekly"\nbudget_line="b"\n[policy.amount]\nkind="fixed"\namount=1\n',
            "period",
        ),
        (
            '[[policy]]\nid="X"\nversion=1\nname="x"\nclause="c"\nbeneficiary="person"\nperiod="once"\nbudget_line="b"\n[policy.when]\nshoe_size=1\n[policy.amount]\nkind="fixed"\namount=1\n',
            "unknown condition",
        ),
        (
            '[[policy]]\nid="X"\nversion=1\nname="x"\nbeneficiary="person"\nperiod="once"\nbudget_line="b"\n[policy.amount]\nkind="fixed"\namount=1\n',
            "'clause' is required",
        ),
        (
            '[[policy]]\nid="X"\nversion=1\nname="x"\nclause="c"\nbeneficiary="person"\nperiod="once"\nbudget_line="b"\n[policy.amount]\nkind="parameter"\nparameter="nope"\n',
            "unknown parameter",
        ),
        (
            '[[parameter]]\nid="w"\n'
            "values=[{from=2024-01-01, value=1}, {from=2024-01-01, value=2}]\n",
            "distinct dates",
        ),
        (
            '[[policy]]\nid="X"\nversion=1\nname="x"\nclause="c"\nbeneficiary="person"\nperiod="once"\nbudget_line="b"\n[policy.when]\nmin_age={F=35}\n[policy.amount]\nkind="fixed"\namount=1\n',
            "min_age",
        ),
    ],
)
def test_a_broken_catalog_file_says_where_and_why(tmp_path, settings, text, error):
    (tmp_path / "local.toml").write_text(text, encoding="utf-8")
    settings.JIUYE_POLICIES_DIR = str(tmp_path)
    catalog.clear_cache()
    try:
        with pytest.raises(CatalogError, match=error):
            catalog.policies()
    finally:
        settings.JIUYE_POLICIES_DIR = ""
        catalog.clear_cache()


def test_every_condition_and_policy_is_said_in_words():
    from jiuye.policies.eligibility import describe

    for spec in SPECS:
        lines = conditions.describe(spec)
        assert len(lines) == len(spec) and all(lines), spec
    for policy in catalog.policies().values():
        assert describe(policy), policy.id
    assert describe(catalog.policy_get("HD18-FLEX-SI")) == [
        "户籍为农业、农转非",
        "女年满35周岁、男年满40周岁",
        "当日就业状态为灵活就业",
    ]
