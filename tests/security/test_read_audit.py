"""Reads of residents' data leave a trace (issue 11, finding 10): every page, API answer and
export that shows persons writes one audit row per request naming the ids it showed (never
names or numbers), and the auditor's log answers "who looked at this person".

The finding: all 20,000 persons through 40 API calls left one audit row, the login. Here a
smaller registry is paged the same way: one row per page, the pages' ids together all persons.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import make_id

CROWD = 60  # persons in community A (grid A1 and A2), three to a household
PAGE = 25


@pytest.fixture
def crowd(tree: dict[str, Any]) -> dict[str, Any]:
    from jiuye.registry import services

    households, persons = [], []
    for h in range(CROWD // 3):
        unit = tree["a1"] if h % 2 else tree["a2"]
        household = services.household_create(
            actor=None, number=f"RA-{h:03d}", unit=unit, hukou_type="urban"
        )
        households.append(household)
        for m in range(3):
            persons.append(
                services.person_create(
                    actor=None,
                    id_number=make_id(date(1970 + m, 1 + h % 12, 1 + m)),
                    name=f"读{h}-{m}",
                    household=household,
                )
            )
    other = services.household_create(actor=None, number="RB-1", unit=tree["b"], hukou_type="urban")
    stranger = services.person_create(
        actor=None, id_number=make_id(date(1982, 4, 4)), name="外人", household=other
    )
    return {"households": households, "persons": persons, "stranger": stranger}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reads(since: int) -> list[Any]:
    from jiuye.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(pk__gt=since, action__startswith="read.").order_by("id"))


def _last_id() -> int:
    from jiuye.audit.models import AuditEntry

    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _no_personal_values(entry: Any, crowd: dict[str, Any]) -> None:
    text = str(entry.changes)
    for person in [*crowd["persons"], crowd["stranger"]]:
        assert person.id_number not in text and person.name not in text


def test_paging_the_api_leaves_one_row_per_page_naming_the_ids(
    crowd: dict[str, Any], personas: dict[str, Any]
) -> None:
    client = _client(personas["worker_a"])
    start = _last_id()
    pages, offset, seen = 0, 0, []
    while True:
        answer = client.get("/api/persons/", {"limit": PAGE, "offset": offset}).json()
        if not answer["items"]:
            break
        pages += 1
        seen += [item["id"] for item in answer["items"]]
        offset += PAGE
    reads = _reads(start)
    # One row per page that showed persons (the empty page after the last showed nobody).
    assert len(reads) == pages == -(-CROWD // PAGE)
    assert {e.action for e in reads} == {"read.api.persons_list"}
    assert {e.actor_name for e in reads} == {"worker_a"}
    named = [pk for e in reads for pk in e.changes["persons"]]
    assert sorted(named) == sorted(seen) == sorted(p.pk for p in crowd["persons"])
    assert [e.changes["offset"] for e in reads] == [0, PAGE, 2 * PAGE]
    for entry in reads:
        _no_personal_values(entry, crowd)


def test_every_page_that_shows_persons_is_one_audit_row(
    crowd: dict[str, Any], personas: dict[str, Any]
) -> None:
    person = crowd["persons"][4]
    household = person.household
    members = sorted(p.pk for p in crowd["persons"] if p.household_id == household.pk)
    client = _client(personas["worker_a"])
    cases = [
        (reverse("person_list"), "read.person_list", None),
        (reverse("person_detail", args=[person.pk]), "read.person_detail", members),
        (reverse("household_list"), "read.household_list", []),
        (reverse("household_detail", args=[household.pk]), "read.household_detail", members),
        (reverse("casework:person", args=[person.pk]), "read.casework.person", [person.pk]),
        (reverse("casework:household", args=[household.pk]), "read.casework.household", members),
        (f"/api/persons/{person.pk}/", "read.api.person", [person.pk]),
        (f"/api/households/{household.pk}/", "read.api.household", members),
        ("/api/households/", "read.api.households_list", []),
    ]
    for url, action, persons in cases:
        start = _last_id()
        assert client.get(url).status_code == 200, url
        reads = _reads(start)
        assert [e.action for e in reads] == [action], url
        entry = reads[0]
        assert entry.actor_name == "worker_a"
        if persons is None:  # a list page: the page's persons (50 of them)
            assert len(entry.changes["persons"]) == 50 == entry.changes["count"]
        else:
            assert entry.changes.get("persons", []) == persons, url
        if "household" in action:
            assert entry.changes["households"], url
        _no_personal_values(entry, crowd)
    # A page that shows nobody records nothing (a search without a match).
    start = _last_id()
    found = client.get(reverse("person_list"), {"q": "没有这个人"}, follow=True)
    assert found.status_code == 200 and not found.context["page"].object_list
    assert _reads(start) == []


def test_the_auditor_finds_who_looked_at_a_person(
    crowd: dict[str, Any], personas: dict[str, Any], tmp_path: Any
) -> None:
    from jiuye.ledger.export import export_ledgers

    person, stranger = crowd["persons"][0], crowd["stranger"]
    _client(personas["worker_a"]).get(reverse("person_detail", args=[person.pk]))
    _client(personas["street"]).get("/api/persons/", {"limit": 500})
    _client(personas["worker_b"]).get(reverse("person_detail", args=[stranger.pk]))
    export_ledgers(
        actor=personas["district"],
        unit=person.community,
        target=tmp_path / "a.xlsx",
        on=date(2026, 11, 30),
    )
    auditor = _client(personas["auditor"])
    response = auditor.get(reverse("audit_log"), {"person": person.pk})
    assert response.status_code == 200
    found = {(e.actor_name, e.action) for e in response.context["page"].object_list}
    assert found == {
        ("system", "person.create"),
        ("worker_a", "read.person_detail"),
        ("street_s1", "read.api.persons_list"),
        ("district", "export"),
    }
    page = response.content.decode()
    assert f'href="?person={person.pk}"' in page  # entries about them link to this filter
    # Someone else's reads are not about them.
    others = auditor.get(reverse("audit_log"), {"person": stranger.pk}).context["page"]
    assert ("worker_a", "read.person_detail") not in {
        (e.actor_name, e.action) for e in others.object_list
    }
    assert ("worker_b", "read.person_detail") in {
        (e.actor_name, e.action) for e in others.object_list
    }


def test_a_large_export_names_every_person_in_chunks(db: Any) -> None:
    from jiuye.audit.models import AuditEntry
    from jiuye.audit.selectors import about_person
    from jiuye.audit.services import READ_CHUNK, audit_export

    ids = list(range(1, 2 * READ_CHUNK + 1001))
    start = _last_id()
    entry = audit_export(actor=None, what="ledgers", filters={}, rows=len(ids), persons=ids)
    rows = list(AuditEntry.objects.filter(pk__gt=start).order_by("id"))
    assert rows[0] == entry and [r.action for r in rows] == ["export"] + ["export.persons"] * 2
    assert [len(r.changes["persons"]) for r in rows] == [READ_CHUNK, READ_CHUNK, 1000]
    last = AuditEntry.objects.filter(about_person(ids[-1]))
    assert [r.action for r in last] == ["export.persons"]
    assert not AuditEntry.objects.filter(about_person(len(ids) + 1)).exists()


def test_the_log_shows_a_long_read_short(personas: dict[str, Any]) -> None:
    from jiuye.audit.services import audit_read
    from jiuye.audit.views import SHOWN_IDS

    audit_read(actor=personas["worker_a"], what="person_list", persons=range(1, 101))
    response = _client(personas["auditor"]).get(reverse("audit_log"), {"action": "read."})
    page = response.content.decode()
    assert 'name="person"' in page  # the filter "who looked at this person"
    assert "…（共 100 个）" in page
    shown = response.context["page"].object_list[0].shown_changes["persons"]
    assert len(shown) == SHOWN_IDS + 1


def test_the_lists_behind_an_indicator_are_recorded(client, personas, tree):
    """Issue 11, finding 10: the persons behind a figure are residents shown too."""
    from datetime import date

    from django.urls import reverse

    from jiuye.audit.models import AuditEntry
    from jiuye.registry import services
    from tests.conftest import make_id

    worker = personas["worker_a"]
    household = services.household_create(
        actor=worker, number="H-BEHIND", unit=tree["a"], hukou_type="urban"
    )
    person = services.person_create(
        actor=worker, id_number=make_id(date(1985, 1, 1)), name="背后", household=household
    )
    services.person_change_status(
        actor=worker, person=person, status="unemployed", since=date(2026, 1, 5)
    )
    client.force_login(worker)
    url = reverse("standards:behind", args=[tree["a"].code, "employment_rate"])
    response = client.get(url, {"ruleset": "HD-2012", "date": "2026-06-30"})
    assert response.status_code == 200 and "背后" in response.content.decode()
    row = AuditEntry.objects.filter(action="read.standards.behind").latest("id")
    assert person.pk in row.changes["persons"]
