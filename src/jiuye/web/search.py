"""Searches whose terms stay out of URLs (issue 11, finding 3): a list's filter form is posted,
its data kept in the session under a short random token, and the list's URL carries only that
token (``/persons/?s=k3J9x2``). A full ID number typed into the search never reaches a URL, a
server log line or the browser history, and neither does a name or an address.

Searches by an ID number (the full number or its last 4 characters) are an oracle of the hidden
digits, so each is audited (without the number) and a user may make at most
:data:`ID_SEARCHES_PER_HOUR` of them.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils import timezone

from jiuye.audit.models import AuditEntry
from jiuye.audit.services import audit_record

SESSION_KEY = "jiuye_searches"
KEPT = 20  # searches remembered per session (the oldest is forgotten first)
ID_SEARCHES_PER_HOUR = 120
ID_SEARCH_ACTION = "person.search_id"


def save(request: HttpRequest, kind: str, data: QueryDict) -> str:
    """Keep the filter fields of a posted form; returns the token for the list's URL."""
    fields = {k: data.getlist(k) for k in data if k not in ("csrfmiddlewaretoken", "page", "s")}
    saved: dict[str, Any] = dict(request.session.get(SESSION_KEY, {}))
    token = secrets.token_urlsafe(6)
    saved[token] = {"kind": kind, "fields": fields}
    while len(saved) > KEPT:
        saved.pop(next(iter(saved)))
    request.session[SESSION_KEY] = saved
    return token


def load(request: HttpRequest, kind: str) -> QueryDict | None:
    """The saved filters of the token in the URL (None: no token, or an unknown one)."""
    token = request.GET.get("s", "")
    found = request.session.get(SESSION_KEY, {}).get(token)
    if not found or found.get("kind") != kind:
        return None
    data = QueryDict(mutable=True)
    for key, values in found["fields"].items():
        data.setlist(key, values)
    return data


def id_search_allowed(request: HttpRequest, *, kind: str) -> bool:
    """Record one search by (part of) an ID number; False when the user has made too many in
    the last hour (the search is then not run)."""
    since = timezone.now() - timedelta(hours=1)
    recent = AuditEntry.objects.filter(
        action=ID_SEARCH_ACTION, actor_id=request.user.pk, at__gte=since
    ).count()
    allowed = recent < ID_SEARCHES_PER_HOUR
    audit_record(
        actor=request.user,
        action=ID_SEARCH_ACTION,
        changes={"kind": kind},
        result="ok" if allowed else "refused",
    )
    return allowed
