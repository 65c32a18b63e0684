"""Each rule of ``registry.definitions`` in its Python, SQL and ORM forms gives the same answer
on generated histories: unknown status (before the first event), month ends, leap days,
retirement cohorts of the 2025 reform, 16th birthdays, recognitions beginning and ending."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef

from jiuye.lib.sql import Sql, read_date
from jiuye.registry import definitions as d
from jiuye.registry import services
from jiuye.registry.models import DifficultyRecognition, Household, Person, Status, StatusEvent
from jiuye.units.sharding import carried, outer_district, rows_of
from tests.conftest import make_id

# Births around the reform's cohort boundaries (DOMAIN §3) and ordinary ones.
COHORT_BIRTHS = [
    date(1964, 12, 31),
    date(1965, 1, 1),
    date(1966, 3, 15),
    date(1969, 12, 31),
    date(1970, 1, 31),
    date(1974, 12, 31),
    date(1975, 2, 28),
    date(1976, 9, 1),
    date(1984, 11, 30),
    date(2008, 2, 29),
    date(2010, 7, 14),
]
# Month ends, a leap day, year bounds.
SPECIAL_DAYS = [
    date(2024, 2, 29),
    date(2025, 1, 31),
    date(2025, 2, 28),
    date(2025, 12, 31),
    date(2026, 1, 1),
    date(2026, 3, 31),
    date(2026, 7, 15),
]


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _build(tree: dict[str, Any], seed: int) -> list[Person]:
    rng = random.Random(seed)
    hukous = ["urban", "agricultural", "converted"]
    households = [
        services.household_create(
            actor=None,
            number=f"D{seed}-{n}",
            unit=rng.choice([tree["a1"], tree["a"], tree["b"]]),
            hukou_type=rng.choice(hukous),
            dibao=rng.random() < 0.4,
        )
        for n in range(8)
    ]
    persons = []
    for n in range(40):
        male = rng.random() < 0.5
        birth = (
            rng.choice(COHORT_BIRTHS)
            if n % 3 == 0
            else _day(rng, date(1958, 1, 1), date(2012, 12, 31))
        )
        fields: dict[str, Any] = {
            "able": rng.random() < 0.85,
            "willing": rng.random() < 0.8,
            "hukou_type": rng.choice(hukous),
        }
        if not male:
            fields["female_base"] = rng.choice([None, 50, 55])
        person = services.person_create(
            actor=None,
            id_number=make_id(birth, male=male),
            name=f"人{n}",
            household=rng.choice(households),
            **fields,
        )
        for _ in range(rng.randrange(5)):  # 0 events: status unknown throughout
            status = rng.choice(list(Status.values) + ["unemployed"] * 3)
            since = max(
                birth, rng.choice([*SPECIAL_DAYS, _day(rng, date(2022, 1, 1), date(2027, 6, 30))])
            )
            if d.is_employed(status):
                since = max(since, person.work_from)
            services.person_change_status(
                actor=None,
                person=person,
                status=status,
                since=since,
                registered=status == Status.UNEMPLOYED and rng.random() < 0.7,
            )
        for _ in range(rng.randrange(3)):
            start = max(
                birth, rng.choice([*SPECIAL_DAYS, _day(rng, date(2023, 1, 1), date(2026, 12, 31))])
            )
            end = rng.choice([None, start, start + timedelta(days=rng.randrange(1, 400))])
            DifficultyRecognition.objects.get_or_create(
                person=person,
                category="other",
                recognized_on=start,
                defaults={"ended_on": end, "note": "generated"},
            )
        person.refresh_from_db()
        persons.append(person)
    return persons


def _probe_days(persons: list[Person]) -> list[date]:
    days = set(SPECIAL_DAYS)
    for p in persons[:12]:
        for day in (p.work_from, p.retire_on):
            days.update((day - timedelta(days=1), day))
    return sorted(days)


def _case(condition: Sql) -> tuple[str, tuple[Any, ...]]:
    return f"CASE WHEN {condition.text} THEN 1 ELSE 0 END", condition.params


def _sql_answers(on: date) -> dict[int, tuple[int, ...]]:
    """Every person's answers at ``on`` from the SQL forms, in one query."""
    status = "e.status"
    columns = [
        _case(d.working_age_sql("p", on)),
        _case(d.labor_force_sql("p", status, on)),
        _case(d.labor_force_sql("p", status, on) & d.employed_sql(status)),
        _case(d.status_not_recorded_sql("p", status, on)),
        _case(d.dibao_base_sql("p", status, on)),
        _case(d.dibao_base_sql("p", status, on) & d.dibao_not_employed_sql(status)),
        _case(d.urban_sql("p.hukou_type")),
    ]
    in_force = d.in_force_sql("e", on)
    recognised = d.recognition_in_force_sql("r", on)
    select = ", ".join(text for text, _ in columns)
    params = [p for _, ps in columns for p in ps] + [*recognised.params, *in_force.params]
    sql = f"""
        SELECT p.id, e.status, {select},
               CASE WHEN EXISTS (SELECT 1 FROM {DifficultyRecognition._meta.db_table} r
                                 WHERE {rows_of("r", "person_id", "p")} AND {recognised.text})
                    THEN 1 ELSE 0 END
        FROM {Person._meta.db_table} p
        LEFT JOIN {StatusEvent._meta.db_table} e
            ON {rows_of("e", "person_id", "p")} AND {in_force.text}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ids = [row[0] for row in rows]
    assert len(ids) == len(set(ids)), "at most one event in force per person"
    return {row[0]: (row[1], *row[2:]) for row in rows}


def _python_answers(p: Person, on: date) -> tuple[Any, ...]:
    events = [(e.since, e.status) for e in sorted(p.status_events.all(), key=lambda e: e.since)]
    status = d.status_on(events, on)
    recognised = any(
        d.recognition_in_force(recognized_on=r.recognized_on, ended_on=r.ended_on, on=on)
        for r in p.recognitions.all()
    )
    lf = d.in_labor_force(
        work_from=p.work_from,
        retire_on=p.retire_on,
        able=p.able,
        willing=p.willing,
        status=status,
        on=on,
    )
    base = d.in_dibao_base(
        work_from=p.work_from, retire_on=p.retire_on, able=p.able, status=status, on=on
    )
    return (
        status,
        int(d.is_working_age(work_from=p.work_from, retire_on=p.retire_on, on=on)),
        int(lf),
        int(lf and d.is_employed(status)),
        int(
            d.status_not_recorded(
                work_from=p.work_from, retire_on=p.retire_on, status=status, on=on
            )
        ),
        int(base),
        int(base and d.dibao_not_employed(status)),
        int(d.is_urban(p.hukou_type)),
        int(recognised),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_python_and_sql_forms_agree(tree, seed):
    persons = _build(tree, seed)
    exercised = [0] * 9
    for on in _probe_days(persons):
        sql = _sql_answers(on)
        for p in Person.objects.prefetch_related("status_events", "recognitions"):
            expected = _python_answers(p, on)
            assert sql[p.pk] == expected, (p.pk, on)
            for i, value in enumerate(expected):
                exercised[i] += bool(value)
    # Every answer was true for someone at some date, and status was unknown for someone.
    assert all(exercised[1:]), exercised
    assert any(_python_answers(p, SPECIAL_DAYS[0])[0] is None for p in persons)


@pytest.mark.parametrize("seed", [4, 5])
def test_orm_forms_agree(tree, seed):
    persons = _build(tree, seed)
    for on in _probe_days(persons)[::3]:
        with_status = Person.objects.filter(
            Exists(
                StatusEvent.objects.filter(
                    d.in_force_q(on), outer_district(), person=OuterRef("pk")
                )
            )
        )
        working = set(Person.objects.filter(d.working_age_q(on)).values_list("pk", flat=True))
        candidates = set(
            Person.objects.filter(d.labor_force_candidates_q(on)).values_list("pk", flat=True)
        )
        recognised = set(
            DifficultyRecognition.objects.filter(d.recognition_in_force_q(on)).values_list(
                "person_id", flat=True
            )
        )
        urban = set(Person.objects.filter(d.urban_q()).values_list("pk", flat=True))
        known = set(with_status.values_list("pk", flat=True))
        for p in Person.objects.prefetch_related("status_events", "recognitions"):
            answers = _python_answers(p, on)
            assert (p.pk in working) == bool(answers[1])
            assert (p.pk in known) == (answers[0] is not None)
            assert (p.pk in recognised) == bool(answers[8])
            assert (p.pk in urban) == bool(answers[7])
            if answers[2]:  # in the labor force: a candidate
                assert p.pk in candidates


def test_in_force_python_and_orm_forms_agree(tree):
    """An event's Python form of "in force" is the ORM's and SQL's: chained histories, and an
    event closed with nothing after it (unknown again from its end)."""
    persons = _build(tree, 6)
    closed = next(p for p in persons if p.status_events.exists())
    last = closed.status_events.order_by("since").last()
    end = last.since + timedelta(days=90)
    StatusEvent.objects.filter(pk=last.pk).update(until=end)
    days = [*_probe_days(persons), end - timedelta(days=1), end]
    events = list(StatusEvent.objects.values_list("pk", "since", "until"))
    for on in days:
        orm = set(StatusEvent.objects.filter(d.in_force_q(on)).values_list("pk", flat=True))
        in_force = d.in_force_sql("e", on)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT e.id FROM {StatusEvent._meta.db_table} e WHERE {in_force.text}",
                in_force.params,
            )
            sql = {row[0] for row in cursor.fetchall()}
        python = {pk for pk, since, until in events if d.in_force(since=since, until=until, on=on)}
        assert python == orm == sql, on
    assert d.in_force(since=last.since, until=end, on=end - timedelta(days=1))
    assert not d.in_force(since=last.since, until=end, on=end)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("labor_force", "employed", "farming", "zero", "pure"),
    [
        (0, 0, 0, False, False),
        (1, 0, 0, True, False),
        (2, 1, 1, False, True),
        (3, 2, 1, False, False),
    ],
)
def test_household_rules_agree(labor_force, employed, farming, zero, pure):
    assert d.is_zero_family(labor_force=labor_force, employed=employed) is zero
    assert d.is_pure_farming(employed=employed, farming=farming) is pure
    sql = (
        f"SELECT CASE WHEN {d.zero_family_sql('x.lf', 'x.emp').text} THEN 1 ELSE 0 END, "
        f"CASE WHEN {d.pure_farming_sql('x.emp', 'x.farm').text} THEN 1 ELSE 0 END "
        "FROM (SELECT %s AS lf, %s AS emp, %s AS farm) x"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [labor_force, employed, farming])
        assert cursor.fetchone() == (int(zero), int(pure))


def test_spells_agree_with_registered_events(tree):
    persons = _build(tree, 6)
    on = date(2026, 12, 31)
    rows = StatusEvent.objects.filter(d.registered_q(), since__lte=on).values_list(
        "person_id", "since", "until"
    )
    spells = d.spells(rows, on)
    for p in persons:
        events = sorted(p.status_events.all(), key=lambda e: e.since)
        for spell in (s for s in spells if s.person_id == p.pk):
            # Registered on every day of the spell, and not the day before it began.
            day = spell.start
            while day < (spell.end or on):
                current = [e for e in events if e.since <= day][-1]
                assert current.status == Status.UNEMPLOYED and current.registered
                day += timedelta(days=30)
            before = [e for e in events if e.since < spell.start]
            assert not before or not (before[-1].registered and before[-1].until == spell.start)


def test_zero_family_sweep_agrees_with_sql(tree):
    """The sweep (cases, worklist) and the aggregated SQL (counts) find the same zero
    families at every probe date, with everything recorded known to the sweep."""
    from jiuye.registry.classification import member_timelines, zero_households

    persons = _build(tree, 7)
    households = list(Household.objects.values_list("pk", flat=True))
    timelines = member_timelines(households)
    episodes = {h: d.zero_family_episodes(timelines.get(h, [])) for h in households}
    for on in _probe_days(persons):
        sql = {r.household_id for r in zero_households(on=on)}
        swept = {h for h, eps in episodes.items() if any(e.open_on(on) for e in eps)}
        assert sql == swept, on


def test_current_status_forms_agree_after_the_latest_event(tree):
    """The list pages' filters read the current-status cache: the same persons as the rule on
    any date on or after everyone's latest event."""
    _build(tree, 8)
    on = date(2027, 7, 1)  # after every generated event
    lf = set(Person.objects.filter(d.labor_force_now_q(on)).values_list("pk", flat=True))
    employed = set(Person.objects.filter(d.employed_now_q()).values_list("pk", flat=True))
    for p in Person.objects.prefetch_related("status_events", "recognitions"):
        answers = _python_answers(p, on)
        assert (p.pk in lf) == bool(answers[2])
        if answers[2]:
            assert (p.pk in employed) == bool(answers[3])


