"""Writes to the unit tree."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from jiuye.audit.services import audit_record
from jiuye.units.models import TIER, Level, Unit


def unit_path(*, code: str, parent: Unit | None) -> str:
    return f"{parent.path if parent else '/'}{code}/"


def validate_unit_placement(*, code: str, level: str, parent: Unit | None) -> None:
    """A unit sits one tier below its parent (a city or district may be a root)."""
    if not code or not code.isalnum():
        raise ValidationError(f"单位代码 {code!r} 只能由数字或字母组成")
    tier = TIER[Level(level)]
    if parent is None:
        if tier > TIER[Level.DISTRICT]:
            raise ValidationError(f"{Level(level).label}必须有上级单位")
        return
    if tier != parent.tier + 1:
        raise ValidationError(f"{Level(level).label}不能直接隶属于{Level(parent.level).label}")


@transaction.atomic
def unit_create(
    *, actor: object | None, code: str, name: str, level: str, parent: Unit | None = None
) -> Unit:
    validate_unit_placement(code=code, level=level, parent=parent)
    unit = Unit.objects.create(
        code=code, name=name, level=level, parent=parent, path=unit_path(code=code, parent=parent)
    )
    audit_record(
        actor=actor,
        action="unit.create",
        obj=unit,
        unit=unit,
        changes={"code": [None, code], "name": [None, name], "level": [None, level]},
    )
    return unit
