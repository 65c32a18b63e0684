"""``jiuye warnings run --date D [--json]``, ``jiuye warnings list [--unit U] [--state S]
[--json]``, ``jiuye warnings rules [--json]`` and ``jiuye warnings schedule`` (DESIGN.md
"Interfaces").

``run`` evaluates every warning rule (``monitoring/warning_rules``) as of the date; running it
again changes nothing (a warning fires once per rule version, unit and period). ``list`` prints
the warnings (of a unit and what lies under it), newest first. ``schedule`` queues the daily
run for the background worker if none is waiting.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiuye.lib.dates import date_argument, option_date
from jiuye.monitoring import services
from jiuye.monitoring.models import EarlyWarning, WarningState
from jiuye.monitoring.payloads import rule_json, warning_json
from jiuye.monitoring.rulebook import RuleBookError, rulebook
from jiuye.monitoring.tasks import schedule_daily
from jiuye.units.models import Unit


class Command(BaseCommand):
    help = "Unemployment-risk early warnings: run the rules, list the warnings."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="evaluate every rule as of a date (idempotent)")
        run.add_argument("--date", type=date_argument, default=None, help="default today")
        run.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help="the warnings, newest first")
        listing.add_argument("--unit", default="", help="a unit code: it and what lies under it")
        listing.add_argument("--state", choices=[*WarningState.values, "active"], default=None)
        listing.add_argument("--json", action="store_true")
        rules = sub.add_parser("rules", help="the rule book")
        rules.add_argument("--json", action="store_true")
        sub.add_parser("schedule", help="queue the daily run if none is waiting")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except RuleBookError as error:
            raise CommandError(str(error)) from None
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None

    def _run(self, options: dict[str, Any]) -> None:
        on = option_date(options["date"], option="--date") or timezone.localdate()
        summary = services.warnings_run(actor=None, on=on)
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{on.isoformat()}：新预警 {summary.fired} 条，升级 {summary.raised} 条")
        for r in summary.rules:
            line = f"  {r.rule}@{r.version}：发现 {r.found}，新 {r.fired}，升级 {r.raised}"
            if r.waiting:
                line += f"（未运行：{r.waiting}）"
            self.stdout.write(f"{line}  {r.seconds:.2f} s")

    def _list(self, options: dict[str, Any]) -> None:
        found = EarlyWarning.objects.select_related("unit").order_by("-fired_on", "-id")
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"单位不存在：{options['unit']}")
            found = found.filter(unit__path__startswith=unit.path)
        state = options["state"]
        if state == "active":
            found = found.filter(state__in=[WarningState.OPEN, WarningState.ACKNOWLEDGED])
        elif state:
            found = found.filter(state=state)
        rows = [warning_json(w) for w in found]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']:>6} {row['level']:<3} {row['state']:<12} {row['fired_on']} "
                f"{row['rule']} {row['unit']} {row['period']}  {row['summary']}"
            )
        self.stdout.write(f"共 {len(rows)} 条")

    def _rules(self, options: dict[str, Any]) -> None:
        book = rulebook()
        rows = [rule_json(r) for r in book.rules]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{book.name} {book.version}（{book.source}）")
        for rule in book.rules:
            levels = "，".join(f"{t.level.value} {rule.op} {t.value:g}" for t in rule.levels)
            self.stdout.write(f"  {rule.id} {rule.name}：{rule.measure} {levels}")

    def _schedule(self, options: dict[str, Any]) -> None:
        at = schedule_daily()
        self.stdout.write(
            f"下次预警运行：{at:%Y-%m-%d %H:%M}" if at else "已有待运行的每日预警任务"
        )
