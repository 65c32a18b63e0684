"""``{% load breadcrumbs %}{% units_above unit as trail %}``: the units above a unit for a
breadcrumb, each saying whether the signed-in user may open its evaluation.

A unit above the user's jurisdiction (a community worker's street and district) answers 404:
the breadcrumb names it as plain text instead of offering a link that fails (issue 13).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from jiuye.standards.selectors import units_evaluable
from jiuye.units.models import Unit

register = template.Library()


@dataclass(frozen=True)
class Crumb:
    unit: Unit
    linked: bool  # inside the user's jurisdiction: its page opens


@register.simple_tag(takes_context=True)
def units_above(context: template.Context, unit: Unit) -> list[Crumb]:
    """The units above ``unit``, top first (from its path of codes: one query, and one more
    for which of them the user may evaluate)."""
    codes = [code for code in unit.path.strip("/").split("/") if code and code != unit.code]
    if not codes:
        return []
    above = list(Unit.objects.filter(code__in=codes).order_by("path"))
    request: Any = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return [Crumb(u, False) for u in above]
    open_ = set(
        units_evaluable(user).filter(pk__in=[u.pk for u in above]).values_list("pk", flat=True)
    )
    return [Crumb(u, u.pk in open_) for u in above]
