"""``Unit.is_large``: more than a twentieth of the communities and villages lie under the unit
(queries then read a rare kind of row whole instead of probing the unit's persons)."""

from __future__ import annotations

from typing import Any

from jiuye.units.models import Level, Unit
from jiuye.units.services import unit_create


def test_a_unit_is_large_by_its_share_of_communities(tree: dict[str, Any]) -> None:
    # The shared tree: 3 communities, each a third of them.
    assert Unit.objects.get(pk=tree["district"].pk).is_large()
    assert Unit.objects.get(pk=tree["c"].pk).is_large()
    street = tree["s2"]
    for n in range(2, 60):  # 61 communities and villages, 59 of them in street 2
        code, name = f"110108002{n:03d}", f"社区{n}"
        unit_create(actor=None, code=code, name=name, level=Level.VILLAGE, parent=street)
    assert not Unit.objects.get(pk=tree["a"].pk).is_large()  # 1 of 61
    assert not Unit.objects.get(pk=tree["s1"].pk).is_large()  # 2 of 61: under a twentieth
    assert Unit.objects.get(pk=tree["s2"].pk).is_large()
    assert not Unit.objects.get(pk=tree["a1"].pk).is_large()  # a grid holds none
