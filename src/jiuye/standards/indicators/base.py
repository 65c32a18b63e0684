"""The indicator object and the fact sheet it is computed in.

An :class:`Indicator` holds everything about one indicator of DOMAIN §5: what it measures
(label, kind, how a failing criterion's gap is counted, its definition in words), its value for
every community under a root (:meth:`~Indicator.compute`: one or a few aggregated queries, never
one per community or per person), how a street's or district's value is formed from its
communities' (:meth:`~Indicator.rollup`), and the persons, households or records behind it
(:meth:`~Indicator.behind`, through the user's jurisdiction, failing closed: a
:class:`Listing` that the page counts and reads a page at a time, in the database). Each lives
in one module of this package (a tight family, such as the status-vector ones, shares a module
and the one query they are read from), so adding one touches one file and the rule set.

``kind``: ``ratio`` (numerator / denominator, no value when the denominator is 0), ``count``
(an integer), ``days`` (an integer number of days, a maximum over families).

``gap``: how a failing criterion's gap is counted; ``gap_label`` says it with the number
(``"%(n)s 人需实现就业"``, a plural form per language: :meth:`Indicator.gap_text`):

- ``convert``: members of the denominator change side (a person placed in a job, a family
  eliminated, a contact made): the denominator stays, the numerator moves by one per step;
- ``add``: new records are needed (satisfied surveys, three-mode trainings): each step adds one
  to both numerator and denominator;
- ``count``: the count itself must come down (or up) to the threshold;
- ``None``: no gap is counted (a number of days, or no data source).

Only records dated up to the date count, so a past date keeps its answer when later records
arrive.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, Literal, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse

from jiuye.accounts.models import User
from jiuye.lib.sql import Sql
from jiuye.standards.rules import Fact, Ratio, Unavailable
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit

Kind = Literal["ratio", "count", "days"]
GapMode = Literal["convert", "add", "count"]
T = TypeVar("T")

# The children counted by ``certified_children_share`` for each level.
CHILD_LEVELS = {
    Level.STREET: COMMUNITY_LEVELS,
    Level.TOWN: COMMUNITY_LEVELS,
    Level.DISTRICT: (Level.STREET, Level.TOWN),
    Level.CITY: (Level.DISTRICT,),
}


@dataclass(frozen=True, slots=True)
class Period:
    """The assessment period: from ``start`` up to and including ``end`` (the date)."""

    start: date
    end: date


def period_of(on: date, start: date | None = None) -> Period:
    """Default: the calendar year up to ``on``."""
    start = start or date(on.year, 1, 1)
    if start > on:
        raise ValueError("the period cannot start after the date")
    return Period(start, on)


def communities_under(root: Unit | None) -> QuerySet[Unit]:
    """The communities and villages under ``root`` (itself, if it is one; None: all)."""
    qs = Unit.objects.filter(level__in=COMMUNITY_LEVELS)
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    return qs


def values_sql(queryset: QuerySet[Any], *fields: str) -> Sql:
    """``SELECT field, …`` over a queryset, to use as ``IN (...)`` (one field) or as a derived
    table (no rows when it cannot match)."""
    try:
        sql, params = queryset.order_by().values(*fields).query.sql_with_params()
    except EmptyResultSet:
        if len(fields) == 1:
            return Sql("SELECT -1 WHERE 1 = 0")
        return Sql(f"SELECT {', '.join(f'NULL AS {f}' for f in fields)} WHERE 1 = 0")
    return Sql(sql, tuple(params))


def community_ids_under(root: Unit) -> list[int]:
    """The ids of :func:`communities_under` ``root``, read once per unit object (an
    evaluation's root, a request's unit)."""
    cached: list[int] | None = getattr(root, "_community_ids", None)
    if cached is None:
        cached = list(communities_under(root).order_by("pk").values_list("pk", flat=True))
        root._community_ids = cached  # type: ignore[attr-defined]
    return cached


def in_communities(column: str, root: Unit | None) -> Sql:
    """SQL: ``column`` (a community id) is one of the communities under ``root`` (always true
    without a root). The ids are written out: PostgreSQL then knows how many communities
    there are, and how many persons, where a sub-select left it guessing (a street's 39
    communities taken for 35 with 11,500 persons instead of 79,000: a nested loop of 79,000
    probes where a hash join takes a third of the time)."""
    if root is None:
        return Sql("1 = 1")
    ids = community_ids_under(root)
    if not ids:
        return Sql("1 = 0")
    return Sql(f"{column} IN ({', '.join(['%s'] * len(ids))})", tuple(ids))


# ---------------------------------------------------------------------------------------------
# What lies behind an indicator
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One person, household, record, unit or line of text behind an indicator."""

    kind: str  # person, household, record, unit, text
    name: str
    detail: str = ""
    url: str = ""
    community_id: int | None = None
    on: date | None = None


