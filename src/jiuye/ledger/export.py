"""``jiuye export ledgers UNIT``: the ten ledgers (十类台账, DOMAIN §4) of a unit and everything
below it, and the registry data behind them, as one workbook.

Sheets, in order:

- 说明: the unit, the as-of date, the period, whether numbers are masked;
- the ten ledgers, one sheet each (names end in 台账; an import skips them): 劳动力资源,
  下岗失业人员 (with the ten-clears columns and what is missing), 就业困难群体 (persons recognised
  difficult on the date, labor-force members of households with a zero-family case open on the
  date, 4050 persons, and CQ-3's able members of urban dibao households who are not employed),
  登记失业高校毕业生, 复转军人, 农民工, 就业再就业培训, 就业服务 (介绍、指导), 政策落实,
  岗位开发及需求 with 用工需求 beside it (the employers' postings and labor demand,
  ``ledger.export_employers``). Person ledgers are taken at
  the as-of date (status in force then, unknown before a person's first event); service ledgers
  over the period. Who belongs on a ledger is decided by ``registry.definitions`` (working age,
  labor force, 4050, recognition in force, CQ-3's base), never restated here;
- the data sheets of the ledger workbook contract (单位 with the unit's ancestors, 户, 人员,
  就业状态, 困难认定, 服务记录: the full history; 用人单位, 岗位, 劳动合同, 裁员), which import
  back loss-free (but for the contracts of employees outside the registry, kept masked
  only). A sheet longer than Excel allows continues on "人员(2)".

Rows are ordered by natural keys (household number, ID number, date), never by database ids, so
exporting, importing into an empty database and exporting again gives the same workbook.

Personal numbers are masked (ID: first 6 and last 4; phone: 3 and 4) unless full values were
asked for by someone allowed to see them (``User.may_reveal``) with a reason; every export is
audited (``audit_export``) with the unit, the date, the row counts and, for a revealed export,
the reason. A masked workbook cannot be imported back (the importer refuses masked numbers).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, TypeVar, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, TextChoices

from jiuye.accounts.models import User
from jiuye.accounts.reveal import MIN_REASON
from jiuye.audit.services import audit_export
from jiuye.casework.columns import RECORD_FIELDS
from jiuye.casework.models import ServiceKind, ServiceRecord, UnemployedProfile, ZeroFamilyCase
from jiuye.casework.tenclears import labels as tenclears_labels
from jiuye.casework.tenclears import missing_fields
from jiuye.ledger.columns import (
    CONTRACTS,
    EMPLOYERS,
    HOUSEHOLDS,
    JOBS_SHEETS,
    LAYOFFS,
    PERSONS,
    POSTINGS,
    RECOGNITIONS,
    SERVICES,
    SHEET_ROWS,
    SHEETS,
    STATUSES,
    UNITS,
    Column,
    Kind,
    Sheet,
    sheet_part_name,
    zh_choices,
)
from jiuye.ledger.export_employers import (
    DEMAND_LEDGER,
    POSTINGS_LEDGER,
    JobsData,
    JobsWriter,
    read_jobs,
)
from jiuye.ledger.formulas import FORMULA_FIRST, neutralise
from jiuye.ledger.xlsx import Workbook
from jiuye.lib.masking import mask_id_number, mask_phone, mask_text
from jiuye.policies.catalog import UnknownPolicy, policy_get
from jiuye.policies.models import BeneficiaryKind, Payment, PaymentKind
from jiuye.policies.selectors import payments_visible
from jiuye.registry import definitions
from jiuye.registry.columns import PERSON_FIELDS
from jiuye.registry.models import (
    DifficultyRecognition,
    HukouType,
    Sex,
    Status,
    StatusEvent,
)
from jiuye.registry.selectors import households_of, persons_of
from jiuye.units.columns import UNIT_FIELDS
from jiuye.units.models import Level, Unit
from jiuye.units.scope import SYSTEM

Row = list[Any]
ProgressFn = Callable[[str, int], None]
E = TypeVar("E")

# (header, width) of each ledger sheet.
PERSON_HEAD = [
    ("序号", 6),
    ("姓名", 10),
    ("公民身份号码", 21),
    ("性别", 5),
    ("年龄", 5),
    ("社区", 14),
    ("网格", 14),
    ("户编号", 18),
]
LEDGERS: dict[str, list[tuple[str, int]]] = {
    "劳动力资源台账": [
        *PERSON_HEAD,
        ("与户主关系", 8),
        ("户籍性质", 8),
        ("文化程度", 8),
        ("技能等级", 8),
        ("劳动能力", 6),
        ("就业愿望", 6),
        ("就业状态", 10),
        ("状态起始日期", 12),
        ("登记失业", 6),
        ("单位或去向", 20),
        ("联系电话", 14),
        ("特殊群体", 20),
    ],
    "下岗失业人员台账": [
        *PERSON_HEAD,
        ("联系电话", 14),
        ("登记失业", 6),
        ("失业时间", 12),
        ("失业时长（月）", 8),
        ("失业原因", 14),
        ("家庭状况", 16),
        ("就业愿望", 6),
        ("培训要求", 16),
        ("技能水平", 10),
        ("就业去向", 16),
        ("政策享受", 16),
        ("社会保险关系", 16),
        ("十清完整", 6),
        ("缺项", 20),
    ],
    "就业困难群体台账": [
        *PERSON_HEAD,
        ("联系电话", 14),
        ("认定类别", 14),
        ("认定日期", 12),
        ("零就业家庭", 8),
        ("低保户", 6),
        ("4050人员", 6),
        ("就业状态", 10),
        ("状态起始日期", 12),
    ],
    "登记失业高校毕业生台账": [
        *PERSON_HEAD,
        ("联系电话", 14),
        ("文化程度", 8),
        ("毕业年份", 8),
        ("登记失业日期", 12),
        ("失业原因", 14),
        ("技能等级", 8),
        ("就业愿望", 6),
    ],
    "复转军人台账": [
        *PERSON_HEAD,
        ("联系电话", 14),
        ("文化程度", 8),
        ("技能等级", 8),
        ("就业状态", 10),
        ("状态起始日期", 12),
        ("单位或去向", 20),
    ],
    "农民工台账": [
        *PERSON_HEAD,
        ("联系电话", 14),
        ("户籍性质", 8),
        ("文化程度", 8),
        ("技能等级", 8),
        ("就业状态", 10),
        ("状态起始日期", 12),
        ("单位或去向", 20),
    ],
    "就业再就业培训台账": [
        ("序号", 6),
        ("日期", 12),
        ("姓名", 10),
        ("公民身份号码", 21),
        ("社区", 14),
        ("网格", 14),
        ("培训模式", 8),
        ("培训进度", 8),
        ("备注", 20),
        ("经办人", 10),
    ],
    "就业服务台账": [
        ("序号", 6),
        ("日期", 12),
        ("姓名", 10),
        ("公民身份号码", 21),
        ("社区", 14),
        ("网格", 14),
        ("服务类型", 10),
        ("备注", 20),
        ("经办人", 10),
    ],
    "政策落实台账": [
        ("序号", 6),
        ("日期", 12),
        ("姓名", 10),
        ("公民身份号码", 21),
        ("社区", 14),
        ("网格", 14),
        ("政策名称", 16),
        ("金额（元）", 10),
        ("备注", 20),
        ("经办人", 10),
        # Issue 17: the sheet is generated from the payments (and their reversals), followed
        # by the policy service records entered by hand (those no payment wrote).
        ("对象类型", 10),
        ("统一社会信用代码/单位代码", 21),
        ("政策编号", 16),
        ("期间", 12),
        ("类型", 6),
        ("凭证号", 14),
        ("批准人", 10),
    ],
    "岗位开发及需求台账": POSTINGS_LEDGER,
    # The tenth ledger's second half: labor demand by employer (the ten clears' 用工需求).
    "用工需求台账": DEMAND_LEDGER,
}
INFO_SHEET = "说明"
DATA_SHEETS: tuple[Sheet, ...] = SHEETS
# The columns of the employers' sheets that hold a USCC: never masked (an 18-digit code looks
# like an ID number to ``mask_text``, but it names an enterprise, not a person).
USCC_AT = {
    sheet.zh: {i for i, c in enumerate(sheet.columns) if c.key == "uscc"} for sheet in JOBS_SHEETS
}
USCC_AT["岗位开发及需求台账"] = {3}
USCC_AT["用工需求台账"] = {2}
USCC_AT["政策落实台账"] = {11}  # an employer's USCC or a unit's code


@dataclass
class ExportSummary:
    unit: str
    on: date
    start: date
    revealed: bool
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def persons(self) -> int:
        return self.rows.get(PERSONS.zh, 0)


# ---------------------------------------------------------------------------------------------
# Targets: an .xlsx workbook or a directory of CSV files
# ---------------------------------------------------------------------------------------------


class _Target:
    def sheet(self, name: str, headers: Sequence[str], widths: Sequence[int]) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class XlsxTarget(_Target):
    def __init__(self, target: str | Path | IO[bytes]) -> None:
        self.workbook = Workbook(target)

    def sheet(self, name: str, headers: Sequence[str], widths: Sequence[int]) -> Any:
        return self.workbook.sheet(name, headers, widths)

    def close(self) -> None:
        self.workbook.close()


class _CsvSheet:
    def __init__(self, path: Path, headers: Sequence[str]) -> None:
        self.handle = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(headers)

    @staticmethod
    def _cell(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, str):  # never a formula (issue 11, finding 9)
            return neutralise(value) if value[:1] in FORMULA_FIRST else value
        if isinstance(value, date):
            return value.isoformat()
        return value

    def append(self, row: Sequence[Any]) -> None:
        self.writer.writerow([self._cell(v) for v in row])

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        cell = self._cell
        self.writer.writerows([cell(v) for v in row] for row in rows)

    def close(self) -> None:
        self.handle.close()


class CsvTarget(_Target):
    """One UTF-8 CSV file (with BOM, so Excel opens it right) per sheet in a directory."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.current: _CsvSheet | None = None

    def sheet(self, name: str, headers: Sequence[str], widths: Sequence[int]) -> Any:
        self.close()
        self.current = _CsvSheet(self.directory / f"{name}.csv", headers)
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None


