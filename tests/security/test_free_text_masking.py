"""Issue 11, finding 2: an ID or phone number typed into free text (a service note, a status's
employer or cause, a recognition note, an address, a ten-clears field, an assistance step, a
checklist note) is masked on its way out, on every page and in the masked export, like the
structured fields."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jiuye.casework import services as casework
from jiuye.ledger.export import export_ledgers
from jiuye.registry import services as registry
from jiuye.registry.models import Status
from tests.conftest import FAKE_PHONE, make_id

TODAY = date(2026, 11, 20)


@pytest.fixture
def typed(tree: dict[str, Any], personas: dict[str, Any]) -> dict[str, Any]:
    """A person whose free-text fields hold another person's full ID number and a phone."""
    leaked_id = make_id(date(1979, 4, 5), male=False, region="110105")
    text = f"联系人身份证{leaked_id}，电话{FAKE_PHONE}"
    worker = personas["worker_a"]
    household = registry.household_create(
        actor=worker, number="H-TEXT", unit=tree["a"], hukou_type="urban", address=text
    )
    person = registry.person_create(
        actor=worker, id_number=make_id(date(1980, 1, 1)), name="自由文本", household=household
    )
    registry.person_change_status(
        actor=worker,
        person=person,
        status=Status.UNEMPLOYED,
        since=date(2026, 3, 2),
        registered=True,
        employer=text,
        cause=text,
    )
    registry.recognition_create(
        actor=worker, person=person, category="other", recognized_on=date(2026, 3, 3), note=text
    )
    casework.service_record_create(
        actor=worker, person=person, kind="guidance", on=date(2026, 3, 4), note=text
    )
    casework.service_record_create(
        actor=worker,
        person=person,
        kind="policy",
        on=date(2026, 3, 5),
        policy_name=text,
        note=text,
    )
    casework.profile_update(
        actor=worker,
        person=person,
        family_situation=text,
        training_need=text,
        destination=text,
        policies=text,
        social_insurance=text,
    )
    case = casework.assistance_open(actor=worker, person=person, on=date(2026, 3, 6), note=text)
    return {
        "person": person,
        "household": household,
        "case": case,
        "numbers": (leaked_id, FAKE_PHONE),
    }


def _pages(typed: dict[str, Any]) -> list[str]:
    person, household, case = typed["person"], typed["household"], typed["case"]
    return [
        reverse("person_detail", args=[person.pk]),
        reverse("person_list"),
        reverse("household_detail", args=[household.pk]),
        reverse("household_list"),
        reverse("casework:person", args=[person.pk]),
        reverse("casework:household", args=[household.pk]),
        reverse("casework:assistance", args=[case.pk]),
        reverse("casework:worklist"),
        reverse("casework:zero_families"),
        reverse("casework:ten_clears"),
        reverse("casework:ledger", args=["services"]),
        reverse("casework:ledger", args=["policy"]),
    ]


def test_no_full_number_on_any_page(client, personas, typed):
    client.force_login(personas["worker_a"])
    for url in _pages(typed):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for number in typed["numbers"]:
            assert number not in body, url
    # …and the masked forms are there instead (the text itself is not hidden).
    body = client.get(reverse("casework:person", args=[typed["person"].pk])).content.decode()
    assert "139****5678" in body and "11" + "*" * 16 in body


def test_no_full_number_in_the_masked_export(tree, personas, typed):
    stream = io.BytesIO()
    export_ledgers(actor=personas["worker_a"], unit=tree["a"], target=stream, on=TODAY)
    workbook = load_workbook(io.BytesIO(stream.getvalue()), read_only=True)
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    text = "\n".join(cells)
    for number in typed["numbers"]:
        assert number not in text
    assert "139****5678" in text
