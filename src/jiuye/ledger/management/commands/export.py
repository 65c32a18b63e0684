"""``jiuye export ledgers UNIT -o FILE.xlsx [--date D] [--start D] [--reveal --reason TEXT]``

The ten ledgers of UNIT and everything below it, plus the registry data sheets (importable).
ID and phone numbers are masked unless ``--reveal --reason TEXT`` (audited; with ``--user`` the
user needs the reveal grant). ``--format csv`` writes one CSV file per sheet into a directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiuye.ledger.export import export_ledgers
from jiuye.lib.dates import date_argument, option_date
from jiuye.units.models import Unit
from jiuye.units.scope import units_visible


class Command(BaseCommand):
    help = "Export the ten ledgers of a unit (and the importable data sheets) as a workbook."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subject", choices=["ledgers"], help="what to export: ledgers")
        parser.add_argument("unit", metavar="UNIT", help="unit code (statistical division code)")
        parser.add_argument(
            "-o", "--output", required=True, help="FILE.xlsx (or a directory with --format csv)"
        )
        parser.add_argument(
            "--date", type=date_argument, help="as-of date YYYY-MM-DD (default today)"
        )
        parser.add_argument(
            "--start",
            type=date_argument,
            help="start of the service ledgers' period (default 1 Jan)",
        )
        parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
        parser.add_argument(
            "--reveal",
            action="store_true",
            help="full ID and phone numbers (needs --reason; audited)",
        )
        parser.add_argument("--reason", default="", help="why full numbers are needed")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="export as this user (their jurisdiction and reveal grant)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            from jiuye.accounts.models import User

            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"用户不存在或已停用：{options['user']}")
        units = units_visible(actor) if actor is not None else Unit.objects.all()
        unit = units.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"单位不存在：{options['unit']}")
        on = option_date(options["date"], option="--date") or timezone.localdate()
        start = option_date(options["start"], option="--start")
        if options["reason"] and not options["reveal"]:
            raise CommandError("--reason 只与 --reveal 一起使用")
        try:
            summary = export_ledgers(
                actor=actor,
                unit=unit,
                target=Path(options["output"]),
                on=on,
                start=start,
                reveal=options["reveal"],
                reason=options["reason"],
                fmt=options["format"],
            )
        except PermissionDenied as denied:
            raise CommandError(str(denied)) from None
        except ValidationError as invalid:
            raise CommandError(" ".join(invalid.messages)) from None
        self.stdout.write(
            f"{unit.name}（{unit.code}）截至 {on.isoformat()}："
            + "，".join(f"{name} {rows:,}" for name, rows in summary.rows.items() if name != "说明")
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"已写入 {options['output']}"
                + ("（完整号码，已审计）" if summary.revealed else "（号码已脱敏）")
            )
        )
