"""The jobs app's pages, under ``/jobs/`` (namespace ``jobs``): employers and their reports,
postings and referrals, matching."""

from __future__ import annotations

from jiuye.jobs import employer_urls, match_urls, posting_urls

app_name = "jobs"

urlpatterns = [
    *employer_urls.urlpatterns,
    *posting_urls.urlpatterns,
    *match_urls.urlpatterns,
]
