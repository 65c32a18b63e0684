"""The aggregates computed set-based, in SQL that runs on SQLite and PostgreSQL alike: every
household's timeline, every community's, the service days and the survey facts, each one
``INSERT … SELECT``, for everything (:func:`aggregates_rebuild`) or for the households a bulk
load names (:func:`aggregates_refresh`).

The household statement is the SQL form of :mod:`.timeline` (the same rows, checked by the
tests on random writes, edge cases and a seeded city), assembled from the SQL fragments of
``registry.definitions``: labor force, employed, status in force, recognition in force, urban
hukou, pure farming, CQ-3's base.

Cost (PostgreSQL, 1M persons): the rebuild took about 20 s of server CPU, no rows through
Python, before the timelines counted "status not recorded" (whose stretches from each 16th
birthday to the first event more than double the rows: 6 s → 16 s at 200k persons); a refresh
about 0.5 s for 500 households, 5 s for 50,000.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jiuye.casework.models import SATISFIED_OUTCOMES, ServiceKind, ServiceRecord
from jiuye.lib import bulkload
from jiuye.lib.sql import Sql, lock_community, sql_list
from jiuye.registry import definitions
from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
from jiuye.standards.aggregates import state as st
from jiuye.standards.aggregates.records import SERVICE_COLUMNS, THREE_MODE_VALUES
from jiuye.standards.aggregates.tables import (
    CHUNK,
    CT,
    HT,
    HT_COLUMNS,
    SD,
    SF,
    SF_COLUMNS,
    in_ids,
    truncate,
)
from jiuye.standards.aggregates.timeline import MEMBER_FIELDS
from jiuye.standards.models import (
    VECTOR_FIELDS,
    AggregateState,
    CommunityTimeline,
    HouseholdTimeline,
)
from jiuye.standards.signals import aggregates_rebuilt, community_timelines_changed
from jiuye.units.models import Level, Unit
from jiuye.units.sharding import by_district, carried, citus, rows_of, same_district

_PERSON = Person._meta.db_table
_EVENT = StatusEvent._meta.db_table
_RECOGNITION = DifficultyRecognition._meta.db_table
_HOUSEHOLD = Household._meta.db_table
_RECORD = ServiceRecord._meta.db_table
_COMMUNITY_LEVELS = (str(Level.COMMUNITY), str(Level.VILLAGE))


def _case(condition: Sql | str, then: str, otherwise: str = "0") -> str:
    return f"CASE WHEN {condition} THEN {then} ELSE {otherwise} END"


def _bit(name: str) -> int:
    return 1 << MEMBER_FIELDS.index(name)


def member_code_sql() -> str:
    """A member's counts on ``pt.day`` (:func:`.timeline.member_state`) as bits of one integer,
    bit i for ``MEMBER_FIELDS[i]``, over ``m`` (the member), ``e`` (the status event in force
    that day, NULL when unknown) and ``pt.day``. Every condition is a definition's SQL form."""
    day = "pt.day"
    lf = definitions.labor_force_sql("m", "e.status", day)
    employed = definitions.employed_sql("e.status")
    unemployed = f"e.status = '{definitions.UNEMPLOYED}'"
    registered = definitions.registered_sql("e").text
    recognised = definitions.recognition_in_force_sql("r", day)
    difficult = (
        f"m.recognised AND EXISTS (SELECT 1 FROM {_RECOGNITION} r "
        f"WHERE r.person_id = m.id AND {recognised})"
    )
    if citus():
        # Citus runs no sub-query correlated with a CTE: the days on which a recognition is in
        # force come from the joined ``rd`` (household_rows_sql) instead.
        difficult = "rd.person_id IS NOT NULL"
    in_labor_force = " + ".join(
        [
            str(_bit("labor_force")),
            _case(employed, str(_bit("employed"))),
            _case(f"e.status = '{definitions.FARMING}'", str(_bit("farming"))),
            _case(unemployed, str(_bit("unemployed"))),
            _case(registered, str(_bit("registered"))),
            _case(f"m.urban AND {employed}", str(_bit("urban_employed"))),
            _case(f"m.urban AND {registered}", str(_bit("urban_registered"))),
            _case(
                difficult,
                f"{_bit('difficult')} + " + _case(employed, str(_bit("difficult_employed"))),
            ),
        ]
    )
    dibao = definitions.dibao_base_sql("m", "e.status", day)
    in_dibao = f"{_bit('dibao_base')} + " + _case(
        definitions.dibao_not_employed_sql("e.status"), str(_bit("dibao_not_employed"))
    )
    assert not (lf.params or dibao.params or recognised.params)
    dibao_member = _case(f"m.dibao_household AND {dibao}", f"({in_dibao})")
    unrecorded = definitions.status_not_recorded_sql("m", "e.status", day)
    assert not unrecorded.params
    not_recorded = _case(unrecorded, str(_bit("status_not_recorded")))
    return f"{_case(lf, f'({in_labor_force})')} + {dibao_member} + {not_recorded}"


