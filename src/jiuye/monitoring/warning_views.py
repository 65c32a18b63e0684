"""The early-warning pages (issue 15): the warnings of the user's jurisdiction with filters and
an Excel download, a district's "run now"; a warning with its facts, its rule, its history and
the records behind it, and the acknowledge and close forms; the rule book.

Thin: reads through ``monitoring.selectors`` (a foreign warning is 404; warnings name residents,
so the roles that read no personal data see none), writes through ``monitoring.services``, whose
refusals (a note missing or too long, a state that moved on) are said on the page and change
nothing; a user who may not handle the warning gets 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST
from django_tasks import TaskResult, TaskResultStatus

from jiuye.accounts.models import User
from jiuye.audit.services import audit_read
from jiuye.certification.programme_xlsx import Sheet, workbook, xlsx_response
from jiuye.lib.text import join_list
from jiuye.monitoring import selectors, services, tasks
from jiuye.monitoring.models import EarlyWarning, WarningState
from jiuye.monitoring.rulebook import RuleBookError, WarningRule, rulebook
from jiuye.monitoring.warning_display import fact_rows, rule_view, rules_by_id
from jiuye.monitoring.warning_forms import ALL, NoteForm, RunForm, WarningFilterForm

PAGE_SIZE = 50
RECORDS_PAGE = 50
XLSX_MAX = 10_000  # rows in one download; beyond it the user filters


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here is ``login_required``)."""
    return cast(User, request.user)


def _errors(form: Form) -> str:
    """A form's errors as one sentence for a message: "预警日期：…"."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = f"{field.label}：" if field is not None and field.label else ""
        parts.append(label + join_list(errors))
    return join_list(parts, clauses=True)


# ---- the list ----------------------------------------------------------------------------------


def _filtered(user: User, wanted: Mapping[str, Any]) -> QuerySet[EarlyWarning]:
    unit = wanted.get("unit")
    state = wanted.get("state")
    return selectors.warnings_filtered(
        user=user,
        unit_path=unit.path if unit is not None else None,
        state=None if state == ALL else state,
        level=wanted.get("level") or None,
        rule=wanted.get("rule") or None,
    )


def _query(wanted: Mapping[str, Any]) -> dict[str, str]:
    """The filters as query parameters (the unit by its code), for page links and the
    download."""
    unit = wanted.get("unit")
    raw = {
        "state": wanted.get("state"),
        "level": wanted.get("level"),
        "rule": wanted.get("rule"),
        "unit": unit.code if unit is not None else None,
    }
    return {k: str(v) for k, v in raw.items() if v}


def _rows(warnings: list[EarlyWarning], rules: Mapping[str, WarningRule]) -> list[dict[str, Any]]:
    return [
        {
            "w": w,
            "rule_name": rules[w.rule_id].name if w.rule_id in rules else w.rule_id,
            "url": reverse("warnings:detail", args=[w.pk]),
        }
        for w in warnings
    ]


@login_required
def warning_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    filters = WarningFilterForm(request.GET or None, user=user)
    wanted = filters.valid_data()
    found = _filtered(user, wanted)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = _query(wanted)
    context = {
        "sees": user.sees_personal_data,
        "filters": filters,
        "page": page,
        "rows": _rows(list(page.object_list), rules_by_id()),
        "query": urlencode(query),
        "xlsx_url": reverse("warnings:xlsx") + "?" + urlencode(query),
        "counts": selectors.active_counts(user=user),
        "run_form": RunForm(today=timezone.localdate()) if services.may_run(user) else None,
    }
    return render(request, "monitoring/warnings/list.html", context)


XLSX_COLUMNS = (
    (gettext_lazy("级别"), 12),
    (gettext_lazy("单位代码"), 16),
    (gettext_lazy("单位"), 16),
    (gettext_lazy("预警规则"), 18),
    (gettext_lazy("规则名称"), 28),
    (gettext_lazy("期间"), 10),
    (gettext_lazy("说明"), 60),
    (gettext_lazy("状态"), 10),
    (gettext_lazy("预警日期"), 12),
    (gettext_lazy("升级日期"), 12),
    (gettext_lazy("相关记录数"), 10),
)


def xlsx_cells(row: Mapping[str, Any]) -> list[Any]:
    """One warning's cells in the download, as the list shows it (no resident is named)."""
    w: EarlyWarning = row["w"]
    return [
        w.get_level_display(),
        w.unit.code,
        w.unit.name,
        w.rule_id,
        row["rule_name"],
        w.period,
        w.summary,
        w.get_state_display(),
        w.fired_on,
        w.raised_on,
        w.records_total,
    ]


