"""Seeing a full ID or phone number ("reveal").

Everywhere, by default, ID numbers show the first 6 and last 4 characters and phone numbers the
first 3 and last 4 (``jiuye.lib.masking``). The full value is shown only through
:func:`reveal_personal`, which needs

- a data role (worker, grid coordinator, street reviewer, district administrator) — system and
  security administrators and the auditor never see residents' personal data;
- the ``can_reveal`` grant on the account, which a security administrator gives
  (``accounts.services.user_set_reveal``); it is off for every new account;
- the person inside the user's jurisdiction (a foreign person answers 404, as everywhere);
- a reason of at least 4 characters.

Every call writes an audit row ``person.reveal`` with the field and the reason, never the value;
a refused call writes one with ``result="denied"``.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from jiuye.accounts.models import User
from jiuye.audit.services import audit_export, audit_record
from jiuye.units.scope import scope_to_jurisdiction

__all__ = ["MIN_REASON", "REVEALABLE", "audit_export", "reveal_personal"]

REVEALABLE = ("id_number", "phone")
MIN_REASON = 4
RevealField = Literal["id_number", "phone"]


def _deny(actor: User, person: Any, field: str, reason: str, result: str) -> None:
    audit_record(
        actor=actor,
        action="person.reveal",
        obj=person,
        unit=getattr(person, "community", None),
        changes={"field": field, "reason": reason},
        result=result,
    )


def reveal_personal(*, actor: User, person: Any, field: RevealField, reason: str) -> str:
    """Return the full value of ``person.<field>`` after checking and auditing the request.

    Not wrapped in one transaction on purpose: a refusal is recorded and then raised, and the
    record of the refusal must survive the exception.
    """
    if field not in REVEALABLE:
        raise ValueError(f"field must be one of {REVEALABLE}, got {field!r}")
    reason = (reason or "").strip()
    model = type(person)
    visible = scope_to_jurisdiction(model._default_manager.filter(pk=person.pk), actor)
    if not visible.exists():
        _deny(actor, person, field, reason, "not_found")
        raise Http404
    if not getattr(actor, "may_reveal", False):
        _deny(actor, person, field, reason, "denied")
        raise PermissionDenied(_("您没有查看完整号码的权限。"))
    if len(reason) < MIN_REASON:
        _deny(actor, person, field, reason, "no_reason")
        raise ValidationError(
            _("请填写查看原因（至少%(n)d个字）。") % {"n": MIN_REASON}, code="reason"
        )
    value = visible.values_list(field, flat=True).first() or ""
    audit_record(
        actor=actor,
        action="person.reveal",
        obj=person,
        unit=getattr(person, "community", None),
        changes={"field": field, "reason": reason},
    )
    return value
