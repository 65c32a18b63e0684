"""Every read of casework goes through the jurisdiction scope: a foreign object is 404, and a
read without a user finds nothing (a system job passes ``units.scope.SYSTEM``). A unit's persons
and households are the registry's reads (``registry.selectors.persons_of``, ``households_of``).

The three ledgers of CQ 002 that casework holds are views of the service records:
就业再就业培训台账 (:func:`training_ledger`), 就业服务台账 (:func:`service_ledger`: guidance
and referral) and 就业再就业政策落实台账 (:func:`policy_ledger`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from jiuye.accounts.models import User
from jiuye.casework.models import (
    AssistanceCase,
    ServiceKind,
    ServiceRecord,
    UnemployedProfile,
    ZeroFamilyCase,
)
from jiuye.registry.classification import persons_without_status
from jiuye.registry.models import Person
from jiuye.registry.selectors import Reader, persons_of
from jiuye.units.models import Unit
from jiuye.units.scope import scope_to_jurisdiction, units_visible


def user_units(user: User) -> QuerySet[Unit]:
    """The units the user is a member of (their worklists)."""
    return units_visible(user).filter(memberships__user=user).order_by("path")


def unit_get(*, user: User, code: str) -> Unit:
    return get_object_or_404(units_visible(user), code=code)


def service_records(*, user: User, person: Person | None = None) -> QuerySet[ServiceRecord]:
    qs = ServiceRecord.objects.all()
    if person is not None:
        qs = qs.filter(person=person)
    return scope_to_jurisdiction(qs, user).select_related("by")


def service_record_get(*, user: User, pk: int) -> ServiceRecord:
    return get_object_or_404(service_records(user=user).select_related("person"), pk=pk)


def profile_of(*, user: User, person: Person) -> UnemployedProfile | None:
    return scope_to_jurisdiction(UnemployedProfile.objects.filter(person=person), user).first()


def assistance_cases(*, user: User, person: Person | None = None) -> QuerySet[AssistanceCase]:
    qs = AssistanceCase.objects.all()
    if person is not None:
        qs = qs.filter(person=person)
    return scope_to_jurisdiction(qs, user).prefetch_related("steps")


def assistance_case_get(*, user: User, pk: int) -> AssistanceCase:
    return get_object_or_404(assistance_cases(user=user).select_related("person"), pk=pk)


def zero_family_cases(*, user: User, on: date, open_only: bool = True) -> QuerySet[ZeroFamilyCase]:
    """The zero-family cases of the user's jurisdiction as of ``on``: those open that day, or
    (``open_only=False``) every case that had emerged by then (a case the calendar dates after
    ``on``, a retiree's household becoming zero, is not shown before its day). Every
    household's cases (HD and QG count all; CQ-2 counts the urban ones,
    ``ZeroFamilyCase.objects.urban()``)."""
    qs = ZeroFamilyCase.objects.select_related(
        "household", "household__community", "household__grid", "assigned_to"
    )
    qs = qs.open_on(on) if open_only else qs.filter(emerged_on__lte=on)
    return scope_to_jurisdiction(qs, user).order_by("emerged_on", "id")


def status_not_recorded(*, unit: Unit, on: date, user: Reader | None) -> QuerySet[Person]:
    """Data quality (DOMAIN §3, "status not recorded"): the persons of ``unit`` that ``user``
    may see, of working age on ``on`` with no status recorded by then, ordered by place and
    name. They are counted in no indicator that day."""
    return persons_without_status(on=on, persons=persons_of(unit, user=user)).order_by(
        "community__path", "grid__path", "household__number", "name", "pk"
    )


CommunityCounts = list[tuple[Unit, int]]
CountsSource = Callable[..., CommunityCounts | None]
_status_counts_sources: list[CountsSource] = []


def status_not_recorded_counts_source(source: CountsSource) -> CountsSource:
    """Let a layer above that keeps these counts answer :func:`status_not_recorded_counts`
    (``standards`` registers its aggregates at start-up, ``StandardsConfig.ready``): called
    with the same keywords, it returns the same numbers or None when it cannot vouch for them
    (aggregates stale, a unit not wholly the user's), and then the query here answers. Casework
    never imports the layers above: they plug in, as they listen to its signals."""
    if source not in _status_counts_sources:
        _status_counts_sources.append(source)
    return source


def status_not_recorded_counts(*, unit: Unit, on: date, user: Reader | None) -> CommunityCounts:
    """:func:`status_not_recorded` counted per community (those with any), in tree order: from
    a registered source when it can answer (:func:`status_not_recorded_counts_source`), else
    :func:`status_not_recorded_counted`."""
    for source in _status_counts_sources:
        found = source(unit=unit, on=on, user=user)
        if found is not None:
            return found
    return status_not_recorded_counted(unit=unit, on=on, user=user)


def status_not_recorded_counted(*, unit: Unit, on: date, user: Reader | None) -> CommunityCounts:
    """:func:`status_not_recorded` counted per community (those with any), in tree order, by
    one aggregated query over the unit's persons and their status events."""
    counts = dict(
        persons_without_status(on=on, persons=persons_of(unit, user=user))
        .order_by()
        .values("community_id")
        .annotate(n=Count("pk"))
        .values_list("community_id", "n")
    )
    communities = Unit.objects.filter(pk__in=list(counts)).order_by("path")
    return [(community, counts[community.pk]) for community in communities]


def _ledger(user: User, kinds: list[str], start: date, end: date) -> QuerySet[ServiceRecord]:
    qs = ServiceRecord.objects.filter(kind__in=kinds, on__gte=start, on__lte=end)
    return (
        scope_to_jurisdiction(qs, user)
        .select_related("person", "person__community", "person__grid")
        .order_by("on", "id")
    )


def training_ledger(*, user: User, start: date, end: date) -> QuerySet[ServiceRecord]:
    """就业再就业培训台账: trainings dated in [start, end]."""
    return _ledger(user, [ServiceKind.TRAINING], start, end)


def service_ledger(*, user: User, start: date, end: date) -> QuerySet[ServiceRecord]:
    """就业服务台账 (职业介绍、职业指导): referrals and guidance dated in [start, end]."""
    return _ledger(user, [ServiceKind.REFERRAL, ServiceKind.GUIDANCE], start, end)


def policy_ledger(*, user: User, start: date, end: date) -> QuerySet[ServiceRecord]:
    """就业再就业政策落实台账: policy payments dated in [start, end]."""
    return _ledger(user, [ServiceKind.POLICY], start, end)


LEDGERS = {
    "training": training_ledger,
    "services": service_ledger,
    "policy": policy_ledger,
}
