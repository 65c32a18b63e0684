"""Fixtures of the account tests: a controllable clock and a person to reveal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from tests.conftest import FAKE_PHONE, make_id

PASSWORD = "Persona-pass-2026!"


class Clock:
    """Moves "now" for Django (sessions, auth), the session middleware and django-axes."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self._real = timezone.now

    def now(self) -> datetime:
        return self._real() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    with (
        mock.patch("django.utils.timezone.now", c.now),
        mock.patch("axes.handlers.proxy.now", c.now),
    ):
        yield c


@pytest.fixture
def person(tree: dict[str, Any]) -> Any:
    from jiuye.registry import services

    hh = services.household_create(actor=None, number="H-R1", unit=tree["a1"], hukou_type="urban")
    return services.person_create(
        actor=None,
        id_number=make_id(date(1975, 3, 4)),
        name="李四",
        household=hh,
        phone=FAKE_PHONE,
    )


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR="10.0.0.7"
    )