def household_rows_sql(household_filter: str = "", district: int | None = None) -> str:
    """``INSERT … SELECT`` of every household's timeline (those of the persons matching
    ``household_filter``, a condition on ``p.household_id``): the rows
    :func:`.timeline.household_timeline` computes one household at a time.

    1. ``m``: the members (able or not: one of working age without a status counts as
       "status not recorded"), with their urban hukou and whether their household is an urban
       dibao household (CQ-3);
    2. ``pt``: each member's change days (16th birthday, retirement day, status events
       beginning, and ending with nothing after them, recognitions beginning and ending), kept
       within their working age: before it they count for nothing, and from the retirement day
       on nothing either;
    3. ``st``: the member's counts on each such day, as bits of one integer
       (:func:`member_code_sql`), with the status event in force that day;
    4. the member's change from the day before (one LAG), summed per household and day;
    5. the household's running sums, and its pure-farming flag (``definitions``).

    ``district``: only that district's households, every table read named by it (Citus:
    :func:`aggregates_rebuild` builds a district at a time, each statement a router query run
    whole on the district's node).
    """

    def of_district(alias: str) -> str:
        return "" if district is None else f"{alias}.district_id = {int(district)}"

    def only(alias: str) -> str:
        return f" AND {of_district(alias)}" if district is not None else ""

    conditions = [c for c in (household_filter, of_district("p"), of_district("h")) if c]
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    # Events and recognitions of a subset: by person (an index probe each); of everyone: all.
    mine = "person_id IN (SELECT id FROM m)" if household_filter else "1 = 1"
    events, recognitions = (f"WHERE {mine}{only(t)}" for t in (_EVENT, _RECOGNITION))
    own_closed = "AND c.person_id IN (SELECT id FROM m)" if household_filter else ""
    names = MEMBER_FIELDS
    # The change of bit i: ((code & 2^i) - (prev & 2^i)) / 2^i is -1, 0 or 1.
    deltas = ", ".join(
        f"CAST(SUM(((code & {1 << bit}) - (prev & {1 << bit})) / {1 << bit}) AS INTEGER) AS {name}"
        for bit, name in enumerate(names)
    )
    changed = " OR ".join(
        f"CAST(SUM(((code & {1 << bit}) - (prev & {1 << bit})) / {1 << bit}) AS INTEGER) <> 0"
        for bit in range(len(names))
    )
    running = ", ".join(f"SUM({name}) OVER w AS {name}" for name in names)
    pure = definitions.pure_farming_sql("hh.employed", "hh.farming")
    columns = ", ".join(
        _case(pure, "1") if name == "pure_farming" else f"hh.{name}" for name in VECTOR_FIELDS
    )
    urban = definitions.urban_sql("p.hukou_type")
    urban_household = definitions.urban_sql("h.hukou_type")
    dc = carried()
    select = f"""
    WITH m AS (
        SELECT p.id, p.household_id, p.work_from, p.retire_on, p.able, p.willing{carried("p")},
               {urban} AS urban,
               h.dibao AND {urban_household} AS dibao_household,
               EXISTS (SELECT 1 FROM {_RECOGNITION} r
                       WHERE {rows_of("r", "person_id", "p")}{only("r")}) AS recognised
        FROM {_PERSON} p JOIN {_HOUSEHOLD} h ON {rows_of("p", "household_id", "h")}
        {where}
    ),
    pt AS (
        SELECT id AS person_id{dc}, work_from AS day FROM m
        UNION ALL SELECT id{dc}, retire_on FROM m
        UNION ALL SELECT person_id{dc}, since FROM {_EVENT} {events}
        UNION ALL SELECT c.person_id{carried("c")}, c.until FROM {_EVENT} c
            WHERE c.until IS NOT NULL {own_closed}{only("c")} AND NOT EXISTS (
                SELECT 1 FROM {_EVENT} n WHERE n.person_id = c.person_id
                {same_district("n", "c")}{only("n")} AND n.since = c.until)
        UNION ALL SELECT person_id{dc}, recognized_on FROM {_RECOGNITION} {recognitions}
        UNION ALL SELECT person_id{dc}, ended_on FROM {_RECOGNITION}
            {recognitions} AND ended_on IS NOT NULL
    ),{_recognised_days_sql(only("r"))}
    st AS (
        SELECT m.household_id{carried("m")}, m.id AS person_id, pt.day, {member_code_sql()} AS code
        FROM pt
        JOIN m ON m.id = pt.person_id {same_district("m", "pt")}
                  AND pt.day >= m.work_from AND pt.day <= m.retire_on
        LEFT JOIN {_EVENT} e ON {rows_of("e", "person_id", "m")}{only("e")}
                  AND {definitions.in_force_sql("e", "pt.day")}{_recognised_join()}
    ),
    md AS (
        SELECT household_id{dc}, day, code,
               COALESCE(LAG(code) OVER (PARTITION BY {by_district("person_id")} ORDER BY day), 0)
                   AS prev
        FROM st
    ),
    hd AS (
        SELECT household_id{dc}, day, {deltas}
        FROM md WHERE code <> prev
        GROUP BY {by_district("household_id, day")}
        HAVING {changed}
    ),
    hh AS (
        SELECT household_id{dc}, day, LEAD(day) OVER w AS until, {running}
        FROM hd
        WINDOW w AS (PARTITION BY {by_district("household_id")} ORDER BY day)
    )
    SELECT hh.household_id, h.community_id, h.district_id, hh.day, hh.until, {columns}
    FROM hh JOIN {_HOUSEHOLD} h ON h.id = hh.household_id {same_district("h", "hh")}{only("h")}"""
    insert = f"INSERT INTO {HT} ({', '.join(HT_COLUMNS)})"
    if district is not None and citus():
        # Citus plans a SELECT under an INSERT (whose ids come from a sequence) piece by
        # piece, gathering each leg of ``pt`` on the coordinator; as a CTE of its own it is one
        # router query on the district's node, whose rows then go to the timelines' shard.
        return f"{insert} WITH rows AS MATERIALIZED ({select}) SELECT * FROM rows"
    return f"{insert} {select}"


