"""The 户 sheet: each household placed in a community, village or grid of the file or the
registry, within the user's scope; a registered household's blank cells keep their values."""

from __future__ import annotations

from typing import Any

from jiuye.ledger.validate.context import Context
from jiuye.ledger.validate.fetch import fetch_by, table_empty
from jiuye.ledger.validate.plan import Counts
from jiuye.ledger.validate.rows import Rows
from jiuye.registry.models import Household
from jiuye.units.models import Level


def check_households(ctx: Context, rows: Rows, counts: Counts) -> None:
    numbers, units = rows.col("number"), rows.col("unit")
    hukou, address, dibao = rows.col("hukou_type"), rows.col("address"), rows.col("dibao")
    first: dict[str, int] = {}
    for i in range(rows.n):
        if numbers[i]:
            if numbers[i] in first:
                rows.error(
                    i,
                    "duplicate_in_file",
                    "number",
                    numbers[i],
                    first_row=rows.location(first[numbers[i]])[1],
                )
            else:
                first[numbers[i]] = i
    ctx.household_rows = first
    existing: dict[str, tuple[Any, ...]] = {}
    if not table_empty(Household):
        for row in fetch_by(
            Household,
            "number",
            first,
            ("number", "id", "community_id", "grid_id", "hukou_type", "address", "dibao"),
        ):
            existing[row[0]] = row
    # Each unit code resolved once: (community, grid, path) or the error to report.
    placement: dict[str, tuple[Any, ...]] = {}
    grid_level, community_levels = str(Level.GRID), (str(Level.COMMUNITY), str(Level.VILLAGE))
    bad = rows.bad
    inserts = ctx.plan.households_insert
    households, hukou_of, dibao_of = ctx.households, ctx.household_hukou, ctx.household_dibao
    inserted = 0
    for number, i in first.items():
        code = units[i]
        if i in bad or not code:
            continue
        place: tuple[Any, ...] | None = placement.get(code)
        if place is None:
            unit = ctx.units.get(code)
            if unit is None:
                j = ctx.unit_rows.get(code)
                place = ("failed", j) if j is not None else ("unknown",)
            elif unit[1] == grid_level:
                place = (unit[2].rstrip("/").split("/")[-2], code, unit[2])
            elif unit[1] in community_levels:
                place = (code, None, unit[2])
            else:
                place = ("level", unit[1])
            if len(place) == 3 and not ctx.scope.allows(place[2]):
                place = ("scope",)
            placement[code] = place
        if len(place) != 3:
            if place[0] == "failed":
                rows.reference_failed(i, "unit", "单位", ctx.rows["units"], place[1])
            elif place[0] == "unknown":
                rows.error(i, "unknown_unit", "unit", code, ref=code)
            elif place[0] == "level":
                rows.error(
                    i,
                    "household_unit_level",
                    "unit",
                    code,
                    ref=code,
                    level=Level(place[1]).label,
                    level_en=place[1],
                )
            else:
                rows.error(i, "out_of_scope", "unit", code, what="单位")
            continue
        community, grid, path = place
        old = existing.get(number) if existing else None
        if old is None:
            is_dibao = dibao[i] is True
            inserts.append((number, community, grid, hukou[i], address[i], is_dibao))
            inserted += 1
            households[number] = (None, community, grid, path)
            hukou_of[number] = hukou[i]
            dibao_of[number] = is_dibao
            continue
        old_path = ctx.location(old[2], old[3])
        if not ctx.scope.allows(old_path):
            rows.error(i, "out_of_scope", "number", number, what="户")
            continue
        new = (
            old[1],
            community,
            grid,
            hukou[i] or old[4],
            address[i] or old[5],
            old[6] if dibao[i] is None else dibao[i],
        )
        old_codes = (
            ctx.unit_code_by_id[old[2]],
            ctx.unit_code_by_id[old[3]] if old[3] else None,
        )
        if new[1:] != (*old_codes, old[4], old[5], old[6]):
            ctx.plan.households_update.append(new)
            counts.updated += 1
            if (community, grid) != old_codes:
                ctx.plan.households_moved.add(old[1])
                ctx.touch_household(old[1], None)
        else:
            counts.unchanged += 1
        households[number] = (old[1], community, grid, path)
        hukou_of[number] = new[3]
        dibao_of[number] = new[5]
    counts.inserted += inserted
