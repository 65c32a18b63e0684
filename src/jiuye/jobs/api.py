"""The jobs API under ``/api/jobs/``: employers and their reports, postings and referrals,
matching. Every read goes through the jurisdiction scope."""

from __future__ import annotations

from ninja import Router

from jiuye.jobs.api_employers import router as employers_router
from jiuye.jobs.api_match import router as match_router
from jiuye.jobs.api_postings import router as postings_router

router = Router(tags=["jobs"])
router.add_router("", employers_router)
router.add_router("", postings_router)
router.add_router("", match_router)
