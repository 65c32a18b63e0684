"""The client's address behind the reverse proxy: X-Forwarded-For is believed only from the
trusted proxies, read from its right end."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from jiuye.lib.proxy import ForwardedForMiddleware, client_address, trusted_networks

LOCAL = trusted_networks(["127.0.0.1", "10.0.0.0/8"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("127.0.0.1", "203.0.113.7", "203.0.113.7"),  # nginx names the client
        ("127.0.0.1", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # a client-written entry
        ("127.0.0.1", "203.0.113.7, 10.1.2.3", "203.0.113.7"),  # two proxies of ours
        ("198.51.100.9", "203.0.113.7", "198.51.100.9"),  # not from a proxy: header ignored
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        ("127.0.0.1", "203.0.113.7, garbage", "127.0.0.1"),
        ("127.0.0.1", " 2001:db8::1 ", "2001:db8::1"),
        ("127.0.0.1", "10.1.2.3", "10.1.2.3"),  # only proxies: the farthest one
    ],
)
def test_client_address(peer: str, forwarded: str, client: str) -> None:
    assert client_address(peer, forwarded, LOCAL) == client


def test_the_middleware_is_off_without_trusted_proxies(settings: Any) -> None:
    settings.JIUYE_TRUSTED_PROXIES = []
    with pytest.raises(MiddlewareNotUsed):
        ForwardedForMiddleware(lambda request: HttpResponse())


def test_a_mistyped_proxy_refuses_to_start(settings: Any) -> None:
    settings.JIUYE_TRUSTED_PROXIES = ["127.0.0.300"]
    with pytest.raises(ImproperlyConfigured):
        ForwardedForMiddleware(lambda request: HttpResponse())


def test_the_middleware_sets_the_address_the_lockout_reads(settings: Any) -> None:
    from axes.helpers import get_client_ip_address

    settings.JIUYE_TRUSTED_PROXIES = ["127.0.0.1"]
    seen: list[str | None] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(get_client_ip_address(request))
        return HttpResponse()

    middleware = ForwardedForMiddleware(view)
    middleware(
        RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    )
    middleware(RequestFactory().get("/", REMOTE_ADDR="127.0.0.1"))
    assert seen == ["203.0.113.7", "127.0.0.1"]
