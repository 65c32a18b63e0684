"""Certification pages under ``/certification/`` (the public notice boards are ``board_urls``)."""

from django.urls import path

from jiuye.certification import programme_views

app_name = "certification"

urlpatterns: list = [
    path("campaigns/", programme_views.campaigns, name="campaigns"),
    path("rewards/", programme_views.rewards, name="rewards"),
]