# ---------------------------------------------------------------------------------------------
# Reading the unit's data
# ---------------------------------------------------------------------------------------------


def _label(column: Column, value: Any) -> Any:
    """A stored value as the workbook writes it."""
    if value is None or value == "":
        return ""
    if column.kind == Kind.BOOL:
        yes, no = column.labels[:2]
        return yes if value else no
    if column.kind == Kind.ENUM:
        return column.label_of(str(value))
    return value


def _event_on(events: Sequence[tuple[date, E]], on: date) -> E | None:
    """The event in force on ``on`` among (since, event) pairs sorted by since: the one rule of
    ``definitions.status_on`` (None before the first: the status is unknown)."""
    found = definitions.status_on(cast("Sequence[tuple[date, str]]", events), on)
    return cast("E | None", found)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _months(since: date, on: date) -> int:
    return max(
        0, (on.year - since.year) * 12 + on.month - since.month - (1 if on.day < since.day else 0)
    )


# The person columns the ledgers read: the stored ones but the current-status cache.
PERSON_VALUES = tuple(f for f in PERSON_FIELDS if not f.startswith("current_"))
V = {name: i for i, name in enumerate(PERSON_VALUES)}


@dataclass
class _Data:
    units: list[tuple[Any, ...]]  # UNIT_FIELDS (id, code, name, level, parent_id, path, …) by path
    unit_code: dict[int, str]
    unit_name: dict[int, str]
    households: dict[int, tuple[Any, ...]]  # id → (number, community, grid, hukou, address, dibao)
    persons: list[tuple[Any, ...]]  # PERSON_VALUES, ordered by household number and ID number
    # person id → [(since, (status, since, registered, employer, cause))], by since
    events: dict[int, list[tuple[date, tuple[Any, ...]]]]
    recognitions: dict[int, list[tuple[Any, ...]]]  # person id → (category, start, end, note)
    services: dict[int, list[tuple[Any, ...]]]
    profiles: dict[int, tuple[Any, ...]]
    zero: set[int]  # households with a zero-family case open on the date
    jobs: JobsData  # the employers' data (``export_employers``)
    # The policies' payments and reversals up to the date (PAYMENT_VALUES), by day and id, and
    # the policy service records entered by hand (no payment wrote them): person id → rows.
    payments: list[tuple[Any, ...]] = field(default_factory=list)
    policy_services: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)


