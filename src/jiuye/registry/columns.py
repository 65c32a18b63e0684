"""The columns of the registry's tables in the order bulk loaders stream them (``jiuye seed``'s
generator and loader, the ledger importer): plain tuples, one per row, written with PostgreSQL
COPY or ``executemany``. The tables' owner states them; loaders import them from here.

Each ends with ``district_id``, the distribution column (``units.sharding``), which a bulk loader
writes itself since no ``DistrictOwned.save`` runs: a household's is its community's district
(``units.sharding.districts_of``, read once for the communities written), a person's its
household's, a status event's and a recognition's their person's. It is never updated."""

from __future__ import annotations

HOUSEHOLD_FIELDS = (
    "id",
    "number",
    "community_id",
    "grid_id",
    "hukou_type",
    "address",
    "dibao",
    "district_id",
)
PERSON_FIELDS = (
    "id",
    "id_number",
    "name",
    "birth_date",
    "sex",
    "household_id",
    "relation",
    "hukou_type",
    "phone",
    "community_id",
    "grid_id",
    "able",
    "willing",
    "female_base",
    "education",
    "skill_level",
    "disabled",
    "veteran",
    "migrant_worker",
    "landless",
    "poverty_labor",
    "graduate_year",
    "work_from",
    "retire_on",
    "current_status",
    "current_since",
    "current_registered",
    "job_intent",
    "certificates",
    "district_id",
)
EVENT_FIELDS = (
    "id",
    "person_id",
    "status",
    "since",
    "until",
    "registered",
    "employer",
    "cause",
    "district_id",
)
RECOGNITION_FIELDS = (
    "id",
    "person_id",
    "category",
    "recognized_on",
    "ended_on",
    "note",
    "district_id",
)
