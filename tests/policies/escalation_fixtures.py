"""Fixtures of the escalation (托底) tests: the jobs tests' own (persons of A and B, an employer
of A, a posting and a public-welfare post of A). Star-imported by the test modules (this
directory's conftest has plain builders under some of these names)."""

from __future__ import annotations

from tests.jobs.conftest import employer, person_a, person_b, posting, welfare_post

__all__ = ["employer", "person_a", "person_b", "posting", "welfare_post"]
