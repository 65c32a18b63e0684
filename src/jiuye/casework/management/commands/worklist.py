"""``jiuye worklist UNIT_CODE [--date D] [--all] [--sync]``: a unit's worklist as a table, then
its persons whose status is not recorded (DOMAIN §3 data quality), ID numbers masked."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiuye.casework import deadlines, selectors
from jiuye.casework.services import zero_family_sync_unit
from jiuye.lib.dates import date_argument, option_date
from jiuye.lib.masking import mask_id_number
from jiuye.units.models import Unit
from jiuye.units.scope import SYSTEM


def _width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "列出单位的待办事项（已逾期和5个工作日内到期），最紧急的在前。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("unit", help="单位代码")
        parser.add_argument(
            "--date", type=date_argument, help="日期 YYYY-MM-DD（默认今天，1950—2100 年）"
        )
        parser.add_argument(
            "--all", action="store_true", help="列出全部期限事项（含已完成和未到期）"
        )
        parser.add_argument(
            "--sync", action="store_true", help="先按当前数据重新核对该单位的零就业家庭"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"单位代码不存在：{options['unit']}")
        on = option_date(options["date"], option="--date") or timezone.localdate()
        if options["sync"]:
            zero_family_sync_unit(unit=unit)
        # Items whose due date needs a year without a holiday calendar are left out and named
        # (with the fix) below the count; the rest still shows (issue 11, finding 8).
        if options["all"]:
            items = deadlines.deadline_items(unit, on, user=SYSTEM)
            items.sort(key=lambda i: i.urgent_key)
        else:
            items = deadlines.worklist(unit, on, user=SYSTEM)
        names = dict(
            Unit.objects.filter(
                pk__in={i for item in items for i in (item.community_id, item.grid_id) if i}
            ).values_list("pk", "name")
        )
        header = ["期限", "状态", "规则", "对象", "说明", "社区/网格", "待办"]
        rows = [
            [
                item.due.isoformat(),
                item.state.label,
                item.base_rule,
                item.name,
                item.detail,
                "/".join(names[i] for i in (item.community_id, item.grid_id) if i in names),
                item.action.label
                if item.actionable and item.state not in (deadlines.State.MET, deadlines.State.LATE)
                else "—",
            ]
            for item in items
        ]
        self.stdout.write(f"{unit.name}（{unit.code}） {on.isoformat()}：{len(rows)} 项")
        if items.gaps:
            self.stdout.write(items.gaps.note)
            for line in items.gaps.details():
                self.stdout.write(f"  {line}")
        if rows:
            self.stdout.write(table(header, rows))
        self.status_not_recorded(unit, on)

    def status_not_recorded(self, unit: Unit, on: date) -> None:
        """The data-quality section: working-age persons with no status recorded on ``on``."""
        persons = list(
            selectors.status_not_recorded(unit=unit, on=on, user=SYSTEM).values_list(
                "community__name", "grid__name", "household__number", "name", "id_number"
            )
        )
        self.stdout.write("")
        self.stdout.write(
            f"就业状态未登记（{on.isoformat()} 处于劳动年龄、尚无状态记录，不计入任何指标）："
            f"{len(persons)} 人"
        )
        if persons:
            header = ["社区/网格", "户", "姓名", "公民身份号码"]
            rows = [
                ["/".join(n for n in (community, grid) if n), number, name, mask_id_number(id_no)]
                for community, grid, number, name, id_no in persons
            ]
            self.stdout.write(table(header, rows))