@dataclass(frozen=True)
class BehindQuery:
    """Whose list, for which unit and period (and rule set, for certified children)."""

    unit: Unit
    period: Period
    user: User
    ruleset: str = ""
    # Years whose holiday calendar a list needed and lacked: the rows that need it are left
    # out, and the list says so (issue 11, finding 8).
    missing_years: set[int] = field(default_factory=set)


class Listing(ABC):
    """What lies behind an indicator, as the database (or, for a short list, memory) holds it:
    counted, and read one page at a time. Only the rows of the page asked for are made into
    :class:`Row` s, so a list of a district's ten thousand unemployed costs a count and a page,
    not ten thousand objects."""

    @abstractmethod
    def count(self, cap: int | None = None) -> int:
        """How many rows. With ``cap``, counting stops past it: the answer is at most ``cap + 1``
        (more than ``cap``)."""

    @abstractmethod
    def rows(self, offset: int, limit: int) -> list[Row]:
        """At most ``limit`` rows from ``offset``, in the list's (stable) order."""

    def chunks(self, size: int = 500) -> Iterator[list[Row]]:
        """Every row, ``size`` at a time (for an export that streams)."""
        offset = 0
        while chunk := self.rows(offset, size):
            yield chunk
            offset += size


class QueryRows(Listing):
    """A listing read from an ordered queryset: the database counts and pages it (LIMIT /
    OFFSET); ``to_rows`` makes one page of its objects into rows (it may read what the page
    needs besides, in one query for the page)."""

    def __init__(self, queryset: QuerySet[Any], to_rows: Callable[[list[Any]], list[Row]]):
        if not queryset.ordered:
            raise ValueError("a listing's queryset needs an order to page by")
        self.queryset = queryset
        self.to_rows = to_rows

    def count(self, cap: int | None = None) -> int:
        if cap is None:
            return self.queryset.count()
        # SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1): stops at cap + 1 rows.
        return self.queryset.order_by()[: cap + 1].count()

    def rows(self, offset: int, limit: int) -> list[Row]:
        return self.to_rows(list(self.queryset[offset : offset + limit]))

    def chunks(self, size: int = 500) -> Iterator[list[Row]]:
        batch: list[Any] = []
        for item in self.queryset.iterator(chunk_size=size):
            batch.append(item)
            if len(batch) == size:
                yield self.to_rows(batch)
                batch = []
        if batch:
            yield self.to_rows(batch)


class KnownCount(Listing):
    """A listing whose count is known without counting its rows (the standards' aggregates
    count what a status indicator lists): the rows are still ``listing``'s, a page at a time."""

    def __init__(self, listing: Listing, total: int):
        self.listing = listing
        self.total = total

    def count(self, cap: int | None = None) -> int:
        return self.total if cap is None else min(self.total, cap + 1)

    def rows(self, offset: int, limit: int) -> list[Row]:
        return self.listing.rows(offset, limit)

    def chunks(self, size: int = 500) -> Iterator[list[Row]]:
        return self.listing.chunks(size)


