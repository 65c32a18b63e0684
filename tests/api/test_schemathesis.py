"""Property-based API testing: Schemathesis generates requests for every operation in the OpenAPI
schema, sent through the WSGI app as an authenticated district user; none may end in a 5xx, and
every response must match the schema (status code documented, body conforming)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import bearer, token_for

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """As Django's test client does: the raw WSGI app would close the test transaction's
    connection at the end of each request (PostgreSQL), so keep it open for the test."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def district_headers(
    registry: dict[str, Any], personas: dict[str, Any], keep_test_connection: None
) -> dict[str, str]:
    return bearer(token_for(personas["district"], name="schemathesis"))


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same cases on every run: a CI gate, not a lottery
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api(case: schemathesis.Case, district_headers: dict[str, str]) -> None:
    response = case.call_and_validate(
        headers=district_headers,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
    # The token must have been sent and accepted: an authenticated caller never sees a 401.
    assert response.status_code != 401
