"""``{% load times %}{{ job.created_at|local_time }}``: the one way a page shows a point in time.

Times are stored in UTC (``USE_TZ``); a page shows them in the server's zone (``TIME_ZONE``,
Asia/Shanghai) to the minute, in the reader's language: ``2026年12月3日 21:19`` in Chinese,
``2026-12-03 21:19`` in English. A day without a time (a ``date``) is not a point in time and
keeps the pages' ``Y-m-d``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import dateformat, timezone, translation

register = template.Library()

# By language rather than through the catalog: a format string is not a sentence to translate,
# and the English one must hold before the catalog is compiled.
FORMATS = {"zh": "Y年n月j日 H:i", "en": "Y-m-d H:i"}


def _as_datetime(value: Any) -> datetime | None:
    """A datetime, or the one an ISO 8601 string names (values kept as text in JSON, such as a
    checklist tick's time); None for anything else."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


@register.filter
def local_time(value: Any) -> str:
    """``value`` (an aware datetime or ISO string) in local time, to the minute; "" if none.
    A naive value is taken to be local time already; text that is no time is shown as it is."""
    moment = _as_datetime(value)
    if moment is None:
        return "" if value in (None, "") else str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    language = (translation.get_language() or "zh").split("-")[0]
    return dateformat.format(moment, FORMATS.get(language, FORMATS["en"]))
