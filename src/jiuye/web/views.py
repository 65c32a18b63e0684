"""The server-rendered pages. Thin: every read goes through the registry selectors or the unit
scope, so a foreign person or household is simply not found (404). The pages that show residents
record whom they showed, one audit row per request with the ids (``audit.services.audit_read``,
issue 11, finding 10)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiuye.accounts.models import User
from jiuye.accounts.reveal import REVEALABLE, RevealField, reveal_personal
from jiuye.audit.services import audit_read
from jiuye.certification import selectors as certification
from jiuye.lib.masking import mask_id_number, mask_phone
from jiuye.registry.selectors import (
    household_get,
    households_visible,
    person_get,
    persons_visible,
    recognitions,
    status_history,
)
from jiuye.registry.services import placement
from jiuye.standards.selectors import rulesets_for
from jiuye.units.models import COMMUNITY_LEVELS, Unit
from jiuye.units.scope import may_write, member_units, units_visible
from jiuye.web import search
from jiuye.web.dashboard import jurisdiction_counts
from jiuye.web.forms import FILTER_LEVELS, HouseholdFilterForm, PersonFilterForm
from jiuye.web.paging import CappedPaginator

PAGE_SIZE = 50


def _partial(request: HttpRequest, target: str) -> bool:
    """True when HTMX asks for just the results region (not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == target
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _render_page_or_fragment(
    request: HttpRequest, page: str, partial: str, target: str, context: dict[str, Any]
) -> HttpResponse:
    response = render(request, partial if _partial(request, target) else page, context)
    # The same URL answers a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _sees_counts(user: Any) -> bool:
    return bool(getattr(user, "sees_personal_data", False)) and bool(member_units(user))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Welcome, the user's units, and a region that loads the numbers (``home_stats``) after
    the page: over a whole district they take a moment, the page itself must not."""
    user: Any = request.user
    my_units = member_units(user)
    context: dict[str, Any] = {
        "today": timezone.localdate(),
        "my_units": my_units,
        "sees_counts": bool(my_units) and bool(getattr(user, "sees_personal_data", False)),
    }
    if context["sees_counts"] and any(rulesets_for(unit) for unit in my_units):
        # The certification card: one count and one short list (issue 14).
        context["certification"] = {
            "waiting": certification.queue(user=user).count(),
            "notices": certification.notices(user=user, limit=3),
        }
    if settings.DEMO_MODE:
        # The demo's accounts, so a visitor can try each role (never shown outside the demo).
        context["demo_accounts"] = (
            get_user_model()
            .objects.filter(is_active=True)
            .prefetch_related("units")
            .order_by("role", "username")[:20]
        )
    return render(request, "web/home.html", context)


@login_required
def home_stats(request: HttpRequest) -> HttpResponse:
    """The jurisdiction's numbers: a fragment for the home page, a page of its own without JS."""
    user: Any = request.user
    today = timezone.localdate()
    counts = jurisdiction_counts(user=user, on=today) if _sees_counts(user) else None
    rate = None
    if counts and counts["labor_force"]:
        rate = round(100 * counts["employed"] / counts["labor_force"], 1)
    context = {"counts": counts, "rate": rate, "today": today}
    return _render_page_or_fragment(request, "web/stats.html", "web/_stats.html", "stats", context)


def _find_by_full_id(request: HttpRequest, full_id: str) -> HttpResponse:
    """A search by a full ID number never comes back in a page (or a pushed URL): it opens the
    person (inside the jurisdiction) or goes back to the list with a masked "not found"."""
    pk = (
        persons_visible(user=request.user)
        .filter(id_number=full_id)
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        messages.info(
            request,
            _("在你的管辖范围内没有公民身份号码为 %(number)s 的人员。")
            % {"number": mask_id_number(full_id)},
        )
        url = reverse("person_list")
    else:
        url = reverse("person_detail", args=[pk])
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _search_terms(
    request: HttpRequest, kind: str, url: str, target: str
) -> tuple[QueryDict | None, str, HttpResponse | None]:
    """The list's filter data, the token that names them, and a redirect to answer instead.

    A posted filter form (or an old bookmark with filters in it) is kept in the session; the list is
    then shown under ``?s=<token>`` (``web.search``), so its terms never stand in a URL: an
    HTMX post gets the results with that URL pushed, anything else a redirect to it."""
    if request.method == "POST" or request.GET.keys() - {"s", "page"}:
        data = request.POST if request.method == "POST" else request.GET
        token = search.save(request, kind, data)
        if request.method == "POST" and _partial(request, target):
            return data, token, None
        return None, token, redirect(f"{url}?s={token}")
    return search.load(request, kind), "", None


def _push(response: HttpResponse, url: str, token: str) -> HttpResponse:
    if token:
        response["HX-Push-Url"] = f"{url}?s={token}"
    return response


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    url, target = reverse("person_list"), "person-results"
    data, token, answer = _search_terms(request, "persons", url, target)
    if answer is not None:
        return answer
    form = PersonFilterForm(data, user=request.user)
    kind = form.id_search()
    if kind is not None and not search.id_search_allowed(request, kind=kind):
        messages.error(request, _("按身份证号查询过于频繁，请一小时后再试。"))
        form = PersonFilterForm(None, user=request.user)
    full_id = form.full_id()
    if full_id:
        return _find_by_full_id(request, full_id)
    # By community, then as registered: a street's or district's page is read through the
    # (community) index instead of walking every person in id order to find its communities.
    persons = (
        form.apply(persons_visible(user=request.user), on=today)
        .select_related("community", "grid", "household")
        .order_by("community_id", "pk")
    )
    paginator = CappedPaginator(persons, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # read once: shown and audited
    audit_read(
        actor=request.user,
        what="person_list",
        persons=[p.pk for p in page.object_list],
        extra={"page": page.number},
    )
    response = _render_page_or_fragment(
        request,
        "web/persons/list.html",
        "web/persons/_results.html",
        target,
        {"form": form, "page": page, "paginator": paginator, "today": today},
    )
    return _push(response, url, token)


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_get(user=request.user, pk=pk)
    members = list(
        persons_visible(user=request.user)
        .filter(household_id=person.household_id)
        .select_related("grid")
        .order_by("pk")
    )
    audit_read(
        actor=request.user,
        what="person_detail",
        persons=[person.pk, *(m.pk for m in members)],
        obj=person,
        unit=person.community,
    )
    return render(
        request,
        "web/persons/detail.html",
        {
            "person": person,
            "members": members,
            "history": status_history(user=request.user, person=person),
            "recognitions": recognitions(user=request.user, person=person),
            "today": timezone.localdate(),
            "may_write": may_write(request.user, placement(person)),  # the write links
        },
    )


@login_required
@require_POST
def person_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one full number after the audited checks of ``accounts.reveal`` (an HTMX fragment;
    without JS the same fragment is a page of its own)."""
    person = person_get(user=request.user, pk=pk)
    field = request.POST.get("field", "")
    if field not in REVEALABLE:
        return HttpResponse(status=400)
    field = cast(RevealField, field)
    masked = mask_phone(person.phone) if field == "phone" else mask_id_number(person.id_number)
    context: dict[str, Any] = {"person": person, "value": None, "masked": masked}
    status = 200
    try:
        # The service checks permission and reason and audits refusals as well as reveals.
        context["value"] = reveal_personal(
            actor=cast(User, request.user),
            person=person,
            field=field,
            reason=request.POST.get("reason", ""),
        )
    except PermissionDenied as error:
        context["error"], status = str(error), 403
    except ValidationError as error:
        context["error"], status = " ".join(error.messages), 400
    if request.headers.get("HX-Request"):
        status = 200  # htmx swaps only 2xx responses; the fragment itself carries the error
    response = render(request, "web/persons/_revealed.html", context, status=status)
    response["Cache-Control"] = "no-store"  # a revealed number must not stay in any cache
    return response


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    url, target = reverse("household_list"), "household-results"
    data, token, answer = _search_terms(request, "households", url, target)
    if answer is not None:
        return answer
    form = HouseholdFilterForm(data, user=request.user)
    households = (
        form.apply(households_visible(user=request.user))
        .select_related("community", "grid")
        .order_by("community_id", "number")  # by the community index, as the persons' list
    )
    paginator = CappedPaginator(households, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # read once: shown and audited
    # Member counts for this page only (a GROUP BY over 50 households, not over all of them).
    ids = [h.pk for h in page.object_list]
    audit_read(
        actor=request.user, what="household_list", households=ids, extra={"page": page.number}
    )
    sizes = dict(
        persons_visible(user=request.user)
        .filter(household_id__in=ids)
        .order_by()
        .values_list("household_id")
        .annotate(n=Count("pk"))
    )
    for household in page.object_list:
        household.size = sizes.get(household.pk, 0)
    response = _render_page_or_fragment(
        request,
        "web/households/list.html",
        "web/households/_results.html",
        target,
        {"form": form, "page": page, "paginator": paginator},
    )
    return _push(response, url, token)


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = household_get(user=request.user, pk=pk)
    members = list(
        persons_visible(user=request.user)
        .filter(household_id=household.pk)
        .select_related("grid")
        .order_by("pk")
    )
    audit_read(
        actor=request.user,
        what="household_detail",
        persons=[m.pk for m in members],
        households=[household.pk],
        obj=household,
        unit=household.community,
    )
    return render(
        request,
        "web/households/detail.html",
        {
            "household": household,
            "members": members,
            "today": timezone.localdate(),
            "may_write": may_write(request.user, placement(household)),  # the write links
        },
    )


# Per-grid counts need a GROUP BY over (community, grid), which no index covers: only when the
# jurisdiction is a few communities; above that, communities and what contains them.
GRID_DETAIL_MAX_COMMUNITIES = 10


def _unit_counts(user: Any, units: list[Unit]) -> tuple[dict[int, int], dict[int, int]]:
    """Persons and households per visible unit (by pk), rolled up the tree."""
    by_pk = {u.pk: u for u in units}
    by_code = {u.code: u.pk for u in units}
    communities = sum(1 for u in units if u.level in COMMUNITY_LEVELS)
    per_grid = communities <= GRID_DETAIL_MAX_COMMUNITIES
    fields = ("community_id", "grid_id") if per_grid else ("community_id",)
    persons: dict[int, int] = defaultdict(int)
    households: dict[int, int] = defaultdict(int)
    sources: list[tuple[QuerySet[Any], dict[int, int]]] = [
        (persons_visible(user=user), persons),
        (households_visible(user=user), households),
    ]
    for queryset, totals in sources:
        for row in queryset.order_by().values_list(*fields).annotate(n=Count("pk")):
            community_id, grid_id, n = row if per_grid else (row[0], None, row[1])
            community = by_pk.get(community_id)
            if community is not None:
                for code in community.path.strip("/").split("/"):
                    if code in by_code:
                        totals[by_code[code]] += n
            if grid_id is not None and grid_id in by_pk:
                totals[grid_id] += n
    return persons, households


@login_required
def unit_tree(request: HttpRequest) -> HttpResponse:
    """The user's visible units, indented, with person and household counts rolled up."""
    user: Any = request.user
    units = list(units_visible(user).order_by("path"))
    sees = bool(getattr(user, "sees_personal_data", False))
    persons, households = _unit_counts(user, units) if sees and units else ({}, {})
    top = min((u.tier for u in units), default=0)
    rows = [
        {
            "unit": u,
            "depth": u.tier - top,
            "persons": persons.get(u.pk, 0),
            "households": households.get(u.pk, 0),
            "filterable": u.level in FILTER_LEVELS,
        }
        for u in units
    ]
    return render(request, "web/units.html", {"rows": rows, "sees_personal_data": sees})
