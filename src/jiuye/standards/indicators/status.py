"""The status-vector indicators: read at the date from one count vector per community
(``models.VECTOR_FIELDS``), the community timelines of ``standards.aggregates`` when they are
fresh, else one aggregated query over persons, their status in force and their households
(:func:`direct_status_vectors`), both by the rules of ``registry.definitions``.

- ``employment_rate`` (HD-C1, CQ-1): employed labor force / labor force;
- ``difficult_employment_rate`` (HD-C2): employed recognised difficult persons / recognised
  difficult persons in the labor force;
- ``pure_farming_families`` (HD-C2): households whose employed labor force all farm;
- ``registered_unemployment_rate`` (HD-Q2): urban-hukou (the person's: 城镇 or 农转非) registered
  unemployed / (urban employed + urban registered unemployed), in the labor force;
- ``dibao_unemployed_share`` (CQ-3): among the members of urban-hukou dibao households of
  working age, able, with a known status other than student/retired (willing or not), those
  unemployed or out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from jiuye.lib.sql import Sql
from jiuye.registry import definitions
from jiuye.registry.models import DifficultyRecognition, Household, Person
from jiuye.standards import aggregates
from jiuye.standards.indicators import lists
from jiuye.standards.indicators.base import (
    NOTHING,
    BehindQuery,
    FactSheet,
    Indicator,
    KnownCount,
    Listing,
    QueryRows,
    Row,
    in_communities,
)
from jiuye.standards.models import VECTOR_FIELDS
from jiuye.standards.rules import Fact, Ratio
from jiuye.units.models import Unit
from jiuye.units.scope import sees_all_of
from jiuye.units.sharding import by_district, carried, citus, rows_of

Vector = Mapping[str, int]
_RECOGNITION = DifficultyRecognition._meta.db_table

# Per person: its flags on the date, each 0 or 1 (SQL over ``p``, ``h``, ``e``).
_PERSON_FLAGS = ("lf", "employed", "farming", "unemployed", "registered", "urban", "difficult")
# Per household, the vector's member sums from the person flags (``dibao`` is CQ-3's base in an
# urban dibao household, ``dibao_ne`` those of it not employed).
_SUMS = {
    "labor_force": "lf",
    "employed": "employed",
    "farming": "farming",
    "unemployed": "unemployed",
    "registered": "registered",
    "urban_employed": "urban * employed",
    "urban_registered": "urban * registered",
    "difficult": "difficult * lf",
    "difficult_employed": "difficult * employed",
    "dibao_base": "dibao",
    "dibao_not_employed": "dibao_ne",
    "status_not_recorded": "unrecorded",
}


def _flag(condition: Sql, name: str) -> Sql:
    return Sql(f"CASE WHEN {condition.text} THEN 1 ELSE 0 END AS {name}", condition.params)


def direct_status_vectors(*, on: date, root: Unit | None) -> dict[int, dict[str, int]]:
    """The community vectors of ``aggregates.community_vectors`` computed from the registry in
    one aggregated query: persons of working age (the only ones who count for anything; those
    not able only as "status not recorded"), their status event in force and household → per
    household → per community. Communities with nobody counted are left out (all zero)."""
    status = "e.status"
    lf = definitions.labor_force_sql("p", status, on)
    employed = lf & definitions.employed_sql(status)
    unemployed = lf & Sql(f"{status} = '{definitions.UNEMPLOYED}'")
    recognised = definitions.recognition_in_force_sql("r", on)
    difficult = f"p.id IN (SELECT r.person_id FROM {_RECOGNITION} r WHERE {recognised.text})"
    if citus():
        # Citus sends a sub-query in a select list to the shards only correlated on the
        # district; one server reads the recognised persons once (a hashed sub-plan).
        difficult = (
            f"EXISTS (SELECT 1 FROM {_RECOGNITION} r WHERE {rows_of('r', 'person_id', 'p')}"
            f" AND {recognised.text})"
        )
    dibao_household = Sql("h.dibao") & definitions.urban_sql("h.hukou_type")
    dibao = dibao_household & definitions.dibao_base_sql("p", status, on)
    flags = [
        _flag(lf, "lf"),
        _flag(employed, "employed"),
        _flag(lf & Sql(f"{status} = '{definitions.FARMING}'"), "farming"),
        _flag(unemployed, "unemployed"),
        _flag(lf & definitions.registered_sql("e"), "registered"),
        _flag(definitions.urban_sql("p.hukou_type"), "urban"),
        _flag(
            Sql(difficult, recognised.params),
            "difficult",
        ),
        _flag(dibao, "dibao"),
        _flag(dibao & definitions.dibao_not_employed_sql(status), "dibao_ne"),
        _flag(definitions.status_not_recorded_sql("p", status, on), "unrecorded"),
    ]
    in_force = definitions.in_force_sql("e", on)
    candidates = definitions.working_age_sql("p", on)
    units = in_communities("h.community_id", root)
    sums = ", ".join(f"SUM({expr}) AS {name}" for name, expr in _SUMS.items())
    pure = definitions.pure_farming_sql("hh.employed", "hh.farming")
    totals = ", ".join(
        f"SUM(CASE WHEN {pure.text} THEN 1 ELSE 0 END)"
        if name == "pure_farming"
        else f"SUM(hh.{name})"
        for name in VECTOR_FIELDS
    )
    sql = f"""
    WITH c AS (
        SELECT p.household_id{carried("p")}, h.community_id, {", ".join(f.text for f in flags)}
        FROM {lists.PERSON} p
        JOIN {lists.HOUSEHOLD} h ON {rows_of("p", "household_id", "h")}
        LEFT JOIN {lists.EVENT} e ON {rows_of("e", "person_id", "p")} AND {in_force.text}
        WHERE {candidates.text} AND {units.text}
    ),
    hh AS (
        SELECT household_id, community_id, {sums}
        FROM c GROUP BY {by_district("household_id, community_id")}
    )
    SELECT community_id, {totals} FROM hh GROUP BY community_id"""
    params = [
        *(p for f in flags for p in f.params),
        *in_force.params,
        *candidates.params,
        *units.params,
        *pure.params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            row[0]: dict(zip(VECTOR_FIELDS, (int(v or 0) for v in row[1:]), strict=True))
            for row in cursor.fetchall()
        }


def status_vectors(sheet: FactSheet) -> dict[int, dict[str, int]]:
    """Every community's vector at the sheet's date, once per sheet."""

    def load() -> dict[int, dict[str, int]]:
        if sheet.fresh:
            return aggregates.community_vectors(on=sheet.on, path=sheet.path)
        return direct_status_vectors(on=sheet.on, root=sheet.root)

    return sheet.shared("status_vectors", load)


Lister = Callable[[BehindQuery], Listing]


@dataclass(frozen=True, kw_only=True)
class StatusIndicator(Indicator):
    """An indicator read from the community vectors: ``fact`` turns a vector into the value."""

    fact: Callable[[Vector], Fact]
    lister: Lister | None = None
    # How many the lister lists, from a community's vector: the list's count is then read from
    # the aggregates (a few index probes) instead of counting a district's persons.
    listed: Callable[[Vector], int] | None = None

    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        return {pk: self.fact(vector) for pk, vector in status_vectors(sheet).items()}

    def behind(self, query: BehindQuery) -> Listing:
        if self.lister is None:
            return NOTHING
        listing = self.lister(query)
        # Only when the reader sees every person of the unit (else the aggregates count more
        # than they may see) and the aggregates are fresh (else they may count otherwise).
        if self.listed is None or not sees_all_of(query.user, query.unit):
            return listing
        if not aggregates.aggregates_fresh():
            return listing
        vectors = aggregates.community_vectors(on=query.period.end, path=query.unit.path)
        return KnownCount(listing, sum(self.listed(v) for v in vectors.values()))


def _not_employed(qs: QuerySet[Person], q: BehindQuery) -> Listing:
    """The labor force of ``qs`` at the date that is not employed, with their status."""
    on = q.period.end
    return lists.person_listing(lists.picked(qs, lists.not_employed_sql(on), q.unit, on), on)


def _employment(q: BehindQuery) -> Listing:
    return _not_employed(lists.persons(q.unit, q.user), q)


def _difficult_employment(q: BehindQuery) -> Listing:
    difficult = DifficultyRecognition.objects.filter(
        definitions.recognition_in_force_q(q.period.end)
    )
    return _not_employed(
        lists.persons(q.unit, q.user).filter(pk__in=difficult.values("person_id")), q
    )


def _registered_rate(q: BehindQuery) -> Listing:
    on = q.period.end
    registered = definitions.labor_force_sql("p", "e.status", on) & definitions.registered_sql("e")
    qs = lists.persons(q.unit, q.user).filter(definitions.urban_q())
    chosen = lists.picked(qs, registered, q.unit, on)
    return lists.person_listing(chosen, on, detail=str(_("登记失业")))


def _dibao(q: BehindQuery) -> Listing:
    on = q.period.end
    base = Sql("h.dibao") & definitions.urban_sql("h.hukou_type")
    base = base & definitions.dibao_base_sql("p", "e.status", on)
    chosen = lists.picked(
        lists.persons(q.unit, q.user),
        base & definitions.dibao_not_employed_sql("e.status"),
        q.unit,
        on,
    )
    return lists.person_listing(chosen, on)


def _household_counts(on: date, where: Sql) -> Sql:
    """SQL: per household (``household_id``), its employed and farming labor-force members on
    ``on`` (``employed``, ``farming``), among the persons of ``where`` (over ``p``, ``h``): the
    household sums of :func:`direct_status_vectors`."""
    status = "e.status"
    lf = definitions.labor_force_sql("p", status, on)
    employed = _case(lf & definitions.employed_sql(status))
    farming = _case(lf & Sql(f"{status} = '{definitions.FARMING}'"))
    in_force = definitions.in_force_sql("e", on)
    return Sql(
        f"SELECT p.household_id, SUM({employed.text}) AS employed, SUM({farming.text}) AS farming "
        f"FROM {lists.PERSON} p JOIN {lists.HOUSEHOLD} h ON {rows_of('p', 'household_id', 'h')} "
        f"LEFT JOIN {lists.EVENT} e ON {rows_of('e', 'person_id', 'p')} AND {in_force.text} "
        f"WHERE {where.text} GROUP BY {by_district('p.household_id', alias='p')}",
        (*employed.params, *farming.params, *in_force.params, *where.params),
    )


def _case(condition: Sql) -> Sql:
    return Sql(f"CASE WHEN {condition.text} THEN 1 ELSE 0 END", condition.params)


def _pure_farming(q: BehindQuery) -> Listing:
    """The pure-farming families at the date (by household id), with how many farm."""
    on = q.period.end
    candidates = definitions.labor_force_candidates_sql("p", on)
    counts = _household_counts(on, in_communities("h.community_id", q.unit) & candidates)
    pure = definitions.pure_farming_sql("hh.employed", "hh.farming")
    found = RawSQL(
        f"SELECT hh.household_id FROM ({counts.text}) hh WHERE {pure.text}",
        (*counts.params, *pure.params),
    )
    chosen = lists.households(q.unit, q.user).filter(pk__in=found)

    def to_rows(page: list[Household]) -> list[Row]:
        ids = [h.pk for h in page]
        if not ids:
            return []
        of_page = _household_counts(
            on, Sql(f"p.household_id IN ({', '.join(['%s'] * len(ids))})", tuple(ids))
        )
        with connection.cursor() as cursor:
            cursor.execute(of_page.text, of_page.params)
            farming = {row[0]: int(row[2] or 0) for row in cursor.fetchall()}
        details = {
            pk: ngettext("务农 %(n)s 人", "务农 %(n)s 人", n) % {"n": n}
            for pk, n in farming.items()
        }
        return lists.household_rows(page, details)

    return QueryRows(chosen.only("pk", "number", "community_id").order_by("pk"), to_rows)


employment_rate = StatusIndicator(
    id="employment_rate",
    label=_("就业率"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy("%(n)s 人需实现就业", "%(n)s 人需实现就业", "n"),
    definition=_("劳动力中实现就业的人数 / 劳动力人数（时点）"),
    fact=lambda v: Ratio(v.get("employed", 0), v.get("labor_force", 0)),
    lister=_employment,
    listed=lambda v: v.get("labor_force", 0) - v.get("employed", 0),
)

difficult_employment_rate = StatusIndicator(
    id="difficult_employment_rate",
    label=_("就业困难人员就业率"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy("%(n)s 名困难人员需实现就业", "%(n)s 名困难人员需实现就业", "n"),
    definition=_("劳动力中已认定就业困难人员的就业人数 / 劳动力中已认定就业困难人员（时点）"),
    fact=lambda v: Ratio(v.get("difficult_employed", 0), v.get("difficult", 0)),
    lister=_difficult_employment,
    listed=lambda v: v.get("difficult", 0) - v.get("difficult_employed", 0),
)

pure_farming_families = StatusIndicator(
    id="pure_farming_families",
    label=_("纯农就业家庭数"),
    kind="count",
    gap="count",
    gap_label=ngettext_lazy("%(n)s 户需转移就业", "%(n)s 户需转移就业", "n"),
    definition=_("时点的纯农就业家庭数"),
    fact=lambda v: v.get("pure_farming", 0),
    lister=_pure_farming,
    listed=lambda v: v.get("pure_farming", 0),
)

registered_unemployment_rate = StatusIndicator(
    id="registered_unemployment_rate",
    label=_("城镇登记失业率"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy(
        "%(n)s 名登记失业人员需实现就业", "%(n)s 名登记失业人员需实现就业", "n"
    ),
    definition=_(
        "城镇户籍（城镇、农转非，按本人户籍）劳动力中的登记失业人数 / "
        "（城镇户籍就业人数 + 城镇户籍登记失业人数）"
    ),
    fact=lambda v: Ratio(
        v.get("urban_registered", 0), v.get("urban_employed", 0) + v.get("urban_registered", 0)
    ),
    lister=_registered_rate,
    listed=lambda v: v.get("urban_registered", 0),
)

dibao_unemployed_share = StatusIndicator(
    id="dibao_unemployed_share",
    label=_("低保有劳动能力未就业比例"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy(
        "%(n)s 名低保家庭成员需实现就业", "%(n)s 名低保家庭成员需实现就业", "n"
    ),
    definition=_(
        "城镇低保户中法定劳动年龄内、有劳动能力、就业状态已登记且不在校不退休的成员中，"
        "失业或不在劳动力（未就业）的人数 / 这些成员（时点，不论有无就业愿望）"
    ),
    fact=lambda v: Ratio(v.get("dibao_not_employed", 0), v.get("dibao_base", 0)),
    lister=_dibao,
    listed=lambda v: v.get("dibao_not_employed", 0),
)

INDICATORS = (
    employment_rate,
    difficult_employment_rate,
    pure_farming_families,
    registered_unemployment_rate,
    dibao_unemployed_share,
)
