"""Every read of the registry goes through the jurisdiction scope: a foreign object is 404, and a
read without a user finds nothing (a system job passes ``units.scope.SYSTEM``)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from jiuye.accounts.models import User
from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit
from jiuye.units.scope import SystemAccess, scope_to_jurisdiction

# Who reads: a user (their jurisdiction; an anonymous one sees nothing) or a system job
# (everything, on purpose).
Reader = User | AnonymousUser | SystemAccess


def persons_visible(*, user: Reader | None) -> QuerySet[Person]:
    return scope_to_jurisdiction(Person.objects.all(), user)


def person_get(*, user: Reader | None, pk: int) -> Person:
    return get_object_or_404(
        persons_visible(user=user).select_related("household", "community", "grid"), pk=pk
    )


def households_visible(*, user: Reader | None) -> QuerySet[Household]:
    return scope_to_jurisdiction(Household.objects.all(), user)


def household_get(*, user: Reader | None, pk: int) -> Household:
    return get_object_or_404(
        households_visible(user=user).select_related("community", "grid"), pk=pk
    )


def status_history(*, user: Reader | None, person: Person) -> QuerySet[StatusEvent]:
    return scope_to_jurisdiction(StatusEvent.objects.filter(person=person), user).order_by("since")


def recognitions(*, user: Reader | None, person: Person) -> QuerySet[DifficultyRecognition]:
    qs = DifficultyRecognition.objects.filter(person=person)
    return scope_to_jurisdiction(qs, user).order_by("recognized_on")


def unit_filter(unit: Unit, prefix: str = "") -> Q:
    """Rows of ``unit`` through a person or household lookup ``prefix`` ("person__" etc.):
    a grid's own rows, a community's, or those of every community under a higher unit. Filters
    on the indexed ``community_id`` / ``grid_id`` columns."""
    if unit.level == Level.GRID:
        return Q(**{f"{prefix}grid_id": unit.pk})
    if unit.is_community:
        return Q(**{f"{prefix}community_id": unit.pk})
    communities = Unit.objects.filter(
        path__startswith=unit.path, level__in=COMMUNITY_LEVELS
    ).values("pk")
    return Q(**{f"{prefix}community_id__in": communities})


def persons_of(unit: Unit, *, user: Reader | None) -> QuerySet[Person]:
    """The persons of ``unit`` that ``user`` may see (none without a user)."""
    return scope_to_jurisdiction(Person.objects.filter(unit_filter(unit)), user)


def households_of(unit: Unit, *, user: Reader | None) -> QuerySet[Household]:
    return scope_to_jurisdiction(Household.objects.filter(unit_filter(unit)), user)