SERVICE_VALUES = RECORD_FIELDS
PAYMENT_VALUES = (
    "on",
    "kind",
    "amount",
    "reference",
    "note",
    "by__first_name",
    "by__username",
    "entitlement__kind",
    "entitlement__policy",
    "entitlement__period",
    "entitlement__place_id",
    "entitlement__person__name",
    "entitlement__person__id_number",
    "entitlement__person__grid_id",
    "entitlement__employer__name",
    "entitlement__employer__uscc",
    "entitlement__unit__name",
    "entitlement__unit__code",
    "entitlement__approved_by__first_name",
    "entitlement__approved_by__username",
)
PV = {name: i for i, name in enumerate(PAYMENT_VALUES)}


def _payments(unit: Unit, reader: Any, on: date) -> list[tuple[Any, ...]]:
    """The payments and reversals to the persons, employers and units under ``unit`` that
    ``reader`` sees, made by ``on``."""
    return list(
        payments_visible(user=reader)
        .filter(entitlement__place__path__startswith=unit.path, on__lte=on)
        .order_by("on", "id")
        .values_list(*PAYMENT_VALUES)
    )


def _read(unit: Unit, user: User | None, on: date) -> _Data:
    reader = SYSTEM if user is None else user  # None: the command line, every row
    persons_qs = persons_of(unit, user=reader)
    households_qs = households_of(unit, user=reader)
    ancestors = [code for code in unit.path.strip("/").split("/")]
    jobs = read_jobs(unit, reader)
    # Units outside the unit that the employers' rows name (a posting's work place, the
    # employer of a posting here), with their ancestors: the workbook imports on its own.
    for (path,) in (
        Unit.objects.filter(pk__in=jobs.units)
        .exclude(path__startswith=unit.path)
        .values_list("path")
    ):
        ancestors.extend(path.strip("/").split("/"))
    units = list(
        Unit.objects.filter(Q(path__startswith=unit.path) | Q(code__in=set(ancestors)))
        .order_by("path")
        .values_list(*UNIT_FIELDS)
    )
    unit_code = {row[0]: row[1] for row in units}
    unit_name = {row[0]: row[2] for row in units}
    households = {
        row[0]: row[1:]
        for row in households_qs.order_by().values_list(
            "id", "number", "community_id", "grid_id", "hukou_type", "address", "dibao"
        )
    }
    persons = list(persons_qs.order_by().values_list(*PERSON_VALUES))
    persons.sort(key=lambda p: (households[p[V["household_id"]]][0], p[V["id_number"]]))
    person_filter = persons_qs.order_by().values("pk")
    events: dict[int, list[tuple[date, tuple[Any, ...]]]] = defaultdict(list)
    for person_id, status, since, *rest in (
        StatusEvent.objects.filter(person__in=person_filter)
        .order_by("person_id", "since")
        .values_list("person_id", "status", "since", "registered", "employer", "cause")
    ):
        events[person_id].append((since, (status, since, *rest)))
    recognitions: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for person_id, *rest in (
        DifficultyRecognition.objects.filter(person__in=person_filter)
        .order_by("person_id", "recognized_on", "category")
        .values_list("person_id", "category", "recognized_on", "ended_on", "note")
    ):
        recognitions[person_id].append(tuple(rest))
    services: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in (
        ServiceRecord.objects.filter(person__in=person_filter)
        .order_by()
        .values_list(*SERVICE_VALUES)
    ):
        services[row[0]].append(row[1:])
    for rows in services.values():
        rows.sort(key=lambda r: tuple("" if v is None else str(v) for v in (r[1], r[0], *r[2:])))
    # The policy service records no payment wrote (a payment's own record is its payment row);
    # NOT EXISTS rather than the ORM's outer join, which Citus cannot run beside the IN.
    policy_services: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    paid = Payment.objects.filter(service_id=OuterRef("pk"))
    for row in (
        ServiceRecord.objects.filter(person__in=person_filter, kind=ServiceKind.POLICY)
        .exclude(Exists(paid))
        .order_by()
        .values_list(*SERVICE_VALUES)
    ):
        policy_services[row[0]].append(row[1:])
    profiles: dict[int, tuple[Any, ...]] = {
        row[0]: tuple(row[1:])
        for row in UnemployedProfile.objects.filter(person__in=person_filter).values_list(
            "person_id",
            "family_situation",
            "training_need",
            "destination",
            "policies",
            "social_insurance",
        )
    }
    # The zero-family cases are the episodes (one set for every reader): open on the date.
    zero = set(
        ZeroFamilyCase.objects.open_on(on)
        .filter(household__in=households_qs.order_by().values("pk"))
        .values_list("household_id", flat=True)
    )
    return _Data(
        units,
        unit_code,
        unit_name,
        households,
        persons,
        events,
        recognitions,
        services,
        profiles,
        zero,
        jobs,
        _payments(unit, reader, on),
        policy_services,
    )


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _masked_rows(rows: Iterable[Row], keep: set[int] | None = None) -> Iterator[Row]:
    """Rows with every ID or phone number typed into free text masked (issue 11, finding 2):
    a masked export hides them in notes, addresses and employers as in their own columns.
    (Shorter than 11 characters, a cell cannot hold one: most cells are skipped unread;
    ``mask_text`` rules most of the others out with one search.) The columns ``keep`` are
    left as they are (an employer's USCC)."""
    if keep:
        for row in rows:
            yield [
                mask_text(value)
                if isinstance(value, str) and len(value) >= 11 and i not in keep
                else value
                for i, value in enumerate(row)
            ]
        return
    for row in rows:
        yield [
            mask_text(value) if isinstance(value, str) and len(value) >= 11 else value
            for value in row
        ]


