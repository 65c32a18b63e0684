"""The programme's pages: campaign progress, the year's rewards payable and the year's certified
units (the last two also as Excel). Thin: the reads are ``progress``, ``rewards`` and
``certified``, each scoped to the user's jurisdiction; a wrong parameter is said on the page and
the default used, never a server error."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.certification.certified import CertifiedRow, certified_units
from jiuye.certification.programme_xlsx import Sheet, workbook, xlsx_response
from jiuye.certification.progress import campaign_progress, roots, rulesets_with_targets
from jiuye.certification.rewards import RewardList, rewards_payable
from jiuye.lib.masking import mask_text
from jiuye.standards.rulesets import RuleSet, rulesets

MIN_YEAR, MAX_YEAR = 2000, 2100


def _year(request: HttpRequest) -> tuple[int, bool]:
    """``?year=`` (default: this year), and whether it was given right."""
    this_year = timezone.localdate().year
    raw = request.GET.get("year", "").strip()
    if not raw:
        return this_year, True
    try:
        year = int(raw)
    except ValueError:
        year = 0
    if MIN_YEAR <= year <= MAX_YEAR:
        return year, True
    messages.error(
        request,
        _("年度应为 %(min)s 至 %(max)s 之间的整数：%(value)s；已显示 %(year)s 年度。")
        % {"min": MIN_YEAR, "max": MAX_YEAR, "value": mask_text(raw[:30]), "year": this_year},
    )
    return this_year, False


def _ruleset(request: HttpRequest, choices: list[RuleSet]) -> RuleSet | None:
    """``?ruleset=`` among the rule sets with targets (default: the first of them)."""
    wanted = request.GET.get("ruleset", "").strip().lower()
    for ruleset in choices:
        if ruleset.id.lower() == wanted:
            return ruleset
    if wanted:
        messages.error(
            request, _("没有设定创建目标的标准：%(value)s") % {"value": mask_text(wanted[:40])}
        )
    return choices[0] if choices else None


@login_required
def campaigns(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    choices = rulesets_with_targets(rulesets())
    ruleset = _ruleset(request, choices)
    rows = campaign_progress(user=request.user, ruleset=ruleset, today=today) if ruleset else []
    by_root = [(root, [r for r in rows if r.root.pk == root.pk]) for root in roots(request.user)]
    context = {
        "today": today,
        "ruleset": ruleset,
        "choices": choices,
        "by_root": [(root, found) for root, found in by_root if found],
    }
    return render(request, "certification/campaigns.html", context)


def _reward_columns() -> list[tuple[str, int]]:
    return [
        (_("收款单位代码"), 16),
        (_("收款单位"), 18),
        (_("认定层级"), 22),
        (_("标准"), 10),
        (_("奖励编号"), 10),
        (_("奖励项目"), 40),
        (_("依据"), 40),
        (_("依据日期"), 12),
        (_("金额（元）"), 12),
    ]


def _rewards_xlsx(found: RewardList) -> HttpResponse:
    rows = [
        [
            r.payee.code,
            r.payee.name,
            r.level_name,
            r.ruleset,
            r.reward.id,
            r.reward.text,
            r.basis,
            r.basis_on,
            r.amount,
        ]
        for r in found.rows
    ]
    rows.append([_("合计"), "", "", "", "", "", "", None, found.total])
    totals = [[p.payee.code, p.payee.name, len(p.rows), p.total] for p in found.payees]
    totals.append([_("合计"), "", len(found.rows), found.total])
    data = workbook(
        [
            Sheet(_("奖励明细"), _reward_columns(), rows),
            Sheet(
                _("按单位汇总"),
                [
                    (_("收款单位代码"), 16),
                    (_("收款单位"), 18),
                    (_("笔数"), 8),
                    (_("金额（元）"), 12),
                ],
                totals,
            ),
        ]
    )
    return xlsx_response(
        data,
        filename=f"奖励名单-{found.year}.xlsx",
        ascii_name=f"rewards-{found.year}.xlsx",
    )


@login_required
def rewards(request: HttpRequest) -> HttpResponse:
    year, good = _year(request)
    found = rewards_payable(user=request.user, year=year)
    if request.GET.get("format") == "xlsx" and good:  # a wrong year: the page says why
        return _rewards_xlsx(found)
    return render(request, "certification/rewards.html", {"year": year, "found": found})


def certified_cells(row: CertifiedRow) -> list[Any]:
    """One row of the certified list as the workbook has it (the page shows the same)."""
    c = row.certification
    return [
        c.unit.code,
        c.unit.name,
        c.unit.get_level_display(),
        c.ruleset,
        row.level_name,
        c.certified_on,
        c.revoked_on,
        row.rechecks_text,
    ]


def shown(cell: Any) -> str:
    """A workbook cell as the page shows it (dates as YYYY-MM-DD, nothing for None)."""
    if cell is None:
        return ""
    return cell.isoformat() if isinstance(cell, date) else str(cell)


def certified_columns() -> list[tuple[str, int]]:
    return [
        (_("单位代码"), 16),
        (_("单位名称"), 18),
        (_("单位层级"), 10),
        (_("标准"), 10),
        (_("认定层级"), 22),
        (_("认定日期"), 12),
        (_("撤销日期"), 12),
        (_("以后年度复核"), 36),
    ]


def _certified_page(request: HttpRequest, year: int, rows: list[CertifiedRow]) -> HttpResponse:
    context = {
        "year": year,
        "columns": [header for header, _width in certified_columns()],
        "rows": [[shown(cell) for cell in certified_cells(row)] for row in rows],
    }
    return render(request, "certification/certified.html", context)


@login_required
def certified(request: HttpRequest) -> HttpResponse:
    year, _good = _year(request)
    return _certified_page(request, year, certified_units(user=request.user, year=year))


@login_required
def certified_xlsx(request: HttpRequest) -> HttpResponse:
    year, good = _year(request)
    rows = certified_units(user=request.user, year=year)
    if not good:  # the page says what was wrong instead of a file of another year
        return _certified_page(request, year, rows)
    data = workbook([Sheet(_("认定名单"), certified_columns(), map(certified_cells, rows))])
    return xlsx_response(
        data,
        filename=f"认定名单-{year}.xlsx",
        ascii_name=f"certified-{year}.xlsx",
    )
