"""Campaign progress (DOMAIN §7), table-driven per target: HD-2012's three (streets by
2012-12-31 and 2013-09-30, the district by 2013-12-31) and QG-2016's two (every community,
half the villages, by 2020), read by the district, a street and a community worker."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from jiuye.certification.progress import (
    BEHIND,
    MET,
    MISSED,
    NONE,
    ON_TRACK,
    TargetProgress,
    campaign_progress,
)
from jiuye.standards.rulesets import ruleset_get
from jiuye.units.models import Level
from jiuye.units.services import unit_create
from tests.certification.programme_helpers import certify, client_for, revoke


@pytest.fixture(autouse=True)
def _demo(settings: Any) -> None:
    settings.DEMO_MODE = True


def _by_target(rows: list[TargetProgress]) -> dict[str, tuple[int, int, int, str]]:
    return {r.target.id: (r.units, r.on_date, r.today, r.verdict) for r in rows}


D = date
# (street S1's certification (on, revoked), S2's, the district's, today,
#  per target: (units, certified on its date, certified today, verdict) as the district sees it)
HD_CASES = {
    "met, missed, on track": (
        (D(2012, 6, 1), None),
        (D(2012, 11, 1), D(2013, 9, 1)),  # revoked before T2's date
        (D(2013, 10, 15), None),
        D(2013, 11, 1),
        {"HD-T1": (2, 2, 1, MET), "HD-T2": (2, 1, 1, MISSED), "HD-T3": (1, 1, 1, ON_TRACK)},
    ),
    "missed, behind, behind": (
        (D(2013, 3, 1), None),
        None,
        None,
        D(2013, 6, 1),
        {"HD-T1": (2, 0, 1, MISSED), "HD-T2": (2, 1, 1, BEHIND), "HD-T3": (1, 0, 0, BEHIND)},
    ),
    # Certified on the date counts; revoked on the date does not (no longer in force that day).
    "the date's own day": (
        (D(2012, 12, 31), None),
        (D(2013, 1, 1), None),
        (D(2013, 6, 1), D(2013, 12, 31)),
        D(2014, 1, 10),
        {"HD-T1": (2, 1, 2, MISSED), "HD-T2": (2, 2, 2, MET), "HD-T3": (1, 0, 0, MISSED)},
    ),
}


def _hd(tree: dict[str, Any], s1: Any, s2: Any, district: Any) -> None:
    for key, level, given in (
        ("s1", "street", s1),
        ("s2", "street", s2),
        ("district", "district", district),
    ):
        if given is not None:
            on, revoked = given
            made = certify(tree[key], "HD-2012", level, on)
            if revoked is not None:
                revoke(made, revoked)


@pytest.mark.parametrize("case", list(HD_CASES))
def test_hd_targets(tree: dict[str, Any], personas: dict[str, Any], case: str) -> None:
    s1, s2, district, today, expected = HD_CASES[case]
    _hd(tree, s1, s2, district)
    rows = campaign_progress(user=personas["district"], ruleset=ruleset_get("HD-2012"), today=today)
    assert _by_target(rows) == expected
    assert {r.root.code for r in rows} == {"110108"}


def test_a_street_sees_its_own_street_only(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    s1, s2, district, today, _expected = HD_CASES["met, missed, on track"]
    _hd(tree, s1, s2, district)
    rows = campaign_progress(user=personas["street"], ruleset=ruleset_get("HD-2012"), today=today)
    assert _by_target(rows) == {
        "HD-T1": (1, 1, 1, MET),  # S1 itself: certified 2012-06-01, never revoked
        "HD-T2": (1, 1, 1, MET),
        "HD-T3": (0, 0, 0, NONE),  # no district under a street
    }
    assert {r.root.code for r in rows} == {"110108001"}


def test_a_community_has_no_street_target(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    _hd(tree, *HD_CASES["met, missed, on track"][:3])
    rows = campaign_progress(
        user=personas["worker_a"], ruleset=ruleset_get("HD-2012"), today=D(2013, 11, 1)
    )
    assert {r.verdict for r in rows} == {NONE}


def test_no_unit_no_rows(personas: dict[str, Any]) -> None:
    ruleset = ruleset_get("HD-2012")
    assert campaign_progress(user=personas["nobody"], ruleset=ruleset, today=D(2013, 1, 1)) == []


@pytest.fixture
def villages(tree: dict[str, Any]) -> list[Any]:
    return [
        unit_create(
            actor=None,
            code=f"11010800220{i}",
            name=f"村{i}",
            level=Level.VILLAGE,
            parent=tree["s2"],
        )
        for i in (1, 2)
    ]


# (communities certified, villages certified, today, expected per target as the district sees it)
QG_CASES = {
    "all communities, half the villages": (
        ("a", "b", "c"),
        (0,),
        D(2021, 3, 1),
        {"QG-T1": (3, 3, 3, MET), "QG-T2": (2, 1, 1, MET)},
    ),
    "a community short, no village": (
        ("a", "b"),
        (),
        D(2021, 3, 1),
        {"QG-T1": (3, 2, 2, MISSED), "QG-T2": (2, 0, 0, MISSED)},
    ),
    "before the date": (
        ("a", "b", "c"),
        (),
        D(2019, 6, 1),
        {"QG-T1": (3, 3, 3, ON_TRACK), "QG-T2": (2, 0, 0, BEHIND)},
    ),
}


@pytest.mark.parametrize("case", list(QG_CASES))
def test_qg_targets(
    tree: dict[str, Any], personas: dict[str, Any], villages: list[Any], case: str
) -> None:
    communities, village_indexes, today, expected = QG_CASES[case]
    for key in communities:
        certify(tree[key], "QG-2016", "community", D(2019, 3, 1))
    for index in village_indexes:
        certify(villages[index], "QG-2016", "community", D(2019, 3, 1))
    rows = campaign_progress(user=personas["district"], ruleset=ruleset_get("QG-2016"), today=today)
    assert _by_target(rows) == expected


def test_qg_a_worker_counts_their_own_community(
    tree: dict[str, Any], personas: dict[str, Any], villages: list[Any]
) -> None:
    certify(tree["b"], "QG-2016", "community", D(2019, 3, 1))
    ruleset = ruleset_get("QG-2016")
    mine = campaign_progress(user=personas["worker_a"], ruleset=ruleset, today=D(2021, 1, 1))
    sibling = campaign_progress(user=personas["worker_b"], ruleset=ruleset, today=D(2021, 1, 1))
    assert _by_target(mine)["QG-T1"] == (1, 0, 0, MISSED)  # B's certification is not A's
    assert _by_target(sibling)["QG-T1"] == (1, 1, 1, MET)
    assert _by_target(mine)["QG-T2"][3] == NONE


def test_a_certification_of_another_level_does_not_count(
    tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    certify(tree["s1"], "HD-2012", "street", D(2012, 5, 1))
    certify(tree["a"], "HD-2012", "community", D(2012, 5, 1))  # a community: not a street
    rows = campaign_progress(
        user=personas["district"], ruleset=ruleset_get("HD-2012"), today=D(2014, 1, 1)
    )
    assert _by_target(rows)["HD-T1"] == (2, 1, 1, MISSED)


def test_the_queries_do_not_grow_with_units(
    tree: dict[str, Any],
    personas: dict[str, Any],
    villages: list[Any],
    django_assert_max_num_queries: Any,
) -> None:
    for key in ("a", "b", "c"):
        certify(tree[key], "QG-2016", "community", D(2019, 3, 1))
    user = personas["district"]
    with django_assert_max_num_queries(3):  # the user's units, the units, the certifications
        campaign_progress(user=user, ruleset=ruleset_get("QG-2016"), today=D(2021, 1, 1))


def test_the_page(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    certify(tree["s1"], "HD-2012", "street", D(2012, 5, 1))
    client = client_for(personas["district"])
    html = client.get(reverse("certification:campaigns")).content.decode()
    assert "HD-T1" in html and "2012年底" in html and 'data-verdict="missed"' in html
    assert "50.0%" in html and "60.0%" in html
    html = client.get(reverse("certification:campaigns") + "?ruleset=qg-2016").content.decode()
    assert "QG-T2" in html and "HD-T1" not in html
    response = client.get(reverse("certification:campaigns") + "?ruleset=nope")
    assert response.status_code == 200 and "HD-T1" in response.content.decode()
    assert "nope" in response.content.decode()  # said on the page


@pytest.mark.parametrize("who", ["sysadmin", "auditor"])
def test_administrators_see_the_counts(
    tree: dict[str, Any], personas: dict[str, Any], who: str
) -> None:
    certify(tree["s1"], "HD-2012", "street", D(2012, 5, 1))
    response = client_for(personas[who]).get(reverse("certification:campaigns"))
    assert response.status_code == 200 and "target-110108-HD-T1" in response.content.decode()


def test_anonymous_goes_to_login(db: Any) -> None:
    from django.test import Client

    response = Client().get(reverse("certification:campaigns"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_page_in_english(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    from django.conf import settings

    certify(tree["s1"], "HD-2012", "street", D(2012, 5, 1))
    client = client_for(personas["district"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("certification:campaigns")).content.decode()
    assert "Campaign progress" in html and ">Missed<" in html and "Target share" in html
