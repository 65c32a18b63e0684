"""A small world for the dashboard tests, written through the services (so the aggregates and
the monthly roll-ups follow): months of 2026 in which the figures of ``monitoring.series``
change.

- community A (grid A1), an urban dibao household: one member employed until registered
  unemployed on 2026-03-10 and recognised difficult (dibao) on 2026-04-01, the other
  unemployed since 2025 until employed on 2026-08-15: a zero-employment family from 03-10 to
  08-15;
- community A (grid A2), an agricultural household farming, its second member farming from
  2026-05-01 (employed by a unit before): a pure-farming family from then;
- community A outside any grid: two employed, one of them from 2026-06-01;
- community B, a converted (农转非) household: one registered unemployed from 2026-06-01, one
  employed; community C, an agricultural household: one unemployed, one employed.
- services: guidance in A in March (2) and in B in June (1), a visit in A in April.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

FIRST_EMPLOYED = date(2020, 1, 1)


def build(
    tree: dict[str, Any], household: Callable[..., Any], person: Callable[..., Any]
) -> dict[str, Any]:
    from jiuye.casework import services as casework
    from jiuye.registry import services as registry

    w: dict[str, Any] = {}
    dibao = registry.household_create(
        actor=None, number="DW-1", unit=tree["a1"], hukou_type="urban", dibao=True
    )
    w["head"] = person(
        "a1",
        hh=dibao,
        statuses=((FIRST_EMPLOYED, "unit"), (date(2026, 3, 10), "unemployed", True)),
    )
    w["spouse"] = person(
        "a1",
        hh=dibao,
        male=False,
        statuses=((date(2025, 6, 1), "unemployed"), (date(2026, 8, 15), "flexible")),
    )
    registry.recognition_create(
        actor=None, person=w["head"], category="dibao", recognized_on=date(2026, 4, 1)
    )
    farm = household("a2", hukou_type="agricultural")
    person("a2", hh=farm, statuses=((FIRST_EMPLOYED, "farming"),))
    person(
        "a2",
        hh=farm,
        statuses=((FIRST_EMPLOYED, "unit"), (date(2026, 5, 1), "farming")),
    )
    plain = household("a", hukou_type="urban")
    person("a", hh=plain, statuses=((FIRST_EMPLOYED, "unit"),))
    person("a", hh=plain, statuses=((date(2026, 6, 1), "self"),))
    converted = household("b", hukou_type="converted")
    person(
        "b",
        hh=converted,
        statuses=((FIRST_EMPLOYED, "unit"), (date(2026, 6, 1), "unemployed", True)),
    )
    person("b", hh=converted, statuses=((FIRST_EMPLOYED, "unit"),))
    village = household("c", hukou_type="agricultural")
    person("c", hh=village, statuses=((date(2024, 1, 1), "unemployed"),))
    person("c", hh=village, statuses=((FIRST_EMPLOYED, "transfer"),))
    for who, kind, on in (
        (w["head"], "guidance", date(2026, 3, 12)),
        (w["head"], "guidance", date(2026, 3, 20)),
        (w["head"], "visit", date(2026, 4, 2)),
    ):
        casework.service_record_create(actor=None, person=who, kind=kind, on=on)
    b_person = converted.members.order_by("pk").first()
    casework.service_record_create(
        actor=None, person=b_person, kind="guidance", on=date(2026, 6, 3)
    )
    return w
