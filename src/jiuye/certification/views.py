"""Certification pages (issue 14): the user's queue of applications waiting for them, their
units' applications and notices, the apply form; an application's page with the step the user
may take, the live checklist with its evidence files, and every step's frozen snapshot by
revision; the re-checks and the district's re-check run.

Thin: reads through ``certification.selectors`` (a foreign application or file is 404), writes
through ``certification.services``, whose refusals (a state that moved on, failing criteria, a
return without a note) are said on the page and change nothing. Like the evaluations they show,
these pages are for the data roles: the administrators and the auditor get 404.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_tasks import TaskResult, TaskResultStatus

from jiuye.accounts.models import Role, User
from jiuye.audit.services import audit_read
from jiuye.certification import selectors, services, tasks
from jiuye.certification.forms import (
    EVIDENCE_ACCEPT,
    ApplicationFilterForm,
    ApplyForm,
    EvidenceForm,
    RecheckFilterForm,
    RecheckRunForm,
    StepForm,
)
from jiuye.certification.models import Application, EvidenceFile, StepKind
from jiuye.certification.reports import acceptance_report_pdf
from jiuye.lib.masking import mask_text
from jiuye.lib.text import join_list
from jiuye.standards import selectors as standards
from jiuye.standards.evaluation import Tick
from jiuye.standards.indicators import INDICATORS
from jiuye.standards.models import TickRole
from jiuye.standards.rules import Level
from jiuye.standards.rulesets import RuleSet, RuleSetError, ruleset_get
from jiuye.standards.services import may_tick
from jiuye.standards.views import value_text

PAGE_SIZE = 50
QUEUE_SHOWN = 100  # the queue's oldest; the count says how many wait in all
NOTICES_SHOWN = 10


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here is ``login_required``)."""
    return cast(User, request.user)


def _data_user(request: HttpRequest) -> User:
    """The user, if a data role: applications are built from residents' records (404 else,
    like every page of personal data)."""
    user = _user(request)
    if not user.sees_personal_data:
        raise Http404("certification")
    return user


def _ruleset(ruleset_id: str) -> RuleSet | None:
    """The rule set an application names (None: no longer installed; its steps still show)."""
    try:
        return ruleset_get(ruleset_id)
    except RuleSetError:
        return None


def _level(application: Application) -> Level | None:
    ruleset = _ruleset(application.ruleset)
    return ruleset.levels.get(application.level) if ruleset else None


def _level_name(application: Application) -> str:
    level = _level(application)
    return level.name if level else application.level


def _errors(form: Form) -> str:
    """A form's errors as one sentence for a message: "年度：…；标准：…"."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = f"{field.label}：" if field is not None and field.label else ""
        parts.append(label + join_list(errors))
    return join_list(parts, clauses=True)


def _refused(request: HttpRequest, error: PermissionDenied | ValidationError) -> None:
    """A service's refusal, said above the page (nothing was written)."""
    if isinstance(error, ValidationError):
        messages.error(request, join_list(error.messages, clauses=True))
    else:
        messages.error(request, str(error) or _("无权进行该操作"))


def _page_query(data: Mapping[str, Any]) -> str:
    return urlencode({k: v for k, v in data.items() if v not in (None, "")})


# ---- the index: queue, applications, notices, apply -------------------------------------------


def _rows(applications: list[Application]) -> list[dict[str, Any]]:
    return [
        {
            "a": a,
            "level": _level_name(a),
            "state": a.get_state_display(),
            "url": reverse("certification:application", args=[a.pk]),
        }
        for a in applications
    ]


def _applications(user: User, wanted: dict[str, Any]) -> QuerySet[Application]:
    found = selectors.applications_visible(user=user).order_by(
        "-year", "unit__path", "ruleset", "level"
    )
    if wanted.get("year"):
        found = found.filter(year=wanted["year"])
    if wanted.get("state"):
        found = found.filter(state=wanted["state"])
    return found


