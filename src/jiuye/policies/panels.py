"""The policies card on a person's casework page (``casework.panels``): the person's verdict
for every person policy today (eligible with the amount, or the conditions not met), their
applications, entitlements and payments, and 申请 links for a maker."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from jiuye.policies import permissions, selectors
from jiuye.policies.eligibility import person_verdicts
from jiuye.policies.views import apply_url

PERSON_PANEL = "policies/_person_panel.html"
ROWS = 20


def person_panel(request: HttpRequest, person: Any) -> dict[str, Any] | None:
    user = request.user
    if not getattr(user, "sees_personal_data", False):
        return None
    today = timezone.localdate()
    may_prepare = permissions.may_prepare(user, person.community)
    verdicts = [
        {
            "policy": policy,
            "verdict": verdict,
            "failed": [r.text for r in verdict.reasons if not r.ok],
            "apply": apply_url(policy, "person", person.pk) if may_prepare else "",
        }
        for policy, verdict in person_verdicts(person=person, on=today)
    ]
    return {
        "person": person,
        "verdicts": verdicts,
        "applications": list(
            selectors.applications_visible(user=user).filter(person=person)[:ROWS]
        ),
        "entitlements": list(
            selectors.entitlements_visible(user=user).filter(person=person)[:ROWS]
        ),
        "payments": list(
            selectors.payments_visible(user=user).filter(entitlement__person=person)[:ROWS]
        ),
    }