class SqlRows(Listing):
    """A listing read from raw SQL (for a plan the ORM cannot state): ``select`` picks the
    rows (tuples), ``order`` (an ``ORDER BY`` list that ends in a unique column) pages them;
    the database counts and pages it, ``to_rows`` makes one page's tuples into rows."""

    def __init__(self, select: Sql, order: str, to_rows: Callable[[list[Any]], list[Row]]):
        self.select = select
        self.order = order
        self.to_rows = to_rows

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def count(self, cap: int | None = None) -> int:
        limit = "" if cap is None else f" LIMIT {int(cap) + 1}"
        sql = f"SELECT COUNT(*) FROM ({self.select.text}{limit}) listed"
        return int(self._fetch(sql, self.select.params)[0][0])

    def rows(self, offset: int, limit: int) -> list[Row]:
        sql = f"{self.select.text} ORDER BY {self.order} LIMIT %s OFFSET %s"
        return self.to_rows(self._fetch(sql, (*self.select.params, limit, offset)))


class ListRows(Listing, Generic[T]):
    """A listing of items held in memory: a short list (a few units or kinds, the zero
    families of a period), or the items another module computes as a list (casework's deadline
    items) until it can answer a query. ``items`` is called once, when the list is first read;
    ``to_rows`` makes the page's items into rows (default: they are rows already)."""

    def __init__(
        self,
        items: Sequence[T] | Callable[[], Sequence[T]],
        to_rows: Callable[[Sequence[T]], list[Row]] | None = None,
    ):
        self._items = items
        self._loaded: Sequence[T] | None = None if callable(items) else items
        self.to_rows = to_rows

    @property
    def items(self) -> Sequence[T]:
        if self._loaded is None:
            assert callable(self._items)
            self._loaded = self._items()
        return self._loaded

    def count(self, cap: int | None = None) -> int:
        n = len(self.items)
        return n if cap is None else min(n, cap + 1)

    def rows(self, offset: int, limit: int) -> list[Row]:
        page = self.items[offset : offset + limit]
        return self.to_rows(page) if self.to_rows is not None else list(page)  # type: ignore[arg-type]


NOTHING: Listing = ListRows(())


def person_url(pk: int) -> str:
    return reverse("casework:person", args=[pk])


def household_url(pk: int) -> str:
    return reverse("casework:household", args=[pk])


# ---------------------------------------------------------------------------------------------
# The fact sheet: every indicator asked for, for every community under a root
# ---------------------------------------------------------------------------------------------


@dataclass
class FactSheet:
    """Every indicator asked for, computed once for all communities under ``root``, and each
    unit's value rolled up on demand (:meth:`facts_for`). Without a root: every community of
    the database (a city's district roots in one sheet: their rare rows read once, not once
    per district).

    ``source``: ``aggregates`` (read the incremental aggregates) or ``direct`` (compute from
    the registry and casework); the two give the same numbers. Indicators of a family share a
    computation through :meth:`shared`."""

    root: Unit | None
    period: Period
    ruleset: str
    source: str
    units: dict[int, Unit]
    indicators: Mapping[str, Indicator] = field(default_factory=dict)  # the ones asked for
    # Per indicator: the per-community parts (see :meth:`Indicator.compute`), or None when it
    # cannot be computed (``unavailable``: it needs a year without a holiday calendar).
    parts: dict[str, Mapping[int, Any] | None] = field(default_factory=dict)
    unavailable: dict[str, Unavailable] = field(default_factory=dict)
    _shared: dict[str, Any] = field(default_factory=dict)
    # Indicators may be computed on two threads (``fact_sheet``): one computation per key.
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False, compare=False)
    _under: dict[int, list[int]] | None = None
    _children: dict[int, list[Unit]] | None = None

    @property
    def on(self) -> date:
        return self.period.end

    @property
    def wanted(self) -> frozenset[str]:
        return frozenset(self.indicators)

    @property
    def fresh(self) -> bool:
        """Read the aggregates (else compute from the registry)?"""
        return self.source == "aggregates"

    @property
    def path(self) -> str | None:
        return self.root.path if self.root is not None else None

    def shared(self, key: str, compute: Callable[[], T]) -> T:
        """A computation several indicators read (one query for a family), done once."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._shared:
                self._shared[key] = compute()
        return self._shared[key]  # type: ignore[no-any-return]

    def _index(self) -> None:
        """Communities under each unit and children of each unit, built once."""
        under: dict[int, list[int]] = defaultdict(list)
        children: dict[int, list[Unit]] = defaultdict(list)
        for unit in self.units.values():
            if unit.parent_id is not None:
                children[unit.parent_id].append(unit)
            if unit.level in COMMUNITY_LEVELS:
                current: Unit | None = unit
                while current is not None:
                    under[current.pk].append(unit.pk)
                    parent = current.parent_id
                    current = self.units.get(parent) if parent is not None else None
        self._under, self._children = under, children

    def communities_of(self, unit: Unit) -> list[int]:
        if self._under is None:
            self._index()
        assert self._under is not None
        return self._under.get(unit.pk, [])

    def children_of(self, unit: Unit) -> list[Unit]:
        if self._children is None:
            self._index()
        assert self._children is not None
        return self._children.get(unit.pk, [])

    def facts_for(self, unit: Unit, keys: Iterable[str] | None = None) -> dict[str, Fact]:
        """The unit's value of every indicator asked for (or of ``keys`` among them)."""
        members = self.communities_of(unit)
        wanted = self.indicators if keys is None else {k: self.indicators[k] for k in keys}
        return {key: indicator.value(unit, self, members) for key, indicator in wanted.items()}


