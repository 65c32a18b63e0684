"""``{% load casework %}{% worklist_card %}``: the top of the user's worklist, for a home page."""

from __future__ import annotations

from typing import Any, cast

from django import template
from django.utils import timezone

from jiuye.accounts.models import User
from jiuye.casework import deadlines
from jiuye.lib.workdays import WorkdayCalendarError

register = template.Library()


@register.inclusion_tag("casework/_worklist_card.html", takes_context=True)
def worklist_card(context: template.Context, limit: int = 10) -> dict[str, Any]:
    """The ``limit`` most urgent items of the signed-in user's worklist, with the counts."""
    from jiuye.casework.views import _rows

    user = context["request"].user
    error, items = None, []
    if getattr(user, "sees_personal_data", False):
        try:
            items = deadlines.user_worklist(cast(User, user), timezone.localdate())
        except WorkdayCalendarError as exc:
            error = str(exc)
    return {
        "rows": _rows(items[:limit]),
        "total": len(items),
        "overdue": sum(1 for i in items if i.state == deadlines.State.OVERDUE),
        "error": error,
        "sees": getattr(user, "sees_personal_data", False),
    }
