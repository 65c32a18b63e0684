"""Keeping the monthly roll-ups in step with the writes below (``monitoring.rollups``), in the
writer's transaction: the standards' community timelines, casework's zero-family cases, the
service records, a person moving to another community. Each is a no-op until the roll-ups are
built."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from jiuye.casework.models import ServiceRecord
from jiuye.casework.signals import zero_families_changed
from jiuye.monitoring import rollups
from jiuye.monitoring.models import RollupState
from jiuye.registry.models import Person
from jiuye.standards.signals import aggregates_rebuilt, community_timelines_changed


def _built() -> bool:
    return RollupState.objects.filter(pk=1).exists()


@receiver(community_timelines_changed, dispatch_uid="monitoring.timelines")
def on_timelines(sender: Any, since: dict[int, date | None], **kwargs: Any) -> None:
    # A whole community recomputed (an import): its services and cases may have moved too.
    whole = any(day is None for day in since.values())
    rollups.communities_refresh(since, rollups.ALL_PARTS if whole else (rollups.STOCKS,))


@receiver(aggregates_rebuilt, dispatch_uid="monitoring.rebuilt")
def on_rebuilt(sender: Any, **kwargs: Any) -> None:
    rollups.rollups_build()


@receiver(zero_families_changed, dispatch_uid="monitoring.zero_families")
def on_zero_families(sender: Any, since: dict[int, date], **kwargs: Any) -> None:
    rollups.communities_refresh(dict(since), (rollups.ZERO,))


def _service_key(record: ServiceRecord) -> tuple[int, date] | None:
    community = Person.objects.filter(pk=record.person_id).values_list("community_id", flat=True)
    community_id = community.first()
    return (community_id, record.on) if community_id is not None else None


@receiver(pre_save, sender=ServiceRecord, dispatch_uid="monitoring.service_pre")
def on_service_pre_save(sender: Any, instance: ServiceRecord, **kwargs: Any) -> None:
    instance._rollup_before = None  # type: ignore[attr-defined]
    if instance.pk and _built():
        old = ServiceRecord.objects.filter(pk=instance.pk).first()
        instance._rollup_before = _service_key(old) if old else None  # type: ignore[attr-defined]


@receiver(post_save, sender=ServiceRecord, dispatch_uid="monitoring.service_post")
@receiver(post_delete, sender=ServiceRecord, dispatch_uid="monitoring.service_delete")
def on_service_changed(sender: Any, instance: ServiceRecord, **kwargs: Any) -> None:
    since: dict[int, date | None] = {}
    for key in (getattr(instance, "_rollup_before", None), _service_key(instance)):
        if key is not None:
            community_id, day = key
            earlier = since.get(community_id)
            since[community_id] = day if earlier is None else min(earlier, day)
    rollups.communities_refresh(since, (rollups.SERVICES,))


@receiver(pre_save, sender=Person, dispatch_uid="monitoring.person_pre")
def on_person_pre_save(
    sender: Any, instance: Person, update_fields: Any = None, **kwargs: Any
) -> None:
    instance._rollup_community = None  # type: ignore[attr-defined]
    if update_fields is not None and not {"community", "community_id"} & set(update_fields):
        return  # a save that cannot move the person (a cache column)
    if instance.pk and _built():
        instance._rollup_community = (  # type: ignore[attr-defined]
            Person.objects.filter(pk=instance.pk).values_list("community_id", flat=True).first()
        )


@receiver(post_save, sender=Person, dispatch_uid="monitoring.person_post")
def on_person_post_save(sender: Any, instance: Person, **kwargs: Any) -> None:
    before = getattr(instance, "_rollup_community", None)
    if before is not None and before != instance.community_id and _built():
        # The person's services now count for the new community, over every month.
        rollups.communities_refresh(
            {before: None, instance.community_id: None}, (rollups.SERVICES,)
        )
