"""The audit log page: the auditor only; anybody else gets 404 (the page does not exist for
them)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from jiuye.audit.forms import AuditFilterForm
from jiuye.audit.models import AuditEntry
from jiuye.audit.selectors import audit_entries, may_read_audit_log
from jiuye.audit.services import verify_chain

PAGE_SIZE = 50
SHOWN_IDS = 20  # ids of a read shown in the table (the person filter searches them all)


def shown_changes(changes: Any) -> Any:
    """An entry's changes for the table: a long list of persons read is cut to its first ids
    and its length."""
    if not isinstance(changes, dict):
        return changes
    out = dict(changes)
    for key in ("persons", "households"):
        ids = out.get(key)
        if isinstance(ids, list) and len(ids) > SHOWN_IDS:
            out[key] = [*ids[:SHOWN_IDS], _("…（共 %(n)s 个）") % {"n": len(ids)}]
    return out


@never_cache
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not may_read_audit_log(request.user):
        raise Http404
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = audit_entries(user=request.user, **filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for entry in page.object_list:
        entry.shown_changes = shown_changes(entry.changes)  # type: ignore[attr-defined]
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
