"""The registry's write pages (issue 13): register a household, add a member, edit and move a
person, recognise a difficulty and end it, and the ID-number check the person form asks as the
number is typed.

Thin: an object is read through the registry selectors (a foreign one is 404), the user's right
to write there is asked first (``units.scope.check_write``: a street or district reviewer gets
403), and every write goes through its ``registry.services`` function, which checks and audits.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiuye.accounts.models import User
from jiuye.audit.services import audit_read
from jiuye.lib import idcard
from jiuye.lib.form_pages import form_page
from jiuye.registry import services
from jiuye.registry.derive import person_derived_fields
from jiuye.registry.models import DifficultyRecognition, Sex
from jiuye.registry.selectors import household_get, households_visible, person_get
from jiuye.units.scope import check_write, check_writer, may_write, scope_to_jurisdiction
from jiuye.web.registry_forms import (
    HouseholdForm,
    MoveForm,
    PersonCreateForm,
    PersonEditForm,
    RecognitionEndForm,
    RecognitionForm,
    place_error,
)

FORM_PAGE = "web/registry/form.html"


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _data(request: HttpRequest) -> Any:
    """The posted data, or None (an unbound form) for a GET."""
    return request.POST if request.method == "POST" else None


def _page(request: HttpRequest, form: forms.Form, **context: Any) -> HttpResponse:
    """A form page; ``person`` (if given) is recorded as shown (one audit row)."""
    person = context.get("person")
    if person is not None:
        audit_read(
            actor=_user(request),
            what="registry_form",
            persons=[person.pk],
            obj=person,
            unit=person.community,
        )
    return form_page(request, context.pop("template", FORM_PAGE), form, context)


@login_required
def household_new(request: HttpRequest) -> HttpResponse:
    """新增户: in a community, village or grid the user writes to; then the household's page."""
    check_writer(_user(request))
    form = HouseholdForm(_data(request), user=_user(request))
    if form.is_valid():
        try:
            household = services.household_create(actor=_user(request), **form.cleaned_data)
        except ValidationError as error:
            place_error(form, error)
        else:
            messages.success(request, _("户已登记。"))
            return redirect("household_detail", pk=household.pk)
    return _page(
        request,
        form,
        title=_("新增户"),
        back=reverse("household_list"),
        form_id="household-form",
    )


@login_required
def person_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a member to a household; the ID number is checked as it is typed (``idcheck``)."""
    household = household_get(user=_user(request), pk=pk)
    check_write(_user(request), services.placement(household))
    today = timezone.localdate()
    form = PersonCreateForm(_data(request), today=today)
    if form.is_valid():
        try:
            person = services.person_create(
                actor=_user(request),
                id_number=form.cleaned_data["id_number"],
                household=household,
                today=today,
                **form.person_fields(),
            )
        except ValidationError as error:
            place_error(form, error)
        else:
            messages.success(request, _("人员已登记。"))
            return redirect("person_detail", pk=person.pk)
    return _page(
        request,
        form,
        template="web/registry/person_form.html",
        title=_("新增成员"),
        household=household,
        back=reverse("household_detail", args=[household.pk]),
        form_id="person-form",
    )


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_get(user=_user(request), pk=pk)
    check_write(_user(request), services.placement(person))
    form = PersonEditForm(_data(request), person=person)
    if form.is_valid():
        try:
            services.person_update(actor=_user(request), person=person, **form.person_fields())
        except ValidationError as error:
            place_error(form, error)
            person.refresh_from_db()  # the service may have set fields before it refused
        else:
            messages.success(request, _("人员信息已保存。"))
            return redirect("person_detail", pk=person.pk)
    return _page(
        request,
        form,
        title=_("编辑人员信息"),
        person=person,
        back=reverse("person_detail", args=[person.pk]),
        form_id="person-edit-form",
    )


@login_required
@require_POST
def household_head(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a member the head of their household (the former head's relation to fill in)."""
    person = person_get(user=_user(request), pk=pk)
    changed = services.household_set_head(actor=_user(request), person=person)
    former = [p for p in changed if p.pk != person.pk]
    if former:
        messages.info(
            request,
            _("%(name)s 已设为户主；请填写 %(former)s 与新户主的关系。")
            % {"name": person.name, "former": "、".join(p.name for p in former)},
        )
    elif changed:
        messages.success(request, _("%(name)s 已设为户主。") % {"name": person.name})
    return redirect("household_detail", pk=person.household_id)


