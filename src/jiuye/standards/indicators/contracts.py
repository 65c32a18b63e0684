"""``contract_signing_rate`` and ``contract_renewal_rate`` (HD-Q4, 劳动合同签订率 and 续订率):
from the employers' reports of staff and labor contracts (DOMAIN §8), by the rules of
``jobs.definitions`` (read its readings: staff at a date, a contract in force, the cap at
staff, what counts as renewed).

Each is one grouped query over the employers located in the communities under the root,
counted for the employer's community (an employer is located in a community or village), and
rolled up by adding numerators and denominators. They are computed from the reports every time,
whatever the fact sheet's source: employers are few beside persons (hundreds in a district,
not hundreds of thousands), so they need no incremental aggregate.

Behind them: the employers short of contracts (or whose staff is unknown, left out), and the
contracts that expired without a renewal while the employee stayed on, named by the masked ID
number the employer reported, through the user's jurisdiction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from jiuye.jobs import definitions
from jiuye.jobs.models import Employer
from jiuye.lib.sql import Sql, read_date, subquery
from jiuye.standards.indicators.base import (
    BehindQuery,
    FactSheet,
    Indicator,
    Listing,
    Row,
    SqlRows,
    communities_under,
    in_communities,
)
from jiuye.standards.rules import Ratio
from jiuye.units.models import Unit
from jiuye.units.scope import scope_to_jurisdiction


def _employers_under(root: Unit | None) -> Sql:
    """``SELECT id`` of the employers located in the communities under ``root``."""
    units = in_communities("ee.unit_id", root)
    return Sql(f"SELECT ee.id FROM {definitions.EMPLOYERS} ee WHERE {units.text}", units.params)


def _employers_seen(query: BehindQuery) -> Sql:
    """``SELECT id`` of the employers under the query's unit that its user may see."""
    employers = Employer.objects.filter(unit__in=communities_under(query.unit))
    return subquery(scope_to_jurisdiction(employers, query.user))


def _fetch(sql: Sql) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql.text, sql.params)
        return list(cursor.fetchall())


def signing_counts(*, on: date, root: Unit | None) -> dict[int, Ratio]:
    """Per community: Σ min(contracts in force, staff) / Σ staff over its employers whose staff
    is known at ``on`` (one grouped query)."""
    rows = definitions.employer_signing_sql(_employers_under(root), on)
    query = Sql(
        f"SELECT s.unit_id, SUM(s.signed), SUM(s.staff) FROM ({rows.text}) s GROUP BY s.unit_id",
        rows.params,
    )
    return {unit: Ratio(int(n or 0), int(d or 0)) for unit, n, d in _fetch(query)}


def renewal_counts(*, start: date, on: date, root: Unit | None) -> dict[int, Ratio]:
    """Per community: contracts expired in [``start``, ``on``] and renewed / those expired with
    the employee staying on (one grouped query)."""
    rows = definitions.renewal_counts_sql(start, on, _employers_under(root))
    query = Sql(
        f"SELECT e.unit_id, SUM(r.renewed), SUM(r.stayed_on) FROM ({rows.text}) r "
        f"JOIN {definitions.EMPLOYERS} e ON e.id = r.employer_id GROUP BY e.unit_id",
        rows.params,
    )
    return {unit: Ratio(int(n or 0), int(d or 0)) for unit, n, d in _fetch(query)}


@dataclass(frozen=True, kw_only=True)
class SigningRate(Indicator):
    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        return signing_counts(on=sheet.on, root=sheet.root)

    def behind(self, query: BehindQuery) -> Listing:
        """The employers short of contracts in force (most short first), then those whose
        staff is not known at the date (left out of the rate)."""
        rows = definitions.employer_contracts_sql(_employers_seen(query), query.period.end)
        select = Sql(
            f"SELECT y.* FROM (SELECT x.employer_id, e.name, x.unit_id, x.staff, x.in_force, "
            f"CASE WHEN x.staff IS NULL THEN 1 ELSE 0 END AS no_staff, "
            f"COALESCE(x.staff - x.in_force, 0) AS missing "
            f"FROM ({rows.text}) x JOIN {definitions.EMPLOYERS} e ON e.id = x.employer_id "
            f"WHERE x.staff IS NULL OR x.in_force < x.staff) y",
            rows.params,
        )

        def to_rows(page: list[tuple[Any, ...]]) -> list[Row]:
            found = []
            for pk, name, unit_id, staff, in_force, _no_staff, missing in page:
                if staff is None:
                    detail = gettext("未报告职工人数，不计入签订率（在用劳动合同 %(n)s 份）") % {
                        "n": in_force
                    }
                else:
                    detail = gettext(
                        "职工 %(staff)s 人，在用劳动合同 %(n)s 份，差 %(short)s 份"
                    ) % {"staff": staff, "n": in_force, "short": missing}
                url = reverse("jobs:employer_detail", args=[pk])
                found.append(Row("record", name, detail, url, unit_id, query.period.end))
            return found

        return SqlRows(select, "no_staff, missing DESC, name, employer_id", to_rows)


@dataclass(frozen=True, kw_only=True)
class RenewalRate(Indicator):
    def compute(self, sheet: FactSheet) -> Mapping[int, Any]:
        return renewal_counts(start=sheet.period.start, on=sheet.on, root=sheet.root)

    def behind(self, query: BehindQuery) -> Listing:
        """The contracts that expired in the period without a renewal while the employee stayed
        on, by their end."""
        rows = definitions.expiries_sql(
            query.period.start, query.period.end, _employers_seen(query)
        )
        select = Sql(
            f"SELECT y.* FROM (SELECT r.id, c.employee_masked, e.name, e.unit_id, r.began, "
            f"r.ends, r.next_on "
            f"FROM ({rows.text}) r JOIN {definitions.CONTRACTS} c ON c.id = r.id "
            f"JOIN {definitions.EMPLOYERS} e ON e.id = r.employer_id "
            f"WHERE r.outcome = '{definitions.STAYED}') y",
            rows.params,
        )

        def to_rows(page: list[tuple[Any, ...]]) -> list[Row]:
            found = []
            for _pk, masked, employer, unit_id, began, ends, next_on in page:
                detail = gettext("%(employer)s：%(began)s 签订或续订，%(ends)s 到期未续订") % {
                    "employer": employer,
                    "began": read_date(began),
                    "ends": read_date(ends),
                }
                if next_on is not None:
                    detail += gettext("，%(on)s 终止") % {"on": read_date(next_on)}
                found.append(Row("record", masked, detail, "", unit_id, read_date(ends)))
            return found

        return SqlRows(select, "ends, id", to_rows)


contract_signing_rate = SigningRate(
    id="contract_signing_rate",
    label=_("劳动合同签订率"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy("%(n)s 份劳动合同需签订", "%(n)s 份劳动合同需签订", "n"),
    definition=_(
        "辖区内用人单位时点在用劳动合同数（每家不超过其职工人数）之和 / 职工人数之和"
        "（职工人数取时点前最近一次报告；未报告职工人数的单位不计入）"
    ),
)
contract_renewal_rate = RenewalRate(
    id="contract_renewal_rate",
    label=_("劳动合同续订率"),
    kind="ratio",
    gap="convert",
    gap_label=ngettext_lazy("%(n)s 份劳动合同需续订", "%(n)s 份劳动合同需续订", "n"),
    definition=_(
        "评估期内到期且已续订（或重新签订）的劳动合同 / 评估期内到期且劳动者留任的劳动合同"
        "（到期前或到期当日终止的不计入）"
    ),
)

INDICATORS = (contract_signing_rate, contract_renewal_rate)
