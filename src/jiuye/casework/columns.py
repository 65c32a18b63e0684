"""The columns of the service-record table in the order bulk loaders stream them (``jiuye
seed``'s generator and loader): plain tuples, one per row, written with PostgreSQL COPY or
``executemany``. The table's owner states them; loaders import them from here.

A service record's ``district_id`` (the distribution column, ``units.sharding``) is its person's:
the loaders write it themselves, no ``DistrictOwned.save`` running for them."""

from __future__ import annotations

# What a service record says beyond who, what and when (the columns both lists below share).
SERVICE_DETAILS = (
    "training_mode",
    "enrolled",
    "completed",
    "certified",
    "outcome",
    "valid",
    "policy_name",
    "amount",
    "note",
)

SERVICE_FIELDS = (
    "id",
    "person_id",
    "kind",
    "on",
    "by_name",
    *SERVICE_DETAILS,
    "created_at",
    "district_id",
)

# What identifies a service record in a workbook (matched as a multiset per person, kind and
# day on re-import), then the recorder's name, which is not compared: the importer's matching
# and the export read these.
RECORD_FIELDS = ("person_id", "kind", "on", *SERVICE_DETAILS, "by_name")