@login_required
def person_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a person to another household of the user's jurisdiction, found by its number."""
    person = person_get(user=_user(request), pk=pk)
    check_write(_user(request), services.placement(person))
    if request.method == "POST" and "search" in request.POST:
        return _household_matches(request, person, request.POST.get("number", ""))
    data = _data(request)
    if data is not None and data.get("choose"):  # a household picked from the matches
        data = data.copy()
        data["number"] = data["choose"]
    form = MoveForm(data, user=_user(request), person=person)
    if form.is_valid():
        assert form.household is not None
        try:
            services.person_move(actor=_user(request), person=person, household=form.household)
        except ValidationError as error:
            place_error(form, error)
        else:
            messages.success(request, _("人员已迁入户 %(number)s。") % {"number": form.household})
            return redirect("person_detail", pk=person.pk)
    return _page(
        request,
        form,
        template="web/registry/move_form.html",
        title=_("迁到其他户"),
        person=person,
        back=reverse("person_detail", args=[person.pk]),
        form_id="move-form",
    )


MATCHES = 10  # households offered while a number is typed


def _household_matches(request: HttpRequest, person: Any, typed: str) -> HttpResponse:
    """The move form's search as a number is typed (a POST: nothing typed stands in a URL):
    the first households of the jurisdiction whose number begins so, where the user writes."""
    typed = typed.strip()
    found = []
    if typed:
        candidates = (
            households_visible(user=_user(request))
            .filter(number__startswith=typed)
            .exclude(pk=person.household_id)
            .select_related("community", "grid")
            .order_by("number")
        )
        found = [
            h for h in candidates[: MATCHES * 2] if may_write(_user(request), services.placement(h))
        ][:MATCHES]
        audit_read(actor=_user(request), what="household_search", households=[h.pk for h in found])
    return render(request, "web/registry/_households.html", {"households": found, "typed": typed})


@login_required
def recognition_new(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_get(user=_user(request), pk=pk)
    check_write(_user(request), services.placement(person))
    form = RecognitionForm(
        _data(request), person=person, initial={"recognized_on": timezone.localdate()}
    )
    if form.is_valid():
        try:
            services.recognition_create(actor=_user(request), person=person, **form.cleaned_data)
        except ValidationError as error:
            place_error(form, error)
        else:
            messages.success(request, _("困难认定已登记。"))
            return redirect(reverse("person_detail", args=[person.pk]) + "#recognitions")
    return _page(
        request,
        form,
        title=_("新增困难认定"),
        person=person,
        back=reverse("person_detail", args=[person.pk]),
        form_id="recognition-form",
    )


@login_required
def recognition_end(request: HttpRequest, pk: int) -> HttpResponse:
    recognitions = DifficultyRecognition.objects.select_related(
        "person__community", "person__grid", "person__household"
    )
    recognition = get_object_or_404(scope_to_jurisdiction(recognitions, _user(request)), pk=pk)
    person = recognition.person
    check_write(_user(request), services.placement(person))
    form = RecognitionEndForm(_data(request), recognition=recognition)
    if form.is_valid():
        try:
            services.recognition_end(
                actor=_user(request),
                recognition=recognition,
                ended_on=form.cleaned_data["ended_on"],
            )
        except ValidationError as error:
            place_error(form, error)
        else:
            messages.success(request, _("困难认定已退出。"))
            return redirect(reverse("person_detail", args=[person.pk]) + "#recognitions")
    return _page(
        request,
        form,
        title=_("困难认定退出"),
        person=person,
        recognition=recognition,
        back=reverse("person_detail", args=[person.pk]),
        form_id="recognition-end-form",
    )


@login_required
@require_POST
def idcheck(request: HttpRequest) -> HttpResponse:
    """The person form's check of an ID number as it is typed: valid or the reason, and what the
    number says (birth date, sex, retirement day). The number comes by POST (never in a URL) and
    is not written back: the fragment shows only what is derived from it."""
    check_writer(_user(request))
    raw = request.POST.get("id_number", "")
    base = request.POST.get("female_base", "")
    context: dict[str, Any] = {"empty": not raw.strip()}
    if raw.strip():
        try:
            derived = person_derived_fields(
                raw, int(base) if base in ("50", "55") else None, today=timezone.localdate()
            )
        except idcard.IdNumberError as error:
            context["error"] = error.message
        else:
            context["derived"] = derived
            context["sex"] = Sex(derived["sex"]).label
    response = render(request, "web/registry/_idcheck.html", context)
    response["Cache-Control"] = "no-store"
    return response
