"""``jiuye seed --replace`` over a demo that has been used: its certifications (whose
applications and steps protect them) and its policy money (payments protecting their
entitlements, a reversal protecting its payment) go with the registry they stood for."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from jiuye.certification.models import Application as CertificationApplication
from jiuye.policies.models import Application, Entitlement, Payment
from jiuye.registry.models import Person

pytestmark = pytest.mark.django_db(transaction=True)


def test_replace_after_the_demo(settings: Any) -> None:
    settings.DEMO_MODE = True
    call_command("demo", persons=2500, stdout=StringIO())
    assert Payment.objects.filter(kind="reversal").exists()  # the demo's reversal
    assert CertificationApplication.objects.exists()
    call_command("seed", persons=1200, replace=True, stdout=StringIO())
    assert Person.objects.count() == 1200
    assert not Payment.objects.exists() and not Entitlement.objects.exists()
    assert not Application.objects.exists() and not CertificationApplication.objects.exists()
