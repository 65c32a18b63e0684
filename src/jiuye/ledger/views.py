"""Ledger pages: upload a workbook, see the check's report, confirm the import; download the
template; export a unit's ledgers (written in the background, then downloaded). Thin: the work
is in ``ledger.jobs``, ``ledger.services`` and ``ledger.export_jobs``; every read goes through
the jurisdiction scope (a worker's upload may only touch their own units, another user's job or
export is 404). Uploading and importing are for the roles that keep the registry, and for the
street and the district a workbook of the employers' sheets only (``ledger.services.may_import``;
anyone else gets 403 and no upload form); every data role exports."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiuye.accounts.models import User
from jiuye.casework.selectors import user_units
from jiuye.ledger import export_jobs, jobs
from jiuye.ledger import services as ledger_services
from jiuye.ledger.columns import SHEET_BY_KEY
from jiuye.ledger.forms import ExportForm, UploadForm
from jiuye.ledger.issues import Issue, LedgerFileError
from jiuye.ledger.models import ExportJob, ImportJob, JobMode, JobStatus
from jiuye.ledger.template import write_template
from jiuye.ledger.terminal import write_errors
from jiuye.registry.selectors import households_visible
from jiuye.units.scope import units_visible

SHOWN_ISSUES = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _data_user(request: HttpRequest) -> User:
    """Ledger pages are for the roles that work with residents' data."""
    user = request.user
    if not isinstance(user, User) or not user.sees_personal_data:
        raise PermissionDenied
    return user


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def _export_form(request: HttpRequest, data: Any = None) -> ExportForm:
    user = _data_user(request)
    units = [(u.code, f"{u.name}（{u.code}）") for u in user_units(user)]
    return ExportForm(data, units=units, may_reveal=user.may_reveal)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _data_user(request)
    recent = ImportJob.objects.filter(user=user)[:10]
    exports = [
        (found, export_jobs.expired(found))
        for found in ExportJob.objects.filter(user=user).select_related("unit")[:10]
    ]
    return render(
        request,
        "ledger/home.html",
        {
            "upload_form": UploadForm(),
            "export_form": _export_form(request),
            "jobs": recent,
            "exports": exports,
            "may_import": ledger_services.may_import(user),
            "employers_only": not user.writes_residents,
        },
    )


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    user = _data_user(request)
    # A check is the first step of an import (issue 11, finding 4); a street or district user
    # imports the employers' sheets only (refused when the workbook is read otherwise).
    ledger_services.check_import(user)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的工作簿。"))
        return redirect("ledger:home")
    try:
        job = jobs.create_check(user=user, uploaded=form.cleaned_data["file"])
    except LedgerFileError as error:
        messages.error(request, error.issue.message(_lang()))
        return redirect("ledger:home")
    return redirect("ledger:job", pk=job.pk)


def _job(request: HttpRequest, pk: int) -> ImportJob:
    return get_object_or_404(ImportJob, pk=pk, user=_data_user(request))


def _sheet_label(key: str) -> str:
    sheet = SHEET_BY_KEY.get(key)
    if sheet is None:
        return key
    return sheet.en if _lang() == "en" else sheet.zh


def _context(job: ImportJob) -> dict[str, Any]:
    phase, percent, status = jobs.live(job)
    lang = _lang()
    issues = [Issue(**item) for item in job.issues[:SHOWN_ISSUES]]
    rows = [
        {
            "sheet": _sheet_label(key),
            **counts,
        }
        for key, counts in (job.counts or {}).items()
    ]
    follow = job.imports.order_by("-created_at").first() if job.mode == JobMode.CHECK else None
    writer = ledger_services.may_import(job.user)
    return {
        "job": job,
        "phase": phase,
        "percent": percent,
        "status": status,
        "running": status in (JobStatus.QUEUED, JobStatus.RUNNING),
        # queued behind others (issue 11, finding 5): how many were queued before it
        "ahead": jobs.ahead(job) if status == JobStatus.QUEUED else 0,
        "issues": [
            {
                "location": i.location(lang),
                "sheet": i.sheet,
                "row": i.row,
                "column": i.column,
                "value": i.value,
                "message": i.message(lang),
                "code": i.code,
            }
            for i in issues
        ],
        "more_issues": max(0, job.issue_count - len(issues)),
        "rows": rows,
        "can_import": writer
        and job.mode == JobMode.CHECK
        and status == JobStatus.DONE
        and job.issue_count == 0
        and follow is None,
        "can_partial": writer
        and job.mode == JobMode.CHECK
        and status == JobStatus.DONE
        and job.issue_count > 0
        and follow is None
        and any(r["inserted"] or r["updated"] for r in rows),
        "follow": follow,
        **_written(job),
    }


SHOWN_HOUSEHOLDS = 50  # households the result page links to; the rest are counted


def _written(job: ImportJob) -> dict[str, Any]:
    """What the import created or changed, as links: its households (as their owner may see
    them now), the first ``SHOWN_HOUSEHOLDS`` by number."""
    if not job.written or not job.households:
        return {"households": [], "more_households": 0}
    shown = list(
        households_visible(user=job.user)
        .filter(pk__in=job.households)
        .order_by("number")[:SHOWN_HOUSEHOLDS]
    )
    return {"households": shown, "more_households": max(0, job.household_count - len(shown))}


