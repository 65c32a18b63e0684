"""Account services: one role per user (三权分立), units, deactivation, grants — all audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiuye.accounts import services
from jiuye.accounts.models import Membership, User
from jiuye.audit.models import AuditEntry
from jiuye.audit.services import verify_chain

PW = "Strong-pass-2026"


def test_user_create_from_the_command_line(tree):
    user = services.user_create(
        actor=None,
        username="w1",
        password=PW,
        role="worker",
        units=["110108001001"],
        full_name="王五",
    )
    assert user.role == "worker" and user.full_name == "王五"
    assert [m.unit.code for m in user.memberships.all()] == ["110108001001"]
    assert user.password_changed_at is not None and user.check_password(PW)
    assert user.can_reveal is False and not user.is_superuser and not user.is_staff
    entry = AuditEntry.objects.filter(action="user.create").get()
    assert entry.changes["role"] == [None, "worker"] and PW not in str(entry.changes)
    assert verify_chain() == []


def test_user_create_by_sysadmin_only(personas, tree):
    services.user_create(
        actor=personas["sysadmin"], username="w2", password=PW, role="worker", units=[tree["a"]]
    )
    for who in ("secadmin", "auditor", "district", "worker_a"):
        with pytest.raises(PermissionDenied):
            services.user_create(
                actor=personas[who],
                username=f"x-{who}",
                password=PW,
                role="worker",
                units=[tree["a"]],
            )


def test_one_role_per_user_and_known_roles_only(tree):
    with pytest.raises(ValidationError):
        services.user_create(
            actor=None, username="x", password=PW, role="sysadmin+auditor", units=[]
        )
    # The role is a single column: holding two of sysadmin/secadmin/auditor is not expressible.
    field = User._meta.get_field("role")
    assert not field.many_to_many and field.max_length == 12


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"password": "weakpassword"}, None),
        ({"units": []}, "至少属于一个单位"),
        ({"units": ["999999"]}, "单位代码不存在"),
        ({"username": "bad name!"}, None),
    ],
)
def test_user_create_validation(tree, kwargs, message):
    args = {"username": "w3", "password": PW, "role": "worker", "units": ["110108001001"]}
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        services.user_create(actor=None, **args)
    if message:
        assert any(message in m for m in info.value.messages)
    assert not User.objects.filter(username=args["username"]).exists()
    assert not AuditEntry.objects.filter(action="user.create").exists()


def test_duplicate_username_is_refused(personas, tree):
    with pytest.raises(ValidationError):
        services.user_create(
            actor=None, username="worker_a", password=PW, role="worker", units=[tree["a"]]
        )


def test_temporary_password_forces_a_change(tree):
    user = services.user_create(
        actor=None, username="w4", password=PW, role="worker", units=[tree["a"]], temporary=True
    )
    assert user.password_changed_at is None


def test_sysadmin_cannot_grant_reveal_at_creation(personas, tree):
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=personas["sysadmin"],
            username="w5",
            password=PW,
            role="worker",
            units=[tree["a"]],
            can_reveal=True,
        )


def test_memberships_and_deactivation(personas, tree):
    user, admin = personas["worker_a"], personas["sysadmin"]
    services.membership_add(actor=admin, user=user, unit=tree["b"])
    services.membership_add(actor=admin, user=user, unit=tree["b"])  # idempotent
    assert Membership.objects.filter(user=user).count() == 2
    services.membership_remove(actor=admin, user=user, unit=tree["a"])
    assert list(user.units.values_list("code", flat=True)) == ["110108001002"]
    services.user_deactivate(actor=admin, user=user)
    user.refresh_from_db()
    assert not user.is_active and not user.sees_personal_data
    rows = AuditEntry.objects.filter(object_type="User", object_id=str(user.pk))
    actions = list(rows.values_list("action", flat=True))
    assert actions == ["user.membership_add", "user.membership_remove", "user.deactivate"]
    with pytest.raises(PermissionDenied):
        services.membership_add(actor=personas["worker_b"], user=user, unit=tree["c"])
    with pytest.raises(ValidationError):
        services.user_deactivate(actor=admin, user=admin)


def test_deactivated_user_is_logged_out(client, personas):
    user = personas["worker_a"]
    client.force_login(user)
    assert client.get("/accounts/password/").status_code == 200
    services.user_deactivate(actor=personas["sysadmin"], user=user)
    response = client.get("/accounts/password/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_reveal_is_granted_by_the_security_admin_only(personas):
    worker = personas["worker_a"]
    for who in ("sysadmin", "auditor", "district"):
        with pytest.raises(PermissionDenied):
            services.user_set_reveal(actor=personas[who], user=worker, allowed=True)
    services.user_set_reveal(actor=personas["secadmin"], user=worker, allowed=True)
    worker.refresh_from_db()
    assert worker.can_reveal and worker.may_reveal
    entry = AuditEntry.objects.filter(action="user.can_reveal").get()
    assert entry.changes == {"can_reveal": [False, True]}
    with pytest.raises(ValidationError):  # never for a role without personal data
        services.user_set_reveal(actor=personas["secadmin"], user=personas["auditor"], allowed=True)


def test_second_factor_reset_and_unlock(personas):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = personas["district"]
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    with pytest.raises(PermissionDenied):
        services.user_reset_second_factor(actor=personas["sysadmin"], user=user)
    assert services.user_reset_second_factor(actor=personas["secadmin"], user=user) == 1
    assert not TOTPDevice.objects.filter(user=user).exists()
    services.user_unlock(actor=personas["secadmin"], username="worker_a")
    assert AuditEntry.objects.filter(action__in=["user.otp_reset", "user.unlock"]).count() == 2


def test_units_must_suit_the_role(personas, tree):
    with pytest.raises(ValidationError) as info:
        services.user_create(
            actor=None, username="w6", password=PW, role="street", units=["110108001001"]
        )
    assert info.value.code == "unit_level" and not User.objects.filter(username="w6").exists()
    with pytest.raises(ValidationError):
        services.membership_add(
            actor=personas["sysadmin"], user=personas["grid_a1"], unit=tree["a"]
        )
    assert list(personas["grid_a1"].units.values_list("code", flat=True)) == ["110108001001A1"]


def test_user_set_role_changes_role_and_units_in_one_step(personas, tree):
    admin, worker = personas["sysadmin"], personas["worker_a"]
    services.user_set_role(actor=admin, user=worker, role="grid", units=[tree["a1"], tree["a2"]])
    worker.refresh_from_db()
    assert worker.role == "grid"
    assert sorted(worker.units.values_list("code", flat=True)) == [
        "110108001001A1",
        "110108001001A2",
    ]
    entry = AuditEntry.objects.filter(action="user.role").get()
    assert entry.actor_id == admin.pk and entry.changes["role"] == ["worker", "grid"]
    # the same role and units again: nothing to record
    services.user_set_role(
        actor=admin, user=worker, role="grid", units=["110108001001A2", "110108001001A1"]
    )
    assert AuditEntry.objects.filter(action="user.role").count() == 1


def test_user_set_role_refusals(personas, tree):
    admin, worker = personas["sysadmin"], personas["worker_a"]
    for who in ("secadmin", "auditor", "district", "worker_b"):
        with pytest.raises(PermissionDenied):
            services.user_set_role(actor=personas[who], user=worker, role="district")
    with pytest.raises(PermissionDenied):  # nobody escalates their own role
        services.user_set_role(actor=admin, user=admin, role="secadmin")
    with pytest.raises(ValidationError):  # a community is no unit of a district administrator
        services.user_set_role(actor=admin, user=worker, role="district")
    with pytest.raises(ValidationError):
        services.user_set_role(actor=admin, user=worker, role="worker", units=[])
    with pytest.raises(ValidationError):
        services.user_set_role(actor=admin, user=worker, role="king")
    worker.refresh_from_db()
    assert worker.role == "worker" and not AuditEntry.objects.filter(action="user.role").exists()


def test_reactivation_is_the_sysadmins_and_audited(personas):
    admin, worker = personas["sysadmin"], personas["worker_a"]
    services.user_deactivate(actor=admin, user=worker)
    with pytest.raises(PermissionDenied):
        services.user_reactivate(actor=personas["secadmin"], user=worker)
    services.user_reactivate(actor=admin, user=worker)
    worker.refresh_from_db()
    assert worker.is_active
    assert AuditEntry.objects.filter(action="user.reactivate").count() == 1


def test_nobody_changes_their_own_powers(personas, tree):
    sec, admin = personas["secadmin"], personas["sysadmin"]
    with pytest.raises(PermissionDenied):
        services.user_set_reveal(actor=sec, user=sec, allowed=True)
    with pytest.raises(PermissionDenied):
        services.user_reset_second_factor(actor=sec, user=sec)
    with pytest.raises(PermissionDenied):
        services.membership_add(actor=admin, user=admin, unit=tree["s1"])
    with pytest.raises(PermissionDenied):
        services.membership_remove(actor=admin, user=admin, unit=tree["district"])


def test_the_other_powers_come_from_the_command_line(personas, tree):
    admin = personas["sysadmin"]
    for role in ("secadmin", "auditor"):
        with pytest.raises(PermissionDenied):
            services.user_create(
                actor=admin, username=f"x-{role}", password=PW, role=role, units=[]
            )
        with pytest.raises(PermissionDenied):
            services.user_set_role(actor=admin, user=personas["district"], role=role, units=[])
    with pytest.raises(PermissionDenied):
        services.user_set_role(
            actor=admin, user=personas["auditor"], role="district", units=[tree["district"]]
        )
    with pytest.raises(PermissionDenied):  # no second factor yet: the password would open it
        services.user_set_password(actor=admin, user=personas["secadmin"], password=PW)
    assert services.user_create(actor=None, username="sec2", password=PW, role="secadmin", units=[])
