"""``jiuye recheck --ruleset R --date D [--user USERNAME] [--json]`` (DESIGN.md "Interfaces").

Re-evaluates every unit certified under the rule set that its re-check rule makes due at the
date (HD-2012: certified a year or more, by the end of February; CQ-2007 and QG-2016: once a
year), keeps or revokes each with a snapshot, and tells the unit. Running it again for the same
year changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiuye.accounts.models import User
from jiuye.certification.services import recheck_run
from jiuye.lib.dates import date_argument, option_date
from jiuye.lib.text import join_list
from jiuye.standards.rulesets import RuleSetError, ruleset_get


class Command(BaseCommand):
    help = "The yearly re-check of certified units under a rule set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ruleset", required=True)
        parser.add_argument("--date", type=date_argument, default=None, help="default today")
        parser.add_argument(
            "--user",
            default="",
            metavar="USERNAME",
            help="a district administrator (default: the system)",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        on = option_date(options["date"], option="--date") or timezone.localdate()
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"用户不存在或已停用：{options['user']}")
        try:
            run = recheck_run(actor=actor, ruleset=ruleset_get(options["ruleset"]), on=on)
        except RuleSetError as error:
            raise CommandError(str(error)) from None
        except (PermissionDenied, ValidationError) as error:
            messages = getattr(error, "messages", [str(error)])
            raise CommandError(join_list(messages, clauses=True)) from None
        rows = [
            {
                "unit": r.unit.code,
                "unit_name": r.unit.name,
                "level": r.certification.level,
                "certified_on": r.certification.certified_on.isoformat(),
                "kept": r.kept,
                "undecided": r.undecided,
                "failed": r.failed,
            }
            for r in run.rechecks
        ]
        if options["json"]:
            data = {
                "ruleset": run.ruleset,
                "date": on.isoformat(),
                "already": run.already,
                "rechecks": rows,
            }
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self.stdout.write(
            f"{run.ruleset} {on.isoformat()} 年度复核："
            f"保留 {len(run.kept)}，撤销 {len(run.revoked)}"
            + (f"（此前已复核 {run.already}）" if run.already else "")
        )
        for row in rows:
            verdict = "保留" if row["kept"] else f"撤销（{row['failed']}）"
            self.stdout.write(f"  {row['unit']} {row['unit_name']} {row['level']}：{verdict}")