def _recognised_days_sql(only: str = "") -> str:
    """Citus only: ``rd``, the (person, day) pairs of ``pt`` on which a recognition is in
    force (one server asks a correlated EXISTS instead, see :func:`member_code_sql`);
    ``only``: the condition naming the district of the recognitions ``r``."""
    if not citus():
        return ""
    recognised = definitions.recognition_in_force_sql("r", "pt.day")
    return f"""
    rd AS (
        SELECT DISTINCT pt.person_id, pt.district_id, pt.day
        FROM pt JOIN {_RECOGNITION} r ON r.person_id = pt.person_id
                                      AND r.district_id = pt.district_id{only}
        WHERE {recognised}
    ),"""


def _recognised_join() -> str:
    if not citus():
        return ""
    return (
        "\n        LEFT JOIN rd ON rd.person_id = m.id AND rd.district_id = m.district_id"
        " AND rd.day = pt.day"
    )


def community_rows_sql(where: str = "") -> str:
    """Every community's timeline (those matching ``where`` on the household rows) as the
    running sum of its households' changes: one INSERT … SELECT, on SQLite and PostgreSQL alike.

    A household row holding ``v`` from ``valid_from`` up to ``valid_until`` changes its
    community's counts by ``+v`` on the first day and by ``-v`` on the second, so the changes
    are a plain GROUP BY (no per-household LAG); days whose changes cancel out get no row."""
    cols = ", ".join(VECTOR_FIELDS)
    minus = ", ".join(f"-{f}" for f in VECTOR_FIELDS)
    # CAST: a running SUM over bigint would be numeric on PostgreSQL (several times slower).
    sums = ", ".join(f"CAST(SUM({f}) AS INTEGER) AS {f}" for f in VECTOR_FIELDS)
    changed = " OR ".join(f"CAST(SUM({f}) AS INTEGER) <> 0" for f in VECTOR_FIELDS)
    # One window for the running sums and LEAD: one sort, one pass (PostgreSQL evaluates
    # differently framed windows in separate passes).
    running = ", ".join(f"SUM({f}) OVER w AS {f}" for f in VECTOR_FIELDS)
    until_where = f"{where} AND" if where else "WHERE"
    return f"""
    INSERT INTO {CT} (community_id, district_id, valid_from, valid_until, {cols})
    SELECT community_id, district_id, day, LEAD(day) OVER w, {running}
    FROM (
        SELECT community_id, {group_district("district_id")}, day, {sums}
        FROM (
            SELECT community_id, district_id, valid_from AS day, {cols} FROM {HT} {where}
            UNION ALL
            SELECT community_id, district_id, valid_until, {minus} FROM {HT}
            {until_where} valid_until IS NOT NULL
        ) d
        GROUP BY {by_district("community_id, day")}
        HAVING {changed}
    ) g
    WINDOW w AS (PARTITION BY {by_district("community_id")} ORDER BY day
                 ROWS UNBOUNDED PRECEDING)"""


