"""The OpenAPI schema is served, complete, and documents auth and error responses."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

OPERATIONS = {
    "/api/me/": "me",
    "/api/units/": "unit_list",
    "/api/units/{code}/": "unit_get",
    "/api/persons/": "person_list",
    "/api/persons/{person_id}/": "person_get",
    "/api/households/": "household_list",
    "/api/households/{household_id}/": "household_get",
}


def test_schema_lists_every_endpoint(db: Any) -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "jiuye API" and schema["info"]["version"] == "1"
    # Other apps mount their routers too (standards, …): these are the registry's and units'.
    operations = {p: op["get"]["operationId"] for p, op in schema["paths"].items() if "get" in op}
    assert OPERATIONS.items() <= operations.items()
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    for path in OPERATIONS:
        operation = schema["paths"][path]["get"]
        assert operation["security"], path
        codes = set(operation["responses"])
        assert {"200", "401"} <= codes, path
        if "{" in path:
            assert "404" in codes, path
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok.get("$ref"), path


def test_list_schemas_are_paged(db: Any) -> None:
    schema = Client().get("/api/openapi.json").json()
    paged = schema["components"]["schemas"]["PagedPersonOut"]
    assert set(paged["required"]) == {"items", "count"}
    params = {p["name"]: p for p in schema["paths"]["/api/persons/"]["get"]["parameters"]}
    assert {"community", "status", "registered", "q", "limit", "offset"} <= set(params)
    assert params["limit"]["schema"]["maximum"] == 500


def test_docs_page(db: Any) -> None:
    response = Client().get("/api/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


@pytest.mark.skipif(
    "ninja" not in settings.INSTALLED_APPS,
    reason="Swagger UI is served from django-ninja's static files only with 'ninja' installed",
)
def test_docs_page_needs_no_internet(db: Any) -> None:
    content = Client().get("/api/docs").content.decode("utf-8")
    assert "https://" not in content and "http://" not in content
