"""Terminal output of the ledger commands: a progress bar and the import report."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from jiuye.ledger.columns import SHEETS
from jiuye.ledger.issues import Issue
from jiuye.ledger.xlsx import Workbook

PHASES = {
    "zh": {"read": "读取", "validate": "校验", "write": "写入", "export": "导出"},
    "en": {"read": "reading", "validate": "validating", "write": "writing", "export": "exporting"},
}
SHEET_NAMES_EN = {sheet.key: sheet.en for sheet in SHEETS}
SHEET_NAMES_ZH = {sheet.key: sheet.zh for sheet in SHEETS}


class ProgressBar:
    """``[##########----------]  48%  校验 480,000 / 1,000,000`` redrawn in place (only on a
    terminal, at most ten times a second)."""

    def __init__(
        self, stream: IO[str] | None = None, lang: str = "zh", enabled: bool | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.lang = lang
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._last = 0.0
        self._shown = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and (not total or done < total):
            return
        self._last = now
        label = PHASES[self.lang].get(phase, phase)
        if total:
            share = min(done / total, 1.0)
            bar = "#" * int(share * 30)
            line = f"[{bar:-<30}] {share:4.0%}  {label}"
            if phase == "write":  # the others count per mille of the sheets' sizes
                line += f" {done:,} / {total:,}"
        else:
            line = f"{label} {done:,}"
        self.stream.write("\r" + line.ljust(70))
        self.stream.flush()
        self._shown = True

    def done(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False


def report_lines(result: Any, lang: str = "zh", limit: int = 50) -> list[str]:
    en = lang == "en"
    names = SHEET_NAMES_EN if en else SHEET_NAMES_ZH
    head = (
        ("sheet", "rows", "new", "updated", "unchanged", "rejected")
        if en
        else ("工作表", "行数", "新增", "更新", "未变", "拒绝")
    )
    lines = ["  ".join(f"{h:>10}" for h in head)]
    for key, counts in result.counts.items():
        lines.append(
            "  ".join(
                f"{v:>10}"
                for v in (
                    names.get(key, key),
                    f"{counts.read:,}",
                    f"{counts.inserted:,}",
                    f"{counts.updated:,}",
                    f"{counts.unchanged:,}",
                    f"{counts.rejected:,}",
                )
            )
        )
    issues: Sequence[Issue] = result.issues
    if issues:
        lines.append("")
        lines.append(f"{len(issues):,} problems:" if en else f"发现 {len(issues):,} 个问题：")
        for issue in issues[:limit]:
            value = f" [{issue.value}]" if issue.value else ""
            lines.append(f"  {issue.location(lang)}{value}: {issue.message(lang)}")
        if len(issues) > limit:
            more = len(issues) - limit
            lines.append(
                f"  … and {more:,} more (use --errors FILE.xlsx)"
                if en
                else f"  ……另有 {more:,} 个（用 --errors 文件.xlsx 导出全部）"
            )
    return lines


ERROR_HEADERS = {
    "zh": ["工作表", "行", "列", "值", "错误代码", "原因"],
    "en": ["sheet", "row", "column", "value", "code", "reason"],
}


def write_errors(issues: Sequence[Issue], target: str | Path | IO[bytes], lang: str = "zh") -> None:
    """The problems as a workbook a worker can work through (one row each)."""
    with Workbook(target) as workbook:
        sheet = workbook.sheet(
            "错误" if lang != "en" else "errors", ERROR_HEADERS[lang], [14, 8, 16, 24, 20, 60]
        )
        sheet.extend(
            [issue.sheet, issue.row, issue.column, issue.value, issue.code, issue.message(lang)]
            for issue in issues
        )
