"""Escalation pages (托底), included by ``policies.urls`` under ``/policies/escalations/``
(namespace ``policies``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from jiuye.policies import escalation_views as views

urlpatterns: list[URLPattern] = [
    path("", views.escalation_list, name="escalation_list"),
    path("persons/<int:pk>/open/", views.escalation_open, name="escalation_open"),
    path("<int:pk>/", views.escalation_detail, name="escalation_detail"),
]
