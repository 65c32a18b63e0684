"""Validating a ledger workbook against the contract and the registry, before anything is written.

The result is a :class:`Plan`: per table the rows to insert, the rows to update and how many were
unchanged, plus every :class:`~jiuye.ledger.issues.Issue` found. The plan is what
``ledger.load`` writes; building it reads the database but never writes.

What is checked, sheet by sheet in dependency order (单位 → 户 → 人员 → 就业状态 → 困难认定 →
服务记录), each row against the file's earlier sheets and the registry:

- every cell against its column (required, enumeration, date, length, code, phone, number), an ID
  number with ``registry.derive.person_derived_fields`` (check digit, birth date, region), masked
  numbers refused;
- references: unit codes, household numbers and ID numbers must exist in the file or the
  registry; a row referring to a file row that has errors fails with it (and says so);
- duplicates within the file (the later row is the error; an identical status, recognition or
  service row is simply the same record twice) and against the registry (an ID number registered
  to someone of another name, or outside the user's jurisdiction);
- the rules of the registry and casework services, mirrored: placement in the unit tree, a
  household only in a community, village or grid, status and recognition dates not before birth,
  a recognition's end not before its start, 登记失业 only for 失业, the 4050 condition, the female
  retirement base only for women, each service kind's details, service dates not after today;
- the jurisdiction (for a user): every unit, household and person written must lie within it.

Upsert keys: unit code, household number, ID number; a status event by (person, date) — the
same day replaces, as in ``person_change_status``; a recognition by (person, category, date); a
service record by all its fields (as ``service_record_create(if_absent=True)``). A blank cell
never erases a value already in the registry: it means "not given", so re-importing a workbook
changes nothing and a partial workbook can only add.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model
from stdnum.cn import ric

from jiuye.casework.models import ServiceKind, ServiceRecord, UnemployedProfile
from jiuye.demo.generator import PERSON_FIELDS
from jiuye.ledger import cells
from jiuye.ledger.columns import (
    HOUSEHOLDS,
    PERSONS,
    RECOGNITIONS,
    SERVICES,
    STATUSES,
    UNITS,
    Column,
    Kind,
    Sheet,
)
from jiuye.ledger.issues import Issue, make_issue
from jiuye.ledger.readers import RawSheet, Source
from jiuye.lib import idcard
from jiuye.lib.retirement import add_months
from jiuye.registry.derive import person_derived_fields
from jiuye.registry.models import (
    EMPLOYED,
    DifficultyCategory,
    DifficultyRecognition,
    Household,
    Person,
    Sex,
    Status,
    StatusEvent,
)
from jiuye.registry.services import PERSON_EDITABLE
from jiuye.units.models import Level, Unit
from jiuye.units.scope import jurisdiction_units
from jiuye.units.services import unit_path, validate_unit_placement

PROFILE_KEYS = ("family_situation", "training_need", "destination", "policies", "social_insurance")
# Person columns an import sets (the rest of PERSON_FIELDS are ids, derived or cached).
P = {name: i for i, name in enumerate(PERSON_FIELDS)}
EDITABLE_PERSON = PERSON_EDITABLE  # the registry services' own list
PERSON_DEFAULTS: dict[str, Any] = {
    "relation": "",
    "phone": "",
    "able": True,
    "willing": True,
    "female_base": None,
    "education": "",
    "skill_level": "",
    "disabled": False,
    "veteran": False,
    "migrant_worker": False,
    "landless": False,
    "poverty_labor": False,
    "graduate_year": None,
    "current_status": "",
    "current_since": None,
    "current_registered": False,
}
COMPARED_PERSON = tuple(
    i
    for name, i in P.items()
    if name not in ("id", "current_status", "current_since", "current_registered")
)
SERVICE_FIELDS = (
    "person_id",
    "kind",
    "on",
    "training_mode",
    "enrolled",
    "completed",
    "certified",
    "outcome",
    "valid",
    "policy_name",
    "amount",
    "note",
    "by_name",
)
_STANDARD_ID = re.compile(r"[0-9]{17}[0-9X]")
CHUNK = 900  # keys per IN (...) on SQLite


@dataclass
class Counts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


@dataclass
class Plan:
    """What to write. Rows carry natural keys where the row they point at may be new (unit
    code, household number, ID number); ``ledger.load`` resolves them to ids."""

    units_insert: list[tuple[str, str, str, str | None, str]] = field(default_factory=list)
    units_update: list[tuple[int, str]] = field(default_factory=list)
    # (number, community code, grid code or None, hukou, address, dibao)
    households_insert: list[tuple[Any, ...]] = field(default_factory=list)
    # (id, community code, grid code, hukou, address, dibao)
    households_update: list[tuple[Any, ...]] = field(default_factory=list)
    households_moved: set[int] = field(default_factory=set)
    # PERSON_FIELDS order; id None, household_id holds the household number.
    persons_insert: list[list[Any]] = field(default_factory=list)
    persons_update: list[list[Any]] = field(default_factory=list)  # PERSON_FIELDS, id set
    # (ID number, family_situation, training_need, destination, policies, social_insurance)
    profiles_insert: list[tuple[Any, ...]] = field(default_factory=list)
    profiles_update: list[tuple[Any, ...]] = field(default_factory=list)  # (profile id, …)
    # (ID number, status, since, until, registered, employer, cause)
    events_insert: list[tuple[Any, ...]] = field(default_factory=list)
    # (event id, status, since, until, registered, employer, cause)
    events_update: list[tuple[Any, ...]] = field(default_factory=list)
    # existing persons: (person id, current_status, current_since, current_registered)
    current_update: list[tuple[Any, ...]] = field(default_factory=list)
    # (ID number, category, recognized_on, ended_on, note)
    recognitions_insert: list[tuple[Any, ...]] = field(default_factory=list)
    recognitions_update: list[tuple[Any, ...]] = field(default_factory=list)  # (id, ended, note)
    # SERVICE_FIELDS order with the ID number in place of person_id
    services_insert: list[tuple[Any, ...]] = field(default_factory=list)
    # households to announce with statuses_changed: ids of existing ones, numbers of new ones
    announce_ids: set[int] = field(default_factory=set)
    announce_numbers: set[str] = field(default_factory=set)
    announce_on: date | None = None
    counts: dict[str, Counts] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return len(self.issues)

    @property
    def changes(self) -> int:
        return sum(c.inserted + c.updated for c in self.counts.values())


@dataclass
class Scope:
    """Where a user may write: unit paths (a grid member only their grids). None: anywhere
    (the command line without --user, like ``jiuye seed``)."""

    paths: list[str] | None

    @classmethod
    def of(cls, user: Any) -> Scope:
        if user is None:
            return cls(None)
        if not getattr(user, "sees_personal_data", False):
            return cls([])
        return cls([path for path, _level in jurisdiction_units(user)])

    def allows(self, path: str) -> bool:
        if self.paths is None:
            return True
        return any(path.startswith(p) for p in self.paths)


# ---------------------------------------------------------------------------------------------
# Reading existing rows by key
# ---------------------------------------------------------------------------------------------


def _table_empty(model: type[Model]) -> bool:
    return not model._default_manager.exists()


def fetch_by(model: type[Model], key: str, keys: Iterable[Any], fields: Sequence[str]) -> list[Any]:
    """Rows of ``model`` whose ``key`` is one of ``keys``, as tuples of ``fields`` (one query
    per chunk; PostgreSQL takes the keys as one array)."""
    keys = list(keys)
    if not keys:
        return []
    qs = model._default_manager.order_by()
    out: list[Any] = []
    size = 100_000 if connection.vendor == "postgresql" else CHUNK
    for start in range(0, len(keys), size):
        out.extend(qs.filter(**{f"{key}__in": keys[start : start + size]}).values_list(*fields))
    return out


# ---------------------------------------------------------------------------------------------
# ID numbers
# ---------------------------------------------------------------------------------------------


class IdDeriver:
    """``person_derived_fields`` for many numbers, memoised.

    Once a number is in the standard form (17 digits and a digit or X) and its check digit is
    right, what ``person_derived_fields`` returns — or the error it raises — depends only on
    its first 14 characters (region and birth date), the parity of the 17th (sex) and whether
    the female retirement base is 50. A million-person file has ~145k such keys; each is
    derived once, by the one derivation (~30 µs each, most of it python-stdnum's region
    table). Numbers in any other form (15 digits, spaces, a lower-case x, full-width digits)
    are derived one by one.
    """

    def __init__(self, today: date) -> None:
        self.today = today
        self.cache: dict[tuple[str, bool, bool], Any] = {}

    def _derive(self, number: str, female_base: int | None) -> tuple[Any, ...] | Exception:
        try:
            d = person_derived_fields(number, female_base, today=self.today)
        except idcard.IdNumberError as error:
            return error
        return (d["id_number"], d["birth_date"], d["sex"], d["work_from"], d["retire_on"])

    def __call__(self, raw: str, female_base: int | None) -> tuple[Any, ...] | Exception:
        """(number, birth date, sex, 16th birthday, retirement day) or the IdNumberError."""
        if len(raw) == 18 and _STANDARD_ID.fullmatch(raw):
            if ric.calc_check_digit(raw) != raw[17]:
                return idcard.IdNumberError("checksum", "身份证号码校验位错误")
            # The base matters only as 50 or not: ``lib.retirement.base_for`` reads None and 55
            # alike (and a man's base not at all), so those share one derivation.
            fifty = female_base == 50
            key = (raw[:14], raw[16] in "13579", fifty)
            found = self.cache.get(key)
            if found is None:
                found = self.cache[key] = self._derive(raw, 50 if fifty else None)
            if found.__class__ is not tuple:
                return found
            return (raw, *found[1:])  # type: ignore[misc]
        return self._derive(raw, female_base)


def normalise_id(raw: Any) -> tuple[str, str | None]:
    """The ID text of a cell and an error code (masked, stored as a number, empty)."""
    if raw is None or raw == "":
        return "", "required"
    if raw.__class__ is float or raw.__class__ is int:
        number = float(raw)
        if number.is_integer() and len(str(int(number))) == 15:
            return str(int(number)), None
        return str(raw), "id_as_number"
    text = str(raw).strip()
    if "*" in text or "＊" in text:
        return text, "id_masked"
    if not text:
        return "", "required"
    if len(text) > 40:
        return text, "id_length"
    if text.isascii():
        text = text.replace(" ", "").replace("-", "")
        if text.endswith("x"):
            text = text[:-1] + "X"
    return text, None


# ---------------------------------------------------------------------------------------------
# One sheet's rows
# ---------------------------------------------------------------------------------------------


class Rows:
    """A sheet being validated: converted columns, the rows that failed, issue reporting."""

    def __init__(self, raw: RawSheet | None, sheet: Sheet, issues: list[Issue]) -> None:
        self.raw = raw
        self.sheet = sheet
        self.n = raw.length if raw else 0
        self.bad: set[int] = set()
        self.issues = issues
        self._columns: dict[str, list[Any]] = {}
        self._flagged: set[tuple[int, str]] = set()

    def present(self, key: str) -> bool:
        return self.raw is not None and key in self.raw.columns

    def location(self, i: int) -> tuple[str, int]:
        assert self.raw is not None
        return self.raw.locate(i)

    def error(self, i: int, code: str, key: str = "", value: Any = None, **params: Any) -> None:
        name, row = self.location(i)
        column = self.raw.header(key) if (key and self.raw is not None) else ""
        self.issues.append(
            make_issue(code, sheet=name, row=row, column=column, value=value, **params)
        )
        self.bad.add(i)
        self._flagged.add((i, key))

    def raw_column(self, key: str) -> Sequence[Any]:
        if self.raw is None or key not in self.raw.columns:
            return ("",) * self.n
        return self.raw.columns[key]

    def col(self, key: str) -> list[Any]:
        """The converted column (blank text "", other blanks None)."""
        if key in self._columns:
            return self._columns[key]
        column = self.sheet.column(key)
        if not self.present(key):
            blank: Any = "" if column.kind in (Kind.TEXT, Kind.CODE, Kind.PHONE) else None
            values = [blank] * self.n
        else:

            def error(i: int, code: str, value: Any = None, **params: Any) -> None:
                self.error(i, code, key, value, **params)

            values = cells.CONVERTERS[column.kind](self.raw_column(key), column, error)
            if column.required and (None in values or "" in values):
                for i in [i for i, v in enumerate(values) if v is None or v == ""]:
                    if (i, key) not in self._flagged:
                        self.error(i, "required", key)
        self._columns[key] = values
        return values

    def reference_failed(self, i: int, key: str, what: str, other: Rows, j: int) -> None:
        name, row = other.location(j)
        self.error(
            i,
            "depends_on_failed_row",
            key,
            self.raw_column(key)[i],
            what=what,
            other_sheet=name,
            other_row=row,
        )


# ---------------------------------------------------------------------------------------------
# The validator
# ---------------------------------------------------------------------------------------------


class Validator:
    def __init__(
        self,
        source: Source,
        *,
        user: Any = None,
        today: date,
        progress: Callable[[str, int, int], None] | None = None,
        registry_ready: Callable[[Plan], None] | None = None,
    ) -> None:
        self.source = source
        self.registry_ready = registry_ready
        self.user = user
        self.today = today
        self.scope = Scope.of(user)
        self.plan = Plan(issues=source.issues)  # the same list: sheets parsed later add to it
        self.progress = progress or (lambda phase, done, total: None)
        self.rows: dict[str, Rows] = {}
        # Units: code → (id, level, path, parent code) for the registry and the file's good rows.
        self.units: dict[str, tuple[int | None, str, str]] = {}
        self.unit_rows: dict[str, int] = {}
        # Households: number → (id or None, community code, grid code, location path).
        self.households: dict[str, tuple[int | None, str, str | None, str]] = {}
        self.household_rows: dict[str, int] = {}
        # ID number → the person's row (PERSON_FIELDS): an insert or update row of this import
        # (household_id holds the household number) or a registry row (household_id an id).
        self.people: dict[str, Any] = {}
        self.foreign: set[str] = set()  # registry persons outside the user's jurisdiction
        self.db_household_ids: dict[str, int] = {}
        self._persons_empty = False
        self.person_rows: dict[str, int] = {}
        self.unit_path_by_id: dict[int, str] = {}
        self.unit_code_by_id: dict[int, str] = {}
        self.household_hukou: dict[str, str] = {}  # number → hukou type as it will stand
        self.touched_new: set[str] = set()  # new households whose members' history changed
        self.moved_into: set[str] = set()  # households receiving a registry person
        self.events_by_person: dict[str, list[tuple[date, str]]] = {}
        # new persons' histories in short: (first day, last day, ever unemployed, always
        # employed, the status when there is only one; events_by_person has the others)
        self.summary: dict[str, tuple[date, date, bool, bool, str | None]] = {}

    # -- helpers -------------------------------------------------------------------------------

    def run(self) -> Plan:
        """Validate sheet by sheet (each parsed as it is needed); progress in per mille of the
        sheets' sizes."""
        weights = self.source.weights
        total = sum(weights.values()) or 1
        done = 0
        for sheet, step in (
            (UNITS, self.check_units),
            (HOUSEHOLDS, self.check_households),
            (PERSONS, self.check_persons),
            (STATUSES, self.check_statuses),
            (RECOGNITIONS, self.check_recognitions),
            (SERVICES, self.check_services),
        ):
            raw = self.source.get(sheet.key)
            rows = self.rows[sheet.key] = Rows(raw, sheet, self.plan.issues)
            counts = Counts(read=rows.n)
            if raw is not None:
                self.plan.counts[sheet.key] = counts
            if raw is not None or sheet is UNITS:
                step(rows, counts)
            counts.rejected = len(rows.bad)
            done += weights.get(sheet.key, 0)
            self.progress("validate", done * 1000 // total, 1000)
            if raw is not None:
                raw.columns.clear()  # the raw cells are no longer needed
            if sheet is STATUSES and self.registry_ready is not None:
                # Units, households, persons and events are final now (later sheets only read
                # them): the caller may start writing them (``ledger.load.Pipeline``).
                self.registry_ready(self.plan)
        self._finish_announcements()
        return self.plan

    # -- 单位 -----------------------------------------------------------------------------------

    def check_units(self, rows: Rows, counts: Counts) -> None:
        existing = {}
        for pk, code, name, level, parent_id, path in Unit.objects.order_by().values_list(
            "id", "code", "name", "level", "parent_id", "path"
        ):
            existing[code] = (pk, name, level, parent_id, path)
            self.unit_path_by_id[pk] = path
            self.unit_code_by_id[pk] = code
        for code, (pk, _name, level, _parent, path) in existing.items():
            self.units[code] = (pk, level, path)
        if rows.raw is None:
            return
        codes, names = rows.col("code"), rows.col("name")
        levels, parents = rows.col("level"), rows.col("parent")
        first: dict[str, int] = {}
        for i in range(rows.n):
            code = codes[i]
            if not code:
                continue
            if code in first:
                rows.error(
                    i, "duplicate_in_file", "code", code, first_row=rows.location(first[code])[1]
                )
                continue
            first[code] = i
        # Place each row under its parent (the parent may come later in the sheet).
        placed: dict[str, str] = {}  # code → path
        pending = [i for i in first.values() if i not in rows.bad]
        progress = True
        while pending and progress:
            progress = False
            waiting = []
            for i in pending:
                code, level, parent = codes[i], levels[i], parents[i] or None
                if level is None:
                    continue
                parent_path: str | None = None
                parent_level: str | None = None
                if parent:
                    if parent in placed:
                        parent_path = placed[parent]
                        parent_level = levels[first[parent]]
                    elif parent in first and first[parent] in rows.bad:
                        rows.reference_failed(i, "parent", "上级单位", rows, first[parent])
                        progress = True
                        continue
                    elif parent in first:
                        waiting.append(i)
                        continue
                    elif parent in existing:
                        parent_path, parent_level = existing[parent][4], existing[parent][2]
                    else:
                        rows.error(i, "unknown_unit", "parent", parent, ref=parent)
                        progress = True
                        continue
                progress = True
                parent_unit = Unit(code=parent or "", level=parent_level or "") if parent else None
                try:
                    validate_unit_placement(code=code, level=level, parent=parent_unit)
                except ValidationError as error:
                    rows.error(
                        i,
                        "unit_level",
                        "level",
                        code,
                        detail=error.messages[0],
                        detail_en="The unit cannot be placed there in the unit tree",
                    )
                    continue
                path = (
                    unit_path(code=code, parent=None)
                    if parent_path is None
                    else (f"{parent_path}{code}/")
                )
                old = existing.get(code)
                if old is not None:
                    old_parent = self.unit_code_by_id.get(old[3]) if old[3] else None
                    if old[2] != level:
                        rows.error(
                            i, "unit_changed", "level", code, what="层级", old=Level(old[2]).label
                        )
                        continue
                    if old_parent != parent:
                        rows.error(
                            i,
                            "unit_changed",
                            "parent",
                            parent,
                            what="上级单位",
                            old=old_parent or "—",
                        )
                        continue
                    path = old[4]
                writes = old is None or old[1] != names[i]
                if writes and not self.scope.allows(path):
                    rows.error(i, "out_of_scope", "code", code, what="单位")
                    continue
                placed[code] = path
                if old is None:
                    self.plan.units_insert.append((code, names[i], level, parent, path))
                    self.units[code] = (None, level, path)
                    counts.inserted += 1
                elif old[1] != names[i]:
                    self.plan.units_update.append((old[0], names[i]))
                    counts.updated += 1
                else:
                    counts.unchanged += 1
            pending = waiting
        for i in pending:  # a cycle of parents
            rows.error(i, "unknown_unit", "parent", parents[i], ref=parents[i])
        self.unit_rows = first

    # -- 户 -------------------------------------------------------------------------------------

    def check_households(self, rows: Rows, counts: Counts) -> None:
        numbers, units = rows.col("number"), rows.col("unit")
        hukou, address, dibao = rows.col("hukou_type"), rows.col("address"), rows.col("dibao")
        first: dict[str, int] = {}
        for i in range(rows.n):
            if numbers[i]:
                if numbers[i] in first:
                    rows.error(
                        i,
                        "duplicate_in_file",
                        "number",
                        numbers[i],
                        first_row=rows.location(first[numbers[i]])[1],
                    )
                else:
                    first[numbers[i]] = i
        self.household_rows = first
        existing: dict[str, tuple[Any, ...]] = {}
        if not _table_empty(Household):
            for row in fetch_by(
                Household,
                "number",
                first,
                ("number", "id", "community_id", "grid_id", "hukou_type", "address", "dibao"),
            ):
                existing[row[0]] = row
        # Each unit code resolved once: (community, grid, path) or the error to report.
        placement: dict[str, tuple[Any, ...]] = {}
        grid_level, community_levels = str(Level.GRID), (str(Level.COMMUNITY), str(Level.VILLAGE))
        bad = rows.bad
        inserts = self.plan.households_insert
        households, hukou_of = self.households, self.household_hukou
        inserted = 0
        for number, i in first.items():
            code = units[i]
            if i in bad or not code:
                continue
            place: tuple[Any, ...] | None = placement.get(code)
            if place is None:
                unit = self.units.get(code)
                if unit is None:
                    j = self.unit_rows.get(code)
                    place = ("failed", j) if j is not None else ("unknown",)
                elif unit[1] == grid_level:
                    place = (unit[2].rstrip("/").split("/")[-2], code, unit[2])
                elif unit[1] in community_levels:
                    place = (code, None, unit[2])
                else:
                    place = ("level", unit[1])
                if len(place) == 3 and not self.scope.allows(place[2]):
                    place = ("scope",)
                placement[code] = place
            if len(place) != 3:
                if place[0] == "failed":
                    rows.reference_failed(i, "unit", "单位", self.rows["units"], place[1])
                elif place[0] == "unknown":
                    rows.error(i, "unknown_unit", "unit", code, ref=code)
                elif place[0] == "level":
                    rows.error(
                        i,
                        "household_unit_level",
                        "unit",
                        code,
                        ref=code,
                        level=Level(place[1]).label,
                        level_en=place[1],
                    )
                else:
                    rows.error(i, "out_of_scope", "unit", code, what="单位")
                continue
            community, grid, path = place
            old = existing.get(number) if existing else None
            if old is None:
                inserts.append((number, community, grid, hukou[i], address[i], dibao[i] is True))
                inserted += 1
                households[number] = (None, community, grid, path)
                hukou_of[number] = hukou[i]
                continue
            old_path = self._location(old[2], old[3])
            if not self.scope.allows(old_path):
                rows.error(i, "out_of_scope", "number", number, what="户")
                continue
            new = (
                old[1],
                community,
                grid,
                hukou[i] or old[4],
                address[i] or old[5],
                old[6] if dibao[i] is None else dibao[i],
            )
            old_codes = (
                self.unit_code_by_id[old[2]],
                self.unit_code_by_id[old[3]] if old[3] else None,
            )
            if new[1:] != (*old_codes, old[4], old[5], old[6]):
                self.plan.households_update.append(new)
                counts.updated += 1
                if (community, grid) != old_codes:
                    self.plan.households_moved.add(old[1])
                    self._touch_household(old[1], None)
            else:
                counts.unchanged += 1
            households[number] = (old[1], community, grid, path)
            hukou_of[number] = new[3]
        counts.inserted += inserted

    def _location(self, community_id: int, grid_id: int | None) -> str:
        return self.unit_path_by_id[grid_id or community_id]

    # -- 人员 -----------------------------------------------------------------------------------

    def _existing_persons(self, numbers: Iterable[str]) -> dict[str, tuple[Any, ...]]:
        if self._persons_empty:
            return {}
        return {
            row[P["id_number"]]: row
            for row in fetch_by(Person, "id_number", numbers, PERSON_FIELDS)
        }

    def _id_error(self, rows: Rows, i: int, cell: Any, problem: str) -> None:
        code = {"required": "id_empty"}.get(problem, problem)
        if (
            code.startswith("id_")
            and code not in _ID_CODES
            and code not in ("id_masked", "id_as_number")
        ):
            code = "id_format"
        rows.error(i, code, "id_number", cell)

    def _derive_ids(
        self, rows: Rows, female_base: Sequence[Any]
    ) -> tuple[list[str | None], list[tuple[Any, ...] | None]]:
        """The persons sheet's normalised ID numbers and derived fields (number, birth date,
        sex, 16th birthday, retirement day); None where the number is invalid (reported).

        The common case — a standard-form number whose key :class:`IdDeriver` has derived
        already — is inlined here: it runs a million times."""
        derive = self._deriver
        cache = derive.cache
        standard = _STANDARD_ID.fullmatch
        check_digit = ric.calc_check_digit
        ids: list[str | None] = []
        derived: list[tuple[Any, ...] | None] = []
        for i, (cell, fb) in enumerate(zip(rows.raw_column("id_number"), female_base, strict=True)):
            if cell.__class__ is str and len(cell) == 18 and standard(cell):
                if check_digit(cell) == cell[17]:
                    found = cache.get((cell[:14], cell[16] in "13579", fb == "50"))
                    if found is not None and found.__class__ is tuple:
                        ids.append(cell)
                        derived.append((cell, *found[1:]))
                        continue
                text: str = cell
            else:
                text, problem = normalise_id(cell)
                if problem is not None:
                    self._id_error(rows, i, cell, problem)
                    ids.append(None)
                    derived.append(None)
                    continue
            result = derive(text, int(fb) if fb else None)
            if result.__class__ is not tuple:
                self._id_error(rows, i, cell, f"id_{result.code}")  # type: ignore[union-attr]
                ids.append(None)
                derived.append(None)
                continue
            ids.append(result[0])  # type: ignore[index]
            derived.append(result)  # type: ignore[arg-type]
        return ids, derived

    def _household_refs(self, numbers: Iterable[str]) -> dict[str, Any]:
        """Each household number → (id or None, location path, hukou) from the file or the
        registry, or ("failed", row index) / ("unknown",)."""
        refs: dict[str, Any] = {}
        wanted = set()
        for number in numbers:
            found = self.households.get(number)
            if found is not None:
                refs[number] = (found[0], found[3], self.household_hukou[number])
            elif number in self.household_rows:
                refs[number] = ("failed", self.household_rows[number])
            else:
                wanted.add(number)
        if wanted and not _table_empty(Household):
            for number, pk, community_id, grid_id, hukou in fetch_by(
                Household,
                "number",
                wanted,
                ("number", "id", "community_id", "grid_id", "hukou_type"),
            ):
                refs[number] = (pk, self._location(community_id, grid_id), hukou)
                self.db_household_ids[number] = pk
        for number in wanted:
            refs.setdefault(number, ("unknown",))
        return refs

    def check_persons(self, rows: Rows, counts: Counts) -> None:
        self._deriver = IdDeriver(self.today)
        self._persons_empty = _table_empty(Person)
        keys = (
            "name",
            "household",
            "relation",
            "hukou_type",
            "phone",
            "able",
            "willing",
            "female_base",
            "education",
            "skill_level",
            "disabled",
            "veteran",
            "migrant_worker",
            "landless",
            "graduate_year",
            "poverty_labor",
            *PROFILE_KEYS,
        )
        c = {key: rows.col(key) for key in keys}
        ids, derived = self._derive_ids(rows, c["female_base"])
        given = {key: rows.present(key) for key in c}
        first: dict[str, int] = {}
        for i, number in enumerate(ids):
            if number is None:
                continue
            j = first.get(number)
            if j is not None:
                rows.error(
                    i, "duplicate_in_file", "id_number", number, first_row=rows.location(j)[1]
                )
            else:
                first[number] = i
        self.person_rows = first
        existing = self._existing_persons(first)
        households, female_base = c["household"], c["female_base"]
        refs = self._household_refs({households[i] for i in first.values()})
        allowed: dict[str, bool] = {}
        bad = rows.bad
        fresh: list[int] = []
        known: list[int] = []
        for number, i in first.items():
            if i in bad:
                continue
            h = households[i]
            ref = refs[h]
            if ref[0] == "failed":
                rows.reference_failed(i, "household", "户", self.rows["households"], ref[1])
                continue
            if ref[0] == "unknown":
                rows.error(i, "unknown_household", "household", h, ref=h)
                continue
            ok = allowed.get(ref[1])
            if ok is None:
                ok = allowed[ref[1]] = self.scope.allows(ref[1])
            if not ok:
                rows.error(i, "out_of_scope", "household", h, what="户")
                continue
            fb = female_base[i]
            if fb and derived[i][2] != Sex.FEMALE:  # type: ignore[index]
                rows.error(i, "female_base_male", "female_base", fb)
                continue
            if number in existing:
                known.append(i)
            else:
                fresh.append(i)
        self._insert_new_persons(fresh, ids, derived, c, refs)
        counts.inserted += len(fresh)
        if known:
            self._update_persons(rows, counts, known, ids, derived, c, given, refs, existing)
        if any(given[k] for k in PROFILE_KEYS):
            self._profiles(fresh, known, ids, c, given, existing)

    def _insert_new_persons(
        self,
        fresh: list[int],
        ids: list[str | None],
        derived: list[tuple[Any, ...] | None],
        c: dict[str, list[Any]],
        refs: dict[str, Any],
    ) -> None:
        """Rows (PERSON_FIELDS) for persons new to the registry: blanks take the defaults."""
        names, households, relation, hukou = (
            c["name"],
            c["household"],
            c["relation"],
            c["hukou_type"],
        )
        phone, able, willing, fbase = c["phone"], c["able"], c["willing"], c["female_base"]
        education, skill = c["education"], c["skill_level"]
        disabled, veteran, migrant = c["disabled"], c["veteran"], c["migrant_worker"]
        landless, year, poverty = c["landless"], c["graduate_year"], c["poverty_labor"]
        people = self.people
        out = self.plan.persons_insert
        for i in fresh:
            number, birth, sex, work_from, retire_on = derived[i]  # type: ignore[misc]
            h = households[i]
            fb = fbase[i]
            row = [
                None,
                number,
                names[i],
                birth,
                sex,
                h,
                relation[i],
                hukou[i] or refs[h][2],
                phone[i],
                None,
                None,
                able[i] is not False,
                willing[i] is not False,
                int(fb) if fb else None,
                education[i],
                skill[i],
                disabled[i] is True,
                veteran[i] is True,
                migrant[i] is True,
                landless[i] is True,
                poverty[i] is True,
                year[i],
                work_from,
                retire_on,
                "",
                None,
                False,
            ]
            out.append(row)
            people[number] = row

    def _update_persons(
        self,
        rows: Rows,
        counts: Counts,
        known: list[int],
        ids: list[str | None],
        derived: list[tuple[Any, ...] | None],
        c: dict[str, list[Any]],
        given: dict[str, bool],
        refs: dict[str, Any],
        existing: dict[str, tuple[Any, ...]],
    ) -> None:
        """Registry persons in the sheet: given cells override, blank ones keep the value."""
        old_household_numbers = dict(
            fetch_by(
                Household,
                "id",
                {existing[ids[i]][P["household_id"]] for i in known},  # type: ignore[index]
                ("id", "number"),
            )
        )
        editable = [(P[key], c[key]) for key in EDITABLE_PERSON if key != "name" and given[key]]
        for i in known:
            number = ids[i]
            assert number is not None
            old = existing[number]
            old_path = self._location(old[P["community_id"]], old[P["grid_id"]])
            if not self.scope.allows(old_path):
                rows.error(i, "registered_elsewhere", "id_number", number)
                continue
            if old[P["name"]] != c["name"][i]:
                rows.error(i, "duplicate_registry", "name", c["name"][i], registered=old[P["name"]])
                continue
            new = list(old)
            for index, values in editable:
                value = values[i]
                if value is not None and value != "":
                    new[index] = int(value) if index == P["female_base"] else value
            h = c["household"][i]
            new[P["household_id"]] = h
            _number, birth, sex, work_from, retire_on = derived[i]  # type: ignore[misc]
            new[P["birth_date"]], new[P["sex"]] = birth, sex
            new[P["work_from"]], new[P["retire_on"]] = work_from, retire_on
            if new[P["female_base"]] is not None and sex != Sex.FEMALE:
                rows.error(i, "female_base_male", "female_base", new[P["female_base"]])
                continue
            self.people[number] = new
            old_h = old_household_numbers.get(old[P["household_id"]])
            compare = list(old)
            compare[P["household_id"]] = old_h
            if all(new[k] == compare[k] for k in COMPARED_PERSON):
                counts.unchanged += 1
                continue
            self.plan.persons_update.append(new)
            counts.updated += 1
            moved = old_h != h
            if moved or any(new[P[k]] != old[P[k]] for k in ("able", "willing", "retire_on")):
                self._touch_household(h, None)
                if moved:
                    self.plan.announce_ids.add(old[P["household_id"]])
                    self.moved_into.add(h)

    def _profiles(
        self,
        fresh: list[int],
        known: list[int],
        ids: list[str | None],
        c: dict[str, list[Any]],
        given: dict[str, bool],
        existing: dict[str, tuple[Any, ...]],
    ) -> None:
        """The ten-clears fields (UnemployedProfile) given in the persons sheet."""
        columns = [c[key] if given[key] else None for key in PROFILE_KEYS]
        blank = [""] * len(ids)
        values = list(zip(*(col if col is not None else blank for col in columns), strict=True))
        for i in fresh:
            if any(values[i]):
                self.plan.profiles_insert.append((ids[i], *values[i]))
        known = [i for i in known if (n := ids[i]) is not None and self.people[n][0]]
        if not known or _table_empty(UnemployedProfile):
            for i in known:
                if any(values[i]):
                    self.plan.profiles_insert.append((ids[i], *values[i]))
            return
        old = {
            row[0]: row
            for row in fetch_by(
                UnemployedProfile,
                "person_id",
                [existing[ids[i]][0] for i in known],  # type: ignore[index]
                ("person_id", "id", *PROFILE_KEYS),
            )
        }
        for i in known:
            previous = old.get(existing[ids[i]][0])  # type: ignore[index]
            if previous is None:
                if any(values[i]):
                    self.plan.profiles_insert.append((ids[i], *values[i]))
                continue
            merged = tuple(v or before for v, before in zip(values[i], previous[2:], strict=True))
            if merged != tuple(previous[2:]):
                self.plan.profiles_update.append((previous[1], *merged))

    # -- persons referenced by the dependent sheets -------------------------------------------

    def _people_for(self, rows: Rows) -> list[str | None]:
        """A dependent sheet's ID numbers, each resolved to a person of the file or the registry
        (errors otherwise; registry persons are added to ``self.people``)."""
        people = self.people
        raw = rows.raw_column("id_number")
        ids: list[str | None] = [v if v in people else None for v in raw]
        slow = [i for i, v in enumerate(ids) if v is None] if None in ids else []
        if slow:
            deriver = getattr(self, "_deriver", None) or IdDeriver(self.today)
            self._deriver = deriver
            pending: dict[int, str] = {}
            for i in slow:
                cell = raw[i]
                text, problem = normalise_id(cell)
                if problem is not None:
                    self._id_error(rows, i, cell, problem)
                    continue
                if text in people:
                    ids[i] = text
                    continue
                result = deriver(text, None)
                if result.__class__ is not tuple:
                    self._id_error(rows, i, cell, f"id_{result.code}")  # type: ignore[union-attr]
                    continue
                pending[i] = result[0]  # type: ignore[index]
            wanted = set(pending.values()) - set(self.person_rows)
            if wanted and not getattr(self, "_persons_empty", _table_empty(Person)):
                for number, row in self._existing_persons(wanted).items():
                    people[number] = row
                    path = self._location(row[P["community_id"]], row[P["grid_id"]])
                    if not self.scope.allows(path):
                        self.foreign.add(number)
            persons_rows = self.rows["persons"]
            for i, number in pending.items():
                if number in people:
                    ids[i] = number
                elif number in self.person_rows:
                    rows.reference_failed(
                        i, "id_number", "人员", persons_rows, self.person_rows[number]
                    )
                else:
                    rows.error(i, "unknown_person", "id_number", number)
        if self.foreign:
            for i, found in enumerate(ids):
                if found in self.foreign:
                    rows.error(i, "registered_elsewhere", "id_number", found)
                    ids[i] = None
        if rows.present("name"):
            names = rows.col("name")
            name = P["name"]
            for i in [
                i
                for i, (n, number) in enumerate(zip(names, ids, strict=True))
                if n and number is not None and n != people[number][name]
            ]:
                rows.error(i, "name_mismatch", "name", names[i], name=people[ids[i]][name])  # type: ignore[index]
                ids[i] = None
        return ids

    def _touch_household(self, key: Any, on: date | None) -> None:
        """A household whose members' history or labor-force attributes change: ``key`` is a
        registry id (int) or a household number of the file."""
        if isinstance(key, int):
            self.plan.announce_ids.add(key)
        else:
            found = self.households.get(key)
            household_id = found[0] if found is not None else self.db_household_ids.get(key)
            if household_id is not None:
                self.plan.announce_ids.add(household_id)
            else:
                self.touched_new.add(key)
        if on is not None and (self.plan.announce_on is None or on < self.plan.announce_on):
            self.plan.announce_on = on

    # -- 就业状态 -------------------------------------------------------------------------------

    def check_statuses(self, rows: Rows, counts: Counts) -> None:
        ids = self._people_for(rows)
        status, since = rows.col("status"), rows.col("since")
        registered, employer, cause = (
            rows.col("registered"),
            rows.col("employer"),
            rows.col("cause"),
        )
        people = self.people
        birth = P["birth_date"]
        unemployed = Status.UNEMPLOYED
        bad = rows.bad
        by_person: dict[str, list[int]] = {}
        get = by_person.get
        if bad:
            ids = [None if i in bad else n for i, n in enumerate(ids)]
        for i, number in enumerate(ids):
            if number is None:
                continue
            day = since[i]
            if day < people[number][birth]:
                rows.error(i, "before_birth", "since", day, what="状态起始日期")
                continue
            if registered[i] and status[i] != unemployed:
                rows.error(i, "registered_not_unemployed", "registered", registered[i])
                continue
            found = get(number)
            if found is None:
                by_person[number] = [i]
            else:
                found.append(i)
        # The same person and day twice: the same row again, or a contradiction.
        for indexes in by_person.values():
            if len(indexes) == 1:
                continue
            seen: dict[date, int] = {}
            kept = []
            for i in indexes:
                j = seen.get(since[i])
                if j is None:
                    seen[since[i]] = i
                    kept.append(i)
                elif (status[i], registered[i] is True, employer[i], cause[i]) == (
                    status[j],
                    registered[j] is True,
                    employer[j],
                    cause[j],
                ):
                    counts.unchanged += 1
                else:
                    rows.error(
                        i, "conflict_in_file", "since", since[i], first_row=rows.location(j)[1]
                    )
            indexes[:] = sorted(kept, key=since.__getitem__)
        plan = self.plan
        inserts = plan.events_insert
        events_by_person = self.events_by_person
        cs, cd, cr = P["current_status"], P["current_since"], P["current_registered"]
        household = P["household_id"]
        old_events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        db_ids = [people[n][0] for n in by_person if people[n][0] is not None]
        if db_ids and not _table_empty(StatusEvent):
            for row in fetch_by(
                StatusEvent,
                "person_id",
                db_ids,
                (
                    "person_id",
                    "id",
                    "since",
                    "status",
                    "registered",
                    "employer",
                    "cause",
                    "until",
                ),
            ):
                old_events[row[0]].append(row[1:])
        touched: set[Any] = set()
        inserted = 0
        summary = self.summary
        employed = EMPLOYED
        earliest: date | None = None
        for number, indexes in by_person.items():
            person = people[number]
            pid = person[0]
            if pid is None or pid not in old_events:
                # No history in the registry: the file's rows are the whole history.
                if len(indexes) == 1:  # most people: one status on record
                    i = indexes[0]
                    day, st, reg = since[i], status[i], registered[i] is True
                    inserts.append((number, st, day, None, reg, employer[i], cause[i]))
                    summary[number] = (day, day, st == unemployed, st in employed, st)
                    changed_since: date | None = day
                    inserted += 1
                    if pid is None:
                        person[cs], person[cd], person[cr] = st, day, reg
                    else:
                        plan.current_update.append((pid, st, day, reg))
                    key = person[household]
                    if key not in touched:
                        touched.add(key)
                    if earliest is None or day < earliest:
                        earliest = day
                    continue
                last = len(indexes) - 1
                for k, i in enumerate(indexes):
                    inserts.append(
                        (
                            number,
                            status[i],
                            since[i],
                            since[indexes[k + 1]] if k < last else None,
                            registered[i] is True,
                            employer[i],
                            cause[i],
                        )
                    )
                i = indexes[-1]
                current = (status[i], since[i], registered[i] is True)
                events = events_by_person[number] = [(since[i], status[i]) for i in indexes]
                summary[number] = (
                    events[0][0],
                    events[-1][0],
                    any(st == unemployed for _d, st in events),
                    all(st in employed for _d, st in events),
                    None,
                )
                changed_since = since[indexes[0]]
                inserted += len(indexes)
            else:
                current, changed_since = self._merge_events(
                    number, indexes, old_events[pid], rows, counts
                )
                if changed_since is None:
                    continue
            if pid is not None:
                plan.current_update.append((pid, *current))
            else:
                person[cs], person[cd], person[cr] = current
            touched.add(person[household])
            if changed_since is not None and (earliest is None or changed_since < earliest):
                earliest = changed_since
        for key in touched:
            self._touch_household(key, None)
        if earliest is not None and (plan.announce_on is None or earliest < plan.announce_on):
            plan.announce_on = earliest
        counts.inserted += inserted

    def _merge_events(
        self,
        number: str,
        indexes: list[int],
        old_rows: list[tuple[Any, ...]],
        rows: Rows,
        counts: Counts,
    ) -> tuple[Any, date | None]:
        """A registry person's history with the file's rows: the same day replaces (blank cells
        keep what was there), ``until`` re-chained; returns the current status and the earliest
        changed day (None: nothing changed)."""
        status, since = rows.col("status"), rows.col("since")
        registered, employer, cause = (
            rows.col("registered"),
            rows.col("employer"),
            rows.col("cause"),
        )
        # since → [event id, status, registered, employer, cause, until in the registry]
        merged: dict[date, list[Any]] = {
            row[1]: [row[0], row[2], row[3], row[4], row[5], row[6]] for row in old_rows
        }
        old = {day: list(values) for day, values in merged.items()}
        changed: date | None = None
        for i in indexes:
            day = since[i]
            before = merged.get(day)
            if before is None:
                merged[day] = [None, status[i], registered[i] is True, employer[i], cause[i], None]
                counts.inserted += 1
            else:
                new = [
                    before[0],
                    status[i],
                    before[2] if registered[i] is None else registered[i],
                    employer[i] or before[3],
                    cause[i] or before[4],
                    before[5],
                ]
                if new[1] != Status.UNEMPLOYED:
                    new[2] = False
                if new[1:5] == before[1:5]:
                    counts.unchanged += 1
                    continue
                merged[day] = new
                counts.updated += 1
            if changed is None or day < changed:
                changed = day
        days = sorted(merged)
        self.events_by_person[number] = [(d, merged[d][1]) for d in days]
        if changed is None:
            return None, None
        for k, day in enumerate(days):
            until = days[k + 1] if k + 1 < len(days) else None
            event_id, st, reg, emp, cau, old_until = merged[day]
            if event_id is None:
                self.plan.events_insert.append((number, st, day, until, reg, emp, cau))
            elif until != old_until or [st, reg, emp, cau] != old[day][1:5]:
                self.plan.events_update.append((event_id, st, day, until, reg, emp, cau))
        last = merged[days[-1]]
        return (last[1], days[-1], last[2]), changed

    # -- 困难认定 -------------------------------------------------------------------------------

    def _events_of(self, number: str) -> list[tuple[date, str]]:
        found = self.events_by_person.get(number)
        if found is not None:
            return found
        single = self.summary.get(number)
        if single is not None and single[4] is not None:  # one status on record
            return [(single[0], single[4])]
        person_id = self.people[number][0]
        if person_id is None:
            return []
        events = list(
            StatusEvent.objects.filter(person_id=person_id)
            .order_by("since")
            .values_list("since", "status")
        )
        self.events_by_person[number] = events
        return events

    def _is_4050(self, number: str, on: date) -> bool:
        """``registry.services.is_4050`` on the merged history (file and registry)."""
        person = self.people[number]
        in_force = None
        for since, status in self._events_of(number):
            if since <= on:
                in_force = status
            else:
                break
        if in_force != Status.UNEMPLOYED:
            return False
        years = 40 if person[P["sex"]] == Sex.FEMALE else 50
        return add_months(person[P["birth_date"]], years * 12) <= on

    def check_recognitions(self, rows: Rows, counts: Counts) -> None:
        ids = self._people_for(rows)
        category, start = rows.col("category"), rows.col("recognized_on")
        end, note = rows.col("ended_on"), rows.col("note")
        people = self.people
        birth = P["birth_date"]
        first: dict[tuple[str, str, date], int] = {}
        for i, number in enumerate(ids):
            if number is None or i in rows.bad:
                continue
            if end[i] is not None and end[i] < start[i]:
                rows.error(i, "end_before_start", "ended_on", end[i])
                continue
            if start[i] < people[number][birth]:
                rows.error(i, "before_birth", "recognized_on", start[i], what="认定日期")
                continue
            if category[i] == DifficultyCategory.C4050 and not self._is_4050(number, start[i]):
                rows.error(i, "not_4050", "category", category[i])
                continue
            key = (number, category[i], start[i])
            j = first.get(key)
            if j is not None:
                if (end[i], note[i]) == (end[j], note[j]):
                    counts.unchanged += 1
                else:
                    rows.error(
                        i,
                        "conflict_in_file",
                        "recognized_on",
                        start[i],
                        first_row=rows.location(j)[1],
                    )
                continue
            first[key] = i
        old: dict[tuple[int, str, date], tuple[Any, ...]] = {}
        db_ids = {people[k[0]][0] for k in first} - {None}
        if db_ids and not _table_empty(DifficultyRecognition):
            for row in fetch_by(
                DifficultyRecognition,
                "person_id",
                db_ids,
                ("person_id", "category", "recognized_on", "id", "ended_on", "note"),
            ):
                old[(row[0], row[1], row[2])] = row
        for (number, cat, day), i in first.items():
            db_id = people[number][0]
            before = old.get((db_id, cat, day)) if db_id is not None else None
            if before is None:
                self.plan.recognitions_insert.append((number, cat, day, end[i], note[i]))
                counts.inserted += 1
                continue
            new_end = end[i] if end[i] is not None else before[4]
            new_note = note[i] or before[5]
            if (new_end, new_note) == (before[4], before[5]):
                counts.unchanged += 1
            else:
                self.plan.recognitions_update.append((before[3], new_end, new_note))
                counts.updated += 1

    # -- 服务记录 -------------------------------------------------------------------------------

    def check_services(self, rows: Rows, counts: Counts) -> None:
        ids = self._people_for(rows)
        kind, on, mode = rows.col("kind"), rows.col("on"), rows.col("training_mode")
        outcome, note, progress = rows.col("outcome"), rows.col("note"), rows.col("progress")
        policy, amount, by_name = rows.col("policy_name"), rows.col("amount"), rows.col("by_name")
        kinds = SERVICES.column("kind")
        header = rows.raw.header if rows.raw is not None else (lambda key: key)
        people = self.people
        birth = P["birth_date"]
        # identity → the rows holding it (a record may legitimately appear twice: the same
        # service twice a day; a re-import must then still add nothing)
        records: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for i, number in enumerate(ids):
            if number is None or i in rows.bad:
                continue
            k = kind[i]
            if on[i] < people[number][birth]:
                rows.error(i, "before_birth", "on", on[i], what="服务日期")
                continue
            if on[i] > self.today:
                rows.error(i, "future", "on", on[i], what="服务日期", today=self.today.isoformat())
                continue
            problem = False
            enrolled = completed = certified = False
            if k == ServiceKind.TRAINING:
                if not mode[i]:
                    rows.error(i, "training_mode_required", "training_mode")
                    problem = True
                stage = progress[i] or "enrolled"
                enrolled = stage in ("enrolled", "completed", "certified")
                completed = stage in ("completed", "certified")
                certified = stage == "certified"
            else:
                for key, values in (("training_mode", mode), ("progress", progress)):
                    if values[i]:
                        rows.error(
                            i,
                            "not_applicable",
                            key,
                            values[i],
                            field=header(key),
                            kind=kinds.label_of(ServiceKind.TRAINING),
                        )
                        problem = True
            survey_outcome, valid = "", None
            value = outcome[i]
            if k == ServiceKind.SURVEY:
                if not value:
                    rows.error(i, "outcome_required", "outcome")
                    problem = True
                elif value in ("valid", "invalid"):
                    rows.error(
                        i,
                        "outcome_kind",
                        "outcome",
                        value,
                        label=_label(value),
                        kind=kinds.label_of(k),
                    )
                    problem = True
                else:
                    survey_outcome = value
            elif k == ServiceKind.COMPLAINT:
                if not value:
                    rows.error(i, "valid_required", "outcome")
                    problem = True
                elif value not in ("valid", "invalid"):
                    rows.error(
                        i,
                        "outcome_kind",
                        "outcome",
                        value,
                        label=_label(value),
                        kind=kinds.label_of(k),
                    )
                    problem = True
                else:
                    valid = value == "valid"
            elif value:
                rows.error(
                    i, "outcome_kind", "outcome", value, label=_label(value), kind=kinds.label_of(k)
                )
                problem = True
            if k == ServiceKind.POLICY:
                if not policy[i]:
                    rows.error(i, "policy_name_required", "policy_name")
                    problem = True
            else:
                for key, values in (("policy_name", policy), ("amount", amount)):
                    if values[i] not in (None, ""):
                        rows.error(
                            i,
                            "not_applicable",
                            key,
                            values[i],
                            field=header(key),
                            kind=kinds.label_of(ServiceKind.POLICY),
                        )
                        problem = True
            if problem:
                continue
            records[
                (
                    number,
                    k,
                    on[i],
                    mode[i] or "",
                    enrolled,
                    completed,
                    certified,
                    survey_outcome,
                    valid,
                    policy[i],
                    amount[i],
                    note[i],
                )
            ].append(i)
        existing: dict[tuple[Any, ...], int] = defaultdict(int)
        db_ids = {people[k[0]][0]: k[0] for k in records if people[k[0]][0] is not None}
        if db_ids and not _table_empty(ServiceRecord):
            for row in fetch_by(ServiceRecord, "person_id", db_ids, SERVICE_FIELDS[:-1]):
                existing[(db_ids[row[0]], *row[1:])] += 1
        for identity, indexes in records.items():
            already = existing.get(identity, 0)
            counts.unchanged += min(already, len(indexes))
            for i in indexes[already:]:
                self.plan.services_insert.append((*identity, by_name[i]))
                counts.inserted += 1

    # -- zero-employment families --------------------------------------------------------------

    def _finish_announcements(self) -> None:
        """Which households to announce with ``statuses_changed``.

        Registry households whose members' history or labor-force attributes changed: all of
        them (their zero-family cases may need opening, closing or re-dating). Households new
        in this import: only those whose history holds a zero-employment episode, computed here
        with casework's own ``known_episodes`` (they have no cases yet, so nothing can be
        stale) — announcing every new household would cost the listener four queries per 500
        households, minutes for a district. Two necessary conditions skip most households
        before the exact computation: a zero family needs a labor-force member without a job
        (unemployed, or without a status while of working age after the household's first
        record), and cannot arise while an able, willing member of working age throughout has
        held a job since the household's first record.
        """
        from jiuye.casework.services import known_episodes
        from jiuye.registry.classification import MemberTimeline

        if not self.touched_new:
            return
        h, able, willing = P["household_id"], P["able"], P["willing"]
        wf, ro = P["work_from"], P["retire_on"]
        touched = self.touched_new
        summary = self.summary
        groups: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        for number, person in self.people.items():
            if person[0] is None and person[h] in touched:
                groups[person[h]].append((number, person))
        today = self.today
        for household in sorted(touched):
            if household in self.moved_into:
                self.plan.announce_numbers.add(household)
                continue
            members = groups.get(household, [])
            first = until = None
            for number, _person in members:
                found = summary.get(number)
                if found is not None:
                    if first is None or found[0] < first:
                        first = found[0]
                    if until is None or found[1] > until:
                        until = found[1]
            if first is None or until is None:
                continue  # nothing recorded: no episode can be known
            if until < today:
                until = today
            jobless = anchor = False
            for number, person in members:
                if not (person[able] and person[willing]):
                    continue
                start = first if first > person[wf] else person[wf]
                if start >= person[ro]:
                    continue
                found = summary.get(number)
                if found is None or found[0] > start or found[2]:
                    jobless = True
                elif found[3] and found[0] <= first and person[wf] <= first and person[ro] > until:
                    anchor = True
                    break
            if not jobless or anchor:
                continue
            timelines = [
                MemberTimeline(
                    work_from=person[wf],
                    retire_on=person[ro],
                    able=person[able],
                    willing=person[willing],
                    events=list(self._events_of(number)) if number in summary else [],
                )
                for number, person in members
            ]
            if known_episodes(timelines, until):
                self.plan.announce_numbers.add(household)


_ID_CODES = {
    "id_empty",
    "id_length",
    "id_format",
    "id_checksum",
    "id_birth_date",
    "id_future",
    "id_region",
}


def _label(value: str) -> str:
    return SERVICES.column("outcome").label_of(value)


def validate(
    source: Source,
    *,
    user: Any = None,
    today: date,
    progress: Callable[[str, int, int], None] | None = None,
    registry_ready: Callable[[Plan], None] | None = None,
) -> Plan:
    """The plan for ``source``. ``registry_ready(plan)`` is called once the plan's units,
    households, persons, profiles and status events are final (after the status sheet)."""
    return Validator(
        source, user=user, today=today, progress=progress, registry_ready=registry_ready
    ).run()


__all__ = ["Column", "Counts", "Decimal", "Plan", "Scope", "Validator", "validate"]
