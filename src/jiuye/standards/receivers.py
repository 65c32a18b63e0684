"""Keep the aggregates (``standards.aggregates``) in line with every write, in the writer's
transaction. The registry and casework never import standards: we listen to the registry's
``statuses_changed`` and to the model signals of the rows the aggregates read.

- statuses: ``statuses_changed`` (sent by ``person_change_status``, ``status_event_delete`` and
  bulk loaders) names the households to recompute; a bulk loader that names every household
  it wrote (``written``) has them refreshed set-based in its transaction;
- persons: created, moved to another household, ability / desire / hukou / dates changed, or
  deleted (saves that only refresh the ``current_*`` cache are skipped: ``statuses_changed``
  follows them);
- households: hukou or dibao changed, deleted; recognitions: created, ended, deleted;
- service records: created, changed, deleted (the per-day training and complaint counts, the
  survey facts).

All of it is a no-op until the aggregates have been built (``aggregates_rebuild``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from jiuye.casework.models import ServiceKind, ServiceRecord
from jiuye.registry.models import DifficultyRecognition, Household, Person
from jiuye.registry.signals import statuses_changed
from jiuye.standards import aggregates

# Saves of only these columns are the status cache that ``statuses_changed`` accompanies.
_STATUS_CACHE = frozenset({"current_status", "current_since", "current_registered"})


@receiver(statuses_changed, dispatch_uid="standards.statuses_changed")
def on_statuses_changed(
    sender: Any,
    *,
    household_ids: set[int],
    on: date | None = None,
    bulk: bool = False,
    written: set[int] | None = None,
    former_communities: set[int] | None = None,
    **kwargs: Any,
) -> None:
    if not bulk:
        aggregates.households_changed(household_ids)
        return
    if written is not None:
        # A bulk load that names every household it wrote rows of (the ledger import): those
        # are refreshed set-based here, in the load's transaction, so the aggregates stay fresh
        # through its commit (a few statements however many households; see
        # ``aggregates.households_loaded`` for when it declines).
        aggregates.households_loaded(
            household_ids=written, former_communities=former_communities or ()
        )
        return
    # A bulk load that does not say what it wrote: its rows may be anywhere. Mark the
    # aggregates stale; the indicators read the registry directly meanwhile (same numbers,
    # slower) until ``jiuye aggregates rebuild``.
    aggregates.aggregates_invalidate()


def _cache_only(update_fields: Any) -> bool:
    return bool(update_fields) and set(update_fields) <= _STATUS_CACHE


@receiver(pre_save, sender=Person, dispatch_uid="standards.person_pre_save")
def on_person_pre_save(sender: Any, instance: Person, update_fields: Any = None, **kwargs: Any):
    if instance.pk is None or _cache_only(update_fields) or not aggregates.is_built():
        return
    instance._standards_before = (  # type: ignore[attr-defined]
        Person.objects.filter(pk=instance.pk).values_list("household_id", "community_id").first()
    )


@receiver(post_save, sender=Person, dispatch_uid="standards.person_post_save")
def on_person_post_save(
    sender: Any, instance: Person, update_fields: Any = None, **kwargs: Any
) -> None:
    if _cache_only(update_fields):
        return
    before = getattr(instance, "_standards_before", None)
    households = {instance.household_id}
    if before is not None:
        households.add(before[0])
        aggregates.person_moved(instance.pk, before[1], instance.community_id)
        instance._standards_before = None  # type: ignore[attr-defined]
    aggregates.households_changed(households)


@receiver(post_delete, sender=Person, dispatch_uid="standards.person_post_delete")
def on_person_post_delete(sender: Any, instance: Person, **kwargs: Any) -> None:
    aggregates.households_changed({instance.household_id})


@receiver(post_save, sender=Household, dispatch_uid="standards.household_post_save")
def on_household_post_save(
    sender: Any, instance: Household, created: bool = False, **kwargs: Any
) -> None:
    if created:  # no members yet: nothing to count, but its id is accounted for
        aggregates.seen("household", instance.pk)
    else:
        aggregates.households_changed({instance.pk})


@receiver(post_delete, sender=Household, dispatch_uid="standards.household_post_delete")
def on_household_post_delete(sender: Any, instance: Household, **kwargs: Any) -> None:
    aggregates.households_changed({instance.pk})


def _household_of(person_id: int) -> int | None:
    return Person.objects.filter(pk=person_id).values_list("household_id", flat=True).first()


@receiver(post_save, sender=DifficultyRecognition, dispatch_uid="standards.recognition_save")
@receiver(post_delete, sender=DifficultyRecognition, dispatch_uid="standards.recognition_del")
def on_recognition_changed(sender: Any, instance: DifficultyRecognition, **kwargs: Any) -> None:
    if not aggregates.is_built():
        return
    household = _household_of(instance.person_id)
    if household is not None:
        aggregates.households_changed({household})


def _service_day_add(values: tuple[Any, ...], sign: int) -> None:
    """Add (``sign`` 1) or take away (-1) what one record (``_service_values``) counts for."""
    community_id, district_id, day, kind, mode, valid = values
    counts = aggregates.service_contribution(kind, mode, valid)
    if any(counts):
        aggregates.service_day_add(community_id, day, counts, sign, district_id=district_id)


def _service_values(record: ServiceRecord) -> tuple[Any, ...] | None:
    place = (
        Person.objects.filter(pk=record.person_id)
        .values_list("community_id", "district_id")
        .first()
    )
    if place is None:
        return None
    return (*place, record.on, record.kind, record.training_mode, record.valid)


@receiver(pre_save, sender=ServiceRecord, dispatch_uid="standards.service_pre_save")
def on_service_pre_save(sender: Any, instance: ServiceRecord, **kwargs: Any) -> None:
    if instance.pk is None or not aggregates.is_built():
        return
    old = ServiceRecord.objects.filter(pk=instance.pk).first()
    instance._standards_before = (  # type: ignore[attr-defined]
        _service_values(old) if old is not None else None
    )


@receiver(post_save, sender=ServiceRecord, dispatch_uid="standards.service_post_save")
def on_service_post_save(sender: Any, instance: ServiceRecord, **kwargs: Any) -> None:
    if not aggregates.is_built():
        return
    before = getattr(instance, "_standards_before", None)
    if before is not None:
        _service_day_add(before, -1)
        instance._standards_before = None  # type: ignore[attr-defined]
    values = _service_values(instance)
    if values is not None:
        _service_day_add(values, 1)
    if instance.kind == ServiceKind.SURVEY or (
        before is not None and before[3] == ServiceKind.SURVEY
    ):
        aggregates.survey_fact_update(instance.pk, instance.district_id)
    aggregates.seen("service", instance.pk)


@receiver(post_delete, sender=ServiceRecord, dispatch_uid="standards.service_post_delete")
def on_service_post_delete(sender: Any, instance: ServiceRecord, **kwargs: Any) -> None:
    if not aggregates.is_built():
        return
    values = _service_values(instance)
    if values is not None:
        _service_day_add(values, -1)
    if instance.kind == ServiceKind.SURVEY:
        aggregates.survey_fact_update(instance.pk, instance.district_id)
