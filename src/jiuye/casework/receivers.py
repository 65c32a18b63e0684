"""Receivers of registry signals (the registry never imports casework)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from jiuye.accounts.models import User
from jiuye.registry.signals import statuses_changed


@receiver(statuses_changed, dispatch_uid="casework.zero_family_sync")
def on_statuses_changed(
    sender: Any,
    *,
    household_ids: set[int],
    actor: User | None = None,
    **kwargs: Any,
) -> None:
    """A status change, or a change of a member's ability, desire, retirement base or
    household, can make a household a zero-employment family, end one or move its dates: bring
    the households' cases in line with their whole history (the change's date, ``on``, does not
    narrow it: an episode's dates depend on events before and after it)."""
    from jiuye.casework.services import zero_family_sync

    zero_family_sync(household_ids=household_ids, actor=actor)
