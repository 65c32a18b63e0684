"""The incremental aggregates always equal a recomputation from scratch.

Random sequences of writes through the services (persons created, moved and edited, statuses
changed back and forth in time and deleted, recognitions created and ended, households' dibao
changed, service records created and deleted); after each batch:

- every household's stored timeline equals the one computed afresh in Python
  (``aggregates.timeline``, by ``registry.definitions``);
- every community's counts, at every day any count changes, equal the sum of its households'
  and the direct aggregated SQL (``indicators.status.direct_status_vectors``);
- the per-day service counts equal a GROUP BY over the service records;
- the survey facts equal their definition computed in Python, and the satisfaction counts read
  from them equal the direct query and a day-by-day reading of DOMAIN's rule (HD-C3: surveys
  of persons unemployed on some day of the period up to the survey) over random periods;
- every community's "status not recorded" count (DOMAIN §3 data quality) equals the worklist's
  query (``registry.classification.persons_without_status``) at every such day;
- a rebuild from scratch answers the same.

The histories include persons with no status at all and statuses starting after the 16th
birthday (unknown before: counted nowhere), 农转非 hukou (urban), dibao members unable or
unwilling to work (CQ-3's base takes the willing and the unwilling).
"""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from jiuye.audit.services import audit_record
from jiuye.casework import services as casework
from jiuye.casework.models import SATISFIED_OUTCOMES, ServiceRecord
from jiuye.registry import definitions, services
from jiuye.registry.classification import persons_without_status
from jiuye.registry.models import Household, Person, StatusEvent
from jiuye.registry.signals import statuses_changed
from jiuye.standards import aggregates
from jiuye.standards.aggregates import readers, records, timeline, upkeep
from jiuye.standards.indicators import fact_sheet, period_of
from jiuye.standards.indicators.satisfaction import direct_survey_counts
from jiuye.standards.indicators.status import direct_status_vectors
from jiuye.standards.models import (
    VECTOR_FIELDS,
    AggregateSeen,
    AggregateState,
    HouseholdTimeline,
    ServiceDay,
    SurveyFact,
)
from jiuye.units.models import Level, Unit
from tests.conftest import make_id

D = date
STATUSES = [
    *("unit", "flexible", "farming", "self"),
    *("unemployed", "unemployed", "unemployed"),
    *("student", "retired", "out"),
]
TODAY = D(2026, 12, 31)
ZEROS = dict.fromkeys(VECTOR_FIELDS, 0)


def _household_sums(day: date) -> dict[int, dict[str, int]]:
    sums: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(VECTOR_FIELDS, 0))
    stored = upkeep.stored_households(list(Household.objects.values_list("pk", flat=True)))
    for result in stored.values():
        vector = timeline.vector_at(result.rows, day)
        for key, value in zip(VECTOR_FIELDS, vector, strict=True):
            sums[result.community_id][key] += value
    return sums


def _days() -> list[date]:
    days = set(HouseholdTimeline.objects.values_list("valid_from", flat=True))
    days |= {d - timedelta(days=1) for d in days}
    return sorted(d for d in days if D(1990, 1, 1) <= d <= D(2040, 1, 1))


def _communities() -> list[int]:
    return list(
        Unit.objects.filter(level__in=(Level.COMMUNITY, Level.VILLAGE)).values_list("pk", flat=True)
    )


def assert_households_equal_python() -> None:
    """Every household's stored timeline is the one computed afresh in Python."""
    ids = list(Household.objects.values_list("pk", flat=True))
    fresh = upkeep.compute_households(ids)
    stored = upkeep.stored_households(ids)
    for hid in ids:
        expected, got = fresh.get(hid), stored.get(hid)
        if expected is None or not expected.rows:
            assert got is None or not got.rows, hid
        else:
            assert got == expected, hid


def assert_communities_equal_direct(days: list[date], root: Unit | None = None) -> None:
    """The community timelines at each day equal the direct aggregated SQL."""
    communities = _communities()
    for day in days:
        stored = readers.community_vectors(on=day)
        direct = direct_status_vectors(on=day, root=root)
        for community_id in communities:
            got, expected = stored.get(community_id, ZEROS), direct.get(community_id, ZEROS)
            assert got == expected, (day, community_id)


