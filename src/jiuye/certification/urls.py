"""Certification pages under ``/certification/`` (the public notice boards are ``board_urls``)."""

from django.urls import path

from jiuye.certification import programme_views, views

app_name = "certification"

urlpatterns = [
    path("", views.index, name="index"),
    path("apply/", views.apply, name="apply"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/step/", views.step, name="step"),
    path("applications/<int:pk>/report.pdf", views.report, name="report"),
    path("applications/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("rechecks/", views.rechecks, name="rechecks"),
    path("rechecks/run/", views.recheck_run, name="recheck_run"),
    path("campaigns/", programme_views.campaigns, name="campaigns"),
    path("rewards/", programme_views.rewards, name="rewards"),
    path("certified/", programme_views.certified, name="certified"),
    path("certified.xlsx", programme_views.certified_xlsx, name="certified_xlsx"),
]
