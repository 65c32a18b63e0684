"""The policies pages: each renders for the district, the street and the worker; a foreign row is
404; an application goes from the worker's form through the street's approval to the district's
payment and its reversal, all through the pages; a maker is told why they cannot approve; a
wrong date or amount is said on the page, never a server error."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.policies.conftest import employer, person

FLEX = "HD18-FLEX-SI"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def flex_a(tree: dict[str, Any]) -> Any:
    """A woman of community A, agricultural hukou, 41, in flexible work: eligible for
    HD18-FLEX-SI."""
    return person(tree["a"])


@pytest.fixture
def flex_c(tree: dict[str, Any]) -> Any:
    return person(tree["c"])


def _prepare(user: Any, whom: Any) -> Any:
    from jiuye.policies import services

    return services.application_prepare(
        actor=user, policy=FLEX, beneficiary=whom, on=timezone.localdate()
    )


PAGES = [
    ("policies:index", []),
    ("policies:policy", [FLEX]),
    ("policies:policy", ["004-TUITION"]),
    ("policies:policy", ["HD18-HIRE"]),
    ("policies:policy", ["004-REFERRAL"]),
    ("policies:policy", ["CERT-HD-2012"]),
    ("policies:applications", []),
    ("policies:entitlements", []),
    ("policies:payments", []),
    ("policies:budgets", []),
    ("policies:apply", [FLEX]),
    ("policies:apply", ["HD18-HIRE"]),
    ("policies:apply", ["004-REFERRAL"]),
]


@pytest.mark.parametrize("who", ["district", "street", "worker_a"])
@pytest.mark.parametrize(("name", "args"), PAGES)
def test_pages_render(
    personas: dict[str, Any], flex_a: Any, who: str, name: str, args: list[str]
) -> None:
    response = client_for(personas[who]).get(reverse(name, args=args))
    assert response.status_code == 200, response.content[:400]
    assert flex_a.id_number not in response.content.decode()


def test_catalog_groups_counts_and_parameters(personas: dict[str, Any], flex_a: Any) -> None:
    body = client_for(personas["worker_a"]).get(reverse("policies:index")).content.decode()
    assert 'id="document-HD-2018"' in body and 'id="document-004"' in body
    assert 'id="document-CERT"' in body
    row = body.split(f'data-policy="{FLEX}"')[1].split("</tr>")[0]
    assert reverse("policies:counts", args=[FLEX]) in row  # counted once the page is shown
    cells = client_for(personas["worker_a"]).get(reverse("policies:counts", args=[FLEX]))
    assert '<td class="text-end" data-col="eligible">1</td>' in cells.content.decode()
    assert "示例值" in body  # the placeholder parameters are marked
    assert "2540" in body  # the minimum wage in force today


def test_eligible_list_masks_and_offers_apply(personas: dict[str, Any], flex_a: Any) -> None:
    url = reverse("policies:policy", args=[FLEX])
    body = client_for(personas["worker_a"]).get(url).content.decode()
    assert f'data-pk="{flex_a.pk}"' in body
    from jiuye.lib.masking import mask_id_number

    assert flex_a.id_number not in body and mask_id_number(flex_a.id_number) in body
    assert 'data-role="apply"' in body
    assert f"?person={flex_a.pk}" in body
    # The street sees it; the sibling community's worker does not.
    assert f'data-pk="{flex_a.pk}"' in client_for(personas["street"]).get(url).content.decode()
    other = client_for(personas["worker_b"]).get(url).content.decode()
    assert f'data-pk="{flex_a.pk}"' not in other


def test_unit_filter_is_limited_to_the_jurisdiction(
    personas: dict[str, Any], flex_a: Any, tree: dict[str, Any]
) -> None:
    url = reverse("policies:policy", args=[FLEX])
    response = client_for(personas["worker_a"]).get(url, {"unit": tree["c"].code})
    assert response.status_code == 200
    assert "单位不在您的管辖范围内" in response.content.decode()


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "1800-01-01"])
def test_bad_date_is_said_not_500(personas: dict[str, Any], bad: str) -> None:
    client = client_for(personas["district"])
    for url in (reverse("policies:index"), reverse("policies:policy", args=[FLEX])):
        response = client.get(url, {"date": bad})
        assert response.status_code == 200
        assert 'data-role="date-error"' in response.content.decode()


def test_unknown_policy_is_404(personas: dict[str, Any]) -> None:
    client = client_for(personas["district"])
    assert client.get(reverse("policies:policy", args=["NOPE"])).status_code == 404
    assert client.get(reverse("policies:apply", args=["NOPE"])).status_code == 404


def test_apply_approve_pay_reverse_through_the_pages(personas: dict[str, Any], flex_a: Any) -> None:
    from jiuye.policies.models import Application, AppState, Entitlement, Payment

    today = timezone.localdate().isoformat()
    worker = client_for(personas["worker_a"])
    apply = reverse("policies:apply", args=[FLEX]) + f"?person={flex_a.pk}"
    page = worker.get(apply).content.decode()
    assert "✓" in page and 'id="verdict-amount"' in page
    assert flex_a.id_number not in page
    response = worker.post(apply, {"on": today, "note": "灵活就业"})
    assert response.status_code == 302
    application = Application.objects.get(person=flex_a)
    assert response["Location"] == reverse("policies:application", args=[application.pk])

    # The maker is told why they cannot approve, and a POST is refused.
    url = reverse("policies:application", args=[application.pk])
    body = worker.get(url).content.decode()
    assert 'id="approve-refusal"' in body and 'id="decide-form"' not in body
    assert worker.post(url, {"decision": "approve"}).status_code == 403

    street = client_for(personas["street"])
    assert 'id="decide-form"' in street.get(url).content.decode()
    refused = street.post(url, {"decision": "reject", "note": ""})
    assert refused.status_code == 200 and "退回须填写理由" in refused.content.decode()
    approved = street.post(url, {"decision": "approve"})
    assert approved.status_code == 302
    entitlement = Entitlement.objects.get(application=application)
    assert approved["Location"] == reverse("policies:entitlement", args=[entitlement.pk])
    application.refresh_from_db()
    assert application.state == AppState.APPROVED

    district = client_for(personas["district"])
    pay_url = reverse("policies:entitlement", args=[entitlement.pk])
    assert worker.post(pay_url, {"on": today}).status_code == 403
    bad = district.post(pay_url, {"on": "2026-02-30"})
    assert bad.status_code == 200 and "invalid-feedback" in bad.content.decode()
    assert district.post(pay_url, {"on": today, "reference": "PZ-1"}).status_code == 302
    payment = Payment.objects.get(entitlement=entitlement)
    assert str(payment.pk) in district.get(reverse("policies:payments")).content.decode()

    reverse_url = reverse("policies:payment_reverse", args=[payment.pk])
    prefix = f"r{payment.pk}"
    no_reason = district.post(reverse_url, {f"{prefix}-on": today, f"{prefix}-note": ""})
    assert no_reason.status_code == 302
    assert not Payment.objects.filter(reverses=payment).exists()
    done = district.post(reverse_url, {f"{prefix}-on": today, f"{prefix}-note": "重复支付"})
    assert done.status_code == 302
    assert Payment.objects.get(reverses=payment).amount == -payment.amount
    entitlement.refresh_from_db()
    assert entitlement.cancelled_at is not None
    page = district.get(pay_url).content.decode()
    assert "text-decoration-line-through" in page and 'id="entitlement-cancelled"' in page


def test_foreign_rows_are_404(personas: dict[str, Any], flex_a: Any) -> None:
    application = _prepare(personas["worker_a"], flex_a)
    other = client_for(personas["worker_b"])
    assert other.get(reverse("policies:application", args=[application.pk])).status_code == 404
    apply = reverse("policies:apply", args=[FLEX]) + f"?person={flex_a.pk}"
    assert other.get(apply).status_code == 404
    assert other.get(reverse("policies:application", args=[10**19])).status_code == 404


def test_grid_coordinator_and_auditor_are_refused(personas: dict[str, Any], flex_a: Any) -> None:
    grid = client_for(personas["grid_a1"])
    apply = reverse("policies:apply", args=[FLEX])
    assert grid.get(apply).status_code == 403
    assert grid.get(apply + f"?person={flex_a.pk}").status_code == 403
    assert grid.get(reverse("policies:index")).status_code == 200
    auditor = client_for(personas["auditor"])
    for name in ("policies:index", "policies:applications", "policies:budgets"):
        assert auditor.get(reverse(name)).status_code == 403


def test_bad_amount_is_a_form_error(personas: dict[str, Any], tree: dict[str, Any]) -> None:
    from jiuye.policies.models import Application

    registered = person(tree["a"], status="unemployed", registered=True, hukou="urban")
    worker = client_for(personas["worker_a"])
    url = reverse("policies:apply", args=["HD18-LOAN"]) + f"?person={registered.pk}"
    assert worker.get(url).status_code == 200
    today = timezone.localdate().isoformat()
    for declared in ("abc", "1e999", "99999999999"):
        response = worker.post(url, {"on": today, "declared": declared})
        assert response.status_code == 200
        assert "invalid-feedback" in response.content.decode()
    out_of_range = worker.post(url, {"on": today, "declared": "1"})
    assert out_of_range.status_code == 200
    assert not Application.objects.exists()
    late = worker.post(url, {"on": "2100-01-01", "declared": "1"})
    assert late.status_code == 200 and "invalid-feedback" in late.content.decode()


def test_find_person_by_posted_number(personas: dict[str, Any], flex_a: Any) -> None:
    worker = client_for(personas["worker_a"])
    url = reverse("policies:apply", args=["004-TUITION"])
    assert worker.get(url).status_code == 200
    found = worker.post(url, {"id_number": flex_a.id_number})
    assert found.status_code == 302
    assert flex_a.id_number not in found["Location"]
    assert f"person={flex_a.pk}" in found["Location"]
    missing = worker.post(url, {"id_number": "11010819800101001X"})
    assert missing.status_code == 200
    assert "11010819800101001X" not in missing.content.decode()
    assert "invalid-feedback" in missing.content.decode()
    assert missing["Cache-Control"] == "no-store"
    other = client_for(personas["worker_b"]).post(url, {"id_number": flex_a.id_number})
    assert other.status_code == 200  # not theirs: not found
    assert "在您的管辖范围内没有找到该人员" in other.content.decode()
    assert flex_a.id_number not in other.content.decode()


def test_attested_policy_needs_evidence_then_approves(
    personas: dict[str, Any], tree: dict[str, Any]
) -> None:
    from jiuye.policies.models import Application, Entitlement

    landless = person(tree["a"], landless=True, status="unemployed")
    worker = client_for(personas["worker_a"])
    today = timezone.localdate().isoformat()
    url = reverse("policies:apply", args=["004-TUITION"]) + f"?person={landless.pk}"
    assert worker.post(url, {"on": today}).status_code == 200  # the amount is declared
    response = worker.post(url, {"on": today, "declared": "3000"})
    assert response.status_code == 302
    application = Application.objects.get(person=landless)
    assert application.amount == Decimal("1500.00")
    page = reverse("policies:application", args=[application.pk])
    street = client_for(personas["street"])
    refused = street.post(page, {"decision": "approve"})
    assert refused.status_code == 200 and "证明材料" in refused.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("证书.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    assert worker.post(page, {"action": "evidence", "file": upload}).status_code == 302
    evidence = application.evidence.get()
    download = street.get(reverse("policies:evidence", args=[evidence.pk]))
    assert download.status_code == 200 and download.content == b"%PDF-1.4 x"
    assert (
        client_for(personas["worker_b"])
        .get(reverse("policies:evidence", args=[evidence.pk]))
        .status_code
        == 404
    )
    assert street.post(page, {"decision": "approve"}).status_code == 302
    assert Entitlement.objects.filter(application=application).exists()


def test_budgets_set_by_the_district(personas: dict[str, Any], tree: dict[str, Any]) -> None:
    from jiuye.policies.models import Budget

    year = timezone.localdate().year
    url = reverse("policies:budgets")
    data = {"policy": FLEX, "unit": tree["s1"].code, "year": year, "amount": "1000"}
    assert client_for(personas["street"]).post(url, data).status_code == 403
    assert 'id="budget-form"' not in client_for(personas["street"]).get(url).content.decode()
    district = client_for(personas["district"])
    assert district.post(url, {**data, "amount": "-5"}).status_code == 200
    assert district.post(url, {**data, "year": "abc"}).status_code == 200
    assert district.post(url, data).status_code == 302
    assert Budget.objects.get().amount == Decimal("1000")
    bad_year = district.get(url, {"year": "20x6"})
    assert bad_year.status_code == 200 and 'data-role="filter-error"' in bad_year.content.decode()


def test_over_budget_is_red(personas: dict[str, Any], tree: dict[str, Any], flex_a: Any) -> None:
    from jiuye.policies import services

    today = timezone.localdate()
    application = _prepare(personas["worker_a"], flex_a)
    services.application_approve(actor=personas["street"], application=application)
    services.budget_set(
        actor=personas["district"], policy=FLEX, unit=tree["s1"], year=today.year, amount="1"
    )
    body = client_for(personas["district"]).get(reverse("policies:budgets")).content.decode()
    assert 'data-over="1"' in body


def test_person_panel(personas: dict[str, Any], flex_a: Any) -> None:
    url = reverse("casework:person", args=[flex_a.pk])
    body = client_for(personas["worker_a"]).get(url).content.decode()
    assert 'id="person-policies"' in body
    assert f'data-policy="{FLEX}" data-eligible="1"' in body
    assert f"?person={flex_a.pk}" in body
    street = client_for(personas["street"]).get(url).content.decode()
    assert 'id="person-policies"' in street


def test_employer_policy_rows_link_to_apply(personas: dict[str, Any], tree: dict[str, Any]) -> None:
    firm = employer(tree["a"])
    worker = client_for(personas["worker_a"])
    url = reverse("policies:apply", args=["HD18-HIRE"])
    body = worker.get(url, {"q": "翠微"}).content.decode()
    assert f"employer={firm.pk}" in body
    verdict = worker.get(url, {"employer": firm.pk}).content.decode()
    assert "✗" in verdict  # no hires this year: the tier is not reached


def test_list_filters(personas: dict[str, Any], flex_a: Any, flex_c: Any) -> None:
    _prepare(personas["worker_a"], flex_a)
    district = client_for(personas["district"])
    body = district.get(reverse("policies:applications"), {"state": "submitted"}).content
    assert b"data-application=" in body
    body = district.get(reverse("policies:applications"), {"state": "approved"}).content
    assert b"data-application=" not in body
    bad = district.get(reverse("policies:entitlements"), {"year": "abc", "page": "x"})
    assert bad.status_code == 200
    assert date.today().year > 2000


def test_the_whole_worklist_at_once_then_approve_the_chosen(
    tree: dict[str, Any], personas: dict[str, Any], flex_a: Any
) -> None:
    from jiuye.policies.models import Application

    second = person(tree["a"])
    worker = client_for(personas["worker_a"])
    page = worker.get(reverse("policies:policy", args=[FLEX]) + "?unpaid=1").content.decode()
    assert 'id="apply-all-form"' in page
    response = worker.post(reverse("policies:apply_all", args=[FLEX]), {"date": ""})
    assert response.status_code == 302 and "state=submitted" in response["Location"]
    made = list(Application.objects.filter(policy=FLEX).order_by("pk"))
    assert {a.person_id for a in made} == {flex_a.pk, second.pk}
    # The worker is no checker: no boxes; the street approves the chosen one.
    listing = worker.get(reverse("policies:applications")).content.decode()
    assert 'id="approve-many"' not in listing
    street = client_for(personas["street"])
    assert 'id="approve-many"' in street.get(reverse("policies:applications")).content.decode()
    response = street.post(
        reverse("policies:approve_many"), {"application": [made[0].pk, "x", 10**30]}
    )
    assert response.status_code == 302
    states = dict(Application.objects.values_list("pk", "state"))
    assert states == {made[0].pk: "approved", made[1].pk: "submitted"}
    # The maker choosing their own is told why, and nothing changes.
    response = worker.post(reverse("policies:approve_many"), {"application": [made[1].pk]})
    follow = worker.get(response["Location"]).content.decode()
    assert "申请人不能审批自己" in follow
    assert Application.objects.get(pk=made[1].pk).state == "submitted"


def test_apply_all_refused_for_a_declared_amount(personas: dict[str, Any], tree: Any) -> None:
    worker = client_for(personas["worker_a"])
    page = worker.get(reverse("policies:policy", args=["HD18-LOAN"])).content.decode()
    assert 'id="apply-all-form"' not in page
    response = worker.post(reverse("policies:apply_all", args=["HD18-LOAN"]), {})
    assert "逐个申报" in worker.get(response["Location"]).content.decode()
    assert worker.get(reverse("policies:apply_all", args=[FLEX])).status_code == 405
