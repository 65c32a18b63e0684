"""Units API: the units a user may see (their own and everything below; not personal data)."""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Schema
from ninja.pagination import paginate

from jiuye.lib.api_schemas import DETAIL_ERRORS, LIST_ERRORS, Code, Pagination, caller
from jiuye.units.models import Level, Unit
from jiuye.units.scope import units_visible

router = Router(tags=["units"])


class UnitOut(Schema):
    code: str
    name: str
    level: Level
    parent_code: str | None

    @staticmethod
    def resolve_parent_code(obj: Unit) -> str | None:
        return obj.parent.code if obj.parent_id and obj.parent else None


class UnitDetailOut(UnitOut):
    children: list[UnitOut]

    @staticmethod
    def resolve_children(obj: Unit) -> list[Unit]:
        return list(getattr(obj, "visible_children", []))


class UnitFilter(Schema):
    level: Level | None = None
    parent: Code | None = None


@router.get(
    "/",
    response={200: list[UnitOut], **LIST_ERRORS},
    operation_id="unit_list",
    summary="Visible units",
)
@paginate(Pagination)
def unit_list(request: HttpRequest, filters: Query[UnitFilter]) -> QuerySet[Unit]:
    units = units_visible(caller(request)).select_related("parent").order_by("path")
    if filters.level:
        units = units.filter(level=filters.level)
    if filters.parent:
        units = units.filter(parent__code=filters.parent)
    return units


@router.get(
    "/{code}/",
    response={200: UnitDetailOut, **DETAIL_ERRORS},
    operation_id="unit_get",
    summary="One unit with its visible children",
)
def unit_detail(request: HttpRequest, code: Path[Code]) -> Unit:
    visible = units_visible(caller(request))
    unit = get_object_or_404(visible.select_related("parent"), code=code)
    unit.visible_children = list(  # type: ignore[attr-defined]
        visible.filter(parent=unit).select_related("parent").order_by("code")
    )
    return unit
