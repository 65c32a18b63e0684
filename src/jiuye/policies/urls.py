"""The policies pages, under ``/policies/`` (namespace ``policies``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from jiuye.policies import views

app_name = "policies"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("applications/", views.applications, name="applications"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/approve/", views.approve_many, name="approve_many"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("entitlements/", views.entitlements, name="entitlements"),
    path("entitlements/<int:pk>/", views.entitlement_detail, name="entitlement"),
    path("payments/", views.payments, name="payments"),
    path("payments/<int:pk>/reverse/", views.payment_reverse, name="payment_reverse"),
    path("budgets/", views.budgets, name="budgets"),
    # Before the policy routes, which would take "escalations" for a policy's id.
    path("escalations/", include("jiuye.policies.escalation_urls")),
    path("<str:policy_id>/", views.policy_detail, name="policy"),
    path("<str:policy_id>/apply/", views.apply, name="apply"),
    path("<str:policy_id>/counts/", views.counts, name="counts"),
    path("<str:policy_id>/apply-all/", views.apply_all, name="apply_all"),
]
