"""``local_time``: every point in time on a page, in Asia/Shanghai, to the minute, Chinese or
English (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from jiuye.web.templatetags.times import local_time

MOMENT = datetime(2026, 12, 3, 13, 19, 42, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "shown"), [("zh-hans", "2026年12月3日 21:19"), ("en", "2026-12-03 21:19")]
)
def test_local_time_by_language(language: str, shown: str) -> None:
    with translation.override(language):
        assert local_time(MOMENT) == shown
        # A time kept as ISO text (a checklist tick's) reads the same.
        assert local_time("2026-12-03T13:19+00:00") == shown
        assert (
            Template("{% load times %}{{ t|local_time }}").render(Context({"t": MOMENT})) == shown
        )


def test_local_time_edges() -> None:
    with translation.override("zh-hans"):
        assert local_time(None) == "" and local_time("") == ""
        assert local_time("not a time") == "not a time"
        assert (
            local_time(datetime(2026, 1, 5, 8, 7)) == "2026年1月5日 08:07"
        )  # naive: local already
        assert local_time(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == "2027年1月1日 00:30"
