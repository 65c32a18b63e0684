"""The employers' part of ``jiuye export ledgers UNIT`` (DOMAIN §8): the data sheets 用人单位,
岗位, 劳动合同, 裁员 (importable, like the registry's) and the ledgers read from them.

What a unit's export holds: the employers located under the unit; the postings whose work place
or employer is under it (and the employers of those postings, so that each posting's employer
is in the workbook); the contracts and layoffs of the employers located under it; each
employer's staff reports, one row of 用人单位 per report date. The reader's jurisdiction bounds
each (``units.scope.scope_to_jurisdiction``).

A contract holds no full ID number (``jobs.checks.employee_key``): the 劳动合同 sheet shows a
registry person's number by the 人员 sheet's rules (full only in a revealed export, and only
of a person the reader may see), else the masked number kept with the event, which an import
refuses. So a revealed export re-imports the contracts of registry persons; those of employees
outside the registry must be imported from the employer's own list.

Ledgers: 岗位开发及需求台账, the postings developed in the period (published from its start to
the date) and those still open on the date, with vacancies, hires and what is left; and
用工需求台账, the labor demand of each employer on the date (the ten clears' tenth, 用工需求: the
open vacancies of its postings), with its latest staff count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q

from jiuye.jobs.definitions import posting_open
from jiuye.jobs.models import ContractEvent, Employer, Layoff, Posting, StaffReport
from jiuye.ledger.columns import CONTRACTS, POSTINGS, Column, Kind
from jiuye.lib.masking import mask_id_number
from jiuye.registry.models import Person
from jiuye.units.models import Unit
from jiuye.units.scope import scope_to_jurisdiction

Row = list[Any]

# (header, width) of the two ledgers.
POSTINGS_LEDGER = [
    ("序号", 6),
    ("岗位编号", 14),
    ("用人单位", 20),
    ("统一社会信用代码", 21),
    ("岗位名称", 14),
    ("职业编码", 11),
    ("公益性岗位", 6),
    ("工作地点", 14),
    ("需求人数", 8),
    ("已录用", 8),
    ("空缺", 8),
    ("岗位要求", 24),
    ("薪酬待遇", 14),
    ("登记日期", 12),
    ("截止日期", 12),
    ("状态", 8),
]
DEMAND_LEDGER = [
    ("序号", 6),
    ("用人单位", 20),
    ("统一社会信用代码", 21),
    ("所在社区", 14),
    ("行业", 10),
    ("职工人数", 8),
    ("职工人数报告日期", 12),
    ("在招岗位", 8),
    ("在招需求人数", 8),
    ("已录用", 8),
    ("用工需求（空缺）", 10),
    ("本期开发岗位", 8),
    ("本期开发需求人数", 8),
]
POSTING_FIELDS = (
    "id",
    "number",
    "employer_id",
    "title",
    "occupation",
    "skills",
    "min_education",
    "age_min",
    "age_max",
    "vacancies",
    "pay_min",
    "pay_max",
    "unit_id",
    "public_welfare",
    "opens_on",
    "closes_on",
    "filled",
)
F = {name: i for i, name in enumerate(POSTING_FIELDS)}


@dataclass
class JobsData:
    # id → (uscc, name, unit id, industry); ``employers`` sorted by USCC
    employers: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    located: set[int] = field(default_factory=set)  # the employers located under the unit
    staff: dict[int, list[tuple[date, int]]] = field(default_factory=dict)  # by date
    postings: list[tuple[Any, ...]] = field(default_factory=list)  # POSTING_FIELDS by number
    # (employer id, masked number, person id, kind, on, term months)
    contracts: list[tuple[Any, ...]] = field(default_factory=list)
    numbers: dict[int, str] = field(default_factory=dict)  # visible linked persons' numbers
    layoffs: list[tuple[Any, ...]] = field(default_factory=list)  # (employer id, on, count, reason)
    units: set[int] = field(default_factory=set)  # the units the rows name


def read_jobs(unit: Unit, reader: Any) -> JobsData:
    """The employers' data of ``unit`` and below as ``reader`` may see it (a few queries)."""
    data = JobsData()
    under = unit.path
    located = scope_to_jurisdiction(Employer.objects.filter(unit__path__startswith=under), reader)
    work_here = scope_to_jurisdiction(Posting.objects.filter(unit__path__startswith=under), reader)
    postings = list(
        Posting.objects.filter(
            Q(employer__in=located.values("pk")) | Q(pk__in=work_here.values("pk"))
        )
        .order_by("number")
        .values_list(*POSTING_FIELDS)
    )
    data.postings = postings
    data.located = set(located.values_list("pk", flat=True))
    wanted = data.located | {p[F["employer_id"]] for p in postings}
    for pk, *rest in (
        Employer.objects.filter(pk__in=wanted)
        .order_by("uscc")
        .values_list("id", "uscc", "name", "unit_id", "industry")
    ):
        data.employers[pk] = tuple(rest)
    data.units = {e[2] for e in data.employers.values()} | {p[F["unit_id"]] for p in postings}
    staff: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for employer_id, on, count in (
        StaffReport.objects.filter(employer__in=located.values("pk"))
        .order_by("employer_id", "on")
        .values_list("employer_id", "on", "staff")
    ):
        staff[employer_id].append((on, count))
    data.staff = dict(staff)
    data.contracts = list(
        ContractEvent.objects.filter(employer__in=located.values("pk"))
        .order_by()
        .values_list("employer_id", "employee_masked", "person_id", "kind", "on", "term_months")
    )
    linked = {c[2] for c in data.contracts if c[2] is not None}
    if linked:
        data.numbers = dict(
            scope_to_jurisdiction(Person.objects.filter(pk__in=linked), reader)
            .order_by()
            .values_list("id", "id_number")
        )
    data.layoffs = list(
        Layoff.objects.filter(employer__in=located.values("pk"))
        .order_by()
        .values_list("employer_id", "on", "count", "reason")
    )
    return data


