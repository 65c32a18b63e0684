"""Mounted at ``monitoring/``: the dashboards (``dashboard_urls``) and the early warnings
(``warning_urls``)."""

from django.urls import include, path

urlpatterns = [
    path("", include("jiuye.monitoring.dashboard_urls")),
    path("warnings/", include("jiuye.monitoring.warning_urls")),
]
