"""The audit log in words (issue 13): action labels, changes old → new side by side, units and
users by name, filters by user, action, unit and dates, and the audited Excel export."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jiuye.audit.models import AuditEntry
from jiuye.audit.services import audit_record
from tests.conftest import make_id

FULL_ID = make_id(date(1990, 5, 17))
FULL_PHONE = "13912345678"


def _named(user: Any, full_name: str) -> Any:
    type(user).objects.filter(pk=user.pk).update(full_name=full_name)
    user.refresh_from_db()
    return user


def _page(client: Any, personas: dict[str, Any], **params: Any) -> Any:
    client.force_login(personas["auditor"])
    response = client.get(reverse("audit_log"), params)
    assert response.status_code == 200
    return response


def _rows(response: Any) -> list[AuditEntry]:
    return list(response.context["page"].object_list)


def _workbook(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(BytesIO(content)).active
    return list(sheet.iter_rows(values_only=True))


def test_the_page_shows_labels_names_and_changes_side_by_side(client, personas, tree):
    worker = _named(personas["worker_a"], "王芳")
    audit_record(
        actor=worker,
        action="person.update",
        unit=tree["a"],
        changes={"name": ["张三", "张四"], "ip": [None, "127.0.0.1"], "reason": "核对"},
    )
    response = _page(client, personas, action="person.update")
    page = response.content.decode()
    (entry,) = _rows(response)
    assert entry.label == "修改人员信息"
    assert entry.actor_shown == "王芳（worker_a）"
    assert entry.unit_shown == "翠微社区（110108001001）"
    assert (
        "修改人员信息" in page and "王芳（worker_a）" in page and "翠微社区（110108001001）" in page
    )
    assert "/110108/" not in page  # no unit path
    assert "{&#x27;" not in page and "{'" not in page  # no raw dict
    rows = {c.label: c for c in entry.change_rows}
    assert (rows["姓名"].old, rows["姓名"].new, rows["姓名"].pair) == ("张三", "张四", True)
    assert (rows["IP 地址"].old, rows["IP 地址"].new) == ("—", "127.0.0.1")
    assert rows["理由"].value == "核对" and not rows["理由"].pair
    assert '<td class="audit-old"><del>张三</del></td><td class="audit-new">张四</td>' in page
    # the time in Asia/Shanghai through local_time, to the minute
    local = timezone.localtime(entry.at)
    assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in page


def test_an_unknown_action_is_shown_as_its_code(client, personas):
    audit_record(actor=None, action="legacy.thing", changes={"n": [1, 2]})
    response = _page(client, personas, action="legacy")
    (entry,) = _rows(response)
    assert entry.label == "legacy.thing" and entry.actor_shown == "系统"


def test_filter_by_user_name_or_username(client, personas):
    _named(personas["worker_a"], "王芳")
    audit_record(actor=personas["worker_a"], action="person.update")
    audit_record(actor=personas["street"], action="person.update")
    by_name = _rows(_page(client, personas, actor="王芳", action="person.update"))
    by_username = _rows(_page(client, personas, actor="street_s1", action="person.update"))
    assert [e.actor_name for e in by_name] == ["worker_a"]
    assert [e.actor_name for e in by_username] == ["street_s1"]


def test_filter_by_action_is_exact_for_a_labelled_code(client, personas):
    audit_record(actor=personas["worker_a"], action="person.status")
    audit_record(actor=personas["worker_a"], action="person.status_delete")
    response = _page(client, personas, action="person.status")
    assert [e.action for e in _rows(response)] == ["person.status"]
    assert '<option value="person.status" selected>' in response.content.decode()
    prefix = _rows(_page(client, personas, action="person.status_"))
    assert [e.action for e in prefix] == ["person.status_delete"]


def test_filter_by_unit_takes_the_units_below(client, personas, tree):
    for unit in (tree["a"], tree["a1"], tree["b"], tree["c"]):
        audit_record(actor=personas["district"], action="service.create", unit=unit)
    s1 = _rows(_page(client, personas, unit="110108001", action="service.create"))
    assert {e.unit_path for e in s1} == {tree["a"].path, tree["a1"].path, tree["b"].path}
    a = _rows(_page(client, personas, unit="110108001001", action="service.create"))
    assert {e.unit_path for e in a} == {tree["a"].path, tree["a1"].path}
    bad = _page(client, personas, unit="999")
    assert "没有代码为 999 的单位" in bad.content.decode()


def test_filter_by_date_range(client, personas):
    old = timezone.now() - timedelta(days=10)
    audit_record(actor=personas["worker_a"], action="service.delete", at=old)
    audit_record(actor=personas["worker_a"], action="service.delete")
    day = timezone.localtime(old).date().isoformat()
    rows = _rows(_page(client, personas, action="service.delete", date_from=day, date_to=day))
    assert len(rows) == 1 and rows[0].at == old


def test_the_page_costs_the_same_queries_for_many_units_and_users(client, personas, tree):
    client.force_login(personas["auditor"])
    audit_record(actor=personas["worker_a"], action="service.create", unit=tree["a"])
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("audit_log"), {"action": "service.create"})
    units = [tree[k] for k in ("a", "a1", "a2", "b", "c", "s1", "s2")]
    users = [personas[k] for k in ("worker_a", "worker_b", "grid_a1", "street", "district")]
    for i in range(40):
        audit_record(actor=users[i % 5], action="service.create", unit=units[i % 7])
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("audit_log"), {"action": "service.create"})
    assert len(_rows(response)) == 41
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_export_holds_the_filtered_log_and_is_audited(client, personas, tree):
    worker = _named(personas["worker_a"], "王芳")
    audit_record(
        actor=worker, action="person.update", unit=tree["a"], changes={"name": ["张三", "张四"]}
    )
    audit_record(actor=personas["street"], action="person.update", unit=tree["c"])
    audit_record(actor=worker, action="service.create", unit=tree["a"])
    client.force_login(personas["auditor"])
    before = AuditEntry.objects.count()
    response = client.get(reverse("audit_export"), {"action": "person.update", "unit": "110108001"})
    rows = _workbook(response)
    assert rows[0] == ("时间", "操作人", "操作", "对象", "单位", "变更", "结果")
    assert len(rows) == 2
    at, who, label, _obj, unit, changes, result = rows[1]
    entry = AuditEntry.objects.get(action="person.update", actor=worker)
    assert abs((at - timezone.localtime(entry.at).replace(tzinfo=None)).total_seconds()) < 1
    assert (who, label, unit, result) == (
        "王芳（worker_a）",
        "修改人员信息",
        "翠微社区（110108001001）",
        "成功",
    )
    assert changes == "姓名: 张三 → 张四"
    # the export's own entry: who, the filters, the count
    assert AuditEntry.objects.count() == before + 1
    record = AuditEntry.objects.order_by("-id").first()
    assert record.action == "audit.export" and record.actor == personas["auditor"]
    assert record.changes == {
        "filters": {"action": "person.update", "unit": tree["s1"].path},
        "rows": 1,
    }


def test_the_export_beyond_the_cap_is_refused_with_a_message(client, personas, monkeypatch):
    from jiuye.audit import export, views

    monkeypatch.setattr(export, "EXPORT_LIMIT", 2)
    monkeypatch.setattr(views, "EXPORT_LIMIT", 2)
    for i in range(3):
        audit_record(actor=None, action=f"bulk.{i}")
    client.force_login(personas["auditor"])
    before = AuditEntry.objects.count()
    response = client.get(reverse("audit_export"), {"action": "bulk"}, follow=True)
    assert response.status_code == 200
    assert "超过 2 条，无法导出" in response.content.decode()
    assert AuditEntry.objects.count() == before  # nothing exported, nothing recorded


def test_the_export_with_bad_filters_says_so(client, personas):
    client.force_login(personas["auditor"])
    response = client.get(
        reverse("audit_export"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "筛选条件有误" in page and "不能晚于" in page


@pytest.mark.parametrize(
    "who", ["worker_a", "grid_a1", "street", "district", "sysadmin", "secadmin", "nobody"]
)
def test_only_the_auditor_exports(client, personas, who):
    client.force_login(personas[who])
    before = AuditEntry.objects.count()
    assert client.get(reverse("audit_export")).status_code == 404
    assert AuditEntry.objects.filter(action="audit.export").count() == 0
    assert AuditEntry.objects.count() == before


def test_the_export_needs_a_login(client, db):
    response = client.get(reverse("audit_export"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def _legacy_entry(**fields: Any) -> AuditEntry:
    """A row as an older version might have written it, numbers unmasked (bypassing
    ``audit_record``, which masks them)."""
    values = {
        "at": timezone.now(),
        "actor_name": "worker_a",
        "action": "person.update",
        "prev_hash": "0" * 64,
        "hash": f"{AuditEntry.objects.count():064d}",
        **fields,
    }
    entry = AuditEntry(**values)
    entry.save()
    return entry


def test_no_full_id_or_phone_number_in_page_or_export(client, personas, tree):
    person = type("Person", (), {"pk": 7, "__str__": lambda self: f"张三 {FULL_ID}"})()
    audit_record(
        actor=personas["worker_a"],
        action="person.update",
        obj=person,
        unit=tree["a"],
        changes={"id_number": [FULL_ID, None], "phone": [None, FULL_PHONE]},
    )
    _legacy_entry(
        object_type="Person",
        object_id="8",
        object_repr=f"李四 {FULL_ID}",
        unit_path=tree["a"].path,
        changes={"id_number": [None, FULL_ID], "phone": FULL_PHONE, "note": [FULL_PHONE, "x"]},
    )
    page = _page(client, personas, action="person.update").content.decode()
    assert "person.update" in page
    assert FULL_ID not in page and FULL_PHONE not in page
    assert "139****5678" in page
    assert ">人员 8</a> 李四 11" in page  # the object's kind in words, its name masked
    response = client.get(reverse("audit_export"), {"action": "person.update"})
    rows = _workbook(response)
    assert len(rows) == 3
    text = " ".join(str(cell) for row in rows for cell in row)
    assert FULL_ID not in text and FULL_PHONE not in text
    assert "139****5678" in text


def test_the_export_is_read_with_get_only(client, personas):
    client.force_login(personas["auditor"])
    assert client.post(reverse("audit_export")).status_code == 405
    client.force_login(personas["worker_a"])
    assert client.post(reverse("audit_export")).status_code == 404
