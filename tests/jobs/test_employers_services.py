"""The employers' services per persona (DOMAIN §8, ``jobs.permissions``): the community's workers,
the street and the district keep an employer's data; a sibling community's worker, a grid
coordinator and the auditor do not. Re-recording a report changes nothing; a hire changes the
person's status once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiuye.audit.models import AuditEntry
from jiuye.jobs import selectors, services
from jiuye.jobs.models import ContractEvent, Hire, Layoff, StaffReport
from jiuye.lib.masking import mask_id_number
from jiuye.registry.models import Status
from tests.conftest import make_id
from tests.jobs.fixtures_employers import employers_fixture, make_uscc  # noqa: F401

DAY = date(2026, 3, 10)
TODAY = date(2026, 12, 4)

KEEPS = {
    "worker_a": True,
    "worker_b": False,
    "street": True,
    "district": True,
    "grid_a1": False,
    "auditor": False,
    "sysadmin": False,
    "nobody": False,
}


@pytest.mark.parametrize(("who", "allowed"), KEEPS.items())
def test_who_writes_an_employer_of_community_a(
    personas: dict[str, Any], employers: dict[str, Any], who: str, allowed: bool
) -> None:
    user, employer = personas[who], employers["A"]
    writes = [
        lambda: services.staff_report(actor=user, employer=employer, on=DAY, staff=99, today=TODAY),
        lambda: services.layoff_record(
            actor=user, employer=employer, on=DAY, count=3, reason="停产", today=TODAY
        ),
        lambda: services.contract_record(
            actor=user,
            employer=employer,
            id_number=make_id(date(1990, 1, 1)),
            kind="signed",
            on=DAY,
            term_months=12,
            today=TODAY,
        ),
        lambda: services.employer_update(actor=user, employer=employer, industry="服务业"),
    ]
    for write in writes:
        if allowed:
            write()
        else:
            with pytest.raises(PermissionDenied):
                write()
    if not allowed:
        assert not StaffReport.objects.filter(employer=employer, on=DAY).exists()
        assert not Layoff.objects.exists() and not ContractEvent.objects.exists()


@pytest.mark.parametrize(("who", "allowed"), KEEPS.items())
def test_who_registers_an_employer_in_community_a(
    personas: dict[str, Any], tree: dict[str, Any], who: str, allowed: bool
) -> None:
    def create() -> Any:
        return services.employer_create(
            actor=personas[who], uscc=make_uscc(), name="新公司", unit=tree["a"]
        )

    if allowed:
        assert create().unit == tree["a"]
    else:
        with pytest.raises(PermissionDenied):
            create()


def test_a_grid_employer_is_kept_in_its_community(tree: dict[str, Any]) -> None:
    made = services.employer_create(actor=None, uscc=make_uscc(), name="网格公司", unit=tree["a1"])
    assert made.unit == tree["a"]
    with pytest.raises(ValidationError) as caught:
        services.employer_create(actor=None, uscc=make_uscc(), name="街道公司", unit=tree["s1"])
    assert caught.value.code == "employer_unit"


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("worker_a", {"A"}),
        ("worker_b", {"B"}),
        ("street", {"A", "B"}),
        ("district", {"A", "B", "C"}),
        ("grid_a1", set()),
        ("auditor", set()),
        ("nobody", set()),
    ],
)
def test_employers_visible(
    personas: dict[str, Any], employers: dict[str, Any], who: str, sees: set[str]
) -> None:
    found = set(selectors.employers_visible(user=personas[who]).values_list("pk", flat=True))
    assert found == {employers[k].pk for k in sees}


def test_reports_recorded_again_change_nothing(employers: dict[str, Any]) -> None:
    employer = employers["A"]
    number = make_id(date(1988, 8, 8))

    def record_all() -> None:
        services.staff_report(actor=None, employer=employer, on=DAY, staff=130, today=TODAY)
        services.layoff_record(
            actor=None, employer=employer, on=DAY, count=4, reason="经营困难", today=TODAY
        )
        services.contract_record(
            actor=None,
            employer=employer,
            id_number=number,
            kind="signed",
            on=DAY,
            term_months=36,
            today=TODAY,
        )

    record_all()
    audited = AuditEntry.objects.count()
    rows = (StaffReport.objects.count(), Layoff.objects.count(), ContractEvent.objects.count())
    record_all()
    assert AuditEntry.objects.count() == audited
    assert rows == (
        StaffReport.objects.count(),
        Layoff.objects.count(),
        ContractEvent.objects.count(),
    )
    event = ContractEvent.objects.get()
    assert number not in (event.employee_masked, event.employee_key)
    assert event.employee_masked == mask_id_number(number)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "signed", "term_months": None}, "term_required"),
        ({"kind": "renewed", "term_months": 0}, "term_required"),
        ({"kind": "ended", "term_months": 12}, "term_not_applicable"),
        ({"kind": "fired", "term_months": None}, "contract_kind_unknown"),
        ({"kind": "signed", "term_months": 12, "id_number": "123"}, "id_number_invalid"),
        ({"kind": "signed", "term_months": 12, "on": date(2027, 1, 1)}, "future"),
    ],
)
def test_contract_refusals(employers: dict[str, Any], kwargs: dict[str, Any], code: str) -> None:
    args: dict[str, Any] = {"id_number": make_id(date(1990, 2, 2)), "on": DAY, **kwargs}
    with pytest.raises(ValidationError) as caught:
        services.contract_record(actor=None, employer=employers["A"], today=TODAY, **args)
    assert code in {e.code for e in caught.value.error_list}
    assert not ContractEvent.objects.exists()


def test_a_hire_changes_the_status_once(
    personas: dict[str, Any], employers: dict[str, Any]
) -> None:
    person = employers["pa"]
    hire = services.hire_record(
        actor=personas["worker_a"], employer=employers["A"], person=person, on=DAY, today=TODAY
    )
    person.refresh_from_db()
    assert person.current_status == Status.UNIT and hire.person == person
    events = person.status_events.count()
    with pytest.raises(ValidationError) as caught:
        services.hire_record(
            actor=personas["worker_a"], employer=employers["A"], person=person, on=DAY, today=TODAY
        )
    assert caught.value.code == "already_hired"
    assert Hire.objects.count() == 1 and person.status_events.count() == events


@pytest.mark.parametrize("who", ["worker_b", "street", "district", "auditor"])
def test_a_hire_is_refused_to_who_may_not_write_the_person(
    personas: dict[str, Any], employers: dict[str, Any], who: str
) -> None:
    person = employers["pa"]
    with pytest.raises(PermissionDenied):
        services.hire_record(
            actor=personas[who], employer=employers["A"], person=person, on=DAY, today=TODAY
        )
    person.refresh_from_db()
    assert person.current_status == Status.UNEMPLOYED and not Hire.objects.exists()