def group_district(column: str) -> str:
    """A grouping's district (the group's community's): grouped by on Citus
    (:func:`~jiuye.units.sharding.by_district`), one server takes it as an aggregate, so its
    GROUP BY and the planner's estimates stay as measured."""
    return f"{column} AS district_id" if citus() else f"MIN({column}) AS district_id"


REBUILD_POINTS = 5000  # above this many (community, day) changes, recompute the communities


def rebuild_communities(community_ids: Sequence[int]) -> None:
    """Recompute these communities' timelines from their household rows."""
    for start in range(0, len(community_ids), CHUNK):
        chunk = list(community_ids[start : start + CHUNK])
        for community_id in chunk:
            lock_community(community_id)
        marks = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {CT} WHERE community_id IN ({marks})", chunk)
            where = f"WHERE community_id IN ({marks})"
            cursor.execute(community_rows_sql(where), chunk + chunk)  # the where is used twice
    community_timelines_changed.send(
        sender=CommunityTimeline, since=dict.fromkeys(community_ids, None)
    )


def service_days_sql(community_filter: str = "") -> str:
    """``INSERT … SELECT`` of the service days (of the persons matching ``community_filter``,
    a condition on ``p.community_id``)."""
    on = connection.ops.quote_name("on")
    training, complaint = str(ServiceKind.TRAINING), str(ServiceKind.COMPLAINT)
    modes = sql_list(THREE_MODE_VALUES)
    where = f"AND {community_filter}" if community_filter else ""
    return f"""
    INSERT INTO {SD} (community_id, district_id, day, {", ".join(SERVICE_COLUMNS)})
    SELECT p.community_id, {group_district("p.district_id")}, s.{on},
           SUM(CASE WHEN s.kind = '{training}' THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.kind = '{training}' AND s.training_mode IN ({modes}) THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.kind = '{complaint}' AND s.valid THEN 1 ELSE 0 END)
    FROM {_RECORD} s JOIN {_PERSON} p ON {rows_of("s", "person_id", "p")}
    WHERE s.kind IN ('{training}', '{complaint}') {where}
    GROUP BY {by_district("p.community_id, s." + on, alias="p")}"""


