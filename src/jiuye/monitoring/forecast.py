"""Where a criterion's value is heading: its monthly values projected to a target date (the
unit's next re-check, or the end of the year's acceptance) along a straight line.

The method, as the dashboard explains it: take the value at the end of each of the last (up to)
12 months that have one (a rate with an empty denominator has none), fit the least-squares line
through them (month by month), and read the line at the target date. A rate is kept within 0 to
100 %, a count at 0 or more. Fewer than 3 months with a value give no forecast: two points make
a line but not a trend.

Pure: no database, no clock. ``monitoring.dashboard`` feeds it the roll-ups' months.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Literal

from django.utils.translation import gettext as _

from jiuye.standards.rules import Op, compare

WINDOW = 12  # months fitted
MIN_POINTS = 3  # fewer: no forecast

Reason = Literal["too_few"]


@dataclass(frozen=True)
class Forecast:
    target: date
    points: int  # months with a value that were fitted
    first: date | None = None  # the first and last month fitted
    last: date | None = None
    slope: float = 0.0  # per month
    value: float | None = None  # at the target, kept in range; None: no forecast
    clamped: bool = False  # the line left the range at the target
    reason: Reason | None = None


def month_position(day: date) -> float:
    """A date on a month scale: the end of a month is a whole number (its month index), a day
    inside a month that fraction of the way from the previous month's end."""
    days = calendar.monthrange(day.year, day.month)[1]
    return day.year * 12 + day.month - 1 + day.day / days - 1


def forecast(
    months: Sequence[tuple[date, float | int | None]],
    *,
    target: date,
    kind: Literal["ratio", "count"],
) -> Forecast:
    """``months``: (a month's first day, the value at its end), oldest first; the last
    :data:`WINDOW` with a value are fitted by least squares and read at ``target``."""
    valued = [(m, float(v)) for m, v in months if v is not None][-WINDOW:]
    if len(valued) < MIN_POINTS:
        return Forecast(target=target, points=len(valued), reason="too_few")
    xs = [float(m.year * 12 + m.month - 1) for m, _v in valued]
    ys = [v for _m, v in valued]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    raw = mean_y + slope * (month_position(target) - mean_x)
    low, high = 0.0, (1.0 if kind == "ratio" else None)
    value = max(raw, low) if high is None else min(max(raw, low), high)
    return Forecast(
        target=target,
        points=n,
        first=valued[0][0],
        last=valued[-1][0],
        slope=slope,
        value=value,
        clamped=value != raw,
    )


def rounded(value: float, kind: str) -> float:
    """The forecast as shown and judged: a rate to 0.01 percentage point, a count to 0.1."""
    return round(value, 4) if kind == "ratio" else round(value, 1)


def meets(value: float, op: Op, threshold: Fraction, kind: str) -> bool:
    """Whether the shown forecast satisfies ``op threshold`` (exact, like the rules)."""
    return compare(Fraction(str(rounded(value, kind))), op, threshold)


def number_text(value: float, kind: str, unit: str = "") -> str:
    if kind == "ratio":
        return f"{value * 100:.1f}%"
    return f"{value:.1f}{unit}"


def slope_text(slope: float, kind: str, unit: str = "") -> str:
    """The trend per month in words: +0.4个百分点, −0.5户, 持平."""
    step = slope * 100 if kind == "ratio" else slope
    if abs(step) < 0.05:
        return _("基本持平")
    sign = "+" if step > 0 else "−"
    if kind == "ratio":
        return _("每月%(sign)s%(n).1f个百分点") % {"sign": sign, "n": abs(step)}
    return _("每月%(sign)s%(n).1f%(unit)s") % {"sign": sign, "n": abs(step), "unit": unit}


def explain(
    found: Forecast,
    *,
    kind: str,
    unit: str = "",
    op: Op | None = None,
    threshold: Fraction | None = None,
    threshold_text: str = "",
) -> str:
    """The forecast in one sentence: 近12个月每月+0.4个百分点，按线性趋势推算至2027-02-28为
    93.1%（≥ 90% 达标）; or why there is none."""
    if found.value is None or found.first is None or found.last is None:
        return _("有值的月份只有 %(n)s 个，少于 %(min)s 个月，不作预测。") % {
            "n": found.points,
            "min": MIN_POINTS,
        }
    text = _(
        "近%(n)s个月（%(first)s至%(last)s）%(slope)s，按线性趋势推算至%(target)s为 %(value)s"
    ) % {
        "n": found.points,
        "first": f"{found.first:%Y-%m}",
        "last": f"{found.last:%Y-%m}",
        "slope": slope_text(found.slope, kind, unit),
        "target": found.target.isoformat(),
        "value": number_text(rounded(found.value, kind), kind, unit),
    }
    if found.clamped:
        text += _("（趋势线越出取值范围，取边界值）")
    if op is not None and threshold is not None:
        verdict = _("达标") if meets(found.value, op, threshold, kind) else _("未达标")
        text += f"（{threshold_text} {verdict}）"
    return text
