"""Reading the rows already in the database by key, and the layout of a person row.

A person is held as a row in the registry's bulk-load column order (``registry.columns.
PERSON_FIELDS``), whether it comes from the registry or from the file; :data:`P` gives each
column's index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model

from jiuye.registry.columns import PERSON_FIELDS

P = {name: i for i, name in enumerate(PERSON_FIELDS)}
CHUNK = 900  # keys per IN (...) on SQLite


def table_empty(model: type[Model]) -> bool:
    return not model._default_manager.exists()


def fetch_by(model: type[Model], key: str, keys: Iterable[Any], fields: Sequence[str]) -> list[Any]:
    """Rows of ``model`` whose ``key`` is one of ``keys``, as tuples of ``fields`` (one query
    per chunk; PostgreSQL takes the keys as one array)."""
    keys = list(keys)
    if not keys:
        return []
    qs = model._default_manager.order_by()
    out: list[Any] = []
    size = 100_000 if connection.vendor == "postgresql" else CHUNK
    for start in range(0, len(keys), size):
        out.extend(qs.filter(**{f"{key}__in": keys[start : start + size]}).values_list(*fields))
    return out
