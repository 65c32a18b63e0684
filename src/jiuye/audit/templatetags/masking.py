"""``{% load masking %}``: free text on its way to a page is masked like the structured fields
(issue 11, finding 2): an ID or phone number typed into a note, an employer, an address or a
ten-clears field shows as ``11****************`` / ``139****5678``. (In the audit app because
every app's templates use it and the audit log masks what it stores the same way.)"""

from __future__ import annotations

from typing import Any

from django import template

from jiuye.lib.masking import mask_text

register = template.Library()


@register.filter
def masked(value: Any) -> str:
    """Every ID-number-like and mobile-number-like run in ``value`` masked."""
    if value is None:
        return ""
    return mask_text(str(value))
