"""Fixtures for the date tests: the permission matrix's objects and clients (every URL's
arguments and a logged-in client per persona), and casework's builders."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from tests.casework.conftest import household, person, registered  # noqa: F401  (fixtures)
from tests.security.test_permission_matrix import clients, job, objects  # noqa: F401  (fixtures)

D = date


@pytest.fixture
def calendar_data(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Besides the matrix's objects (a 2026 registration in each placement, whose items need no
    working days of a missing year): registrations in community A whose CQ-4 deadline needs a
    year without holidays (2027, 2003)."""
    matrix = request.getfixturevalue("objects")
    make_person: Callable[..., Any] = request.getfixturevalue("person")
    return {
        "objects": matrix,
        "reg_2027": make_person(
            "a",
            name="二七登记",
            statuses=((D(2020, 1, 1), "unit"), (D(2027, 1, 4), "unemployed", True)),
        ),
        "reg_2003": make_person(
            "a",
            name="零三登记",
            statuses=(
                (D(2000, 1, 1), "unit"),
                (D(2003, 6, 2), "unemployed", True),
                (D(2003, 9, 1), "unit"),
            ),
        ),
    }
