"""The monthly roll-ups always equal a recomputation from the events.

Random writes through the services (``tests.standards.test_aggregates.World``: persons created,
moved and edited, statuses back and forth in time, recognitions, dibao, services created and
deleted); after each batch every unit's stored months equal, month by month:

- the status counts of the direct aggregated SQL over the registry at the month's last day
  (``indicators.status.direct_status_vectors``), summed over the unit's communities;
- the zero-employment families open that day, from the zero-family cases read in Python
  (``ZeroFamilyCase.open_on``), all and urban (CQ-2: the household's hukou);
- the service records dated in the month, by kind, counted in Python for the person's
  community.

A rebuild from scratch gives the same rows; a month after the last built one is read live.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from typing import Any

import pytest
from django.test import override_settings

from jiuye.casework.models import ServiceRecord, ZeroFamilyCase
from jiuye.monitoring import rollups
from jiuye.monitoring.models import ROLLUP_FIELDS, MonthlyRollup, RollupState
from jiuye.registry import definitions
from jiuye.standards.indicators.status import direct_status_vectors
from jiuye.standards.models import VECTOR_FIELDS
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit
from tests.standards.test_aggregates import World

THROUGH = date(2026, 12, 31)
MONTHS = 24


def _expected(months: list[date]) -> dict[tuple[int, date], dict[str, int]]:
    units = list(Unit.objects.exclude(level=Level.GRID))
    communities = [u for u in units if u.level in COMMUNITY_LEVELS]
    by_community: dict[tuple[int, date], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(ROLLUP_FIELDS, 0)
    )
    cases = list(ZeroFamilyCase.objects.select_related("household"))
    records = list(ServiceRecord.objects.select_related("person"))
    for month in months:
        end = rollups.month_end(month)
        vectors = direct_status_vectors(on=end, root=None)
        for community in communities:
            row = by_community[(community.pk, month)]
            for field in VECTOR_FIELDS:
                row[field] = vectors.get(community.pk, {}).get(field, 0)
        for case in cases:
            if case.open_on(end):
                row = by_community[(case.household.community_id, month)]
                row["zero_families"] += 1
                row["zero_families_urban"] += definitions.is_urban(case.household.hukou_type)
        for record in records:
            if rollups.month_of(record.on) == month:
                by_community[(record.person.community_id, month)][f"svc_{record.kind}"] += 1
    expected: dict[tuple[int, date], dict[str, int]] = {}
    for unit in units:
        for month in months:
            total = dict.fromkeys(ROLLUP_FIELDS, 0)
            for community in communities:
                if community.path.startswith(unit.path):
                    for field, value in by_community[(community.pk, month)].items():
                        total[field] += value
            expected[(unit.pk, month)] = total
    return expected


def _stored() -> dict[tuple[int, date], dict[str, int]]:
    return {
        (row["unit_id"], row["month"]): {f: row[f] for f in ROLLUP_FIELDS}
        for row in MonthlyRollup.objects.values("unit_id", "month", *ROLLUP_FIELDS)
    }


def assert_rollups_equal_recomputation() -> None:
    """The stored rows are the communities' (the units above sum them when read, so that
    writers of two communities share no row); every unit's months as read equal the
    recomputation."""
    state = RollupState.objects.get(pk=1)
    months = rollups.months_between(state.first_month, state.last_month)
    expected, stored = _expected(months), _stored()
    communities = set(Unit.objects.filter(level__in=COMMUNITY_LEVELS).values_list("pk", flat=True))
    assert {unit_id for unit_id, _m in stored} == communities
    for unit in Unit.objects.exclude(level=Level.GRID):
        read = rollups.unit_months(unit=unit, last=state.last_month, count=len(months))
        assert read is not None and [r.month for r in read] == months
        for row in read:
            assert row.values == expected[(unit.pk, row.month)], (unit.code, row.month)
            if unit.pk in communities:
                assert stored[(unit.pk, row.month)] == row.values
        monthly = rollups.units_month(units=[unit], month=months[-1])
        assert monthly == {unit.pk: expected[(unit.pk, months[-1])]}


@pytest.mark.parametrize("seed", [11, 12])
@override_settings(JIUYE_ROLLUP_MONTHS=MONTHS)
def test_random_writes_keep_rollups_equal_to_recomputation(tree: dict[str, Any], seed: int) -> None:
    rollups.rollups_build(through=THROUGH)
    world = World(random.Random(seed), tree)
    for _batch in range(3):
        for _ in range(30):
            world.step()
        assert rollups.rollups_fresh()
        assert_rollups_equal_recomputation()
    before = _stored()
    rollups.rollups_build(through=THROUGH)
    assert _stored() == before


@override_settings(JIUYE_ROLLUP_MONTHS=MONTHS)
def test_a_trend_is_the_stored_months_and_a_new_month_is_read_live(
    tree: dict[str, Any], registered: Any
) -> None:
    registered(date(2026, 3, 10))
    rollups.rollups_build(through=date(2026, 11, 30))
    trend = rollups.unit_months(unit=tree["district"], last=date(2026, 12, 15), count=12)
    assert trend is not None
    assert [row.month for row in trend][-1] == date(2026, 12, 1)
    assert trend[-1].live and not trend[-2].live
    assert trend[-1]["registered"] == trend[-2]["registered"] == 1
    assert [row["registered"] for row in trend if row.month < date(2026, 3, 1)] == [0, 0]
    # The daily job stores the new month; the trend then reads it.
    assert rollups.rollups_extend(through=date(2026, 12, 15)) == 1
    stored = rollups.unit_months(unit=tree["district"], last=date(2026, 12, 15), count=12)
    assert stored is not None and not stored[-1].live
    assert [r.values for r in stored] == [r.values for r in trend]


def test_stale_aggregates_make_the_rollups_unreadable(tree: dict[str, Any]) -> None:
    from jiuye.registry.models import Household

    assert rollups.rollups_fresh()
    Household.objects.bulk_create(
        [Household(number="BULK", community=tree["a"], hukou_type="urban")]
    )
    assert not rollups.rollups_fresh()
    assert rollups.unit_months(unit=tree["a"], last=date(2026, 12, 1)) is None
