"""Enumerations in the active language (Chinese 、/；, English ", "/"; "), for every app."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import translation


def list_separator(*, clauses: bool = False) -> str:
    """The separator of an enumeration in the active language: 、 (clauses: ；) in Chinese,
    ", " (clauses: "; ") otherwise."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language.lower().startswith("zh"):
        return "；" if clauses else "、"
    return "; " if clauses else ", "


def join_list(items: Iterable[Any], *, clauses: bool = False) -> str:
    """``items`` as one enumeration: "姓名、住址" in Chinese, "name, address" in English."""
    return list_separator(clauses=clauses).join(str(item) for item in items)
