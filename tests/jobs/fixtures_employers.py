"""Employers in communities A, B and C (``tests.conftest`` tree) and a person of the registry in
each, for the employers' tests. Import the fixtures into a test module:
``from tests.jobs.fixtures_employers import employers_fixture  # noqa: F401`` (the fixture is
named ``employers``)."""

from __future__ import annotations

from datetime import date
from itertools import count
from typing import Any

import pytest
from stdnum.cn import uscc as stdnum_uscc

from tests.conftest import make_id

_serial = count(1)


def make_uscc(serial: int | None = None) -> str:
    """A fresh valid unified social credit code (GB 32100-2015 check character)."""
    n = next(_serial) if serial is None else serial
    body = f"91110108MA{n:07d}"
    return body + stdnum_uscc.calc_check_digit(body)


@pytest.fixture(name="employers")
def employers_fixture(tree: dict[str, Any]) -> dict[str, Any]:
    """Employer ``A`` (a report of 120 staff), ``B`` and ``C``, one in each community, and an
    unemployed person in each (``pa`` in grid A1, ``pb``, ``pc``)."""
    from jiuye.jobs import services
    from jiuye.registry import services as registry
    from jiuye.registry.models import Status

    out: dict[str, Any] = {}
    for key, unit in (("A", tree["a"]), ("B", tree["b"]), ("C", tree["c"])):
        out[key] = services.employer_create(
            actor=None,
            uscc=make_uscc(),
            name=f"{unit.name}测试公司",
            unit=unit,
            industry="制造业",
        )
    services.staff_report(actor=None, employer=out["A"], on=date(2026, 1, 1), staff=120)
    places = {"pa": tree["a1"], "pb": tree["b"], "pc": tree["c"]}
    for key, unit in places.items():
        household = registry.household_create(
            actor=None, number=f"EMP-{key}", unit=unit, hukou_type="urban"
        )
        person = registry.person_create(
            actor=None,
            id_number=make_id(date(1985, 5, 6)),
            name=f"求职者{key}",
            household=household,
        )
        registry.person_change_status(
            actor=None, person=person, status=Status.UNEMPLOYED, since=date(2026, 1, 5)
        )
        out[key] = person
    return out
