"""The standards' text in both languages: gap labels with English plurals, enumerations joined
with 、 in Chinese and ", " in English, and the "behind" details built from placeholders (none
assembled in f-strings, which makemessages cannot extract)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

import jiuye
from jiuye.lib.text import join_list, list_separator
from jiuye.standards.indicators import INDICATORS, indicator

D = date
SOURCES = Path(jiuye.__file__).parent


@pytest.mark.parametrize(
    ("language", "gap", "text"),
    [
        ("zh-hans", 1, "1 人需实现就业"),
        ("zh-hans", 5, "5 人需实现就业"),
        ("en", 1, "1 more person must find work"),
        ("en", 5, "5 more people must find work"),
        ("en", 0, ""),
        ("en", None, ""),
    ],
)
def test_gap_text_plural(language: str, gap: int | None, text: str) -> None:
    with translation.override(language):
        assert indicator("employment_rate").gap_text(gap) == text


def test_every_gap_label_has_english_singular_and_plural() -> None:
    with translation.override("en"):
        for info in INDICATORS.values():
            if not info.gap_label:
                continue
            one, many = info.gap_text(1), info.gap_text(3)
            assert one.startswith("1 ") and many.startswith("3 "), info.id
            assert one[2:] != many[2:], info.id  # a singular and a plural form
            assert not re.search(r"[\u4e00-\u9fff]", one + many), info.id


@pytest.mark.parametrize(
    ("language", "separator", "joined", "clauses"),
    [
        ("zh-hans", "、", "甲、乙、丙", "甲；乙；丙"),
        ("en", ", ", "甲, 乙, 丙", "甲; 乙; 丙"),
    ],
)
def test_join_list_by_language(language: str, separator: str, joined: str, clauses: str) -> None:
    with translation.override(language):
        assert list_separator() == separator
        assert join_list(["甲", "乙", "丙"]) == joined
        assert join_list(["甲", "乙", "丙"], clauses=True) == clauses
        assert join_list([]) == ""


def test_no_translation_inside_an_f_string() -> None:
    """``f"{_('出现')}"`` cannot be extracted by makemessages: none in standards (or CQ-5)."""
    files = [
        *(SOURCES / "standards").rglob("*.py"),
        *(SOURCES / "casework").rglob("deadlines*/*.py"),
    ]
    offending = [
        f"{path.name}:{n}"
        for path in files
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"""f["'].*\{_\(""", line)
    ]
    assert offending == []


def test_behind_details_in_english(
    person: Callable[..., Any], tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    from jiuye.standards.behind import behind
    from jiuye.standards.indicators import period_of

    # A zero family that emerged on 2026-05-11 (its only member lost their job).
    person("a1", statuses=((D(2020, 1, 1), "unit"), (D(2026, 5, 11), "unemployed", True)))
    on = D(2026, 5, 12)
    with translation.override("en"):
        rows = behind(
            indicator="zero_families",
            unit=tree["a"],
            period=period_of(on),
            user=personas["district"],
        ).rows
        assert [r.detail for r in rows] == ["emerged on 2026-05-11, 1 day so far"]
        ledger = behind(
            indicator="ledger_completeness",
            unit=tree["a"],
            period=period_of(on),
            user=personas["district"],
        ).rows
        [row] = ledger
        assert row.detail.startswith("Missing: ") and ", " in row.detail
        assert "、" not in row.detail
    with translation.override("zh-hans"):
        rows = behind(
            indicator="zero_families",
            unit=tree["a"],
            period=period_of(on),
            user=personas["district"],
        ).rows
        assert [r.detail for r in rows] == ["2026-05-11 出现，已 1 天"]


def test_unit_page_in_english(
    person: Callable[..., Any], tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    # Community A fails HD-C1 (1 of 2 employed) and HD-C2b (a zero family).
    person("a1", statuses=((D(2020, 1, 1), "unit"),))
    person("a1", statuses=((D(2020, 1, 1), "unemployed", True),))
    user = personas["street"]
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password_changed_at"])
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = "en"
    url = reverse("standards:unit", args=["110108001"]) + "?ruleset=HD-2012&date=2026-05-12"
    with translation.override("en"):  # restores the language the middleware activates
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page[page.index('data-unit="110108001001"') :]
    row = row[: row.index("</tr>")]
    assert "HD-C1, HD-C2b" in row and "、" not in row
    assert "Not certified" in row and "Certified: 0 / 2" in page
    assert "1 more person must find work" in page  # the street's HD-S2a gap
