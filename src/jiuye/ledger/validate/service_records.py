"""The 服务记录 sheet: each record checked by ``casework.checks`` (``date_problems``: between the
person's birth and today; ``detail_problems``: each kind's own details present and no other
kind's: the same checks and words as the service form), then added unless the registry already
holds it (a record is identified by all its fields, as ``service_record_create(if_absent=True)``
does; the same service twice a day stays twice)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from jiuye.casework import checks
from jiuye.casework.columns import RECORD_FIELDS
from jiuye.casework.models import ServiceKind, ServiceRecord
from jiuye.ledger.validate.context import Context
from jiuye.ledger.validate.fetch import P, fetch_by, table_empty
from jiuye.ledger.validate.plan import Counts
from jiuye.ledger.validate.rows import Rows
from jiuye.lib.problems import Problem

# The workbook's 培训进度 (blank: enrolled, as ``service_record_create`` defaults it) as the
# record's (enrolled, completed, certified).
PROGRESS = {
    "none": (False, False, False),
    "enrolled": (True, False, False),
    "completed": (True, True, False),
    "certified": (True, True, True),
}
# The workbook's 结果 holds a survey's outcome or a complaint's 有效/无效 (``valid``).
VALIDITY = {"valid": True, "invalid": False}


def check_services(ctx: Context, rows: Rows, counts: Counts) -> None:
    ids = ctx.people_for(rows)
    kind, on, mode = rows.col("kind"), rows.col("on"), rows.col("training_mode")
    outcome, note, progress = rows.col("outcome"), rows.col("note"), rows.col("progress")
    policy, amount, by_name = rows.col("policy_name"), rows.col("amount"), rows.col("by_name")
    people = ctx.people
    birth = P["birth_date"]
    today = ctx.today
    date_problems, detail_problems = checks.date_problems, checks.detail_problems
    training = ServiceKind.TRAINING
    # detail_problems is pure and its arguments take few values: each combination checked once.
    details: dict[tuple[Any, ...], list[Problem]] = {}
    # identity → the rows holding it (a record may legitimately appear twice: the same
    # service twice a day; a re-import must then still add nothing)
    records: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i, number in enumerate(ids):
        if number is None or i in rows.bad:
            continue
        k = kind[i]
        if k == training:
            stage = progress[i] or "enrolled"
            enrolled, completed, certified = PROGRESS[stage]
        else:
            enrolled = completed = certified = False
        value = outcome[i] or ""
        valid = VALIDITY.get(value)
        survey_outcome = "" if valid is not None else value
        policy_name, money = policy[i], amount[i]
        key = (
            k,
            mode[i] or "",
            enrolled,
            completed,
            certified,
            bool(progress[i]),
            survey_outcome,
            valid,
            policy_name,
            money is not None,
            money is not None and money < 0,
        )
        found = details.get(key)
        if found is None:
            found = details[key] = detail_problems(
                kind=k,
                training_mode=key[1],
                enrolled=enrolled,
                completed=completed,
                certified=certified,
                progress_given=key[5],
                outcome=survey_outcome,
                valid=valid,
                policy_name=policy_name,
                amount_given=key[9],
                amount_negative=key[10],
            )
        problems = date_problems(on=on[i], birth_date=people[number][birth], today=today)
        if problems or found:
            for problem in (*problems, *found):
                rows.problem(i, problem)
            continue
        records[
            (
                number,
                k,
                on[i],
                key[1],
                enrolled,
                completed,
                certified,
                survey_outcome,
                valid,
                policy_name,
                money,
                note[i],
            )
        ].append(i)
    existing: dict[tuple[Any, ...], int] = defaultdict(int)
    db_ids = {people[k[0]][0]: k[0] for k in records if people[k[0]][0] is not None}
    if db_ids and not table_empty(ServiceRecord):
        for row in fetch_by(ServiceRecord, "person_id", db_ids, RECORD_FIELDS[:-1]):
            existing[(db_ids[row[0]], *row[1:])] += 1
    for identity, indexes in records.items():
        already = existing.get(identity, 0)
        counts.unchanged += min(already, len(indexes))
        for i in indexes[already:]:
            ctx.plan.services_insert.append((*identity, by_name[i]))
            counts.inserted += 1
