"""The columns of the unit table in the order bulk loaders stream them (``jiuye seed``'s
generator and loader, the ledger importer): plain tuples, one per row, written with PostgreSQL
COPY or ``executemany``. The table's owner states them; loaders import them from here."""

from __future__ import annotations

# The public contact of a community's service station (its notice board shows it).
STATION_FIELDS = ("station_address", "station_phone", "station_hours")
UNIT_FIELDS = ("id", "code", "name", "level", "parent_id", "path", *STATION_FIELDS)
