"""The client's address behind the reverse proxy.

Behind nginx every request reaches the server from the proxy's own address, so the sign-in
lockout by address (20 failures across user names, ``accounts.lockout``) and the audit log's
address would see one client: the proxy. The proxy names the client in ``X-Forwarded-For``;
a client can write that header too, so it is believed only from the proxies named in
``JIUYE_TRUSTED_PROXIES`` (addresses or networks), read from its right end: the last address
that is not one of those proxies is the client. With no trusted proxy (the default) the
middleware is switched off and ``REMOTE_ADDR`` is the peer, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

Network = IPv4Network | IPv6Network


def trusted_networks(values: list[str]) -> list[Network]:
    try:
        return [ip_network(value, strict=False) for value in values]
    except ValueError as error:
        raise ImproperlyConfigured(f"JIUYE_TRUSTED_PROXIES: {error}") from None


def client_address(peer: str, forwarded: str, trusted: list[Network]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy, then the right-most address
    of ``forwarded`` that is not (a malformed entry ends the walk at the address before it)."""
    found = peer
    for raw in [peer, *reversed(forwarded.split(","))]:
        try:
            address = ip_address(raw.strip())
        except ValueError:
            return found
        found = str(address)
        if not any(address in network for network in trusted):
            return found
    return found


class ForwardedForMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.trusted = trusted_networks(getattr(settings, "JIUYE_TRUSTED_PROXIES", []))
        if not self.trusted:
            raise MiddlewareNotUsed

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = request.META.get("REMOTE_ADDR", "")
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            request.META["REMOTE_ADDR"] = client_address(peer, forwarded, self.trusted)
        return self.get_response(request)
