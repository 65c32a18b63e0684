"""The indicators over registered unemployed persons (登记失业), each one aggregated query for
every community under the root, counted for the person's community:

- ``visit_rate`` (QG-6): persons registered unemployed at the date (their status event in force
  is a registration) with a visit (走访) in the period / those persons;
- ``referral_twice_rate`` (QG-3): of them, those in the labor force with at least
  ``REFERRALS_NEEDED`` referrals (职业介绍) in the period / those in the labor force;
- ``registered_unemployed_employment_rate`` (QG-3): persons registered unemployed on any day of
  the period, employed (in the labor force) at the date / those persons.

The first two are counted over casework's QG-6 visit and QG-3 items (one statement of each rule,
stored for today), and the persons behind them are those items not met.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from jiuye.casework import deadlines
from jiuye.lib.sql import Sql, by_person
from jiuye.registry import definitions
from jiuye.registry.models import StatusEvent
from jiuye.standards.indicators import lists
from jiuye.standards.indicators.base import (
    BehindQuery,
    FactSheet,
    Indicator,
    Listing,
    Period,
    in_communities,
    values_sql,
)
from jiuye.standards.indicators.worklist import ItemRows
from jiuye.standards.rules import Ratio
from jiuye.units.models import Unit
from jiuye.units.sharding import by_district, carried, citus, same_district


def registrations_during(period: Period) -> QuerySet[StatusEvent]:
    """The registrations (registered-unemployed status events) in force on some day of the
    period: begun by its last day, not ended by its first."""
    return StatusEvent.objects.filter(
        definitions.registered_q(), definitions.in_force_during_q(period.start, period.end)
    )


def registered_now_counts(*, period: Period, root: Unit | None) -> dict[int, tuple[int, ...]]:
    """Per community: (registered at the date, of them visited in the period, in the labor
    force, of those referred at least ``REFERRALS_NEEDED`` times in the period): casework's
    QG-6 visit items (one per person registered at the date, done by a visit in the period) and
    QG-3 items (those in the labor force, with their referrals so far), stored for today, in
    one grouped query."""
    scope = deadlines.system_scope(root, period.end, period_start=period.start)
    items = deadlines.queries.items_sql(scope, ["QG-6-visit", "QG-3"])
    visit, referral = "rule_id = 'QG-6-visit'", "rule_id = 'QG-3'"
    query = Sql(
        f"SELECT community_id, SUM(CASE WHEN {visit} THEN 1 ELSE 0 END) AS registered, "
        f"SUM(CASE WHEN {visit} AND done_on IS NOT NULL THEN 1 ELSE 0 END) AS visited, "
        f"SUM(CASE WHEN {referral} THEN 1 ELSE 0 END) AS labor_force, "
        f"SUM(CASE WHEN {referral} AND COALESCE(n, 0) >= %s THEN 1 ELSE 0 END) AS referred "
        f"FROM ({items.text}) items GROUP BY community_id",
        (deadlines.REFERRALS_NEEDED, *items.params),
    )
    return {
        row["community_id"]: tuple(
            int(row[k] or 0) for k in ("registered", "visited", "labor_force", "referred")
        )
        for row in deadlines.queries.fetch(query)
    }


def registered_employed_counts(*, period: Period, root: Unit | None) -> dict[int, Ratio]:
    """Per community: persons registered on some day of the period, employed in the labor force
    at the date / those persons.

    Their registrations are read once (an index of the unemployed events), with the one in
    force at the date when there is one: that is their status then (registered unemployed).
    Only those whose registration ended in the period need their status at the date
    (``definitions.status_on_sql``: their current status when it began by then)."""
    on = period.end
    employed = definitions.labor_force_sql("x", "x.status", on) & definitions.employed_sql(
        "x.status"
    )
    source = _registrations_of(period, root)
    now = definitions.in_force_sql("r", on)
    status_then = definitions.status_on_sql("p", on)
    units = in_communities("p.community_id", root)
    # Keeps PostgreSQL from copying the status lookup into each use of ``x.status``.
    # (Not on Citus: a fenced sub-query would be gathered on the coordinator.)
    keep = "OFFSET 0" if connection.vendor == "postgresql" and not citus() else ""
    sql = f"""
    SELECT x.community_id, SUM(CASE WHEN {employed.text} THEN 1 ELSE 0 END), COUNT(*)
    FROM (
        SELECT p.community_id, p.work_from, p.retire_on, p.able, p.willing,
               COALESCE(r.status, {status_then.text}) AS status
        FROM (
            SELECT r.person_id{carried("r")}, MAX(CASE WHEN {now.text} THEN r.status END) AS status
            FROM {source.text}
            GROUP BY {by_district("r.person_id", alias="r")} {by_person("r.person_id")}
        ) r
        JOIN {lists.PERSON} p ON p.id = r.person_id{same_district("r", "p")}
        WHERE {units.text} {keep}
    ) x
    GROUP BY x.community_id"""
    params = [
        *employed.params,
        *status_then.params,
        *now.params,
        *source.params,
        *units.params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: Ratio(int(row[1] or 0), int(row[2])) for row in cursor.fetchall()}


def _registrations_of(period: Period, root: Unit | None) -> Sql:
    """The registrations of the period (person_id, status, since, until) as ``r``, to read
    ``FROM``. For a small unit (not ``Unit.is_large``; PostgreSQL), its persons drive the
    read, each finding its own by the person index: a community's 3 ms against 20 ms at 1M
    persons, where the planner reads every registration and keeps the unit's. For a large
    one their index drives it (0.35 s against 0.53 s for the 1M district)."""
    columns = ("person_id", "status", "since", "until", *(["district_id"] if citus() else []))
    small = root is not None and not root.is_large()
    if small and connection.vendor == "postgresql" and not citus():
        theirs = registrations_during(period).filter(person_id=RawSQL("pp.id", ()))
        mine = values_sql(theirs, *columns)
        persons = in_communities("pp.community_id", root)
        return Sql(
            f"(SELECT pp.id FROM {lists.PERSON} pp WHERE {persons.text}) pp "
            f"CROSS JOIN LATERAL ({mine.text} OFFSET 0) r",  # the fence keeps the loop
            persons.params + mine.params,
        )
    registrations = values_sql(registrations_during(period), *columns)
    return Sql(f"({registrations.text}) r", registrations.params)


@dataclass(frozen=True, kw_only=True)
class RegisteredNowIndicator(Indicator):
    """Read from :func:`registered_now_counts`: ``numerator`` and ``denominator`` index it."""

    numerator: int
    denominator: int
    rule: str  # casework's rule whose unmet items are behind it
    unmet: str  # SQL over casework's item columns: the items not met

    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        counts = sheet.shared(
            "registered_now", lambda: registered_now_counts(period=sheet.period, root=sheet.root)
        )
        return {pk: Ratio(c[self.numerator], c[self.denominator]) for pk, c in counts.items()}

    def behind(self, query: BehindQuery) -> Listing:
        return ItemRows(self.rule, query, Sql(self.unmet))


@dataclass(frozen=True, kw_only=True)
class RegisteredEmployedRate(Indicator):
    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        return registered_employed_counts(period=sheet.period, root=sheet.root)

    def behind(self, query: BehindQuery) -> Listing:
        """Those not employed (in the labor force) at the date, with their status then."""
        on = query.period.end
        registered = values_sql(registrations_during(query.period), "person_id")
        employed = definitions.labor_force_sql("p", "e.status", on) & definitions.employed_sql(
            "e.status"
        )
        # NOT (…) holds for an unknown status too (no event: the labor-force part is false).
        not_employed = Sql(
            f"p.id IN ({registered.text}) AND NOT ({employed.text})",
            (*registered.params, *employed.params),
        )
        people = lists.picked(lists.persons(query.unit, query.user), not_employed, query.unit, on)
        return lists.person_listing(people, on)


visit_rate = RegisteredNowIndicator(
    id="visit_rate",
    label=_("走访率"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy("%(n)s 人需走访", "%(n)s 人需走访", "n"),
    definition=_("时点登记失业人员中评估期内走访过的 / 时点登记失业人员"),
    numerator=1,
    denominator=0,
    rule="QG-6-visit",
    unmet="done_on IS NULL",
)

referral_twice_rate = RegisteredNowIndicator(
    id="referral_twice_rate",
    label=_("推荐就业两次以上比例"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy("%(n)s 人需推荐就业", "%(n)s 人需推荐就业", "n"),
    definition=_("时点登记失业的劳动力中评估期内推荐就业2次以上的 / 时点登记失业的劳动力"),
    numerator=3,
    denominator=2,
    rule="QG-3",
    unmet=f"COALESCE(n, 0) < {deadlines.REFERRALS_NEEDED}",
)

registered_unemployed_employment_rate = RegisteredEmployedRate(
    id="registered_unemployed_employment_rate",
    label=_("登记失业人员就业率"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy("%(n)s 人需实现就业", "%(n)s 人需实现就业", "n"),
    definition=_("评估期内任一天登记失业、时点已就业的人数 / 评估期内任一天登记失业的人数"),
)

INDICATORS = (visit_rate, referral_twice_rate, registered_unemployed_employment_rate)
