"""The casework deadlines of DOMAIN §4, one function per rule, and the worklist built from them.

Each rule function answers, for a unit (every community under it; a grid: its own rows) and a
date ``on``, with one :class:`Item` per person or household the rule concerns: its due date, its
state at ``on`` and the one action that clears it. Only records dated on or before ``on`` count,
so a past date gives the answer it gave then. The period (default: the calendar year of ``on``)
is the assessment period of DOMAIN §5.

- CQ-4 :func:`cq4_guidance`: by the 3rd working day after an unemployment registration (the
  registration day itself not counted);
- CQ-2 :func:`cq2_zero_family`: eliminated by the same day of the next month after the zero
  family emerged (or that month's last day);
- QG-6 :func:`qg6_visit`: a visit in the period, within one month of the registration or of the
  period's start (our reading);
- QG-6 :func:`qg6_quarterly_contact`: a contact or visit in each calendar quarter, by its last
  day;
- QG-3 :func:`qg3_referral`: the 2nd referral in the period, within two months of the
  registration or of the period's start (our reading);
- CQ-5 :func:`cq5_long_term`: out of registered unemployment before it is a continuous year old
  (:func:`is_long_term`, the one definition the standards' ``long_term_unemployed`` also uses);
- AS-1 :func:`as1_placement`: placement by the 2nd working day after the commitment (004; the ID
  is ours, DOMAIN.md gives this rule none).

QG-6 and QG-3 set no deadline, only a state at assessment time (DOMAIN §5's ``visit_rate`` and
``referral_twice_rate`` are taken at any date over the period): the grace periods above are the
readings the worklist uses, so that a rate is 100 % on any date that is not within the grace of
a new registration. Working days come from :mod:`jiuye.lib.workdays`; a date outside the years
the holiday calendar knows raises :class:`~jiuye.lib.workdays.WorkdayCalendarError`.

A recognised difficult person is difficult from ``recognized_on`` up to the day before
``ended_on``. A registration (登记失业) is a spell of consecutive registered-unemployed status
events; it starts on the first one's ``since`` and ends on the first day of a later status.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, Model, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiuye.casework.models import (
    AssistanceCase,
    AssistanceStep,
    AssistanceStepKind,
    ServiceKind,
    ServiceRecord,
    ZeroFamilyCase,
)
from jiuye.casework.selectors import persons_of, unit_filter
from jiuye.lib import workdays
from jiuye.lib.retirement import add_months
from jiuye.registry.models import DifficultyRecognition, Person, Status, StatusEvent
from jiuye.units.models import Level, Unit
from jiuye.units.scope import scope_to_jurisdiction

SOON_WORKDAYS = 5  # the worklist shows what falls due within the next 5 working days
GUIDANCE_WORKDAYS = 3  # CQ-4
PLACEMENT_WORKDAYS = 2  # 004
VISIT_MONTHS = 1  # QG-6 visit, our reading
REFERRALS_NEEDED = 2  # QG-3
REFERRAL_MONTHS = 2  # QG-3, our reading
LONG_TERM_MONTHS = 12  # CQ-5 / QG-3

M = TypeVar("M", bound=Model)

# Units small enough to list their persons' ids (see ``_Context.of_persons``).
SMALL_LEVELS = frozenset({Level.COMMUNITY, Level.VILLAGE, Level.GRID})


def chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    """``ids`` in lists short enough for one query's parameters on the database in use."""
    size = max(100, (connection.features.max_query_params or 20000) - 100)
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


class _AnyOf(Func):
    """``field = ANY(%s)`` with the ids as one array parameter (PostgreSQL): planned in a
    fraction of the time of an ``IN`` list of thousands of literals, same index probes."""

    output_field = BooleanField()

    def __init__(self, field: str, ids: list[int]) -> None:
        super().__init__(F(field))
        self.ids = ids

    def as_sql(
        self, compiler: Any, connection: Any, *args: Any, **kwargs: Any
    ) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"{sql} = ANY(%s)", (*params, self.ids)


