"""The reviewers' summary: one row per community of the user's jurisdiction (or of the unit
chosen with ``?unit=CODE`` inside it) with its labor force, employed, unemployed, zero-employment
families, overdue worklist items per rule and ten-clears completeness, each a link to the
community's own lists.

Every figure is read set-based, one grouped query for a set of communities, by the module that
owns its rule (none is restated here):

- the labor-force counts from the incremental aggregates (``standards.aggregates``) and the
  zero families from the zero-family cases when the aggregates are fresh, else both from
  ``registry.classification`` (as the home page's totals, ``web.dashboard``);
- the overdue items from the deadlines (``casework.deadlines.community_counts``: the stored
  items when the day is stored), actionable ones as the worklist counts them;
- the ten clears from ``casework.tenclears.community_counts``.

The figure a page is sorted by is read for every community of the jurisdiction (a district's
500 are one grouped query); the others only for the page's communities. Sorted by code the page
is cut in the database. So the number of queries never grows with the number of communities.

Rows are communities the user sees whole (``units.scope.sees_all_of``): a grid coordinator, who
sees part of a community, and a role without personal data get no rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from operator import or_
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _

from jiuye.casework import deadlines, tenclears
from jiuye.casework.deadlines import State
from jiuye.casework.models import ZeroFamilyCase
from jiuye.lib.dates import DateParams
from jiuye.registry.classification import community_classification
from jiuye.registry.selectors import persons_of, persons_visible
from jiuye.standards import aggregates
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit
from jiuye.units.scope import member_units, units_visible

PAGE_SIZE = 50  # communities per page
TARGET = "community-summary"  # the region a page link replaces (HTMX)

# The labor-force counts of a row: the community vector's field (``standards.models``) and the
# classification's attribute behind each.
_VECTOR_KEYS = {"labor_force": "labor_force", "employed": "employed", "unemployed": "unemployed"}
_CLASSIFICATION_KEYS = {
    "labor_force": "labor_force",
    "employed": "employed",
    "unemployed": "unemployed",
    "zero_families": "zero_families",
}

Counts = dict[int, dict[str, int]]  # community id → figure → number


@dataclass
class _Reader:
    """Reads each figure for a set of communities, one grouped query (or one per outer unit of
    the jurisdiction, never one per community)."""

    user: Any
    on: date
    outer: list[Unit]  # the units whose communities are summarised
    fresh: bool
    gaps: deadlines.CalendarGaps = field(default_factory=deadlines.CalendarGaps)

    def counts(self, communities: QuerySet[Unit]) -> Counts:
        """Labor force, employed, unemployed and zero families per community."""
        if not self.fresh:
            found = community_classification(on=self.on, units=communities)
            return {
                pk: {key: getattr(c, attr) for key, attr in _CLASSIFICATION_KEYS.items()}
                for pk, c in found.items()
            }
        out: Counts = {}
        for unit in self.outer:  # the communities under each unit: one indexed read each
            for pk, vector in aggregates.community_vectors(on=self.on, path=unit.path).items():
                out[pk] = {key: vector[f] for key, f in _VECTOR_KEYS.items()}
        # The zero-family cases are the episodes of the zero-family rule (``web.dashboard``).
        zero = (
            ZeroFamilyCase.objects.open_on(self.on)
            .filter(household__community__in=communities)
            .values_list("household__community_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for pk, n in zero:
            out.setdefault(pk, {})["zero_families"] = n
        return out

    def overdue(self, units: Sequence[Unit]) -> Counts:
        """Per community, the actionable items overdue per rule (the worklist's count)."""
        found, gaps = deadlines.community_counts(self.user, self.on, units=units)
        self.gaps.merge(gaps)
        return {
            pk: {rule: states.get(State.OVERDUE, 0) for rule, states in by_rule.items()}
            for pk, by_rule in found.items()
            if pk
        }

    def ten_clears(self, ids: Sequence[int] | None) -> dict[int, tuple[int, int]]:
        """Per community (of ``ids``; None: every one), (complete records, unemployed)."""
        if ids is not None:
            persons = persons_visible(user=self.user).filter(community_id__in=ids)
            return tenclears.community_counts(self.on, persons)
        out: dict[int, tuple[int, int]] = {}
        for unit in self.outer:  # as the ten-clears page reads a unit (``tenclears.unit_page``)
            out.update(
                tenclears.community_counts(
                    self.on,
                    persons_of(unit, user=self.user),
                    events_first=unit.level in tenclears.LARGE_LEVELS,
                    persons_first=not unit.is_large(),
                )
            )
        return out


def _rate(pair: tuple[int, int] | None) -> float | None:
    """The ten-clears completeness in percent (None: no unemployed person to count)."""
    if not pair or not pair[1]:
        return None
    return round(100 * pair[0] / pair[1], 1)


@dataclass(frozen=True)
class Sort:
    label: Any
    # The sort key of a community from the figures read for all of them, and which figure.
    figure: str
    key: Callable[[dict[str, Any]], Any]


def _overdue_total(figures: dict[str, Any]) -> int:
    return sum(figures.get("overdue", {}).values())


SORTS: dict[str, Sort] = {
    "overdue": Sort(_("逾期最多"), "overdue", lambda f: -_overdue_total(f)),
    "ten_clears": Sort(
        _("十清完整率最低"),
        "ten_clears",
        # Communities without an unemployed person (nothing to complete) last.
        lambda f: (_rate(f.get("ten_clears")) is None, _rate(f.get("ten_clears")) or 0),
    ),
    "unemployed": Sort(
        _("失业人员最多"), "counts", lambda f: -f.get("counts", {}).get("unemployed", 0)
    ),
    "zero_families": Sort(
        _("零就业家庭最多"), "counts", lambda f: -f.get("counts", {}).get("zero_families", 0)
    ),
    "code": Sort(_("按代码"), "", lambda f: 0),
}
DEFAULT_SORT = "overdue"


def _outer(request: HttpRequest) -> tuple[list[Unit], Unit | None]:
    """The units summarised: the one chosen with ``?unit=CODE`` (inside the jurisdiction, else
    404) or the user's own, without those inside another."""
    code = request.GET.get("unit")
    if code:
        chosen = get_object_or_404(units_visible(request.user), code=code)
        return [chosen], chosen
    return deadlines.outermost_units(member_units(request.user)), None


def _communities(user: Any, outer: list[Unit]) -> QuerySet[Unit]:
    """The communities under ``outer`` that the user sees whole: none under a grid, none for a
    role without personal data."""
    whole = [unit for unit in outer if unit.level != Level.GRID]
    if not whole or not getattr(user, "sees_personal_data", False):
        return Unit.objects.none()
    under = reduce(or_, (Q(path__startswith=unit.path) for unit in whole))
    return units_visible(user).filter(under, level__in=COMMUNITY_LEVELS).order_by("code")


def _read(reader: _Reader, name: str, communities: QuerySet[Unit], units: list[Unit]) -> Any:
    """One figure for ``units`` (those of ``communities``); None: every community."""
    if name == "counts":
        return reader.counts(communities)
    if name == "overdue":
        return reader.overdue(units or reader.outer)
    return reader.ten_clears([u.pk for u in units] if units else None)


def _page(
    request: HttpRequest, reader: _Reader, communities: QuerySet[Unit], sort: Sort
) -> tuple[Page[Any], list[Unit], dict[str, Any]]:
    """The page of communities in the sort's order, and the sort's figure when it was read for
    all of them."""
    number = request.GET.get("page")
    if not sort.figure:  # by code: paged in the database
        by_code = Paginator(communities, PAGE_SIZE).get_page(number)
        return by_code, list(by_code.object_list), {}
    read = _read(reader, sort.figure, communities, [])
    codes = list(communities.values_list("pk", "code"))
    ordered = sorted(
        codes, key=lambda pc: (sort.key({sort.figure: read[pc[0]]} if pc[0] in read else {}), pc[1])
    )
    page = Paginator([pk for pk, _code in ordered], PAGE_SIZE).get_page(number)
    units = Unit.objects.in_bulk(list(page.object_list))
    return page, [units[pk] for pk in page.object_list], {sort.figure: read}


def _rows(reader: _Reader, units: list[Unit], read: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's rows: the figures not read yet, for the page's communities only."""
    page_qs = Unit.objects.filter(pk__in=[u.pk for u in units])
    for name in ("counts", "overdue", "ten_clears"):
        if name not in read:
            read[name] = _read(reader, name, page_qs, units) if units else {}
    parents = Unit.objects.in_bulk({u.parent_id for u in units if u.parent_id})
    rows = []
    for unit in units:
        counts = read["counts"].get(unit.pk, {})
        overdue = read["overdue"].get(unit.pk, {})
        ten = read["ten_clears"].get(unit.pk)
        rows.append(
            {
                "unit": unit,
                "parent": parents.get(unit.parent_id) if unit.parent_id else None,
                **{key: counts.get(key, 0) for key in _CLASSIFICATION_KEYS},
                "overdue_cells": [overdue.get(rule, 0) for rule in deadlines.RULES],
                "overdue": sum(overdue.values()),
                "ten_complete": ten[0] if ten else 0,
                "ten_total": ten[1] if ten else 0,
                "ten_rate": _rate(ten),
            }
        )
    return rows


@login_required
def community_summary(request: HttpRequest) -> HttpResponse:
    """One row per community of the jurisdiction, sortable, a page at a time."""
    user: Any = request.user
    today = timezone.localdate()
    params = DateParams(request.GET)
    on = params.get("date", today)
    for error in params.errors:
        messages.error(request, error)
    outer, chosen = _outer(request)
    communities = _communities(user, outer)
    sort_name = request.GET.get("sort", "")
    sort_name = sort_name if sort_name in SORTS else DEFAULT_SORT  # an unknown key: the default
    reader = _Reader(user, on, [u for u in outer if u.level != Level.GRID], False)
    page: Page[Any] | None = None
    rows: list[dict[str, Any]] = []
    if communities.exists():
        reader.fresh = aggregates.aggregates_fresh()
        page, units, read = _page(request, reader, communities, SORTS[sort_name])
        rows = _rows(reader, units, read)
    context = {
        "on": on,
        "today": today,
        "chosen": chosen,
        "sees": bool(getattr(user, "sees_personal_data", False)),
        # A grid coordinator's own page says why it is empty (a chosen grid simply has none).
        "grid_only": not chosen and bool(outer) and all(u.level == Level.GRID for u in outer),
        "rows": rows,
        "page": page,
        "paginator": page.paginator if page else None,
        "sort": sort_name,
        "sorts": [(name, s.label) for name, s in SORTS.items()],
        "rules": list(deadlines.RULES.items()),
        "gaps": reader.gaps,
        "target": TARGET,
    }
    partial = request.headers.get("HX-Request") == "true" and (
        request.headers.get("HX-Target") == TARGET
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
    template = "web/summary/_table.html" if partial else "web/summary/page.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response
