"""The audit log page and its export: the auditor only; anybody else gets 404 (the page does
not exist for them)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from jiuye.audit.display import ID_LISTS, SHOWN_IDS, decorate
from jiuye.audit.export import EXPORT_LIMIT, XLSX_TYPE, export_audit_log
from jiuye.audit.forms import AuditFilterForm
from jiuye.audit.models import AuditEntry
from jiuye.audit.selectors import audit_entries, may_read_audit_log
from jiuye.audit.services import verify_chain

PAGE_SIZE = 50


def shown_changes(changes: Any) -> Any:
    """An entry's changes cut short for the page's context: a long list of persons read is cut
    to its first ids and its length (the table shows ``change_rows``, see ``audit.display``)."""
    if not isinstance(changes, dict):
        return changes
    out = dict(changes)
    for key in ID_LISTS:
        ids = out.get(key)
        if isinstance(ids, list) and len(ids) > SHOWN_IDS:
            out[key] = [*ids[:SHOWN_IDS], _("…（共 %(n)s 个）") % {"n": len(ids)}]
    return out


def _filters(request: HttpRequest) -> tuple[AuditFilterForm, dict[str, Any]]:
    form = AuditFilterForm(request.GET or None)
    return form, (form.cleaned_data if form.is_valid() else {})


@never_cache
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not may_read_audit_log(request.user):
        raise Http404
    form, filters = _filters(request)
    entries = audit_entries(user=request.user, **filters)
    # One count, one page query (and one each for the page's units and users).
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    decorate(page.object_list)
    for entry in page.object_list:
        entry.shown_changes = shown_changes(entry.changes)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_log.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "export_limit": EXPORT_LIMIT,
        },
    )


@never_cache
@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered log as an Excel workbook; the export is itself audited."""
    if not may_read_audit_log(request.user):
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    form, filters = _filters(request)
    back = reverse("audit_log") + (f"?{request.GET.urlencode()}" if request.GET else "")
    if request.GET and not form.is_valid():
        messages.error(request, _("筛选条件有误，请先改正再导出。"))
        return redirect(back)
    content = export_audit_log(actor=request.user, filters=filters)  # type: ignore[arg-type]
    if content is None:
        messages.error(
            request,
            _("符合条件的记录超过 %(n)s 条，无法导出；请缩小日期范围或增加筛选条件。")
            % {"n": f"{EXPORT_LIMIT:,}"},
        )
        return redirect(back)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.xlsx"'
    return response


@never_cache
@login_required
def audit_verify(request: HttpRequest) -> HttpResponse:
    if not may_read_audit_log(request.user):
        raise Http404
    problems = verify_chain()
    return render(
        request,
        "accounts/audit_verify.html",
        {"problems": problems, "count": AuditEntry.objects.count()},
    )
