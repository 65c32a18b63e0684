"""``jiuye evaluate [UNIT] --ruleset ID [--date D] [--from D] [--level L] [--all] [--json]``.

One unit's standing under a rule set at a date: each criterion with its value, threshold and
gap, the checklist and (QG-2016) the score. ``--json`` prints the object of DESIGN.md's
"Interfaces" (``--all``: a list, one per unit under UNIT; ``--all`` without UNIT: every unit of
the database, a city's districts in one pass). Exit status 0 either way; the answer is in the
output.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.lib.dates import date_argument, option_date
from jiuye.standards.evaluation import (
    UnitEvaluation,
    children_certifications,
    evaluate_unit,
    evaluate_units,
)
from jiuye.standards.indicators import INDICATORS
from jiuye.standards.rulesets import RuleSetError, ruleset_get
from jiuye.units.models import Unit


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _value(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "ratio":
        return f"{value * 100:.2f}%"
    return str(value)


def _threshold(value: Any, kind: str) -> str:
    return f"{value * 100:g}%" if kind == "ratio" else str(value)


def _mark(passed: bool | None, undecided: bool = False) -> str:
    if undecided:
        return _("待定")
    if passed is None:
        return _("无法评估")
    return _("达标") if passed else _("未达标")


def render(result: UnitEvaluation) -> str:
    lines = [
        _("%(name)s（%(code)s） %(ruleset)s · %(level)s")
        % {
            "name": result.unit.name,
            "code": result.unit.code,
            "ruleset": result.ruleset.id,
            "level": result.level.name,
        },
        _("日期 {date}，评估期 {start} 至 {end}，数据来源：{source}").format(
            date=result.period.end.isoformat(),
            start=result.period.start.isoformat(),
            end=result.period.end.isoformat(),
            source=result.source,
        ),
        "",
    ]
    rows = []
    for r in result.results:
        info = INDICATORS[r.criterion.indicator]
        kind = info.kind
        ratio = f" ({r.numerator}/{r.denominator})" if r.denominator is not None else ""
        rows.append(
            [
                r.criterion.id,
                str(info.label),
                _value(r.value, kind) + ratio,
                f"{r.criterion.op} {_threshold(r.criterion.threshold_number, kind)}",
                _mark(r.passed, r.unavailable is not None),
                info.gap_text(r.gap),
                r.note,
            ]
        )
    if rows:
        header = [_("编号"), _("指标"), _("数值"), _("标准"), _("结果"), _("差距"), _("说明")]
        lines.append(table(header, rows))
    if result.checklist:
        lines.append("")
        lines.append(_("检查项（由考核人确认）："))
        for c in result.checklist:
            own = "✓" if c.self_tick and c.self_tick.ticked else "·"
            mark = "✓" if c.satisfied else "✗"
            lines.append(
                "  "
                + _("[自评%(own)s 考核%(mark)s] %(id)s %(text)s")
                % {"own": own, "mark": mark, "id": c.item.id, "text": c.item.text}
            )
    if result.score is not None:
        s = result.score
        lines.append("")
        lines.append(
            _("评分：自评 {self} 分，考核 {assessor} 分（满分 {total}）").format(
                self=s.self_total, assessor=s.assessor_total, total=s.table.total_points
            )
        )
        for item in s.items:
            lines.append(
                f"  {item.item.no}. {item.item.name} {item.item.points}: "
                f"{item.self_score} / {item.assessor_score}"
            )
        for d in s.unavailable:
            lines.append(
                "  "
                + _("%(id)s 暂无法扣分，合计分数暂不确定：%(reason)s")
                % {"id": d.deduction.id, "reason": d.detail}
            )
    children = children_certifications(
        unit=result.unit, ruleset=result.ruleset.id, on=result.period.end
    )
    if children:
        certified = sum(1 for _child, c in children if c is not None)
        lines.append("")
        lines.append(
            _("下级单位认定（%(date)s）：已认定 %(n)s / %(total)s")
            % {"date": result.period.end.isoformat(), "n": certified, "total": len(children)}
        )
        for child, certification in children:
            if certification is None:
                standing = _("未认定")
            else:
                level = result.ruleset.levels.get(certification.level)
                standing = _("%(level)s，%(on)s 认定") % {
                    "level": level.name if level else certification.level,
                    "on": certification.certified_on.isoformat(),
                }
            mark = "✓" if certification else "✗"
            name = _("%(name)s（%(code)s）") % {"name": child.name, "code": child.code}
            lines.append(f"  {mark} {name} {standing}")
    lines.append("")
    lines.append(_("结论：{result}").format(result=_mark(result.passed, result.undecided)))
    return "\n".join(lines)


class Command(BaseCommand):
    help = "按标准评估单位：各项指标的数值、标准、差距，检查项和（泉港标准）评分。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "unit", nargs="?", help="单位代码（同时给 --all 时可省略：评估库中所有单位）"
        )
        parser.add_argument("--ruleset", required=True, help="标准，如 HD-2012、CQ-2007、QG-2016")
        parser.add_argument(
            "--date", type=date_argument, help="时点 YYYY-MM-DD（默认今天，1950—2100 年）"
        )
        parser.add_argument(
            "--from", dest="start", type=date_argument, help="评估期起始日（默认当年1月1日）"
        )
        parser.add_argument("--level", help="标准中的层级（默认按单位层级，如 demonstration）")
        parser.add_argument("--all", action="store_true", help="评估该单位及其下所有适用单位")
        parser.add_argument("--json", action="store_true", help="输出 JSON")
        parser.add_argument(
            "--source",
            choices=["auto", "aggregates", "direct"],
            default="auto",
            help="auto：汇总表最新时使用汇总表；direct：直接按原始数据计算",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unit = None
        if options["unit"] is not None:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"单位代码不存在：{options['unit']}")
        elif not options["all"]:
            raise CommandError("请给出单位代码，或用 --all 评估所有单位")
        on = option_date(options["date"], option="--date") or timezone.localdate()
        start = option_date(options["start"], option="--from")
        try:
            ruleset = ruleset_get(options["ruleset"])
            if options["all"]:
                results = evaluate_units(
                    root=unit,
                    ruleset=ruleset,
                    on=on,
                    start=start,
                    level_key=options["level"],
                    source=options["source"],
                    parallel=True,  # a command: the server's cores are not shared with a page
                )
            else:
                assert unit is not None
                results = [
                    evaluate_unit(
                        unit=unit,
                        ruleset=ruleset,
                        on=on,
                        start=start,
                        level_key=options["level"],
                        source=options["source"],
                    )
                ]
        except (RuleSetError, ValueError, RuntimeError) as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            data: Any = [r.as_json() for r in results] if options["all"] else results[0].as_json()
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self.stdout.write("\n\n".join(render(r) for r in results))
