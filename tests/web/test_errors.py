"""The error pages: Chinese (English when switched), never Django's debug pages or a list of
URLs, the same for a missing page and a foreign object; 400/500 render with no request and no
database."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.web.conftest import ready_to_use


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(ready_to_use(user), backend="django.contrib.auth.backends.ModelBackend")
    return client


DEBUG_SIGNS = ("urlpatterns", "URLconf", "Traceback", "technical", "Django tried these")


def _plain(html: str) -> None:
    for sign in DEBUG_SIGNS:
        assert sign not in html


def test_unknown_url_is_the_chinese_404(personas: dict[str, Any]) -> None:
    for client in (Client(), client_for(personas["worker_a"])):
        response = client.get("/no-such-page/")
        html = response.content.decode()
        assert response.status_code == 404
        assert 'data-status="404"' in html and "页面不存在" in html
        assert reverse("home") in html  # the way back
        _plain(html)


def test_foreign_object_is_the_same_404(personas: dict[str, Any], people: dict[str, Any]) -> None:
    client = client_for(personas["worker_a"])
    foreign = client.get(reverse("person_detail", args=[people["wang"].pk]))  # community B
    missing = client.get(reverse("person_detail", args=[10**9]))
    assert foreign.status_code == missing.status_code == 404
    html = foreign.content.decode()
    assert "页面不存在" in html and people["wang"].name not in html
    _plain(html)
    # Nothing tells the two apart but the path itself (the language form's way back).
    assert _same_page(html, str(people["wang"].pk)) == _same_page(
        missing.content.decode(), str(10**9)
    )


def _same_page(html: str, pk: str) -> str:
    """The page without its path's id and its per-response CSRF tokens."""
    html = re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*', r"\1", html)
    return html.replace(f"/{pk}/", "/ID/")


def test_404_in_english(personas: dict[str, Any]) -> None:
    client = client_for(personas["worker_a"])
    client.cookies["django_language"] = "en"
    html = client.get("/no-such-page/").content.decode()
    assert 'lang="en"' in html and "Back to the home page" in html and ">Home<" in html


@pytest.mark.urls("tests.web.error_urls")
def test_a_failure_is_the_chinese_500(personas: dict[str, Any]) -> None:
    client = client_for(personas["worker_a"])
    client.raise_request_exception = False
    response = client.get("/fails/")
    html = response.content.decode()
    assert response.status_code == 500
    assert 'data-status="500"' in html and "系统出错" in html
    assert "secret detail" not in html and "RuntimeError" not in html
    _plain(html)


@pytest.mark.parametrize(
    ("view", "status", "text"),
    [("server_error", 500, "系统出错"), ("bad_request", 400, "请求无效")],
)
def test_standalone_pages_need_no_database(view: str, status: int, text: str) -> None:
    """No ``db`` fixture: any query would fail the test. No static file is named either."""
    from django.views import defaults

    request = RequestFactory().get("/")
    if view == "bad_request":
        response = defaults.bad_request(request, exception=Exception("detail"))
    else:
        response = defaults.server_error(request)
    html = response.content.decode()
    assert response.status_code == status and text in html
    assert "/static/" not in html and "detail" not in html


def test_csrf_failure_is_a_friendly_page(db: Any) -> None:
    response = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "x", "password": "y"}
    )
    html = response.content.decode()
    assert response.status_code == 403 and "页面已过期" in html
    assert "CSRF" not in html
