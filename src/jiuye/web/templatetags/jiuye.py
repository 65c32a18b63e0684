"""Template filters of the web pages: masking, labels and ages.

Personal numbers reach a page only through ``mask_id`` / ``mask_phone``; a template never prints
``person.id_number`` or ``person.phone`` raw.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils import timezone

from jiuye.lib import masking
from jiuye.lib.retirement import add_months
from jiuye.registry.models import DifficultyCategory, Status

register = template.Library()


@register.filter
def mask_id(value: str | None) -> str:
    """An ID number with only the first 6 and last 4 characters shown."""
    return masking.mask_id_number(value)


@register.filter
def mask_phone(value: str | None) -> str:
    """A phone number with only the first 3 and last 4 digits shown."""
    return masking.mask_phone(value)


@register.filter
def status_label(value: str | None) -> str:
    """The translated label of an employment status code ("unemployed" → 失业); "—" if none."""
    if not value:
        return "—"
    try:
        return str(Status(value).label)
    except ValueError:
        return str(value)


@register.filter
def category_label(value: str | None) -> str:
    """The translated label of a difficulty category code."""
    if not value:
        return "—"
    try:
        return str(DifficultyCategory(value).label)
    except ValueError:
        return str(value)


@register.filter
def age_on(birth: date | None, on: Any = None) -> int | str:
    """Full years of age on ``on`` (a date; default today): ``{{ p.birth_date|age_on:today }}``."""
    if birth is None:
        return ""
    if not isinstance(on, date):
        on = timezone.localdate()
    years = on.year - birth.year
    if add_months(birth, years * 12) > on:
        years -= 1
    return years
