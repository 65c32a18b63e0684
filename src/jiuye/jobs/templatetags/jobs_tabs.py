"""The jobs pages' tabs: employers, postings, placements, and the public board of the user's
own unit."""

from __future__ import annotations

from typing import Any

from django import template

from jiuye.units.models import Level
from jiuye.units.scope import member_units

register = template.Library()


@register.inclusion_tag("jobs/_tabs.html", takes_context=True)
def jobs_tabs(context: dict[str, Any], active: str) -> dict[str, Any]:
    user = context["request"].user
    # The board of the user's own unit (a grid's: its community's).
    units = member_units(user)
    board = next(
        (
            (u.parent if u.level == Level.GRID else u)
            for u in units
            if u.level != Level.GRID or u.parent is not None
        ),
        None,
    )
    return {"active": active, "board": board}
