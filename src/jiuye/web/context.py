from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from jiuye.units.scope import member_units


def _user_units(request: HttpRequest) -> list[Any]:
    return member_units(getattr(request, "user", None))


def site(request: HttpRequest) -> dict[str, Any]:
    """``DEMO_MODE`` and, evaluated only if the nav shows them, the user's own units."""
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "user_units": SimpleLazyObject(lambda: _user_units(request)),
    }