def _write_sheet(
    target: _Target,
    name: str,
    headers: Sequence[str],
    widths: Sequence[int],
    rows: Iterable[Row],
    summary: ExportSummary,
    *,
    split: Sheet | None = None,
    progress: ProgressFn | None = None,
) -> None:
    """Write rows, continuing on "name(2)"… past Excel's row limit (xlsx only)."""
    part = 1
    sheet = target.sheet(name, headers, widths)
    written = 0
    limit = SHEET_ROWS if isinstance(target, XlsxTarget) else None
    batch: list[Row] = []
    for row in rows:
        if limit is not None and written and written % limit == 0 and not batch:
            part += 1
            sheet = target.sheet(
                sheet_part_name(split, part) if split else f"{name}({part})", headers, widths
            )
        batch.append(row)
        written += 1
        if len(batch) >= 5000 or (limit is not None and written % limit == 0):
            sheet.extend(batch)
            batch.clear()
    if batch:
        sheet.extend(batch)
    summary.rows[name] = written
    if progress is not None:
        progress(name, written)


def _zh_labels(choices: type[TextChoices]) -> dict[str, str]:
    """Stored value → its Chinese label (the workbook's own table of them)."""
    return {value: label for label, value in zh_choices(choices.choices)}


class _Writer:
    def __init__(self, data: _Data, on: date, start: date, reveal: bool) -> None:
        self.d = data
        self.on = on
        self.start = start
        self.id_of: Callable[[str], str] = (lambda n: n) if reveal else mask_id_number
        self.phone_of: Callable[[str], str] = (lambda p: p) if reveal else mask_phone
        self.by_id = {p[0]: p for p in data.persons}
        # The ledgers' words are Chinese whatever the user's language (like their headers),
        # looked up once rather than translated for every person.
        self.sex_label, self.status_label, self.hukou_label = (
            _zh_labels(Sex),
            _zh_labels(Status),
            _zh_labels(HukouType),
        )
        events = data.events
        self.in_force: dict[int, tuple[Any, ...] | None] = {
            p[0]: _event_on(events.get(p[0], ()), on) for p in data.persons
        }

    # -- the data sheets --

    def units(self) -> Iterator[Row]:
        code = self.d.unit_code
        level = UNITS.column("level")
        for _pk, unit_code, name, lvl, parent_id, _path, *station in self.d.units:
            yield [
                unit_code,
                name,
                _label(level, lvl),
                code.get(parent_id, "") if parent_id else "",
                *station,  # the service station's public contact (address, phone, hours)
            ]

    def households(self) -> Iterator[Row]:
        code = self.d.unit_code
        hukou, dibao = HOUSEHOLDS.column("hukou_type"), HOUSEHOLDS.column("dibao")
        for number, community, grid, kind, address, is_dibao in sorted(self.d.households.values()):
            yield [
                number,
                code[grid or community],
                _label(hukou, kind),
                address,
                _label(dibao, is_dibao),
            ]

    def persons(self) -> Iterator[Row]:
        columns = PERSONS.columns
        households = self.d.households
        profiles = self.d.profiles
        labels = []
        for column in columns:
            if column.key in V:
                labels.append((column, V[column.key]))
            elif column.key == "household":
                labels.append((column, -1))
            else:
                labels.append((column, -2))
        profile_index = {
            key: i
            for i, key in enumerate(
                ("family_situation", "training_need", "destination", "policies", "social_insurance")
            )
        }
        blank = ("",) * 5
        id_of, phone_of = self.id_of, self.phone_of
        for p in self.d.persons:
            profile = profiles.get(p[0], blank)
            row: Row = []
            for column, index in labels:
                if index == -1:
                    row.append(households[p[V["household_id"]]][0])
                elif index == -2:
                    row.append(profile[profile_index[column.key]])
                elif column.key == "id_number":
                    row.append(id_of(p[index]))
                elif column.key == "phone":
                    row.append(phone_of(p[index]))
                elif column.key == "female_base":
                    row.append(str(p[index]) if p[index] else "")
                elif column.kind in (Kind.BOOL, Kind.ENUM):
                    row.append(_label(column, p[index]))
                else:
                    row.append(p[index])
            yield row

    def statuses(self) -> Iterator[Row]:
        status, registered = STATUSES.column("status"), STATUSES.column("registered")
        for p in self.d.persons:
            for _since, (st, since, reg, employer, cause) in self.d.events.get(p[0], ()):
                yield [
                    self.id_of(p[1]),
                    p[2],
                    _label(status, st),
                    since,
                    _label(registered, reg),
                    employer,
                    cause,
                ]

    def recognitions(self) -> Iterator[Row]:
        category = RECOGNITIONS.column("category")
        for p in self.d.persons:
            for cat, start, end, note in self.d.recognitions.get(p[0], ()):
                yield [self.id_of(p[1]), p[2], _label(category, cat), start, end, note]

    def services(self) -> Iterator[Row]:
        kind_c, mode_c = SERVICES.column("kind"), SERVICES.column("training_mode")
        outcome_c, progress_c = SERVICES.column("outcome"), SERVICES.column("progress")
        for p in self.d.persons:
            for (
                kind,
                on,
                mode,
                enrolled,
                completed,
                certified,
                outcome,
                valid,
                policy,
                amount,
                note,
                by_name,
            ) in self.d.services.get(p[0], ()):
                if kind == ServiceKind.TRAINING:
                    stage = (
                        "certified"
                        if certified
                        else "completed"
                        if completed
                        else "enrolled"
                        if enrolled
                        else "none"
                    )
                    progress = _label(progress_c, stage)
                else:
                    progress = ""
                if kind == ServiceKind.COMPLAINT and valid is not None:
                    result = _label(outcome_c, "valid" if valid else "invalid")
                else:
                    result = _label(outcome_c, outcome)
                yield [
                    self.id_of(p[1]),
                    p[2],
                    _label(kind_c, kind),
                    on,
                    _label(mode_c, mode),
                    result,
                    note,
                    progress,
                    policy,
                    float(amount) if amount is not None else None,
                    by_name,
                ]

    # -- the ledgers --

    def _head(self, n: int, p: tuple[Any, ...]) -> Row:
        d = self.d
        return [
            n,
            p[V["name"]],
            self.id_of(p[V["id_number"]]),
            self.sex_label[p[V["sex"]]],
            _age(p[V["birth_date"]], self.on),
            d.unit_name.get(p[V["community_id"]], ""),
            d.unit_name.get(p[V["grid_id"]], "") if p[V["grid_id"]] else "",
            d.households[p[V["household_id"]]][0],
        ]

    def _status(self, p: tuple[Any, ...]) -> tuple[str, Any, str, str]:
        event = self.in_force.get(p[0])
        if event is None:
            return "", None, "", ""
        return self.status_label[event[0]], event[1], "是" if event[2] else "否", event[3]

    def _working_age(self, p: tuple[Any, ...]) -> bool:
        return definitions.is_working_age(
            work_from=p[V["work_from"]], retire_on=p[V["retire_on"]], on=self.on
        )

    def _labor_force(self, p: tuple[Any, ...], status: str | None) -> bool:
        return definitions.in_labor_force(
            work_from=p[V["work_from"]],
            retire_on=p[V["retire_on"]],
            able=p[V["able"]],
            willing=p[V["willing"]],
            status=status,
            on=self.on,
        )

    def _dibao_not_employed(self, p: tuple[Any, ...], status: str | None) -> bool:
        """CQ-3's 有劳动能力的未就业人员: in the base of an urban dibao household, not employed."""
        household = self.d.households[p[V["household_id"]]]
        return bool(
            household[5]
            and definitions.is_urban(household[3])
            and definitions.in_dibao_base(
                work_from=p[V["work_from"]],
                retire_on=p[V["retire_on"]],
                able=p[V["able"]],
                status=status,
                on=self.on,
            )
            and definitions.dibao_not_employed(status)
        )

    def labor_resources(self) -> Iterator[Row]:
        n = 0
        for p in self.d.persons:
            if not self._working_age(p):
                continue
            n += 1
            status, since, registered, employer = self._status(p)
            groups = [
                label
                for key, label in (
                    ("disabled", "残疾"),
                    ("veteran", "退役军人"),
                    ("migrant_worker", "农民工"),
                    ("landless", "失地农民"),
                    ("poverty_labor", "精准扶贫劳动力"),
                )
                if p[V[key]]
            ]
            if self.d.households[p[V["household_id"]]][5]:
                groups.append("低保户")
            yield [
                *self._head(n, p),
                p[V["relation"]],
                self.hukou_label[p[V["hukou_type"]]],
                p[V["education"]],
                p[V["skill_level"]],
                "有" if p[V["able"]] else "无",
                "有" if p[V["willing"]] else "无",
                status,
                since,
                registered if status else "",
                employer,
                self.phone_of(p[V["phone"]]),
                "、".join(groups),
            ]

    def unemployed(self) -> Iterator[Row]:
        n = 0
        for p in self.d.persons:
            event = self.in_force.get(p[0])
            if event is None or event[0] != definitions.UNEMPLOYED:
                continue
            n += 1
            _status, since, registered, _employer, cause = event
            family, training, destination, policies, insurance = self.d.profiles.get(
                p[0], ("",) * 5
            )
            policy_records = sorted(
                {
                    s[8]
                    for s in self.d.services.get(p[0], ())
                    if s[0] == ServiceKind.POLICY and s[1] <= self.on
                }
            )
            enjoyed = policies or ("已享受：" + "、".join(policy_records) if policy_records else "")
            missing = missing_fields(
                unemployed_since=since,
                cause=cause,
                willing=p[V["willing"]],
                skill_level=p[V["skill_level"]],
                family_situation=family,
                training_need=training,
                destination=destination,
                policies=policies,
                has_policy_record=bool(policy_records),
                social_insurance=insurance,
            )
            yield [
                *self._head(n, p),
                self.phone_of(p[V["phone"]]),
                "是" if registered else "否",
                since,
                _months(since, self.on),
                cause,
                family,
                "有" if p[V["willing"]] else "无",
                training,
                p[V["skill_level"]],
                destination,
                enjoyed,
                insurance,
                "否" if missing else "是",
                "、".join(tenclears_labels(missing)),
            ]

    def difficult(self) -> Iterator[Row]:
        n = 0
        category = RECOGNITIONS.column("category")
        on = self.on
        in_force_on = definitions.recognition_in_force
        for p in self.d.persons:
            in_force = [
                r
                for r in self.d.recognitions.get(p[0], ())
                if in_force_on(recognized_on=r[1], ended_on=r[2], on=on)
            ]
            household = self.d.households[p[V["household_id"]]]
            zero = p[V["household_id"]] in self.d.zero
            event = self.in_force.get(p[0])
            status = event[0] if event else None
            is_4050 = definitions.is_4050(
                sex=p[V["sex"]], birth_date=p[V["birth_date"]], status=status, on=on
            )
            if not (
                in_force
                or is_4050
                or (zero and self._labor_force(p, status))
                or self._dibao_not_employed(p, status)
            ):
                continue
            n += 1
            status_label, since, _registered, _employer = self._status(p)
            yield [
                *self._head(n, p),
                self.phone_of(p[V["phone"]]),
                "、".join(_label(category, r[0]) for r in in_force),
                min((r[1] for r in in_force), default=None),
                "是" if zero else "否",
                "是" if household[5] else "否",
                "是" if is_4050 else "否",
                status_label,
                since,
            ]

    def graduates(self) -> Iterator[Row]:
        n = 0
        for p in self.d.persons:
            event = self.in_force.get(p[0])
            if (
                p[V["graduate_year"]] is None
                or event is None
                or not (event[0] == definitions.UNEMPLOYED and event[2])
            ):
                continue
            n += 1
            yield [
                *self._head(n, p),
                self.phone_of(p[V["phone"]]),
                p[V["education"]],
                p[V["graduate_year"]],
                event[1],
                event[4],
                p[V["skill_level"]],
                "有" if p[V["willing"]] else "无",
            ]

    def flagged(self, flag: str, hukou: bool) -> Iterator[Row]:
        n = 0
        for p in self.d.persons:
            if not p[V[flag]]:
                continue
            n += 1
            status, since, _registered, employer = self._status(p)
            extra = [self.hukou_label[p[V["hukou_type"]]]] if hukou else []
            yield [
                *self._head(n, p),
                self.phone_of(p[V["phone"]]),
                *extra,
                p[V["education"]],
                p[V["skill_level"]],
                status,
                since,
                employer,
            ]

    def _service_rows(
        self, kinds: set[str], source: dict[int, list[tuple[Any, ...]]] | None = None
    ) -> list[tuple[Any, ...]]:
        found = []
        services = self.d.services if source is None else source
        for p in self.d.persons:
            for s in services.get(p[0], ()):
                if s[0] in kinds and self.start <= s[1] <= self.on:
                    found.append(
                        (
                            s[1],
                            p[V["household_id"]] and self.d.households[p[V["household_id"]]][0],
                            p[1],
                            s,
                            p,
                        )
                    )
        found.sort(key=lambda f: (f[0], f[1], f[2], tuple(str(v) for v in f[3])))
        return found

    def _service_head(self, n: int, on: date, p: tuple[Any, ...]) -> Row:
        d = self.d
        return [
            n,
            on,
            p[V["name"]],
            self.id_of(p[V["id_number"]]),
            d.unit_name.get(p[V["community_id"]], ""),
            d.unit_name.get(p[V["grid_id"]], "") if p[V["grid_id"]] else "",
        ]

    def trainings(self) -> Iterator[Row]:
        mode_c, progress_c = SERVICES.column("training_mode"), SERVICES.column("progress")
        for n, (on, _h, _i, s, p) in enumerate(self._service_rows({ServiceKind.TRAINING}), 1):
            stage = "certified" if s[5] else "completed" if s[4] else "enrolled" if s[3] else "none"
            yield [
                *self._service_head(n, on, p),
                _label(mode_c, s[2]),
                _label(progress_c, stage),
                s[10],
                s[11],
            ]

    def guidance(self) -> Iterator[Row]:
        kind_c = SERVICES.column("kind")
        rows = self._service_rows({ServiceKind.REFERRAL, ServiceKind.GUIDANCE})
        for n, (on, _h, _i, s, p) in enumerate(rows, 1):
            yield [*self._service_head(n, on, p), _label(kind_c, s[0]), s[10], s[11]]

    def policies(self) -> Iterator[Row]:
        """政策落实台账: the payments and reversals of the period (persons, employers and
        units), then the policy service records entered by hand (none a payment wrote)."""
        d = self.d
        self.beneficiary_zh = _zh_labels(BeneficiaryKind)
        self.payment_zh = _zh_labels(PaymentKind)
        n = 0
        for r in d.payments:
            on = r[PV["on"]]
            if not self.start <= on <= self.on:
                continue
            n += 1
            yield self._payment_row(n, r)
        rows = self._service_rows({ServiceKind.POLICY}, d.policy_services)
        for k, (on, _h, _i, s, p) in enumerate(rows, n + 1):
            yield [
                *self._service_head(k, on, p),
                s[8],
                float(s[9]) if s[9] is not None else None,
                s[10],
                s[11],
                self.beneficiary_zh["person"],
                None,
                None,
                None,
                None,
                None,
                None,
            ]

    def _payment_row(self, n: int, r: tuple[Any, ...]) -> Row:
        d = self.d
        kind = r[PV["entitlement__kind"]]
        name, number, code = r[PV["entitlement__person__name"]], None, None
        if kind == "person":
            number = self.id_of(r[PV["entitlement__person__id_number"]])
        elif kind == "employer":
            name, code = r[PV["entitlement__employer__name"]], r[PV["entitlement__employer__uscc"]]
        else:
            name, code = r[PV["entitlement__unit__name"]], r[PV["entitlement__unit__code"]]
        grid = r[PV["entitlement__person__grid_id"]]
        pid = r[PV["entitlement__policy"]]
        try:
            policy_name = policy_get(pid).name
        except UnknownPolicy:
            policy_name = pid
        return [
            n,
            r[PV["on"]],
            name,
            number,
            d.unit_name.get(r[PV["entitlement__place_id"]], ""),
            d.unit_name.get(grid, "") if grid else "",
            policy_name,
            float(r[PV["amount"]]),
            r[PV["note"]],
            r[PV["by__first_name"]] or r[PV["by__username"]],
            self.beneficiary_zh.get(kind, kind),
            code,
            pid,
            r[PV["entitlement__period"]],
            self.payment_zh.get(r[PV["kind"]], r[PV["kind"]]),
            r[PV["reference"]],
            r[PV["entitlement__approved_by__first_name"]]
            or r[PV["entitlement__approved_by__username"]],
        ]


