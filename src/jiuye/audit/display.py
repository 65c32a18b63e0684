"""An audit entry for people: its changes old → new, its unit's name, its user's name.

``changes`` has several shapes (``audit.services``): a write's ``field → [old, new]``; a read's
``persons`` / ``households`` (ids) with ``count``, ``page``, ``part``; an export's ``what``,
``filters`` and ``rows``; a checkpoint's ``heads``; and plain ``field → value`` (a reveal's
field and reason). A pair is shown old and new side by side; anything else as one value.

Personal numbers are masked when the entry is written; every value shown here passes through
``mask_text`` again, so an entry of an older version cannot show a full ID or phone number.

The unit and the user of a page's entries are resolved in one query each (by their unit path
and their user id). ``audit`` sits below ``units`` and ``accounts`` (DESIGN.md "Layout"), so
their models are looked up through the app registry, read only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiuye.audit.actions import action_label
from jiuye.audit.models import AuditEntry
from jiuye.lib.masking import mask_text

SHOWN_IDS = 20  # ids of a read shown (the person filter searches them all)
ID_LISTS = ("persons", "households")

FIELD_LABELS: dict[str, str | Promise] = {
    "name": gettext_lazy("姓名"),
    "full_name": gettext_lazy("姓名"),
    "id_number": gettext_lazy("身份证号"),
    "phone": gettext_lazy("电话"),
    "gender": gettext_lazy("性别"),
    "birth_date": gettext_lazy("出生日期"),
    "address": gettext_lazy("地址"),
    "household": gettext_lazy("家庭"),
    "number": gettext_lazy("编号"),
    "unit": gettext_lazy("单位"),
    "community": gettext_lazy("社区"),
    "grid": gettext_lazy("网格"),
    "status": gettext_lazy("状态"),
    "since": gettext_lazy("起始日期"),
    "ended_on": gettext_lazy("结束日期"),
    "event": gettext_lazy("事件"),
    "role": gettext_lazy("角色"),
    "is_active": gettext_lazy("启用"),
    "can_reveal": gettext_lazy("可查看完整号码"),
    "password": gettext_lazy("密码"),
    "temporary": gettext_lazy("临时密码"),
    "username": gettext_lazy("用户名"),
    "attempts": gettext_lazy("失败次数"),
    "devices": gettext_lazy("验证设备"),
    "device": gettext_lazy("验证设备"),
    "field": gettext_lazy("字段"),
    "reason": gettext_lazy("理由"),
    "ip": gettext_lazy("IP 地址"),
    "persons": gettext_lazy("人员编号"),
    "households": gettext_lazy("家庭编号"),
    "count": gettext_lazy("人数"),
    "page": gettext_lazy("页码"),
    "part": gettext_lazy("分段"),
    "what": gettext_lazy("内容"),
    "filters": gettext_lazy("筛选条件"),
    "rows": gettext_lazy("行数"),
    "heads": gettext_lazy("各链末条"),
    "case": gettext_lazy("案例"),
    "files": gettext_lazy("文件"),
    "sha256": gettext_lazy("文件摘要"),
    "mode": gettext_lazy("方式"),
    "counts": gettext_lazy("计数"),
}


OBJECT_LABELS: dict[str, str | Promise] = {
    "Person": gettext_lazy("人员"),
    "Household": gettext_lazy("家庭"),
    "User": gettext_lazy("用户"),
    "Unit": gettext_lazy("单位"),
    "ApiToken": gettext_lazy("接口令牌"),
    "ServiceRecord": gettext_lazy("服务记录"),
    "AssistanceCase": gettext_lazy("就业援助"),
    "ZeroFamilyCase": gettext_lazy("零就业家庭"),
    "UnemployedProfile": gettext_lazy("求职意向"),
    "StatusEvent": gettext_lazy("就业状态"),
    "DifficultyRecognition": gettext_lazy("身份认定"),
    "Certification": gettext_lazy("达标认定"),
    "ChecklistTick": gettext_lazy("达标勾选"),
    "Application": gettext_lazy("认定申请"),
    "EvidenceFile": gettext_lazy("佐证材料"),
    "Recheck": gettext_lazy("年度复核"),
    "EarlyWarning": gettext_lazy("预警"),
    "Employer": gettext_lazy("用人单位"),
    "Posting": gettext_lazy("岗位"),
    "Referral": gettext_lazy("推荐"),
    "ImportJob": gettext_lazy("导入任务"),
    "ExportJob": gettext_lazy("导出任务"),
}


def object_label(object_type: str) -> str:
    label = OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type


def field_label(key: str) -> str:
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else key


def as_text(value: Any) -> str:
    """One value as text, masked: none is "—", lists and dicts are spelled out."""
    if value is None or value == "":
        return "—"
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    if isinstance(value, dict):
        return "; ".join(f"{field_label(str(k))}: {as_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(as_text(v) for v in value)
    return mask_text(str(value))


@dataclass(frozen=True)
class Change:
    """One line of an entry's changes: a pair (``old`` → ``new``) or one ``value``."""

    label: str
    old: str = ""
    new: str = ""
    value: str = ""
    pair: bool = False


