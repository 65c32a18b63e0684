"""Registry data in communities A, B and C, API tokens and request helpers for the API tests.

Phone numbers are made up at run time (never literal in the repo) like the ID numbers.
"""

from __future__ import annotations

from datetime import date
from itertools import count
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jiuye.api import services as api_services
from jiuye.registry import services
from jiuye.registry.models import DifficultyCategory, Status
from tests.conftest import make_id

_phones = count(1)


def make_phone() -> str:
    """A synthetic 11-digit mobile number."""
    return f"139{next(_phones) * 7919 % 10**8:08d}"


def _person(household: Any, name: str, birth: date, *, male: bool = True) -> Any:
    return services.person_create(
        actor=None,
        id_number=make_id(birth, male=male),
        name=name,
        household=household,
        phone=make_phone(),
        relation="户主",
    )


@pytest.fixture
def registry(tree: dict[str, Any]) -> dict[str, Any]:
    """Two persons in community A (grid A1), one each in B and C, with history and a
    recognition on A's first person."""
    hh_a = services.household_create(
        actor=None,
        number="HA001",
        unit=tree["a1"],
        hukou_type="urban",
        address="翠微路1号",
        dibao=True,
    )
    hh_b = services.household_create(
        actor=None, number="HB001", unit=tree["b"], hukou_type="agricultural"
    )
    hh_c = services.household_create(actor=None, number="HC001", unit=tree["c"], hukou_type="urban")
    pa = _person(hh_a, "张甲", date(1970, 3, 4))
    pa2 = _person(hh_a, "李乙", date(1985, 7, 9), male=False)
    pb = _person(hh_b, "王丙", date(1990, 1, 2))
    pc = _person(hh_c, "赵丁", date(1975, 11, 12))
    services.person_change_status(
        actor=None, person=pa, status=Status.UNIT, since=date(2020, 1, 1), employer="某公司"
    )
    services.person_change_status(
        actor=None,
        person=pa,
        status=Status.UNEMPLOYED,
        since=date(2024, 1, 1),
        registered=True,
        cause="合同到期",
    )
    services.recognition_create(
        actor=None, person=pa, category=DifficultyCategory.C4050, recognized_on=date(2024, 6, 1)
    )
    services.person_change_status(
        actor=None, person=pa2, status=Status.FLEXIBLE, since=date(2023, 5, 1)
    )
    services.person_change_status(
        actor=None, person=pb, status=Status.UNEMPLOYED, since=date(2025, 2, 1)
    )
    return {"hh_a": hh_a, "hh_b": hh_b, "hh_c": hh_c, "pa": pa, "pa2": pa2, "pb": pb, "pc": pc}


def token_for(user: Any, name: str = "test") -> str:
    _, plain = api_services.api_token_create(actor=None, user=user, name=name)
    return plain


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def personas(personas: dict[str, Any]) -> dict[str, Any]:
    """The shared personas with a current password, so the account policy lets them in."""
    now = timezone.now()
    for user in personas.values():
        if user.password_changed_at is None:
            user.password_changed_at = now
            user.save(update_fields=["password_changed_at"])
    return personas


@pytest.fixture
def as_user(personas: dict[str, Any]) -> Any:
    """``as_user("worker_a")`` → a test client logged in (session) as that persona."""

    def make(key: str) -> Client:
        client = Client()
        client.force_login(personas[key])
        return client

    return make
