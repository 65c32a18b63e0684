"""``jiuye demo [--persons N] [--seed S]``: what ``make demo`` runs after migrating.

Seeds a synthetic district if the database has none, creates (or resets) the demo accounts,
builds the standards aggregates, takes through the certification workflow under HD-2012 the
communities, then the streets, that the engine finds passing at the end of the year before the
data's "today" (as a district would have at its year-end acceptance), leaves one application of
this year waiting for the street's review, runs the early warnings as of the data's today,
and prints how to log in. Running it again keeps the
data (and the certifications).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuye.audit.models import AuditEntry
from jiuye.demo.generator import DEFAULT_TODAY
from jiuye.demo.management.commands.demo_users import DEFAULT_PASSWORD
from jiuye.registry.models import Person


class Command(BaseCommand):
    help = "Load a synthetic district (if empty) and the demo accounts; print how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--address", default="127.0.0.1:8000", help="where the server will listen (printed)"
        )

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
        self._certify()
        self._policies()
        self._warnings()
        self.stdout.write(
            f"\n演示已就绪 / demo ready: http://{options['address']}/  "
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

    def _certify(self) -> None:
        """HD-2012 certifications through the workflow, as of the last year-end before the
        data's today: the communities passing HD-C, then the streets passing HD-S given
        those; and the demo worker's application of this year, waiting for the street."""
        from jiuye.accounts.models import User
        from jiuye.demo.certify import certify_passing_units, open_application
        from jiuye.standards.models import Certification
        from jiuye.standards.rulesets import ruleset_get

        today = data_today()
        on = date(today.year - 1, 12, 31)
        ruleset = ruleset_get("HD-2012")
        for level in ("community", "street"):
            new = certify_passing_units(ruleset=ruleset, level=level, on=on)
            total = Certification.objects.filter(
                ruleset=ruleset.id, level=level, year=on.year
            ).count()
            name, day = ruleset.levels[level].name, on.isoformat()
            self.stdout.write(
                f"{ruleset.id} {name}：截至 {day} 认定 {total} 个（本次新增 {new}）"
                f" / {level}: {total} certified as of {day} ({new} new)"
            )
        worker = User.objects.filter(username="community_worker").first()
        if worker is not None and open_application(ruleset=ruleset, worker=worker, on=today):
            self.stdout.write(
                f"{worker.username} 所在社区已提交 {today.year} 年度自评，待街道初核"
                f" / an application of {today.year} waits for the street's review"
            )

    def _policies(self) -> None:
        """Applications, approvals, payments, a reversal, rewards and budgets (once)."""
        from jiuye.demo.policies import demo_policies

        done = demo_policies(on=data_today())
        if done:
            self.stdout.write(done)

    def _warnings(self) -> None:
        """The early warnings as of the data's today (the dashboards' and worklists' own), so
        the demo opens with some; running it again adds nothing."""
        from jiuye.monitoring.services import warnings_run

        summary = warnings_run(actor=None, on=data_today())
        self.stdout.write(
            f"失业风险预警：新发出 {summary.fired} 条 / early warnings: {summary.fired} new"
        )


def data_today() -> date:
    """The "today" of the seeded data (the last ``demo.seed`` audit entry), else the seed's
    default."""
    entry = (
        AuditEntry.objects.filter(action="demo.seed")
        .order_by("-id")
        .values_list("changes", flat=True)
        .first()
    )
    changes: dict[str, Any] = entry if isinstance(entry, dict) else {}
    try:
        return date.fromisoformat(changes["today"][1])
    except (TypeError, KeyError, IndexError, ValueError):
        return DEFAULT_TODAY
