"""``{% load casework %}{% worklist_card %}``: the top of the user's worklist, for a home page."""

from __future__ import annotations

from typing import Any, cast

from django import template
from django.utils import timezone

from jiuye.accounts.models import User
from jiuye.audit.services import audit_read
from jiuye.casework import deadlines
from jiuye.units.scope import member_units

register = template.Library()


@register.inclusion_tag("casework/_worklist_card.html", takes_context=True)
def worklist_card(context: template.Context, limit: int = 10) -> dict[str, Any]:
    """The ``limit`` most urgent items of the signed-in user's worklist (one page, from the
    database), with the counts, and what could not be dated for want of a year's holiday
    calendar (``gaps``). A street or district user's worklist is a table per community: the
    card links to it instead of counting the whole jurisdiction on every home page."""
    from jiuye.casework.views import _rows, _small

    user = context["request"].user
    sees = bool(getattr(user, "sees_personal_data", False))
    units = member_units(user) if sees else []
    if not units or not _small(units):
        return {"sees": sees, "summary": bool(units), "rows": [], "total": 0, "overdue": 0}
    found = deadlines.worklist_page(cast(User, user), timezone.localdate(), size=limit)
    shown = found.items
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
        "total": found.total,
        "overdue": found.overdue,
        "gaps": found.gaps,
        "sees": sees,
    }