def id_filters(field: str, ids: Sequence[int]) -> list[Any]:
    """Filters, each for one query, that together select the rows whose ``field`` is in
    ``ids`` (none when ``ids`` is empty)."""
    if not ids:
        return []
    if connection.vendor == "postgresql":
        return [_AnyOf(field, list(ids))]
    return [Q(**{f"{field}__in": chunk}) for chunk in chunks(ids)]


_add_workdays = lru_cache(maxsize=8192)(workdays.add_workdays)


class State(StrEnum):
    MET = "met"
    LATE = "late"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    PENDING = "pending"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    State.MET: _("按时完成"),
    State.LATE: _("逾期完成"),
    State.OVERDUE: _("已逾期"),
    State.DUE_SOON: _("即将到期"),
    State.PENDING: _("未到期"),
}


class Action(StrEnum):
    """What clears an item; the views turn each into a link."""

    GUIDANCE = "guidance"
    REFERRAL = "referral"
    VISIT = "visit"
    CONTACT = "contact"
    EMPLOY_MEMBER = "employ_member"
    EMPLOY = "employ"
    PLACE = "place"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    Action.GUIDANCE: _("记录职业指导"),
    Action.REFERRAL: _("记录职业介绍"),
    Action.VISIT: _("记录走访"),
    Action.CONTACT: _("记录联系或走访"),
    Action.EMPLOY_MEMBER: _("帮助家庭成员就业"),
    Action.EMPLOY: _("帮助实现就业"),
    Action.PLACE: _("记录援助上岗"),
}

RULES: dict[str, Any] = {
    "CQ-4": _("登记失业后3个工作日内职业指导"),
    "CQ-2": _("新出现的零就业家庭1个月内消除"),
    "QG-6-visit": _("登记失业人员走访"),
    "QG-6-contact": _("就业困难人员每季度联系"),
    "QG-3": _("登记失业人员推荐就业两次以上"),
    "CQ-5": _("无连续失业1年以上的登记失业人员"),
    "AS-1": _("不挑不拣的困难人员2个工作日内上岗"),
}
RULE_ORDER = {rule: index for index, rule in enumerate(RULES)}


@dataclass(frozen=True)
class Item:
    """One person's or household's standing under one rule at a date."""

    rule_id: str
    due: date
    state: State
    action: Action
    name: str
    person_id: int | None = None
    household_id: int | None = None
    case_id: int | None = None
    community_id: int | None = None
    grid_id: int | None = None
    done_on: date | None = None
    # Can the action still change this item? (False: the chance has passed, e.g. a person
    # employed before the guidance they were owed, or a quarter that has ended.)
    actionable: bool = True
    detail: str = ""
    progress: dict[str, Any] = field(default_factory=dict)

    @property
    def rule_label(self) -> str:
        return str(RULES.get(self.rule_id, self.rule_id))

    @property
    def base_rule(self) -> str:
        """The rule ID as DOMAIN.md cites it (QG-6 has two deadlines)."""
        return self.rule_id.removesuffix("-visit").removesuffix("-contact")

    @property
    def urgent_key(self) -> tuple[int, date, int, str]:
        return (
            0 if self.state == State.OVERDUE else 1,
            self.due,
            RULE_ORDER.get(self.rule_id, 99),
            self.name,
        )


# ---------------------------------------------------------------------------------------------
# Pure date logic (tested without a database)
# ---------------------------------------------------------------------------------------------


def horizon(on: date) -> date:
    """The last day that counts as "due soon" at ``on``: the 5th working day after it."""
    return _add_workdays(on, SOON_WORKDAYS)


def classify(*, due: date, done_on: date | None, on: date, soon_until: date) -> State:
    """State at ``on`` of something due by ``due`` (inclusive) and done on ``done_on``."""
    if done_on is not None and done_on <= on:
        return State.MET if done_on <= due else State.LATE
    if on > due:
        return State.OVERDUE
    return State.DUE_SOON if due <= soon_until else State.PENDING


