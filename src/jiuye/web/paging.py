"""A paginator that never counts past a cap: COUNT(*) over a million scoped rows is the slow part
of a list page, and nobody pages beyond a few thousand rows (they filter instead)."""

from __future__ import annotations

from typing import Any, cast

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """``count`` is exact up to ``cap``; beyond it the list says "more than cap" (``capped``)."""

    cap = 10_000

    @cached_property
    def _capped_count(self) -> tuple[int, bool]:
        # SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1): stops scanning at cap + 1 rows.
        counted = cast("QuerySet[Any]", self.object_list)[: self.cap + 1].count()
        return min(counted, self.cap), counted > self.cap

    @cached_property
    def count(self) -> int:
        return self._capped_count[0]

    @property
    def capped(self) -> bool:
        return self._capped_count[1]
