"""Helpers of the programme tests (campaigns, rewards, the certified list): certifications made
by the service, re-checks written directly (their service is another issue's)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.test import Client

from jiuye.certification.models import Recheck
from jiuye.standards.models import Certification
from jiuye.standards.rulesets import ruleset_get
from jiuye.standards.services import certification_create


def certify(
    unit: Any, ruleset: str, level: str, on: date, *, year: int | None = None
) -> Certification:
    return certification_create(
        actor=None,
        unit=unit,
        ruleset=ruleset_get(ruleset),
        level=level,
        year=year or on.year,
        certified_on=on,
    )


def revoke(certification: Certification, on: date) -> Certification:
    Certification.objects.filter(pk=certification.pk).update(revoked_on=on)
    certification.refresh_from_db()
    return certification


def recheck(certification: Certification, year: int, *, kept: bool, **extra: Any) -> Recheck:
    return Recheck.objects.create(
        certification=certification,
        unit=certification.unit,
        ruleset=certification.ruleset,
        year=year,
        on=date(year, 2, 20),
        kept=kept,
        ruleset_version="1",
        ruleset_hash="0" * 64,
        **extra,
    )


def client_for(user: Any) -> Client:
    """A signed-in client past the account policy (a fresh password; the tests set
    ``DEMO_MODE`` for the second factor, which is the policy's business, not these pages')."""
    from tests.web.conftest import ready_to_use

    client = Client()
    client.force_login(ready_to_use(user))
    return client
