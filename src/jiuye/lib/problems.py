"""A located problem with a row of data, worded once in both languages.

The rule checks (``registry.checks``, ``casework.checks``) return :class:`Problem` values; a
service raises them as a ``ValidationError`` (:func:`raise_problems`), the importer turns them
into located issues of its error workbook. Either way the user reads the same words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import translation

# The date checks every kind of row shares, worded once (``what`` names the date).
DATE_MESSAGES: dict[str, tuple[str, str]] = {
    "before_birth": ("{what}早于出生日期", "The {what} is before the date of birth"),
    "future": ("{what}不能晚于今天（{today}）", "The {what} cannot be after today ({today})"),
}

# A value substituted into a message: the same in both languages, or (Chinese, English).
Param = str | int | tuple[str, str]


@dataclass(frozen=True, slots=True)
class Problem:
    code: str  # stable: tests, the error workbook and the API use it
    field: str  # the field (form) or column key (import) the problem is about
    zh: str
    en: str

    def message(self, lang: str | None = None) -> str:
        lang = lang or translation.get_language() or "zh-hans"
        return self.en if lang.startswith("en") else self.zh


def make_problem(
    messages: Mapping[str, tuple[str, str]], code: str, field: str = "", **params: Param
) -> Problem:
    """A problem worded by ``messages[code]`` (a ``str.format`` template per language)."""
    zh, en = messages[code]
    zh_params = {k: v[0] if isinstance(v, tuple) else v for k, v in params.items()}
    en_params = {k: v[1] if isinstance(v, tuple) else v for k, v in params.items()}
    return Problem(code, field, zh.format(**zh_params), en.format(**en_params))


def raise_problems(problems: Sequence[Problem]) -> None:
    """Raise the problems (if any) as one ``ValidationError`` in the user's language, each with
    its code (a single problem keeps ``.code``, as callers of one check expect)."""
    if not problems:
        return
    errors = [ValidationError(p.message(), code=p.code) for p in problems]
    raise errors[0] if len(errors) == 1 else ValidationError(errors)
