"""An import's new ids: distinct, fresh, and (below the first-load size, PostgreSQL) drawn
without locking the table, so a worker recording a service elsewhere does not wait for the
import's commit."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction
from tests.conftest import make_id, transaction_held_open

from jiuye.casework import services as casework
from jiuye.casework.models import ServiceRecord
from jiuye.ledger.load import reserve_ids


@pytest.mark.django_db
def test_reserved_ids_are_fresh_and_distinct() -> None:
    from django.db.models import Max

    top = ServiceRecord.objects.aggregate(m=Max("pk"))["m"] or 0
    first = reserve_ids(ServiceRecord, 5)
    assert len(set(first)) == 5 and min(first) > top
    assert reserve_ids(ServiceRecord, 0) == []
    if connection.vendor == "postgresql":  # drawn from the sequence: never handed out twice
        second = reserve_ids(ServiceRecord, 3)
        assert len(set(second)) == 3 and min(second) > max(first)


@pytest.mark.django_db(transaction=True)
def test_a_small_import_does_not_lock_the_table_for_other_writers(tree: dict[str, Any]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: SQLite has a single writer")
    from jiuye.registry import services

    home = services.household_create(actor=None, number="R1", unit=tree["b"], hukou_type="urban")
    someone = services.person_create(
        actor=None, id_number=make_id(date(1980, 1, 1)), name="测试", household=home
    )
    ids: list[int] = []

    def reserve() -> None:
        ids.extend(reserve_ids(ServiceRecord, 10))

    with transaction_held_open(reserve), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '10s'")
        record = casework.service_record_create(
            actor=None, person=someone, kind="guidance", on=date(2026, 1, 5)
        )
    assert record.pk not in ids and len(set(ids)) == 10