def survey_facts_sql(record_filter: str = "") -> str:
    """``INSERT … SELECT`` of the survey facts (of the surveys matching ``record_filter``, a
    condition on ``s`` the record and ``p`` its person): a survey answered by a person with an
    ``unemployed`` status event beginning on or before the survey day; ``unemployed_until`` is
    NULL when one of them was still in force that day, else the latest end of them."""
    on = connection.ops.quote_name("on")
    survey = str(ServiceKind.SURVEY)
    where = f"AND {record_filter}" if record_filter else ""
    return f"""
    INSERT INTO {SF} ({", ".join(SF_COLUMNS)})
    SELECT s.id, s.person_id, p.community_id, p.district_id, s.{on},
           s.outcome IN ({sql_list(SATISFIED_OUTCOMES)}),
           CASE WHEN MAX(CASE WHEN e.until IS NULL OR e.until > s.{on} THEN 1 ELSE 0 END) = 1
                THEN NULL ELSE MAX(e.until) END
    FROM {_RECORD} s
    JOIN {_PERSON} p ON {rows_of("s", "person_id", "p")}
    JOIN {_EVENT} e ON e.person_id = s.person_id {same_district("e", "s")}
                   AND e.status = '{definitions.UNEMPLOYED}' AND e.since <= s.{on}
    WHERE s.kind = '{survey}' {where}
    GROUP BY s.id, s.person_id, p.community_id, p.district_id, s.{on}, s.outcome"""


def households_a_statement() -> int:
    """Households a statement: many on PostgreSQL (one array parameter; a statement's fixed
    cost, such as probing the recognitions, is spread wider), SQLite caps the parameters."""
    return 20_000 if connection.vendor == "postgresql" else CHUNK


def in_districts(alias: str, districts: Sequence[int] | None) -> tuple[str, list[Any]]:
    """`` AND alias.district_id IN (...)`` on Citus when the districts are known: a write's
    upkeep then goes to its district's shard alone (a statement sent to every shard after the
    request read a reference table is refused by Citus in parallel mode). Nothing elsewhere."""
    if not citus() or not districts:
        return "", []
    where, params = in_ids(f"{alias}.district_id", sorted(set(districts)))
    return f" AND {where}", params


def survey_facts_refresh(
    household_ids: Sequence[int],
    *,
    orphans: bool = False,
    districts: Sequence[int] | None = None,
) -> None:
    """Recompute the survey facts of the persons of these households; ``orphans``: also drop
    those of records or persons that no longer exist (a bulk load deletes without signals);
    ``districts``: theirs, when known (:func:`in_districts`)."""
    size = households_a_statement()
    sf_routed, sf_route = in_districts(SF, districts)
    p_routed, p_route = in_districts("p", districts)
    with connection.cursor() as cursor:
        for start in range(0, len(household_ids), size):
            chunk = list(household_ids[start : start + size])
            where, params = in_ids("p.household_id", chunk)
            cursor.execute(
                f"DELETE FROM {SF} WHERE person_id IN "
                f"(SELECT p.id FROM {_PERSON} p WHERE {where}{p_routed}){sf_routed}",
                [*params, *p_route, *sf_route],
            )
            cursor.execute(survey_facts_sql(where + p_routed), [*params, *p_route])
        if not orphans:
            return
        cursor.execute(
            f"DELETE FROM {SF} WHERE NOT EXISTS (SELECT 1 FROM {_RECORD} s "
            f"WHERE s.id = {SF}.record_id AND s.person_id = {SF}.person_id"
            f"{same_district('s', SF)})"
        )


@dataclass(frozen=True)
class RebuildSummary:
    households: int
    household_rows: int
    community_rows: int
    service_rows: int
    survey_rows: int
    seconds: float


_TIMELINES = (HouseholdTimeline, CommunityTimeline)


def _household_rows(cursor: Any) -> int:
    """Write every household's timeline rows: one statement; on Citus one a district, each a
    router query (:func:`household_rows_sql`): as one statement over every shard, Citus would
    gather the persons' change days on the coordinator (over its 1 GB limit of such results in
    the 10M city)."""
    if not citus():
        cursor.execute(household_rows_sql())
        return int(cursor.rowcount)
    cursor.execute(f"SELECT DISTINCT district_id FROM {_HOUSEHOLD} ORDER BY district_id")
    total = 0
    for (district,) in cursor.fetchall():
        cursor.execute(household_rows_sql(district=district))
        total += cursor.rowcount
    return total


