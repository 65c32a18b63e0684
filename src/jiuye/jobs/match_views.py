"""Matching pages (人岗匹配, ``jobs.matching``): a person's best open postings, a posting's
candidates. Thin: the person or posting is read through the jurisdiction scope (a foreign one
is 404), a posting's candidates are the persons the reader may see, and the page records
whom it showed (``audit_read``)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from jiuye.accounts.models import User
from jiuye.audit.services import audit_read
from jiuye.jobs import matching
from jiuye.jobs.models import Posting
from jiuye.jobs.posting_selectors import postings_visible
from jiuye.lib.dates import DateParams
from jiuye.registry.models import Person
from jiuye.registry.services import placement
from jiuye.units.scope import may_write, scope_to_jurisdiction


def _limit(request: HttpRequest) -> int:
    raw = request.GET.get("limit", "")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= matching.MAX_K else matching.DEFAULT_K


@require_GET
@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    found = get_object_or_404(
        scope_to_jurisdiction(Person.objects.select_related("community"), user), pk=pk
    )
    params = DateParams(request.GET)
    on = params.get("date", timezone.localdate())
    for error in params.errors:
        messages.error(request, error)
    result = matching.person_matches(found, on=on, k=_limit(request))
    audit_read(actor=user, what="jobs.matches", obj=found, unit=found.community)
    context = {
        "person": found,
        "result": result,
        "on": on,
        # The person's workers refer them from here (any posting of their district).
        "may_refer": may_write(user, placement(found)),
    }
    return render(request, "jobs/match/person.html", context)


@require_GET
@login_required
def posting(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    # The candidates are persons: a data role's page (the others see postings, not this).
    readable = postings_visible(user=user) if user.sees_personal_data else Posting.objects.none()
    found = get_object_or_404(readable.select_related("unit", "employer"), pk=pk)
    params = DateParams(request.GET)
    on = params.get("date", timezone.localdate())
    for error in params.errors:
        messages.error(request, error)
    visible = scope_to_jurisdiction(Person.objects.all(), user)
    result = matching.posting_candidates(found, on=on, k=_limit(request), within=visible)
    audit_read(
        actor=user,
        what="jobs.candidates",
        persons=[m.seeker.id for m in result.matches],
        unit=found.unit,
    )
    return render(
        request, "jobs/match/posting.html", {"posting": found, "result": result, "on": on}
    )
