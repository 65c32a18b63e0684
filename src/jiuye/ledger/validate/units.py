"""The 单位 sheet: each unit placed under its parent (in the file or the registry) by the unit
tree's own placement rule, its level and parent unchanged for a unit already registered. The
optional service-station columns (服务站地址, 服务站电话, 服务时间) set a unit's public contact;
a blank cell or an absent column keeps the stored value (re-importing changes nothing)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from jiuye.ledger.validate.context import Context
from jiuye.ledger.validate.plan import Counts
from jiuye.ledger.validate.rows import Rows
from jiuye.units.columns import STATION_FIELDS as STATION_KEYS
from jiuye.units.models import Level, Unit
from jiuye.units.services import unit_path, validate_unit_placement


def check_units(ctx: Context, rows: Rows, counts: Counts) -> None:
    existing = {}
    stations: dict[str, tuple[str, str, str]] = {}
    for pk, code, name, level, parent_id, path, *station in Unit.objects.order_by().values_list(
        "id", "code", "name", "level", "parent_id", "path", *STATION_KEYS
    ):
        existing[code] = (pk, name, level, parent_id, path)
        stations[code] = (station[0], station[1], station[2])
        ctx.unit_path_by_id[pk] = path
        ctx.unit_code_by_id[pk] = code
    for code, (pk, _name, level, _parent, path) in existing.items():
        ctx.units[code] = (pk, level, path)
    if rows.raw is None:
        return
    codes, names = rows.col("code"), rows.col("name")
    levels, parents = rows.col("level"), rows.col("parent")
    station_columns = [rows.col(key) for key in STATION_KEYS]
    first: dict[str, int] = {}
    for i in range(rows.n):
        code = codes[i]
        if not code:
            continue
        if code in first:
            rows.error(
                i, "duplicate_in_file", "code", code, first_row=rows.location(first[code])[1]
            )
            continue
        first[code] = i
    # Place each row under its parent (the parent may come later in the sheet).
    placed: dict[str, str] = {}  # code → path
    pending = [i for i in first.values() if i not in rows.bad]
    progress = True
    while pending and progress:
        progress = False
        waiting = []
        for i in pending:
            code, level, parent = codes[i], levels[i], parents[i] or None
            if level is None:
                continue
            parent_path: str | None = None
            parent_level: str | None = None
            if parent:
                if parent in placed:
                    parent_path = placed[parent]
                    parent_level = levels[first[parent]]
                elif parent in first and first[parent] in rows.bad:
                    rows.reference_failed(i, "parent", "上级单位", rows, first[parent])
                    progress = True
                    continue
                elif parent in first:
                    waiting.append(i)
                    continue
                elif parent in existing:
                    parent_path, parent_level = existing[parent][4], existing[parent][2]
                else:
                    rows.error(i, "unknown_unit", "parent", parent, ref=parent)
                    progress = True
                    continue
            progress = True
            parent_unit = Unit(code=parent or "", level=parent_level or "") if parent else None
            try:
                validate_unit_placement(code=code, level=level, parent=parent_unit)
            except ValidationError as error:
                rows.error(
                    i,
                    "unit_level",
                    "level",
                    code,
                    detail=error.messages[0],
                    detail_en="The unit cannot be placed there in the unit tree",
                )
                continue
            path = (
                unit_path(code=code, parent=None)
                if parent_path is None
                else (f"{parent_path}{code}/")
            )
            old = existing.get(code)
            if old is not None:
                old_parent = ctx.unit_code_by_id.get(old[3]) if old[3] else None
                if old[2] != level:
                    rows.error(
                        i, "unit_changed", "level", code, what="层级", old=Level(old[2]).label
                    )
                    continue
                if old_parent != parent:
                    rows.error(
                        i,
                        "unit_changed",
                        "parent",
                        parent,
                        what="上级单位",
                        old=old_parent or "—",
                    )
                    continue
                path = old[4]
            kept = stations.get(code, ("", "", ""))
            station = (
                station_columns[0][i] or kept[0],
                station_columns[1][i] or kept[1],
                station_columns[2][i] or kept[2],
            )
            writes = old is None or old[1] != names[i] or station != kept
            if writes and not ctx.scope.allows(path):
                rows.error(i, "out_of_scope", "code", code, what="单位")
                continue
            placed[code] = path
            if old is None:
                ctx.plan.units_insert.append((code, names[i], level, parent, path, *station))
                ctx.units[code] = (None, level, path)
                counts.inserted += 1
            elif writes:
                ctx.plan.units_update.append((old[0], names[i], *station))
                counts.updated += 1
            else:
                counts.unchanged += 1
        pending = waiting
    for i in pending:  # a cycle of parents
        rows.error(i, "unknown_unit", "parent", parents[i], ref=parents[i])
    ctx.unit_rows = first
