"""Writers of different communities do not wait for one another (PostgreSQL): a service record
written while another community's writer is still inside its transaction goes through (a
shared lock would make it time out), the aggregates' state row is not locked by writers, and
afterwards the aggregates are fresh and equal to the records, the audit chains intact."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction

from jiuye.audit.services import verify_chain
from jiuye.casework import services as casework
from jiuye.standards import aggregates
from tests.conftest import transaction_held_open
from tests.standards.test_aggregates import assert_service_days_equal_records

pytestmark = pytest.mark.django_db(transaction=True)


def _training(person: Any, day: int) -> Any:
    return casework.service_record_create(
        actor=None,
        person=person,
        kind="training",
        training_mode="post",
        on=date(2026, 1, day),
        today=date(2026, 11, 22),
    )


def test_service_records_of_two_communities_do_not_wait_for_each_other(
    tree: dict[str, Any], person: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: SQLite has a single writer")
    in_a = person("a", statuses=((date(2020, 1, 1), "unemployed", True),))
    in_b = person("b", statuses=((date(2020, 1, 1), "unemployed", True),))
    _training(in_a, 1)  # the audit chains of both communities exist from here on
    _training(in_b, 1)
    with transaction_held_open(lambda: _training(in_a, 2)), transaction.atomic():
        with connection.cursor() as cursor:
            # The open writer holds no lock on the aggregates' state row...
            cursor.execute("SELECT id FROM standards_aggregatestate FOR UPDATE NOWAIT")
            # ...nor any lock this writer needs: it would wait, and time out.
            cursor.execute("SET LOCAL lock_timeout = '10s'")
        _training(in_b, 2)
    assert aggregates.aggregates_fresh(), aggregates.aggregates_freshness().reason
    assert_service_days_equal_records()
    assert verify_chain() == []
