"""``jiuye aggregates status|rebuild|refresh|verify [--date D] [--households IDS]``: the
standards' incremental aggregates.

- ``status``: built? fresh? (and why not);
- ``rebuild``: recompute everything from the registry and casework (after a bulk load);
- ``refresh --households 12,345``: after a bulk load that touched only these households,
  recompute them and their communities (a rebuild when that cannot be vouched for);
- ``verify``: compare the aggregates with a computation from scratch at a date (default today)
  for every community; exit status 1 on any difference.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiuye.lib.dates import date_argument, option_date
from jiuye.standards import aggregates
from jiuye.standards.indicators.status import direct_status_vectors


class Command(BaseCommand):
    help = "标准评估汇总表：status 查看状态，rebuild 全量重建，verify 与原始数据核对。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status", "rebuild", "refresh", "verify"])
        parser.add_argument(
            "--date", type=date_argument, help="verify 的时点 YYYY-MM-DD（默认今天）"
        )
        parser.add_argument("--households", default="", help="refresh 的户 id，逗号分隔")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "status":
            freshness = aggregates.aggregates_freshness()
            if freshness.fresh:
                self.stdout.write("汇总表：最新")
            else:
                self.stdout.write(f"汇总表：不可用（{freshness.reason}），评估将直接按原始数据计算")
            return
        if action == "rebuild":
            summary = aggregates.aggregates_rebuild()
            self.stdout.write(
                f"已重建：{summary.households:,} 户，户时间线 {summary.household_rows:,} 行，"
                f"社区时间线 {summary.community_rows:,} 行，"
                f"服务日计数 {summary.service_rows:,} 行，"
                f"满意度测评 {summary.survey_rows:,} 行，"
                f"用时 {summary.seconds:.1f} 秒"
            )
            return
        if action == "refresh":
            try:
                ids = [int(i) for i in options["households"].split(",") if i.strip()]
            except ValueError:
                raise CommandError("--households 应为逗号分隔的户 id") from None
            result = aggregates.aggregates_refresh(household_ids=ids)
            how = f"全量重建（{result.rebuilt}）" if result.rebuilt else "已刷新"
            self.stdout.write(
                f"{how}：{result.households:,} 户，户时间线 {result.household_rows:,} 行，"
                f"{result.communities:,} 个社区，用时 {result.seconds:.1f} 秒"
            )
            return
        on = option_date(options["date"], option="--date") or timezone.localdate()
        if not aggregates.aggregates_fresh():
            raise CommandError("汇总表不是最新的，请先运行 jiuye aggregates rebuild")
        stored = aggregates.community_vectors(on=on)
        direct = direct_status_vectors(on=on, root=None)
        differences = []
        for community_id, expected in direct.items():
            got = stored.get(community_id, {})  # a community with no row: all zero
            diff = {k: (got.get(k, 0), v) for k, v in expected.items() if got.get(k, 0) != v}
            if diff:
                differences.append((community_id, diff))
        if differences:
            for community_id, diff in differences[:20]:
                self.stdout.write(f"社区 {community_id}: {diff}")
            raise CommandError(f"{len(differences)} 个社区的汇总与原始数据不一致")
        self.stdout.write(f"一致：{len(direct)} 个社区，时点 {on.isoformat()}")
