"""``jiuye template -o FILE.xlsx``: the empty ledger workbook with drop-downs and instructions."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiuye.ledger.template import write_template


class Command(BaseCommand):
    help = "Write an empty ledger workbook: headers, drop-down lists, an instructions sheet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", required=True, help="FILE.xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        write_template(options["output"])
        self.stdout.write(self.style.SUCCESS(f"已写入 {options['output']}"))
