"""Receivers of registry signals (the registry never imports casework)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.dispatch import receiver

from jiuye.registry.signals import statuses_changed


@receiver(statuses_changed, dispatch_uid="casework.zero_family_sync")
def on_statuses_changed(
    sender: Any,
    *,
    household_ids: set[int],
    on: date | None = None,
    actor: Any = None,
    **kwargs: Any,
) -> None:
    """A status change can make a household a zero-employment family or end one: keep the
    households' cases in line, dated by the change itself (also for back-dated imports)."""
    from jiuye.casework.services import zero_family_sync

    zero_family_sync(household_ids=household_ids, on=on, actor=actor)
