"""Who may do what with policy money (DOMAIN §9: maker-checker).

- **Prepare** an application (the maker): a community worker for their community's persons,
  employers and the community itself; the street and the district for anything under them.
- **Approve or return** it (the checker): a street or district user, not the maker, whose
  jurisdiction covers the beneficiary and whose level is higher than every unit the maker
  belongs to (a community's application is approved by its street or the district; a
  street's by the district; a district's by the city).
- **Pay and reverse**: the street or the district over the beneficiary (the finance side).
- **Budgets**: the district.

Grid coordinators, auditors and administrators do none of it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from jiuye.accounts.models import Role
from jiuye.policies.models import Application
from jiuye.units.models import Level, Unit
from jiuye.units.scope import SYSTEM, jurisdiction_units

MAKERS = frozenset({Role.WORKER, Role.STREET, Role.DISTRICT})
CHECKERS = frozenset({Role.STREET, Role.DISTRICT})
PAYERS = frozenset({Role.STREET, Role.DISTRICT})
BUDGETERS = frozenset({Role.DISTRICT})

# Lower is higher: the city above the district above the street above the community.
RANK: dict[str, int] = {
    Level.CITY: 0,
    Level.DISTRICT: 1,
    Level.STREET: 2,
    Level.TOWN: 2,
    Level.COMMUNITY: 3,
    Level.VILLAGE: 3,
    Level.GRID: 4,
}


def _covers(user: Any, roles: frozenset[str], place: Unit | None) -> bool:
    if user is SYSTEM:
        return True
    if user is None or getattr(user, "role", None) not in roles or not user.is_active:
        return False
    paths = [path for path, level in jurisdiction_units(user) if level != Level.GRID]
    if place is None:
        return bool(paths)
    return any(place.path.startswith(path) for path in paths)


def may_prepare(user: Any, place: Unit | None) -> bool:
    return _covers(user, MAKERS, place)


def may_pay(user: Any, place: Unit | None) -> bool:
    return _covers(user, PAYERS, place)


def may_budget(user: Any, unit: Unit | None) -> bool:
    return _covers(user, BUDGETERS, unit)


def _top_rank(user: Any) -> int:
    return min((RANK[level] for _p, level in jurisdiction_units(user)), default=99)


def _maker_rank(application: Application) -> int:
    """The highest unit the maker belongs to (their memberships read fresh: not a request's)."""
    from jiuye.accounts.models import Membership

    levels = Membership.objects.filter(user_id=application.prepared_by_id).values_list(
        "unit__level", flat=True
    )
    return min((RANK[level] for level in levels), default=99)


def approve_refusal(user: Any, application: Application) -> str:
    """Why ``user`` may not approve or return ``application`` ("" when they may)."""
    if user is SYSTEM:
        return ""
    if user is None or user.pk == application.prepared_by_id:
        return _("申请人不能审批自己准备的申请（经办与审批须由不同人员完成）")
    if not _covers(user, CHECKERS, application.place):
        return _("只有上级街道或区的审核人员可以审批该申请")
    if _top_rank(user) >= _maker_rank(application):
        return _("审批人须比申请人高一级（社区的申请由街道或区审批，街道的申请由区审批）")
    return ""


def may_approve(user: Any, application: Application) -> bool:
    return not approve_refusal(user, application)


def check(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)
