"""Every read of policy money, through the one jurisdiction scope (a foreign row is not found).

Amounts are not personal data, but applications and payments name persons: they need a data
role like the persons themselves (``personal=True``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from jiuye.policies.models import Application, ApplicationEvidence, Budget, Entitlement, Payment
from jiuye.units.scope import scope_to_jurisdiction

MAX_PK = 2**63 - 1
MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)


def applications_visible(*, user: Any) -> QuerySet[Application]:
    return scope_to_jurisdiction(Application.objects.all(), user).select_related(
        "person", "employer", "unit", "place", "prepared_by", "decided_by"
    )


def entitlements_visible(*, user: Any) -> QuerySet[Entitlement]:
    return scope_to_jurisdiction(Entitlement.objects.all(), user).select_related(
        "person", "employer", "unit", "place", "approved_by"
    )


def payments_visible(*, user: Any) -> QuerySet[Payment]:
    return scope_to_jurisdiction(Payment.objects.all(), user).select_related(
        "entitlement__person",
        "entitlement__employer",
        "entitlement__unit",
        "entitlement__place",
        "by",
    )


def _get(queryset: QuerySet[Any], pk: int) -> Any:
    if not 0 < pk <= MAX_PK:
        raise Http404("policies")
    return get_object_or_404(queryset, pk=pk)


def application_get(*, user: Any, pk: int) -> Application:
    return _get(applications_visible(user=user), pk)


def entitlement_get(*, user: Any, pk: int) -> Entitlement:
    return _get(entitlements_visible(user=user), pk)


def payment_get(*, user: Any, pk: int) -> Payment:
    return _get(payments_visible(user=user), pk)


def evidence_get(*, user: Any, pk: int) -> ApplicationEvidence:
    return _get(scope_to_jurisdiction(ApplicationEvidence.objects.all(), user), pk)


@dataclass
class BudgetLine:
    budget: Budget
    committed: Decimal
    paid: Decimal

    @property
    def left(self) -> Decimal:
        return self.budget.amount - self.committed


def budgets_report(*, user: Any, year: int) -> list[BudgetLine]:
    """The year's budgets in the jurisdiction, each with what is committed under its unit
    (standing entitlements) and paid (payments net of reversals), in one query."""
    under = {"policy": OuterRef("policy"), "year": OuterRef("year")}
    committed = (
        Entitlement.objects.filter(
            cancelled_at__isnull=True, place__path__startswith=OuterRef("unit__path"), **under
        )
        .order_by()
        .values("policy")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    paid = (
        Payment.objects.filter(
            entitlement__policy=OuterRef("policy"),
            entitlement__year=OuterRef("year"),
            entitlement__place__path__startswith=OuterRef("unit__path"),
        )
        .order_by()
        .values("entitlement__policy")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    zero = Value(Decimal(0), output_field=MONEY)
    budgets = (
        scope_to_jurisdiction(Budget.objects.filter(year=year), user, personal=False)
        .select_related("unit")
        .annotate(
            committed=Coalesce(Subquery(committed, output_field=MONEY), zero),
            paid=Coalesce(Subquery(paid, output_field=MONEY), zero),
        )
        .order_by("policy", "unit__path")
    )
    return [BudgetLine(b, b.committed, b.paid) for b in budgets]