def guidance_due(registered_on: date) -> date:
    """CQ-4: the 3rd working day after the registration day (which is not counted)."""
    return _add_workdays(registered_on, GUIDANCE_WORKDAYS)


def guidance_on_time(registered_on: date, guided_on: date) -> bool:
    """CQ-4: guidance on the registration day or up to its 3rd working day after."""
    return registered_on <= guided_on <= guidance_due(registered_on)


def zero_family_due(emerged_on: date) -> date:
    """CQ-2: one month after emerging (01-31 → 02-28, or 02-29 in a leap year)."""
    return workdays.month_deadline(emerged_on)


def long_term_from(spell_start: date) -> date:
    """CQ-5 / QG-3 / DOMAIN §5 ``long_term_unemployed``: the first day a registration that
    began on ``spell_start`` is a continuous year old, the same month and day a year later
    (registered 2025-03-01 → long-term on 2026-03-01, not on 2026-02-28). A registration of
    29 February turns a year old on 28 February of a common year (the month's last day, as
    every month-based deadline here: ``lib.retirement.add_months``). See docs/decisions.md,
    "Long-term unemployed: the anniversary day"."""
    return add_months(spell_start, LONG_TERM_MONTHS)


def is_long_term(spell_start: date, on: date, spell_end: date | None = None) -> bool:
    """Is a registration that began on ``spell_start`` long-term unemployment at ``on``: still
    registered that day (``spell_end``, the first day no longer registered, is None or later)
    and a continuous year old by then. The one predicate: the CQ-5 worklist's states and the
    standards' long-term counts both follow it."""
    registered = spell_end is None or spell_end > on
    return registered and on >= long_term_from(spell_start)


def visit_due(registered_on: date, period_start: date) -> date:
    """QG-6 (our reading): a visit within a month of the registration or the period's start."""
    return add_months(max(registered_on, period_start), VISIT_MONTHS)


def referral_due(registered_on: date, period_start: date) -> date:
    """QG-3 (our reading): the 2nd referral within two months of registration or period start."""
    return add_months(max(registered_on, period_start), REFERRAL_MONTHS)


def placement_due(committed_on: date) -> date:
    """004 (AS-1): placed by the 2nd working day after the commitment."""
    return _add_workdays(committed_on, PLACEMENT_WORKDAYS)


def quarters_between(start: date, end: date) -> list[tuple[int, int]]:
    """The (year, quarter) pairs that intersect [start, end], in order."""
    quarters = []
    year, q = workdays.quarter_of(start)
    while workdays.quarter_bounds(year, q)[0] <= end:
        quarters.append((year, q))
        year, q = (year, q + 1) if q < 4 else (year + 1, 1)
    return quarters


@dataclass(frozen=True, slots=True)
class Spell:
    """A registration: consecutive registered-unemployed events of one person."""

    person_id: int
    start: date
    end: date | None  # first day no longer registered (None: still registered at the date)


def spells(events: Iterable[tuple[int, date, date | None]], on: date) -> list[Spell]:
    """Chain (person, since, until) registered-unemployed events into spells as of ``on``:
    events with ``since`` after ``on`` are ignored, an end after ``on`` is not yet known."""
    by_person: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for person_id, since, until in events:
        if since <= on:
            by_person[person_id].append((since, until))
    found = []
    for person_id, rows in by_person.items():
        rows.sort()
        start, end = rows[0]
        for since, until in rows[1:]:
            if end is not None and since == end:
                end = until
            else:
                found.append(Spell(person_id, start, end))
                start, end = since, until
        found.append(Spell(person_id, start, end))
    return [
        Spell(s.person_id, s.start, s.end if s.end is not None and s.end <= on else None)
        for s in found
    ]


def first_on_or_after(days: Sequence[date], start: date, before: date | None = None) -> date | None:
    """The first of the sorted ``days`` in [start, before)."""
    for day in days:
        if day >= start and (before is None or day < before):
            return day
    return None


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------


def _period_start(on: date, period_start: date | None) -> date:
    return period_start or date(on.year, 1, 1)


