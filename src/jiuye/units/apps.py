from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _citus_grouping(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On Citus a distributed table's primary key is ``(id, district_id)`` (cluster.layout), so
    its other columns no longer depend on ``id`` alone: Django must group by every column it
    selects, not by the primary key only (PostgreSQL's shortcut)."""
    from jiuye.lib.sql import citus

    if connection.vendor == "postgresql" and citus():
        connection.features.allows_group_by_selected_pks = False


class UnitsConfig(AppConfig):
    name = "jiuye.units"
    label = "units"
    verbose_name = "行政区划与网格"

    def ready(self) -> None:
        connection_created.connect(_citus_grouping, dispatch_uid="units.citus_grouping")
