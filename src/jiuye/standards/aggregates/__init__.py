"""Incremental aggregates: every household's and every community's counts over time, the
service days and the survey facts, so that the indicators of every community at any date are a
few indexed lookups instead of a scan of every person and event.

The status indicators of DOMAIN §5 (labor force, employed, difficult persons, pure-farming
families, urban registered unemployed, CQ-3's dibao members) are sums over households of counts
that change only on a handful of days: a status event, a 16th birthday, a retirement day, a
recognition beginning or ending. So is DOMAIN §3's data quality, "status not recorded" (of
working age with no status in force), which a street's worklist counts per community. Each
household's counts are stored as a *timeline*
(:class:`~jiuye.standards.models.HouseholdTimeline`: one row per day they change), each
community's as the sum of its households' (:class:`CommunityTimeline`). Zero-employment families
are not among them: they are the zero-family cases (casework).

The modules, each one concern:

- :mod:`.timeline`: one household's timeline in Python, by ``registry.definitions`` alone;
- :mod:`.records`: what one service record counts for;
- :mod:`.rebuild`: everything set-based in SQL (the rebuild, the refresh after a bulk load,
  inside the load's transaction or after it);
- :mod:`.upkeep`: the incremental upkeep after each write (``standards.receivers``);
- :mod:`.state`: whether the aggregates may be read;
- :mod:`.readers`: reading them for every community under a unit;
- :mod:`.tables`: the tables and low-level helpers the others share.
"""

from jiuye.standards.aggregates.readers import community_vectors, service_counts, survey_counts
from jiuye.standards.aggregates.rebuild import (
    RebuildSummary,
    RefreshSummary,
    aggregates_rebuild,
    aggregates_refresh,
    households_loaded,
)
from jiuye.standards.aggregates.records import (
    SERVICE_COLUMNS,
    THREE_MODE_VALUES,
    service_contribution,
)
from jiuye.standards.aggregates.state import (
    BULK_ACTIONS,
    Freshness,
    aggregates_fresh,
    aggregates_freshness,
    aggregates_invalidate,
    compact,
    is_built,
    seen,
)
from jiuye.standards.aggregates.upkeep import (
    households_changed,
    person_moved,
    service_day_add,
    survey_fact_update,
)

__all__ = [
    "BULK_ACTIONS",
    "SERVICE_COLUMNS",
    "THREE_MODE_VALUES",
    "Freshness",
    "RebuildSummary",
    "RefreshSummary",
    "aggregates_fresh",
    "aggregates_freshness",
    "aggregates_invalidate",
    "aggregates_rebuild",
    "aggregates_refresh",
    "community_vectors",
    "compact",
    "households_changed",
    "households_loaded",
    "is_built",
    "person_moved",
    "seen",
    "service_contribution",
    "service_counts",
    "service_day_add",
    "survey_counts",
    "survey_fact_update",
]
