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

Every read goes through ``user``'s jurisdiction (a required keyword: None finds nothing); a
system job (the standards' evaluation, the command line) passes ``units.scope.SYSTEM``. A
worklist shares one ``context`` (and its user) among the rules. A recognised difficult person
is difficult while ``definitions.recognition_in_force``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiuye.casework.deadlines.context import RuleContext, rule_context
from jiuye.casework.deadlines.dates import (
    REFERRALS_NEEDED,
    classify,
    first_on_or_after,
    guidance_due,
    quarters_between,
    referral_due,
    visit_due,
)
from jiuye.casework.deadlines.items import Action, Item, Items, State
from jiuye.casework.models import (
    AssistanceCase,
    AssistanceStep,
    AssistanceStepKind,
    ServiceKind,
    ZeroFamilyCase,
)
from jiuye.lib import workdays
from jiuye.lib.masking import mask_text
from jiuye.registry import definitions
from jiuye.registry.models import DifficultyRecognition
from jiuye.registry.selectors import Reader
from jiuye.units.models import Unit


def cq4_guidance(
    unit: Unit,
    on: date,
    *,
    user: Reader | None,
    period_start: date | None = None,
    context: RuleContext | None = None,
) -> Items:
    """CQ-4: guidance within 3 working days of each unemployment registration.

    Registrations dated in the period, and earlier ones whose due date falls in it (ended or
    not: each registration is counted in its deadline's period, DOMAIN §5 2026-12). The
    guidance must be on or after the registration day and before the registration ended.
    """
    ctx = rule_context(unit, on, user=user, period_start=period_start, context=context)
    chosen = []
    # 3 working days never span a month, so older registrations cannot fall due in the period
    # (and their dates may lie before the years the holiday calendar knows).
    horizon_start = ctx.period_start - timedelta(days=31)
    for spell in ctx.registration_spells():
        if spell.start < horizon_start:
            continue
        due = ctx.workday_due("CQ-4", guidance_due, spell.start)
        if due is None:
            continue  # needs a year without a holiday calendar: left out, in ``ctx.gaps``
        if spell.start >= ctx.period_start or due >= ctx.period_start:
            chosen.append((spell, due))
    if not chosen:
        return Items(gaps=ctx.gaps)
    earliest = min(spell.start for spell, _due in chosen)
    guidance = ctx.service_days([ServiceKind.GUIDANCE], [s.person_id for s, _ in chosen], earliest)
    ctx.person_info(s.person_id for s, _ in chosen)
    items = []
    for spell, due in chosen:
        done = first_on_or_after(guidance.get(spell.person_id, []), spell.start, spell.end)
        items.append(
            ctx.person_item(
                spell.person_id,
                rule_id="CQ-4",
                due=due,
                done_on=done,
                state=classify(due=due, done_on=done, on=ctx.on, soon_until=ctx.soon_until),
                action=Action.GUIDANCE,
                actionable=spell.end is None,
                detail=str(_("登记失业 {day}")).format(day=spell.start.isoformat()),
            )
        )
    return Items(items, ctx.gaps)


def cq2_zero_family(
    unit: Unit,
    on: date,
    *,
    user: Reader | None,
    period_start: date | None = None,
    context: RuleContext | None = None,
) -> Items:
    """CQ-2: a new zero-employment family eliminated within one month of emerging.

    From the zero-family cases (the one set of episodes) of urban households only (城镇 and
    农转非, ``definitions.urban_q``: CQ counts urban households in every CQ-2 figure), read as of
    ``on``: those open that day and those eliminated in the period up to it. An end after
    ``on`` (a retirement the calendar already dates) is not known yet that day.
    """
    ctx = rule_context(unit, on, user=user, period_start=period_start, context=context)
    cases = (
        ctx.scoped(ZeroFamilyCase.objects.of_period(ctx.period_start, ctx.on), "household__")
        .filter(definitions.urban_q("household__hukou_type"))
        .values(
            "pk",
            "household_id",
            "household__number",
            "household__address",
            "household__community_id",
            "household__grid_id",
            "emerged_on",
            "eliminated_on",
        )
    )
    items = []
    for case in cases:
        due = definitions.zero_family_due(case["emerged_on"])
        done = (
            case["eliminated_on"]
            if (case["eliminated_on"] and case["eliminated_on"] <= ctx.on)
            else None
        )
        name = case["household__number"]
        if case["household__address"]:
            # Free text is masked like any personal number on its way out (issue 11, finding 2).
            name = f"{name}（{mask_text(case['household__address'])}）"
        items.append(
            Item(
                rule_id="CQ-2",
                due=due,
                done_on=done,
                name=name,
                state=classify(due=due, done_on=done, on=ctx.on, soon_until=ctx.soon_until),
                action=Action.EMPLOY_MEMBER,
                household_id=case["household_id"],
                case_id=case["pk"],
                community_id=case["household__community_id"],
                grid_id=case["household__grid_id"],
                detail=str(_("零就业家庭 {day} 出现")).format(day=case["emerged_on"].isoformat()),
            )
        )
    return Items(items, ctx.gaps)


def qg6_visit(
    unit: Unit,
    on: date,
    *,
    user: Reader | None,
    period_start: date | None = None,
    context: RuleContext | None = None,
) -> Items:
    """QG-6: every person registered unemployed at ``on`` visited (走访) in the period."""
    ctx = rule_context(unit, on, user=user, period_start=period_start, context=context)
    current = [s for s in ctx.registration_spells() if s.end is None]
    visits = ctx.service_days([ServiceKind.VISIT], [s.person_id for s in current], ctx.period_start)
    ctx.person_info(s.person_id for s in current)
    items = []
    for spell in current:
        due = visit_due(spell.start, ctx.period_start)
        days = visits.get(spell.person_id, [])
        done = days[0] if days else None
        items.append(
            ctx.person_item(
                spell.person_id,
                rule_id="QG-6-visit",
                due=due,
                done_on=done,
                state=classify(due=due, done_on=done, on=ctx.on, soon_until=ctx.soon_until),
                action=Action.VISIT,
                detail=str(_("登记失业 {day}")).format(day=spell.start.isoformat()),
            )
        )
    return Items(items, ctx.gaps)


def _difficult_during(recognized_on: date, ended_on: date | None, first: date, last: date) -> bool:
    """Recognised difficult on some day of [first, last]: in force on the later of its
    recognition day and ``first``, if that day is in the range."""
    day = max(recognized_on, first)
    return day <= last and definitions.recognition_in_force(
        recognized_on=recognized_on, ended_on=ended_on, on=day
    )


def qg6_quarterly_contact(
    unit: Unit,
    on: date,
    *,
    user: Reader | None,
    period_start: date | None = None,
    context: RuleContext | None = None,
) -> Items:
    """QG-6: every recognised difficult person contacted (phone or visit) once a quarter.

    One item per person and quarter of the period up to ``on``, for each person recognised
    difficult on any day of that quarter (up to ``on``). An ended quarter without a contact is
    overdue and can no longer be cleared (the next contact counts for the quarter it falls in).
    """
    ctx = rule_context(unit, on, user=user, period_start=period_start, context=context)
    current = DifficultyRecognition.objects.filter(
        definitions.recognition_overlaps_q(ctx.period_start, ctx.on)
    ).order_by()
    recognitions = [
        row
        for qs in ctx.of_persons(current)
        for row in qs.values_list("person_id", "recognized_on", "ended_on")
    ]
    if not recognitions:
        return Items(gaps=ctx.gaps)
    contacts = ctx.service_days(
        [ServiceKind.CONTACT, ServiceKind.VISIT], [r[0] for r in recognitions], ctx.period_start
    )
    ctx.person_info(r[0] for r in recognitions)
    items = []
    for year, q in quarters_between(ctx.period_start, ctx.on):
        first, last = workdays.quarter_bounds(year, q)
        first, upto = max(first, ctx.period_start), min(last, ctx.on)
        difficult = sorted(
            {
                person_id
                for person_id, recognized, ended in recognitions
                if _difficult_during(recognized, ended, first, upto)
            }
        )
        for person_id in difficult:
            done = first_on_or_after(contacts.get(person_id, []), first, last + timedelta(1))
            items.append(
                ctx.person_item(
                    person_id,
                    rule_id="QG-6-contact",
                    due=last,
                    done_on=done,
                    state=classify(due=last, done_on=done, on=ctx.on, soon_until=ctx.soon_until),
                    action=Action.CONTACT,
                    actionable=last >= ctx.on,
                    detail=str(_("{year}年第{q}季度")).format(year=year, q=q),
                )
            )
    return Items(items, ctx.gaps)


def qg3_referral(
    unit: Unit,
    on: date,
    *,
    user: Reader | None,
    period_start: date | None = None,
    context: RuleContext | None = None,
) -> Items:
    """QG-3: every able, willing registered unemployed person (in the labor force at ``on``)
    referred to a job (职业介绍) at least twice in the period."""
    ctx = rule_context(unit, on, user=user, period_start=period_start, context=context)
    # Registered at ``on`` (an open spell): their status that day is ``unemployed``.
    current = [s for s in ctx.registration_spells() if s.end is None]
    info = ctx.person_info(s.person_id for s in current)
    current = [
        s
        for s in current
        if definitions.in_labor_force(
            work_from=info[s.person_id]["work_from"],
            retire_on=info[s.person_id]["retire_on"],
            able=info[s.person_id]["able"],
            willing=info[s.person_id]["willing"],
            status=definitions.UNEMPLOYED,
            on=ctx.on,
        )
    ]
    referrals = ctx.service_days(
        [ServiceKind.REFERRAL], [s.person_id for s in current], ctx.period_start
    )
    items = []
    for spell in current:
        due = referral_due(spell.start, ctx.period_start)
        days = referrals.get(spell.person_id, [])
        done = days[REFERRALS_NEEDED - 1] if len(days) >= REFERRALS_NEEDED else None
        items.append(
            ctx.person_item(
                spell.person_id,
                rule_id="QG-3",
                due=due,
                done_on=done,
                state=classify(due=due, done_on=done, on=ctx.on, soon_until=ctx.soon_until),
                action=Action.REFERRAL,
                progress={"count": len(days), "needed": REFERRALS_NEEDED},
                detail=ngettext("已推荐 %(n)s 次", "已推荐 %(n)s 次", len(days)) % {"n": len(days)},
            )
        )
    return Items(items, ctx.gaps)


def cq5_long_term(
    unit: Unit,
    on: date,
    *,
    user: Reader | None,
    period_start: date | None = None,
    context: RuleContext | None = None,
) -> Items:
    """CQ-5 / QG-3: nobody registered unemployed for a continuous year or more.

    Registrations in force at ``on`` and those that ended in the period. ``due`` is the day the
    registration turns a year old (``definitions.long_term_from``): a new status from that day
    on at the latest ends it in time (the person is then not registered on that day), so
    ``done_on`` (the registration's end) ``<= due`` is met. An open registration is overdue
    from that day itself, exactly when ``definitions.is_long_term`` counts the person (not from
    the next day).
    """
    ctx = rule_context(unit, on, user=user, period_start=period_start, context=context)
    chosen = [s for s in ctx.registration_spells() if s.end is None or s.end >= ctx.period_start]
    ctx.person_info(s.person_id for s in chosen)
    items = []
    for spell in chosen:
        due = definitions.long_term_from(spell.start)
        if spell.end is None:
            if definitions.is_long_term(spell.start, ctx.on):
                state = State.OVERDUE
            else:
                state = State.DUE_SOON if due <= ctx.soon_until else State.PENDING
        else:
            # Long-term on its last registered day?
            last_day = spell.end - timedelta(days=1)
            state = (
                State.LATE
                if definitions.is_long_term(spell.start, last_day, spell.end)
                else State.MET
            )
        items.append(
            ctx.person_item(
                spell.person_id,
                rule_id="CQ-5",
                due=due,
                done_on=spell.end,
                state=state,
                action=Action.EMPLOY,
                actionable=spell.end is None,
                detail=str(_("登记失业 {day}")).format(day=spell.start.isoformat()),
                progress={"registered_on": spell.start},
            )
        )
    return Items(items, ctx.gaps)


def as1_placement(
    unit: Unit,
    on: date,
    *,
    user: Reader | None,
    period_start: date | None = None,
    context: RuleContext | None = None,
) -> Items:
    """AS-1 (004): a difficult person who accepts any suitable post placed within 2 working days
    of the committed service. Cases with a placement deadline: not yet placed at ``on``, or placed
    in the period."""
    ctx = rule_context(unit, on, user=user, period_start=period_start, context=context)
    placed = AssistanceStep.objects.filter(
        case=OuterRef("pk"), kind=AssistanceStepKind.PLACEMENT, on__lte=ctx.on
    )
    cases = ctx.scoped(
        AssistanceCase.objects.filter(
            placement_due__isnull=False,
            opened_on__lte=ctx.on,
        )
    ).filter(~Exists(placed) | Exists(placed.filter(on__gte=ctx.period_start)))
    rows = list(cases.values("pk", "person_id", "placement_due"))
    placements: dict[int, date] = dict(
        AssistanceStep.objects.filter(
            case_id__in=[r["pk"] for r in rows], kind=AssistanceStepKind.PLACEMENT, on__lte=ctx.on
        ).values_list("case_id", "on")
    )
    ctx.person_info(r["person_id"] for r in rows)
    items = []
    for row in rows:
        due, done = row["placement_due"], placements.get(row["pk"])
        assert due is not None  # filtered on placement_due__isnull=False
        items.append(
            ctx.person_item(
                row["person_id"],
                rule_id="AS-1",
                due=due,
                done_on=done,
                case_id=row["pk"],
                state=classify(due=due, done_on=done, on=ctx.on, soon_until=ctx.soon_until),
                action=Action.PLACE,
                detail=str(_("承诺服务后2个工作日内上岗")),
            )
        )
    return Items(items, ctx.gaps)


RULE_FUNCTIONS: dict[str, Callable[..., Items]] = {
    "CQ-4": cq4_guidance,
    "CQ-2": cq2_zero_family,
    "QG-6-visit": qg6_visit,
    "QG-6-contact": qg6_quarterly_contact,
    "QG-3": qg3_referral,
    "CQ-5": cq5_long_term,
    "AS-1": as1_placement,
}