def _apply_forms(user: User) -> list[ApplyForm]:
    """An apply form for each of the user's own units they may apply for and some rule set
    evaluates."""
    today = timezone.localdate()
    return [
        ApplyForm(unit=unit, today=today)
        for unit in standards.user_units(user=user)
        if services.may_apply(user, unit) and standards.rulesets_for(unit)
    ]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = _data_user(request)
    waiting = selectors.queue(user=user).order_by("updated_at", "pk")
    filters = ApplicationFilterForm(request.GET or None)
    wanted = filters.valid_data() if request.GET else {}
    paginator = Paginator(_applications(user, wanted), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "queue": _rows(list(waiting[:QUEUE_SHOWN])),
        "queue_total": waiting.count(),
        "filters": filters,
        "page": page,
        "rows": _rows(list(page.object_list)),
        "query": _page_query(wanted),
        "notices": selectors.notices(user=user, limit=NOTICES_SHOWN),
        "apply_forms": _apply_forms(user),
    }
    return render(request, "certification/index.html", context)


@login_required
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    user = _data_user(request)
    unit = get_object_or_404(
        standards.user_units(user=user), code=request.POST.get("unit", "")[:40]
    )
    form = ApplyForm(request.POST, unit=unit, today=timezone.localdate())
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("certification:index")
    try:
        application = services.certification_apply(
            actor=user,
            unit=unit,
            ruleset=form.chosen_ruleset(),
            year=form.cleaned_data["year"],
            level_key=form.cleaned_data["level"] or None,
            note=form.cleaned_data["note"],
        )
    except (PermissionDenied, ValidationError) as error:
        _refused(request, error)
        return redirect("certification:index")
    messages.success(
        request,
        _("已提交{unit}{year}年度的创建申请，请完成自评。").format(
            unit=unit.name, year=application.year
        ),
    )
    return redirect("certification:application", pk=application.pk)


# ---- an application ----------------------------------------------------------------------------


def _criterion(c: Mapping[str, Any]) -> dict[str, Any]:
    """A snapshot's criterion with its value and threshold as the pages show them (rates as
    percentages)."""
    info = INDICATORS.get(str(c.get("indicator", "")))
    kind = info.kind if info else "count"
    return {
        **c,
        "label": info.label if info else c.get("indicator", ""),
        "value_text": value_text(c.get("value"), kind),
        "threshold_text": f"{c.get('op', '')} {value_text(c.get('threshold'), kind)}",
    }


def _evidence(f: Mapping[str, Any]) -> dict[str, Any]:
    role = str(f.get("role", ""))
    label = TickRole(role).label if role in TickRole.values else role
    return {**f, "role_label": label}


