"""Who writes residents' data, asked of the services themselves (issue 11, finding 4).

Every service of ``registry.services`` and ``casework.services`` that takes an ``actor`` is in
:data:`CALLS` (a new one fails :func:`test_every_write_service_is_covered`), and each is called by
every persona on objects in grid A1, community A (outside any grid), sibling community B and
community C of the other street: the community's workers and the grid's coordinator write (and
the data changes), ``actor=None`` (a system job: the command line, the seed) writes anywhere;
the street reviewer and the district administrator, the three administrators, a worker of
another community and a coordinator outside their grid are refused with ``PermissionDenied``
and nothing changes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from tests.conftest import make_id
from tests.security.test_permission_matrix import WRITES, resident_rows

DAY = date(2026, 3, 10)
TODAY = date(2026, 11, 30)
PLACES = ("A1", "A", "B", "C")
ACTORS = [
    "worker_a",
    "worker_b",
    "grid_a1",
    "street",
    "district",
    "sysadmin",
    "secadmin",
    "auditor",
    "nobody",
    None,
]
# Derived from the registry, not a decision of their caller (whose write was checked): the
# zero-family cases follow every status change, whoever made it.
DERIVED = {"zero_family_sync", "zero_family_sync_unit"}

_numbers = iter(range(1, 10_000))


def _n() -> int:
    return next(_numbers)


Call = Callable[[Any, dict[str, Any]], Any]


def _registry() -> Any:
    from jiuye.registry import services

    return services


def _casework() -> Any:
    from jiuye.casework import services

    return services


CALLS: dict[str, Call] = {
    "household_create": lambda a, o: _registry().household_create(
        actor=a, number=f"W-{_n()}", unit=o["unit"], hukou_type="urban"
    ),
    "person_create": lambda a, o: _registry().person_create(
        actor=a, id_number=make_id(date(1990, 2, 3)), name="新登记", household=o["household"]
    ),
    "person_update": lambda a, o: _registry().person_update(
        actor=a, person=o["person"], education="大专"
    ),
    "person_move": lambda a, o: _registry().person_move(
        actor=a, person=o["person"], household=o["household2"]
    ),
    "household_set_head": lambda a, o: _registry().household_set_head(actor=a, person=o["person"]),
    "person_change_status": lambda a, o: _registry().person_change_status(
        actor=a, person=o["person"], status="unit", since=DAY, employer="某公司"
    ),
    "status_event_delete": lambda a, o: _registry().status_event_delete(
        actor=a, event=o["person"].status_events.get(), reason="录入错误"
    ),
    "recognition_create": lambda a, o: _registry().recognition_create(
        actor=a, person=o["person"], category="other", recognized_on=DAY, note="家庭困难"
    ),
    "recognition_end": lambda a, o: _registry().recognition_end(
        actor=a, recognition=o["recognition"], ended_on=DAY
    ),
    "service_record_create": lambda a, o: _casework().service_record_create(
        actor=a, person=o["person"], kind="guidance", on=DAY, today=TODAY
    ),
    "service_record_delete": lambda a, o: _casework().service_record_delete(
        actor=a, record=o["service"], reason="录入错误"
    ),
    "profile_update": lambda a, o: _casework().profile_update(
        actor=a, person=o["person"], family_situation="三口之家"
    ),
    "assistance_open": lambda a, o: _casework().assistance_open(
        actor=a, person=o["other"], on=DAY, today=TODAY
    ),
    "assistance_step_record": lambda a, o: _casework().assistance_step_record(
        actor=a, case=o["case"], kind="verification", on=DAY, today=TODAY
    ),
    "zero_family_assign": lambda a, o: _casework().zero_family_assign(
        actor=a, case=o["zero"], user=o["assignee"]
    ),
}


def test_every_write_service_is_covered() -> None:
    from jiuye.casework import services as casework
    from jiuye.registry import services as registry

    found = {
        name
        for module in (registry, casework)
        for name, function in vars(module).items()
        if inspect.isfunction(function)
        and function.__module__ == module.__name__
        and not name.startswith("_")
        and "actor" in inspect.signature(function).parameters
    }
    assert found - DERIVED == set(CALLS), "add the new write service to CALLS"


def fresh(objects: dict[str, Any]) -> dict[str, Any]:
    """The place's objects read again (a call changes the instances it is given)."""
    return {
        key: type(value).objects.get(pk=value.pk) if hasattr(value, "pk") else value
        for key, value in objects.items()
    }


