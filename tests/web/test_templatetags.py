"""Template filters and the capped paginator."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.template import Context, Template
from django.utils import translation

from jiuye.web.paging import CappedPaginator
from jiuye.web.templatetags.jiuye import age_on, category_label, mask_id, mask_phone, status_label
from tests.conftest import make_id
from tests.web.conftest import make_phone


def test_masking_filters() -> None:
    number = make_id(date(1980, 5, 6))
    assert mask_id(number) == number[:2] + "*" * 16  # province only (issue 11, finding 1)
    phone = make_phone(42)
    assert mask_phone(phone) == phone[:3] + "****" + phone[-4:]
    assert mask_id(None) == "" and mask_phone("") == ""


def test_labels() -> None:
    with translation.override("zh-hans"):
        assert status_label("unemployed") == "失业"
        assert category_label("4050") == "4050人员"
    with translation.override("en"):
        assert status_label("public_post") == "Public-welfare post"
    assert status_label("") == "—" and status_label("nonsense") == "nonsense"


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(1980, 5, 6), date(2026, 5, 5), 45),
        (date(1980, 5, 6), date(2026, 5, 6), 46),
        (date(2000, 2, 29), date(2001, 2, 28), 1),  # the last day of February in common years
        (date(2000, 2, 29), date(2001, 2, 27), 0),
    ],
)
def test_age_on(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


def test_filters_in_a_template() -> None:
    number = make_id(date(1990, 1, 1))
    html = Template("{% load jiuye %}{{ n|mask_id }} {{ b|age_on:on }}").render(
        Context({"n": number, "b": date(1990, 1, 1), "on": date(2026, 1, 1)})
    )
    assert html == f"{number[:2]}{'*' * 16} 36"


def test_capped_paginator(tree: dict[str, Any]) -> None:
    from jiuye.units.models import Unit

    units = Unit.objects.order_by("pk")  # 8 units in the tree
    exact = CappedPaginator(units, 3)
    assert (exact.count, exact.capped, exact.num_pages) == (8, False, 3)

    class Small(CappedPaginator):
        cap = 5

    capped = Small(units, 3)
    assert (capped.count, capped.capped, capped.num_pages) == (5, True, 2)
    assert len(capped.get_page(2).object_list) == 2


def test_audit_table_is_append_only_again(tree: dict[str, Any]) -> None:
    """The browser test switches the audit triggers off for its flush; they are back after."""
    from jiuye.audit.models import AuditEntry

    entry = AuditEntry.objects.first()
    assert entry is not None
    table = AuditEntry._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [entry.pk])
