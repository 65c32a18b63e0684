"""What every page's layout needs: the demo flag, the user's own units and the navigation.

The navigation offers a role only what it can use (issue 13): the pages of residents' data
(persons, households, units, worklist, jobs, ledgers) to the data roles with a unit, the
standards and the certification (issue 14) to those with a unit that some rule set evaluates
(not a grid coordinator: no rule set has a grid level, so the standards would answer 404 and
there is nothing to apply for), the dashboards (issue 15) to every data role with a unit, the
audit log to the auditor. The administrators and the auditor, who see no resident, are not
offered lists that would always be empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import ResolverMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiuye.accounts.models import Role
from jiuye.standards.selectors import rulesets_for
from jiuye.units.scope import member_units


@dataclass(frozen=True)
class NavItem:
    key: str  # the link's id is ``nav-<key>`` (tests and the browser find it by that)
    label: str
    url: str
    active: bool


@dataclass(frozen=True)
class _Entry:
    key: str
    label: Any  # a lazy translation, read in the request's language
    url_name: str
    # Whether the page being shown belongs to this entry (it is then marked current).
    current: Callable[[ResolverMatch], bool]


def _names(*names: str) -> Callable[[ResolverMatch], bool]:
    return lambda match: match.app_name == "" and match.url_name in names


def _app(app: str) -> Callable[[ResolverMatch], bool]:
    return lambda match: match.app_name == app


HOME = _Entry("home", _("首页"), "home", _names("home"))
# The pages of residents' data, in the bar's order.
DATA = (
    _Entry(
        "persons",
        pgettext_lazy("nav", "人员"),
        "person_list",
        _names("person_list", "person_detail"),
    ),
    _Entry(
        "households",
        pgettext_lazy("nav", "户"),
        "household_list",
        _names("household_list", "household_detail"),
    ),
    _Entry("units", pgettext_lazy("nav", "单位"), "unit_tree", _names("unit_tree")),
    _Entry("worklist", _("待办"), "casework:worklist", _app("casework")),
)
STANDARDS = _Entry(
    "standards", pgettext_lazy("nav", "达标评估"), "standards:index", _app("standards")
)
# The certification workflow (issue 14): for the same users as the standards it is built on.
CERTIFICATION = _Entry(
    "certification",
    pgettext_lazy("nav", "创建认定"),
    "certification:index",
    _app("certification"),
)
# The dashboards (issue 15): counts of the user's own units, for every data role with a unit
# (a grid coordinator's grid shows its live counts).
# The early warnings (/monitoring/warnings/) belong to it: reached from each dashboard and from
# the worklist's panel, so the bar stays one line.
MONITORING = _Entry(
    "monitoring",
    pgettext_lazy("nav", "监测"),
    "monitoring:index",
    lambda match: match.app_name in ("monitoring", "warnings"),
)
# Employers and jobs (issue 16): the employers' list, postings and matching, for every data role
# with a unit (a grid coordinator matches their residents to postings).
JOBS = _Entry("jobs", pgettext_lazy("nav", "岗位"), "jobs:index", _app("jobs"))
# Policies and money (issue 17): the catalog, who is eligible, applications and payments, for
# the same users as the jobs pages.
POLICIES = _Entry("policies", pgettext_lazy("nav", "政策"), "policies:index", _app("policies"))
LEDGER = _Entry("ledger", _("台账"), "ledger:home", _app("ledger"))
AUDIT = _Entry("audit", _("审计日志"), "audit_log", _names("audit_log", "audit_verify"))
# The administrators' one screen (accounts.admin_views): what each may do there differs.
USERS = _Entry(
    "users",
    _("用户管理"),
    "user_list",
    lambda match: match.app_name == "" and (match.url_name or "").startswith("user_"),
)
ADMINS = frozenset({Role.SYSADMIN, Role.SECADMIN})


def _entries(user: Any) -> list[_Entry]:
    """The entries ``user`` can use, in the bar's order."""
    entries = [HOME]
    units = member_units(user)
    if getattr(user, "sees_personal_data", False) and units:
        entries.extend(DATA)
        entries.extend((JOBS, POLICIES))
        if any(rulesets_for(unit) for unit in units):
            entries.extend((STANDARDS, CERTIFICATION))
        entries.extend((MONITORING, LEDGER))
    role = getattr(user, "role", None)
    if role == Role.AUDITOR:
        entries.append(AUDIT)
    if role in ADMINS:
        entries.append(USERS)
    return entries


def nav_items(request: HttpRequest) -> list[NavItem]:
    """The navigation bar's links for the signed-in user (none for a visitor)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    match = getattr(request, "resolver_match", None)
    return [
        NavItem(
            key=entry.key,
            label=str(entry.label),
            url=reverse(entry.url_name),
            active=match is not None and entry.current(match),
        )
        for entry in _entries(user)
    ]


def _user_units(request: HttpRequest) -> list[Any]:
    return member_units(getattr(request, "user", None))


def site(request: HttpRequest) -> dict[str, Any]:
    """``DEMO_MODE`` and, evaluated only if a page shows them, the user's own units and the
    navigation's links."""
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "user_units": SimpleLazyObject(lambda: _user_units(request)),
        "nav_items": SimpleLazyObject(lambda: nav_items(request)),
    }
