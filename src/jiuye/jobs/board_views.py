"""The public job board (招聘信息栏): ``/jobs/board/<unit code>/``, for anyone, without login,
printable (a print stylesheet: the page itself is the sheet to post).

Like the notice board (``certification.board_views``) it is not ``login_required`` and is
rendered without the request (no user, no session, no CSRF token), so a cached copy holds
nothing of a visitor; it holds no resident's data at all: postings only, with their employer's
name. A community's or street's board (or a district's) lists the postings open today whose
work place lies under it. The rendered page is cached per unit, day and language for
:data:`SECONDS` (a new posting shows within that time).
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from jiuye.jobs.posting_selectors import board_postings
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit

SECONDS = 300
BOARD_LEVELS = (*COMMUNITY_LEVELS, Level.STREET, Level.TOWN, Level.DISTRICT)
BOARD_LIMIT = 500  # postings on one board (a district's beyond it: see its streets' boards)
PAGE = "jobs/board.html"


def _unit_or_404(code: str) -> Unit:
    unit = Unit.objects.filter(code=code[:20], level__in=BOARD_LEVELS).first()
    if unit is None:
        raise Http404("board")
    return unit


@require_safe
def board(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit_or_404(code)
    on = timezone.localdate()
    key = ":".join(("jiuye.jobs.board", unit.code, on.isoformat(), get_language() or ""))
    body: bytes | None = cache.get(key)
    if body is None:
        postings = list(board_postings(unit, on)[: BOARD_LIMIT + 1])
        context = {
            "unit": unit,
            "parents": list(
                Unit.objects.filter(path__in=_ancestors(unit)).exclude(pk=unit.pk).order_by("path")
            ),
            "postings": postings[:BOARD_LIMIT],
            "more": len(postings) > BOARD_LIMIT,
            "on": on,
            "generated": timezone.localtime(),
        }
        body = render_to_string(PAGE, context).encode("utf-8")
        cache.set(key, body, SECONDS)
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={SECONDS}"
    return response


def _ancestors(unit: Unit) -> list[str]:
    parts = [p for p in unit.path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
