from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from jiuye.units.scope import units_visible


def _user_units(request: HttpRequest) -> list[Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return list(units_visible(user).filter(memberships__user_id=user.pk).order_by("path"))


def site(request: HttpRequest) -> dict[str, Any]:
    """``DEMO_MODE`` and, evaluated only if the nav shows them, the user's own units."""
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "user_units": SimpleLazyObject(lambda: _user_units(request)),
    }
