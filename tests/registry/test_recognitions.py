"""Difficulty recognitions (认定, DOMAIN §3): each category checked against the registry on its
recognition date, refused with its reason when the registry contradicts it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from jiuye.registry import services
from jiuye.registry.models import DifficultyRecognition, Household, Person, Status
from tests.conftest import FAKE_PHONE, make_id


def _household(tree: dict[str, Any], number: str, **fields: Any) -> Household:
    return services.household_create(
        actor=None, number=number, unit=tree["a"], hukou_type="urban", **fields
    )


def _person(
    household: Household, birth: date, *events: tuple[str, date], male: bool = True, **fields: Any
) -> Person:
    person = services.person_create(
        actor=None,
        id_number=make_id(birth, male=male),
        name="困难",
        household=household,
        **fields,
    )
    for status, since in events:
        services.person_change_status(
            actor=None,
            person=person,
            status=status,
            since=since,
            registered=status == Status.UNEMPLOYED,
        )
    return person


def _recognise(person: Person, category: str, day: date, note: str = "") -> DifficultyRecognition:
    return services.recognition_create(
        actor=None, person=person, category=category, recognized_on=day, note=note
    )


def _refused(person: Person, category: str, day: date, code: str, note: str = "") -> None:
    with pytest.raises(ValidationError) as caught:
        _recognise(person, category, day, note)
    assert caught.value.code == code
    assert not DifficultyRecognition.objects.filter(person=person).exists()


CASES_4050 = [
    # (birth, male, status on the day, day, eligible)
    (date(1986, 3, 10), False, Status.UNEMPLOYED, date(2026, 3, 10), True),  # 40th birthday
    (date(1986, 3, 10), False, Status.UNEMPLOYED, date(2026, 3, 9), False),  # the day before
    (date(1976, 3, 10), True, Status.UNEMPLOYED, date(2026, 3, 10), True),  # man, 50
    (date(1980, 3, 10), True, Status.UNEMPLOYED, date(2026, 3, 10), False),  # man, 46
    (date(1970, 3, 10), True, Status.UNIT, date(2026, 3, 10), False),  # employed
    (date(1970, 3, 10), True, None, date(2026, 3, 10), False),  # status unknown that day
]


@pytest.mark.parametrize(("birth", "male", "status", "day", "eligible"), CASES_4050)
def test_4050_on_its_date(tree, birth, male, status, day, eligible):
    events = ((status, date(2025, 1, 1)),) if status else ()
    person = _person(_household(tree, "H4050"), birth, *events, male=male)
    if eligible:
        assert _recognise(person, "4050", day).ended_on is None
    else:
        _refused(person, "4050", day, "not_4050")


@pytest.mark.parametrize(("dibao", "accepted"), [(True, True), (False, False)])
def test_dibao_needs_a_dibao_household(tree, dibao, accepted):
    person = _person(_household(tree, "H-dibao", dibao=dibao), date(1985, 1, 1))
    if accepted:
        _recognise(person, "dibao", date(2026, 1, 5))
    else:
        _refused(person, "dibao", date(2026, 1, 5), "not_dibao")


@pytest.mark.parametrize(
    ("category", "flag", "code"),
    [("disabled", "disabled", "not_disabled"), ("landless", "landless", "not_landless")],
)
@pytest.mark.parametrize("flagged", [True, False])
def test_flag_categories_need_the_flag(tree, category, flag, code, flagged):
    person = _person(_household(tree, "H-flag"), date(1985, 1, 1), **{flag: flagged})
    if flagged:
        _recognise(person, category, date(2026, 1, 5))
    else:
        _refused(person, category, date(2026, 1, 5), code)


def test_zero_family_while_another_member_works_is_refused(tree):
    household = _household(tree, "H-zero")
    jobless = _person(household, date(1985, 1, 1), (Status.UNEMPLOYED, date(2026, 1, 5)))
    earner = _person(household, date(1983, 1, 1), (Status.UNIT, date(2020, 1, 1)))
    _refused(jobless, "zero_family", date(2026, 2, 1), "not_zero_family")
    services.person_change_status(
        actor=None, person=earner, status=Status.UNEMPLOYED, since=date(2026, 3, 1)
    )
    # The day before the household became a zero family, and the day it did.
    _refused(jobless, "zero_family", date(2026, 2, 28), "not_zero_family")
    _recognise(jobless, "zero_family", date(2026, 3, 1))


@pytest.mark.parametrize(
    ("registered_on", "day", "accepted"),
    [
        (date(2025, 3, 1), date(2026, 3, 1), True),  # a continuous year on the anniversary
        (date(2025, 3, 1), date(2026, 2, 28), False),  # one day short
        (date(2026, 1, 1), date(2026, 1, 10), False),  # 9 days
        (date(2024, 2, 29), date(2025, 2, 28), True),  # 29 Feb turns a year old on 28 Feb
    ],
)
def test_long_term_needs_a_year_of_registration(tree, registered_on, day, accepted):
    person = _person(
        _household(tree, "H-long"), date(1985, 1, 1), (Status.UNEMPLOYED, registered_on)
    )
    if accepted:
        _recognise(person, "long_term", day)
    else:
        _refused(person, "long_term", day, "not_long_term")


def test_long_term_counts_the_registration_in_force_only(tree):
    person = _person(
        _household(tree, "H-gap"),
        date(1985, 1, 1),
        (Status.UNEMPLOYED, date(2024, 1, 1)),
        (Status.UNIT, date(2025, 6, 1)),
        (Status.UNEMPLOYED, date(2025, 9, 1)),
    )
    # Registered since 2025-09-01 again: the earlier spell does not count.
    _refused(person, "long_term", date(2026, 3, 1), "not_long_term")


def test_other_needs_a_note(tree):
    person = _person(_household(tree, "H-other"), date(1985, 1, 1))
    _refused(person, "other", date(2026, 1, 5), "other_note_required")
    _recognise(person, "other", date(2026, 1, 5), note="重大疾病家庭")


def test_recognition_end_before_start_is_refused(tree):
    person = _person(_household(tree, "H-end"), date(1990, 1, 1), disabled=True)
    with pytest.raises(ValidationError):
        services.recognition_create(
            actor=None,
            person=person,
            category="disabled",
            recognized_on=date(2026, 1, 5),
            ended_on=date(2026, 1, 4),
        )
    rec = _recognise(person, "disabled", date(2026, 1, 5))
    with pytest.raises(ValidationError):
        services.recognition_end(actor=None, recognition=rec, ended_on=date(2026, 1, 4))
    services.recognition_end(actor=None, recognition=rec, ended_on=date(2026, 1, 5))
    rec.refresh_from_db()
    assert rec.ended_on == date(2026, 1, 5)


def test_refusal_is_worded_in_the_users_language(tree):
    from django.utils import translation

    person = _person(_household(tree, "H-lang"), date(1985, 1, 1))
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        _recognise(person, "disabled", date(2026, 1, 5))
    assert "not marked disabled" in caught.value.messages[0]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        _recognise(person, "disabled", date(2026, 1, 5))
    assert "未标记残疾" in caught.value.messages[0]


def test_every_write_is_audited_without_full_numbers(tree):
    from jiuye.audit.models import AuditEntry

    person = _person(_household(tree, "H-audit"), date(1990, 1, 1))
    services.person_update(actor=None, person=person, phone=FAKE_PHONE)
    entry = AuditEntry.objects.filter(action="person.update").get()
    assert entry.changes["phone"][1] == "139****5678"
    created = AuditEntry.objects.filter(action="person.create").get()
    assert person.id_number not in str(created.changes)
    assert created.changes["id_number"][1] == person.id_number[:2] + "*" * 16
