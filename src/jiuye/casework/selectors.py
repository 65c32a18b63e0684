"""Every read of casework goes through the jurisdiction scope: a foreign object is 404.

The three ledgers of CQ 002 that casework holds are views of the service records:
就业再就业培训台账 (:func:`training_ledger`), 就业服务台账 (:func:`service_ledger`: guidance
and referral) and 就业再就业政策落实台账 (:func:`policy_ledger`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from jiuye.casework.models import (
    AssistanceCase,
    ServiceKind,
    ServiceRecord,
    UnemployedProfile,
    ZeroFamilyCase,
    ZeroFamilyStatus,
)
from jiuye.registry.models import Household, Person
from jiuye.units.models import Level, Unit
from jiuye.units.scope import scope_to_jurisdiction, units_visible


def unit_filter(unit: Unit, prefix: str = "") -> Q:
    """Rows of ``unit`` through a person or household lookup ``prefix`` ("person__" etc.):
    a grid's own rows, a community's, or those of every community under a higher unit. Filters
    on the indexed ``community_id`` / ``grid_id`` columns."""
    if unit.level == Level.GRID:
        return Q(**{f"{prefix}grid_id": unit.pk})
    if unit.is_community:
        return Q(**{f"{prefix}community_id": unit.pk})
    communities = Unit.objects.filter(
        path__startswith=unit.path, level__in=[Level.COMMUNITY, Level.VILLAGE]
    ).values("pk")
    return Q(**{f"{prefix}community_id__in": communities})


def persons_of(unit: Unit, user: Any = None) -> QuerySet[Person]:
    """The persons of ``unit``, through the user's jurisdiction when a user is given (the CLI
    and jobs pass none)."""
    qs = Person.objects.filter(unit_filter(unit))
    return scope_to_jurisdiction(qs, user) if user is not None else qs


def households_of(unit: Unit, user: Any = None) -> QuerySet[Household]:
    qs = Household.objects.filter(unit_filter(unit))
    return scope_to_jurisdiction(qs, user) if user is not None else qs


def user_units(user: Any) -> QuerySet[Unit]:
    """The units the user is a member of (their worklists)."""
    return units_visible(user).filter(memberships__user=user).order_by("path")


def unit_get(*, user: Any, code: str) -> Unit:
    return get_object_or_404(units_visible(user), code=code)


def service_records(*, user: Any, person: Person | None = None) -> QuerySet[ServiceRecord]:
    qs = ServiceRecord.objects.all()
    if person is not None:
        qs = qs.filter(person=person)
    return scope_to_jurisdiction(qs, user).select_related("by")


def service_record_get(*, user: Any, pk: int) -> ServiceRecord:
    return get_object_or_404(service_records(user=user).select_related("person"), pk=pk)


def profile_of(*, user: Any, person: Person) -> UnemployedProfile | None:
    return scope_to_jurisdiction(UnemployedProfile.objects.filter(person=person), user).first()


def assistance_cases(*, user: Any, person: Person | None = None) -> QuerySet[AssistanceCase]:
    qs = AssistanceCase.objects.all()
    if person is not None:
        qs = qs.filter(person=person)
    return scope_to_jurisdiction(qs, user).prefetch_related("steps")


def assistance_case_get(*, user: Any, pk: int) -> AssistanceCase:
    return get_object_or_404(assistance_cases(user=user).select_related("person"), pk=pk)


def zero_family_cases(*, user: Any, open_only: bool = True) -> QuerySet[ZeroFamilyCase]:
    qs = ZeroFamilyCase.objects.select_related(
        "household", "household__community", "household__grid", "assigned_to"
    )
    if open_only:
        qs = qs.filter(status=ZeroFamilyStatus.OPEN)
    return scope_to_jurisdiction(qs, user).order_by("emerged_on", "id")


def _ledger(user: Any, kinds: list[str], start: date, end: date) -> QuerySet[ServiceRecord]:
    qs = ServiceRecord.objects.filter(kind__in=kinds, on__gte=start, on__lte=end)
    return (
        scope_to_jurisdiction(qs, user)
        .select_related("person", "person__community", "person__grid")
        .order_by("on", "id")
    )


def training_ledger(*, user: Any, start: date, end: date) -> QuerySet[ServiceRecord]:
    """就业再就业培训台账: trainings dated in [start, end]."""
    return _ledger(user, [ServiceKind.TRAINING], start, end)


def service_ledger(*, user: Any, start: date, end: date) -> QuerySet[ServiceRecord]:
    """就业服务台账 (职业介绍、职业指导): referrals and guidance dated in [start, end]."""
    return _ledger(user, [ServiceKind.REFERRAL, ServiceKind.GUIDANCE], start, end)


def policy_ledger(*, user: Any, start: date, end: date) -> QuerySet[ServiceRecord]:
    """就业再就业政策落实台账: policy payments dated in [start, end]."""
    return _ledger(user, [ServiceKind.POLICY], start, end)


LEDGERS = {
    "training": training_ledger,
    "services": service_ledger,
    "policy": policy_ledger,
}
