"""The policies app's pages, under ``/policies/`` (namespace ``policies``)."""

from __future__ import annotations

from django.urls import include, path

app_name = "policies"

urlpatterns = [
    path("escalations/", include("jiuye.policies.escalation_urls")),
]
