"""``jiuye import FILE [FILE…] [--dry-run | --partial] [--errors ERRORS.xlsx] [--lang en]``

Imports a ledger workbook (.xlsx) or CSV files, one per sheet, named after the sheet (人员.csv or
persons.csv; a directory stands for the workbook files in it). All or nothing by default: any
problem and nothing is written. Exit codes: 0 imported; 1 problems, nothing written (or the file
could not be read); 3 --partial wrote the good rows and rejected others.

Files are held to the command line's limits (``LEDGER_MAX_FILE_MB``, ``LEDGER_MAX_UNPACKED_MB``:
a district's workbook), larger than a web upload's; the compression ratio and member limits
are the same (``readers.FileLimits``). The command runs at once: the queue of checks and imports
(``ledger.jobs``) is the web's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuye.accounts.models import User
from jiuye.ledger.columns import SHEET_BY_KEY, is_view_sheet, sheet_for
from jiuye.ledger.services import Mode, aggregates_after_import, ledger_import
from jiuye.ledger.terminal import ProgressBar, report_lines, write_errors


def expand(paths: list[str]) -> list[tuple[Path, str]]:
    files: list[tuple[Path, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.suffix.lower() not in (".csv", ".xlsx") or is_view_sheet(child.stem):
                    continue
                if child.suffix.lower() == ".csv" and sheet_for(child.stem)[0] is None:
                    continue
                files.append((child, child.name))
        else:
            files.append((path, path.name))
    return files


class Command(BaseCommand):
    help = (
        "Import a ledger workbook (.xlsx, or CSV per sheet): validate, then write all or nothing."
    )
    # Django's system checks look for configuration mistakes, which the server's start already
    # runs them for (`jiuye migrate --check`, docs/serving.md); before every import they were a
    # fifth of a 10-person import (0.3 s of 1.9 s).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "files",
            nargs="+",
            metavar="FILE",
            help=".xlsx workbook, CSV files named after their sheets, or a directory",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
        mode.add_argument(
            "--partial",
            action="store_true",
            help="write the rows without problems, report the rest",
        )
        parser.add_argument(
            "--errors", metavar="ERRORS.xlsx", help="write every problem to this workbook"
        )
        parser.add_argument(
            "--lang",
            choices=["zh", "en"],
            default="zh",
            help="language of the messages (default zh)",
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="import as this user (only into their jurisdiction)"
        )
        parser.add_argument(
            "--sheet",
            choices=sorted(SHEET_BY_KEY),
            help="the sheet a CSV file holds (default: from its name)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        lang: str = options["lang"]
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"用户不存在或已停用：{options['user']}")
        mode: Mode = "dry_run" if options["dry_run"] else "partial" if options["partial"] else "all"
        bar = ProgressBar(lang=lang, enabled=False if options["no_progress"] else None)
        try:
            result = ledger_import(
                actor=actor,
                files=expand(options["files"]),
                mode=mode,
                sheet=options["sheet"],
                progress=bar,
            )
        finally:
            bar.done()
        for line in report_lines(result, lang):
            self.stdout.write(line)
        if options["errors"] and result.issues:
            write_errors(result.issues, options["errors"], lang)
            self.stdout.write(
                f"problems written to {options['errors']}"
                if lang == "en"
                else f"问题清单已写入 {options['errors']}"
            )
        en = lang == "en"
        if mode == "dry_run":
            message = (
                f"dry run: {result.inserted:,} new, {result.updated:,} updated, "
                f"{result.unchanged:,} unchanged; nothing written"
                if en
                else f"试运行：将新增 {result.inserted:,}、更新 {result.updated:,}、未变 "
                f"{result.unchanged:,}；未写入任何数据"
            )
            if result.issues:
                raise CommandError(message, returncode=1)
            self.stdout.write(message)
            return
        if not result.written:
            raise CommandError("nothing was imported" if en else "未导入任何数据", returncode=1)
        summary = (
            f"imported in {result.seconds:.1f} s: {result.inserted:,} new, {result.updated:,} "
            f"updated, {result.unchanged:,} unchanged"
            if en
            else f"导入完成（{result.seconds:.1f} 秒）：新增 {result.inserted:,}，更新 "
            f"{result.updated:,}，未变 {result.unchanged:,}"
        )
        if result.issues:
            self._rebuild_aggregates(actor, en)
            raise CommandError(
                summary
                + (
                    f"; {result.rejected_rows:,} rows rejected"
                    if en
                    else f"；拒绝 {result.rejected_rows:,} 行"
                ),
                returncode=3,
            )
        self.stdout.write(self.style.SUCCESS(summary))
        self._rebuild_aggregates(actor, en)

    def _rebuild_aggregates(self, actor: User | None, en: bool) -> None:
        seconds = aggregates_after_import(actor=actor)
        if seconds is not None:
            self.stdout.write(
                f"standards aggregates rebuilt in {seconds:.1f} s"
                if en
                else f"达标评估汇总已重建（{seconds:.1f} 秒）"
            )
