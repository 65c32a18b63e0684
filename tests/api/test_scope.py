"""Personas × endpoints: every read goes through the jurisdiction scope; a foreign object is
404 (never 403), and a role without personal-data access sees no persons or households."""

from __future__ import annotations

from typing import Any

import pytest

PERSONS_SEEN = {
    "worker_a": {"pa", "pa2"},
    "worker_b": {"pb"},
    "grid_a1": {"pa", "pa2"},
    "street": {"pa", "pa2", "pb"},
    "district": {"pa", "pa2", "pb", "pc"},
    "auditor": set(),
    "sysadmin": set(),
    "secadmin": set(),
    "nobody": set(),
}
HOUSEHOLDS_SEEN = {
    "worker_a": {"hh_a"},
    "worker_b": {"hh_b"},
    "grid_a1": {"hh_a"},
    "street": {"hh_a", "hh_b"},
    "district": {"hh_a", "hh_b", "hh_c"},
    "auditor": set(),
    "sysadmin": set(),
    "secadmin": set(),
    "nobody": set(),
}
# Units are not personal data: every role sees its own units and those below.
UNITS_SEEN = {
    "worker_a": {"110108001001", "110108001001A1", "110108001001A2"},
    "worker_b": {"110108001002"},
    "grid_a1": {"110108001001A1"},
    "street": {"110108001", "110108001001", "110108001001A1", "110108001001A2", "110108001002"},
    "district": {
        "110108",
        "110108001",
        "110108002",
        "110108001001",
        "110108001001A1",
        "110108001001A2",
        "110108001002",
        "110108002001",
    },
    "nobody": set(),
}
for _role in ("auditor", "sysadmin", "secadmin"):
    UNITS_SEEN[_role] = UNITS_SEEN["district"]
ALL_UNITS = UNITS_SEEN["district"]


@pytest.mark.parametrize("persona", sorted(PERSONS_SEEN))
def test_person_list_and_detail(persona: str, registry: dict[str, Any], as_user: Any) -> None:
    client = as_user(persona)
    body = client.get("/api/persons/").json()
    seen = {registry[k].pk for k in PERSONS_SEEN[persona]}
    assert {p["id"] for p in body["items"]} == seen
    assert body["count"] == len(seen)
    for key in ("pa", "pa2", "pb", "pc"):
        response = client.get(f"/api/persons/{registry[key].pk}/")
        assert response.status_code == (200 if key in PERSONS_SEEN[persona] else 404), key


@pytest.mark.parametrize("persona", sorted(HOUSEHOLDS_SEEN))
def test_household_list_and_detail(persona: str, registry: dict[str, Any], as_user: Any) -> None:
    client = as_user(persona)
    body = client.get("/api/households/").json()
    assert {h["id"] for h in body["items"]} == {registry[k].pk for k in HOUSEHOLDS_SEEN[persona]}
    for key in ("hh_a", "hh_b", "hh_c"):
        response = client.get(f"/api/households/{registry[key].pk}/")
        assert response.status_code == (200 if key in HOUSEHOLDS_SEEN[persona] else 404), key


@pytest.mark.parametrize("persona", sorted(UNITS_SEEN))
def test_unit_list_and_detail(persona: str, registry: dict[str, Any], as_user: Any) -> None:
    client = as_user(persona)
    body = client.get("/api/units/").json()
    assert {u["code"] for u in body["items"]} == UNITS_SEEN[persona]
    for code in ALL_UNITS:
        response = client.get(f"/api/units/{code}/")
        assert response.status_code == (200 if code in UNITS_SEEN[persona] else 404), code


def test_foreign_and_missing_objects_are_the_same_404(
    registry: dict[str, Any], as_user: Any
) -> None:
    client = as_user("worker_a")
    foreign = client.get(f"/api/persons/{registry['pb'].pk}/")
    missing = client.get("/api/persons/987654321/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_unit_detail_lists_only_visible_children(registry: dict[str, Any], as_user: Any) -> None:
    street = as_user("street").get("/api/units/110108001/").json()
    assert street["parent_code"] == "110108"
    assert [c["code"] for c in street["children"]] == ["110108001001", "110108001002"]
    worker = as_user("worker_a").get("/api/units/110108001001/").json()
    assert [c["code"] for c in worker["children"]] == ["110108001001A1", "110108001001A2"]


def test_household_members_are_scoped_and_masked(registry: dict[str, Any], as_user: Any) -> None:
    body = as_user("worker_a").get(f"/api/households/{registry['hh_a'].pk}/").json()
    assert body["number"] == "HA001" and body["dibao"] is True
    assert body["community_code"] == "110108001001" and body["grid_code"] == "110108001001A1"
    assert body["member_count"] == 2
    assert [m["name"] for m in body["members"]] == ["张甲", "李乙"]
    assert body["members"][0]["id_number_masked"] == (registry["pa"].id_number[:2] + "*" * 16)


@pytest.mark.parametrize(
    ("persona", "role", "codes", "personal"),
    [
        ("worker_a", "worker", ["110108001001"], True),
        ("street", "street", ["110108001"], True),
        ("auditor", "auditor", ["110108"], False),
        ("nobody", "worker", [], True),
    ],
)
def test_me(
    persona: str,
    role: str,
    codes: list[str],
    personal: bool,
    personas: dict[str, Any],
    as_user: Any,
) -> None:
    body = as_user(persona).get("/api/me/").json()
    assert body["username"] == personas[persona].username
    assert body["role"] == role
    assert [u["code"] for u in body["units"]] == codes
    assert body["sees_personal_data"] is personal