@login_required
def warning_xlsx(request: HttpRequest) -> HttpResponse:
    """The filtered list as a workbook (every row, not just a page)."""
    user = _user(request)
    if not user.sees_personal_data:
        raise Http404("warnings")
    filters = WarningFilterForm(request.GET or None, user=user)
    wanted = filters.valid_data()
    back = reverse("warnings:list") + "?" + urlencode(_query(wanted))
    if filters.is_bound and filters.errors:  # the list says what was wrong
        return redirect(reverse("warnings:list") + "?" + request.GET.urlencode())
    found = _filtered(user, wanted)
    total = found.count()
    if total > XLSX_MAX:
        messages.error(
            request,
            _("共 {n} 条预警，超过一次可下载的 {max} 条，请先筛选。").format(n=total, max=XLSX_MAX),
        )
        return redirect(back)
    rows = _rows(list(found[:XLSX_MAX]), rules_by_id())
    columns = [(str(header), width) for header, width in XLSX_COLUMNS]
    data = workbook([Sheet(_("预警"), columns, map(xlsx_cells, rows))])
    today = timezone.localdate()
    return xlsx_response(
        data, filename=f"预警-{today:%Y%m%d}.xlsx", ascii_name=f"warnings-{today:%Y%m%d}.xlsx"
    )


def _say_run(request: HttpRequest, on: date, result: TaskResult[Any]) -> None:
    """What became of the run: its counts when it ran at once, else that it is queued."""
    if result.status == TaskResultStatus.SUCCESSFUL:
        summary = result.return_value or {}
        messages.success(
            request,
            _("预警已运行（{on}）：新预警 {fired} 条，升级 {raised} 条。").format(
                on=on.isoformat(), fired=summary.get("fired", 0), raised=summary.get("raised", 0)
            ),
        )
    elif result.status == TaskResultStatus.FAILED:
        messages.error(request, _("预警运行未能完成，请联系系统管理员查看任务日志。"))
    else:
        messages.info(
            request,
            _("已排队运行 {on} 的预警，完成后新预警列在下方（刷新页面查看）。").format(
                on=on.isoformat()
            ),
        )


@login_required
@require_POST
def warning_run(request: HttpRequest) -> HttpResponse:
    """Queue a warnings run as of a day (district users only): the same run as the daily one
    and ``jiuye warnings run``, so running it again in a period adds nothing."""
    user = _user(request)
    if not services.may_run(user):
        raise PermissionDenied(_("只有区级管理员可以运行预警。"))
    form = RunForm(request.POST, today=timezone.localdate())
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("warnings:list")
    on = form.cleaned_data["on"]
    _say_run(request, on, tasks.warnings_run_task.enqueue(user.pk, on.isoformat()))
    return redirect("warnings:list")


# ---- a warning ---------------------------------------------------------------------------------


