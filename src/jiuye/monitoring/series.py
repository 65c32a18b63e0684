"""Which figures have a monthly series, and how each is read from a month's roll-up
(``models.MonthlyRollup``: the standards' count vector at the month's last day, the zero
families open that day, the services of the month). Stated once, here: the dashboards' trend,
ranking and forecast read every figure through :data:`MEASURES`, and
``tests/monitoring/test_dashboard_series.py`` checks that a community's value at a month's
last day equals the standards engine's on that day.

- the indicators of DOMAIN §5 read from the status vector: ``employment_rate`` (employed /
  labor force), ``difficult_employment_rate`` (difficult employed / difficult),
  ``registered_unemployment_rate`` (urban registered / (urban employed + urban registered)),
  ``dibao_unemployed_share`` (dibao not employed / dibao base), ``pure_farming_families``;
- the zero-employment families: ``zero_families`` (all, HD and QG) and
  ``zero_families_urban`` (CQ-2 counts urban hukou only);
- plain counts for the trend and the ranking: labor force, employed, unemployed, registered
  unemployed.

A rate with an empty denominator has no value (DOMAIN §5). Every other indicator (satisfaction,
guidance on time, the period's services…) has no monthly series: the dashboard says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiuye.standards.rules import Fact, Ratio

Values = Mapping[str, int]


@dataclass(frozen=True)
class Measure:
    """One figure of a month's roll-up: a ratio of sums of fields, or a sum of fields."""

    id: str
    label: Any  # a lazy translation
    kind: Literal["ratio", "count"]
    numerator: tuple[str, ...]
    denominator: tuple[str, ...] = ()  # a ratio's; a count has none
    unit: Any = ""  # the count's unit in words (户, 人), for the forecast's sentence
    indicator: bool = True  # an indicator of DOMAIN §5 (a rule set's criterion may use it)

    @property
    def fields(self) -> tuple[str, ...]:
        return (*self.numerator, *self.denominator)

    def fact(self, values: Values) -> Fact:
        """The figure as the standards engine gives it: a :class:`Ratio` or an int."""
        top = sum(int(values.get(f, 0)) for f in self.numerator)
        if self.kind == "count":
            return top
        return Ratio(top, sum(int(values.get(f, 0)) for f in self.denominator))

    def value(self, values: Values) -> float | int | None:
        """The number (a rate from 0 to 1, or a count); None for an empty denominator."""
        found = self.fact(values)
        if isinstance(found, Ratio):
            return found.value
        return found if isinstance(found, int) else None


# The unit after a number ("3户"; in English " families", with its space).
_PERSONS = pgettext_lazy("count unit", "人")
_FAMILIES = pgettext_lazy("count unit", "户")

MEASURES: dict[str, Measure] = {
    m.id: m
    for m in (
        Measure("employment_rate", _("就业率"), "ratio", ("employed",), ("labor_force",), _PERSONS),
        Measure(
            "registered_unemployment_rate",
            _("城镇登记失业率"),
            "ratio",
            ("urban_registered",),
            ("urban_employed", "urban_registered"),
        ),
        Measure(
            "difficult_employment_rate",
            _("就业困难人员就业率"),
            "ratio",
            ("difficult_employed",),
            ("difficult",),
        ),
        Measure(
            "dibao_unemployed_share",
            _("低保有劳动能力未就业比例"),
            "ratio",
            ("dibao_not_employed",),
            ("dibao_base",),
        ),
        Measure("zero_families", _("零就业家庭数"), "count", ("zero_families",), unit=_FAMILIES),
        Measure(
            "zero_families_urban",
            _("城镇零就业家庭数"),
            "count",
            ("zero_families_urban",),
            unit=_FAMILIES,
        ),
        Measure(
            "pure_farming_families",
            _("纯农就业家庭数"),
            "count",
            ("pure_farming",),
            unit=_FAMILIES,
        ),
        Measure(
            "labor_force", _("劳动力"), "count", ("labor_force",), unit=_PERSONS, indicator=False
        ),
        Measure("employed", _("就业人数"), "count", ("employed",), unit=_PERSONS, indicator=False),
        Measure(
            "unemployed", _("失业人数"), "count", ("unemployed",), unit=_PERSONS, indicator=False
        ),
        Measure(
            "registered",
            _("登记失业人数"),
            "count",
            ("registered",),
            unit=_PERSONS,
            indicator=False,
        ),
    )
}

# The indicators of DOMAIN §5 with a monthly series (a criterion on one can be forecast).
SERIES = {key: m for key, m in MEASURES.items() if m.indicator}

# What a grid's live counts hold (``monitoring.grids``): the measures read from those alone.
GRID_FIELDS = frozenset({"labor_force", "employed", "unemployed", "registered", "zero_families"})
GRID_MEASURES = {key: m for key, m in MEASURES.items() if set(m.fields) <= GRID_FIELDS}

# The ranking's default, and the order the chooser lists them in.
DEFAULT_RANKING = "employment_rate"


def series_of(indicator: str) -> Measure | None:
    """The monthly series of ``indicator`` (None: it has none)."""
    return SERIES.get(indicator)


def shown(value: float | int | None, kind: str) -> float | int | None:
    """A value as the tables and workbooks show it: a rate in percent with two decimals, a
    count as it is (None stays None: no value)."""
    if value is None:
        return None
    if kind == "ratio":
        return round(float(value) * 100, 2)
    return value
