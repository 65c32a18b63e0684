"""Pages of the jobs app (filled by its module's views)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
