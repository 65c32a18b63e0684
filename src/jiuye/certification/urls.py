"""Certification pages under ``/certification/`` (the public notice boards are ``board_urls``)."""

from django.urls import path  # noqa: F401  (the patterns below)

app_name = "certification"

urlpatterns: list = []