def _label(column: Column, value: Any) -> Any:
    """A stored value as the workbook writes it (``export._label``'s rule)."""
    if value is None or value == "":
        return ""
    if column.kind == Kind.BOOL:
        yes, no = column.labels[:2]
        return yes if value else no
    return column.label_of(str(value))


class JobsWriter:
    """The rows of the employers' sheets and ledgers (``unit_code``/``unit_name``: every unit
    the rows name, by id)."""

    def __init__(
        self,
        data: JobsData,
        *,
        on: date,
        start: date,
        reveal: bool,
        unit_code: dict[int, str],
        unit_name: dict[int, str],
    ) -> None:
        self.d = data
        self.on, self.start, self.reveal = on, start, reveal
        self.unit_code, self.unit_name = unit_code, unit_name
        self.id_of: Callable[[str], str] = (lambda n: n) if reveal else mask_id_number

    # -- the data sheets --

    def employers(self) -> Iterator[Row]:
        for pk, (uscc, name, unit_id, industry) in self.d.employers.items():
            reports: list[tuple[date | None, int | None]] = list(self.d.staff.get(pk, ()))
            for on, staff in reports or [(None, None)]:
                yield [uscc, name, self.unit_code[unit_id], industry, staff, on]

    def postings(self) -> Iterator[Row]:
        welfare = POSTINGS.column("public_welfare")
        employers = self.d.employers
        for p in self.d.postings:
            yield [
                p[F["number"]],
                employers[p[F["employer_id"]]][0],
                p[F["title"]],
                p[F["occupation"]],
                p[F["skills"]],
                p[F["min_education"]],
                p[F["age_min"]],
                p[F["age_max"]],
                p[F["vacancies"]],
                p[F["pay_min"]],
                p[F["pay_max"]],
                self.unit_code[p[F["unit_id"]]],
                _label(welfare, p[F["public_welfare"]]),
                p[F["opens_on"]],
                p[F["closes_on"]],
            ]

    def contracts(self) -> Iterator[Row]:
        kind_c = CONTRACTS.column("kind")
        employers, numbers = self.d.employers, self.d.numbers
        rows = []
        for employer_id, masked, person_id, kind, on, term in self.d.contracts:
            number = numbers.get(person_id) if person_id is not None else None
            shown = self.id_of(number) if number is not None else masked
            rows.append([employers[employer_id][0], shown, _label(kind_c, kind), on, term])
        rows.sort(key=lambda r: (r[0], r[3], r[1], r[2]))
        yield from rows

    def layoffs(self) -> Iterator[Row]:
        employers = self.d.employers
        rows = [
            [employers[employer_id][0], on, count, reason]
            for employer_id, on, count, reason in self.d.layoffs
        ]
        rows.sort(key=lambda r: (r[0], r[1], r[3]))
        yield from rows

    # -- the ledgers --

    def _developed(self, p: tuple[Any, ...]) -> bool:
        return self.start <= p[F["opens_on"]] <= self.on

    def _open(self, p: tuple[Any, ...]) -> bool:
        return posting_open(
            opens_on=p[F["opens_on"]],
            closes_on=p[F["closes_on"]],
            filled=p[F["filled"]],
            vacancies=p[F["vacancies"]],
            on=self.on,
        )

    def postings_ledger(self) -> Iterator[Row]:
        """岗位开发及需求: the postings developed in the period and those open on the date."""
        employers = self.d.employers
        shown = [p for p in self.d.postings if self._developed(p) or self._open(p)]
        shown.sort(key=lambda p: (p[F["opens_on"]], p[F["number"]]))
        for n, p in enumerate(shown, 1):
            uscc, name, _unit, _industry = employers[p[F["employer_id"]]]
            vacancies, filled = p[F["vacancies"]], p[F["filled"]]
            left = max(vacancies - filled, 0)
            if self._open(p):
                state = "在招"
            elif p[F["opens_on"]] > self.on:
                state = "未发布"
            elif p[F["closes_on"]] is not None and p[F["closes_on"]] < self.on:
                state = "已截止"
            else:
                state = "已招满"
            wanted = [
                p[F["skills"]],
                f"学历{p[F['min_education']]}以上" if p[F["min_education"]] else "",
                _ages(p[F["age_min"]], p[F["age_max"]]),
            ]
            yield [
                n,
                p[F["number"]],
                name,
                uscc,
                p[F["title"]],
                p[F["occupation"]],
                "是" if p[F["public_welfare"]] else "否",
                self.unit_name.get(p[F["unit_id"]], ""),
                vacancies,
                filled,
                left if state == "在招" else 0,
                "；".join(w for w in wanted if w),
                _pay(p[F["pay_min"]], p[F["pay_max"]]),
                p[F["opens_on"]],
                p[F["closes_on"]],
                state,
            ]

    def demand_ledger(self) -> Iterator[Row]:
        """用工需求: each employer's open postings and their vacancies left on the date."""
        by_employer: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for p in self.d.postings:
            by_employer[p[F["employer_id"]]].append(p)
        order = sorted(
            self.d.employers.items(),
            key=lambda e: (self.unit_code.get(e[1][2], ""), e[1][1], e[1][0]),
        )
        for n, (pk, (uscc, name, unit_id, industry)) in enumerate(order, 1):
            postings = by_employer.get(pk, [])
            open_now = [p for p in postings if self._open(p)]
            developed = [p for p in postings if self._developed(p)]
            reports = [r for r in self.d.staff.get(pk, ()) if r[0] <= self.on]
            latest = reports[-1] if reports else (None, None)
            yield [
                n,
                name,
                uscc,
                self.unit_name.get(unit_id, ""),
                industry,
                latest[1],
                latest[0],
                len(open_now),
                sum(p[F["vacancies"]] for p in open_now),
                sum(p[F["filled"]] for p in open_now),
                sum(max(p[F["vacancies"]] - p[F["filled"]], 0) for p in open_now),
                len(developed),
                sum(p[F["vacancies"]] for p in developed),
            ]


def _ages(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f"{low}岁以上"
    if low is None:
        return f"{high}岁以下"
    return f"{low}-{high}岁"


def _pay(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return "面议"
    if high is None:
        return f"{low}元/月以上"
    if low is None:
        return f"{high}元/月以下"
    return f"{low}-{high}元/月"
