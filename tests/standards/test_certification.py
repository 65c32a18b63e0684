"""Certification (DOMAIN §7) as ``certified_children_share`` reads it (HD-S1/HD-Q1): only the
certifications in force at the date count (certified on or before it, not revoked by then), the
same on the evaluation, the children listing of the unit page and ``jiuye evaluate``, and the
"behind" list. (Certifications are made by the workflow's acceptance: tests/certification.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiuye.standards import services as std
from jiuye.standards.behind import behind
from jiuye.standards.evaluation import certifications_in_force, children_certifications
from jiuye.standards.indicators import period_of
from jiuye.standards.rulesets import ruleset_get
from tests.standards.conftest import criterion

D = date
ON = D(2026, 5, 12)
DAY = timedelta(days=1)

# (certified_on, revoked_on) relative to the date ON → in force at ON?
IN_FORCE = {
    "certified on D": (ON, None, True),
    "certified the day before D": (ON - DAY, None, True),
    "certified the day after D": (ON + DAY, None, False),
    "revoked on D": (ON - 30 * DAY, ON, False),
    "revoked the day after D": (ON - 30 * DAY, ON + DAY, True),
    "revoked the day before D": (ON - 30 * DAY, ON - DAY, False),
    "certified and revoked on D": (ON, ON, False),
}


@pytest.mark.parametrize(("certified_on", "revoked_on", "counts"), IN_FORCE.values(), ids=IN_FORCE)
def test_certified_share_counts_certifications_in_force(
    tree: dict[str, Any],
    personas: dict[str, Any],
    evaluate: Callable[..., Any],
    certified_on: date,
    revoked_on: date | None,
    counts: bool,
) -> None:
    hd = ruleset_get("HD-2012")
    cert = std.certification_create(
        actor=None,
        unit=tree["a"],
        ruleset=hd,
        level="community",
        year=certified_on.year,
        certified_on=certified_on,
    )
    if revoked_on is not None:
        std.certification_revoke(actor=None, certification=cert, revoked_on=revoked_on)
    # Street S1 has communities A and B.
    s1 = criterion(evaluate("s1", "HD-2012", ON), "HD-S1")
    assert (s1.numerator, s1.denominator) == (int(counts), 2)
    # The listing beside it agrees.
    listed = dict(children_certifications(unit=tree["s1"], ruleset="HD-2012", on=ON))
    assert (listed[tree["a"]] is not None) is counts and listed[tree["b"]] is None
    assert (
        tree["a"].pk in certifications_in_force(ruleset="HD-2012", on=ON, unit_ids=[tree["a"].pk])
    ) is counts
    # And the "behind" list names exactly the children not certified at the date.
    rows = behind(
        indicator="certified_children_share",
        unit=tree["s1"],
        period=period_of(ON),
        user=personas["district"],
        ruleset="HD-2012",
    ).rows
    assert {r.name for r in rows} == ({"复兴社区"} if counts else {"翠微社区", "复兴社区"})


def test_certified_share_ignores_other_rule_sets_and_reads_the_district_level(
    tree: dict[str, Any], evaluate: Callable[..., Any]
) -> None:
    std.certification_create(
        actor=None,
        unit=tree["a"],
        ruleset=ruleset_get("CQ-2007"),
        level="community",
        year=2026,
        certified_on=D(2026, 1, 5),
    )
    assert criterion(evaluate("s1", "HD-2012", ON), "HD-S1").numerator == 0
    # A district counts its streets, not the communities below them.
    std.certification_create(
        actor=None,
        unit=tree["a"],
        ruleset=ruleset_get("HD-2012"),
        level="community",
        year=2026,
        certified_on=D(2026, 1, 5),
    )
    q1 = criterion(evaluate("district", "HD-2012", ON), "HD-Q1")
    assert (q1.numerator, q1.denominator) == (0, 2)


def test_behind_names_a_revoked_title(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    cert = std.certification_create(
        actor=None,
        unit=tree["a"],
        ruleset=ruleset_get("HD-2012"),
        level="community",
        year=2025,
        certified_on=D(2025, 12, 31),
    )
    std.certification_revoke(actor=None, certification=cert, revoked_on=D(2026, 2, 27))
    rows = behind(
        indicator="certified_children_share",
        unit=tree["s1"],
        period=period_of(ON),
        user=personas["district"],
        ruleset="HD-2012",
    ).rows
    by_name = {r.name: r for r in rows}
    assert "2026-02-27" in by_name["翠微社区"].detail and by_name["翠微社区"].on == D(2026, 2, 27)
    assert by_name["复兴社区"].detail == "未认定"


# ---- showing them ----------------------------------------------------------------------------


def _client(user: Any) -> Client:
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password_changed_at"])
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_unit_page_and_evaluate_show_which_children_are_certified(
    tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    std.certification_create(
        actor=None,
        unit=tree["a"],
        ruleset=ruleset_get("HD-2012"),
        level="community",
        year=2025,
        certified_on=D(2025, 12, 31),
    )
    url = reverse("standards:unit", args=["110108001"]) + "?ruleset=HD-2012&date=2026-05-12"
    page = _client(personas["street"]).get(url).content.decode()
    assert 'id="children-certified"' in page and "已认定 1 / 2" in page
    row_a = page[page.index('data-unit="110108001001"') :]
    row_a = row_a[: row_a.index("</tr>")]
    assert 'data-certified="true"' in row_a and "2025-12-31" in row_a
    row_b = page[page.index('data-unit="110108001002"') :]
    assert 'data-certified="false"' in row_b[: row_b.index("</tr>")]
    # The community's own page says it is certified, and since when.
    own = (
        _client(personas["worker_a"])
        .get(reverse("standards:unit", args=["110108001001"]) + "?ruleset=HD-2012&date=2026-05-12")
        .content.decode()
    )
    assert 'id="certified" data-certified="true"' in own
    # Before the certification date, nothing is certified yet.
    earlier = _client(personas["street"]).get(url.replace("2026-05-12", "2025-12-30"))
    assert "已认定 0 / 2" in earlier.content.decode()

    out = StringIO()
    call_command(
        "evaluate", "110108001", "--ruleset", "HD-2012", "--date", "2026-05-12", stdout=out
    )
    text = out.getvalue()
    assert "已认定 1 / 2" in text
    assert "✓ 翠微社区（110108001001） 充分就业社区（村），2025-12-31 认定" in text
    assert "✗ 复兴社区（110108001002） 未认定" in text
