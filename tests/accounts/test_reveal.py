"""Revealing a full ID or phone number: permission, jurisdiction, reason, audit row."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jiuye.accounts.models import User
from jiuye.accounts.reveal import audit_export, reveal_personal
from jiuye.audit.models import AuditEntry
from jiuye.audit.services import verify_chain
from jiuye.lib.masking import mask_id_number
from tests.conftest import FAKE_PHONE


def grant(user):
    User.objects.filter(pk=user.pk).update(can_reveal=True)
    user.refresh_from_db()
    return user


@pytest.mark.parametrize("who", ["worker_a", "grid_a1", "street", "district"])
def test_granted_data_roles_in_jurisdiction_see_the_full_value(personas, person, who):
    actor = grant(personas[who])
    value = reveal_personal(
        actor=actor, person=person, field="id_number", reason="核实低保申请材料"
    )
    assert value == person.id_number
    assert (
        reveal_personal(actor=actor, person=person, field="phone", reason="电话回访") == FAKE_PHONE
    )
    rows = AuditEntry.objects.filter(action="person.reveal", actor_id=actor.pk).order_by("id")
    assert [r.changes["field"] for r in rows] == ["id_number", "phone"]
    first = rows[0]
    assert first.result == "ok" and first.changes["reason"] == "核实低保申请材料"
    assert first.object_type == "Person" and first.object_id == str(person.pk)
    assert first.unit_path == person.community.path
    # the revealed value itself is never written to the log
    assert person.id_number not in str(first.changes) and person.id_number not in str(
        first.object_repr
    )
    assert verify_chain() == []


def test_reveal_is_off_by_default(personas, person):
    with pytest.raises(PermissionDenied):
        reveal_personal(
            actor=personas["worker_a"], person=person, field="id_number", reason="核实身份信息"
        )
    denied = AuditEntry.objects.get(action="person.reveal")
    assert denied.result == "denied" and denied.changes["reason"] == "核实身份信息"


@pytest.mark.parametrize("reason", ["", "   ", "查看"])
def test_reveal_needs_a_reason_of_four_characters(personas, person, reason):
    actor = grant(personas["worker_a"])
    with pytest.raises(ValidationError):
        reveal_personal(actor=actor, person=person, field="phone", reason=reason)
    assert AuditEntry.objects.get(action="person.reveal").result == "no_reason"


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor", "worker_b", "nobody"])
def test_no_reveal_outside_the_jurisdiction_or_without_a_data_role(personas, person, who):
    actor = grant(personas[who])  # even a (mistaken) grant does not help
    with pytest.raises(Http404):
        reveal_personal(actor=actor, person=person, field="id_number", reason="核实身份信息")
    assert AuditEntry.objects.get(action="person.reveal").result == "not_found"


def test_inactive_user_cannot_reveal(personas, person):
    actor = grant(personas["worker_a"])
    User.objects.filter(pk=actor.pk).update(is_active=False)
    actor.refresh_from_db()
    with pytest.raises(Http404):
        reveal_personal(actor=actor, person=person, field="id_number", reason="核实身份信息")


def test_only_id_number_and_phone_can_be_revealed(personas, person):
    actor = grant(personas["worker_a"])
    with pytest.raises(ValueError):
        reveal_personal(actor=actor, person=person, field="name", reason="核实身份信息")  # type: ignore[arg-type]


def test_a_reason_quoting_the_number_is_masked_in_the_log(personas, person):
    actor = grant(personas["worker_a"])
    reveal_personal(
        actor=actor, person=person, field="id_number", reason=f"核对 {person.id_number} 是否一致"
    )
    entry = AuditEntry.objects.get(action="person.reveal")
    assert person.id_number not in entry.changes["reason"]
    assert mask_id_number(person.id_number) in entry.changes["reason"]


def test_exports_are_audited_with_filter_and_row_count(personas, tree):
    entry = audit_export(
        actor=personas["street"],
        what="ledgers",
        filters={"unit": "110108001", "status": "unemployed"},
        rows=42,
        unit=tree["s1"],
    )
    assert entry.action == "export"
    assert entry.changes == {
        "what": "ledgers",
        "filters": {"unit": "110108001", "status": "unemployed"},
        "rows": 42,
    }
    assert entry.unit_path == tree["s1"].path and entry.actor_name == "street_s1"
