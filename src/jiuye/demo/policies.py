"""The demo's policy money (DOMAIN §9), made through the real services so every row has its
maker, checker, frozen inputs and audit entries: the demo worker's community applies for this
month's flexible-employment social-insurance subsidy (the whole worklist at once); the street
approves all but one, which waits in its queue; the district pays them, one payment is reversed
as made in error; last year's certification rewards of the worker's street are applied for by
the street and approved by the district; and the district sets two budgets. Once: a database
with applications is left as it is."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Sum

from jiuye.accounts.models import User
from jiuye.policies import services
from jiuye.policies.catalog import policy_get
from jiuye.policies.eligibility import eligible
from jiuye.policies.models import Application, Entitlement


def demo_policies(*, on: date) -> str:
    """Make the demo's applications, approvals and payments as of ``on``; what was done."""
    users = {u.username: u for u in User.objects.filter(username__in=NAMES)}
    if Application.objects.exists() or len(users) < len(NAMES):
        return ""
    worker, street, district = (users[name] for name in NAMES)
    flexible = policy_get("HD18-FLEX-SI")
    batch = services.applications_prepare_all(actor=worker, policy=flexible, on=on, today=on)
    pending = list(Application.objects.filter(policy=flexible.id, state="submitted"))
    done = services.applications_approve_many(actor=street, applications=pending[1:])
    paid = [
        services.payment_record(
            actor=district, entitlement=e, on=on, reference=f"DEMO-{e.pk}", today=on
        )
        for e in done.approved
    ]
    if paid:
        services.payment_reverse(
            actor=district, payment=paid[-1], on=on, note="演示：错付冲正（银行账户有误）", today=on
        )
    rewards = _rewards(street, district, date(on.year - 1, 12, 31))
    _budgets(district, on)
    return (
        f"政策资金：{batch.prepared} 份申请，{len(done.approved)} 份批准，"
        f"{len(paid)} 笔支付（1 笔冲正），{rewards} 项认定奖励"
        f" / policies: {batch.prepared} applications, {len(paid)} payments"
    )


NAMES = ("community_worker", "street_reviewer", "district_admin")


def _rewards(street: User, district: User, on: date) -> int:
    """Last year's HD-2012 rewards under the street: applied for by the street, approved by
    the district."""
    policy = policy_get("CERT-HD-2012")
    rows = eligible(user=street, policy=policy, on=on).page(0, 100)
    count = 0
    from jiuye.units.models import Unit

    for row in rows:
        application = services.application_prepare(
            actor=street,
            policy=policy,
            beneficiary=Unit.objects.get(pk=row.pk),
            on=on,
            period=row.period,
            today=on,
        )
        services.application_approve(actor=district, application=application)
        count += 1
    return count


def _budgets(district: User, on: date) -> None:
    unit = district.units.order_by("code").first()
    if unit is None:
        return
    for policy_id, year in (("HD18-FLEX-SI", on.year), ("CERT-HD-2012", on.year - 1)):
        committed = Entitlement.objects.filter(policy=policy_id, year=year).aggregate(
            s=Sum("amount")
        )["s"]
        amount = max(Decimal(100000), (committed or Decimal(0)) * 3)
        services.budget_set(actor=district, policy=policy_id, unit=unit, year=year, amount=amount)
