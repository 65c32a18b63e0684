"""Every read of employers' data (DOMAIN §8) goes through the jurisdiction scope: a foreign
employer is 404, and a read without a user finds nothing (a system job passes
``units.scope.SYSTEM``).

Lists are set-based: an employer's latest staff count at a date, its open postings and its
layoffs of the last twelve months are annotations (one correlated sub-select each, read only
for the page's rows), never a loop over employers in Python.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from jiuye.jobs.definitions import posting_open_q
from jiuye.jobs.models import ContractEvent, Employer, Hire, Layoff, Posting, StaffReport
from jiuye.lib.retirement import add_months
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit
from jiuye.units.scope import jurisdiction_units, scope_to_jurisdiction

MAX_PK = 2**63 - 1
LAYOFF_MONTHS = 12  # the employers' list counts the layoffs of the last twelve months


def employers_visible(*, user: Any) -> QuerySet[Employer]:
    return scope_to_jurisdiction(Employer.objects.all(), user)


def employer_get(*, user: Any, pk: int) -> Employer:
    """One employer of the user's jurisdiction, else 404 (also for an id out of range)."""
    if not 0 < pk <= MAX_PK:
        raise Http404("employer")
    return get_object_or_404(employers_visible(user=user).select_related("unit"), pk=pk)


def _count(queryset: QuerySet[Any], value: Any) -> Coalesce:
    """An aggregate of ``queryset``'s rows of the outer employer, as a sub-select."""
    grouped = queryset.filter(employer=OuterRef("pk")).order_by().values("employer")
    return Coalesce(
        Subquery(grouped.annotate(n=value).values("n")[:1], output_field=IntegerField()),
        Value(0),
    )


def with_figures(employers: QuerySet[Employer], *, on: date) -> QuerySet[Employer]:
    """``staff`` and ``staff_on`` (the latest report on or before ``on``, None without one),
    ``open_postings`` (open on ``on``) and ``laid_off`` (persons laid off in the twelve months up
    to ``on``)."""
    latest = StaffReport.objects.filter(employer=OuterRef("pk"), on__lte=on).order_by("-on", "-id")
    since = add_months(on, -LAYOFF_MONTHS)
    return employers.annotate(
        staff=Subquery(latest.values("staff")[:1]),
        staff_on=Subquery(latest.values("on")[:1]),
        open_postings=_count(Posting.objects.filter(posting_open_q(on)), Count("pk")),
        laid_off=_count(Layoff.objects.filter(on__gt=since, on__lte=on), Sum("count")),
    )


def employers_search(
    *, user: Any, q: str = "", unit: Unit | None = None, on: date
) -> QuerySet[Employer]:
    """The user's employers matching ``q`` (part of the name, or the start of the USCC), in
    ``unit`` (and what lies under it) if given, with their figures at ``on``, by name."""
    employers = employers_visible(user=user).select_related("unit")
    text = (q or "").strip()
    if text:
        code = text.replace(" ", "").upper()
        employers = employers.filter(Q(name__icontains=text) | Q(uscc__startswith=code))
    if unit is not None:
        employers = employers.filter(unit__path__startswith=unit.path)
    return with_figures(employers, on=on).order_by("name", "id")


def employer_units(*, user: Any) -> QuerySet[Unit]:
    """The units an employers' list can be narrowed to: the user's streets, communities and
    villages (and the district's), in tree order."""
    paths = [path for path, level in jurisdiction_units(user) if level != Level.GRID]
    if not paths:
        return Unit.objects.none()
    under = Q()
    for path in paths:
        under |= Q(path__startswith=path)
    return (
        Unit.objects.filter(under)
        .filter(level__in=[Level.DISTRICT, Level.STREET, Level.TOWN, *COMMUNITY_LEVELS])
        .order_by("path")
    )


def staff_reports(*, user: Any, employer: Employer) -> QuerySet[StaffReport]:
    return scope_to_jurisdiction(StaffReport.objects.filter(employer=employer), user).order_by(
        "-on", "-id"
    )


def contracts(*, user: Any, employer: Employer) -> QuerySet[ContractEvent]:
    return scope_to_jurisdiction(ContractEvent.objects.filter(employer=employer), user).order_by(
        "-on", "-id"
    )


def layoffs(*, user: Any, employer: Employer) -> QuerySet[Layoff]:
    return scope_to_jurisdiction(Layoff.objects.filter(employer=employer), user).order_by(
        "-on", "-id"
    )


def hires(*, user: Any, employer: Employer) -> QuerySet[Hire]:
    return (
        scope_to_jurisdiction(Hire.objects.filter(employer=employer), user)
        .select_related("person", "posting")
        .order_by("-on", "-id")
    )


def employer_counts(*, employer: Employer) -> dict[str, int]:
    """How many reports of each kind the employer has (one query, a sub-select each, no
    cross product of its tables)."""
    kinds = {
        "staff_reports": StaffReport.objects.all(),
        "contracts": ContractEvent.objects.all(),
        "layoffs": Layoff.objects.all(),
        "hires": Hire.objects.all(),
        "postings": Posting.objects.all(),
    }
    row = (
        Employer.objects.filter(pk=employer.pk)
        .annotate(**{f"n_{key}": _count(qs, Count("pk")) for key, qs in kinds.items()})
        .values(*(f"n_{key}" for key in kinds))
        .get()
    )
    return {key: int(row[f"n_{key}"]) for key in kinds}


def employer_postings(*, employer: Employer, on: date) -> QuerySet[Posting]:
    """The employer's postings open on ``on`` (a hire may fill one of their vacancies)."""
    return Posting.objects.filter(posting_open_q(on), employer=employer).order_by("number")


def employer_posting(*, employer: Employer, pk: int) -> Posting | None:
    """One posting of ``employer`` (open or not: a hire into a full one is the service's
    refusal, in its words)."""
    return Posting.objects.filter(employer=employer, pk=pk).first()
