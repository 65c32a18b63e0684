"""The one jurisdiction scope. Every selector, view, API endpoint, export and job goes through it.

A model opts in by naming, in ``JURISDICTION_PATH``, the lookup that reaches a unit's ``path``
(``Person.JURISDICTION_PATH = "community__path"``), and, if its rows can sit in a grid,
``JURISDICTION_GRID_PATH`` (``"grid__path"``) for users who are members of a grid. A user sees
the objects under any unit they are a member of. It fails closed: an anonymous or inactive user,
a user with no unit, or a role that may not read residents' personal data gets no rows, and
so does a read with no user at all (``None``). A system job (an evaluation for the whole
district, the command line, a nightly sync) says so by passing :data:`SYSTEM`, never by
leaving the user out.

Writes follow the same tree (:func:`may_write`): residents' data is written by the roles that
keep the registry (``writes_residents``: community workers and grid coordinators) inside their
jurisdiction, a grid coordinator only in their grid; everyone else who may read it (the street
and the district) reads and reviews. The services ask :func:`check_write`, the pages ask
:func:`may_write` to show or hide their forms, the ledger importer :func:`write_paths`: one
decision.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from jiuye.units import sharding
from jiuye.units.models import COMMUNITY_LEVELS, TIER, Level, Unit

M = TypeVar("M", bound=Model)


class SystemAccess:
    """The reader of a system job: every row, on purpose (see the module's docstring)."""

    is_authenticated = True
    is_active = True
    sees_personal_data = True
    writes_residents = True

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemAccess()


def member_units(user: Any) -> list[Unit]:
    """The units a user is a member of, in tree order; none for a user who may see nothing.
    Read once per user object (a request's user): the navigation, the home page, the worklist
    card and the scope all ask for them."""
    if user is None or user is SYSTEM:
        return []
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached: list[Unit] | None = getattr(user, "_member_units", None)
    if cached is None:
        cached = list(Unit.objects.filter(memberships__user=user).order_by("path").distinct())
        user._member_units = cached
    return cached


def jurisdiction_units(user: Any) -> list[tuple[str, str]]:
    """(path, level) of the units a user is a member of (empty if they may see nothing)."""
    return [(unit.path, unit.level) for unit in member_units(user)]


def jurisdiction_paths(user: Any) -> list[str]:
    """The paths of the units a user is a member of (empty if they may see nothing)."""
    return [path for path, _level in jurisdiction_units(user)]


def sees_all_of(user: Any, unit: Unit) -> bool:
    """Whether ``user`` sees every person and household of ``unit`` (a member of it or of a
    unit above it, other than a grid, with a data role): then a count of the unit's rows kept
    elsewhere (the standards' aggregates) is the count of what they may see."""
    if user is SYSTEM:
        return True
    if not getattr(user, "sees_personal_data", False):
        return False
    return any(
        level != Level.GRID and unit.path.startswith(path)
        for path, level in jurisdiction_units(user)
    )


def scope_to_jurisdiction(
    queryset: QuerySet[M], user: Any, *, personal: bool = True
) -> QuerySet[M]:
    """Restrict ``queryset`` to the user's jurisdiction; ``personal`` rows need a data role."""
    model = queryset.model
    lookup = getattr(model, "JURISDICTION_PATH", None)
    if lookup is None:
        raise TypeError(f"{model.__name__} declares no JURISDICTION_PATH")
    if user is SYSTEM:
        return queryset
    if personal and not getattr(user, "sees_personal_data", False):
        return queryset.none()
    units = jurisdiction_units(user)
    if not units:
        return queryset.none()
    grid_lookup = getattr(model, "JURISDICTION_GRID_PATH", None)
    grid_paths = {path for path, level in units if level == Level.GRID}
    by_lookup: dict[str, list[str]] = {}
    for path in _outermost([path for path, _level in units]):
        # A grid member sees the rows placed in that grid; everyone else, rows under the unit.
        use = grid_lookup if grid_lookup and path in grid_paths else lookup
        by_lookup.setdefault(use, []).append(path)
    scoped = queryset.filter(
        reduce(or_, (_within(use, paths, user) for use, paths in by_lookup.items()))
    )
    return _within_districts(scoped, user)


def _within_districts(queryset: QuerySet[M], user: Any) -> QuerySet[M]:
    """On Citus, also name the districts of the user's units for a district-owned model: the
    rows are the same, and Citus then sends the query to the shards of those districts only
    (one node for a worker's, a street's or a district's page) instead of to every shard."""
    if not sharding.citus() or not issubclass(queryset.model, sharding.DistrictOwned):
        return queryset
    districts = _user_districts(user)
    if districts is None:
        return queryset
    if len(districts) == 1:
        return queryset.filter(district_id=districts[0])
    return queryset.filter(district_id__in=districts)


def _user_districts(user: Any) -> list[int] | None:
    """The districts the user's units lie in (kept on the user object), or None when one of
    the units lies above the districts (a city's user reads every district's shards)."""
    cached: list[int] | None = getattr(user, "_districts", None)
    if cached is not None:
        return cached
    units = member_units(user)
    if not units or any(unit.tier < TIER[Level.DISTRICT] for unit in units):
        return None
    user._districts = sorted({sharding.district_of(unit.pk) for unit in units})
    return list(user._districts)


def _within(lookup: str, paths: list[str], user: Any) -> Q:
    """Rows whose unit (reached by ``lookup``, ending in ``path``) lies under one of ``paths``.

    For a foreign key this is ``unit_id IN (ids)`` with the ids of the units under the paths
    read once per user object (:func:`_unit_ids`): the small unit table is matched once instead
    of prefix-matching for every row, and the planner sees how few units there are. With a
    sub-select instead it guessed a street's 12 communities to be 214 and walked the whole
    person index in id order to find a page of them (610 ms against 2 ms at 1M persons).
    """
    if lookup == "path":
        return _prefixes(paths)
    relation = lookup.removesuffix("__path")
    levels = _TARGET_LEVELS.get(relation.rsplit("__", 1)[-1])
    return Q(**{f"{relation}__in": _unit_ids(paths, user, levels)})


def _prefixes(paths: list[str]) -> Q:
    return reduce(or_, (Q(path__startswith=p) for p in paths))


# The levels a unit foreign key can point to, by its name ("person__community": communities
# and villages), so a district's persons are matched against its ~500 communities and not also
# its ~2,500 grids; any other relation (``unit``): every level.
_TARGET_LEVELS = {
    "community": COMMUNITY_LEVELS,
    "grid": (Level.GRID,),
}


def _unit_ids(paths: list[str], user: Any, levels: tuple[str, ...] | None) -> list[int]:
    """The ids of the units (of ``levels``, or all) under ``paths``, kept on the user object
    for the request (units are added by an administrator's command, never while a page is
    being answered)."""
    cache: dict[tuple[Any, ...], list[int]] | None = getattr(user, "_jurisdiction_ids", None)
    if cache is None:
        cache = user._jurisdiction_ids = {}
    key = (levels, *paths)
    if key not in cache:
        units = Unit.objects.filter(_prefixes(paths))
        if levels is not None:
            units = units.filter(level__in=levels)
        cache[key] = list(units.order_by("pk").values_list("pk", flat=True))
    return cache[key]


def _outermost(paths: list[str]) -> list[str]:
    """Drop paths that lie under another of the user's paths (fewer OR terms, same rows)."""
    kept: list[str] = []
    for path in sorted(paths, key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def units_visible(user: Any) -> QuerySet[Unit]:
    """Units a user may see: their own and everything below (not personal data)."""
    return scope_to_jurisdiction(Unit.objects.all(), user, personal=False)


# ---------------------------------------------------------------------------------------------
# Writes (issue 11, finding 4)
# ---------------------------------------------------------------------------------------------


# The units whose members keep the registry: a community or village, and a grid.
WRITING_LEVELS = frozenset({Level.COMMUNITY, Level.VILLAGE, Level.GRID})


def write_paths(user: Any) -> list[str] | None:
    """The unit paths under which ``user`` may write residents' data: ``None`` for
    :data:`SYSTEM` (anywhere), none for a role that only reads (street, district) or none at all.
    Only memberships of a community, village or grid count (a worker made a member of a street
    by mistake does not write the whole street); a grid coordinator's path is their grid's, so a
    row outside the grid is not under it."""
    if user is SYSTEM:
        return None
    if not getattr(user, "writes_residents", False):
        return []
    return [path for path, level in jurisdiction_units(user) if level in WRITING_LEVELS]


def may_write(user: Any, unit: Unit | None) -> bool:
    """Whether ``user`` may write residents' data placed in ``unit``: a person's or household's
    grid if it has one, else its community (``registry.services.placement``)."""
    if unit is None:
        return False
    paths = write_paths(user)
    return paths is None or any(unit.path.startswith(path) for path in paths)


def check_writer(actor: Any) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` has a role that writes residents' data at
    all (a page that only starts a write, such as a ledger upload). ``None``: a system job."""
    if actor is None or actor is SYSTEM or getattr(actor, "writes_residents", False):
        return
    raise PermissionDenied(
        _(
            "居民的登记和服务数据只能由所在社区的社区工作者或网格协管员录入和修改；"
            "您的角色只能查阅和审核。"
        )
    )


def check_write(actor: Any, unit: Unit | None) -> None:
    """The services' guard: raise ``PermissionDenied`` (a 403 page, in these words) unless
    ``actor`` may write residents' data in ``unit``. ``None`` is a system job (the command
    line's import, the seed, a sync), as a service's ``actor=None`` has always meant."""
    if actor is None or may_write(actor, unit):
        return
    check_writer(actor)
    raise PermissionDenied(_("该居民不在您的管辖范围内，您不能修改其数据。"))
