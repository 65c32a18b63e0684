"""The forecast (``monitoring.forecast``): a least-squares line through the last (up to) 12
monthly values, read at the target date, kept in range, explained in words; none from fewer
than 3 months with a value. Pure: no database."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from jiuye.monitoring.forecast import (
    Forecast,
    explain,
    forecast,
    meets,
    month_position,
    slope_text,
)
from jiuye.monitoring.rollups import add_months

FIRST = date(2025, 12, 1)  # twelve months: 2025-12 … 2026-11


def months(*values: float | int | None, first: date = FIRST) -> list[tuple[date, float | None]]:
    return [(add_months(first, i), v) for i, v in enumerate(values)]


NOV_END = date(2026, 11, 30)  # the last month's end: the fitted line's last point
FEB_END = date(2027, 2, 28)  # three months later (an HD re-check date)


@pytest.mark.parametrize(
    ("name", "values", "kind", "target", "expected", "slope", "clamped"),
    [
        ("flat", [0.9] * 12, "ratio", FEB_END, 0.9, 0.0, False),
        # +0.4 percentage point a month, 0.90 in November: three months on, 0.912.
        (
            "rising",
            [0.856 + 0.004 * i for i in range(12)],
            "ratio",
            FEB_END,
            0.912,
            0.004,
            False,
        ),
        ("falling", [0.95 - 0.01 * i for i in range(12)], "ratio", FEB_END, 0.81, -0.01, False),
        # At the last month's end the line gives the fitted value there.
        ("at the last point", [0.5, 0.6, 0.7], "ratio", date(2026, 2, 28), 0.7, 0.1, False),
        ("clamped at 100%", [0.97, 0.98, 0.99, 1.0], "ratio", FEB_END, 1.0, 0.01, True),
        ("clamped at 0%", [0.03, 0.02, 0.01], "ratio", FEB_END, 0.0, -0.01, True),
        ("count falling to 0", [5, 4, 3, 2, 1], "count", FEB_END, 0.0, -1.0, True),
        ("count rising", [0, 1, 2, 3], "count", date(2026, 4, 30), 4.0, 1.0, False),
        # Months without a value (an empty denominator) are left out, not read as 0.
        ("gaps skipped", [None, 0.8, None, 0.8, 0.8], "ratio", FEB_END, 0.8, 0.0, False),
        # Only the last 12 months with a value count: an old outlier drops out.
        ("window", [0.0] + [0.9] * 12, "ratio", FEB_END, 0.9, 0.0, False),
    ],
)
def test_forecast(
    name: str,
    values: list[float | None],
    kind: str,
    target: date,
    expected: float,
    slope: float,
    clamped: bool,
) -> None:
    found = forecast(months(*values), target=target, kind=kind)  # type: ignore[arg-type]
    assert found.value == pytest.approx(expected, abs=1e-9), name
    assert found.slope == pytest.approx(slope, abs=1e-9), name
    assert found.clamped is clamped, name
    assert found.reason is None


@pytest.mark.parametrize("values", [[], [0.9], [0.9, 0.8], [None, 0.9, None, 0.8, None]])
def test_too_few_months_give_no_forecast(values: list[float | None]) -> None:
    found = forecast(months(*values), target=FEB_END, kind="ratio")
    assert found.value is None and found.reason == "too_few"
    assert "少于 3 个月" in explain(found, kind="ratio")


def test_month_position() -> None:
    assert month_position(date(2026, 11, 30)) == 2026 * 12 + 10
    assert month_position(date(2027, 2, 28)) == 2027 * 12 + 1
    assert month_position(date(2026, 12, 15)) == pytest.approx(2026 * 12 + 10 + 15 / 31)


def test_the_sentence_says_the_trend_the_date_and_the_verdict() -> None:
    found = forecast(months(*[0.887 + 0.004 * i for i in range(12)]), target=FEB_END, kind="ratio")
    text = explain(
        found,
        kind="ratio",
        op=">=",
        threshold=Fraction(9, 10),
        threshold_text=">= 90%",
    )
    assert text == (
        "近12个月（2025-12至2026-11）每月+0.4个百分点，按线性趋势推算至2027-02-28为 94.3%"
        "（>= 90% 达标）"
    )
    count = forecast(months(3, 3, 2, 2, 1), target=FEB_END, kind="count")
    said = explain(
        count, kind="count", unit="户", op="=", threshold=Fraction(0), threshold_text="= 0"
    )
    assert "每月−0.5户" in said and "为 0.0户" in said and "取边界值" in said
    assert said.endswith("（= 0 达标）")


@pytest.mark.parametrize(
    ("value", "op", "threshold", "kind", "expected"),
    [
        (0.9, ">=", Fraction(9, 10), "ratio", True),
        (0.899999999, ">=", Fraction(9, 10), "ratio", True),  # shown as 90.00%: judged so
        (0.8999, ">=", Fraction(9, 10), "ratio", False),
        (0.015, "<=", Fraction(15, 1000), "ratio", True),
        (0.04, "=", Fraction(0), "count", True),  # 0.0 families
        (0.06, "=", Fraction(0), "count", False),  # 0.1 families
    ],
)
def test_meets(value: float, op: str, threshold: Fraction, kind: str, expected: bool) -> None:
    assert meets(value, op, threshold, kind) is expected  # type: ignore[arg-type]


def test_flat_is_said_so() -> None:
    assert slope_text(0.0001, "ratio") == "基本持平"
    assert slope_text(-0.02, "ratio") == "每月−2.0个百分点"
    assert isinstance(forecast(months(1, 1, 1), target=FEB_END, kind="count"), Forecast)
