"""Difficulty recognitions and the 4050 category (DOMAIN §3)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from jiuye.registry import services
from jiuye.registry.models import Status
from tests.conftest import FAKE_PHONE, make_id


def _person(tree, birth, *, male):
    hh = services.household_create(
        actor=None, number=f"H{birth:%Y%m%d}{int(male)}", unit=tree["a"], hukou_type="urban"
    )
    return services.person_create(
        actor=None, id_number=make_id(birth, male=male), name="困难", household=hh
    )


CASES_4050 = [
    # (birth, male, status on the day, day, eligible)
    (date(1986, 3, 10), False, Status.UNEMPLOYED, date(2026, 3, 10), True),  # 40th birthday
    (date(1986, 3, 10), False, Status.UNEMPLOYED, date(2026, 3, 9), False),  # the day before
    (date(1976, 3, 10), True, Status.UNEMPLOYED, date(2026, 3, 10), True),  # man, 50
    (date(1980, 3, 10), True, Status.UNEMPLOYED, date(2026, 3, 10), False),  # man, 46
    (date(1970, 3, 10), True, Status.UNIT, date(2026, 3, 10), False),  # employed
]


@pytest.mark.parametrize(("birth", "male", "status", "day", "eligible"), CASES_4050)
def test_4050_follows_from_age_and_status(tree, birth, male, status, day, eligible):
    person = _person(tree, birth, male=male)
    services.person_change_status(actor=None, person=person, status=status, since=date(2025, 1, 1))
    assert services.is_4050(person, day) is eligible
    if eligible:
        rec = services.recognition_create(
            actor=None, person=person, category="4050", recognized_on=day
        )
        assert rec.ended_on is None
    else:
        with pytest.raises(ValidationError):
            services.recognition_create(
                actor=None, person=person, category="4050", recognized_on=day
            )


def test_recognition_end_before_start_is_refused(tree):
    person = _person(tree, date(1990, 1, 1), male=True)
    with pytest.raises(ValidationError):
        services.recognition_create(
            actor=None,
            person=person,
            category="disabled",
            recognized_on=date(2026, 1, 5),
            ended_on=date(2026, 1, 4),
        )
    rec = services.recognition_create(
        actor=None, person=person, category="disabled", recognized_on=date(2026, 1, 5)
    )
    with pytest.raises(ValidationError):
        services.recognition_end(actor=None, recognition=rec, ended_on=date(2026, 1, 4))
    services.recognition_end(actor=None, recognition=rec, ended_on=date(2026, 1, 5))
    rec.refresh_from_db()
    assert rec.ended_on == date(2026, 1, 5)


def test_every_write_is_audited_without_full_numbers(tree):
    from jiuye.audit.models import AuditEntry

    person = _person(tree, date(1990, 1, 1), male=True)
    services.person_update(actor=None, person=person, phone=FAKE_PHONE)
    entry = AuditEntry.objects.filter(action="person.update").get()
    assert entry.changes["phone"][1] == "139****5678"
    created = AuditEntry.objects.filter(action="person.create").get()
    assert person.id_number not in str(created.changes)
    assert person.id_number[:6] in created.changes["id_number"][1]