def _ids(key: str, ids: list[Any]) -> str:
    if len(ids) > SHOWN_IDS:
        shown = ", ".join(str(i) for i in ids[:SHOWN_IDS])
        return _("%(ids)s …（共 %(n)s 个）") % {"ids": shown, "n": len(ids)}
    return as_text(ids)


def change_rows(changes: Any) -> list[Change]:
    """An entry's changes as lines: field label, old, new (or one value)."""
    if not changes:
        return []
    if not isinstance(changes, dict):
        return [Change(label="", value=as_text(changes))]
    rows = []
    for key, value in changes.items():
        label = field_label(str(key))
        if key in ID_LISTS and isinstance(value, list):
            rows.append(Change(label=label, value=_ids(key, value)))
        elif key != "part" and isinstance(value, list) and len(value) == 2:
            rows.append(
                Change(label=label, old=as_text(value[0]), new=as_text(value[1]), pair=True)
            )
        else:
            rows.append(Change(label=label, value=as_text(value)))
    return rows


def _line(row: Change) -> str:
    text = f"{row.old} → {row.new}" if row.pair else row.value
    return f"{row.label}: {text}" if row.label else text


def change_text(changes: Any) -> str:
    """The changes on one line of text (the export): "姓名: 张三 → 张四; 理由: …"."""
    return "; ".join(_line(row) for row in change_rows(changes))


def unit_names(paths: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Unit path → (name, code) for the given paths, in one query."""
    wanted = {p for p in paths if p}
    if not wanted:
        return {}
    unit = apps.get_model("units", "Unit")
    rows = unit.objects.filter(path__in=wanted).values_list("path", "name", "code")
    return {path: (name, code) for path, name, code in rows}


def user_names(ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    """User id → (full name, username) for the given ids, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = get_user_model().objects.filter(pk__in=wanted).values_list("pk", "full_name", "username")
    return {pk: (full_name, username) for pk, full_name, username in rows}


def unit_text(path: str, units: dict[str, tuple[str, str]]) -> str:
    if not path:
        return ""
    if path in units:
        name, code = units[path]
        return f"{name}（{code}）"
    code = path.strip("/").rsplit("/", 1)[-1]
    return code or path  # a chain's name, or a unit since removed: its code


def actor_text(entry: AuditEntry, users: dict[int, tuple[str, str]]) -> str:
    if entry.actor_id is not None and entry.actor_id in users:
        full_name, username = users[entry.actor_id]
        return f"{full_name}（{username}）" if full_name else username
    if entry.actor_id is None and entry.actor_name == "system":
        return _("系统")
    return mask_text(entry.actor_name)


def object_text(entry: AuditEntry) -> str:
    """ "人员 7 张三 11**…": the object's kind, its id and its name (masked)."""
    parts = [object_label(entry.object_type), entry.object_id, mask_text(entry.object_repr)]
    return " ".join(p for p in parts if p)


def decorate(entries: Sequence[AuditEntry]) -> None:
    """Attach the words a page shows to each entry: ``label``, ``actor_shown``,
    ``unit_shown``, ``change_rows`` (two queries for the lot)."""
    units = unit_names(e.unit_path for e in entries)
    users = user_names(e.actor_id for e in entries)
    for entry in entries:
        entry.label = action_label(entry.action)  # type: ignore[attr-defined]
        entry.actor_shown = actor_text(entry, users)  # type: ignore[attr-defined]
        entry.unit_shown = unit_text(entry.unit_path, units)  # type: ignore[attr-defined]
        entry.object_shown = object_text(entry)  # type: ignore[attr-defined]
        entry.type_shown = object_label(entry.object_type)  # type: ignore[attr-defined]
        entry.repr_shown = mask_text(entry.object_repr)  # type: ignore[attr-defined]
        entry.change_rows = change_rows(entry.changes)  # type: ignore[attr-defined]
