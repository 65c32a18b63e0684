"""The programme's pages: campaign progress. Thin: the read is ``progress``, scoped to the
user's jurisdiction; a wrong parameter is said on the page and the default used, never a server
error."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.certification.progress import campaign_progress, roots, rulesets_with_targets
from jiuye.lib.masking import mask_text
from jiuye.standards.rulesets import RuleSet, rulesets


def _ruleset(request: HttpRequest, choices: list[RuleSet]) -> RuleSet | None:
    """``?ruleset=`` among the rule sets with targets (default: the first of them)."""
    wanted = request.GET.get("ruleset", "").strip().lower()
    for ruleset in choices:
        if ruleset.id.lower() == wanted:
            return ruleset
    if wanted:
        messages.error(
            request, _("没有设定创建目标的标准：%(value)s") % {"value": mask_text(wanted[:40])}
        )
    return choices[0] if choices else None


@login_required
def campaigns(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    choices = rulesets_with_targets(rulesets())
    ruleset = _ruleset(request, choices)
    rows = campaign_progress(user=request.user, ruleset=ruleset, today=today) if ruleset else []
    by_root = [(root, [r for r in rows if r.root.pk == root.pk]) for root in roots(request.user)]
    context = {
        "today": today,
        "ruleset": ruleset,
        "choices": choices,
        "by_root": [(root, found) for root, found in by_root if found],
    }
    return render(request, "certification/campaigns.html", context)
