"""``{% load dashboard %}``: a dashboard table's cell as the page shows it (the workbook holds
the value itself): nothing is "—", a rate (a float, in percent) has two decimals, a date is
YYYY-MM-DD."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template

register = template.Library()


@register.filter
def cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
