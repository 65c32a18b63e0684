"""The deadline rules' SQL on one server and on Citus (rendered, not run: the Citus cluster's
own runs are ``make test-citus``). On one server the statements are as measured: they name no
district and read the registrations once; on Citus each join and correlated read of a
person's rows names the district, so that it runs on the district's shard."""

from __future__ import annotations

import re
from datetime import date
from unittest import mock

from django.test import override_settings

from jiuye.casework.deadlines import queries, store
from jiuye.casework.deadlines.items import CalendarGaps
from jiuye.casework.models import DeadlineItem
from jiuye.registry.models import Household, Person

ON = date(2025, 6, 10)


def _scope(**extra: object) -> queries.Scope:
    return queries.Scope(
        persons=Person.objects.filter(community_id__in=[3, 4]),
        households=Household.objects.filter(community_id__in=[3, 4]),
        on=ON,
        period_start=date(2025, 1, 1),
        soon_until=date(2025, 6, 20),
        gaps=CalendarGaps(),
        **extra,  # type: ignore[arg-type]
    )


def _statements() -> list[str]:
    scope = _scope()
    stored = _scope(stored=DeadlineItem.objects.filter(as_of=ON, community_id__in=[3]))
    return [
        queries.rules_sql(scope, list(queries.RULE_SQL)).text,
        queries.items_sql(stored).text,
        *(queries.rules_sql(scope, [rule]).text for rule in queries.RULE_SQL),
    ]


@override_settings(JIUYE_CITUS=False)
def test_one_server_sql_names_no_district() -> None:
    for text in _statements():
        assert "district_id" not in text
        assert "NOT MATERIALIZED" not in text
    assert "WITH spells AS MATERIALIZED (" in _statements()[0]


@override_settings(JIUYE_CITUS=True)
def test_on_citus_every_read_of_a_persons_rows_names_the_district() -> None:
    text = _statements()[0]
    # The registrations are inlined into each rule that reads them (a CTE materialized on the
    # coordinator could not be joined there with the shards' services).
    assert "WITH spells AS NOT MATERIALIZED (" in text
    # Every correlated read of services and every join with the persons equates the districts.
    correlated = re.findall(r"s\.person_id = (\w+)\.person_id( AND s\.district_id = \1\.)?", text)
    assert correlated and all(district for _, district in correlated)
    joins = re.findall(r"registry_person\.id = (\w+)\.person_id( AND)?", text)
    # (but AS-1's assistance cases, c: a table of the coordinator, without a district)
    assert {alias for alias, district in joins if not district} == {"c"}
    assert {alias for alias, district in joins if district} == {"e", "sp", "r"}
    # The windows and groupings of the registrations lead with the district.
    assert "PARTITION BY ev.district_id, ev.person_id" in text
    assert "GROUP BY district_id, person_id, spell" in text
    # The tables of the coordinator (assistance steps) are read grouped, not correlated.
    assert "WHERE st.case_id = c.id" not in text


@override_settings(JIUYE_CITUS=True)
def test_on_citus_rows_joined_on_the_coordinator_are_the_scopes() -> None:
    """The stored items' names and the built items' households join the rows they name, not
    the province's persons and households whole (Citus would send every row to join them)."""
    stored = queries.items_sql(_scope(stored=DeadlineItem.objects.filter(as_of=ON))).text
    assert "LEFT JOIN registry_person sp" not in stored
    assert "LEFT JOIN registry_household sh" not in stored
    assert "(SELECT id, name FROM registry_person WHERE id IN (SELECT" in stored
    seen: list[str] = []

    class Cursor:
        rowcount = 0

        def __enter__(self) -> Cursor:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def execute(self, sql: str, params: object = ()) -> None:
            seen.append(sql)

    with mock.patch.object(store.connection, "cursor", Cursor):
        store._insert(_scope())
    assert "LEFT JOIN registry_person sp" not in seen[0]
    assert "(SELECT id, household_id FROM registry_person WHERE" in seen[0]
