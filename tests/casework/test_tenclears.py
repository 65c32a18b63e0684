"""The ten clears (十清): which fields each unemployed person's record is missing, and the
completeness rate of a unit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jiuye.casework import services, tenclears
from jiuye.registry import services as registry
from jiuye.units.scope import SYSTEM

D = date

PURE = {
    "all present": (
        {
            "cause": "合同到期",
            "skill_level": "中级工",
            "family_situation": "三口之家",
            "training_need": "电工",
            "destination": "物业维修",
            "policies": "未享受",
            "social_insurance": "灵活就业参保",
        },
        [],
    ),
    "nothing beyond the registry": (
        {"cause": "", "skill_level": ""},
        [
            "cause",
            "family",
            "training_need",
            "skill",
            "destination",
            "policies",
            "social_insurance",
        ],
    ),
    "a policy record stands for policies": (
        {"cause": "x", "skill_level": "y", "has_policy_record": True},
        ["family", "training_need", "destination", "social_insurance"],
    ),
    "blank text is missing": (
        {"cause": "  ", "skill_level": "初级", "family_situation": " "},
        ["cause", "family", "training_need", "destination", "policies", "social_insurance"],
    ),
}


@pytest.mark.parametrize(("fields", "missing"), PURE.values(), ids=PURE.keys())
def test_missing_fields(fields: dict[str, Any], missing: list[str]) -> None:
    assert (
        tenclears.missing_fields(unemployed_since=D(2026, 1, 5), willing=True, **fields) == missing
    )


def test_person_and_unit_completeness(person: Callable[..., Any], tree: dict[str, Any]) -> None:
    on = D(2026, 6, 1)
    a = person(skill_level="中级工", statuses=((D(2026, 1, 5), "unemployed", True),))
    b = person(unit="a2", statuses=((D(2026, 2, 5), "unemployed"),))
    person(statuses=((D(2026, 1, 5), "unit"),))  # employed: not counted
    registry.person_change_status(
        actor=None,
        person=a,
        status="unemployed",
        since=D(2026, 3, 1),
        registered=True,
        cause="企业关闭",
    )
    record = tenclears.person_ten_clears(a, on)
    assert record is not None and record.missing == [
        "family",
        "training_need",
        "destination",
        "policies",
        "social_insurance",
    ]
    assert record.missing_labels[0] == "家庭状况"
    services.profile_update(
        actor=None,
        person=a,
        family_situation="夫妻二人",
        training_need="无",
        destination="本地就业",
        social_insurance="已参保",
    )
    services.service_record_create(
        actor=None, person=a, kind="policy", on=D(2026, 4, 1), policy_name="失业保险金"
    )
    assert tenclears.person_ten_clears(a, on).complete
    # Before the policy payment, "policies" was still missing.
    assert tenclears.person_ten_clears(a, D(2026, 3, 31)).missing == ["policies"]
    result = tenclears.unit_completeness(tree["a"], on, user=SYSTEM)
    assert (result.numerator, result.denominator) == (1, 2)
    assert result.rate == 0.5 and [r.person_id for r in result.incomplete] == [b.pk]
    assert tenclears.unit_completeness(tree["a1"], on, user=SYSTEM).rate == 1.0
    assert tenclears.unit_completeness(tree["c"], on, user=SYSTEM).rate is None
    # Fails closed: without a user, no persons.
    assert tenclears.unit_completeness(tree["a"], on, user=None).denominator == 0


# ---------------------------------------------------------------------------------------------
# The SQL form agrees with the Python form, field by field
# ---------------------------------------------------------------------------------------------

ON = D(2026, 6, 1)
FULL = {
    "family_situation": "三口之家",
    "training_need": "电工",
    "destination": "物业维修",
    "policies": "未享受",
    "social_insurance": "灵活就业参保",
}
BLANKS = (" ", "\t\n", "\u3000", "\xa0", "\u2003 \u3000\r")
PROFILE_MISSING = ["family", "training_need", "destination", "policies", "social_insurance"]

# Each case: how the person is built, and the fields missing at ON (None: not unemployed then).
AGREE: dict[str, tuple[dict[str, Any], list[str] | None]] = {
    "no profile": ({}, PROFILE_MISSING),
    "all present": ({"profile": FULL}, []),
    "an empty profile": ({"profile": {}}, PROFILE_MISSING),
    "blank strings everywhere": (
        {
            "cause": "\u3000",
            "skill_level": " \t",
            "profile": dict(zip(FULL, BLANKS, strict=True)),
        },
        [
            "cause",
            "family",
            "training_need",
            "skill",
            "destination",
            "policies",
            "social_insurance",
        ],
    ),
    "text between blanks is present": (
        {"profile": {key: f"\u3000{value} " for key, value in FULL.items()}},
        [],
    ),
    "no cause, no skill": ({"cause": "", "skill_level": "", "profile": FULL}, ["cause", "skill"]),
    "unwilling is a stated desire": ({"willing": False, "profile": FULL}, []),
    "policy record before the date": (
        {"profile": {**FULL, "policies": ""}, "services": (("policy", D(2026, 4, 1)),)},
        [],
    ),
    "policy record on the date": (
        {"profile": {**FULL, "policies": ""}, "services": (("policy", ON),)},
        [],
    ),
    "policy record after the date": (
        {"profile": {**FULL, "policies": ""}, "services": (("policy", D(2026, 6, 2)),)},
        ["policies"],
    ),
    "policy record after the date, profile text": (
        {"profile": FULL, "services": (("policy", D(2026, 6, 2)),)},
        [],
    ),
    "policy record without a profile": (
        {"services": (("policy", D(2026, 4, 1)),)},
        ["family", "training_need", "destination", "social_insurance"],
    ),
    "another service is no policy": (
        {"profile": {**FULL, "policies": " "}, "services": (("guidance", D(2026, 4, 1)),)},
        ["policies"],
    ),
    "unknown status": ({"statuses": (), "profile": FULL}, None),
    "status known only after the date": (
        {"statuses": ((D(2026, 6, 2), "unemployed"),), "profile": FULL},
        None,
    ),
    "unemployment ending on the date": (
        {"statuses": ((D(2026, 1, 5), "unemployed"), (ON, "unit")), "profile": FULL},
        None,
    ),
    "unemployment beginning on the date": (
        {"statuses": ((D(2020, 1, 1), "unit"), (ON, "unemployed")), "profile": FULL},
        [],
    ),
    "employed": ({"statuses": ((D(2020, 1, 1), "unit"),), "profile": FULL}, None),
}


def _build(person: Callable[..., Any], spec: dict[str, Any], unit: str = "a1") -> Any:
    """A person as ``spec`` says, written past the services' clean-up where it needs blanks
    (an import or an old record may hold them)."""
    from jiuye.casework.models import UnemployedProfile
    from jiuye.registry.models import Person, StatusEvent

    statuses = spec.get("statuses", ((D(2026, 1, 5), "unemployed"),))
    p = person(unit, statuses=statuses, willing=spec.get("willing", True))
    Person.objects.filter(pk=p.pk).update(skill_level=spec.get("skill_level", "中级工"))
    StatusEvent.objects.filter(person=p).update(cause=spec.get("cause", "合同到期"))
    if "profile" in spec:
        UnemployedProfile.objects.create(person=p, **spec["profile"])
    for kind, on in spec.get("services", ()):
        extra = {"policy_name": "失业保险金"} if kind == "policy" else {}
        services.service_record_create(actor=None, person=p, kind=kind, on=on, **extra)
    return p


def test_whitespace_is_what_strip_removes() -> None:
    assert set(tenclears.WHITESPACE) == {c for c in map(chr, range(0x110000)) if c.isspace()}


@pytest.mark.parametrize(("spec", "missing"), AGREE.values(), ids=AGREE.keys())
def test_sql_and_python_forms_agree(
    person: Callable[..., Any], spec: dict[str, Any], missing: list[str] | None
) -> None:
    p = _build(person, spec)
    record = tenclears.person_ten_clears(p, ON)
    python = None if record is None else record.missing
    sql = tenclears.missing_of([p.pk], ON).get(p.pk)
    assert python == missing
    assert sql == missing
    for key in tenclears.FIELDS:  # field by field, for the message
        assert (key in (python or ())) == (key in (sql or ())), key


@pytest.mark.parametrize(
    ("events_first", "persons_first"),
    [(False, False), (True, False), (False, True)],
    ids=["planner", "events-first", "persons-first"],
)
def test_sets_agree(
    person: Callable[..., Any], tree: dict[str, Any], events_first: bool, persons_first: bool
) -> None:
    """Every case at once, in two communities: the grouped counts and the incomplete persons
    by SQL are those of the Python form, whichever way the query is driven."""
    from django.db import connection

    from jiuye.registry.models import Person

    for i, (spec, _missing) in enumerate(AGREE.values()):
        _build(person, spec, unit="a1" if i % 2 else "a2")
    persons = Person.objects.filter(community__path__startswith=tree["a"].path)
    python = tenclears.completeness(persons, ON)
    expected: dict[int, list[int]] = {}
    for r in python.records:
        counts = expected.setdefault(r.community_id, [0, 0])
        counts[0] += int(r.complete)
        counts[1] += 1
    ways = {"events_first": events_first, "persons_first": persons_first}
    counts = tenclears.community_counts(ON, persons, **ways)
    assert counts == {pk: tuple(c) for pk, c in expected.items()}
    assert sum(d for _n, d in counts.values()) == sum(m is not None for _s, m in AGREE.values())
    incomplete = tenclears.incomplete_sql(ON, persons, **ways)
    with connection.cursor() as cursor:
        cursor.execute(incomplete.text, incomplete.params)
        found = {(pk, name, community) for pk, name, community in cursor.fetchall()}
    assert found == {(r.person_id, r.name, r.community_id) for r in python.incomplete}
    # A set that cannot match (the scope's none()) has nothing.
    assert tenclears.community_counts(ON, Person.objects.none(), **ways) == {}


def test_unit_page_counts_and_pages_what_the_python_form_finds(
    person: Callable[..., Any], tree: dict[str, Any]
) -> None:
    """The ten-clears page of a unit: its counts and its incomplete records, a page at a time
    by community and name, are those of the Python form; a page past the end is the last."""
    for i, (spec, _missing) in enumerate(AGREE.values()):
        _build(person, spec, unit="a1" if i % 2 else "b")
    python = tenclears.unit_completeness(tree["district"], ON, user=SYSTEM)
    expected = sorted(python.incomplete, key=lambda r: (r.community_id, r.name, r.person_id))
    assert len(expected) > 3
    pages = [
        tenclears.unit_page(tree["district"], ON, user=SYSTEM, page=n, size=3)
        for n in range(1, -(-len(expected) // 3) + 1)
    ]
    assert all(
        (p.numerator, p.denominator) == (python.numerator, python.denominator) for p in pages
    )
    assert [r for p in pages for r in p.records] == expected
    past = tenclears.unit_page(tree["district"], ON, user=SYSTEM, page=99, size=3)
    assert past.records == pages[-1].records
    assert tenclears.unit_page(tree["district"], ON, user=None).denominator == 0
