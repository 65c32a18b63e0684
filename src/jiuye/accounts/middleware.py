"""Session limits: the idle timeout is the sliding cookie age; this adds the absolute limit."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

STARTED_KEY = "jiuye_session_started"


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(STARTED_KEY)
            now = time.time()
            if started is None:
                request.session[STARTED_KEY] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)
