"""Pages of postings, referrals, the placements report and the public job board (under
``/jobs/``, namespace ``jobs``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from jiuye.jobs import board_views, posting_views

urlpatterns: list[URLPattern] = [
    path("postings/", posting_views.posting_list, name="posting_list"),
    path("postings/new/", posting_views.posting_new, name="posting_new"),
    path("postings/<int:pk>/", posting_views.posting_detail, name="posting_detail"),
    path("postings/<int:pk>/edit/", posting_views.posting_edit, name="posting_edit"),
    path("postings/<int:pk>/close/", posting_views.posting_close, name="posting_close"),
    path("referrals/new/", posting_views.referral_new, name="referral_new"),
    path("referrals/<int:pk>/", posting_views.referral_detail, name="referral_detail"),
    path("placements/", posting_views.placements, name="placements"),
    # Public: no login (like the notice board, ``/board/<code>/``).
    path("board/<str:code>/", board_views.board, name="board"),
]
