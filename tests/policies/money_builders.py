"""Builders of the policies' API, command and ledger tests: persons eligible for the flexible
employment subsidy (HD18-FLEX-SI: agricultural hukou, a woman of 35 or more, flexibly
employed), an employer with hires, and an application carried to a payment."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from tests.conftest import make_id

_serial = itertools.count(1)
DAY = date(2026, 3, 10)
FLEX = "HD18-FLEX-SI"


def flex_person(unit: Any, *, born: date = date(1985, 6, 15), hukou: str = "agricultural") -> Any:
    """A person of ``unit`` eligible for HD18-FLEX-SI on :data:`DAY` (with the defaults)."""
    from jiuye.registry import services as registry

    n = next(_serial)
    home = registry.household_create(actor=None, number=f"PM-{n}", unit=unit, hukou_type=hukou)
    made = registry.person_create(
        actor=None,
        id_number=make_id(born, male=False),
        name=f"灵活{n}",
        household=home,
        hukou_type=hukou,
    )
    registry.person_change_status(
        actor=None, person=made, status="flexible", since=date(2020, 1, 1), registered=False
    )
    return made


def uscc(serial: int) -> str:
    from stdnum.cn import uscc as check

    body = f"91110108MB{serial:07d}"
    return body + check.calc_check_digit(body)


def employer(unit: Any, name: str = "翠微物业公司") -> Any:
    from jiuye.jobs.services import employer_create

    return employer_create(actor=None, uscc=uscc(next(_serial)), name=name, unit=unit)


def paid(person: Any, *, maker: Any, checker: Any, on: date = DAY, reference: str = "") -> Any:
    """An application of HD18-FLEX-SI for ``person`` prepared, approved and paid."""
    from jiuye.policies import services

    application = services.application_prepare(
        actor=maker, policy=FLEX, beneficiary=person, on=on, today=on
    )
    entitlement = services.application_approve(actor=checker, application=application)
    return services.payment_record(
        actor=checker, entitlement=entitlement, on=on, reference=reference, today=on
    )
