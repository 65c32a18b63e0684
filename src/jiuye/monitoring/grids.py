"""A community's grids, counted live: the roll-ups stop at the community (a grid has no
monthly row), so a community's ranking of its grids and a grid's own dashboard read the counts
at a date from the registry, for that one community's households (a few hundred): one
aggregated query with ``registry.classification``'s labor-force pipeline and its rules (labor
force, employed, unemployed, registered unemployed, zero-employment family), grouped by the
household's grid. No trend: there is no history of a grid's counts."""

from __future__ import annotations

from datetime import date

from django.db import connection

from jiuye.lib.sql import Sql
from jiuye.registry.classification import ZERO_SQL, labor_force_cte
from jiuye.registry.models import Household
from jiuye.units.models import Unit

COUNTS = ("labor_force", "employed", "unemployed", "registered", "zero_families")


def grid_counts(*, community: Unit, on: date) -> dict[int | None, dict[str, int]]:
    """Per grid of ``community`` (its id; None: households placed in no grid), the counts at
    ``on``. Grids with nobody counted are left out (all zero)."""
    cte = labor_force_cte(on, Sql("h.community_id = %s", (community.pk,)))
    sql = f"""{cte.text}
    SELECT h.grid_id, SUM(hh.labor_force), SUM(hh.employed), SUM(hh.unemployed),
           SUM(hh.registered_unemployed), SUM(CASE WHEN {ZERO_SQL} THEN 1 ELSE 0 END)
    FROM hh JOIN {Household._meta.db_table} h ON h.id = hh.household_id
    GROUP BY h.grid_id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(cte.params))
        return {
            row[0]: dict(zip(COUNTS, (int(v or 0) for v in row[1:]), strict=True))
            for row in cursor.fetchall()
        }
