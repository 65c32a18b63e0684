"""``jiuye deadlines store [--date D]``: store every deadline item at a date (default today) so
that street and district worklists and the indicators counting them read a table
(``casework.deadlines.store``); ``jiuye deadlines status``: which days are stored.

The task worker builds today's items by itself when a reader first finds them missing; run this
from cron shortly after midnight so the first reader of the day does not wait for it."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from jiuye.casework.deadlines import store
from jiuye.casework.models import DeadlineStore
from jiuye.lib.dates import date_argument, option_date


class Command(BaseCommand):
    help = "保存某日的全部期限事项（供街道、区的待办汇总和指标读取），或查看已保存的日期。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["store", "status"])
        parser.add_argument(
            "--date", type=date_argument, help="日期 YYYY-MM-DD（默认今天，1950—2100 年）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            for row in DeadlineStore.objects.order_by("as_of"):
                state = "就绪" if row.ready else "生成中或已失效"
                self.stdout.write(f"{row.as_of.isoformat()}  {state}")
            return
        on = option_date(options["date"], option="--date") or timezone.localdate()
        started = time.perf_counter()
        total = store.store_build(on=on)
        took = time.perf_counter() - started
        self.stdout.write(f"{on.isoformat()}：已保存期限事项 {total} 条，用时 {took:.1f} 秒。")
