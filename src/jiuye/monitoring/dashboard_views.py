"""The dashboard pages (thin): a unit's page shell, each panel as its own HTMX fragment and
workbook, and the district's big screen. Units are read through ``standards.selectors`` (the
data roles, inside their jurisdiction: a foreign unit is 404, as on the standards pages); the
figures are assembled by ``monitoring.dashboard``, ``monitoring.standing`` and
``monitoring.screen``. Wrong parameters are said on the page, never a server error: an unknown
rule set is 404 (as on the standards pages), a wrong date or figure falls back to the default
and says so; a workbook asked for with wrong parameters is 400."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from jiuye.accounts.models import User
from jiuye.lib.dates import DateParams
from jiuye.monitoring import dashboard, ranking
from jiuye.monitoring.dashboard_xlsx import panel_xlsx
from jiuye.monitoring.panels import Panel, Params
from jiuye.monitoring.screen import screen, screen_units
from jiuye.monitoring.standing import standing_panel
from jiuye.standards import selectors
from jiuye.units.models import Level, Unit


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _params(request: HttpRequest, unit: Unit) -> Params:
    today = timezone.localdate()
    choices = selectors.rulesets_for(unit)
    errors: list[str] = []
    ruleset = choices[0] if choices else None
    wanted = request.GET.get("ruleset")
    if wanted:
        asked = selectors.ruleset_or_404(wanted)
        if any(r.id == asked.id for r in choices):
            ruleset = asked
        else:
            level_name = unit.get_level_display()
            errors.append(
                _("%(ruleset)s 不评估%(level)s。") % {"ruleset": asked.id, "level": level_name}
            )
    dates = DateParams(request.GET)
    on = dates.get("date", today, label=_("时点"))
    errors += dates.errors
    level = request.GET.get("level") or None
    keys = {lv.key for lv in ruleset.levels_for(unit.level)} if ruleset is not None else set()
    if level and level not in keys:
        errors.append(_("层级“%(level)s”不适用于本单位，按默认层级评估。") % {"level": level[:40]})
        level = None
    return Params(unit, on, today, ruleset, choices, level, errors)


# Panels that take the page's width (the others sit two by two on a wide screen).
WIDE = frozenset({"standing", "trend"})


def panels_of(unit: Unit) -> list[str]:
    """The panels of a unit's dashboard, in page order."""
    if unit.level == Level.GRID:
        return ["grid"]
    return ["standing", "trend", "services", "ranking"]


def _panel(request: HttpRequest, p: Params, name: str) -> Panel:
    builders: dict[str, Callable[[], Panel]] = {
        "standing": lambda: standing_panel(user=_user(request), p=p),
        "trend": lambda: dashboard.trend_panel(p),
        "services": lambda: dashboard.services_panel(p),
        "ranking": lambda: ranking.ranking_panel(
            user=_user(request), p=p, wanted=request.GET.get("indicator")
        ),
        "grid": lambda: ranking.grid_panel(p),
    }
    if name not in panels_of(p.unit):
        raise Http404("panel")
    return builders[name]()


def _panel_url(p: Params, name: str, *, xlsx: bool = False, **extra: Any) -> str:
    view = "monitoring:panel_xlsx" if xlsx else "monitoring:panel"
    return reverse(view, args=[p.unit.code, name]) + "?" + p.query(**extra)


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The user's own unit's dashboard (a list when they belong to several, side by side)."""
    units = list(selectors.user_units(user=_user(request)))
    top = [u for u in units if not any(o.pk != u.pk and u.is_within(o) for o in units)]
    if len(top) == 1:
        return redirect(reverse("monitoring:unit", args=[top[0].code]))
    return render(
        request,
        "monitoring/index.html",
        {"units": top, "screens": screen_units(_user(request))},
    )


@login_required
@require_safe
def unit_page(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_get(user=_user(request), code=code)
    p = _params(request, unit)
    indicator = request.GET.get("indicator", "")
    panels = [
        {
            "name": name,
            "wide": name in WIDE,
            "url": _panel_url(p, name, indicator=indicator if name == "ranking" else ""),
        }
        for name in panels_of(unit)
    ]
    levels = p.ruleset.levels_for(unit.level) if p.ruleset is not None else []
    context = {
        "unit": unit,
        "p": p,
        "panels": panels,
        "levels": levels,
        "screen": unit in screen_units(_user(request)),
        "standards_url": reverse("standards:unit", args=[unit.code]) + "?" + p.query()
        if p.ruleset is not None
        else "",
    }
    return render(request, "monitoring/unit.html", context)


@login_required
@require_safe
def panel(request: HttpRequest, code: str, name: str) -> HttpResponse:
    unit = selectors.unit_get(user=_user(request), code=code)
    p = _params(request, unit)
    found = _panel(request, p, name)
    extra = {}
    if name == "ranking":
        extra["indicator"] = found.extra["measure"].id
    context = {
        "panel": found,
        "wide": name in WIDE,
        "p": p,
        "xlsx_url": _panel_url(p, name, xlsx=True, **extra),
        "url": reverse("monitoring:panel", args=[unit.code, name]),  # the form adds its query
        "unit_url": reverse("monitoring:unit", args=[unit.code]),
    }
    return render(request, "monitoring/_panel.html", context)


@login_required
@require_safe
def panel_download(request: HttpRequest, code: str, name: str) -> HttpResponse:
    unit = selectors.unit_get(user=_user(request), code=code)
    p = _params(request, unit)
    found = _panel(request, p, name)
    problems = [*p.errors, *filter(None, [found.extra.get("problem")])]
    if problems:  # a file of other figures than asked for: say why instead
        return HttpResponseBadRequest(
            "\n".join(problems).encode(), content_type="text/plain; charset=utf-8"
        )
    if found.table is None:
        raise Http404("\n".join(found.notices))
    return panel_xlsx(found, p)


def _screen_unit(request: HttpRequest) -> Unit:
    units = screen_units(_user(request))
    wanted = request.GET.get("unit")
    chosen = [u for u in units if u.code == wanted] if wanted else units[:1]
    if not chosen:
        raise Http404("screen")
    return chosen[0]


@login_required
@require_safe
def screen_page(request: HttpRequest) -> HttpResponse:
    unit = _screen_unit(request)
    found = screen(user=_user(request), unit=unit, today=timezone.localdate())
    return render(request, "monitoring/screen.html", {"s": found, "now": timezone.localtime()})


@login_required
@require_safe
def screen_body(request: HttpRequest) -> HttpResponse:
    unit = _screen_unit(request)
    found = screen(user=_user(request), unit=unit, today=timezone.localdate())
    return render(
        request, "monitoring/_screen_body.html", {"s": found, "now": timezone.localtime()}
    )