def snapshot_view(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A stored snapshot (``snapshots`` module's shape) ready for the template; read as stored,
    never recomputed, and tolerant of keys an older snapshot lacks."""
    evaluation = snapshot.get("evaluation") or {}
    ruleset = snapshot.get("ruleset") or {}
    return {
        "evaluation": evaluation,
        "criteria": [_criterion(c) for c in evaluation.get("criteria") or []],
        "checklist": evaluation.get("checklist") or [],
        "score": evaluation.get("score"),
        "behind": [{"id": key, **value} for key, value in (snapshot.get("behind") or {}).items()],
        "children": snapshot.get("children") or [],
        "evidence": [_evidence(f) for f in snapshot.get("evidence") or []],
        "ruleset": ruleset,
        "hash": str(ruleset.get("hash") or "")[:12],
    }


def _revisions(application: Application) -> list[dict[str, Any]]:
    """The steps by revision, newest first; the current revision is there even before its
    first step (just after a return)."""
    by_revision: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for step in selectors.steps_of(application):
        by_revision[step.revision].append({"step": step, "snap": snapshot_view(step.snapshot)})
    by_revision.setdefault(application.revision, [])
    latest = by_revision[max(by_revision)] or by_revision.get(application.revision - 1)
    if latest:  # the last step's snapshot is shown open: what the next one decides on
        latest[-1]["open"] = True
    return [
        {"revision": r, "steps": by_revision[r], "current": r == application.revision}
        for r in sorted(by_revision, reverse=True)
    ]


def _checklist_items(level: Level) -> list[tuple[str, str]]:
    """(id, text) of the level's checklist items and its score table's checklist deductions."""
    items = [(c.id, c.text) for c in level.checklist]
    if level.score is not None:
        for score_item in level.score.items:
            for d in score_item.deductions:
                if d.kind == "checklist":
                    items.append((d.id, f"{score_item.no}. {d.text}"))
    return items


def _live_checklist(user: User, application: Application, level: Level) -> list[dict[str, Any]]:
    """The application year's checklist as it stands now: each column's tick, whether the user
    may fill it, and its evidence files."""
    unit = application.unit
    ticks = {
        (t.item, t.role): Tick(
            t.ticked, t.note, t.evidence, t.by_name, t.updated_at.isoformat(timespec="minutes")
        )
        for t in standards.ticks(
            user=user, unit=unit, ruleset=application.ruleset, year=application.year
        )
    }
    files: dict[tuple[str, str], list[EvidenceFile]] = defaultdict(list)
    for f in selectors.evidence_files(
        user=user, unit=unit, ruleset=application.ruleset, year=application.year
    ):
        files[(f.item, f.role)].append(f)
    # A street or a district has no street review column (the district accepts it directly).
    roles = [TickRole.SELF, TickRole.STREET, TickRole.ASSESSOR]
    if not services.needs_review(unit):
        roles.remove(TickRole.STREET)
    allowed = {role: may_tick(user, unit, role) for role in roles}
    return [
        {
            "id": item_id,
            "text": text,
            "cells": [
                {
                    "role": role,
                    "tick": ticks.get((item_id, role)),
                    "allowed": allowed[role],
                    "files": files.get((item_id, role), []),
                }
                for role in roles
            ],
        }
        for item_id, text in _checklist_items(level)
    ]


def _action(user: User, application: Application) -> StepKind | None:
    """The step the user may take now (at most one: the one the application waits for)."""
    waiting = services.next_step(application)
    if waiting is not None and services.may_take(user, application, waiting):
        return waiting
    return None


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    application = selectors.application_get(user=user, pk=pk)
    ruleset = _ruleset(application.ruleset)
    level = ruleset.levels.get(application.level) if ruleset else None
    here = reverse("certification:application", args=[application.pk])
    context = {
        "a": application,
        "unit": application.unit,
        "level_name": level.name if level else application.level,
        "ruleset": ruleset,
        "waiting": services.next_step(application),
        "action": _action(user, application),
        "revisions": _revisions(application),
        "checklist": _live_checklist(user, application, level) if level else [],
        "street_column": services.needs_review(application.unit),
        # What the standards' tick cells need: their form posts there and comes back here.
        "p": {
            "ruleset": ruleset,
            "on": services.evaluation_date(application.year, timezone.localdate()),
        },
        "tick_next": here + "#checklist",
        "evidence_accept": EVIDENCE_ACCEPT,
    }
    # The snapshots name the persons behind each shortfall: the page is recorded as read.
    audit_read(actor=user, what="certification.application", obj=application, unit=application.unit)
    return render(request, "certification/application.html", context)


def _take(user: User, application: Application, kind: str, passed: bool, note: str) -> None:
    if kind == StepKind.SUBMIT:
        services.certification_submit(actor=user, application=application, note=note)
    elif kind == StepKind.REVIEW:
        services.certification_review(actor=user, application=application, passed=passed, note=note)
    else:
        services.certification_accept(actor=user, application=application, passed=passed, note=note)


DONE = {
    (StepKind.SUBMIT, True): gettext_lazy("已提交自评。"),
    (StepKind.REVIEW, True): gettext_lazy("初核通过，已报区验收。"),
    (StepKind.REVIEW, False): gettext_lazy("已退回，申请单位须重新自评。"),
    (StepKind.ACCEPT, True): gettext_lazy("验收通过，已认定。"),
    (StepKind.ACCEPT, False): gettext_lazy("已退回，申请单位须重新自评。"),
}


@login_required
@require_POST
def step(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the step the form names; a refusal is said on the page and changes nothing."""
    user = _user(request)
    application = selectors.application_get(user=user, pk=pk)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("certification:application", pk=application.pk)
    kind, passed = form.step()
    try:
        _take(user, application, kind, passed, form.cleaned_data["note"])
    except (PermissionDenied, ValidationError) as error:
        _refused(request, error)
    else:
        messages.success(request, str(DONE[(StepKind(kind), passed)]))
    return redirect("certification:application", pk=application.pk)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """A file for one checklist item's column of the application's unit and year."""
    user = _user(request)
    application = selectors.application_get(user=user, pk=pk)
    back = reverse("certification:application", args=[application.pk]) + "#checklist"
    ruleset = _ruleset(application.ruleset)
    form = EvidenceForm(request.POST, request.FILES)
    if ruleset is None or not form.is_valid():
        messages.error(request, _errors(form) if ruleset else _("该标准已不存在"))
        return redirect(back)
    upload = form.cleaned_data["file"]
    try:
        evidence = services.evidence_add(
            actor=user,
            unit=application.unit,
            ruleset=ruleset,
            year=application.year,
            item=form.cleaned_data["item"],
            role=form.cleaned_data["role"],
            name=upload.name or "",
            data=upload.read(),
        )
    except (PermissionDenied, ValidationError) as error:
        _refused(request, error)
    else:
        name = mask_text(evidence.name)  # a scanned ID card's name may hold its number
        messages.success(request, _("已上传佐证材料 {name}").format(name=name))
    return redirect(back)


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    evidence = selectors.evidence_get(user=user, pk=pk)
    audit_read(actor=user, what="certification.evidence", obj=evidence, unit=evidence.unit)
    response = HttpResponse(bytes(evidence.data), content_type=evidence.content_type)
    # A Chinese name goes as RFC 5987's filename*=utf-8''… (browsers decode it).
    disposition = content_disposition_header(True, evidence.name) or "attachment"
    response["Content-Disposition"] = disposition
    response["Content-Length"] = str(evidence.size)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """The acceptance report (验收报告) as PDF, from the application's frozen steps."""
    user = _user(request)
    application = selectors.application_get(user=user, pk=pk)
    audit_read(actor=user, what="certification.report", obj=application, unit=application.unit)
    response = HttpResponse(acceptance_report_pdf(application=application), "application/pdf")
    name = f"验收报告-{application.unit.code}-{application.year}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, name) or "inline"
    response["Cache-Control"] = "private, no-store"
    return response


# ---- re-checks ---------------------------------------------------------------------------------


def _recheck_rows(page: Any) -> list[dict[str, Any]]:
    rows = []
    for r in page.object_list:
        ruleset = _ruleset(r.ruleset)
        level = ruleset.levels.get(r.certification.level) if ruleset else None
        rows.append({"r": r, "level": level.name if level else r.certification.level})
    return rows


@login_required
def rechecks(request: HttpRequest) -> HttpResponse:
    user = _data_user(request)
    filters = RecheckFilterForm(request.GET or None)
    wanted = filters.valid_data() if request.GET else {}
    found = selectors.rechecks_visible(user=user).order_by("-year", "-on", "unit__path", "pk")
    if wanted.get("ruleset"):
        found = found.filter(ruleset=wanted["ruleset"])
    if wanted.get("year"):
        found = found.filter(year=wanted["year"])
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "rows": _recheck_rows(page),
        "query": _page_query(wanted),
        "run_form": RecheckRunForm(today=timezone.localdate())
        if user.role == Role.DISTRICT
        else None,
    }
    return render(request, "certification/rechecks.html", context)


def _say_run(request: HttpRequest, result: TaskResult[Any]) -> None:
    """What became of the run: its counts when it ran at once, else that it is queued."""
    if result.status == TaskResultStatus.SUCCESSFUL:
        counts = result.return_value or {}
        messages.success(
            request,
            _(
                "年度复核已完成（{ruleset}，{on}）：保持 {kept} 个，撤销 {revoked} 个；"
                "本年度此前已复核 {already} 个。"
            ).format(**counts),
        )
    elif result.status == TaskResultStatus.FAILED:
        messages.error(request, _("年度复核未能完成，请联系系统管理员查看任务日志。"))
    else:
        messages.info(request, _("年度复核已排队，完成后结果列在下方（刷新页面查看）。"))


@login_required
@require_POST
def recheck_run(request: HttpRequest) -> HttpResponse:
    """Queue the re-check of a rule set as of a day (district users only)."""
    user = _user(request)
    if not user.sees_personal_data or user.role != Role.DISTRICT:
        raise PermissionDenied(_("只有区级管理员可以组织年度复核"))
    form = RecheckRunForm(request.POST, today=timezone.localdate())
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("certification:rechecks")
    ruleset, on = form.cleaned_data["ruleset"], form.cleaned_data["on"]
    _say_run(request, tasks.recheck_task.enqueue(user.pk, ruleset, on.isoformat()))
    query = urlencode({"ruleset": ruleset, "year": on.year})
    return redirect(reverse("certification:rechecks") + "?" + query)
