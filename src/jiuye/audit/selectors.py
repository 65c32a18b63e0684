"""Reading the audit log: only the auditor (三权分立), never anybody else.

"Who looked at this person?" (issue 11, finding 10) is the ``person`` filter: every entry whose
object is that person (their writes, reveals and detail pages) or whose ``changes["persons"]``
names them (list pages, API pages, household pages, exports). The person is given by their id
in the registry (the number in their page's address, ``/persons/<id>/``, which the worker or
the district quotes, or the object id of any entry about them): the auditor reads no registry,
and a lookup by ID number here would be a registration check against the whole registry.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from jiuye.audit.actions import ACTION_LABELS
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


def _names_person(pk: int) -> Q:
    """Entries whose ``changes["persons"]`` holds ``pk`` (a JSON array of ids)."""
    if connection.vendor == "postgresql":
        return Q(changes__persons__contains=[pk])  # jsonb @>
    table = AuditEntry._meta.db_table
    return Q(
        pk__in=RawSQL(
            f"SELECT e.id FROM {table} e, json_each(e.changes, '$.persons') j WHERE j.value = %s",
            [pk],
        )
    )


def about_person(pk: int) -> Q:
    """Every entry about the person with id ``pk``: its object, or one of the persons read."""
    return Q(object_type="Person", object_id=str(pk)) | _names_person(pk)


def audit_entries(
    *,
    user: Any,
    date_from: date | None = None,
    date_to: date | None = None,
    actor: str = "",
    action: str = "",
    result: str = "",
    person: int | None = None,
    unit: str = "",
) -> QuerySet[AuditEntry]:
    """Entries newest first, filtered; fails closed (no rows) for anyone but the auditor.

    ``actor``: a username, or a user's full name; ``action``: a labelled code (that code), or
    any other text (the codes it begins); ``unit``: a unit path (its entries and those of the
    units below it)."""
    if not may_read_audit_log(user):
        return AuditEntry.objects.none()
    entries = AuditEntry.objects.all()
    if date_from:
        entries = entries.filter(at__gte=_day_start(date_from))
    if date_to:
        entries = entries.filter(at__lt=_day_start(date_to + timedelta(days=1)))
    if actor:
        actor = actor.strip()
        named = get_user_model().objects.filter(full_name=actor).values("pk")
        entries = entries.filter(Q(actor_name=actor) | Q(actor_id__in=named))
    if action:
        # "person" matches person.reveal, person.update, …; "person.reveal" only itself.
        action = action.strip()
        if action in ACTION_LABELS:
            entries = entries.filter(action=action)
        else:
            entries = entries.filter(action__startswith=action)
    if result:
        entries = entries.filter(result=result.strip())
    if person:
        entries = entries.filter(about_person(person))
    if unit:
        entries = entries.filter(unit_path__startswith=unit)
    return entries.order_by("-id")
