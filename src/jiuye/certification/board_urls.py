"""The public notice boards (公示牌): ``/board/<unit code>/`` and ``/board/<unit code>.pdf``,
without login (DESIGN.md "Interfaces")."""

from django.urls import path  # noqa: F401  (the patterns below)

app_name = "board"

urlpatterns: list = []
