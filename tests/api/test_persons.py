"""Person and household listings: content, filters and limit/offset pagination."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from jiuye.registry import services
from tests.api.conftest import _person


def test_person_detail_content(registry: dict[str, Any], as_user: Any) -> None:
    pa = registry["pa"]
    body = as_user("worker_a").get(f"/api/persons/{pa.pk}/").json()
    assert body["name"] == "张甲" and body["sex"] == "M"
    assert body["household_number"] == "HA001" and body["household_id"] == registry["hh_a"].pk
    assert body["community_code"] == "110108001001" and body["grid_code"] == "110108001001A1"
    assert body["hukou_type"] == "urban" and body["relation"] == "户主"
    assert (body["current_status"], body["current_registered"]) == ("unemployed", True)
    assert body["current_since"] == "2024-01-01"
    assert body["age"] >= 55 and body["working_age"] in (True, False)
    assert body["status_history"] == [
        {
            "status": "unit",
            "since": "2020-01-01",
            "until": "2024-01-01",
            "registered": False,
            "employer": "某公司",
            "cause": "",
        },
        {
            "status": "unemployed",
            "since": "2024-01-01",
            "until": None,
            "registered": True,
            "employer": "",
            "cause": "合同到期",
        },
    ]
    assert body["recognitions"] == [
        {"category": "4050", "recognized_on": "2024-06-01", "ended_on": None, "note": ""},
    ]


def test_person_without_status(registry: dict[str, Any], as_user: Any) -> None:
    body = as_user("district").get(f"/api/persons/{registry['pc'].pk}/").json()
    assert body["current_status"] is None and body["status_history"] == []
    assert body["grid_code"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("community=110108001002", {"pb"}),
        ("community=110108001001", {"pa", "pa2"}),
        ("community=999", set()),
        ("status=unemployed", {"pa", "pb"}),
        ("status=flexible", {"pa2"}),
        ("registered=true", {"pa"}),
        ("registered=false", {"pa2", "pb", "pc"}),
        ("status=unemployed&registered=false", {"pb"}),
        ("q=丙", {"pb"}),
        ("q=张", {"pa"}),
        ("community=110108002001&q=赵", {"pc"}),
    ],
)
def test_person_filters(
    query: str, expected: set[str], registry: dict[str, Any], as_user: Any
) -> None:
    body = as_user("district").get(f"/api/persons/?{query}").json()
    assert {p["id"] for p in body["items"]} == {registry[k].pk for k in expected}


def test_filters_never_widen_the_scope(registry: dict[str, Any], as_user: Any) -> None:
    body = as_user("worker_a").get("/api/persons/?community=110108001002").json()
    assert body == {"items": [], "count": 0}


@pytest.mark.parametrize(
    "query",
    [
        "status=nonsense",
        "registered=maybe",
        "limit=0",
        "limit=501",
        "offset=-1",
        "community=" + "9" * 21,
        "q=%00",
        "community=%00",
    ],
)
def test_bad_parameters_are_422(query: str, registry: dict[str, Any], as_user: Any) -> None:
    assert as_user("district").get(f"/api/persons/?{query}").status_code == 422


def test_pagination(registry: dict[str, Any], as_user: Any, tree: dict[str, Any]) -> None:
    hh = services.household_create(actor=None, number="HA002", unit=tree["a"], hukou_type="urban")
    for i in range(5):
        _person(hh, f"成员{i}", date(1980 + i, 1, 15))
    client = as_user("worker_a")
    everyone = client.get("/api/persons/?limit=500").json()
    assert everyone["count"] == 7 and len(everyone["items"]) == 7
    ids = [p["id"] for p in everyone["items"]]
    assert ids == sorted(ids)
    pages = [client.get(f"/api/persons/?limit=3&offset={o}").json() for o in (0, 3, 6, 9)]
    assert [len(p["items"]) for p in pages] == [3, 3, 1, 0]
    assert all(p["count"] == 7 for p in pages)
    assert [p["id"] for page in pages for p in page["items"]] == ids


def test_household_list_and_filters(registry: dict[str, Any], as_user: Any) -> None:
    client = as_user("district")
    body = client.get("/api/households/").json()
    assert [h["number"] for h in body["items"]] == ["HA001", "HB001", "HC001"]
    assert body["items"][0]["member_count"] == 2 and body["items"][0]["dibao"] is True
    assert [h["number"] for h in client.get("/api/households/?dibao=true").json()["items"]] == [
        "HA001"
    ]
    assert [h["number"] for h in client.get("/api/households/?q=HB").json()["items"]] == ["HB001"]
    filtered = client.get("/api/households/?community=110108002001&limit=1").json()
    assert filtered["count"] == 1 and filtered["items"][0]["number"] == "HC001"


def test_unit_filters(registry: dict[str, Any], as_user: Any) -> None:
    client = as_user("district")
    communities = client.get("/api/units/?level=community").json()["items"]
    assert [u["code"] for u in communities] == ["110108001001", "110108001002", "110108002001"]
    children = client.get("/api/units/?parent=110108001001").json()["items"]
    assert [u["code"] for u in children] == ["110108001001A1", "110108001001A2"]
    assert children[0] == {
        "code": "110108001001A1",
        "name": "翠微一网格",
        "level": "grid",
        "parent_code": "110108001001",
    }
