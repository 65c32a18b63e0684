"""The audit log page: the auditor only; anybody else gets 404 (the page does not exist for
them)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from jiuye.audit.forms import AuditFilterForm
from jiuye.audit.models import AuditEntry
from jiuye.audit.selectors import audit_entries, may_read_audit_log
from jiuye.audit.services import verify_chain

PAGE_SIZE = 50


@never_cache
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not may_read_audit_log(request.user):
        raise Http404
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = audit_entries(user=request.user, **filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


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
