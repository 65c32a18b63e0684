"""The casework deadlines of DOMAIN §4, one function per rule.

Each rule function answers, for a unit (every community under it; a grid: its own rows) and a
date ``on``, with one :class:`Item` per person or household the rule concerns: its due date, its
state at ``on`` and the one action that clears it. Only records dated on or before ``on`` count,
so a past date gives the answer it gave then. The period (default: the calendar year of ``on``)
is the assessment period of DOMAIN §5.

- CQ-4 :func:`cq4_guidance`: by the 3rd working day after an unemployment registration (the
  registration day itself not counted);
- CQ-2 :func:`cq2_zero_family`: an urban zero family (城镇 or 农转非 household) eliminated by the
  same day of the next month after it emerged (``definitions.zero_family_due``), read from the
  zero-family cases (the one set of episodes) as of ``on``;
- QG-6 :func:`qg6_visit`: a visit in the period, within one month of the registration or of the
  period's start (our reading);
- QG-6 :func:`qg6_quarterly_contact`: a contact or visit in each calendar quarter, by its last
  day;
- QG-3 :func:`qg3_referral`: the 2nd referral in the period, within two months of the
  registration or of the period's start (our reading), for registered unemployed persons in the
  labor force (``definitions.in_labor_force``);
- CQ-5 :func:`cq5_long_term`: out of registered unemployment before it is a continuous year old
  (``definitions.is_long_term``, the one definition the standards' ``long_term_unemployed`` also
  uses);
- AS-1 :func:`as1_placement`: placement by the 2nd working day after the commitment (004; the ID
  is ours, DOMAIN.md gives this rule none).

QG-6 and QG-3 set no deadline, only a state at assessment time (DOMAIN §5's ``visit_rate`` and
``referral_twice_rate`` are taken at any date over the period): the grace periods above are the
readings the worklist uses, so that a rate is 100 % on any date that is not within the grace of
a new registration.

Each returns :class:`~.items.Items`: a due date counted in working days of a year the holiday
calendar does not know leaves its item out, recorded in ``Items.gaps`` (with the due-soon
horizon when it reaches such a year), so the rest still shows (issue 11, finding 8).

Each rule is stated once, as SQL (:mod:`.queries`): the functions here run it for one unit
and turn the rows into :class:`Item` objects, so that the worklist, a rule's list and the
indicators read the same statement.

Every read goes through ``user``'s jurisdiction (a required keyword: None finds nothing); a
system job (the standards' evaluation, the command line) passes ``units.scope.SYSTEM``. A
worklist shares one ``context`` (and its user) among the rules. A recognised difficult person
is difficult while ``definitions.recognition_in_force``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiuye.casework.deadlines import queries
from jiuye.casework.deadlines.context import RuleContext, rule_context
from jiuye.casework.deadlines.dates import REFERRALS_NEEDED
from jiuye.casework.deadlines.items import Action, Item, Items, State
from jiuye.lib import workdays
from jiuye.lib.masking import mask_text
from jiuye.lib.sql import read_date
from jiuye.registry.models import Household
from jiuye.registry.selectors import Reader
from jiuye.units.models import Unit

ACTIONS = {
    "CQ-4": Action.GUIDANCE,
    "CQ-2": Action.EMPLOY_MEMBER,
    "QG-6-visit": Action.VISIT,
    "QG-6-contact": Action.CONTACT,
    "QG-3": Action.REFERRAL,
    "CQ-5": Action.EMPLOY,
    "AS-1": Action.PLACE,
}


def scope_of(ctx: RuleContext) -> queries.Scope:
    """The query scope of a rule context: its unit's persons and households as its user may
    see them."""
    return queries.scope_for(
        ctx.user, ctx.on, units=[ctx.unit], period_start=ctx.period_start, gaps=ctx.gaps
    )


def _detail(rule: str, day: date, n: int | None) -> str:
    if rule == "CQ-2":
        return str(_("零就业家庭 {day} 出现")).format(day=day.isoformat())
    if rule == "QG-6-contact":
        year, q = workdays.quarter_of(day)
        return str(_("{year}年第{q}季度")).format(year=year, q=q)
    if rule == "QG-3":
        return ngettext("已推荐 %(n)s 次", "已推荐 %(n)s 次", n or 0) % {"n": n or 0}
    if rule == "AS-1":
        return str(_("承诺服务后2个工作日内上岗"))
    return str(_("登记失业 {day}")).format(day=day.isoformat())


def _progress(rule: str, day: date, n: int | None) -> dict[str, Any]:
    if rule == "QG-3":
        return {"count": n or 0, "needed": REFERRALS_NEEDED}
    if rule == "CQ-5":
        return {"registered_on": day}
    return {}


def items_of_rows(rows: Iterable[dict[str, Any]]) -> list[Item]:
    """:class:`Item` objects of query rows (:data:`queries.COLUMNS`); a household is named by
    its number and its address, masked like any free text on its way out."""
    rows = list(rows)
    households = [r["household_id"] for r in rows if r["household_id"]]
    addresses = dict(
        Household.objects.filter(pk__in=households).values_list("pk", "address")
        if households
        else []
    )
    items = []
    for row in rows:
        rule, day = row["rule_id"], read_date(row["day"])
        due = read_date(row["due"])
        assert day is not None and due is not None  # every rule selects both
        name = row["name"] or ""
        if row["household_id"] and addresses.get(row["household_id"]):
            name = f"{name}（{mask_text(addresses[row['household_id']])}）"
        items.append(
            Item(
                rule_id=rule,
                due=due,
                state=State(row["state"]),
                action=ACTIONS[rule],
                name=name,
                person_id=row["person_id"],
                household_id=row["household_id"],
                case_id=row["case_id"],
                community_id=row["community_id"],
                grid_id=row["grid_id"],
                done_on=read_date(row["done_on"]),
                actionable=bool(row["actionable"]),
                detail=_detail(rule, day, row["n"]),
                progress=_progress(rule, day, row["n"]),
            )
        )
    return items


def run_rules(ctx: RuleContext, rules: Iterable[str]) -> Items:
    """The items of ``rules`` for the context's unit, as its user may see them, most urgent
    first, with what could not be dated for want of a holiday calendar in ``ctx.gaps``."""
    scope = scope_of(ctx)
    rows = queries.fetch(queries.select_items(scope, rules=rules))
    queries.note_gaps(scope, rules)
    return Items(items_of_rows(rows), ctx.gaps)


def _rule(rule_id: str, doc: str) -> Callable[..., Items]:
    def run(
        unit: Unit,
        on: date,
        *,
        user: Reader | None,
        period_start: date | None = None,
        context: RuleContext | None = None,
    ) -> Items:
        ctx = rule_context(unit, on, user=user, period_start=period_start, context=context)
        return run_rules(ctx, [rule_id])

    run.__doc__ = doc
    return run


cq4_guidance = _rule("CQ-4", queries.cq4_sql.__doc__ or "")
cq2_zero_family = _rule("CQ-2", queries.cq2_sql.__doc__ or "")
qg6_visit = _rule("QG-6-visit", queries.qg6_visit_sql.__doc__ or "")
qg6_quarterly_contact = _rule("QG-6-contact", queries.qg6_contact_sql.__doc__ or "")
qg3_referral = _rule("QG-3", queries.qg3_referral_sql.__doc__ or "")
cq5_long_term = _rule("CQ-5", queries.cq5_sql.__doc__ or "")
as1_placement = _rule("AS-1", queries.as1_sql.__doc__ or "")

RULE_FUNCTIONS: dict[str, Callable[..., Items]] = {
    "CQ-4": cq4_guidance,
    "CQ-2": cq2_zero_family,
    "QG-6-visit": qg6_visit,
    "QG-6-contact": qg6_quarterly_contact,
    "QG-3": qg3_referral,
    "CQ-5": cq5_long_term,
    "AS-1": as1_placement,
}
