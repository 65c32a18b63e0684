"""No full ID number or phone number (nor a birth date that would rebuild the ID) in any JSON
the API returns, checked against the real stored values."""

from __future__ import annotations

from typing import Any

from django.test import Client

from jiuye.lib.masking import mask_id_number, mask_phone
from jiuye.registry.models import Person
from tests.api.conftest import bearer, token_for


def _every_response(registry: dict[str, Any], client: Client, headers: dict[str, str]) -> str:
    urls = ["/api/me/", "/api/units/", "/api/persons/?limit=500", "/api/households/?limit=500"]
    urls += [f"/api/persons/{p.pk}/" for p in Person.objects.all()]
    urls += [f"/api/households/{registry[k].pk}/" for k in ("hh_a", "hh_b", "hh_c")]
    bodies = []
    for url in urls:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        bodies.append(response.content.decode("utf-8"))
    return "\n".join(bodies)


def test_no_full_id_or_phone_anywhere(registry: dict[str, Any], personas: dict[str, Any]) -> None:
    text = _every_response(registry, Client(), bearer(token_for(personas["district"])))
    persons = list(Person.objects.all())
    assert len(persons) == 4
    for person in persons:
        assert person.id_number not in text
        assert person.phone and person.phone not in text
        assert person.birth_date.strftime("%Y%m%d") not in text
        assert person.birth_date.isoformat() not in text
        assert mask_id_number(person.id_number) in text
        assert mask_phone(person.phone) in text


def test_masked_shapes(registry: dict[str, Any], as_user: Any) -> None:
    pa = registry["pa"]
    body = as_user("worker_a").get(f"/api/persons/{pa.pk}/").json()
    assert body["id_number_masked"] == pa.id_number[:2] + "*" * 16
    assert body["phone_masked"] == pa.phone[:3] + "****" + pa.phone[-4:]
    listed = as_user("worker_a").get("/api/persons/").json()["items"]
    assert {p["id_number_masked"] for p in listed} == {
        mask_id_number(registry[k].id_number) for k in ("pa", "pa2")
    }


def test_free_text_is_masked_too(registry: dict[str, Any], as_user: Any) -> None:
    pa = registry["pa"]
    other = registry["pb"]
    pa.recognitions.update(note=f"联系 {other.phone}，证件 {other.id_number}")
    text = as_user("district").get(f"/api/persons/{pa.pk}/").content.decode("utf-8")
    assert other.phone not in text and other.id_number not in text
