"""The numbers on the home page, for the user's jurisdiction on a date.

They follow the same as-of-date definitions as the standards' indicators (labor force,
employed, unemployed and registered unemployed within the labor force, zero-employment
families), read for the communities the user sees whole:

- from the incremental aggregates when they are fresh (``standards.aggregates``): the
  community timelines give the labor-force counts at the date (one index probe per community),
  the zero-family cases open at the date give the zero families (the cases ARE the episodes of
  the same rule), and persons and households are two counts;
- else from ``registry.classification``, one aggregated query over the jurisdiction (the two
  give the same numbers, ``tests/web/test_dashboard.py``).

The households of a grid-only membership, which cover part of a community, are read household
by household from the classification (a grid is small). Everything is narrowed by the
jurisdiction scope; a role without personal data gets nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from jiuye.casework.models import ZeroFamilyCase
from jiuye.registry.classification import community_classification, household_classification
from jiuye.registry.models import Household, Person
from jiuye.registry.selectors import households_visible
from jiuye.standards import aggregates
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit
from jiuye.units.scope import jurisdiction_paths, member_units, units_visible

COUNT_KEYS = (
    "persons",
    "households",
    "labor_force",
    "employed",
    "unemployed",
    "registered",
    "zero_families",
)
# The community vector's field behind each labor-force count (``standards.models``).
_VECTOR_KEYS = {
    "labor_force": "labor_force",
    "employed": "employed",
    "unemployed": "unemployed",
    "registered": "registered",
}


def jurisdiction_counts(*, user: Any, on: date) -> dict[str, int]:
    communities = units_visible(user).filter(level__in=COMMUNITY_LEVELS)
    if aggregates.aggregates_fresh():
        counts, whole = _from_aggregates(user, communities, on)
    else:
        counts, whole = _from_classification(communities, on)
    # Households the user sees through a grid membership only (not a whole community).
    if not any(unit.level == Level.GRID for unit in member_units(user)):
        return counts
    partial = households_visible(user=user).exclude(community_id__in=whole)
    for h in household_classification(on=on, households=partial):
        counts["persons"] += h.persons
        counts["households"] += 1
        counts["labor_force"] += h.labor_force
        counts["employed"] += h.employed
        counts["unemployed"] += h.unemployed
        counts["registered"] += h.registered_unemployed
        counts["zero_families"] += int(h.is_zero)
    return counts


def _from_classification(communities: QuerySet[Unit], on: date) -> tuple[dict[str, int], list[int]]:
    """The whole communities' counts in one aggregated query over their persons."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    whole = community_classification(on=on, units=communities)
    for c in whole.values():
        counts["persons"] += c.persons
        counts["households"] += c.households
        counts["labor_force"] += c.labor_force
        counts["employed"] += c.employed
        counts["unemployed"] += c.unemployed
        counts["registered"] += c.registered_unemployed
        counts["zero_families"] += c.zero_families
    return counts, list(whole)


def _from_aggregates(
    user: Any, communities: QuerySet[Unit], on: date
) -> tuple[dict[str, int], list[int]]:
    """The whole communities' counts from the community timelines and the zero-family cases,
    with persons and households counted (no scan of persons' statuses)."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    whole = list(communities.values_list("pk", flat=True))
    vectors: dict[int, dict[str, int]] = {}
    for path in jurisdiction_paths(user):  # the communities under each of the user's units
        vectors.update(aggregates.community_vectors(on=on, path=path))
    for pk in whole:
        vector = vectors.get(pk)
        if vector is not None:
            for key, field in _VECTOR_KEYS.items():
                counts[key] += vector[field]
    persons = Person.objects.filter(community__in=communities)
    if on < timezone.localdate():
        # Persons born by the date. Nobody is born after today: an ID number's birth date is
        # never later than the day it is entered (``lib.idcard``), so today this is everyone
        # and the count needs only the community index.
        persons = persons.filter(birth_date__lte=on)
    counts["persons"] = persons.count()
    counts["households"] = Household.objects.filter(community__in=communities).count()
    counts["zero_families"] = (
        ZeroFamilyCase.objects.open_on(on).filter(household__community__in=communities).count()
    )
    return counts, whole