@dataclass
class _Context:
    """What several rules share for one unit and date: fetched once per worklist."""

    unit: Unit
    on: date
    period_start: date
    user: Any
    soon_until: date
    _persons: dict[int, dict[str, Any]] = field(default_factory=dict)
    _spells: list[Spell] | None = None
    _person_ids: list[int] | None = None

    def scoped(self, queryset: QuerySet[M], prefix: str = "person__") -> QuerySet[M]:
        """Rows of the unit reached through ``prefix`` (a join on the indexed community or grid
        column), through the user's jurisdiction when there is a user."""
        queryset = queryset.filter(unit_filter(self.unit, prefix))
        return scope_to_jurisdiction(queryset, self.user) if self.user is not None else queryset

    def person_ids(self) -> list[int]:
        if self._person_ids is None:
            persons = persons_of(self.unit, self.user).order_by()
            self._person_ids = list(persons.values_list("pk", flat=True))
        return self._person_ids

    def of_persons(self, queryset: QuerySet[M]) -> list[QuerySet[M]]:
        """``queryset`` restricted to the unit's persons, as one or more querysets.

        For a community or grid (a few thousand persons) the ids are fetched first and passed
        as one array (PostgreSQL) or lists (SQLite): the planner then probes the ``person_id``
        index once per person instead of joining, which PostgreSQL plans as a scan of the whole
        event table once it holds millions of rows. Above a community, the join is the better
        plan.
        """
        if self.unit.level in SMALL_LEVELS:
            return [queryset.filter(f) for f in id_filters("person_id", self.person_ids())]
        return [self.scoped(queryset)]

    def person_info(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        missing = set(ids) - set(self._persons)
        for chunk in id_filters("id", sorted(missing)):
            for row in Person.objects.filter(chunk).values(
                "pk",
                "name",
                "community_id",
                "grid_id",
                "work_from",
                "retire_on",
                "able",
                "willing",
            ):
                self._persons[row["pk"]] = dict(row)
        return self._persons

    def registration_spells(self) -> list[Spell]:
        """Every registration of the unit's persons up to ``on`` (each rule picks its own)."""
        if self._spells is None:
            # Every registered-unemployed event up to ``on`` (a spell's start may lie years
            # back); the spells that matter are picked by the rules.
            events = StatusEvent.objects.filter(
                status=Status.UNEMPLOYED, registered=True, since__lte=self.on
            ).order_by()
            rows = [
                row
                for qs in self.of_persons(events)
                for row in qs.values_list("person_id", "since", "until")
            ]
            self._spells = spells(rows, self.on)
        return self._spells

    def service_days(
        self, kinds: Iterable[str], person_ids: Iterable[int], start: date
    ) -> dict[int, list[date]]:
        """Sorted dates of services of ``kinds`` in [start, on] for each person."""
        days: dict[int, list[date]] = defaultdict(list)
        for ids in id_filters("person_id", sorted(set(person_ids))):
            rows = (
                ServiceRecord.objects.filter(
                    ids,
                    kind__in=list(kinds),
                    on__gte=start,
                    on__lte=self.on,
                )
                .order_by()
                .values_list("person_id", "on")
            )
            for person_id, day in rows:
                days[person_id].append(day)
        for values in days.values():
            values.sort()
        return days

    def person_item(self, person_id: int, **kwargs: Any) -> Item:
        info = self._persons[person_id]
        return Item(
            name=info["name"],
            person_id=person_id,
            community_id=info["community_id"],
            grid_id=info["grid_id"],
            **kwargs,
        )


def _context(
    unit: Unit,
    on: date,
    *,
    user: Any = None,
    period_start: date | None = None,
    context: _Context | None = None,
) -> _Context:
    if context is not None:
        return context
    return _Context(
        unit=unit,
        on=on,
        period_start=_period_start(on, period_start),
        user=user,
        soon_until=horizon(on),
    )


# ---------------------------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------------------------


def cq4_guidance(
    unit: Unit,
    on: date,
    *,
    user: Any = None,
    period_start: date | None = None,
    context: _Context | None = None,
) -> list[Item]:
    """CQ-4: guidance within 3 working days of each unemployment registration.

    Registrations dated in the period, and those still in force whose due date falls in it. The
    guidance must be on or after the registration day and before the registration ended.
    """
    ctx = _context(unit, on, user=user, period_start=period_start, context=context)
    chosen = []
    # 3 working days never span a month, so older registrations cannot fall due in the period
    # (and their dates may lie before the years the holiday calendar knows).
    horizon_start = ctx.period_start - timedelta(days=31)
    for spell in ctx.registration_spells():
        if spell.start < horizon_start or (spell.start < ctx.period_start and spell.end):
            continue
        due = guidance_due(spell.start)
        if spell.start >= ctx.period_start or due >= ctx.period_start:
            chosen.append((spell, due))
    if not chosen:
        return []
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
    return items


def cq2_zero_family(
    unit: Unit,
    on: date,
    *,
    user: Any = None,
    period_start: date | None = None,
    context: _Context | None = None,
) -> list[Item]:
    """CQ-2: a new zero-employment family eliminated within one month of emerging.

    From the zero-family cases: those open at ``on`` and those closed in the period.
    """
    ctx = _context(unit, on, user=user, period_start=period_start, context=context)
    cases = (
        ctx.scoped(ZeroFamilyCase.objects.filter(emerged_on__lte=ctx.on), "household__")
        .filter(Q(eliminated_on__isnull=True) | Q(eliminated_on__gte=ctx.period_start))
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
        due = zero_family_due(case["emerged_on"])
        done = (
            case["eliminated_on"]
            if (case["eliminated_on"] and case["eliminated_on"] <= ctx.on)
            else None
        )
        name = case["household__number"]
        if case["household__address"]:
            name = f"{name}（{case['household__address']}）"
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
    return items


def qg6_visit(
    unit: Unit,
    on: date,
    *,
    user: Any = None,
    period_start: date | None = None,
    context: _Context | None = None,
) -> list[Item]:
    """QG-6: every person registered unemployed at ``on`` visited (走访) in the period."""
    ctx = _context(unit, on, user=user, period_start=period_start, context=context)
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
    return items


def qg6_quarterly_contact(
    unit: Unit,
    on: date,
    *,
    user: Any = None,
    period_start: date | None = None,
    context: _Context | None = None,
) -> list[Item]:
    """QG-6: every recognised difficult person contacted (phone or visit) once a quarter.

    One item per person and quarter of the period up to ``on``, for each person recognised
    difficult on any day of that quarter (up to ``on``). An ended quarter without a contact is
    overdue and can no longer be cleared (the next contact counts for the quarter it falls in).
    """
    ctx = _context(unit, on, user=user, period_start=period_start, context=context)
    current = DifficultyRecognition.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=ctx.period_start),
        recognized_on__lte=ctx.on,
    ).order_by()
    recognitions = [
        row
        for qs in ctx.of_persons(current)
        for row in qs.values_list("person_id", "recognized_on", "ended_on")
    ]
    if not recognitions:
        return []
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
                if recognized <= upto and (ended is None or ended > first)
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
    return items


