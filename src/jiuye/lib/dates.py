"""Dates a user gives, read one way everywhere: a page's query string or form field, an API
parameter, a command-line option.

A date is ``YYYY-MM-DD`` between :data:`MIN_DATE` and :data:`MAX_DATE` (1950-01-01 to
2100-12-31: before any working-age person of today's records was born, and far beyond any
assessment). Anything else is the user's mistake, said in their words, never a server error:

- pages: :class:`DateParams` reads query parameters, collects the errors (the view shows them)
  and falls back to the page's default (today);
- forms: :class:`DateField`;
- the API: :data:`ApiDate` (pydantic, so a 422 with the reason);
- commands: :func:`date_argument` as an ``add_argument(type=...)`` (a ``CommandError``), and
  :func:`option_date` in ``handle`` (``call_command`` passes text past the parser).

Whether the holiday calendar knows a date's year is another matter (``lib.workdays``): a date
in range but without a calendar is valid, and only the figures that need working days wait.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import BeforeValidator

from jiuye.lib.masking import mask_text

MIN_DATE = date(1950, 1, 1)
MAX_DATE = date(2100, 12, 31)
_SHOWN = 30  # characters of a wrong value repeated back to the user


class DateInputError(ValueError):
    """A date given by a user is malformed or out of range; ``str()`` says so in their words."""


def _shown(raw: str) -> str:
    text = raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "…"
    return mask_text(text)


def out_of_range(day: date) -> str | None:
    """Why ``day`` is not accepted (None: it is)."""
    if MIN_DATE <= day <= MAX_DATE:
        return None
    return _("日期须在 %(min)s 至 %(max)s 之间：%(value)s") % {
        "min": MIN_DATE.isoformat(),
        "max": MAX_DATE.isoformat(),
        "value": day.isoformat(),
    }


def parse_date(raw: str, *, label: str = "") -> date:
    """``raw`` (``YYYY-MM-DD``) as a date in range, else :class:`DateInputError`. ``label``
    names the field in the message (e.g. 评估期起)."""
    text = raw.strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        message = _("日期应为 YYYY-MM-DD 格式：%(value)s") % {"value": _shown(raw)}
    else:
        problem = out_of_range(day)
        if problem is None:
            return day
        message = problem
    raise DateInputError(f"{label}：{message}" if label else message)


class DateParams:
    """A page's date parameters (a query string or a posted form): each read with its default,
    the errors collected for the page to show (the default stands in for a wrong value)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: list[str] = []

    def get(self, name: str, default: date, *, label: str = "") -> date:
        raw = self.data.get(name)
        if not raw:
            return default
        try:
            return parse_date(str(raw), label=label)
        except DateInputError as error:
            self.errors.append(str(error))
            return default

    def optional(self, name: str, *, label: str = "") -> date | None:
        raw = self.data.get(name)
        if not raw:
            return None
        try:
            return parse_date(str(raw), label=label)
        except DateInputError as error:
            self.errors.append(str(error))
            return None


def _validate_range(day: date) -> None:
    problem = out_of_range(day)
    if problem is not None:
        raise ValidationError(problem, code="date_range")


class DateField(forms.DateField):
    """A form's date field: ``YYYY-MM-DD`` (the browser's date input sends it) within range."""

    default_error_messages = {"invalid": gettext_lazy("日期应为 YYYY-MM-DD 格式。")}
    default_validators = [_validate_range]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)


def _api_date(value: Any) -> date:
    if isinstance(value, date):
        problem = out_of_range(value)
        if problem is not None:
            raise ValueError(problem)
        return value
    if isinstance(value, str):
        return parse_date(value)  # a DateInputError is a ValueError: pydantic's 422
    raise ValueError(_("日期应为 YYYY-MM-DD 格式。"))


# An API date parameter, read as every other date (``YYYY-MM-DD`` in range; not pydantic's
# wider reading, which takes Unix timestamps), else a 422 with the reason.
ApiDate = Annotated[date, BeforeValidator(_api_date)]


def date_argument(raw: str) -> date:
    """``add_argument("--date", type=date_argument)``: a bad value is a command error (Django's
    parser turns the ``ArgumentTypeError`` into a ``CommandError``) with the reason."""
    try:
        return parse_date(raw)
    except DateInputError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def option_date(value: date | str | None, *, option: str) -> date | None:
    """A command's date option as ``handle`` receives it: parsed by :func:`date_argument` on the
    command line, but text when passed to ``call_command(..., date="…")``, which skips the
    parser; a bad text is a ``CommandError`` naming the option."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        problem = out_of_range(value)
        if problem is not None:
            raise CommandError(f"{option}：{problem}")
        return value
    try:
        return parse_date(str(value), label=option)
    except DateInputError as error:
        raise CommandError(str(error)) from None
