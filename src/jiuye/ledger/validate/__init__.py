"""Validating a ledger workbook against the contract and the registry, before anything is written.

The result is a :class:`Plan` (``plan``): per table the rows to insert, the rows to update and
how many were unchanged, plus every :class:`~jiuye.ledger.issues.Issue` found. The plan is what
``ledger.load`` writes; building it reads the database but never writes.

What is checked, sheet by sheet in dependency order (单位 → 户 → 人员 → 就业状态 → 困难认定 →
服务记录, one module each: ``units``, ``households``, ``persons``, ``statuses``,
``recognitions``, ``service_records``), each row against the file's earlier sheets and the
registry (``context`` holds what the sheets share; ``rows`` a sheet's columns and issues):

- every cell against its column (required, enumeration, date, length, code, phone, number), an ID
  number with ``registry.derive.person_derived_fields`` (check digit, birth date, region), masked
  numbers refused (``idnumbers``);
- references: unit codes, household numbers and ID numbers must exist in the file or the
  registry; a row referring to a file row that has errors fails with it (and says so);
- duplicates within the file (the later row is the error; an identical status, recognition or
  service row is simply the same record twice) and against the registry (an ID number registered
  to someone of another name, or outside the user's jurisdiction);
- the rules the forms and services apply, by the same functions with the same words: placement
  in the unit tree, a household only in a community, village or grid, the female retirement base
  only for women; ``registry.checks.status_problems`` (not before birth, no employment before the
  16th birthday, registered only if unemployed); ``registry.checks.recognition_problems`` (dates
  in order, each category borne out on its recognition date by the file merged with the
  registry); ``casework.checks`` for service records (dated between birth and today, each kind's
  details);
- the jurisdiction (for a user): every unit, household and person written must lie within it.

Upsert keys: unit code, household number, ID number; a status event by (person, date) — the
same day replaces, as in ``person_change_status``; a recognition by (person, category, date); a
service record by all its fields (as ``service_record_create(if_absent=True)``). A blank cell
never erases a value already in the registry: it means "not given", so re-importing a workbook
changes nothing and a partial workbook can only add. ``announcements`` decides which households
the import announces to casework.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from jiuye.accounts.models import User
from jiuye.ledger.readers import Source
from jiuye.ledger.validate.context import Scope
from jiuye.ledger.validate.plan import Counts, Plan
from jiuye.ledger.validate.validator import Validator


def validate(
    source: Source,
    *,
    user: User | None = None,
    today: date,
    progress: Callable[[str, int, int], None] | None = None,
    registry_ready: Callable[[Plan], None] | None = None,
) -> Plan:
    """The plan for ``source``. ``registry_ready(plan)`` is called once the plan's units,
    households, persons, profiles and status events are final (after the status sheet)."""
    return Validator(
        source, user=user, today=today, progress=progress, registry_ready=registry_ready
    ).run()


__all__ = ["Counts", "Plan", "Scope", "Validator", "validate"]