@transaction.atomic
def aggregates_rebuild() -> RebuildSummary:
    """Recompute every aggregate from the registry and casework (in one transaction), and mark
    them fresh: household timelines, community timelines, service days and survey facts, each
    one set-based SQL statement."""
    started = time.perf_counter()
    if st.state(for_update=True) is None:
        AggregateState.objects.create(pk=1)
    # The maxima after the truncation, which waits for writers still keeping these tables (on
    # PostgreSQL): their rows are then either counted below or recorded as seen above.
    truncate(HT, CT, SD, SF)
    current = st.current_max()
    audit_id = st.last_audit_id()
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SHOW work_mem")
            work_mem = cursor.fetchone()[0]
            # The statements sort and hash a few million narrow rows: in memory, not on disk
            # (for this transaction only; the setting is put back below).
            cursor.execute("SELECT set_config('work_mem', '256MB', true)")
        # One sorted build per index afterwards instead of upkeep row by row (PostgreSQL).
        # (Not on Citus: DDL after the parallel reads above would have to run sequentially.)
        lifted = bulkload.lift_constraints(_TIMELINES) if postgres and not citus() else None
        household_rows = _household_rows(cursor)
        cursor.execute(community_rows_sql())
        community_rows = cursor.rowcount
        if lifted is not None:
            bulkload.restore_constraints(lifted)
        cursor.execute(service_days_sql())
        service_rows = cursor.rowcount
        cursor.execute(survey_facts_sql())
        survey_rows = cursor.rowcount
        if postgres and not citus():  # (Citus: see bulkload.analyze)
            for table in (HT, CT, SD, SF):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
            cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
    AggregateState.objects.filter(pk=1).update(
        built=True, built_at=timezone.now(), audit_id=audit_id, **current
    )
    st.forget_seen(current)
    aggregates_rebuilt.send(sender=AggregateState)
    return RebuildSummary(
        Household.objects.count(),
        household_rows,
        community_rows,
        service_rows,
        survey_rows,
        time.perf_counter() - started,
    )


@dataclass(frozen=True)
class RefreshSummary:
    households: int  # households named
    household_rows: int  # their timeline rows now
    communities: int  # communities whose timelines were recomputed
    rebuilt: str  # why a full rebuild ran instead ("" when the refresh sufficed)
    seconds: float


def _refresh_refused(built: AggregateState | None, ids: set[int]) -> str:
    """Why the aggregates cannot be brought up to date from these households alone ("" if they
    can): not built, a bulk load that replaces everything, or rows above the recorded maxima,
    not recorded as seen by the upkeep, that belong to other households."""
    if built is None or not built.built:
        return "not built"
    bulk = st.bulk_load_since(built)
    if bulk is not None:
        return f"a bulk load ({bulk}) since the last build"
    floor = st.floor(built)
    owner = {
        "household": "pk",
        "person": "household_id",
        "event": "person__household_id",
        "recognition": "person__household_id",
        "service": "person__household_id",
    }
    for key, column in owner.items():
        rows = st.unseen(key, floor[key]).values_list(column).distinct()
        if any(found not in ids for (found,) in rows):
            return f"{key} rows of households not named"
    return ""


def _refresh_named(
    built: AggregateState,
    ids: list[int],
    former_communities: Iterable[int] | None,
    *,
    current: dict[str, int],
    audit_id: int,
    orphans: bool,
) -> tuple[int, int]:
    """Recompute the named households' timelines, their communities' timelines and service
    days, and their persons' survey facts, set-based; move the maxima up to ``current`` (taken
    before the check that every row up to them is accounted for). Returns (household rows
    written, communities recomputed)."""
    communities: set[int] = set(former_communities or ())
    unplaced = False  # an existing household without stored rows: its old community is unknown
    rows_written = 0
    size = households_a_statement()
    with connection.cursor() as cursor:
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            where, params = in_ids("household_id", chunk)
            cursor.execute(
                f"SELECT DISTINCT household_id, community_id FROM {HT} WHERE {where}", params
            )
            stored = dict(cursor.fetchall())
            communities.update(stored.values())
            where, params = in_ids("id", chunk)
            cursor.execute(f"SELECT DISTINCT community_id FROM {_HOUSEHOLD} WHERE {where}", params)
            communities.update(row[0] for row in cursor.fetchall())
            unplaced = unplaced or any(
                hid not in stored and hid <= built.max_household for hid in chunk
            )
            where, params = in_ids("household_id", chunk)
            cursor.execute(f"DELETE FROM {HT} WHERE {where}", params)
            where, params = in_ids("p.household_id", chunk)
            cursor.execute(household_rows_sql(where), params)
            rows_written += cursor.rowcount
        affected = sorted(communities)
        rebuild_communities(affected)
        # Service records count for their person's community: recompute the service days of
        # the communities involved, or all of them when a household's former community is not
        # known (it had no timeline rows, and may have moved; a caller that names the former
        # communities of the households it moved vouches for it).
        if unplaced and former_communities is None:
            cursor.execute(f"DELETE FROM {SD}")
            cursor.execute(service_days_sql())
        else:
            for start in range(0, len(affected), CHUNK):
                chunk = affected[start : start + CHUNK]
                where, params = in_ids("community_id", chunk)
                cursor.execute(f"DELETE FROM {SD} WHERE {where}", params)
                where, params = in_ids("p.community_id", chunk)
                cursor.execute(service_days_sql(where), params)
    survey_facts_refresh(ids, orphans=orphans)
    AggregateState.objects.filter(pk=1).update(audit_id=audit_id, **current)
    st.forget_seen(current)
    return rows_written, len(affected)