@pytest.mark.parametrize("seed", [9, 10])
def test_status_on_sql_agrees_on_every_date(tree, seed):
    """``status_on_sql`` (the current-status cache when the latest event began by the date,
    else the event then) is :func:`status_on` on every probe date: before anyone's first
    event, between events, on a change day and after everyone's latest."""
    persons = _build(tree, seed)
    changes = StatusEvent.objects.order_by("pk").values_list("since", flat=True)[:15]
    days = {*_probe_days(persons), date(2027, 7, 1)}
    days.update(day for since in changes for day in (since - timedelta(days=1), since))
    for on in sorted(days):
        status = d.status_on_sql("p", on)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT p.id, {status.text} FROM {Person._meta.db_table} p", status.params
            )
            sql = dict(cursor.fetchall())
        for p in Person.objects.prefetch_related("status_events"):
            events = [(e.since, e.status) for e in p.status_events.order_by("since")]
            assert sql[p.pk] == d.status_on(events, on), (p.pk, on)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("emerged", "ended", "on"),
    [
        (date(2026, 1, 31), None, date(2026, 1, 30)),
        (date(2026, 1, 31), None, date(2026, 1, 31)),
        (date(2026, 1, 31), date(2026, 2, 28), date(2026, 2, 27)),
        (date(2026, 1, 31), date(2026, 2, 28), date(2026, 2, 28)),
        (date(2024, 2, 29), date(2048, 3, 1), date(2030, 6, 1)),  # an end dated ahead
    ],
)
def test_stored_episode_forms_agree(emerged, ended, on):
    from jiuye.casework.models import ZeroFamilyCase

    expected = d.Episode(emerged, ended, "employed" if ended else None).open_on(on)
    sql = d.episode_open_sql("x", on)
    # A NULL parameter has no type on PostgreSQL (it would be text): state it.
    as_date = "::date" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT CASE WHEN {sql.text} THEN 1 ELSE 0 END "
            f"FROM (SELECT %s{as_date} AS emerged_on, %s{as_date} AS eliminated_on) x",
            [*sql.params, emerged, ended],
        )
        assert cursor.fetchone()[0] == int(expected)
    q = str(ZeroFamilyCase.objects.filter(d.episode_open_q(on)).query)
    assert "emerged_on" in q and "eliminated_on" in q


