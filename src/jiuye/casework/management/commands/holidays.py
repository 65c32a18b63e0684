"""``jiuye holidays list | check FILE… | install FILE [--replace]``: the holiday calendar's years.

``list`` shows every year with holiday data and where it comes from (the chinesecalendar
package, a file shipped with jiuye, or a district file in ``JIUYE_HOLIDAYS_DIR``); ``check``
validates files typed from a State Council notice and prints them back for proofreading;
``install`` checks a file and copies it into ``JIUYE_HOLIDAYS_DIR`` as ``YEAR.toml``, with an
audit entry. The format is in :mod:`jiuye.lib.workdays` and the README.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jiuye.audit.services import audit_record
from jiuye.casework.management.commands.worklist import table
from jiuye.lib import holiday_files, workdays
from jiuye.lib.holiday_files import CheckResult, HolidayYear
from jiuye.lib.text import join_list
from jiuye.lib.workdays import WorkdayCalendarError


def _day(day: date) -> str:
    return _("%(day)s（%(weekday)s）") % {
        "day": day.isoformat(),
        "weekday": holiday_files.weekday_name(day),
    }


def _source(source: workdays.YearSource) -> str:
    label = {
        "package": _("软件包"),
        "shipped": _("随程序发布"),
        "district": _("本地（JIUYE_HOLIDAYS_DIR）"),
    }[source.kind]
    return _("%(source)s（%(kind)s）") % {"source": source.label(), "kind": label}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Command(BaseCommand):
    help = "节假日数据：list 列出已有年份及来源；check 检查文件；install 载入一年的节假日文件。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--lang", choices=["zh", "en"], default="zh", help="语言 / language of the output"
        )
        sub = parser.add_subparsers(dest="action", metavar="list|check|install", required=True)
        sub.add_parser("list", help="已有节假日数据的年份及来源")
        check = sub.add_parser("check", help="检查节假日文件（不载入）")
        check.add_argument("files", nargs="+", metavar="FILE")
        install = sub.add_parser("install", help="检查并载入到 JIUYE_HOLIDAYS_DIR")
        install.add_argument("file", metavar="FILE")
        install.add_argument(
            "--replace", action="store_true", help="替换该年已载入的文件（更正时用）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override("en" if options["lang"] == "en" else "zh-hans"):
            if options["action"] == "list":
                self.list_years()
            elif options["action"] == "check":
                self.check_files([Path(f) for f in options["files"]])
            else:
                self.install(Path(options["file"]), replace=options["replace"])

    # -- list -----------------------------------------------------------------------------------

    def list_years(self) -> None:
        sources = workdays.year_sources()
        rows: list[list[str]] = []
        for year, source in sources.items():
            label = _source(source)
            if rows and source.kind == "package" and rows[-1][1] == label:
                rows[-1][0] = f"{rows[-1][0].split('—')[0]}—{year}"
            else:
                rows.append([str(year), label])
        self.stdout.write(table([_("年份"), _("来源")], rows))
        directory = getattr(settings, workdays.SETTING, "")
        self.stdout.write(_("JIUYE_HOLIDAYS_DIR：%(dir)s") % {"dir": directory or _("未设置")})
        for path, problems in workdays.invalid_files().items():
            self.stderr.write(
                _("有错误，未载入：%(path)s（%(n)s 处；用“jiuye holidays check”查看）")
                % {"path": path, "n": len(problems)}
            )
        upcoming = timezone.localdate().year + 1
        if upcoming not in sources:
            self.stdout.write(
                _(
                    "%(year)s 年还没有节假日数据：到期日落在 %(year)s 年的期限会报错。"
                    "国务院公布安排后，写成 %(year)s.toml，用“jiuye holidays install”载入。"
                )
                % {"year": upcoming}
            )

    # -- check ----------------------------------------------------------------------------------

    def _report(self, result: CheckResult) -> None:
        for problem in result.errors:
            self.stderr.write(_("错误：%(problem)s") % {"problem": problem})
        for problem in result.warnings:
            self.stderr.write(_("提醒：%(problem)s") % {"problem": problem})
        year = result.holiday_year
        if year is None:
            return
        self.stdout.write(
            _("%(path)s：%(year)s 年，%(h)s 个假日，%(w)s 个调休上班日")
            % {
                "path": result.path,
                "year": year.year,
                "h": len(year.holidays),
                "w": len(year.workdays),
            }
            + (_("（%(notice)s）") % {"notice": year.notice} if year.notice else "")
        )
        rows = [
            [
                h.name,
                _day(h.start),
                _day(h.end),
                str(len(h.days)),
            ]
            for h in year.holidays
        ]
        self.stdout.write(table([_("假日"), _("放假自"), _("至"), _("天数")], rows))
        if year.workdays:
            self.stdout.write(
                _("调休上班：%(days)s") % {"days": join_list(_day(d) for d in year.workdays)}
            )

    def check_files(self, paths: list[Path]) -> None:
        failed = 0
        for path in paths:
            result = holiday_files.check_file(path)
            self._report(result)
            failed += result.holiday_year is None
        if failed:
            raise CommandError(
                _("%(n)s 个文件有错误，请改正后再检查") % {"n": failed}, returncode=1
            )

    # -- install --------------------------------------------------------------------------------

    def _changes(self, year: HolidayYear) -> list[tuple[date, bool]]:
        """The days with data now whose working status the file changes, and their new status."""
        special = year.special_days()
        first, last = date(year.year - 1, 12, 25), date(year.year, 12, 24)
        days = {first + timedelta(days=i) for i in range((last - first).days + 1)} | set(special)
        changed: list[tuple[date, bool]] = []
        for day in sorted(days):
            new = special.get(day, day.weekday() < 5)
            try:
                if workdays.is_workday(day) != new:
                    changed.append((day, new))
            except WorkdayCalendarError:
                pass  # no data yet: nothing changes
        return changed

    def install(self, path: Path, *, replace: bool) -> None:
        directory = getattr(settings, workdays.SETTING, "")
        if not directory:
            raise CommandError(
                _(
                    "没有设置 JIUYE_HOLIDAYS_DIR：请在环境中设为一个目录（如 /srv/jiuye/holidays）"
                    "并重启服务"
                )
            )
        result = holiday_files.check_file(path)
        self._report(result)
        year = result.holiday_year
        if year is None:
            raise CommandError(_("文件有错误，未载入"), returncode=1)
        target_dir = Path(directory)
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / f"{year.year}.toml"
        data = path.read_bytes()
        old_data = target.read_bytes() if target.exists() else None
        if old_data == data:
            self.stdout.write(_("%(target)s 已是这个文件，未改动") % {"target": target})
            return
        if old_data is not None and not replace:
            raise CommandError(_("%(target)s 已存在：更正该年时加 --replace") % {"target": target})
        previous = workdays.year_sources().get(year.year)
        changed = self._changes(year)
        with tempfile.NamedTemporaryFile(
            dir=target_dir, prefix=f".{year.year}.", suffix=".tmp", delete=False
        ) as handle:
            handle.write(data)
            temporary = Path(handle.name)
        try:
            with transaction.atomic():
                audit_record(
                    actor=None,
                    action="holidays.install",
                    changes={
                        "year": year.year,
                        "file": [str(previous.label()) if previous else None, str(target)],
                        "sha256": [_sha256(old_data) if old_data else None, _sha256(data)],
                        "from": str(path),
                        "notice": year.notice,
                        "holidays": len(year.holidays),
                        "workdays": len(year.workdays),
                        "changed_days": [d.isoformat() for d, _new in changed],
                    },
                )
                os.chmod(temporary, 0o644)
                os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        workdays.clear_cache()
        self.stdout.write(_("已载入 %(target)s") % {"target": target})
        if previous is not None:
            self.stdout.write(_("取代了 %(source)s") % {"source": previous.label()})
        if changed:
            self.stdout.write(_("%(n)s 天的上班/放假有变化：") % {"n": len(changed)})
        working, off = _("上班"), _("放假")
        for day, new in changed:
            change = f"{off} → {working}" if new else f"{working} → {off}"
            self.stdout.write(f"  {_day(day)}  {change}")
        if previous is not None or changed:
            self.stdout.write(_("请重启服务，使改动生效。"))
        else:
            self.stdout.write(
                _("新增 %(year)s 年：运行中的服务下次用到该年时自动读入，无需重启。")
                % {"year": year.year}
            )
