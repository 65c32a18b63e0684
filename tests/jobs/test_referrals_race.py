"""Two outcomes of one referral at once (PostgreSQL): one hire, one status change, one vacancy
filled; the other writer is told the outcome is final."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from jiuye.jobs import postings
from jiuye.jobs.models import Hire, Posting
from jiuye.registry.models import StatusEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks: PostgreSQL")
def test_two_hires_racing(person_a: Any, posting: Any) -> None:
    assert connection.vendor == "postgresql"
    referral = postings.referral_create(
        actor=None, person=person_a, posting=posting, on=date(2026, 3, 10)
    )
    barrier = threading.Barrier(2)
    results: list[str] = []

    def hire() -> None:
        try:
            barrier.wait(10)
            postings.referral_outcome(
                actor=None,
                referral=referral,
                outcome="hired",
                on=date(2026, 3, 12),
                today=date(2026, 12, 4),
            )
            results.append("hired")
        except ValidationError as error:
            results.append(error.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hire) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 2 and results.count("hired") == 1, results
    assert Hire.objects.filter(referral=referral).count() == 1
    assert Posting.objects.get(pk=posting.pk).filled == 1
    assert StatusEvent.objects.filter(person=person_a, status="unit").count() == 1
