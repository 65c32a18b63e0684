"""The district of each audit chain (``audit.services``), told to the audit log when the app
starts: the log sits below the unit tree and the users, so it cannot look them up itself.

- a unit's chain (its path): the unit's district (``units.sharding``);
- a user's chain (their entries without a unit, a list page's record of whom it showed): the
  district of their first unit, so that a district's readers write to that district's part of
  the log (on Citus its shards) rather than all to one;
- otherwise, and for a path or a user of no district: ``AuditEntry.NO_DISTRICT``.
"""

from __future__ import annotations

from jiuye.accounts.models import Membership
from jiuye.audit.models import AuditEntry
from jiuye.units.sharding import district_of, district_of_path


def chain_district(*, path: str | None, user: int | None) -> int:
    """The district of the chain of ``path`` (a unit's) or else of ``user`` (a user's)."""
    if path:
        return district_of_path(path) or AuditEntry.NO_DISTRICT
    if user is not None:
        units = Membership.objects.filter(user_id=user).order_by("id")
        unit = units.values_list("unit_id", flat=True).first()
        if unit is not None:
            return district_of(unit)
    return AuditEntry.NO_DISTRICT
