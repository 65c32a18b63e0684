"""The ranking's read (``rollups.units_month``) for a month after the last built one: the child
units' values computed live in one pass equal what the daily job then stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.test import override_settings

from jiuye.monitoring import rollups
from tests.monitoring import dashboard_world


@override_settings(JIUYE_ROLLUP_MONTHS=24)
def test_a_new_month_of_several_units_is_read_live_then_stored(
    tree: dict[str, Any], household: Callable[..., Any], person: Callable[..., Any]
) -> None:
    dashboard_world.build(tree, household, person)
    rollups.rollups_build(through=date(2026, 10, 31))
    units = [tree["district"], tree["s1"], tree["s2"], tree["a"], tree["b"], tree["c"]]
    live = rollups.units_month(units=units, month=date(2026, 11, 1))
    assert live is not None and set(live) == {u.pk for u in units}
    assert live[tree["s1"].pk]["labor_force"] == 6 + 2  # A's six, B's two
    assert rollups.rollups_extend(through=date(2026, 11, 30)) == 1
    assert rollups.units_month(units=units, month=date(2026, 11, 1)) == live
