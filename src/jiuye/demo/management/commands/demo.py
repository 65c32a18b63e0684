"""``jiuye demo [--persons N] [--seed S]``: what ``make demo`` runs after migrating.

Seeds a synthetic district if the database has none, creates (or resets) the demo accounts,
builds the standards aggregates, and prints how to log in. Running it again keeps the data.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuye.demo.management.commands.demo_users import DEFAULT_PASSWORD
from jiuye.registry.models import Person


class Command(BaseCommand):
    help = "Load a synthetic district (if empty) and the demo accounts; print how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("jiuye demo only runs in demo mode (JIUYE_DEMO=1, not production)")
        if Person.objects.exists():
            self.stdout.write("数据库已有人员数据，跳过生成。")
        else:
            call_command(
                "seed", persons=options["persons"], seed=options["seed"], stdout=self.stdout
            )
        call_command("demo_users", stdout=self.stdout)
        self._build_aggregates()
        self.stdout.write(
            "\n演示已就绪 / demo ready: http://127.0.0.1:8000/  "
            f"（所有演示账号的密码 / password for every demo account: {DEFAULT_PASSWORD}）\n"
            "数据为合成数据；演示模式已放宽管理员双因素认证。"
            "Synthetic data; second factor relaxed in demo mode.\n"
        )

    def _build_aggregates(self) -> None:
        try:
            from jiuye.standards.aggregates import aggregates_rebuild
        except ImportError:  # the standards engine is optional for the registry demo
            return
        summary = aggregates_rebuild()
        self.stdout.write(f"标准评估汇总已重建：{summary}")
