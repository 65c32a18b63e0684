"""Mounted by the root URL conf at ``api/``."""

from django.urls import path

from jiuye.api.api import api

urlpatterns = [
    path("", api.urls),
]