def qg3_referral(
    unit: Unit,
    on: date,
    *,
    user: Any = None,
    period_start: date | None = None,
    context: _Context | None = None,
) -> list[Item]:
    """QG-3: every able, willing registered unemployed person (in the labor force at ``on``)
    referred to a job (职业介绍) at least twice in the period."""
    ctx = _context(unit, on, user=user, period_start=period_start, context=context)
    current = [s for s in ctx.registration_spells() if s.end is None]
    info = ctx.person_info(s.person_id for s in current)
    current = [
        s
        for s in current
        if info[s.person_id]["able"]
        and info[s.person_id]["willing"]
        and info[s.person_id]["work_from"] <= ctx.on < info[s.person_id]["retire_on"]
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
    return items


def cq5_long_term(
    unit: Unit,
    on: date,
    *,
    user: Any = None,
    period_start: date | None = None,
    context: _Context | None = None,
) -> list[Item]:
    """CQ-5 / QG-3: nobody registered unemployed for a continuous year or more.

    Registrations in force at ``on`` and those that ended in the period. ``due`` is the day the
    registration turns a year old (:func:`long_term_from`): a new status from that day on at the
    latest ends it in time (the person is then not registered on that day), so ``done_on``
    (the registration's end) ``<= due`` is met. An open registration is overdue from that day
    itself, exactly when :func:`is_long_term` counts the person (not from the next day).
    """
    ctx = _context(unit, on, user=user, period_start=period_start, context=context)
    chosen = [s for s in ctx.registration_spells() if s.end is None or s.end >= ctx.period_start]
    ctx.person_info(s.person_id for s in chosen)
    items = []
    for spell in chosen:
        due = long_term_from(spell.start)
        if spell.end is None:
            if is_long_term(spell.start, ctx.on):
                state = State.OVERDUE
            else:
                state = State.DUE_SOON if due <= ctx.soon_until else State.PENDING
        else:
            # Long-term on its last registered day?
            last_day = spell.end - timedelta(days=1)
            state = State.LATE if is_long_term(spell.start, last_day, spell.end) else State.MET
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
    return items


def as1_placement(
    unit: Unit,
    on: date,
    *,
    user: Any = None,
    period_start: date | None = None,
    context: _Context | None = None,
) -> list[Item]:
    """AS-1 (004): a difficult person who accepts any suitable post placed within 2 working days
    of the committed service. Cases with a placement deadline: not yet placed at ``on``, or placed
    in the period."""
    ctx = _context(unit, on, user=user, period_start=period_start, context=context)
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
    return items


RULE_FUNCTIONS: dict[str, Callable[..., list[Item]]] = {
    "CQ-4": cq4_guidance,
    "CQ-2": cq2_zero_family,
    "QG-6-visit": qg6_visit,
    "QG-6-contact": qg6_quarterly_contact,
    "QG-3": qg3_referral,
    "CQ-5": cq5_long_term,
    "AS-1": as1_placement,
}


def deadline_items(
    unit: Unit,
    on: date,
    *,
    user: Any = None,
    period_start: date | None = None,
    rules: Iterable[str] | None = None,
) -> list[Item]:
    """Every rule's items for ``unit`` at ``on`` (sharing the registration query)."""
    ctx = _context(unit, on, user=user, period_start=period_start)
    items: list[Item] = []
    for rule in rules or RULE_FUNCTIONS:
        items.extend(RULE_FUNCTIONS[rule](unit, on, context=ctx))
    return items


def worklist(
    unit: Unit, on: date, *, user: Any = None, period_start: date | None = None
) -> list[Item]:
    """What is overdue or due within the next 5 working days and can still be cleared, most
    urgent first (overdue, oldest due first; then due soon, nearest first)."""
    items = [
        item
        for item in deadline_items(unit, on, user=user, period_start=period_start)
        if item.actionable and item.state in (State.OVERDUE, State.DUE_SOON)
    ]
    items.sort(key=lambda item: item.urgent_key)
    return items


def outermost_units(units: Iterable[Unit]) -> list[Unit]:
    """Drop units lying under another of ``units`` (their rows are already in it)."""
    kept: list[Unit] = []
    for unit in sorted(units, key=lambda u: len(u.path)):
        if not any(unit.path.startswith(k.path) for k in kept):
            kept.append(unit)
    return sorted(kept, key=lambda u: u.path)


def user_worklist(user: Any, on: date, *, units: Iterable[Unit] | None = None) -> list[Item]:
    """The worklist of each of the user's units (or of ``units``), merged, most urgent first."""
    if units is None:
        units = Unit.objects.filter(memberships__user=user)
    items: list[Item] = []
    for unit in outermost_units(units):
        items.extend(worklist(unit, on, user=user))
    items.sort(key=lambda item: item.urgent_key)
    return items