def assert_status_not_recorded_equals_registry(days: list[date]) -> None:
    """Each community's "status not recorded" count at each day is the number of persons the
    worklist's query finds there (of working age, no status event in force)."""
    for day in days:
        stored = {
            community_id: vector["status_not_recorded"]
            for community_id, vector in readers.community_vectors(on=day).items()
            if vector["status_not_recorded"]
        }
        expected = dict(
            persons_without_status(on=day, persons=Person.objects.all())
            .order_by()
            .values("community_id")
            .annotate(n=Count("pk"))
            .values_list("community_id", "n")
        )
        assert stored == expected, day


def assert_service_days_equal_records() -> None:
    columns = records.SERVICE_COLUMNS
    stored = {
        (r["community_id"], r["day"]): tuple(r[c] for c in columns)
        for r in ServiceDay.objects.values("community_id", "day", *columns)
        if any(r[c] for c in columns)
    }
    expected: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0] * len(columns))
    for community, on, kind, mode, valid in ServiceRecord.objects.values_list(
        "person__community_id", "on", "kind", "training_mode", "valid"
    ):
        counts = records.service_contribution(kind, mode, valid)
        if any(counts):
            acc = expected[(community, on)]
            for i, c in enumerate(counts):
                acc[i] += c
    assert stored == {k: tuple(v) for k, v in expected.items() if any(v)}


def _unemployment(person_id: int) -> list[tuple[date, date | None]]:
    return list(
        StatusEvent.objects.filter(person_id=person_id, status="unemployed").values_list(
            "since", "until"
        )
    )


def assert_survey_facts_equal_python() -> None:
    """Each survey's fact is its definition: the survey of a person with an unemployed event
    begun by its day; NULL when one was still in force that day, else their latest end."""
    expected = {}
    surveys = ServiceRecord.objects.filter(kind="survey").values_list(
        "pk", "person_id", "person__community_id", "on", "outcome"
    )
    for pk, person_id, community, on, outcome in surveys:
        spells = [(s, u) for s, u in _unemployment(person_id) if s <= on]
        if not spells:
            continue
        open_then = any(u is None or u > on for _s, u in spells)
        until = None if open_then else max(u for _s, u in spells if u is not None)
        satisfied = outcome in SATISFIED_OUTCOMES
        expected[pk] = (person_id, community, on, satisfied, until)
    stored = {
        f.record_id: (f.person_id, f.community_id, f.day, f.satisfied, f.unemployed_until)
        for f in SurveyFact.objects.all()
    }
    assert stored == expected