# ---------------------------------------------------------------------------------------------
# The indicator
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Indicator:
    """One indicator of DOMAIN §5. Subclasses (or instances with their functions) compute it
    for every community under a root, roll it up and list what lies behind it."""

    id: str
    label: Any  # a lazy translation
    kind: Kind
    gap: GapMode | None
    gap_label: Any = ""  # a lazy ngettext of "%(n)s …", the number keyed "n"
    definition: Any = ""
    # False: no data source yet (the value is always None, "no data").
    has_data: bool = True

    def gap_text(self, gap: int | None) -> str:
        """The gap in words: 5 人需实现就业 (English: 5 more people must find work); empty when
        there is no gap."""
        if not gap:
            return ""
        if not self.gap_label:
            return str(gap)
        return str(self.gap_label % {"n": gap})

    # -- the value --------------------------------------------------------------------------

    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        """Per community under the sheet's root, this indicator's *part*: its value (a
        :data:`Fact`) unless :meth:`rollup` says otherwise. Communities left out have
        :meth:`empty`."""
        return {}

    def empty(self) -> Any:
        return Ratio(0, 0) if self.kind == "ratio" else 0

    def rollup(self, parts: Sequence[Any], unit: Unit, sheet: FactSheet) -> Fact:
        """A unit's value from its communities' parts: ratios add numerators and denominators,
        counts add, days take the maximum."""
        if self.kind == "ratio":
            return Ratio(sum(p.numerator for p in parts), sum(p.denominator for p in parts))
        if self.kind == "days":
            return max(parts, default=0)
        return sum(parts)

    def value(self, unit: Unit, sheet: FactSheet, members: Sequence[int] | None = None) -> Fact:
        """The unit's value (``members``: its communities, when the caller has them)."""
        parts = sheet.parts.get(self.id)
        if not self.has_data:
            return None
        if parts is None:
            return sheet.unavailable.get(self.id)
        if members is None:
            members = sheet.communities_of(unit)
        empty = self.empty()
        return self.rollup([parts.get(c, empty) for c in members], unit, sheet)

    # -- what lies behind it ----------------------------------------------------------------

    def behind(self, query: BehindQuery) -> Listing:
        """The persons, households, records or units behind the value (none by default), as a
        listing to count and page (never all of them in memory)."""
        return NOTHING


def count_by(pairs: Sequence[tuple[int, Any]]) -> dict[int, int]:
    """How many pairs per key (the first of each pair)."""
    counts: dict[int, int] = defaultdict(int)
    for key, _value in pairs:
        counts[key] += 1
    return dict(counts)
