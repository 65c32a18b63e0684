"""Shared fixtures: a small unit tree and the named personas of DESIGN.md's testing section.

Tree: district 110108 → street S1 (110108001) → community A (110108001001, grids A1, A2)
                                                → community B (110108001002, sibling of A)
                      → street S2 (110108002) → community C (110108002001)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from itertools import count
from typing import Any

import pytest

from jiuye.lib import idcard

_order = count(1)

# A synthetic mobile number, built from parts so no full number is ever literal in the repo.
FAKE_PHONE = "139" + "1234" + "5678"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's test database (the fixture of the same name, run first); on Citus
    (settings.JIUYE_CITUS) made a Citus database and distributed (tests/citus_setup.py)."""
    from django.conf import settings

    if not settings.JIUYE_CITUS:
        yield
        return
    from tests import citus_setup

    with django_db_blocker.unblock():
        citus_setup.make_citus()
    yield
    with django_db_blocker.unblock():
        citus_setup.drop_worker_databases()


@pytest.fixture(scope="session", autouse=True)
def _audit_flushable() -> None:
    """Transactional tests end with a flush, which the append-only audit triggers reject."""
    from jiuye.audit.testing import allow_flush_in_tests

    allow_flush_in_tests()


@pytest.fixture(autouse=True)
def _tasks_run_in_the_caller(settings: Any) -> None:
    """Tasks run at once where they are enqueued (no worker in tests); a test that wants the
    database queue and its worker sets the database backend itself."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Nor does a read store the deadline items as a side effect: the tests of the store build it.
    settings.DEADLINE_STORE_BUILD = False


@pytest.fixture(autouse=True)
def _fast_password_hasher(request: pytest.FixtureRequest, settings: Any) -> None:
    """Argon2 is deliberately slow; tests that check hashing itself are marked ``argon2``."""
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_id(birth: date, *, male: bool = True, region: str = "110108") -> str:
    """A fresh valid synthetic ID number (no real person's number is ever in the repo)."""
    n = next(_order) % 500
    order = n * 2 + (1 if male else 2)
    return idcard.make(region, birth, order % 1000)


@pytest.fixture
def tree(db: Any) -> dict[str, Any]:
    from jiuye.units.models import Level
    from jiuye.units.services import unit_create

    u: dict[str, Any] = {}
    u["district"] = unit_create(actor=None, code="110108", name="海淀区", level=Level.DISTRICT)
    u["s1"] = unit_create(
        actor=None, code="110108001", name="万寿路街道", level=Level.STREET, parent=u["district"]
    )
    u["s2"] = unit_create(
        actor=None, code="110108002", name="永定路街道", level=Level.STREET, parent=u["district"]
    )
    u["a"] = unit_create(
        actor=None, code="110108001001", name="翠微社区", level=Level.COMMUNITY, parent=u["s1"]
    )
    u["b"] = unit_create(
        actor=None, code="110108001002", name="复兴社区", level=Level.COMMUNITY, parent=u["s1"]
    )
    u["c"] = unit_create(
        actor=None, code="110108002001", name="永定社区", level=Level.COMMUNITY, parent=u["s2"]
    )
    u["a1"] = unit_create(
        actor=None, code="110108001001A1", name="翠微一网格", level=Level.GRID, parent=u["a"]
    )
    u["a2"] = unit_create(
        actor=None, code="110108001001A2", name="翠微二网格", level=Level.GRID, parent=u["a"]
    )
    return u


def _user(username: str, role: str, units: list[Any]) -> Any:
    from jiuye.accounts.models import Membership, User

    user = User.objects.create_user(username=username, password="Persona-pass-2026!", role=role)
    for unit in units:
        Membership.objects.create(user=user, unit=unit)
    return user


@pytest.fixture
def personas(tree: dict[str, Any]) -> dict[str, Any]:
    """worker_a, worker_b (sibling community), grid_a1, street (S1), district, sysadmin,
    secadmin, auditor, and nobody (a worker with no unit)."""
    return {
        "worker_a": _user("worker_a", "worker", [tree["a"]]),
        "worker_b": _user("worker_b", "worker", [tree["b"]]),
        "grid_a1": _user("grid_a1", "grid", [tree["a1"]]),
        "street": _user("street_s1", "street", [tree["s1"]]),
        "district": _user("district", "district", [tree["district"]]),
        "sysadmin": _user("sysadmin", "sysadmin", [tree["district"]]),
        "secadmin": _user("secadmin", "secadmin", [tree["district"]]),
        "auditor": _user("auditor", "auditor", [tree["district"]]),
        "nobody": _user("nobody", "worker", []),
    }


@contextmanager
def transaction_held_open(work: Callable[[], None]) -> Iterator[None]:
    """Run ``work`` in a transaction of another thread (a connection of its own) and keep that
    transaction open while the ``with`` block runs: what the block does meanwhile shows whether
    it waits on the other's locks. An error in the thread is raised here."""
    from django.db import connections, transaction

    done, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                work()
                done.set()
                release.wait(30)
        except BaseException as error:  # handed to the test's thread
            errors.append(error)
            done.set()
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert done.wait(30)
        if errors:
            raise errors[0]
        yield
    finally:
        release.set()
        holder.join()
    if errors:
        raise errors[0]