def check_reveal(actor: User | None, reveal: bool, reason: str) -> None:
    """Full numbers need the reveal grant (``actor`` None: the command line) and a reason:
    PermissionDenied or ValidationError, with the words the user is shown."""
    if not reveal:
        return
    if actor is not None and not actor.may_reveal:
        raise PermissionDenied("您没有导出完整证件号码和电话的权限。")
    if len((reason or "").strip()) < MIN_REASON:
        raise ValidationError(f"导出完整号码须填写原因（至少{MIN_REASON}个字）。", code="reason")


def export_ledgers(
    *,
    actor: User | None,
    unit: Unit,
    target: str | Path | IO[bytes],
    on: date,
    start: date | None = None,
    reveal: bool = False,
    reason: str = "",
    fmt: str = "xlsx",
    progress: ProgressFn | None = None,
) -> ExportSummary:
    """Write the ledgers of ``unit`` (and everything below it) as seen by ``actor`` (None: the
    command line, no jurisdiction limit) to ``target`` (a path or binary stream for xlsx, a
    directory for csv). Full numbers need ``reveal`` with a reason and ``actor.may_reveal``."""
    check_reveal(actor, reveal, reason)
    start = start or date(on.year, 1, 1)
    summary = ExportSummary(unit=unit.code, on=on, start=start, revealed=reveal)
    with transaction.atomic():  # one consistent snapshot, audited in the same transaction
        data = _read(unit, actor, on)
        audit_export(
            actor=actor,
            what="ledgers",
            filters={
                "unit": unit.code,
                "on": on.isoformat(),
                "start": start.isoformat(),
                "format": fmt,
                "reveal": reveal,
                **({"reason": reason.strip()} if reveal else {}),
            },
            rows=len(data.persons),
            unit=unit,
            # Who looked at a person: the export names the ids (issue 11, finding 10), the
            # registry persons named by contracts too.
            persons=sorted({p[V["id"]] for p in data.persons} | set(data.jobs.numbers)),
        )
    out: _Target = CsvTarget(Path(target)) if fmt == "csv" else XlsxTarget(target)  # type: ignore[arg-type]
    w = _Writer(data, on, start, reveal)
    jobs = JobsWriter(
        data.jobs,
        on=on,
        start=start,
        reveal=reveal,
        unit_code=data.unit_code,
        unit_name=data.unit_name,
    )
    try:
        info: list[Row] = [
            ["单位", f"{unit.name}（{unit.code}）{Level(unit.level).label}"],
            ["截至日期", on],
            ["统计期间", f"{start.isoformat()} 至 {on.isoformat()}"],
            ["证件号码和电话", "完整（已审计）" if reveal else "已脱敏（不能再导入）"],
            ["台账", "人员类台账取截至日期的状态；培训、服务、政策台账取统计期间内的记录"],
            [
                "数据表",
                "单位、户、人员、就业状态、困难认定、服务记录、用人单位、岗位、劳动合同、裁员 "
                "十张表可直接用 jiuye import 导入",
            ],
            [
                "岗位开发及需求台账",
                "统计期间内发布的岗位和截至日期仍在招聘的岗位：需求人数、已录用、空缺",
            ],
            [
                "用工需求台账",
                "十清第十项“用工需求”：各用人单位截至日期在招岗位的需求人数、已录用和空缺",
            ],
            [
                "劳动合同",
                "系统只保存登记人员以外职工的脱敏号码：这些行不能再导入，须按用人单位的名册重新填写",
            ],
        ]
        _write_sheet(out, INFO_SHEET, ["项目", "内容"], [20, 70], info, summary)
        ledgers: list[tuple[str, Iterable[Row]]] = [
            ("劳动力资源台账", w.labor_resources()),
            ("下岗失业人员台账", w.unemployed()),
            ("就业困难群体台账", w.difficult()),
            ("登记失业高校毕业生台账", w.graduates()),
            ("复转军人台账", w.flagged("veteran", hukou=False)),
            ("农民工台账", w.flagged("migrant_worker", hukou=True)),
            ("就业再就业培训台账", w.trainings()),
            ("就业服务台账", w.guidance()),
            ("政策落实台账", w.policies()),
            ("岗位开发及需求台账", jobs.postings_ledger()),
            ("用工需求台账", jobs.demand_ledger()),
        ]
        for name, rows in ledgers:
            heads = LEDGERS[name]
            _write_sheet(
                out,
                name,
                [h for h, _w in heads],
                [wd for _h, wd in heads],
                rows if reveal else _masked_rows(rows, USCC_AT.get(name)),
                summary,
                progress=progress,
            )
        for sheet, rows in (
            (UNITS, w.units()),
            (HOUSEHOLDS, w.households()),
            (PERSONS, w.persons()),
            (STATUSES, w.statuses()),
            (RECOGNITIONS, w.recognitions()),
            (SERVICES, w.services()),
            (EMPLOYERS, jobs.employers()),
            (POSTINGS, jobs.postings()),
            (CONTRACTS, jobs.contracts()),
            (LAYOFFS, jobs.layoffs()),
        ):
            _write_sheet(
                out,
                sheet.zh,
                sheet.headers,
                [c.width for c in sheet.columns],
                rows if reveal else _masked_rows(rows, USCC_AT.get(sheet.zh)),
                summary,
                split=sheet,
                progress=progress,
            )
    finally:
        out.close()
    return summary
