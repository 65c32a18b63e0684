"""The administration screens, 三权分立 on each: the system administrator manages accounts, the
security administrator their permissions, the auditor (and every other role) sees neither (404).
Every write goes through its service and leaves an audit row; bad input comes back on its
field; nobody changes their own powers."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiuye.accounts.models import User
from jiuye.audit.models import AuditEntry
from tests.accounts.conftest import PASSWORD, login

TEMP = "Temp-pass-2026x"
EVERY_ROLE = ["worker_a", "grid_a1", "street", "district", "sysadmin", "secadmin", "auditor"]


@pytest.fixture(autouse=True)
def _demo(settings):
    """The second factor is the account policy's business (test_two_factor), not these pages'."""
    settings.DEMO_MODE = True


def as_(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def rows(action: str, **filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, **filters))


def actions_of(user: User) -> list[str]:
    """The account writes ``user`` made, in order (not their own sign-in)."""
    entries = AuditEntry.objects.filter(actor_id=user.pk, action__startswith="user.")
    return list(entries.order_by("pk").values_list("action", flat=True))


def screens(personas, tree) -> list[tuple[str, str, str, dict]]:
    """(method, url, the one role that may use it — or "both", POST data)."""
    pk = personas["worker_a"].pk
    unit = tree["a"].pk
    return [
        ("get", reverse("user_list"), "both", {}),
        ("get", reverse("user_detail", args=[pk]), "both", {}),
        ("get", reverse("user_create"), "sysadmin", {}),
        ("post", reverse("user_create"), "sysadmin", {"username": "x1", "role": "worker"}),
        ("post", reverse("user_active", args=[pk]), "sysadmin", {"active": "0"}),
        ("post", reverse("user_role", args=[pk]), "sysadmin", {"role": "district"}),
        ("post", reverse("user_membership_add", args=[pk]), "sysadmin", {"unit": "110108001002"}),
        ("post", reverse("user_membership_remove", args=[pk, unit]), "sysadmin", {}),
        ("post", reverse("user_password_reset", args=[pk]), "sysadmin", {"password1": TEMP}),
        ("post", reverse("user_reveal", args=[pk]), "secadmin", {"allowed": "1"}),
        ("post", reverse("user_unlock", args=[pk]), "secadmin", {}),
        ("post", reverse("user_otp_reset", args=[pk]), "secadmin", {}),
    ]


@pytest.mark.parametrize("who", EVERY_ROLE)
def test_each_role_sees_only_its_screens(client, personas, tree, who):
    as_(client, personas[who])
    before = AuditEntry.objects.filter(actor_id=personas[who].pk).count()
    for method, url, owner, data in screens(personas, tree):
        allowed = who == owner or (owner == "both" and who in ("sysadmin", "secadmin"))
        if method == "post" and allowed:
            continue  # the allowed writes are the tests below
        # refused: 404 for a GET of an action's URL too (not 405), the screen is not there
        response = getattr(client, method)(url, data)
        assert (response.status_code == 404) is not allowed, (who, method, url)
    # nothing a refused role tried changed anything
    worker = User.objects.get(pk=personas["worker_a"].pk)
    assert worker.is_active and worker.role == "worker" and not worker.can_reveal
    assert list(worker.units.values_list("code", flat=True)) == ["110108001001"]
    assert AuditEntry.objects.filter(actor_id=personas[who].pk).count() == before


def test_an_action_answers_405_to_a_get_for_its_own_role(client, personas):
    as_(client, personas["sysadmin"])
    assert client.get(reverse("user_active", args=[personas["worker_a"].pk])).status_code == 405


def test_anonymous_goes_to_the_login(client, personas):
    response = client.get(reverse("user_list"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# ---------------------------------------------------------------------------------------------
# The list
# ---------------------------------------------------------------------------------------------


def test_the_list_searches_and_shows_locks(client, personas):
    User.objects.filter(pk=personas["street"].pk).update(full_name="李四")
    for _ in range(5):
        login(Client(), "worker_b", "Wrong-pass-2026")
    as_(client, personas["secadmin"])
    page = client.get(reverse("user_list")).content.decode()
    assert "worker_a" in page and "翠微社区" in page and "社区工作者" in page
    assert page.count("已锁定") == 1 and "新建用户" not in page  # read-only for the secadmin
    found = client.get(reverse("user_list"), {"q": "worker_"}).context["page"]
    assert [u.username for u in found] == ["worker_a", "worker_b"]
    by_name = client.get(reverse("user_list"), {"q": "李"}).context["page"]
    assert [u.username for u in by_name] == ["street_s1"]
    by_role = client.get(reverse("user_list"), {"role": "auditor"}).context["page"]
    assert [u.username for u in by_role] == ["auditor"]
    bad = client.get(reverse("user_list"), {"role": "king", "page": "x"})
    assert bad.status_code == 200 and "role" in bad.context["form"].errors


def test_the_list_answers_htmx_with_the_table_only(client, personas):
    as_(client, personas["sysadmin"])
    response = client.get(
        reverse("user_list"), {"q": "street"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="user-results"
    )
    body = response.content.decode()
    assert 'id="user-table"' in body and "<html" not in body and "street_s1" in body
    assert "HX-Request" in response["Vary"]
    assert "新建用户" in client.get(reverse("user_list")).content.decode()


# ---------------------------------------------------------------------------------------------
# The system administrator
# ---------------------------------------------------------------------------------------------


def create(client: Client, **fields) -> object:
    data = {
        "username": "wang",
        "full_name": "王五",
        "role": "worker",
        "units": "110108001001",
        "password1": TEMP,
        "password2": TEMP,
    }
    data.update(fields)
    return client.post(reverse("user_create"), data)


def test_sysadmin_creates_a_user_who_must_change_the_password(client, personas):
    admin = personas["sysadmin"]
    response = create(as_(client, admin), units="110108001001、110108001002")
    user = User.objects.get(username="wang")
    assert response.status_code == 302 and response["Location"] == f"/accounts/users/{user.pk}/"
    assert user.role == "worker" and user.full_name == "王五" and not user.can_reveal
    assert sorted(user.units.values_list("code", flat=True)) == ["110108001001", "110108001002"]
    assert user.password_changed_at is None  # temporary: changed at the first login
    (entry,) = rows("user.create", actor_id=admin.pk)
    assert entry.changes["temporary_password"] == [None, True] and TEMP not in str(entry.changes)
    newcomer = Client()
    login(newcomer, "wang", TEMP)
    assert newcomer.get("/")["Location"].startswith(reverse("password_change"))


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"username": "worker_a"}, "username", "已被使用"),
        ({"username": "Worker_A"}, "username", "已被使用"),
        ({"username": "bad name!"}, "username", ""),
        ({"units": "110108001001 999999"}, "units", "单位代码不存在：999999"),
        ({"units": "110108001"}, "units", "不能属于以下单位"),
        ({"role": "grid", "units": "110108001001"}, "units", "网格"),
        ({"units": ""}, "units", "至少属于一个单位"),
        ({"role": "king"}, "role", ""),
        ({"password1": "weakpassword", "password2": "weakpassword"}, "password2", "至少3类"),
        ({"password2": "Other-pass-2026"}, "password2", "不一致"),
    ],
)
def test_bad_input_comes_back_on_its_field(client, personas, fields, field, text):
    response = create(as_(client, personas["sysadmin"]), **fields)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and text in " ".join(errors[field])
    assert text in response.content.decode()
    assert TEMP not in response.content.decode()  # a password is never sent back
    assert not rows("user.create")


def test_an_administrator_needs_no_unit(client, personas):
    create(as_(client, personas["sysadmin"]), username="sys2", role="sysadmin", units="")
    assert User.objects.get(username="sys2").role == "sysadmin"


def test_sysadmin_makes_no_security_admin_nor_auditor(client, personas):
    """Such an account, made or taken over by the system administrator, would give them its
    power too: they come from the command line (services.OTHER_POWERS)."""
    admin, auditor = personas["sysadmin"], personas["auditor"]
    as_(client, admin)
    for role in ("secadmin", "auditor"):
        response = create(client, username=f"new-{role}", role=role, units="110108")
        assert "role" in response.context["form"].errors
    page = client.get(reverse("user_detail", args=[auditor.pk])).content.decode()
    assert 'id="role-form"' not in page and 'id="password-reset-form"' not in page
    role = client.post(
        reverse("user_role", args=[auditor.pk]),
        {"role": "district", "units": "110108"},
        follow=True,
    )
    assert "命令行" in role.content.decode()
    reset = reverse("user_password_reset", args=[auditor.pk])
    refused = client.post(reset, {"password1": TEMP, "password2": TEMP}, follow=True)
    assert "尚未绑定手机验证器" in refused.content.decode()
    auditor.refresh_from_db()
    assert auditor.role == "auditor" and auditor.check_password(PASSWORD)
    # once a second factor guards the account, its password alone opens nothing: a reset is fine
    TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    assert client.post(reset, {"password1": TEMP, "password2": TEMP}).status_code == 302
    assert actions_of(admin) == ["user.password"]


def test_sysadmin_changes_role_and_units_at_once(client, personas):
    admin, worker = personas["sysadmin"], personas["worker_a"]
    User.objects.filter(pk=worker.pk).update(can_reveal=True)
    url = reverse("user_role", args=[worker.pk])
    response = as_(client, admin).post(url, {"role": "street", "units": "110108001"})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.role == "street" and not worker.can_reveal  # a new job: reveal withdrawn
    assert list(worker.units.values_list("code", flat=True)) == ["110108001"]
    (entry,) = rows("user.role", actor_id=admin.pk)
    assert entry.changes == {
        "role": ["worker", "street"],
        "can_reveal": [True, False],
        "units": [["110108001001"], ["110108001"]],
    }


def test_a_role_that_does_not_suit_the_units_is_refused_on_the_units(client, personas):
    worker = personas["worker_a"]
    response = as_(client, personas["sysadmin"]).post(
        reverse("user_role", args=[worker.pk]), {"role": "district", "units": "110108001001"}
    )
    assert response.status_code == 200
    assert "不能属于以下单位" in " ".join(response.context["role_form"].errors["units"])
    worker.refresh_from_db()
    assert worker.role == "worker" and not rows("user.role")


def test_nobody_changes_their_own_role_or_units(client, personas):
    admin = personas["sysadmin"]
    as_(client, admin)
    page = client.get(reverse("user_detail", args=[admin.pk])).content.decode()
    assert 'id="role-form"' not in page and 'id="self-note"' in page
    for url, data in [
        (reverse("user_role", args=[admin.pk]), {"role": "district", "units": "110108"}),
        (reverse("user_membership_add", args=[admin.pk]), {"unit": "110108"}),
        (reverse("user_active", args=[admin.pk]), {"active": "0"}),
        (reverse("user_password_reset", args=[admin.pk]), {"password1": TEMP, "password2": TEMP}),
    ]:
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert "自己" in response.content.decode(), url
    admin.refresh_from_db()
    assert admin.role == "sysadmin" and admin.is_active and admin.check_password(PASSWORD)
    assert actions_of(admin) == []


def test_sysadmin_manages_memberships(client, personas, tree):
    admin, worker = personas["sysadmin"], personas["worker_a"]
    as_(client, admin)
    add = reverse("user_membership_add", args=[worker.pk])
    assert client.post(add, {"unit": "110108001002"}).status_code == 302
    wrong = client.post(add, {"unit": "110108001001A1"})
    assert "不能属于以下单位" in " ".join(wrong.context["membership_form"].errors["unit"])
    unknown = client.post(add, {"unit": "nope"})
    assert "单位代码不存在" in " ".join(unknown.context["membership_form"].errors["unit"])
    remove = reverse("user_membership_remove", args=[worker.pk, tree["a"].pk])
    assert client.post(remove).status_code == 302
    assert list(worker.units.values_list("code", flat=True)) == ["110108001002"]
    assert actions_of(admin) == ["user.membership_add", "user.membership_remove"]


def test_sysadmin_deactivates_and_reactivates(client, personas):
    admin, worker = personas["sysadmin"], personas["worker_a"]
    url = reverse("user_active", args=[worker.pk])
    page = as_(client, admin).post(url, {"active": "0"}, follow=True).content.decode()
    assert "账户已停用" in page
    worker.refresh_from_db()
    assert not worker.is_active
    client.post(url, {"active": "1"})
    worker.refresh_from_db()
    assert worker.is_active
    assert actions_of(admin) == ["user.deactivate", "user.reactivate"]


def test_sysadmin_resets_a_password_to_a_temporary_one(client, personas):
    admin, worker = personas["sysadmin"], personas["worker_a"]
    url = reverse("user_password_reset", args=[worker.pk])
    as_(client, admin)
    weak = client.post(url, {"password1": "abcdefgh12", "password2": "abcdefgh12"})
    assert "至少3类" in " ".join(weak.context["password_form"].errors["password2"])
    assert client.post(url, {"password1": TEMP, "password2": TEMP}).status_code == 302
    worker.refresh_from_db()
    assert worker.check_password(TEMP) and worker.password_changed_at is None
    (entry,) = rows("user.password", actor_id=admin.pk)
    assert entry.changes == {"password": ["***", "***"], "temporary": [None, True]}


# ---------------------------------------------------------------------------------------------
# The security administrator
# ---------------------------------------------------------------------------------------------


def test_secadmin_grants_and_withdraws_reveal(client, personas):
    sec, worker = personas["secadmin"], personas["worker_a"]
    url = reverse("user_reveal", args=[worker.pk])
    as_(client, sec)
    page = client.get(reverse("user_detail", args=[worker.pk])).content.decode()
    assert 'id="reveal-form"' in page and 'id="role-form"' not in page  # roles: read-only
    assert "已授予" in client.post(url, {"allowed": "1"}, follow=True).content.decode()
    worker.refresh_from_db()
    assert worker.can_reveal and worker.may_reveal
    client.post(url, {"allowed": "0"})
    worker.refresh_from_db()
    assert not worker.can_reveal
    changes = [e.changes for e in AuditEntry.objects.filter(action="user.can_reveal")]
    assert changes == [{"can_reveal": [False, True]}, {"can_reveal": [True, False]}]


def test_reveal_only_for_data_roles_and_never_for_oneself(client, personas):
    sec = personas["secadmin"]
    as_(client, sec)
    for target, text in [
        (personas["auditor"], "alert-danger"),  # 只有业务角色可以查看居民的完整号码
        (sec, "不能修改自己的权限"),
    ]:
        response = client.post(
            reverse("user_reveal", args=[target.pk]), {"allowed": "1"}, follow=True
        )
        assert text in response.content.decode()
        assert not User.objects.get(pk=target.pk).can_reveal
    assert not rows("user.can_reveal")


def test_secadmin_lifts_a_lock(client, personas):
    for _ in range(5):
        login(Client(), "worker_a", "Wrong-pass-2026")
    assert login(Client(), "worker_a").status_code == 429
    sec = personas["secadmin"]
    as_(client, sec)
    detail = client.get(reverse("user_detail", args=[personas["worker_a"].pk]))
    assert "已锁定" in detail.content.decode()
    client.post(reverse("user_unlock", args=[personas["worker_a"].pk]))
    assert login(Client(), "worker_a").status_code == 302
    (entry,) = rows("user.unlock", actor_id=sec.pk)
    assert entry.changes["username"] == "worker_a"


def test_secadmin_resets_a_second_factor_but_not_their_own(client, personas):
    sec, district = personas["secadmin"], personas["district"]
    TOTPDevice.objects.create(user=district, name="phone", confirmed=True)
    TOTPDevice.objects.create(user=sec, name="phone", confirmed=True)
    as_(client, sec)
    client.post(reverse("user_otp_reset", args=[district.pk]))
    assert not TOTPDevice.objects.filter(user=district).exists()
    page = client.post(reverse("user_otp_reset", args=[sec.pk]), follow=True).content.decode()
    assert "不能重置自己的双因素认证" in page
    assert TOTPDevice.objects.filter(user=sec).exists()
    assert [e.object_id for e in rows("user.otp_reset")] == [str(district.pk)]


# ---------------------------------------------------------------------------------------------
# Everybody: their own password
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERY_ROLE)
def test_everybody_changes_their_own_password(client, personas, who):
    user = personas[who]
    as_(client, user)
    assert client.get(reverse("password_change")).status_code == 200
    new = "Own-pass-2026xy"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new) and user.password_changed_at is not None
    assert rows("user.password", actor_id=user.pk)