def _counted_by_days(start: date, end: date) -> dict[int, tuple[int, int]]:
    """HD-C3 read day by day: a survey of [start, end] counts when its person's status was
    ``unemployed`` on some day of [start, survey day] (``definitions.status_on``)."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    surveys = ServiceRecord.objects.filter(kind="survey", on__gte=start, on__lte=end)
    for person_id, community, on, outcome in surveys.values_list(
        "person_id", "person__community_id", "on", "outcome"
    ):
        events = sorted(
            StatusEvent.objects.filter(person_id=person_id).values_list("since", "status")
        )
        days = (start + timedelta(days=i) for i in range((on - start).days + 1))
        if any(definitions.status_on(events, day) == "unemployed" for day in days):
            c = counts[community]
            c[0] += int(outcome in SATISFIED_OUTCOMES)
            c[1] += 1
    return {k: (n, d) for k, (n, d) in counts.items()}


def assert_satisfaction_consistent(rng: random.Random) -> None:
    days = sorted(set(ServiceRecord.objects.filter(kind="survey").values_list("on", flat=True)))
    for _ in range(4):
        if not days:
            return
        end = rng.choice(days) + timedelta(days=rng.choice([0, 1, 30]))
        start = end - timedelta(days=rng.randrange(0, 400))
        period = period_of(end, start)
        from_facts = readers.survey_counts(start=start, end=end)
        assert from_facts == direct_survey_counts(period=period, root=None)
        assert from_facts == _counted_by_days(start, end)


def assert_consistent(tree: dict[str, Any], rng: random.Random | None = None) -> None:
    assert_households_equal_python()
    by_days = _days()
    assert_communities_equal_direct(by_days, tree["district"])
    assert_status_not_recorded_equals_registry(by_days)
    for day in by_days:
        stored = readers.community_vectors(on=day)
        sums = _household_sums(day)
        for community_id in _communities():
            assert stored.get(community_id, ZEROS) == sums.get(community_id, ZEROS)
    assert_service_days_equal_records()
    assert_survey_facts_equal_python()
    assert_satisfaction_consistent(rng or random.Random(0))


Check = tuple[int, date, int]  # (household, day, its "status not recorded" count that day)
_NOT_RECORDED = VECTOR_FIELDS.index("status_not_recorded")


def status_not_recorded_edges(person: Any) -> list[Check]:
    """Persons whose "status not recorded" turns on or off on the edges of its definition
    (working age, no status in force), each in a household of their own; the expected count of
    each household on the days around each edge."""
    checks: list[Check] = []
    day_before = timedelta(days=1)

    def expect(p: Person, *pairs: tuple[date, int]) -> None:
        checks.extend((p.household_id, day, value) for day, value in pairs)

    # No event at all: from the 16th birthday up to the day before the retirement day.
    nobody = person("a", birth=D(1966, 3, 1))
    expect(
        nobody,
        (nobody.work_from - day_before, 0),
        (nobody.work_from, 1),
        (nobody.retire_on - day_before, 1),
        (nobody.retire_on, 0),
    )
    # Not able to work: not in the labor force, but still of working age without a status.
    unable = person("b", birth=D(1990, 5, 5), able=False)
    expect(unable, (unable.work_from - day_before, 0), (unable.work_from, 1), (D(2026, 1, 1), 1))
    # A child: from their 16th birthday, years ahead.
    child = person("c", birth=D(2015, 7, 1))
    expect(child, (D(2026, 1, 1), 0), (child.work_from - day_before, 0), (child.work_from, 1))
    # A first status after the 16th birthday: not recorded until it.
    late = person("a", birth=D(1995, 6, 30), statuses=((D(2015, 1, 1), "unit"),))
    expect(
        late,
        (late.work_from - day_before, 0),
        (late.work_from, 1),
        (D(2014, 12, 31), 1),
        (D(2015, 1, 1), 0),
    )
    # A status dated after today: not recorded until that day.
    today = timezone.localdate()
    ahead = today + timedelta(days=200)
    future = person("b", birth=D(1988, 1, 1), statuses=((ahead, "unemployed"),))
    expect(future, (today, 1), (ahead - day_before, 1), (ahead, 0))
    # An event closed with nothing after it (a loader that writes ``until`` itself, then says
    # which household it changed): unknown again from its end.
    closed = person("c", birth=D(1985, 1, 1), statuses=((D(2005, 1, 1), "unit"),))
    StatusEvent.objects.filter(person=closed).update(until=D(2020, 6, 1))
    statuses_changed.send(Person, household_ids={closed.household_id}, on=None, actor=None)
    expect(
        closed,
        (D(2004, 12, 31), 1),
        (D(2005, 1, 1), 0),
        (D(2020, 5, 31), 0),
        (D(2020, 6, 1), 1),
    )
    # The only event deleted: not recorded again, throughout.
    gone = person("a", birth=D(1980, 1, 1), statuses=((D(2000, 1, 1), "out"),))
    services.status_event_delete(actor=None, event=gone.status_events.get())
    expect(gone, (D(1999, 12, 31), 1), (D(2000, 1, 1), 1), (D(2026, 1, 1), 1))
    return checks


def assert_status_not_recorded_edges(checks: list[Check]) -> None:
    stored = upkeep.stored_households(sorted({hid for hid, _day, _value in checks}))
    for hid, day, value in checks:
        rows = stored[hid].rows if hid in stored else []
        assert timeline.vector_at(rows, day)[_NOT_RECORDED] == value, (hid, day)


def _random_date(rng: random.Random) -> date:
    return D(2018, 1, 1) + timedelta(days=rng.randrange(0, 365 * 9))


class World:
    def __init__(self, rng: random.Random, tree: dict[str, Any]) -> None:
        self.rng, self.tree = rng, tree
        self.households: list[Household] = []
        self.persons: list[Person] = []
        self.n = 0

    def household(self) -> Household:
        self.n += 1
        unit = self.rng.choice(["a1", "a2", "b", "c"])
        hh = services.household_create(
            actor=None,
            number=f"R{self.n:05d}",
            unit=self.tree[unit],
            hukou_type=self.rng.choice(["urban", "agricultural", "converted"]),
            dibao=self.rng.random() < 0.3,
        )
        self.households.append(hh)
        return hh

    def person(self) -> None:
        if not self.households or self.rng.random() < 0.3:
            hh = self.household()
        else:
            hh = self.rng.choice(self.households)
        birth = D(1955, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 60))
        male = self.rng.random() < 0.5
        p = services.person_create(
            actor=None,
            id_number=make_id(birth, male=male),
            name="随机",
            household=hh,
            able=self.rng.random() < 0.9,
            willing=self.rng.random() < 0.9,
            hukou_type=self.rng.choice(["urban", "agricultural", "converted", None]),
        )
        self.persons.append(p)

    def status(self) -> None:
        p = self.rng.choice(self.persons)
        status = self.rng.choice(STATUSES)
        since = max(_random_date(self.rng), p.birth_date)
        if definitions.is_employed(status):
            since = max(since, p.work_from)  # employment before 16 is refused
        services.person_change_status(
            actor=None,
            person=p,
            status=status,
            since=since,
            registered=status == "unemployed" and self.rng.random() < 0.6,
        )

    def delete_status(self) -> None:
        # Only where another event remains: registry's _relink cannot yet delete a person's
        # last event (zip(strict=True) of [] and [None]; reported to the lead).
        events = [
            e
            for e in StatusEvent.objects.order_by("pk")[:200]
            if StatusEvent.objects.filter(person_id=e.person_id).count() > 1
        ]
        if events:
            services.status_event_delete(actor=None, event=self.rng.choice(events))

    def recognition(self) -> None:
        p = self.rng.choice(self.persons)
        start = max(_random_date(self.rng), p.birth_date)
        end = (
            start + timedelta(days=self.rng.randrange(1, 900)) if self.rng.random() < 0.5 else None
        )
        # The same day twice breaks the unique constraint: skip it (in its own savepoint).
        with contextlib.suppress(IntegrityError), transaction.atomic():
            services.recognition_create(
                actor=None,
                person=p,
                category="other",
                recognized_on=start,
                ended_on=end,
                note="随机",
            )

    def end_recognition(self) -> None:
        p = self.rng.choice(self.persons)
        rec = p.recognitions.filter(ended_on__isnull=True).first()
        if rec is not None:
            services.recognition_end(
                actor=None, recognition=rec, ended_on=rec.recognized_on + timedelta(days=40)
            )

    def move(self) -> None:
        p = self.rng.choice(self.persons)
        target = self.rng.choice(self.households)
        p.refresh_from_db()
        services.person_move(actor=None, person=p, household=target)

    def edit(self) -> None:
        p = self.rng.choice(self.persons)
        p.refresh_from_db()
        field = self.rng.choice(["able", "willing", "hukou_type"])
        value: Any = (
            self.rng.choice(["urban", "agricultural", "converted"])
            if field == "hukou_type"
            else not getattr(p, field)
        )
        services.person_update(actor=None, person=p, **{field: value})

    def dibao(self) -> None:
        hh = self.rng.choice(self.households)
        hh.refresh_from_db()
        hh.dibao = not hh.dibao
        hh.save()

    def service(self) -> None:
        p = self.rng.choice(self.persons)
        kind = self.rng.choice(["survey", "survey", "training", "complaint", "guidance"])
        on = max(_random_date(self.rng), p.birth_date)
        extra: dict[str, Any] = {}
        unemployment = list(
            StatusEvent.objects.filter(status="unemployed").values_list("person_id", "since")
        )
        if kind == "survey" and unemployment and self.rng.random() < 0.8:
            # Mostly a person with an unemployment, around it (HD-C3 counts only theirs).
            person_id, since = self.rng.choice(unemployment)
            p = Person.objects.get(pk=person_id)
            on = max(since + timedelta(days=self.rng.randrange(-60, 500)), p.birth_date)
            on = min(on, TODAY)
        if kind == "survey":
            extra["outcome"] = self.rng.choice(
                ["very_satisfied", "satisfied", "neutral", "dissatisfied"]
            )
        elif kind == "training":
            extra["training_mode"] = self.rng.choice(["post", "order", "directed", "other"])
        elif kind == "complaint":
            extra["valid"] = self.rng.random() < 0.5
        casework.service_record_create(actor=None, person=p, kind=kind, on=on, today=TODAY, **extra)

    def delete_service(self) -> None:
        record = ServiceRecord.objects.order_by("?").first()
        if record is not None:
            casework.service_record_delete(actor=None, record=record)

    def step(self) -> None:
        ops = [
            (self.person, 3),
            (self.status, 6),
            (self.delete_status, 1),
            (self.recognition, 2),
            (self.end_recognition, 1),
            (self.move, 1),
            (self.edit, 1),
            (self.dibao, 1),
            (self.service, 4),
            (self.delete_service, 1),
        ]
        if not self.persons:
            self.person()
            return
        fns, weights = zip(*ops, strict=True)
        self.rng.choices(fns, weights)[0]()


def test_status_not_recorded_edges_kept_by_the_upkeep(tree: dict[str, Any], person: Any) -> None:
    """Each write keeps the "status not recorded" counts: a 16th birthday, a retirement day, a
    person with no events or not able, a first status after 16 or after today, an event closed
    with nothing after it, the only event deleted."""
    checks = status_not_recorded_edges(person)
    assert aggregates.aggregates_fresh()
    assert_status_not_recorded_edges(checks)
    assert_consistent(tree)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_writes_keep_aggregates_equal_to_recomputation(
    tree: dict[str, Any], seed: int
) -> None:
    rng = random.Random(seed)
    world = World(rng, tree)
    for _batch in range(4):
        for _ in range(30):
            world.step()
        assert aggregates.aggregates_fresh()
        assert_consistent(tree, rng)

    # A rebuild from scratch gives the same answers (and compacts the community rows).
    def nonzero(day: date) -> dict[int, dict[str, int]]:
        found = aggregates.community_vectors(on=day)
        return {k: v for k, v in found.items() if any(v.values())}

    before = {day: nonzero(day) for day in _days()}
    aggregates.aggregates_rebuild()
    assert {day: nonzero(day) for day in _days()} == before
    assert_consistent(tree)


def test_stale_after_rows_written_without_the_services(tree: dict[str, Any]) -> None:
    assert aggregates.aggregates_freshness().fresh
    hh = services.household_create(actor=None, number="X1", unit=tree["a"], hukou_type="urban")
    Household.objects.bulk_create(
        [Household(number="BULK1", community=tree["a"], hukou_type="urban")]
    )
    freshness = aggregates.aggregates_freshness()
    assert not freshness.fresh and "household" in freshness.reason
    # Indicators then fall back to the direct computation.
    sheet = fact_sheet(root=tree["a"], on=D(2026, 1, 1), indicators=["employment_rate"])
    assert sheet.source == "direct"
    with pytest.raises(RuntimeError, match="stale"):
        fact_sheet(root=tree["a"], on=D(2026, 1, 1), source="aggregates")
    aggregates.aggregates_rebuild()
    assert aggregates.aggregates_fresh()
    assert hh.pk


def test_stale_when_a_bulk_writer_announces_only_some_households(
    tree: dict[str, Any], person: Any
) -> None:
    """A loader that COPYs rows and announces only some households (as the seed and the ledger
    import do) leaves rows behind the announced ones: the aggregates notice and go stale
    rather than count only what they were told about."""
    announced = person("a", statuses=((D(2020, 1, 1), "unit"),))
    silent = Household.objects.bulk_create(
        [Household(number="BULK2", community=tree["a"], hukou_type="urban")]
    )[0]
    from jiuye.registry.signals import statuses_changed

    assert aggregates.aggregates_fresh() is False  # the silent household's id
    aggregates.aggregates_rebuild()
    Household.objects.bulk_create(
        [Household(number="BULK3", community=tree["a"], hukou_type="urban")]
    )
    assert not aggregates.aggregates_fresh()  # BULK3's id lies above what was seen
    # Later writes through the services (rows above BULK3) and a compaction, which would move
    # the maxima past BULK3, do not hide it: the row nobody announced keeps the aggregates
    # stale for good (until a rebuild).
    later = services.household_create(actor=None, number="X2", unit=tree["a"], hukou_type="urban")
    statuses_changed.send(Person, household_ids={announced.household_id}, on=None, actor=None)
    assert aggregates.aggregates_freshness().reason == "household rows written without the services"
    assert aggregates.compact() is False
    assert aggregates.aggregates_freshness().reason == "household rows written without the services"
    assert later.pk
    assert silent.pk


_MAXIMA = ("max_household", "max_person", "max_event", "max_recognition", "max_service")


def test_writers_record_what_they_saw_and_leave_the_state_row_alone(
    tree: dict[str, Any], person: Any
) -> None:
    """Writers do not update the one state row (it would serialise them all): the rows they
    wrote are recorded as seen, in their transaction; a compaction later moves the maxima up
    and forgets them, and the aggregates stay fresh throughout."""
    maxima = AggregateState.objects.values_list(*_MAXIMA).get(pk=1)
    someone = person("a", statuses=((D(2020, 1, 1), "unemployed", True),))
    record = casework.service_record_create(
        actor=None, person=someone, kind="training", training_mode="post", on=D(2026, 1, 5)
    )
    assert AggregateState.objects.values_list(*_MAXIMA).get(pk=1) == maxima
    seen = set(AggregateSeen.objects.values_list("source", "row_id"))
    assert {("person", someone.pk), ("household", someone.household_id)} <= seen
    assert ("service", record.pk) in seen
    assert aggregates.aggregates_fresh()

    assert aggregates.compact() is True
    assert not AggregateSeen.objects.exists()
    state = AggregateState.objects.get(pk=1)
    assert (state.max_person, state.max_service) == (someone.pk, record.pk)
    assert aggregates.aggregates_fresh()
    assert aggregates.compact() is False  # nothing new
    assert_consistent(tree)


def test_a_write_now_and_then_compacts_after_its_commit(
    tree: dict[str, Any], person: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from jiuye.standards.aggregates import state

    monkeypatch.setattr(state, "COMPACT_EVERY", 1)  # every id: the first write compacts
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        someone = person("a", statuses=((D(2020, 1, 1), "unit"),))
    assert callbacks
    assert not AggregateSeen.objects.exists()
    assert AggregateState.objects.get(pk=1).max_person == someone.pk
    assert aggregates.aggregates_fresh()


def test_stale_after_a_bulk_load_audit_entry(tree: dict[str, Any]) -> None:
    assert aggregates.aggregates_fresh()
    audit_record(actor=None, action="demo.seed", unit=tree["district"], changes={})
    assert aggregates.aggregates_freshness().reason == "a bulk load since the last build"
    aggregates.aggregates_rebuild()
    assert aggregates.aggregates_fresh()
    aggregates.aggregates_invalidate()
    assert not aggregates.aggregates_fresh()


def test_receivers_do_nothing_until_built(tree: dict[str, Any], person: Any) -> None:
    aggregates.aggregates_invalidate()
    person("a", statuses=((D(2020, 1, 1), "unit"),))
    assert not HouseholdTimeline.objects.exists()
    aggregates.aggregates_rebuild()
    assert HouseholdTimeline.objects.exists()


def test_a_status_change_touches_few_rows(
    tree: dict[str, Any], person: Any, django_assert_max_num_queries: Any
) -> None:
    """Keeping the aggregates costs a bounded number of queries per write, however many
    households the community has: the household's timeline is recomputed, the community's
    rows from the change on are updated in place."""
    people = [person("a", statuses=((D(2020, 1, 1), "unit"),)) for _ in range(30)]
    StatusEvent.objects.filter(person=people[0]).update(status="unemployed")
    # 16 before the survey facts (HD-C3, readings of 2026-12): +2 to recompute the household's;
    # +4 to keep the monthly roll-ups (issue 15: their state, the community's months from the
    # sources, its stored months, one update of the changed months).
    with django_assert_max_num_queries(22):
        assert aggregates.households_changed({people[0].household_id}) == 1
    assert_consistent(tree)
    assert connection.vendor in ("sqlite", "postgresql")


def test_many_changes_recompute_the_communities(
    tree: dict[str, Any], person: Any, monkeypatch: Any
) -> None:
    """Past a number of change days (a large import) the communities are recomputed from their
    household rows in SQL instead of being patched day by day: the same answers."""
    monkeypatch.setattr(upkeep, "REBUILD_POINTS", 0)
    rng = random.Random(5)
    world = World(rng, tree)
    for _ in range(40):
        world.step()
    assert_consistent(tree)
