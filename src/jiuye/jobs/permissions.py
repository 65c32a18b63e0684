"""Who keeps employers' data (DOMAIN §8).

An employer's data is not a resident's: the community station where it is located keeps it, and
the street and the district, whose labor offices deal with enterprises, may also register and
update employers, their reports and their postings under them. Grid coordinators and auditors
read only (grid coordinators see no employer: employers sit in a community, not in a grid).

Referrals and hires write a resident's data (a service, a status), so they ask
``units.scope.check_write`` about the person, like every other casework write.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from jiuye.accounts.models import Role
from jiuye.units.models import Level, Unit
from jiuye.units.scope import SYSTEM, jurisdiction_units, sees_all_of

EMPLOYER_ROLES = frozenset({Role.WORKER, Role.STREET, Role.DISTRICT})
# The roles of the district's professional assistance (HD-2018 二(六)1: 区公共就业创业服务机构
# 提供专业援助), who refer a person handed to them (``postings.referral_create(assisting=True)``).
ASSISTING_ROLES = frozenset({Role.STREET, Role.DISTRICT})


def may_keep_employers(user: Any, unit: Unit | None) -> bool:
    """Whether ``user`` may write employers' data located in ``unit`` (None: anywhere they
    may, for a page that only offers the form)."""
    if user is None or user is SYSTEM:
        return True
    if getattr(user, "role", None) not in EMPLOYER_ROLES or not user.is_active:
        return False
    paths = [path for path, level in jurisdiction_units(user) if level != Level.GRID]
    if unit is None:
        return bool(paths)
    return any(unit.path.startswith(path) for path in paths)


def check_keep_employers(actor: Any, unit: Unit | None) -> None:
    if may_keep_employers(actor, unit):
        return
    raise PermissionDenied(
        _("用人单位的数据由其所在社区、街道或区的工作人员录入；该单位不在您的管辖范围内。")
    )


def may_assist(user: Any, person: Any) -> bool:
    """Whether ``user`` is of the street or the district whose jurisdiction covers ``person``'s
    community (the professional assistance that takes over a person the community could not
    place, HD-2018 二(六)1). They read and review residents' data; this lets them act on a
    person handed to them, where the caller says the person was (jobs does not know why)."""
    if user is None or user is SYSTEM:
        return True
    if getattr(user, "role", None) not in ASSISTING_ROLES or not user.is_active:
        return False
    return sees_all_of(user, person.community)
