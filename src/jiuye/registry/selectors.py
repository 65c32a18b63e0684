"""Every read of the registry goes through the jurisdiction scope: a foreign object is 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
from jiuye.units.scope import scope_to_jurisdiction


def persons_visible(*, user: Any) -> QuerySet[Person]:
    return scope_to_jurisdiction(Person.objects.all(), user)


def person_get(*, user: Any, pk: int) -> Person:
    return get_object_or_404(
        persons_visible(user=user).select_related("household", "community", "grid"), pk=pk
    )


def households_visible(*, user: Any) -> QuerySet[Household]:
    return scope_to_jurisdiction(Household.objects.all(), user)


def household_get(*, user: Any, pk: int) -> Household:
    return get_object_or_404(
        households_visible(user=user).select_related("community", "grid"), pk=pk
    )


def status_history(*, user: Any, person: Person) -> QuerySet[StatusEvent]:
    return scope_to_jurisdiction(StatusEvent.objects.filter(person=person), user).order_by("since")


def recognitions(*, user: Any, person: Person) -> QuerySet[DifficultyRecognition]:
    qs = DifficultyRecognition.objects.filter(person=person)
    return scope_to_jurisdiction(qs, user).order_by("recognized_on")
