"""How the public documents write an evaluation: the JSON form of ``UnitEvaluation.as_json``
(the live one on a notice board, a step's frozen one in an acceptance report) as rows of text.

Both start from the JSON so that a report printed years later from a snapshot reads exactly like
the board did on the day: the indicator's kind (rate, count, days) is looked up by its id, and
guessed from the numbers for an indicator that no longer exists. Counts only: nothing here
reads who is behind a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from jiuye.standards.indicators import INDICATORS

OP_SIGNS = {">=": "≥", "<=": "≤", "=": "=", ">": ">", "<": "<"}


def percent(value: float | int) -> str:
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def kind_of(criterion: Mapping[str, Any]) -> str:
    info = INDICATORS.get(str(criterion.get("indicator", "")))
    if info is not None:
        return info.kind
    return "ratio" if criterion.get("denominator") is not None else "count"


def label_of(criterion: Mapping[str, Any]) -> str:
    info = INDICATORS.get(str(criterion.get("indicator", "")))
    return str(info.label) if info is not None else str(criterion.get("indicator", ""))


def number_text(value: float | int | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "ratio":
        return percent(value)
    if kind == "days":
        return _("%(n)s 天") % {"n": value}
    return str(value)


def result_text(criterion: Mapping[str, Any]) -> str:
    passed = criterion.get("passed")
    if passed is True:
        return _("达标")
    if passed is False:
        return _("未达标")
    return _("待定") if criterion.get("unavailable") else _("无法评估")


def criterion_rows(criteria: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each criterion of an evaluation's JSON as the text a public document shows."""
    rows = []
    for c in criteria:
        kind = kind_of(c)
        numerator, denominator = c.get("numerator"), c.get("denominator")
        rows.append(
            {
                "id": c.get("id", ""),
                "label": label_of(c),
                "text": c.get("text") or label_of(c),
                "threshold": f"{OP_SIGNS.get(c.get('op', ''), c.get('op', ''))} "
                f"{number_text(c.get('threshold'), kind)}",
                "value": number_text(c.get("value"), kind),
                "ratio": f"{numerator}/{denominator}" if denominator is not None else "",
                "passed": c.get("passed"),
                "result": result_text(c),
            }
        )
    return rows


def spaced_hash(digest: str, group: int = 8) -> str:
    """A hex digest in groups ("1a2b3c4d 5e6f…"): easier to compare by eye, and no long run of
    digits that a reader (or a check for ID numbers) could take for a number."""
    return " ".join(digest[i : i + group] for i in range(0, len(digest), group))
