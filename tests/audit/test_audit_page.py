"""The audit log page: the auditor only (三权分立); everybody else gets 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jiuye.audit.models import AuditEntry
from jiuye.audit.services import audit_record


@pytest.mark.parametrize(
    "who", ["worker_a", "grid_a1", "street", "district", "sysadmin", "secadmin", "nobody"]
)
def test_only_the_auditor_sees_the_page(client, personas, who):
    client.force_login(personas[who])
    assert client.get("/accounts/audit/").status_code == 404
    assert client.get("/accounts/audit/verify/").status_code == 404


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/accounts/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_auditor_sees_entries(client, personas):
    client.force_login(personas["auditor"])
    response = client.get("/accounts/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "unit.create" in page and "account.login" in page
    assert 'id="audit-table"' in page


def test_filters_by_actor_action_result_and_date(client, personas):
    worker = personas["worker_a"]
    old = timezone.now() - timedelta(days=40)
    audit_record(actor=worker, action="person.reveal", changes={"field": "phone"}, at=old)
    audit_record(actor=worker, action="person.update", changes={"name": ["a", "b"]})
    audit_record(actor=personas["street"], action="person.reveal", result="denied")
    client.force_login(personas["auditor"])

    def rows(**params):
        response = client.get("/accounts/audit/", params)
        assert response.status_code == 200
        return list(response.context["page"].object_list)

    assert {e.action for e in rows(actor="worker_a")} == {"person.reveal", "person.update"}
    assert {e.actor_name for e in rows(action="person.reveal")} == {"worker_a", "street_s1"}
    assert len(rows(action="person")) == 3
    assert [e.actor_name for e in rows(result="denied")] == ["street_s1"]
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    recent = rows(date_from=since, actor="worker_a")
    assert [e.action for e in recent] == ["person.update"]
    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert [e.action for e in rows(date_to=until)] == ["person.reveal"]
    bad = client.get("/accounts/audit/", {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert bad.status_code == 200 and "不能晚于" in bad.content.decode()


def test_pagination(client, personas):
    for i in range(120):
        audit_record(actor=None, action=f"bulk.{i}")
    client.force_login(personas["auditor"])
    first = client.get("/accounts/audit/", {"action": "bulk"})
    page = first.context["page"]
    assert len(page.object_list) == 50 and page.paginator.count == 120
    assert page.object_list[0].action == "bulk.119"  # newest first
    third = client.get("/accounts/audit/", {"action": "bulk", "page": 3}).context["page"]
    assert len(third.object_list) == 20
    assert "action=bulk&amp;page=2" in first.content.decode()


def test_auditor_can_check_the_chain_from_the_page(client, personas):
    client.force_login(personas["auditor"])
    response = client.get("/accounts/audit/verify/")
    assert response.status_code == 200
    count = AuditEntry.objects.count()
    assert f"审计日志完整（{count}条）" in response.content.decode()


def test_auditor_sees_no_personal_data(personas):
    from jiuye.registry.selectors import persons_visible

    assert not personas["auditor"].sees_personal_data
    assert persons_visible(user=personas["auditor"]).count() == 0
