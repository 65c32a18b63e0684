"""The worklist's "status not recorded" count per community (DOMAIN §3 data quality), read from
the community timelines when they are fresh (``standards.selectors.status_not_recorded_counts``,
the source casework asks first), gives the numbers of casework's query for every unit, user and
date it answers for; it declines (the query answers) when the aggregates are stale, for a grid,
or for a user who does not see the whole unit; the street's worklist page shows the same either
way and, fresh, runs no query over the persons."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiuye.casework import selectors as casework
from jiuye.standards import aggregates
from jiuye.standards import selectors as standards
from jiuye.units.scope import SYSTEM
from tests.standards.test_aggregates import status_not_recorded_edges

D = date
ON = D(2026, 1, 1)


@pytest.fixture
def edges(tree: dict[str, Any], person: Any) -> list[date]:
    """Persons on the edges of the rule in every community, and some with a status; returns
    days around the edges."""
    checks = status_not_recorded_edges(person)
    person("b", birth=D(1970, 1, 1), statuses=((D(2010, 1, 1), "unit"),))
    person("c", birth=D(2001, 4, 4), statuses=((D(2019, 9, 1), "student"),))
    person("a2", birth=D(1999, 2, 2))
    return sorted({day for _hid, day, _value in checks} | {ON, D(2018, 1, 1)})


def test_counts_from_the_aggregates_equal_the_query(
    tree: dict[str, Any], personas: dict[str, Any], edges: list[date]
) -> None:
    assert aggregates.aggregates_fresh()
    units = [tree[key] for key in ("district", "s1", "s2", "a", "b", "c", "a1")]
    # Every unit on every day around the edges (the whole district's reader).
    nonzero = 0
    for on in edges:
        for unit in units[:-1]:
            fast = standards.status_not_recorded_counts(unit=unit, on=on, user=SYSTEM)
            assert fast == casework.status_not_recorded_counted(unit=unit, on=on, user=SYSTEM)
            nonzero += bool(fast)
    assert nonzero  # not vacuous
    # Every reader and unit on a day: whoever sees a unit whole is answered from the
    # aggregates, nobody else; casework's count is the query's either way.
    answered = set()
    for user in [SYSTEM, None, *personas.values()]:
        for unit in units:
            fast = standards.status_not_recorded_counts(unit=unit, on=ON, user=user)
            slow = casework.status_not_recorded_counted(unit=unit, on=ON, user=user)
            if fast is not None:
                assert fast == slow, (user, unit)
                answered.add((getattr(user, "username", user), unit.code))
            assert casework.status_not_recorded_counts(unit=unit, on=ON, user=user) == slow
    assert ("street_s1", tree["s1"].code) in answered
    assert ("district", tree["district"].code) in answered
    assert ("district", tree["s2"].code) in answered
    assert ("worker_a", tree["a"].code) in answered
    assert (SYSTEM, tree["district"].code) in answered
    for refused in (
        ("street_s1", tree["s2"].code),  # not theirs
        ("grid_a1", tree["a"].code),  # a grid's coordinator sees part of the community
        ("auditor", tree["district"].code),  # no data role
        ("district", tree["a1"].code),  # a grid is no sum of communities
        (None, tree["district"].code),
    ):
        assert refused not in answered


def test_stale_aggregates_leave_the_count_to_the_query(
    tree: dict[str, Any], edges: list[date]
) -> None:
    expected = casework.status_not_recorded_counted(unit=tree["district"], on=ON, user=SYSTEM)
    assert expected
    aggregates.aggregates_invalidate()
    assert standards.status_not_recorded_counts(unit=tree["district"], on=ON, user=SYSTEM) is None
    assert casework.status_not_recorded_counts(unit=tree["district"], on=ON, user=SYSTEM) == (
        expected
    )


def _section(client: Client, on: date) -> str:
    html = client.get(reverse("casework:worklist"), {"date": on.isoformat()}).content.decode()
    start = html.index('id="status-not-recorded"')
    return html[start : html.index("</section>", start)]


def test_the_street_worklist_reads_the_aggregates(
    tree: dict[str, Any],
    personas: dict[str, Any],
    edges: list[date],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = Client()
    client.force_login(personas["street"])
    days = [ON, D(2018, 1, 1), ON + timedelta(days=4000)]
    expected = {on: _section(client, on) for on in days}  # fresh

    def counted(**kwargs: Any) -> Any:
        raise AssertionError("counted over the persons though the aggregates are fresh")

    with monkeypatch.context() as patch:
        patch.setattr(casework, "status_not_recorded_counted", counted)
        for on in days:
            assert _section(client, on) == expected[on]
    assert f'data-unit="{tree["a"].code}"' in expected[ON]
    aggregates.aggregates_invalidate()  # the query answers: the same page
    for on in days:
        assert _section(client, on) == expected[on]