@login_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "ledger/job.html", _context(_job(request, pk)))


@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by HTMX; once finished, the whole page reloads with the report."""
    found = _job(request, pk)
    return _poll(request, _context(found), "ledger:job", found.pk, "ledger/_progress.html")


def _poll(
    request: HttpRequest, context: dict[str, Any], page: str, pk: int, template: str
) -> HttpResponse:
    """A job's progress, polled by HTMX: the bar while it runs, then the job's whole page."""
    if not context["running"]:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse(page, args=[pk])
        return response
    return render(request, template, context)


@login_required
@require_POST
def job_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    ledger_services.check_import(_data_user(request))
    check = _job(request, pk)
    context = _context(check)
    partial = request.POST.get("partial") == "1"
    if not (context["can_partial"] if partial else context["can_import"]):
        messages.error(request, _("该文件不能导入：请先更正错误，或已导入过。"))
        return redirect("ledger:job", pk=check.pk)
    imported = jobs.confirm(check=check, partial=partial)
    return redirect("ledger:job", pk=imported.pk)


@login_required
def job_errors(request: HttpRequest, pk: int) -> HttpResponseBase:
    found = _job(request, pk)
    if not found.issues:
        raise Http404
    buffer = io.BytesIO()
    write_errors([Issue(**item) for item in found.issues], buffer, _lang())
    buffer.seek(0)
    return FileResponse(
        buffer, as_attachment=True, filename=f"错误清单_{found.pk}.xlsx", content_type=XLSX
    )


@login_required
def template_download(request: HttpRequest) -> HttpResponseBase:
    _data_user(request)
    buffer = io.BytesIO()
    write_template(buffer)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename="台账导入模板.xlsx", content_type=XLSX)


def _export_page(request: HttpRequest, form: ExportForm) -> HttpResponse:
    return render(
        request, "ledger/export.html", {"form": form, "expire_hours": ExportJob.EXPIRE_HOURS}
    )


@login_required
def export(request: HttpRequest) -> HttpResponseBase:
    """The ten ledgers of a unit as a workbook (masked unless revealed with a reason): the form,
    and, once posted, the export queued for the background worker (``ledger.export_jobs``);
    the user lands on its page, which offers the download when it is written."""
    user = _data_user(request)
    posted = request.method == "POST"
    code = request.POST.get("unit", "") if posted else ""
    if code and not units_visible(user).filter(code=code).exists():
        raise Http404  # a unit outside the jurisdiction: not theirs to see, let alone export
    form = _export_form(request, request.POST if posted else None)
    if not posted or not form.is_valid():
        return _export_page(request, form)
    unit = units_visible(user).get(code=form.cleaned_data["unit"])
    # Without the grant the form has no such field: asking for full numbers all the same is
    # refused, not answered with a masked workbook.
    reveal = bool(form.cleaned_data.get("reveal")) or (
        not user.may_reveal and bool(request.POST.get("reveal"))
    )
    try:
        found = export_jobs.export_submit(
            actor=user,
            unit=unit,
            on=form.cleaned_data["on"],
            start=form.cleaned_data.get("start"),
            reveal=reveal,
            reason=form.cleaned_data.get("reason", ""),
        )
    except (PermissionDenied, ValidationError) as problem:
        text = " ".join(problem.messages) if isinstance(problem, ValidationError) else str(problem)
        form.add_error(None, text or _("您没有导出完整号码的权限。"))
        return _export_page(request, form)
    return redirect("ledger:export_job", pk=found.pk)


def _export_job(request: HttpRequest, pk: int) -> ExportJob:
    """The user's own export, else 404."""
    return get_object_or_404(
        ExportJob.objects.select_related("unit"), pk=pk, user=_data_user(request)
    )


def _export_context(found: ExportJob) -> dict[str, Any]:
    phase, percent, status = export_jobs.live(found)
    return {
        "job": found,
        "phase": phase,
        "percent": percent,
        "status": status,
        "running": status in (JobStatus.QUEUED, JobStatus.RUNNING),
        "expired": export_jobs.expired(found),
        "failure": export_jobs.failure(found) if status == JobStatus.FAILED else "",
    }


@login_required
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "ledger/export_job.html", _export_context(_export_job(request, pk)))


@login_required
def export_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by HTMX; once finished, the whole page reloads."""
    found = _export_job(request, pk)
    context = _export_context(found)
    return _poll(request, context, "ledger:export_job", found.pk, "ledger/_export_progress.html")


@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The written workbook, for the user who asked for it while it is inside their
    jurisdiction; a revealed one needs the grant still, and its download is audited. An
    expired one sends the user back to the job's page, which says so."""
    user = _data_user(request)
    found = _export_job(request, pk)
    if found.status != JobStatus.DONE or not units_visible(user).filter(pk=found.unit_id).exists():
        raise Http404
    if found.reveal and not user.may_reveal:
        raise PermissionDenied
    handle = export_jobs.open_file(found)
    if handle is None:
        return redirect("ledger:export_job", pk=found.pk)
    if found.reveal:
        try:
            export_jobs.audit_download(actor=user, job=found)
        except Exception:
            handle.close()
            raise
    return FileResponse(handle, as_attachment=True, filename=found.file_name, content_type=XLSX)
