"""Revealing a full number from the person page: permission, reason, jurisdiction, audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiuye.audit.models import AuditEntry
from jiuye.lib.masking import mask_id_number


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def revealer(personas: dict[str, Any]) -> Any:
    user = personas["worker_a"]
    user.can_reveal = True
    user.save(update_fields=["can_reveal"])
    return user


def _reveal(client: Client, person: Any, field: str, reason: str, **headers: str) -> Any:
    url = reverse("person_reveal", args=[person.pk])
    return client.post(url, {"field": field, "reason": reason}, **headers)


def test_page_shows_no_birth_date_beside_the_masked_number(people, personas):
    """The masked middle of an ID number is the birth date: the page shows the age instead."""
    zhang = people["zhang"]
    html = _client(personas["worker_a"]).get(reverse("person_detail", args=[zhang.pk]))
    text = html.content.decode()
    assert mask_id_number(zhang.id_number) in text
    assert zhang.birth_date.strftime("%Y-%m-%d") not in text
    assert zhang.retire_on.strftime("%Y-%m-%d") not in text
    assert "查看完整号码" not in text  # worker_a has no reveal grant yet


def test_reveal_with_reason_shows_the_number_and_audits_it(people, revealer):
    zhang = people["zhang"]
    client = _client(revealer)
    assert "查看完整号码" in client.get(reverse("person_detail", args=[zhang.pk])).content.decode()
    response = _reveal(client, zhang, "id_number", "核对失业登记材料")
    assert response.status_code == 200
    assert zhang.id_number in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.filter(action="person.reveal").latest("id")
    assert (entry.actor_id, entry.result) == (revealer.pk, "ok")
    assert entry.changes == {"field": "id_number", "reason": "核对失业登记材料"}
    assert zhang.id_number not in str(entry.changes)


@pytest.mark.parametrize(
    ("reason", "status"), [("", 400), ("查看", 400), ("abc", 400), ("核对材料", 200)]
)
def test_reason_is_required(people, revealer, reason, status):
    response = _reveal(_client(revealer), people["zhang"], "phone", reason)
    assert response.status_code == status
    assert (people["zhang"].phone in response.content.decode()) is (status == 200)


def test_without_grant_is_refused_and_audited(people, personas):
    response = _reveal(_client(personas["worker_a"]), people["zhang"], "id_number", "核对材料")
    assert response.status_code == 403
    assert people["zhang"].id_number not in response.content.decode()
    assert AuditEntry.objects.filter(action="person.reveal", result="denied").exists()


def test_foreign_person_is_404_even_with_grant(people, revealer):
    response = _reveal(_client(revealer), people["wang"], "id_number", "核对材料")
    assert response.status_code == 404


def test_htmx_gets_the_error_fragment_with_200(people, revealer):
    response = _reveal(_client(revealer), people["zhang"], "id_number", "", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "查看原因" in response.content.decode()


def test_get_is_not_allowed(people, revealer):
    url = reverse("person_reveal", args=[people["zhang"].pk])
    assert _client(revealer).get(url).status_code == 405
