"""URLs of the monitoring pages (filled by the pages that use them)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
