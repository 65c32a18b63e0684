"""Reading the audit log: only the auditor (三权分立), never anybody else."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from jiuye.audit.models import AuditEntry

AUDIT_READER_ROLES = frozenset({"auditor"})


def may_read_audit_log(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "role", None) in AUDIT_READER_ROLES
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_entries(
    *,
    user: Any,
    date_from: date | None = None,
    date_to: date | None = None,
    actor: str = "",
    action: str = "",
    result: str = "",
) -> QuerySet[AuditEntry]:
    """Entries newest first, filtered; fails closed (no rows) for anyone but the auditor."""
    if not may_read_audit_log(user):
        return AuditEntry.objects.none()
    entries = AuditEntry.objects.all()
    if date_from:
        entries = entries.filter(at__gte=_day_start(date_from))
    if date_to:
        entries = entries.filter(at__lt=_day_start(date_to + timedelta(days=1)))
    if actor:
        entries = entries.filter(actor_name=actor.strip())
    if action:
        # "person" matches person.reveal, person.update, …; "person.reveal" only itself.
        action = action.strip()
        entries = entries.filter(action__startswith=action)
    if result:
        entries = entries.filter(result=result.strip())
    return entries.order_by("-id")
