"""The casework deadlines of DOMAIN §4 and the worklist built from them.

The package holds, each in its module:

- :mod:`.items`: the vocabulary (``Item``, ``State``, ``Action``, ``RULES``; ``Items``, a list
  of them with the ``CalendarGaps`` met: what could not be dated without a year's holidays);
- :mod:`.dates`: the pure date logic (due dates, an item's state at a date), no database;
- :mod:`.context`: what the rules share for one unit and date (the reader, the period, the
  due-soon horizon, the calendar gaps);
- :mod:`.queries`: each rule as one SQL statement, for any set of persons and households;
- :mod:`.rules`: one function per rule (CQ-4, CQ-2, QG-6, QG-3, CQ-5, AS-1) and
  ``RULE_FUNCTIONS``;
- :mod:`.worklists`: every rule's items for a unit, and the urgent ones (``worklist``,
  ``user_worklist``).

The registry's rules (labor force, status in force, registrations and long-term unemployment, a
recognition in force, urban hukou, the CQ-2 one-month deadline) are ``registry.definitions``'s;
the names below are the package's public interface.
"""

from jiuye.casework.deadlines import queries
from jiuye.casework.deadlines.context import RuleContext, rule_context
from jiuye.casework.deadlines.dates import (
    GUIDANCE_WORKDAYS,
    PLACEMENT_WORKDAYS,
    REFERRAL_MONTHS,
    REFERRALS_NEEDED,
    SOON_WORKDAYS,
    VISIT_MONTHS,
    classify,
    clear_cache,
    first_on_or_after,
    guidance_due,
    guidance_on_time,
    horizon,
    period_start_of,
    placement_due,
    quarters_between,
    referral_due,
    soon_horizon,
    visit_due,
)
from jiuye.casework.deadlines.items import (
    ACTION_LABELS,
    RULE_ORDER,
    RULES,
    STATE_LABELS,
    Action,
    CalendarGaps,
    Item,
    Items,
    State,
)
from jiuye.casework.deadlines.rules import (
    RULE_FUNCTIONS,
    as1_placement,
    cq2_zero_family,
    cq4_guidance,
    cq5_long_term,
    qg3_referral,
    qg6_quarterly_contact,
    qg6_visit,
)
from jiuye.casework.deadlines.worklists import (
    WorklistPage,
    community_counts,
    deadline_items,
    outermost_units,
    rule_counts,
    rule_page,
    system_scope,
    user_scope,
    user_worklist,
    worklist,
    worklist_page,
)

__all__ = [
    "ACTION_LABELS",
    "GUIDANCE_WORKDAYS",
    "PLACEMENT_WORKDAYS",
    "REFERRALS_NEEDED",
    "REFERRAL_MONTHS",
    "RULES",
    "RULE_FUNCTIONS",
    "RULE_ORDER",
    "SOON_WORKDAYS",
    "STATE_LABELS",
    "VISIT_MONTHS",
    "Action",
    "CalendarGaps",
    "Item",
    "Items",
    "RuleContext",
    "State",
    "WorklistPage",
    "as1_placement",
    "classify",
    "clear_cache",
    "community_counts",
    "cq2_zero_family",
    "cq4_guidance",
    "cq5_long_term",
    "deadline_items",
    "first_on_or_after",
    "guidance_due",
    "guidance_on_time",
    "horizon",
    "outermost_units",
    "period_start_of",
    "placement_due",
    "qg3_referral",
    "qg6_quarterly_contact",
    "qg6_visit",
    "quarters_between",
    "queries",
    "referral_due",
    "rule_context",
    "rule_counts",
    "rule_page",
    "soon_horizon",
    "system_scope",
    "user_scope",
    "user_worklist",
    "visit_due",
    "worklist",
    "worklist_page",
]
