"""Every endpoint needs authentication: a bearer token (hash checked, live, user active) or the
session (CSRF on unsafe methods; a second factor where the role needs one)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from ninja.errors import HttpError

from jiuye.api.auth import VerifiedSessionAuth
from jiuye.api.models import ApiToken, token_hash
from jiuye.api.services import api_token_revoke
from tests.api.conftest import bearer, token_for

ENDPOINTS = [
    "/api/me/",
    "/api/units/",
    "/api/units/110108001001/",
    "/api/persons/",
    "/api/persons/{pa}/",
    "/api/households/",
    "/api/households/{hh_a}/",
]


def _urls(registry: dict[str, Any]) -> list[str]:
    return [u.format(pa=registry["pa"].pk, hh_a=registry["hh_a"].pk) for u in ENDPOINTS]


def test_anonymous_gets_401_everywhere(registry: dict[str, Any]) -> None:
    client = Client()
    for url in [*_urls(registry), "/api/persons/999999/", "/api/units/nope/"]:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json() == {"detail": "Unauthorized"}


def test_bearer_token_works_everywhere(registry: dict[str, Any], personas: dict[str, Any]) -> None:
    headers = bearer(token_for(personas["district"]))
    client = Client()
    for url in _urls(registry):
        assert client.get(url, headers=headers).status_code == 200, url
    assert client.get("/api/me/", headers=headers).json()["username"] == "district"


def test_session_works(registry: dict[str, Any], as_user: Any) -> None:
    response = as_user("worker_a").get("/api/me/")
    assert response.status_code == 200 and response.json()["username"] == "worker_a"


def test_token_is_stored_only_as_its_hash(personas: dict[str, Any]) -> None:
    plain = token_for(personas["district"])
    row = ApiToken.objects.get()
    assert row.key_hash == token_hash(plain) and len(row.key_hash) == 64
    stored = [
        str(v)
        for v in ApiToken.objects.values_list(
            "name", "key_hash", "created", "last_used", "expires", "revoked"
        ).get()
    ]
    assert all(plain not in value for value in stored)


def test_last_used_is_recorded(registry: dict[str, Any], personas: dict[str, Any]) -> None:
    plain = token_for(personas["district"])
    assert ApiToken.objects.get().last_used is None
    Client().get("/api/me/", headers=bearer(plain))
    assert ApiToken.objects.get().last_used is not None


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Bearer ",
        "Bearer " + "x" * 5000,
        "Basic dXNlcjpwYXNz",
        "Token abc",
    ],
)
def test_bad_credentials_get_401(registry: dict[str, Any], header: str) -> None:
    response = Client().get("/api/persons/", headers={"Authorization": header})
    assert response.status_code == 401


def test_revoked_token_gets_401(registry: dict[str, Any], personas: dict[str, Any]) -> None:
    plain = token_for(personas["district"])
    client = Client()
    assert client.get("/api/persons/", headers=bearer(plain)).status_code == 200
    api_token_revoke(actor=None, token=ApiToken.objects.get())
    assert client.get("/api/persons/", headers=bearer(plain)).status_code == 401


def test_expired_token_gets_401(registry: dict[str, Any], personas: dict[str, Any]) -> None:
    plain = token_for(personas["district"])
    ApiToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert Client().get("/api/persons/", headers=bearer(plain)).status_code == 401
    ApiToken.objects.update(expires=timezone.now() + timedelta(days=1))
    assert Client().get("/api/persons/", headers=bearer(plain)).status_code == 200


def test_inactive_users_token_gets_401(registry: dict[str, Any], personas: dict[str, Any]) -> None:
    plain = token_for(personas["district"])
    personas["district"].is_active = False
    personas["district"].save()
    assert Client().get("/api/persons/", headers=bearer(plain)).status_code == 401


def test_a_bad_token_does_not_hide_a_good_session(registry: dict[str, Any], as_user: Any) -> None:
    client = as_user("worker_a")
    response = client.get("/api/me/", headers=bearer("jy_wrong"))
    assert response.status_code == 200 and response.json()["username"] == "worker_a"


def test_session_auth_checks_csrf_on_unsafe_methods(personas: dict[str, Any]) -> None:
    auth = VerifiedSessionAuth()
    assert auth.csrf
    request = RequestFactory().post("/api/anything/")
    request.user = personas["worker_a"]
    request.COOKIES["sessionid"] = "x"
    with pytest.raises(HttpError) as raised:
        auth(request)
    assert raised.value.status_code == 403
    safe = RequestFactory().get("/api/anything/")
    safe.user = personas["worker_a"]
    safe.COOKIES["sessionid"] = "x"
    assert auth(safe) == personas["worker_a"]


@override_settings(DEMO_MODE=False)
def test_second_factor_roles_need_a_verified_session(
    registry: dict[str, Any], as_user: Any
) -> None:
    # Refused by the account policy (403) or, without it, by the API's session auth (401).
    assert as_user("district").get("/api/persons/").status_code in (401, 403)
    assert as_user("worker_a").get("/api/persons/").status_code == 200


@override_settings(DEMO_MODE=False)
def test_session_auth_itself_refuses_an_unverified_second_factor(personas: dict[str, Any]) -> None:
    auth = VerifiedSessionAuth()
    for key, allowed in (("district", False), ("worker_a", True)):
        user = personas[key]
        request = RequestFactory().get("/api/me/")
        request.user = user
        user.is_verified = lambda: False
        assert (auth(request) is not None) is allowed, key
        user.is_verified = lambda: True
        assert auth(request) is not None


def test_management_command_creates_lists_and_revokes(
    registry: dict[str, Any], personas: dict[str, Any]
) -> None:
    out, err = StringIO(), StringIO()
    call_command(
        "api_token",
        "create",
        "district",
        "--name",
        "报表系统",
        "--expires-days",
        "30",
        stdout=out,
        stderr=err,
    )
    plain = out.getvalue().strip()
    assert plain.startswith("jy_") and "shown only this once" in err.getvalue()
    row = ApiToken.objects.get()
    assert row.user == personas["district"] and row.name == "报表系统"
    assert row.expires is not None and row.expires > timezone.now() + timedelta(days=29)
    assert Client().get("/api/me/", headers=bearer(plain)).status_code == 200

    listing = StringIO()
    call_command("api_token", "list", stdout=listing)
    assert "报表系统" in listing.getvalue() and "active" in listing.getvalue()
    assert plain not in listing.getvalue()

    call_command("api_token", "revoke", str(row.pk), stdout=StringIO())
    assert Client().get("/api/me/", headers=bearer(plain)).status_code == 401


def test_management_command_refuses_unknown_user(db: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("api_token", "create", "ghost", "--name", "x", stdout=StringIO())
