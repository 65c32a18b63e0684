"""A password older than 90 days (or a temporary one) must be changed before anything else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jiuye.accounts.models import User
from tests.accounts.conftest import PASSWORD, login

NEW = "Fresh-pass-2026x"


def age_password(user, days):
    User.objects.filter(pk=user.pk).update(
        password_changed_at=None if days is None else timezone.now() - timedelta(days=days)
    )


def test_password_of_89_days_is_fine(client, personas):
    age_password(personas["worker_a"], 89)
    login(client, "worker_a")
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("days", [91, None])
def test_old_or_temporary_password_forces_a_change(client, personas, days):
    user = personas["worker_a"]
    age_password(user, days)
    login(client, "worker_a")
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/?next=%2F"
    page = client.get(response["Location"]).content.decode()
    assert "请先设置新密码" in page
    # logout stays possible
    assert client.post("/accounts/logout/").status_code == 302


def test_changing_the_password_lets_the_user_in(client, personas):
    user = personas["worker_a"]
    age_password(user, 120)
    login(client, "worker_a")
    same = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert same.status_code == 200 and "不能与当前密码相同" in same.content.decode()
    weak = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "abcdefgh12", "new_password2": "abcdefgh12"},
    )
    assert weak.status_code == 200 and "至少3类" in weak.content.decode()
    response = client.post(
        "/accounts/password/?next=/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW, "next": "/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert timezone.now() - user.password_changed_at < timedelta(minutes=1)
    assert client.get("/").status_code == 200  # still logged in, no longer redirected


def test_next_cannot_point_off_site(client, personas):
    login(client, "worker_a")
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": NEW,
            "new_password2": NEW,
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/"


def test_max_age_is_90_days(settings):
    assert settings.PASSWORD_MAX_AGE_DAYS == 90