def aggregates_refresh(
    *, household_ids: Iterable[int], former_communities: Iterable[int] | None = None
) -> RefreshSummary:
    """Bring the aggregates up to date after a bulk load that wrote, changed or deleted the rows
    of these households only (the households themselves, their persons, status events,
    recognitions and service records; a person who moved: both households), and mark them
    fresh again, instead of a full :func:`aggregates_rebuild`. ``former_communities``: the
    communities the named households that moved belonged to before (None: not known, so every
    community's service days are recomputed when a moved household may have had no rows).

    It checks what it can: every row above the maxima the aggregates have accounted for, and
    not recorded as seen by the upkeep, must belong to a named household, and no bulk load of
    ``state.BULK_ACTIONS`` (which replace everything) may have happened since the last build;
    otherwise (or when the aggregates are not built) it rebuilds everything and says why in
    ``rebuilt``. Changes to rows of households not named cannot be detected: naming them all is
    the caller's part. (A loader refreshing inside its own transaction, which must not rebuild
    there, calls :func:`households_loaded` instead.)

    The named households' timelines are recomputed set-based (a few thousand households a
    statement), then their communities' timelines, service days and survey facts."""
    started = time.perf_counter()
    ids = sorted({int(i) for i in household_ids if i is not None})
    built = st.state(for_update=True)
    current = st.current_max()
    audit_id = st.last_audit_id()
    reason = _refresh_refused(built, set(ids))
    if reason:
        summary = aggregates_rebuild()
        everything = Unit.objects.filter(level__in=_COMMUNITY_LEVELS).count()
        return RefreshSummary(
            len(ids), summary.household_rows, everything, reason, time.perf_counter() - started
        )
    assert built is not None
    rows_written, affected = _refresh_named(
        built, ids, former_communities, current=current, audit_id=audit_id, orphans=True
    )
    return RefreshSummary(len(ids), rows_written, affected, "", time.perf_counter() - started)


def households_loaded(
    *, household_ids: Iterable[int], former_communities: Iterable[int] = ()
) -> str:
    """Inside a bulk loader's transaction, after its rows are written: bring the aggregates up
    to date for the households it wrote or changed rows of (it deleted none), as
    :func:`aggregates_refresh` does, so they stay fresh through the load's commit and no reader
    ever falls back to the direct computation because of it. Returns "" when done, or why
    nothing was done: not built (nothing to keep), a bulk load since the last build (stale
    already: the next rebuild repairs both), or rows of households not named (then they are
    marked stale). Never a rebuild: that would hold the load's transaction (and the readers of
    the aggregates, on PostgreSQL) for the length of a rebuild.

    Its cost grows with the households named, not with the registry: set-based statements of
    20,000 households (PostgreSQL), then the communities they belong to."""
    ids = sorted({int(i) for i in household_ids if i is not None})
    built = st.state(for_update=True)
    current = st.current_max()
    audit_id = st.last_audit_id()
    reason = _refresh_refused(built, set(ids))
    if reason:
        if "not named" in reason:
            st.aggregates_invalidate()
        return reason
    assert built is not None
    _refresh_named(
        built, ids, former_communities, current=current, audit_id=audit_id, orphans=False
    )
    return ""
