"""``assistance_services_missing`` (QG item 8: 少开展一项服务扣2分): how many of the four
re-employment assistance services (guidance, referral, training, assistance) have no record in
the period in the unit: per community, the kinds recorded there (a few queries, one way or the
other per kind: :func:`service_kinds`); a street's or district's value counts the kinds none of
its communities recorded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from jiuye.casework.models import ServiceKind, ServiceRecord
from jiuye.lib.sql import by_person, sql_list, subquery
from jiuye.registry.models import Person
from jiuye.standards.indicators.base import (
    BehindQuery,
    FactSheet,
    Indicator,
    Listing,
    ListRows,
    Period,
    Row,
    communities_under,
)
from jiuye.standards.rules import Fact
from jiuye.units.models import Unit
from jiuye.units.sharding import carried, citus, rows_of

_PERSON = Person._meta.db_table
_RECORD = ServiceRecord._meta.db_table
_UNIT = Unit._meta.db_table

ASSISTANCE_KINDS = (
    ServiceKind.GUIDANCE,
    ServiceKind.REFERRAL,
    ServiceKind.TRAINING,
    ServiceKind.ASSISTANCE,
)


# Up to this many records of a kind in the period per community under the root, the kind's
# records are read (one person looked up each); above it, each community's persons are probed
# until one has such a record. The probes stop at about (persons / records) of the community,
# so the two cost the same near √(persons of a community) records: about 45 for 2,000.
FEW = 40


def service_kinds(*, period: Period, root: Unit | None) -> dict[int, frozenset[str]]:
    """Per community under ``root``: which of the four assistance services were recorded in
    the period.

    Per kind, whichever way is cheap for it, chosen by counting its records of the period (an
    index range, stopped past ``FEW`` per community): a kind with few records (就业援助, say) is
    read from them, each record's person looked up for their community; a kind with many
    (职业介绍) is probed per community, whose persons are tried until one has a record, a few
    persons in. Either way alone is slow on the other's kinds: a rare kind makes every
    community try all its persons, a common one makes the reading look up every person
    served."""
    units = communities_under(root)
    cap = FEW * units.count()
    in_period = Q(on__gte=period.start, on__lte=period.end)
    few = [
        kind
        for kind in ASSISTANCE_KINDS
        if ServiceRecord.objects.filter(in_period, kind=kind).order_by()[: cap + 1].count() <= cap
    ]
    if citus():
        # Every kind read: a probe correlates the unit tree (a reference table) with the
        # shards, which Citus does not run; the read goes to each shard in parallel instead.
        few = list(ASSISTANCE_KINDS)
    many = [kind for kind in ASSISTANCE_KINDS if kind not in few]
    kinds: dict[int, set[str]] = defaultdict(set)
    for community, kind in _read(few, period, units) + _probe(many, period, units):
        kinds[community].add(kind)
    return {k: frozenset(v) for k, v in kinds.items()}


def _read(kinds: Sequence[str], period: Period, units: QuerySet[Unit]) -> list[tuple[int, str]]:
    """The (community, kind) pairs of the records of ``kinds`` in the period."""
    if not kinds:
        return []
    within, on = subquery(units), connection.ops.quote_name("on")
    # PostgreSQL would rather hash every person than look up the few served (it misjudges how
    # many persons the communities hold): the fenced lateral lookup keeps it to them.
    if connection.vendor == "postgresql" and not citus():
        person = (
            f"CROSS JOIN LATERAL (SELECT p.community_id FROM {_PERSON} p "
            "WHERE p.id = s.person_id OFFSET 0) p"
        )
    else:
        person = f"JOIN {_PERSON} p ON {rows_of('s', 'person_id', 'p')}"
    records = (
        f"SELECT s.person_id{carried('s')}, s.kind FROM {_RECORD} s "
        f"WHERE s.kind IN ({sql_list(kinds)}) AND s.{on} >= %s AND s.{on} <= %s "
        f"{by_person('s.person_id')}"
    )
    sql = f"""
    SELECT DISTINCT p.community_id, s.kind FROM ({records}) s {person}
    WHERE p.community_id IN ({within.text})"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [period.start, period.end, *within.params])
        return [(community, kind) for community, kind in cursor.fetchall()]


def _probe(kinds: Sequence[str], period: Period, units: QuerySet[Unit]) -> list[tuple[int, str]]:
    """The (community, kind) pairs for ``kinds``: per community and kind, its persons tried
    until one has a record in the period. A scalar subquery with LIMIT 1, not EXISTS: PostgreSQL
    makes an EXISTS a join over every person and record instead."""
    found: list[tuple[int, str]] = []
    within, on = subquery(units), connection.ops.quote_name("on")
    for kind in kinds:
        sql = f"""
        SELECT c.id FROM {_UNIT} c
        WHERE c.id IN ({within.text}) AND (
            SELECT 1 FROM {_PERSON} p JOIN {_RECORD} s ON s.person_id = p.id
            WHERE p.community_id = c.id AND s.kind = %s AND s.{on} >= %s AND s.{on} <= %s
            LIMIT 1
        ) IS NOT NULL"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [*within.params, kind, period.start, period.end])
            found += [(community, str(kind)) for (community,) in cursor.fetchall()]
    return found


@dataclass(frozen=True, kw_only=True)
class AssistanceServicesMissing(Indicator):
    """Its part per community is the set of kinds recorded there."""

    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        return service_kinds(period=sheet.period, root=sheet.root)

    def empty(self) -> Any:
        return frozenset()

    def rollup(self, parts: Sequence[Any], unit: Unit, sheet: FactSheet) -> Fact:
        present: set[str] = set().union(*parts)
        return len([k for k in ASSISTANCE_KINDS if k not in present])

    def behind(self, query: BehindQuery) -> Listing:
        """The kinds (at most four) with no record in the period."""

        def missing() -> list[Row]:
            present: set[str] = set()
            for kinds in service_kinds(period=query.period, root=query.unit).values():
                present |= kinds
            return [
                Row("text", str(ServiceKind(k).label), _("评估期内没有记录"))
                for k in ASSISTANCE_KINDS
                if k not in present
            ]

        return ListRows(missing)


assistance_services_missing = AssistanceServicesMissing(
    id="assistance_services_missing",
    label=gettext_lazy("未开展的援助服务项数"),
    kind="count",
    gap="count",
    gap_label=ngettext_lazy("%(n)s 项服务需开展", "%(n)s 项服务需开展", "n"),
    definition=gettext_lazy(
        "职业指导、职业介绍、职业培训、就业援助四项中评估期内没有任何记录的项数"
    ),
)

INDICATORS = (assistance_services_missing,)