def _history(warning: EarlyWarning) -> list[dict[str, Any]]:
    """What happened to the warning, in order: fired, raised, acknowledged, closed."""
    events: list[dict[str, Any]] = [
        {
            "key": "fired",
            "label": pgettext("warning history", "发出"),
            "on": warning.fired_on,
            "at": warning.fired_at,
        }
    ]
    if warning.raised_on:
        events.append(
            {"key": "raised", "label": pgettext("warning history", "升级"), "on": warning.raised_on}
        )
    if warning.acknowledged_at:
        events.append(
            {
                "key": "acknowledged",
                "label": pgettext("warning history", "确认"),
                "at": warning.acknowledged_at,
                "by": warning.acknowledged_by,
                "note": warning.acknowledged_note,
            }
        )
    if warning.closed_at:
        events.append(
            {
                "key": "closed",
                "label": pgettext("warning history", "关闭"),
                "at": warning.closed_at,
                "by": warning.closed_by,
                "note": warning.closed_note,
            }
        )
    return events


def _detail(
    request: HttpRequest,
    warning: EarlyWarning,
    *,
    ack_form: NoteForm | None = None,
    close_form: NoteForm | None = None,
    errors: list[str] | None = None,
) -> HttpResponse:
    """The warning's page (also after a refused acknowledge or close, with what was typed)."""
    user = _user(request)
    rule = rules_by_id().get(warning.rule_id)
    page = Paginator(selectors.warning_records(warning=warning), RECORDS_PAGE).get_page(
        request.GET.get("page")
    )
    records = selectors.records_seen(user=user, records=list(page.object_list))
    handles = services.may_handle(user, warning)
    context = {
        "w": warning,
        "rule": rule_view(rule) if rule else None,
        "facts": fact_rows(warning.facts),
        "history": _history(warning),
        "page": page,
        "records": [{"r": r, "seen": seen} for r, seen in records],
        "query": "",
        "errors": errors or [],
        "ack_form": (ack_form or NoteForm(auto_id="ack-%s"))
        if handles and warning.state == WarningState.OPEN
        else None,
        "close_form": (close_form or NoteForm(auto_id="close-%s"))
        if handles and warning.state != WarningState.CLOSED
        else None,
    }
    # The records name residents: the page is recorded as read, with the ones shown.
    audit_read(
        actor=user,
        what="warning_detail",
        persons=[r.person_id for r, seen in records if seen and r.person_id],
        households=[r.household_id for r, seen in records if seen and r.household_id],
        obj=warning,
        unit=warning.unit,
    )
    return render(request, "monitoring/warnings/detail.html", context)


@login_required
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    warning = selectors.warning_get(user=_user(request), pk=pk)
    return _detail(request, warning)


def _handle(request: HttpRequest, pk: int, *, close: bool) -> HttpResponse:
    """Acknowledge or close with the posted note; a refusal is said on the page, with the
    note as typed, and changes nothing."""
    user = _user(request)
    warning = selectors.warning_get(user=user, pk=pk)
    if not services.may_handle(user, warning):
        raise PermissionDenied(_("您不能处理该单位的预警。"))
    form = NoteForm(request.POST, auto_id="close-%s" if close else "ack-%s")
    ack_form, close_form = (None, form) if close else (form, None)
    if not form.is_valid():
        return _detail(request, warning, ack_form=ack_form, close_form=close_form)
    act = services.warning_close if close else services.warning_acknowledge
    try:
        act(actor=user, warning=warning, note=form.cleaned_data["note"])
    except ValidationError as error:
        warning.refresh_from_db()
        return _detail(
            request, warning, ack_form=ack_form, close_form=close_form, errors=error.messages
        )
    messages.success(request, _("预警已关闭。") if close else _("预警已确认。"))
    return redirect("warnings:detail", pk=warning.pk)


@login_required
@require_POST
def warning_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _handle(request, pk, close=False)


@login_required
@require_POST
def warning_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _handle(request, pk, close=True)


# ---- the rule book -----------------------------------------------------------------------------


@login_required
def warning_rules(request: HttpRequest) -> HttpResponse:
    """The rule book: no resident's data, for every signed-in user."""
    try:
        book = rulebook()
    except RuleBookError:
        return render(request, "monitoring/warnings/rules.html", {"broken": True, "rules": []})
    context = {"book": book, "rules": [rule_view(rule) for rule in book.rules], "broken": False}
    return render(request, "monitoring/warnings/rules.html", context)
