"""The policies pages' tabs."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("policies/_tabs.html")
def policies_tabs(active: str) -> dict[str, Any]:
    return {"active": active}


STATE_CLASSES = {
    "": "text-bg-secondary",
    "submitted": "text-bg-warning",
    "approved": "text-bg-info",
    "paid": "text-bg-success",
    "rejected": "text-bg-danger",
}


@register.filter
def state_class(state: str) -> str:
    return STATE_CLASSES.get(state or "", "text-bg-secondary")
