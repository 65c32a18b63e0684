"""Receivers of registry signals (the registry never imports casework)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from jiuye.accounts.models import User
from jiuye.casework.deadlines import store
from jiuye.casework.models import AssistanceCase, AssistanceStep, ServiceRecord, ZeroFamilyCase
from jiuye.registry.models import DifficultyRecognition, Household, Person
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


# The stored deadline items (``deadlines.store``) follow every write of the rows the rules read,
# in the writer's transaction. Registered after ``zero_family_sync`` above, so a status change
# refreshes its households once their zero-family cases are in line.


@receiver(statuses_changed, dispatch_uid="casework.deadline_store")
def on_statuses_changed_store(
    sender: Any,
    *,
    household_ids: set[int],
    bulk: bool = False,
    written: set[int] | None = None,
    **kwargs: Any,
) -> None:
    if not bulk:
        store.store_refresh(household_ids)
    elif written is not None:  # a load that names what it wrote (the ledger import)
        store.store_refresh(written | set(household_ids))
    else:  # its rows may be anywhere
        store.store_invalidate()


def _household_of(person_id: int | None) -> int | None:
    if person_id is None:
        return None
    return Person.objects.filter(pk=person_id).values_list("household_id", flat=True).first()


@receiver(pre_save, sender=Person, dispatch_uid="casework.store_person_pre_save")
def on_person_pre_save(sender: Any, instance: Person, **kwargs: Any) -> None:
    if instance.pk is not None and store.is_kept():
        instance._store_household = _household_of(instance.pk)  # type: ignore[attr-defined]


@receiver(post_save, sender=Person, dispatch_uid="casework.store_person_post_save")
def on_person_post_save(sender: Any, instance: Person, **kwargs: Any) -> None:
    before = getattr(instance, "_store_household", None)
    store.store_refresh([instance.household_id, before])


@receiver(post_delete, sender=Person, dispatch_uid="casework.store_person_post_delete")
def on_person_post_delete(sender: Any, instance: Person, **kwargs: Any) -> None:
    store.store_refresh([instance.household_id])


@receiver(post_save, sender=Household, dispatch_uid="casework.store_household_save")
@receiver(post_delete, sender=Household, dispatch_uid="casework.store_household_delete")
def on_household_changed(sender: Any, instance: Household, **kwargs: Any) -> None:
    store.store_refresh([instance.pk])


@receiver(post_save, sender=DifficultyRecognition, dispatch_uid="casework.store_recognition")
@receiver(post_delete, sender=DifficultyRecognition, dispatch_uid="casework.store_recognition_d")
@receiver(post_save, sender=ServiceRecord, dispatch_uid="casework.store_service_save")
@receiver(post_delete, sender=ServiceRecord, dispatch_uid="casework.store_service_delete")
@receiver(post_save, sender=AssistanceCase, dispatch_uid="casework.store_assistance_save")
@receiver(post_delete, sender=AssistanceCase, dispatch_uid="casework.store_assistance_delete")
def on_person_row_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if store.is_kept():
        store.store_refresh([_household_of(instance.person_id)])


@receiver(post_save, sender=AssistanceStep, dispatch_uid="casework.store_step_save")
@receiver(post_delete, sender=AssistanceStep, dispatch_uid="casework.store_step_delete")
def on_step_changed(sender: Any, instance: AssistanceStep, **kwargs: Any) -> None:
    if store.is_kept():
        case = AssistanceCase.objects.filter(pk=instance.case_id)
        store.store_refresh([_household_of(case.values_list("person_id", flat=True).first())])


@receiver(post_save, sender=ZeroFamilyCase, dispatch_uid="casework.store_zero_save")
@receiver(post_delete, sender=ZeroFamilyCase, dispatch_uid="casework.store_zero_delete")
def on_zero_case_changed(sender: Any, instance: ZeroFamilyCase, **kwargs: Any) -> None:
    store.store_refresh([instance.household_id])
