"""Matching pages (``jobs.match_views``): a person's best open postings, a posting's
candidates."""

from __future__ import annotations

from django.urls import path

from jiuye.jobs import match_views

urlpatterns = [
    path("match/person/<int:pk>/", match_views.person, name="match_person"),
    path("match/posting/<int:pk>/", match_views.posting, name="match_posting"),
]
