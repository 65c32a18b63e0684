"""The indicators of DOMAIN §5 for every community under a unit at once, and their roll-up to
streets, districts and cities.

Each indicator is computed for *all* communities under the root unit by one aggregated query
(or one pass of casework's deadline rules over the root unit), never one query per community;
a street's or district's value is the sum of its communities' numerators and denominators.

Where each comes from:

- the **status indicators** (``employment_rate``, ``difficult_employment_rate``,
  ``zero_families``, ``zero_families_urban``, ``pure_farming_families``,
  ``registered_unemployment_rate``, ``dibao_unemployed_share``) from the community timelines of
  ``standards.aggregates`` when they are fresh, else from ``registry.classification``'s
  aggregated SQL (``community_classification``, and its labor-force CTE restricted to urban
  persons, to recognised difficult persons and to dibao households): the same definitions;
- the **service counts** (``satisfaction_rate``, ``training_mode_share``, ``valid_complaints``)
  from ``ServiceDay`` when fresh, else one aggregate over the service records;
- ``zero_family_max_days`` / ``zero_family_over_month`` from the household timelines (fresh) or
  the classification's zero-family sweep (``zero_family_episodes``) over the households that
  could have been zero in the period; the one-month deadline is casework's ``zero_family_due``;
- ``guidance_on_time_rate``, ``referral_twice_rate``, ``visit_rate``,
  ``difficult_contact_misses``, the long-term counts: casework's deadline rules (CQ-4, QG-3,
  QG-6, CQ-5) run once over the root unit and counted per community;
- ``ledger_completeness``: casework's ten clears; ``job_preparation_rate`` and
  ``registered_unemployed_employment_rate``: one query each plus the classification's
  labor-force predicate;
- ``certified_children_share``: :class:`~jiuye.standards.models.Certification`;
- ``contract_signing_rate`` / ``contract_renewal_rate``: no data source yet (None).

Only records dated up to the date count, so a past date keeps its answer when later events are
recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from jiuye.casework import deadlines, tenclears
from jiuye.casework.deadlines import State
from jiuye.casework.models import AssistanceCase, ServiceKind, ServiceRecord
from jiuye.lib.workdays import WorkdayCalendarError
from jiuye.registry import classification
from jiuye.registry.models import (
    DifficultyRecognition,
    Household,
    HukouType,
    Person,
    Status,
    StatusEvent,
)
from jiuye.standards import aggregates
from jiuye.standards.catalog import INDICATORS
from jiuye.standards.models import Certification
from jiuye.standards.rules import Fact, Ratio
from jiuye.units.models import Level, Unit

COMMUNITY_LEVELS = (Level.COMMUNITY, Level.VILLAGE)
# The children counted by ``certified_children_share`` for each level.
CHILD_LEVELS = {
    Level.STREET: COMMUNITY_LEVELS,
    Level.TOWN: COMMUNITY_LEVELS,
    Level.DISTRICT: (Level.STREET, Level.TOWN),
    Level.CITY: (Level.DISTRICT,),
}

STATUS_INDICATORS = frozenset(
    {
        "employment_rate",
        "difficult_employment_rate",
        "zero_families",
        "zero_families_urban",
        "pure_farming_families",
        "registered_unemployment_rate",
        "dibao_unemployed_share",
    }
)
SERVICE_INDICATORS = frozenset({"satisfaction_rate", "training_mode_share", "valid_complaints"})
ZERO_PERIOD_INDICATORS = frozenset({"zero_family_max_days", "zero_family_over_month"})
LONG_TERM_INDICATORS = frozenset(
    {"long_term_unemployed", "long_term_unemployed_urban", "assisted_long_term"}
)
ASSISTANCE_KINDS = (
    ServiceKind.GUIDANCE,
    ServiceKind.REFERRAL,
    ServiceKind.TRAINING,
    ServiceKind.ASSISTANCE,
)


@dataclass(frozen=True, slots=True)
class Period:
    """The assessment period: from ``start`` up to and including ``end`` (the date)."""

    start: date
    end: date


def period_of(on: date, start: date | None = None) -> Period:
    """Default: the calendar year up to ``on``."""
    start = start or date(on.year, 1, 1)
    if start > on:
        raise ValueError("the period cannot start after the date")
    return Period(start, on)


def communities_under(root: Unit | None) -> QuerySet[Unit]:
    qs = Unit.objects.filter(level__in=COMMUNITY_LEVELS)
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    return qs


# ---------------------------------------------------------------------------------------------
# Status vectors: aggregates, or the classification's SQL
# ---------------------------------------------------------------------------------------------


def _hh_sums(
    on: date, person_filter: classification.Fragment, units: QuerySet[Unit] | None
) -> dict[int, tuple[int, int, int]]:
    """(labor force, employed, registered unemployed) per community among the persons that pass
    ``person_filter`` (SQL on ``p`` person and ``h`` household), by the classification's own
    labor-force CTE."""
    sql_filter, params = person_filter
    if units is not None:
        unit_sql, unit_params = classification._subquery(units)
        sql_filter = f"{sql_filter} AND h.community_id IN ({unit_sql})"
        params = (*params, *unit_params)
    cte, cte_params = classification._labor_force_cte(on, (sql_filter, params))
    sql = f"""{cte}
    SELECT community_id, SUM(labor_force), SUM(employed), SUM(registered_unemployed)
    FROM hh GROUP BY community_id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, cte_params)
        return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in cursor.fetchall()}


