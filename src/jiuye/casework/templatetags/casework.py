"""``{% load casework %}{% worklist_card %}``: the top of the user's worklist, for a home page."""

from __future__ import annotations

from typing import Any, cast

from django import template
from django.utils import timezone

from jiuye.accounts.models import User
from jiuye.audit.services import audit_read
from jiuye.casework import deadlines

register = template.Library()


@register.inclusion_tag("casework/_worklist_card.html", takes_context=True)
def worklist_card(context: template.Context, limit: int = 10) -> dict[str, Any]:
    """The ``limit`` most urgent items of the signed-in user's worklist, with the counts, and
    what could not be dated for want of a year's holiday calendar (``gaps``)."""
    from jiuye.casework.views import _rows

    user = context["request"].user
    items = deadlines.Items()
    if getattr(user, "sees_personal_data", False):
        items = deadlines.user_worklist(cast(User, user), timezone.localdate())
    shown = items[:limit]
    # The card names residents: recorded like any page that shows them (issue 11, finding 10).
    audit_read(
        actor=user,
        what="casework.worklist_card",
        persons=[i.person_id for i in shown if i.person_id],
        households=[i.household_id for i in shown if i.household_id],
    )
    return {
        # A reviewer's card has no action buttons (issue 11, finding 4).
        "rows": _rows(shown, writes=bool(getattr(user, "writes_residents", False))),
        "total": len(items),
        "overdue": sum(1 for i in items if i.state == deadlines.State.OVERDUE),
        "gaps": items.gaps,
        "sees": getattr(user, "sees_personal_data", False),
    }
