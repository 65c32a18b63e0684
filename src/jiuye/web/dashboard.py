"""The numbers on the home page, for the user's jurisdiction on a date.

They come from ``registry.classification`` (the same as-of-date definitions as the standards'
indicators: labor force, employed, unemployed and registered unemployed within the labor force,
zero-employment families): whole communities in one aggregated query per jurisdiction, and the
households of a grid-only membership, which cover part of a community, household by household.
Everything is narrowed by the jurisdiction scope; a role without personal data gets nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jiuye.registry.classification import community_classification, household_classification
from jiuye.registry.selectors import households_visible
from jiuye.units.models import Level
from jiuye.units.scope import units_visible

COUNT_KEYS = (
    "persons",
    "households",
    "labor_force",
    "employed",
    "unemployed",
    "registered",
    "zero_families",
)


def jurisdiction_counts(*, user: Any, on: date) -> dict[str, int]:
    counts = dict.fromkeys(COUNT_KEYS, 0)
    communities = units_visible(user).filter(level__in=[Level.COMMUNITY, Level.VILLAGE])
    whole = community_classification(on=on, units=communities)
    for c in whole.values():
        counts["persons"] += c.persons
        counts["households"] += c.households
        counts["labor_force"] += c.labor_force
        counts["employed"] += c.employed
        counts["unemployed"] += c.unemployed
        counts["registered"] += c.registered_unemployed
        counts["zero_families"] += c.zero_families
    # Households the user sees through a grid membership only (not a whole community).
    if not units_visible(user).filter(memberships__user_id=user.pk, level=Level.GRID).exists():
        return counts
    partial = households_visible(user=user).exclude(community_id__in=list(whole))
    for h in household_classification(on=on, households=partial):
        counts["persons"] += h.persons
        counts["households"] += 1
        counts["labor_force"] += h.labor_force
        counts["employed"] += h.employed
        counts["unemployed"] += h.unemployed
        counts["registered"] += h.registered_unemployed
        counts["zero_families"] += int(h.is_zero)
    return counts