def _difficult_filter(on: date) -> classification.Fragment:
    table = DifficultyRecognition._meta.db_table
    return (
        f"p.id IN (SELECT r.person_id FROM {table} r WHERE r.recognized_on <= %s "
        "AND (r.ended_on IS NULL OR r.ended_on > %s))",
        (on, on),
    )


def direct_status_vectors(*, on: date, root: Unit | None) -> dict[int, dict[str, int]]:
    """The community counts of ``aggregates.community_vectors`` computed from scratch (four
    aggregated queries, the classification's definitions)."""
    units = communities_under(root)
    counts = classification.community_classification(on=on, units=units)
    urban = _hh_sums(on, ("p.hukou_type = %s", (str(HukouType.URBAN),)), units)
    difficult = _hh_sums(on, _difficult_filter(on), units)
    dibao = _hh_sums(on, ("h.dibao = %s", (True,)), units)
    found = {}
    for community_id, c in counts.items():
        u = urban.get(community_id, (0, 0, 0))
        d = difficult.get(community_id, (0, 0, 0))
        b = dibao.get(community_id, (0, 0, 0))
        found[community_id] = {
            "labor_force": c.labor_force,
            "employed": c.employed,
            "unemployed": c.unemployed,
            "registered": c.registered_unemployed,
            "urban_employed": u[1],
            "urban_registered": u[2],
            "difficult": d[0],
            "difficult_employed": d[1],
            "zero": c.zero_families,
            "zero_urban": c.zero_families_urban,
            "pure_farming": c.pure_farming_families,
            "dibao_labor_force": b[0],
            "dibao_not_employed": b[0] - b[1],
        }
    return found


def status_facts(vector: dict[str, int]) -> dict[str, Fact]:
    g = vector.get
    return {
        "employment_rate": Ratio(g("employed", 0), g("labor_force", 0)),
        "difficult_employment_rate": Ratio(g("difficult_employed", 0), g("difficult", 0)),
        "zero_families": g("zero", 0),
        "zero_families_urban": g("zero_urban", 0),
        "pure_farming_families": g("pure_farming", 0),
        "registered_unemployment_rate": Ratio(
            g("urban_registered", 0), g("urban_employed", 0) + g("urban_registered", 0)
        ),
        "dibao_unemployed_share": Ratio(g("dibao_not_employed", 0), g("dibao_labor_force", 0)),
    }


# ---------------------------------------------------------------------------------------------
# Service counts
# ---------------------------------------------------------------------------------------------


