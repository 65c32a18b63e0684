"""The public notice boards: ``/board/<code>/`` (a page) and ``/board/<code>.pdf`` (A4 to
print and post), for anyone, without login.

A public page must not let anonymous traffic re-run the evaluation on every hit: the rendered
page and PDF are kept in Django's cache per unit, rule set (and its content hash), day and
language for :data:`SECONDS`, and the response says ``Cache-Control: public`` for as long, so
a proxy in front may keep it too. The page is rendered without the request (no user, no
session, no CSRF token): nothing of the visitor can end up in a cached copy.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from jiuye.certification import board as board_module
from jiuye.certification.pdf import render_pdf

SECONDS = 600
PAGE, PRINT = "certification/board.html", "certification/board_print.html"


def _render_page(context: dict) -> bytes:
    return render_to_string(PAGE, context).encode("utf-8")


def _render_print(context: dict) -> bytes:
    return render_pdf(PRINT, context)


def _cached(request: HttpRequest, code: str, kind: str, render: Callable[[dict], bytes]) -> bytes:
    unit = board_module.community_or_404(code)
    ruleset, level = board_module.choose(unit, request.GET.get("ruleset"))
    on = timezone.localdate()
    key = ":".join(
        (
            "jiuye.board",
            kind,
            unit.code,
            ruleset.id,
            ruleset.digest[:16],
            level.key,
            on.isoformat(),
            get_language() or "",
        )
    )
    body: bytes | None = cache.get(key)
    if body is None:
        data = board_module.board(unit=unit, ruleset=ruleset, level=level, on=on)
        context = data.context() | {"generated": timezone.localtime()}
        body = render(context)
        cache.set(key, body, SECONDS)
    return body


def _public(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={SECONDS}"
    return response


@require_safe
def board(request: HttpRequest, code: str) -> HttpResponse:
    body = _cached(request, code, "html", _render_page)
    return _public(HttpResponse(body, content_type="text/html; charset=utf-8"))


@require_safe
def board_pdf(request: HttpRequest, code: str) -> HttpResponse:
    body = _cached(request, code, "pdf", _render_print)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="board-{code}.pdf"'
    return _public(response)
