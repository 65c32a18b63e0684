"""When a certified unit is next re-checked (DOMAIN §7), read from its rule set's ``[recheck]``
(``certification.programme``): the forecast projects each criterion to that day, and the drift
warning counts the days left before it."""

from __future__ import annotations

from datetime import date, timedelta

from jiuye.certification.models import Recheck
from jiuye.certification.programme import programme
from jiuye.standards.models import Certification
from jiuye.standards.rulesets import ruleset_get


def next_recheck_on(*, certification: Certification, on: date) -> date | None:
    """The date of the first re-check of ``certification`` not yet run as of ``on``: a year's
    re-check applies when the certification dates from an earlier year and at least
    ``min_days`` before that year's re-check date (``certification.services``'s reading). It
    may lie before ``on`` (the re-check is overdue). None: the rule set re-checks nothing."""
    rule = programme(ruleset_get(certification.ruleset)).recheck
    if rule is None:
        return None
    done = set(Recheck.objects.filter(certification=certification).values_list("year", flat=True))
    for year in range(max(on.year - 1, certification.certified_on.year + 1), on.year + 3):
        due = rule.due_date(year)
        if year in done or certification.certified_on > due - timedelta(days=rule.min_days):
            continue
        if due >= on or year == on.year:
            return due
    return None
