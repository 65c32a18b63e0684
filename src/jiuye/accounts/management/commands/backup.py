"""``jiuye backup -o FILE``: a consistent copy of the whole database, plus FILE.manifest.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuye.accounts.backup import BackupError, backup, manifest_path


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump -Fc on PostgreSQL, through the coordinator with writes "
        "paused on Citus, the backup API on SQLite)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", required=True, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup(Path(options["output"]))
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"backup written: {result.path} ({len(result.tables)} tables, {result.rows} rows); "
            f"manifest: {manifest_path(result.path).name}"
        )
