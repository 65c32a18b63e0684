"""The distribution column as the bulk loaders must leave it (``units.sharding``): in every row of
the residents' tables, a household's its community's district by the one rule
(``district_sql``), every other row its parent's."""

from __future__ import annotations

from django.db import connection

from jiuye.units.sharding import district_sql

# (table, its parent table, the column naming the parent)
CHILDREN = (
    ("registry_person", "registry_household", "household_id"),
    ("registry_statusevent", "registry_person", "person_id"),
    ("registry_difficultyrecognition", "registry_person", "person_id"),
    ("casework_servicerecord", "registry_person", "person_id"),
    ("casework_unemployedprofile", "registry_person", "person_id"),
    ("casework_zerofamilycase", "registry_household", "household_id"),
)


def district_mismatches() -> dict[str, int]:
    """Per table, the rows whose district is missing or not the one the rule gives (empty when
    every row is right)."""
    checks = {
        "registry_household": "SELECT COUNT(*) FROM registry_household h"
        f" WHERE h.district_id IS NULL OR h.district_id <> {district_sql('h.community_id')}",
    }
    for table, parent, column in CHILDREN:
        checks[table] = (
            # "no parent in the row's own district": a sub-query naming the district, which
            # Citus runs on each shard (a join on the parent's id alone it cannot)
            f"SELECT COUNT(*) FROM {table} x WHERE x.district_id IS NULL OR NOT EXISTS"
            f" (SELECT 1 FROM {parent} p WHERE p.id = x.{column}"
            " AND p.district_id = x.district_id)"
        )
    found = {}
    with connection.cursor() as cursor:
        for table, sql in checks.items():
            cursor.execute(sql, [])
            (count,) = cursor.fetchone()
            if count:
                found[table] = count
    return found