def test_registration_forms_agree(tree):
    """``registration_start`` (one history), ``spells`` (many), ``registered_q`` and
    ``registered_sql`` pick the same registrations on every probe date."""
    persons = _build(tree, 9)
    for on in _probe_days(persons):
        rows = StatusEvent.objects.filter(d.registered_q(), since__lte=on).values_list(
            "person_id", "since", "until"
        )
        open_spells = {s.person_id: s.start for s in d.spells(rows, on) if s.end is None}
        sql = d.registered_sql("e") & d.in_force_sql("e", on)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT e.person_id FROM {StatusEvent._meta.db_table} e WHERE {sql.text}",
                sql.params,
            )
            registered_now = {row[0] for row in cursor.fetchall()}
        assert registered_now == set(open_spells)
        for p in persons:
            history = [
                (e.since, e.status, e.registered)
                for e in sorted(p.status_events.all(), key=lambda e: e.since)
            ]
            assert d.registration_start(history, on) == open_spells.get(p.pk), (p.pk, on)


def test_in_force_during_agrees(tree):
    persons = _build(tree, 10)
    days = _probe_days(persons)
    for start, end in zip(days, days[3:], strict=False):
        found = set(
            StatusEvent.objects.filter(d.in_force_during_q(start, end)).values_list("pk", flat=True)
        )
        for e in StatusEvent.objects.all():
            during = any(
                e.since <= day and (e.until is None or e.until > day)
                for day in (start + timedelta(days=k) for k in range((end - start).days + 1))
            )
            assert (e.pk in found) == during


def test_spells_sql_agrees_with_spells(tree):
    """``spells_sql`` (the worklists' and indicators' registrations, issue 12) chains the same
    events into the same spells as ``spells`` on every probe date: starts, ends, an end after
    the date not yet known."""
    persons = _build(tree, 10)
    events = Sql(
        f"SELECT e.person_id{carried('e')}, e.since, e.until FROM {StatusEvent._meta.db_table} e "
        f"WHERE {d.registered_sql('e').text}"
    )
    for on in _probe_days(persons):
        rows = StatusEvent.objects.filter(d.registered_q(), since__lte=on).values_list(
            "person_id", "since", "until"
        )
        python = {(s.person_id, s.start, s.end) for s in d.spells(rows, on)}
        query = d.spells_sql(events, on)
        with connection.cursor() as cursor:
            # (On Citus the spells also carry their district.)
            cursor.execute(f'SELECT person_id, start, "end" FROM ({query.text}) s', query.params)
            sql = {(pk, read_date(start), read_date(end)) for pk, start, end in cursor.fetchall()}
        assert sql == python, on