def direct_service_counts(*, period: Period, root: Unit | None) -> dict[int, dict[str, int]]:
    """``aggregates.service_counts`` from the service records themselves (one aggregate)."""
    record, person = ServiceRecord._meta.db_table, Person._meta.db_table
    on = connection.ops.quote_name("on")
    unit_sql = ""
    params: list[Any] = []
    if root is not None:
        unit_sql, unit_params = classification._subquery(communities_under(root))
        unit_sql = f"AND p.community_id IN ({unit_sql})"
        params += unit_params
    satisfied = aggregates._SATISFIED
    modes = aggregates._THREE_MODES
    sql = f"""
    SELECT p.community_id,
           SUM(CASE WHEN s.kind = %s THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.kind = %s AND s.outcome IN ({", ".join(["%s"] * len(satisfied))})
                    THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.kind = %s THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.kind = %s AND s.training_mode IN ({", ".join(["%s"] * len(modes))})
                    THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.kind = %s AND s.valid THEN 1 ELSE 0 END)
    FROM {record} s JOIN {person} p ON p.id = s.person_id
    WHERE s.{on} >= %s AND s.{on} <= %s AND s.kind IN (%s, %s, %s) {unit_sql}
    GROUP BY p.community_id"""
    survey, training, complaint = "survey", "training", "complaint"
    all_params = [
        survey,
        survey,
        *satisfied,
        training,
        training,
        *modes,
        complaint,
        period.start,
        period.end,
        survey,
        training,
        complaint,
        *params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        return {
            row[0]: dict(
                zip(aggregates._SERVICE_COLUMNS, (int(v or 0) for v in row[1:]), strict=True)
            )
            for row in cursor.fetchall()
        }


def service_facts(counts: dict[str, int]) -> dict[str, Fact]:
    g = counts.get
    return {
        "satisfaction_rate": Ratio(g("satisfied", 0), g("surveys", 0)),
        "training_mode_share": Ratio(g("trainings_three_modes", 0), g("trainings", 0)),
        "valid_complaints": g("complaints_valid", 0),
    }


# ---------------------------------------------------------------------------------------------
# Zero families over the period
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZeroEpisode:
    """A zero-family episode that overlaps the period (``ended_on`` None: open at the date)."""

    household_id: int
    community_id: int
    emerged_on: date
    ended_on: date | None

    def days(self, on: date) -> int:
        return ((self.ended_on or on) - self.emerged_on).days

    @property
    def due(self) -> date:
        return deadlines.zero_family_due(self.emerged_on)

    def late(self, on: date) -> bool:
        """Not eliminated within one month (CQ-2): ended after its due day, or still open and
        the due day has passed."""
        if self.ended_on is not None:
            return self.ended_on > self.due
        return on > self.due


def _sweep_candidates(period: Period, root: Unit | None) -> list[int]:
    """Households that may have been zero on some day of the period: zero at its start, or
    with a member's change point (status event, 16th birthday, retirement day) inside it."""
    households = None
    if root is not None:
        households = Household.objects.filter(community__in=communities_under(root))
    ids = {
        r.household_id
        for r in classification.zero_households(on=period.start, households=households)
    }
    window = Q(since__gt=period.start, since__lte=period.end)
    events = StatusEvent.objects.filter(window)
    births = Person.objects.filter(
        Q(work_from__gt=period.start, work_from__lte=period.end)
        | Q(retire_on__gt=period.start, retire_on__lte=period.end)
    )
    if root is not None:
        under = communities_under(root).values("pk")
        events = events.filter(person__household__community__in=under)
        births = births.filter(household__community__in=under)
    ids.update(events.order_by().values_list("person__household_id", flat=True).distinct())
    ids.update(births.order_by().values_list("household_id", flat=True).distinct())
    return sorted(ids)


def direct_zero_episodes(*, period: Period, root: Unit | None) -> list[ZeroEpisode]:
    """The zero-family episodes overlapping the period, by the classification's sweep."""
    found = []
    ids = _sweep_candidates(period, root)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        community = dict(Household.objects.filter(pk__in=chunk).values_list("pk", "community_id"))
        persons = (
            Person.objects.filter(household_id__in=chunk)
            .order_by()
            .values(*classification._MEMBER_FIELDS)
        )
        events = StatusEvent.objects.filter(person__household_id__in=chunk, since__lte=period.end)
        timelines = classification._timelines(
            persons, events.order_by().values_list("person_id", "since", "status")
        )
        for household_id in chunk:
            for episode in classification.zero_family_episodes(
                timelines.get(household_id, []), until=period.end
            ):
                if episode.ended_on is None or episode.ended_on > period.start:
                    found.append(
                        ZeroEpisode(
                            household_id,
                            community[household_id],
                            episode.emerged_on,
                            episode.ended_on,
                        )
                    )
    return found


def zero_episodes(*, period: Period, root: Unit | None, fresh: bool) -> list[ZeroEpisode]:
    if fresh:
        return [
            ZeroEpisode(*row)
            for row in aggregates.zero_runs(
                start=period.start, on=period.end, path=root.path if root else None
            )
        ]
    return direct_zero_episodes(period=period, root=root)


# ---------------------------------------------------------------------------------------------
# Casework's rules, counted per community
# ---------------------------------------------------------------------------------------------


def _rule_items(rule: str, root: Unit, period: Period) -> list[deadlines.Item]:
    return deadlines.RULE_FUNCTIONS[rule](root, period.end, period_start=period.start)


def guidance_on_time(root: Unit, period: Period) -> dict[int, Ratio]:
    """CQ-4 items that are due by the date (or done): on time / all (not-yet-due excluded)."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for item in _rule_items("CQ-4", root, period):
        if item.state in (State.DUE_SOON, State.PENDING):
            continue
        c = counts[item.community_id or 0]
        c[1] += 1
        c[0] += int(item.state == State.MET)
    return {k: Ratio(n, d) for k, (n, d) in counts.items()}


def referral_twice(root: Unit, period: Period) -> dict[int, Ratio]:
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for item in _rule_items("QG-3", root, period):
        c = counts[item.community_id or 0]
        c[1] += 1
        c[0] += int(item.progress.get("count", 0) >= deadlines.REFERRALS_NEEDED)
    return {k: Ratio(n, d) for k, (n, d) in counts.items()}


def visited(root: Unit, period: Period) -> dict[int, Ratio]:
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for item in _rule_items("QG-6-visit", root, period):
        c = counts[item.community_id or 0]
        c[1] += 1
        c[0] += int(item.done_on is not None)
    return {k: Ratio(n, d) for k, (n, d) in counts.items()}


def contact_misses(root: Unit, period: Period) -> dict[int, int]:
    """(person, quarter) pairs without a contact or visit, over quarters ended before the date."""
    counts: dict[int, int] = defaultdict(int)
    for item in _rule_items("QG-6-contact", root, period):
        if item.due < period.end and item.done_on is None:
            counts[item.community_id or 0] += 1
    return dict(counts)


def long_term(root: Unit, period: Period) -> dict[str, dict[int, int]]:
    """Registered unemployed continuously for a year or more at the date (casework's CQ-5
    spells and ``is_long_term``), all / urban hukou / assisted (difficult or with an assistance
    case)."""
    on = period.end
    items = [
        i
        for i in _rule_items("CQ-5", root, period)
        # CQ-5's due day is ``long_term_from(spell start)``: long-term from that day on
        # (``deadlines.is_long_term``), while the registration is still open.
        if i.done_on is None and on >= i.due
    ]
    ids = [i.person_id for i in items if i.person_id is not None]
    urban: set[int] = set()
    assisted: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        urban.update(
            Person.objects.filter(pk__in=chunk, hukou_type=HukouType.URBAN).values_list(
                "pk", flat=True
            )
        )
        assisted.update(
            DifficultyRecognition.objects.filter(
                Q(ended_on__isnull=True) | Q(ended_on__gt=on),
                person_id__in=chunk,
                recognized_on__lte=on,
            ).values_list("person_id", flat=True)
        )
        assisted.update(
            AssistanceCase.objects.filter(person_id__in=chunk, opened_on__lte=on).values_list(
                "person_id", flat=True
            )
        )
    found: dict[str, dict[int, int]] = {k: defaultdict(int) for k in LONG_TERM_INDICATORS}
    for item in items:
        community = item.community_id or 0
        found["long_term_unemployed"][community] += 1
        if item.person_id in urban:
            found["long_term_unemployed_urban"][community] += 1
        if item.person_id in assisted:
            found["assisted_long_term"][community] += 1
    return {k: dict(v) for k, v in found.items()}


def ledger(root: Unit, period: Period) -> dict[int, Ratio]:
    result = tenclears.completeness(
        Person.objects.filter(community__in=communities_under(root)), period.end
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for record in result.records:
        c = counts[record.community_id]
        c[1] += 1
        c[0] += int(record.complete)
    return {k: Ratio(n, d) for k, (n, d) in counts.items()}


def _unemployed_labor_force(root: Unit, on: date) -> list[tuple[int, int]]:
    """(person, community) of everyone in the labor force and unemployed (registered or not)
    at ``on``: the event in force, then the classification's labor-force predicate."""
    rows = (
        StatusEvent.objects.filter(
            Q(until__isnull=True) | Q(until__gt=on),
            status=Status.UNEMPLOYED,
            since__lte=on,
            person__community__in=communities_under(root),
        )
        .order_by()
        .values_list(
            "person_id",
            "person__community_id",
            "person__work_from",
            "person__retire_on",
            "person__able",
            "person__willing",
        )
    )
    return [
        (pid, community)
        for pid, community, work_from, retire_on, able, willing in rows
        if classification.in_labor_force(
            work_from=work_from,
            retire_on=retire_on,
            able=able,
            willing=willing,
            status=Status.UNEMPLOYED,
            on=on,
        )
    ]


def job_preparation(root: Unit, period: Period) -> dict[int, Ratio]:
    unemployed = _unemployed_labor_force(root, period.end)
    ids = [pid for pid, _ in unemployed]
    prepared: set[int] = set()
    for start in range(0, len(ids), 500):
        prepared.update(
            ServiceRecord.objects.filter(
                person_id__in=ids[start : start + 500],
                kind__in=[ServiceKind.GUIDANCE, ServiceKind.REFERRAL, ServiceKind.TRAINING],
                on__gte=period.start,
                on__lte=period.end,
            )
            .order_by()
            .values_list("person_id", flat=True)
            .distinct()
        )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for pid, community in unemployed:
        c = counts[community]
        c[1] += 1
        c[0] += int(pid in prepared)
    return {k: Ratio(n, d) for k, (n, d) in counts.items()}


def _registered_in_period(period: Period, root: Unit) -> QuerySet[StatusEvent]:
    return StatusEvent.objects.filter(
        Q(until__isnull=True) | Q(until__gt=period.start),
        status=Status.UNEMPLOYED,
        registered=True,
        since__lte=period.end,
        person__community__in=communities_under(root),
    )


def registered_employed(root: Unit, period: Period) -> dict[int, Ratio]:
    """Persons registered unemployed on any day of the period: employed (in the labor force)
    at the date / all of them."""
    registered = _registered_in_period(period, root)
    denominators: dict[int, int] = defaultdict(int)
    for community, count in _count_by(
        registered.order_by().values_list("person_id", "person__community_id").distinct()
    ).items():
        denominators[community] = count
    persons = Person.objects.filter(pk__in=registered.order_by().values("person_id"))
    sql, params = classification._subquery(persons)
    # Employed at the date, within the labor force: the classification's CTE on these persons.
    numerators = _hh_sums(period.end, (f"p.id IN ({sql})", tuple(params)), None)
    return {
        community: Ratio(numerators.get(community, (0, 0, 0))[1], count)
        for community, count in denominators.items()
    }


def _count_by(pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for _person, community in pairs:
        counts[community] += 1
    return counts


def service_kinds(root: Unit, period: Period) -> dict[int, frozenset[str]]:
    """Per community: which of the four assistance services were recorded in the period."""
    rows = (
        ServiceRecord.objects.filter(
            kind__in=list(ASSISTANCE_KINDS),
            on__gte=period.start,
            on__lte=period.end,
            person__community__in=communities_under(root),
        )
        .order_by()
        .values_list("person__community_id", "kind")
        .distinct()
    )
    kinds: dict[int, set[str]] = defaultdict(set)
    for community, kind in rows:
        kinds[community].add(kind)
    return {k: frozenset(v) for k, v in kinds.items()}


def certified_units(*, on: date, ruleset: str, unit_ids: Iterable[int] | None = None) -> set[int]:
    """Units certified under any level of ``ruleset`` at ``on`` (not revoked by then)."""
    qs = Certification.objects.filter(
        Q(revoked_on__isnull=True) | Q(revoked_on__gt=on),
        ruleset=ruleset,
        certified_on__lte=on,
    )
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=list(unit_ids))
    return set(qs.values_list("unit_id", flat=True))


# ---------------------------------------------------------------------------------------------
# The fact sheet: every indicator for every unit under a root
# ---------------------------------------------------------------------------------------------


@dataclass
class FactSheet:
    """Every indicator asked for, for each community under ``root``; roll-ups on demand."""

    root: Unit
    period: Period
    ruleset: str
    source: str  # "aggregates" or "direct"
    community: dict[int, dict[str, Fact]] = field(default_factory=dict)
    kinds: dict[int, frozenset[str]] = field(default_factory=dict)
    episodes: list[ZeroEpisode] = field(default_factory=list)
    units: dict[int, Unit] = field(default_factory=dict)
    certified: set[int] = field(default_factory=set)
    wanted: frozenset[str] = frozenset()

    _under: dict[int, list[int]] | None = None
    _children: dict[int, list[Unit]] | None = None

    def _index(self) -> None:
        """Communities under each unit and children of each unit, built once."""
        under: dict[int, list[int]] = defaultdict(list)
        children: dict[int, list[Unit]] = defaultdict(list)
        for unit in self.units.values():
            if unit.parent_id is not None:
                children[unit.parent_id].append(unit)
            if unit.level in COMMUNITY_LEVELS:
                current: Unit | None = unit
                while current is not None:
                    under[current.pk].append(unit.pk)
                    parent = current.parent_id
                    current = self.units.get(parent) if parent is not None else None
        self._under, self._children = under, children

    def communities_of(self, unit: Unit) -> list[int]:
        if self._under is None:
            self._index()
        assert self._under is not None
        return self._under.get(unit.pk, [])

    def children_of(self, unit: Unit) -> list[Unit]:
        if self._children is None:
            self._index()
        assert self._children is not None
        return self._children.get(unit.pk, [])

    def facts_for(self, unit: Unit) -> dict[str, Fact]:
        """The unit's indicators: its own community's, or its communities' summed (ratios add
        numerators and denominators, counts add, days take the maximum)."""
        members = self.communities_of(unit)
        facts: dict[str, Fact] = {}
        for key in self.wanted:
            info = INDICATORS[key]
            if not info.has_data:
                facts[key] = None
            elif key == "certified_children_share":
                facts[key] = self._certified_share(unit)
            elif key == "assistance_services_missing":
                present: set[str] = set()
                for c in members:
                    present |= self.kinds.get(c, frozenset())
                facts[key] = len(ASSISTANCE_KINDS) - len(present & set(ASSISTANCE_KINDS))
            elif key in ZERO_PERIOD_INDICATORS:
                facts[key] = self._zero_fact(key, set(members))
            else:
                facts[key] = _combine(info.kind, [self.community[c].get(key) for c in members])
        return facts

    def _certified_share(self, unit: Unit) -> Ratio:
        child_levels = CHILD_LEVELS.get(Level(unit.level), ())
        children = [u.pk for u in self.children_of(unit) if u.level in child_levels]
        return Ratio(sum(1 for c in children if c in self.certified), len(children))

    def _zero_fact(self, key: str, members: set[int]) -> int:
        on = self.period.end
        episodes = [e for e in self.episodes if e.community_id in members]
        if key == "zero_family_max_days":
            return max((e.days(on) for e in episodes), default=0)
        return sum(1 for e in episodes if e.late(on))


def _combine(kind: str, values: list[Fact]) -> Fact:
    if kind == "ratio":
        total = Ratio(0, 0)
        for v in values:
            if isinstance(v, Ratio):
                total = total + v
        return total
    if kind == "days":
        return max((v for v in values if isinstance(v, int)), default=0)
    return sum(v for v in values if isinstance(v, int))


def fact_sheet(
    *,
    root: Unit,
    on: date,
    start: date | None = None,
    ruleset: str = "",
    indicators: Iterable[str] | None = None,
    source: str = "auto",
) -> FactSheet:
    """Compute ``indicators`` (default: all) for every community under ``root`` at ``on`` over
    the period from ``start`` (default: January 1st). ``source``: ``aggregates`` (fail if they
    are stale), ``direct`` (from scratch), or ``auto`` (aggregates when fresh)."""
    period = period_of(on, start)
    wanted = frozenset(indicators if indicators is not None else INDICATORS)
    unknown = wanted - set(INDICATORS)
    if unknown:
        raise KeyError(f"unknown indicators: {sorted(unknown)}")
    if source == "auto":
        fresh = aggregates.aggregates_fresh()
    elif source == "aggregates":
        freshness = aggregates.aggregates_freshness()
        if not freshness.fresh:
            raise RuntimeError(f"aggregates are stale: {freshness.reason}")
        fresh = True
    elif source == "direct":
        fresh = False
    else:
        raise ValueError(f"unknown source {source!r}")
    units = {
        u.pk: u
        for u in Unit.objects.filter(path__startswith=root.path)
        .exclude(level=Level.GRID)
        .only("pk", "code", "name", "level", "parent_id", "path")
    }
    sheet = FactSheet(
        root=root,
        period=period,
        ruleset=ruleset,
        source="aggregates" if fresh else "direct",
        units=units,
        wanted=wanted,
    )
    community_ids = [pk for pk, u in units.items() if u.level in COMMUNITY_LEVELS]
    facts: dict[int, dict[str, Fact]] = {pk: {} for pk in community_ids}
    path = root.path

    if wanted & STATUS_INDICATORS:
        vectors = (
            aggregates.community_vectors(on=on, path=path)
            if fresh
            else direct_status_vectors(on=on, root=root)
        )
        for pk in community_ids:
            computed = status_facts(vectors.get(pk, {}))
            facts[pk].update({k: v for k, v in computed.items() if k in wanted})
    if wanted & SERVICE_INDICATORS:
        counts = (
            aggregates.service_counts(start=period.start, end=on, path=path)
            if fresh
            else direct_service_counts(period=period, root=root)
        )
        for pk in community_ids:
            computed = service_facts(counts.get(pk, {}))
            facts[pk].update({k: v for k, v in computed.items() if k in wanted})
    if wanted & ZERO_PERIOD_INDICATORS:
        sheet.episodes = zero_episodes(period=period, root=root, fresh=fresh)

    per_rule: list[tuple[str, Any, Fact]] = [
        ("guidance_on_time_rate", guidance_on_time, Ratio(0, 0)),
        ("referral_twice_rate", referral_twice, Ratio(0, 0)),
        ("visit_rate", visited, Ratio(0, 0)),
        ("difficult_contact_misses", contact_misses, 0),
        ("ledger_completeness", ledger, Ratio(0, 0)),
        ("job_preparation_rate", job_preparation, Ratio(0, 0)),
        ("registered_unemployed_employment_rate", registered_employed, Ratio(0, 0)),
    ]
    for key, compute, empty in per_rule:
        if key not in wanted:
            continue
        try:
            values = compute(root, period)
        except WorkdayCalendarError:
            values = {}
            empty = None
        for pk in community_ids:
            facts[pk][key] = values.get(pk, empty)
    if wanted & LONG_TERM_INDICATORS:
        counts_by = long_term(root, period)
        for key in wanted & LONG_TERM_INDICATORS:
            for pk in community_ids:
                facts[pk][key] = counts_by[key].get(pk, 0)
    if "assistance_services_missing" in wanted:
        sheet.kinds = service_kinds(root, period)
    if "certified_children_share" in wanted and ruleset:
        sheet.certified = certified_units(on=on, ruleset=ruleset, unit_ids=units)
    sheet.community = facts
    return sheet
