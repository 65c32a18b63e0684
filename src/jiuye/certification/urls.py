"""Certification pages under ``/certification/`` (the public notice boards are ``board_urls``)."""

from django.urls import path

from jiuye.certification import programme_views

app_name = "certification"

urlpatterns: list = [
    path("campaigns/", programme_views.campaigns, name="campaigns"),
    path("rewards/", programme_views.rewards, name="rewards"),
    path("certified/", programme_views.certified, name="certified"),
    path("certified.xlsx", programme_views.certified_xlsx, name="certified_xlsx"),
]
