"""The year's certified units (认定名单): every ``standards.Certification`` of the year within the
user's jurisdiction, with the re-checks of later years that kept or revoked it. The list the
district publishes and files; not personal data (``personal=False``). Two queries: the
certifications with their units, and the re-checks of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import pgettext

from jiuye.certification.models import Recheck
from jiuye.standards.models import Certification
from jiuye.standards.rulesets import rulesets
from jiuye.units.scope import scope_to_jurisdiction


@dataclass(frozen=True)
class CertifiedRow:
    certification: Certification
    level_name: str  # the rule set level's name (its key if the rule set is gone)
    rechecks: list[Recheck]  # of later years, oldest first

    @property
    def rechecks_text(self) -> str:
        return "；".join(recheck_text(r) for r in self.rechecks)


def recheck_text(recheck: Recheck) -> str:
    """``2014 保留`` / ``2015 撤销（HD-C1）``: one re-check's result in words."""
    if recheck.kept:
        if recheck.undecided:
            result = pgettext("recheck", "保留（待定）")
        else:
            result = pgettext("recheck", "保留")
    else:
        result = pgettext("recheck", "撤销")
        if recheck.failed:
            result += f"（{recheck.failed}）"
    return f"{recheck.year} {result}"


def certified_units(*, user: Any, year: int) -> list[CertifiedRow]:
    """The certifications of ``year`` under ``user``'s jurisdiction, by unit code."""
    scoped = scope_to_jurisdiction(Certification.objects.filter(year=year), user, personal=False)
    certifications = list(scoped.select_related("unit").order_by("unit__code", "ruleset", "level"))
    later: dict[int, list[Recheck]] = {}
    # Re-checks of the scoped certifications only: the user's to see.
    rechecks = Recheck.objects.filter(certification__in=scoped.values("pk"), year__gt=year)
    for recheck in rechecks.order_by("year"):
        later.setdefault(recheck.certification_id, []).append(recheck)
    sets = rulesets()
    rows = []
    for c in certifications:
        ruleset = sets.get(c.ruleset)
        level = ruleset.levels.get(c.level) if ruleset else None
        rows.append(CertifiedRow(c, level.name if level else c.level, later.get(c.pk, [])))
    return rows