@pytest.fixture
def places(tree: dict[str, Any], personas: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """In each place: two households, a registered unemployed person with a service, a
    recognition and an open assistance case (their household a zero family), and a second
    person without any."""
    from jiuye.casework.models import ZeroFamilyCase

    registry, casework = _registry(), _casework()
    units = {"A1": tree["a1"], "A": tree["a"], "B": tree["b"], "C": tree["c"]}
    out: dict[str, dict[str, Any]] = {}
    for place, unit in units.items():
        hh = registry.household_create(
            actor=None, number=f"WS-{place}", unit=unit, hukou_type="urban"
        )
        hh2 = registry.household_create(
            actor=None, number=f"WS2-{place}", unit=unit, hukou_type="urban"
        )
        who = registry.person_create(
            actor=None, id_number=make_id(date(1980, 1, 15)), name=f"写{place}", household=hh
        )
        other = registry.person_create(
            actor=None, id_number=make_id(date(1985, 5, 6)), name=f"另{place}", household=hh2
        )
        registry.person_change_status(
            actor=None, person=who, status="unemployed", since=date(2026, 3, 2), registered=True
        )
        out[place] = {
            "unit": unit,
            "household": hh,
            "household2": hh2,
            "person": who,
            "other": other,
            "service": casework.service_record_create(
                actor=None, person=who, kind="guidance", on=date(2026, 3, 3), today=TODAY
            ),
            "recognition": registry.recognition_create(
                actor=None,
                person=who,
                category="other",
                recognized_on=date(2026, 3, 4),
                note="长期困难",
            ),
            "case": casework.assistance_open(
                actor=None, person=who, on=date(2026, 3, 4), today=TODAY
            ),
            "zero": ZeroFamilyCase.objects.get(household=hh),
            "assignee": personas["worker_b"],
        }
    return out


@pytest.mark.parametrize("service", sorted(CALLS))
def test_who_writes(
    service: str, places: dict[str, dict[str, Any]], personas: dict[str, Any]
) -> None:
    call = CALLS[service]
    problems: list[str] = []
    for place in PLACES:
        for key in ACTORS:
            actor = personas[key] if key else None
            allowed = key is None or place in WRITES.get(key, set())
            where = f"{service} by {key or 'system'} in {place}"
            with transaction.atomic():
                before = resident_rows()
                try:
                    call(actor, fresh(places[place]))
                except PermissionDenied as refusal:
                    refused: PermissionDenied | None = refusal
                else:
                    refused = None
                changed = resident_rows() != before
                transaction.set_rollback(True)
            if allowed and (refused is not None or not changed):
                problems.append(f"{where}: allowed, but refused={refused} changed={changed}")
            if not allowed:
                if refused is None:
                    problems.append(f"{where}: NOT REFUSED (changed={changed})")
                elif changed:
                    problems.append(f"{where}: refused, but the data changed")
                elif key in ("street", "district") and "只能查阅和审核" not in str(refused):
                    problems.append(f"{where}: a reviewer's refusal should say why: {refused}")
    assert not problems, "\n".join(problems)


def test_assistance_placement_writes_the_status_only_for_writers(
    places: dict[str, dict[str, Any]], personas: dict[str, Any]
) -> None:
    """The placement step records an employment through the registry's status writer: the
    whole step is refused for a reviewer, before anything is written."""
    casework = _casework()
    case = places["A"]["case"]
    worker = personas["worker_a"]
    for kind, on in (("verification", DAY), ("commitment", DAY)):
        casework.assistance_step_record(actor=worker, case=case, kind=kind, on=on, today=TODAY)
    before = resident_rows()
    with pytest.raises(PermissionDenied):
        casework.assistance_step_record(
            actor=personas["street"],
            case=case,
            kind="placement",
            on=DAY,
            status="unit",
            employer="某公司",
            today=TODAY,
        )
    assert resident_rows() == before
    casework.assistance_step_record(
        actor=worker, case=case, kind="placement", on=DAY, status="unit", today=TODAY
    )
    places["A"]["person"].refresh_from_db()
    assert places["A"]["person"].current_status == "unit"


# ---- the pages: no write controls for those who may not write --------------------------------


@pytest.fixture
def web(tree: dict[str, Any], personas: dict[str, Any]) -> Any:
    from django.test import Client

    def client(key: str) -> Client:
        c = Client()
        c.force_login(personas[key])
        return c

    return client


def test_reviewers_see_no_write_forms(
    web: Any, places: dict[str, dict[str, Any]], personas: dict[str, Any]
) -> None:
    from django.urls import reverse

    o = places["A"]
    person_pk, case_pk = o["person"].pk, o["case"].pk
    controls = {
        "casework:person": (
            reverse("casework:person", args=[person_pk]),
            [
                reverse("casework:service_new", args=[person_pk]),
                reverse("casework:profile", args=[person_pk]),
                reverse("casework:employment", args=[person_pk]),
                reverse("casework:assistance_open", args=[person_pk]),
                reverse("casework:service_delete", args=[o["service"].pk]),
            ],
        ),
        "casework:assistance": (
            reverse("casework:assistance", args=[case_pk]),
            ['id="step-form"'],
        ),
        "casework:household": (
            reverse("casework:household", args=[o["household"].pk]),
            [reverse("casework:person", args=[person_pk]) + "#employment"],
        ),
    }
    for key in ("worker_a", "street", "district"):
        client = web(key)
        for name, (url, marks) in controls.items():
            body = client.get(url).content.decode()
            for mark in marks:
                shown = mark in body
                assert shown == (key == "worker_a"), f"{name} as {key}: {mark} shown={shown}"
        # The ledger upload: the street and the district load the employers' sheets only
        # (issue 16), and the page says so; a registry sheet of theirs is refused by the check
        # (tests/ledger/test_who_imports.py).
        home = client.get(reverse("ledger:home")).content.decode()
        assert reverse("ledger:upload") in home
        assert ('id="upload-employers-only"' in home) == (key != "worker_a")


def test_a_reviewers_write_is_a_403_that_says_why(
    web: Any, places: dict[str, dict[str, Any]]
) -> None:
    from django.urls import reverse

    url = reverse("casework:profile", args=[places["A"]["person"].pk])
    response = web("street").post(url, {"family_situation": "三口之家"})
    assert response.status_code == 403
    assert "只能查阅和审核" in response.content.decode()
    # A person outside the jurisdiction is not found, as any foreign object.
    url = reverse("casework:profile", args=[places["C"]["person"].pk])
    assert web("street").post(url, {"family_situation": "三口之家"}).status_code == 404


def test_reviewers_worklist_has_no_action_buttons(
    web: Any, places: dict[str, dict[str, Any]]
) -> None:
    """The worklist shows the same items to the street (a table per community, then the
    community's own list: issue 12), without the buttons that record."""
    from django.urls import reverse

    url = reverse("casework:worklist")
    community = places["A"]["person"].community
    worker = web("worker_a").get(url).content.decode()
    summary = web("street").get(url).content.decode()
    street = web("street").get(url, {"unit": community.code}).content.decode()
    new_service = "/services/new/?kind="
    assert new_service in worker
    assert new_service not in summary and new_service not in street
    assert f'data-unit="{community.code}"' in summary
    assert places["A"]["person"].name in street  # the item itself is shown


def test_a_worker_made_member_of_a_street_writes_nowhere(
    places: dict[str, dict[str, Any]], tree: dict[str, Any]
) -> None:
    """Community workers keep their community's registry (DOMAIN §1): a worker account given a
    street by mistake reads the street but writes in none of its communities."""
    from jiuye.accounts.models import Membership, User
    from jiuye.registry.selectors import persons_visible

    misplaced = User.objects.create_user(username="misplaced", password="x", role="worker")
    Membership.objects.create(user=misplaced, unit=tree["s1"])
    assert persons_visible(user=misplaced).filter(pk=places["A"]["person"].pk).exists()
    for place in ("A1", "A", "B"):
        with pytest.raises(PermissionDenied):
            CALLS["person_update"](misplaced, fresh(places[place]))
