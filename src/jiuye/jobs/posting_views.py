"""Posting and referral pages (DOMAIN §8): the postings of the user's jurisdiction (filters,
paged in the database), a posting with its referrals, its forms (new, edit, close) for those
who keep its employer; a referral made by searching the user's registry; a referral's outcome;
the placements report.

Thin: reads through ``jobs.posting_selectors`` (a foreign posting or referral is 404), writes
through ``jobs.postings``, whose refusals are said above the form and change nothing; a user who
may not write there gets 403 (``jobs.permissions`` for postings, ``units.scope.check_write`` for
referrals, which write a resident's data).
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from jiuye.accounts.models import User
from jiuye.audit.services import audit_read
from jiuye.jobs import posting_selectors as selectors
from jiuye.jobs import postings
from jiuye.jobs.eligibility import public_welfare_allowed
from jiuye.jobs.models import Employer, Posting, ReferralOutcome
from jiuye.jobs.permissions import check_keep_employers, may_keep_employers
from jiuye.jobs.posting_forms import (
    CLOSED,
    OPEN,
    CloseForm,
    OutcomeForm,
    PlacementsForm,
    PostingFilterForm,
    PostingForm,
    ReferralForm,
)
from jiuye.lib.masking import mask_id_number
from jiuye.registry.models import Person
from jiuye.registry.selectors import persons_visible
from jiuye.registry.services import placement
from jiuye.units.scope import (
    check_write,
    check_writer,
    may_write,
    member_units,
    scope_to_jurisdiction,
)

PAGE_SIZE = 50
SEARCH_LIMIT = 20


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _fail(form: Any, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


def _int(raw: str | None) -> int | None:
    """A positive id from a query parameter (anything else: none)."""
    if raw and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


# ---- postings --------------------------------------------------------------------------------


@login_required
def posting_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    filters = PostingFilterForm(request.GET or None, user=user)
    wanted = filters.valid_data()
    welfare = {"yes": True, "no": False}.get(wanted.get("welfare") or "")
    found = selectors.postings_filtered(
        user=user,
        on=today,
        employer=wanted.get("employer"),
        state=wanted.get("state") or "",
        public_welfare=welfare,
        unit=wanted.get("unit"),
        text=wanted.get("q") or "",
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    unit = wanted.get("unit")
    employer = wanted.get("employer")
    query = {
        "q": wanted.get("q") or "",
        "state": wanted.get("state") or "",
        "welfare": wanted.get("welfare") or "",
        "unit": unit.code if unit is not None else "",
        "employer": str(employer.pk) if employer is not None else "",
    }
    open_ids = set(
        Posting.objects.filter(
            selectors.open_q(today), pk__in=[p.pk for p in page.object_list]
        ).values_list("pk", flat=True)
    )
    context = {
        "filters": filters,
        "page": page,
        "rows": [{"p": p, "open": p.pk in open_ids} for p in page.object_list],
        "query": urlencode({k: v for k, v in query.items() if v}),
        "employer": employer,
        "may_create": may_keep_employers(user, None),
        "states": (OPEN, CLOSED),
    }
    return render(request, "jobs/postings/list.html", context)


@login_required
def posting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    posting = selectors.posting_get(user=user, pk=pk)
    today = timezone.localdate()
    referrals = selectors.referrals_of(user=user, posting=posting)
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    audit_read(
        actor=user,
        what="posting_referrals",
        persons=[r.person_id for r in rows],
        obj=posting,
        unit=posting.unit,
    )
    context = {
        "posting": posting,
        "open": selectors.is_open(posting, today),
        "left": posting.vacancies - posting.filled,
        "page": page,
        "referrals": rows,
        "query": "",
        "may_keep": may_keep_employers(user, posting.employer.unit),
        "may_refer": getattr(user, "writes_residents", False),
        "close_form": CloseForm(initial={"on": today}),
    }
    return render(request, "jobs/postings/detail.html", context)


def _posting_form_page(
    request: HttpRequest, form: PostingForm, posting: Posting | None
) -> HttpResponse:
    return render(request, "jobs/postings/form.html", {"form": form, "posting": posting})


@login_required
def posting_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    check_keep_employers(user, None)
    if request.method == "POST":
        form = PostingForm(request.POST, user=user)
        if form.is_valid():
            try:
                posting = postings.posting_create(
                    actor=user, employer=form.cleaned_data["employer"], **form.values()
                )
            except ValidationError as error:
                _fail(form, error)
            else:
                messages.success(request, _("岗位已发布：%(number)s") % {"number": posting.number})
                return redirect("jobs:posting_detail", pk=posting.pk)
        return _posting_form_page(request, form, None)
    initial: dict[str, Any] = {"opens_on": timezone.localdate()}
    employer_id = _int(request.GET.get("employer"))
    if employer_id is not None:
        employer = (
            scope_to_jurisdiction(Employer.objects.all(), user, personal=False)
            .filter(pk=employer_id)
            .first()
        )
        if employer is not None:
            initial |= {"employer": employer.uscc, "unit": employer.unit.code}
    return _posting_form_page(request, PostingForm(user=user, initial=initial), None)


@login_required
def posting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    posting = selectors.posting_get(user=user, pk=pk)
    check_keep_employers(user, posting.employer.unit)
    if request.method == "POST":
        form = PostingForm(request.POST, user=user, posting=posting)
        if form.is_valid():
            try:
                postings.posting_update(actor=user, posting=posting, **form.values())
            except ValidationError as error:
                _fail(form, error)
            else:
                messages.success(request, _("岗位已保存。"))
                return redirect("jobs:posting_detail", pk=posting.pk)
        return _posting_form_page(request, form, posting)
    initial = {name: getattr(posting, name) for name in postings.POSTING_FIELDS}
    initial["unit"] = posting.unit.code
    return _posting_form_page(
        request, PostingForm(user=user, posting=posting, initial=initial), posting
    )


@login_required
def posting_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    posting = selectors.posting_get(user=user, pk=pk)
    check_keep_employers(user, posting.employer.unit)
    if request.method == "POST":
        form = CloseForm(request.POST)
        if form.is_valid():
            try:
                postings.posting_close(actor=user, posting=posting, on=form.cleaned_data["on"])
            except ValidationError as error:
                _fail(form, error)
            else:
                messages.success(request, _("岗位截止日期已登记。"))
                return redirect("jobs:posting_detail", pk=posting.pk)
    else:
        form = CloseForm(initial={"on": timezone.localdate()})
    return render(request, "jobs/postings/close.html", {"form": form, "posting": posting})


# ---- referrals -------------------------------------------------------------------------------


def _person_search(user: User, q: str) -> list[dict[str, Any]]:
    """Persons of the user's registry whose data they may write, by name or the last 4
    characters of the ID number; shown with masked numbers only."""
    q = q.strip()[:30]
    if not q:
        return []
    found = persons_visible(user=user)
    if len(q) == 4 and q[:3].isdigit():
        found = found.filter(id_number__endswith=q.upper())
    else:
        found = found.filter(name__icontains=q)
    people = list(found.select_related("community", "grid").order_by("name", "pk")[:SEARCH_LIMIT])
    return [
        {"person": p, "masked": mask_id_number(p.id_number)}
        for p in people
        if may_write(user, placement(p))
    ]


def _posting_search(user: User, q: str, on: date) -> list[Posting]:
    found = selectors.postings_filtered(user=user, on=on, state=OPEN, text=q[:60])
    return list(found[:SEARCH_LIMIT])


@login_required
def referral_new(request: HttpRequest) -> HttpResponse:
    """Refer a person to a posting: choose the person (search the registry) and the posting
    (search the open postings), then the date and a note."""
    user = _user(request)
    check_writer(user)
    today = timezone.localdate()
    person: Person | None = None
    posting: Posting | None = None
    person_id, posting_id = _int(request.GET.get("person")), _int(request.GET.get("posting"))
    if person_id is not None:
        person = persons_visible(user=user).filter(pk=person_id).select_related("community").first()
        if person is not None:
            check_write(user, placement(person))
    if posting_id is not None:
        posting = (
            selectors.postings_referable(user=user, person=person)
            .filter(pk=posting_id)
            .select_related("employer")
            .first()
        )
    form = ReferralForm(initial={"on": today})
    if request.method == "POST" and person is not None and posting is not None:
        form = ReferralForm(request.POST)
        if form.is_valid():
            try:
                referral = postings.referral_create(
                    actor=user, person=person, posting=posting, today=today, **form.cleaned_data
                )
            except ValidationError as error:
                _fail(form, error)
            else:
                messages.success(request, _("推荐已登记。"))
                return redirect("jobs:referral_detail", pk=referral.pk)
    q_person = request.GET.get("q_person", "")
    q_posting = request.GET.get("q_posting", "")
    people = _person_search(user, q_person) if person is None else []
    context = {
        "person": person,
        "person_masked": mask_id_number(person.id_number) if person else "",
        "posting": posting,
        "form": form,
        "q_person": q_person[:30],
        "q_posting": q_posting[:60],
        "people": people,
        "found_postings": _posting_search(user, q_posting, today) if posting is None else [],
        "welfare_refused": bool(
            person
            and posting
            and posting.public_welfare
            and not public_welfare_allowed(person, today)
        ),
    }
    if person is not None:
        audit_read(actor=user, what="referral_new", persons=[person.pk], obj=person)
    elif people:
        audit_read(actor=user, what="referral_search", persons=[r["person"].pk for r in people])
    return render(request, "jobs/referrals/new.html", context)


@login_required
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A referral and its outcome form (for those who write the person's data)."""
    user = _user(request)
    referral = selectors.referral_get(user=user, pk=pk)
    writes = may_write(user, placement(referral.person))
    today = timezone.localdate()
    final = referral.outcome in (ReferralOutcome.HIRED, ReferralOutcome.DECLINED)
    form = None
    if request.method == "POST":
        check_write(user, placement(referral.person))  # a reviewer: 403 in the guard's words
        form = OutcomeForm(request.POST)
        if form.is_valid():
            try:
                postings.referral_outcome(
                    actor=user, referral=referral, today=today, **form.cleaned_data
                )
            except ValidationError as error:
                _fail(form, error)
            else:
                if form.cleaned_data["outcome"] == ReferralOutcome.HIRED:
                    person = referral.person
                    person.refresh_from_db(fields=["current_status"])
                    done = _("%(name)s 已录用，其就业状态已改为“%(status)s”。") % {
                        "name": person.name,
                        "status": person.get_current_status_display(),
                    }
                else:
                    done = _("推荐结果已登记。")
                messages.success(request, done)
                return redirect("jobs:referral_detail", pk=referral.pk)
    elif writes and not final:
        form = OutcomeForm(initial={"on": today})
    audit_read(actor=user, what="referral_detail", persons=[referral.person_id], obj=referral)
    context = {
        "referral": referral,
        "person_masked": mask_id_number(referral.person.id_number),
        "form": form,
        "final": final,
        "hire": getattr(referral, "hire", None) if referral.outcome == "hired" else None,
    }
    return render(request, "jobs/referrals/detail.html", context)


# ---- the placements report -------------------------------------------------------------------


@login_required
def placements(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    form = PlacementsForm(request.GET or None, user=user)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    start, end = selectors.placements_period(data.get("start"), data.get("end"), today)
    if start > end:
        form.add_error("end", _("截止日期不能早于起始日期"))
        start, end = date(today.year, 1, 1), today
    mine = member_units(user)
    unit = data.get("unit") or (mine[0] if mine else None)
    report = selectors.placements(user=user, unit=unit, start=start, end=end) if unit else None
    return render(
        request,
        "jobs/postings/placements.html",
        {"form": form, "report": report, "start": start, "end": end, "units": mine},
    )


# ---- the person's referrals (a panel of casework's person page) -------------------------------

PERSON_PANEL = "jobs/referrals/_person_panel.html"


def person_panel(request: HttpRequest, person: Any) -> dict[str, Any] | None:
    """The person's referrals on their casework page (``casework.panels``)."""
    user = _user(request)
    rows = list(selectors.referrals_of(user=user, person=person)[:50])
    return {"referrals": rows, "may_refer": may_write(user, placement(person)), "person": person}
