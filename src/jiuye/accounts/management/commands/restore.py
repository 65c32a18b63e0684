"""``jiuye restore FILE --yes``: replace the whole database with a backup.

Refuses without ``--yes``, refuses a file that does not match its manifest, and afterwards checks
every table against the manifest and verifies the audit chain (exit status 1 on any mismatch).
On Citus the target must be migrated and distributed first (``jiuye migrate``, ``jiuye citus
distribute``): the rows are loaded into it, and a target laid out otherwise is refused.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuye.accounts.backup import BackupError, read_manifest, restore


class Command(BaseCommand):
    help = "Restore the database from a backup made by `jiuye backup` (needs --yes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="confirm: the current content of the database is replaced",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            if not options["yes"]:
                manifest = read_manifest(path) if path.is_file() else {}
                raise CommandError(
                    "restore replaces the whole database"
                    + (f" with the backup of {manifest['created']}" if manifest else "")
                    + "; run again with --yes to confirm"
                )
            result = restore(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if result.problems:
            self.stderr.write("restored, but the result does not match the backup:")
            for problem in result.problems:
                self.stderr.write(f"  {problem}")
            sys.exit(1)
        self.stdout.write(
            f"restored {path.name}: {len(result.tables)} tables, {result.rows} rows, "
            "identical to the backup; audit chain intact"
        )
