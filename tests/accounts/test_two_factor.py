"""TOTP second factor: required for district, system and security administrators and the
auditor (not in the demo), enrolled on first login, verified on every later login."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiuye.accounts.middleware import AccountPolicyMiddleware
from jiuye.audit.models import AuditEntry
from tests.accounts.conftest import login

# The auditor too (issue 11, finding 6): they read the whole district's log (resident names,
# reveal reasons).
TWO_FACTOR = ["district", "sysadmin", "secadmin", "auditor"]


def unthrottle(device: TOTPDevice) -> None:
    """A wrong code makes the next try wait (django-otp throttling); tests do not wait."""
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()


def token_for(device: TOTPDevice) -> str:
    value = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
    )
    return f"{value:0{device.digits}d}"


@pytest.fixture
def strict(settings):
    settings.DEMO_MODE = False
    return settings


@pytest.mark.parametrize("who", TWO_FACTOR)
def test_two_factor_roles_must_enrol_first(client, personas, strict, who):
    assert login(client, personas[who].username).status_code == 302
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/setup/?next=%2F"
    # not a way around it: other pages (and the audit page) redirect too
    assert client.get("/accounts/password/").status_code == 302


@pytest.mark.parametrize("who", ["worker_a", "grid_a1", "street"])
def test_other_roles_need_no_second_factor(client, personas, strict, who):
    login(client, personas[who].username)
    response = client.get("/accounts/password/")
    assert response.status_code == 200


def test_demo_mode_relaxes_the_second_factor(client, personas, settings):
    settings.DEMO_MODE = True
    login(client, "district")
    assert client.get("/accounts/password/").status_code == 200


def test_enrolment_shows_the_secret_and_confirms_with_a_code(client, personas, strict):
    user = personas["district"]
    login(client, "district")
    response = client.get("/accounts/2fa/setup/?next=/accounts/password/")
    assert response.status_code == 200
    page = response.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert "otpauth://totp/jiuye%3Adistrict?secret=" in page
    assert device.config_url.split("secret=")[1].split("&")[0][:4] in page.replace(" ", "")
    # reloading shows the same secret (no new device per visit)
    client.get("/accounts/2fa/setup/")
    assert TOTPDevice.objects.filter(user=user).count() == 1

    bad = client.post("/accounts/2fa/setup/", {"token": "000000"})
    assert bad.status_code == 200 and "验证码不正确" in bad.content.decode()
    unthrottle(device)

    response = client.post(
        "/accounts/2fa/setup/?next=/accounts/password/",
        {"token": token_for(device), "next": "/accounts/password/"},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/accounts/password/").status_code == 200
    assert client.get("/").status_code == 200
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"user.otp_enrol", "account.otp_failed"} <= actions
    assert device.key not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


@pytest.mark.parametrize("who", TWO_FACTOR)
def test_enrolled_user_verifies_a_code_at_login(client, personas, strict, who):
    user = personas[who]
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    login(client, user.username)
    response = client.get("/accounts/password/")
    assert response["Location"].startswith("/accounts/2fa/verify/")
    # with only the password, the authenticator cannot be replaced
    assert client.get("/accounts/2fa/setup/")["Location"] == "/accounts/2fa/verify/"
    wrong = client.post("/accounts/2fa/verify/", {"token": "123456"})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    assert client.get("/accounts/password/").status_code == 302
    throttled = client.post("/accounts/2fa/verify/", {"token": token_for(device)})
    assert "尝试次数过多" in throttled.content.decode()
    unthrottle(device)
    ok = client.post("/accounts/2fa/verify/", {"token": token_for(device), "next": "/"})
    assert ok.status_code == 302 and ok["Location"] == "/"
    assert client.get("/accounts/password/").status_code == 200
    assert AuditEntry.objects.filter(action="account.otp_verify", actor_id=user.pk).exists()


def test_a_code_cannot_be_replayed(client, personas, strict):
    user = personas["district"]
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    token = token_for(device)
    login(client, "district")
    assert client.post("/accounts/2fa/verify/", {"token": token})["Location"] == "/"
    other = type(client)()
    login(other, "district")
    assert other.post("/accounts/2fa/verify/", {"token": token}).status_code == 200
    assert other.get("/accounts/password/").status_code == 302


def test_second_factor_pages_do_not_exist_for_other_roles(client, personas, strict):
    client.force_login(personas["worker_a"])
    assert client.get("/accounts/2fa/setup/").status_code == 404
    assert client.get("/accounts/2fa/verify/").status_code == 404


def test_api_gets_json_403_instead_of_a_redirect(personas, strict):
    request = RequestFactory().get("/api/v1/persons")
    request.user = personas["sysadmin"]
    request.user.is_verified = lambda: False  # type: ignore[attr-defined]
    request.resolver_match = None
    response = AccountPolicyMiddleware(lambda r: None).process_view(request, None, (), {})
    assert response is not None and response.status_code == 403
    assert b"otp_required" in response.content


def test_htmx_requests_get_a_full_page_redirect(client, personas, strict):
    login(client, "district")
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"] == "/accounts/2fa/setup/"
