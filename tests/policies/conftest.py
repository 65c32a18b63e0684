"""Builders of the policies tests: persons with a birth date, sex, hukou, flags and a status
history; employers; hires and contracts."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest

from tests.conftest import make_id

_serial = itertools.count(1)
DAY = date(2026, 3, 10)
FLEX = "HD18-FLEX-SI"


def person(
    unit: Any,
    *,
    born: date = date(1985, 6, 15),
    male: bool = False,
    hukou: str = "agricultural",
    status: str | None = "flexible",
    since: date = date(2020, 1, 1),
    registered: bool = False,
    dibao: bool = False,
    **fields: Any,
) -> Any:
    from jiuye.registry import services as registry

    n = next(_serial)
    home = registry.household_create(
        actor=None, number=f"PH-{n}", unit=unit, hukou_type=hukou, dibao=dibao
    )
    made = registry.person_create(
        actor=None,
        id_number=make_id(born, male=male),
        name=f"政策{n}",
        household=home,
        hukou_type=hukou,
        **fields,
    )
    if status is not None:
        registry.person_change_status(
            actor=None, person=made, status=status, since=since, registered=registered
        )
    return made


def status(whom: Any, value: str, since: date, registered: bool = False) -> None:
    from jiuye.registry import services as registry

    registry.person_change_status(
        actor=None, person=whom, status=value, since=since, registered=registered
    )


def recognise(whom: Any, on: date, ended_on: date | None = None, category: str = "other") -> Any:
    from jiuye.registry import services as registry

    return registry.recognition_create(
        actor=None,
        person=whom,
        category=category,
        recognized_on=on,
        ended_on=ended_on,
        note="测试",
    )


def uscc(serial: int) -> str:
    from stdnum.cn import uscc as check

    body = f"91110108MA{serial:07d}"
    return body + check.calc_check_digit(body)


def employer(unit: Any, name: str = "翠微物业公司") -> Any:
    from jiuye.jobs.services import employer_create

    return employer_create(actor=None, uscc=uscc(next(_serial)), name=name, unit=unit)


def hire(by: Any, whom: Any, on: date, posting: Any = None) -> Any:
    from jiuye.jobs.services import hire_record

    return hire_record(
        actor=None, employer=by, person=whom, on=on, posting=posting, today=date(2026, 12, 31)
    )


def contract(by: Any, whom: Any, on: date, months: int) -> Any:
    from jiuye.jobs.services import contract_record

    return contract_record(
        actor=None,
        employer=by,
        id_number=whom.id_number,
        kind="signed",
        on=on,
        term_months=months,
        today=date(2026, 12, 31),
    )


@pytest.fixture
def other_district(db: Any) -> dict[str, Any]:
    from jiuye.units.models import Level
    from jiuye.units.services import unit_create

    district = unit_create(actor=None, code="110105", name="朝阳区", level=Level.DISTRICT)
    street = unit_create(
        actor=None, code="110105001", name="建外街道", level=Level.STREET, parent=district
    )
    community = unit_create(
        actor=None, code="110105001001", name="建外社区", level=Level.COMMUNITY, parent=street
    )
    return {"district": district, "street": street, "community": community}


def flex_person(unit: Any, *, born: date = date(1985, 6, 15), hukou: str = "agricultural") -> Any:
    """A woman of ``unit`` in flexible work since 2020, eligible for HD18-FLEX-SI on
    :data:`DAY` (with the defaults)."""
    return person(unit, born=born, hukou=hukou)


def paid(whom: Any, *, maker: Any, checker: Any, on: date = DAY, reference: str = "") -> Any:
    """An application of HD18-FLEX-SI for ``whom`` prepared, approved and paid."""
    from jiuye.policies import services

    application = services.application_prepare(
        actor=maker, policy=FLEX, beneficiary=whom, on=on, today=on
    )
    entitlement = services.application_approve(actor=checker, application=application)
    return services.payment_record(
        actor=checker, entitlement=entitlement, on=on, reference=reference, today=on
    )
