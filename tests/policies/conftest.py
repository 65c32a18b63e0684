"""Fixtures of the policies tests."""

from __future__ import annotations

# Escalation (托底): the jobs tests' persons, employers and postings.
from tests.jobs.conftest import (  # noqa: F401
    employer,
    employer_b,
    person_a,
    person_b,
    posting,
    welfare_post,
)
