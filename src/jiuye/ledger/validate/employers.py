"""The employers' sheets (DOMAIN §8): 用人单位, 岗位, 劳动合同, 裁员.

Every row is checked by ``jobs.checks`` (the same checks and words as the employers' forms and
services): the unified social credit code (python-stdnum), a posting's fields, a contract's
event and term, a layoff's count and reason; dates not after today. References: an employer's
unit must be a community, village or grid of the file or the registry (a grid's employer is
kept in its community, as ``jobs.services.employer_place`` does); a posting, contract or layoff
names its employer by the USCC, found in the 用人单位 sheet or the registry. Who may write
them: ``jobs.permissions.may_keep_employers`` about the employer's community (workers, street
and district users whose non-grid jurisdiction covers it; no user: a system job).

Keys (re-importing changes nothing): an employer by its USCC, its staff report by (employer,
报告日期), so the 用人单位 sheet may repeat an employer once per report date (its name, unit and
industry the same on every row); a posting by its number; a contract event by (employer,
employee, date) as ``jobs.services.contract_record``; a layoff by (employer, date, reason) as
``layoff_record``. A second row with the same key in the file is an error. A blank cell keeps
the stored value, as everywhere in the workbook.

A contract names its employee by the ID number: the station keeps only a keyed digest and a
masked number (``checks.employee_key``, ``employee_masked``); a masked number cannot be imported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from jiuye.jobs import checks
from jiuye.jobs.models import ContractEvent, Employer, Layoff, Posting, StaffReport
from jiuye.jobs.permissions import may_keep_employers
from jiuye.jobs.text import posting_terms
from jiuye.ledger.validate.context import Context
from jiuye.ledger.validate.fetch import fetch_by, table_empty
from jiuye.ledger.validate.idnumbers import normalise_id
from jiuye.ledger.validate.plan import Counts
from jiuye.ledger.validate.rows import Rows
from jiuye.lib.problems import Problem
from jiuye.units.models import Level, Unit

COMMUNITY_LEVELS = (str(Level.COMMUNITY), str(Level.VILLAGE))
# A posting's values as the plan carries them (the work unit as its code), after its number and
# employer: the order of ``Plan.postings_insert`` / ``postings_update``.
POSTING_VALUES = (
    "title",
    "occupation",
    "skills",
    "min_education",
    "age_min",
    "age_max",
    "vacancies",
    "pay_min",
    "pay_max",
    "unit",
    "public_welfare",
    "opens_on",
    "closes_on",
)


class EmployerScope:
    """Where the importing user may keep employers' data: ``may_keep_employers`` asked once per
    community (by its path)."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.cache: dict[str, bool] = {}

    def allows(self, path: str) -> bool:
        if self.user is None:
            return True
        found = self.cache.get(path)
        if found is None:
            found = self.cache[path] = may_keep_employers(self.user, Unit(path=path))
        return found


def _uscc_column(rows: Rows) -> list[str]:
    """The sheet's USCCs, normalised (``checks.normalize_uscc``); "" where blank."""
    return [checks.normalize_uscc(v) if v else "" for v in rows.col("uscc")]


def _future(on: date | None, key: str, what: tuple[str, str], today: date) -> list[Problem]:
    if on is not None and on > today:
        return [checks.problem("future", key, what=what, today=today.isoformat())]
    return []


def _report(rows: Rows, i: int, problems: Sequence[Problem]) -> bool:
    for problem in problems:
        rows.problem(i, problem)
    return bool(problems)


def _duplicate(rows: Rows, i: int, key: str, value: Any, first: int) -> None:
    rows.error(i, "duplicate_in_file", key, value, first_row=rows.location(first)[1])


class Employers:
    """The employers of the file and the registry by USCC, as the dependent sheets find them."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.scope = EmployerScope(ctx.user)
        # USCC → (registry id or None, community path): the 用人单位 sheet's good rows and the
        # registry's employers looked up so far; the sheet's USCCs → their first row.
        self.known: dict[str, tuple[int | None, str]] = {}
        self.rows: dict[str, int] = {}
        self.absent: set[str] = set()

    def fetch(self, codes: set[str]) -> None:
        wanted = codes - self.known.keys() - self.rows.keys() - self.absent
        if not wanted:
            return
        found = set()
        if not table_empty(Employer):
            for uscc, pk, unit_id in fetch_by(Employer, "uscc", wanted, ("uscc", "id", "unit_id")):
                self.known[uscc] = (pk, self.ctx.unit_path_by_id[unit_id])
                found.add(uscc)
        self.absent |= wanted - found

    def resolve(self, rows: Rows, i: int, code: str) -> tuple[int | None, str] | None:
        """The employer of row ``i``: (registry id or None, community path); reported and None
        if it is unknown or failed in its own sheet."""
        found = self.known.get(code)
        if found is None:
            j = self.rows.get(code)
            if j is not None:
                rows.reference_failed(i, "uscc", "用人单位", self.ctx.rows["employers"], j)
            else:
                rows.error(i, "unknown_employer", "uscc", code, ref=code)
        return found

    def may_write(self, rows: Rows, i: int, code: str, path: str) -> bool:
        """Whether the user may write row ``i``'s data of the employer in ``path`` (reported
        if not). Asked only of a row that writes: a row the registry already holds as it is
        passes whoever imports it, as the 单位 sheet's unchanged units do."""
        if self.scope.allows(path):
            return True
        rows.error(i, "out_of_scope", "uscc", code, what="用人单位")
        return False


def employers_of(ctx: Context) -> Employers:
    found: Employers | None = getattr(ctx, "_employers", None)
    if found is None:
        found = Employers(ctx)
        ctx._employers = found  # type: ignore[attr-defined]
    return found


# ---------------------------------------------------------------------------------------------
# 用人单位
# ---------------------------------------------------------------------------------------------


def _placement(ctx: Context, code: str) -> tuple[Any, ...]:
    """An employer's unit code → (community code, community path), or the reason it cannot be
    placed: ("failed", row) / ("unknown",) / ("level", level)."""
    unit = ctx.units.get(code)
    if unit is None:
        j = ctx.unit_rows.get(code)
        return ("failed", j) if j is not None else ("unknown",)
    level, path = unit[1], unit[2]
    if level == str(Level.GRID):
        parts = path.rstrip("/").split("/")
        return (parts[-2], "/".join(parts[:-1]) + "/")
    if level in COMMUNITY_LEVELS:
        return (code, path)
    return ("level", level)


def check_employers(ctx: Context, rows: Rows, counts: Counts) -> None:
    employers = employers_of(ctx)
    usccs = _uscc_column(rows)
    names, units, industry = rows.col("name"), rows.col("unit"), rows.col("industry")
    staff, reported = rows.col("staff"), rows.col("reported_on")
    today = ctx.today
    groups: dict[str, list[int]] = defaultdict(list)
    seen: dict[tuple[str, date | None], int] = {}
    for i, code in enumerate(usccs):
        if not code or i in rows.bad:
            continue
        if _report(rows, i, checks.uscc_problems(code)):
            continue
        if (staff[i] is None) != (reported[i] is None):
            missing = "staff" if staff[i] is None else "reported_on"
            rows.error(i, "staff_report_incomplete", missing)
            continue
        problems = []
        if staff[i] is not None and staff[i] < 0:
            problems.append(checks.problem("staff_negative", "staff"))
        problems += _future(reported[i], "reported_on", ("报告日期", "report date"), today)
        if _report(rows, i, problems):
            continue
        key = (code, reported[i])
        if key in seen:
            _duplicate(rows, i, "reported_on" if reported[i] else "uscc", code, seen[key])
            continue
        seen[key] = i
        group = groups[code]
        if group:
            j = group[0]
            for column, what in (("name", "名称"), ("unit", "单位代码"), ("industry", "行业")):
                a, b = rows.col(column)[i], rows.col(column)[j]
                if a and b and a != b:
                    rows.error(
                        i,
                        "employer_conflict",
                        column,
                        a,
                        what=what,
                        first_row=rows.location(j)[1],
                    )
                    break
            else:
                group.append(i)
            continue
        group.append(i)
    # A dependent row naming an employer whose rows all failed fails with the first of them.
    sheet_rows: dict[str, int] = {}
    for i, code in enumerate(usccs):
        if code:
            sheet_rows.setdefault(code, i)
    employers.rows = {**sheet_rows, **{code: group[0] for code, group in groups.items()}}
    existing: dict[str, tuple[Any, ...]] = {}
    if groups and not table_empty(Employer):
        for row in fetch_by(
            Employer, "uscc", groups, ("uscc", "id", "name", "unit_id", "industry")
        ):
            existing[row[0]] = row
    reports: dict[tuple[int, date], tuple[int, int]] = {}
    if existing and not table_empty(StaffReport):
        for employer_id, on, pk, count in fetch_by(
            StaffReport,
            "employer_id",
            [row[1] for row in existing.values()],
            ("employer_id", "on", "id", "staff"),
        ):
            reports[(employer_id, on)] = (pk, count)
    plan = ctx.plan
    for code, group in groups.items():
        first = group[0]
        unit = next((units[i] for i in group if units[i]), "")
        name = next((names[i] for i in group if names[i]), "")
        trade = next((industry[i] for i in group if industry[i]), "")
        place = _placement(ctx, unit)
        failed = False
        for i in group:
            if place[0] == "failed":
                rows.reference_failed(i, "unit", "单位", ctx.rows["units"], place[1])
            elif place[0] == "unknown":
                rows.error(i, "unknown_unit", "unit", unit, ref=unit)
            elif place[0] == "level":
                rows.error(
                    i,
                    "employer_unit_level",
                    "unit",
                    unit,
                    ref=unit,
                    level=Level(place[1]).label,
                    level_en=place[1],
                )
            else:
                continue
            failed = True
        if failed:
            continue
        community, path = place
        old = existing.get(code)
        new = (name, community, trade or (old[4] if old is not None else ""))
        employer_changed = old is not None and new != (
            old[2],
            ctx.unit_code_by_id[old[3]],
            old[4],
        )
        states: dict[int, str] = {}
        for i in group:
            state = "unchanged"
            if i == first and old is None:
                state = "inserted"
            elif i == first and employer_changed:
                state = "updated"
            on = reported[i]
            if on is not None:
                before = reports.get((old[1], on)) if old is not None else None
                if before is None:
                    state = "inserted"
                elif before[1] != staff[i]:
                    state = "updated" if state == "unchanged" else state
            states[i] = state
        writes = any(state != "unchanged" for state in states.values())
        # Where the employer is kept now and, if it moves, where it was: both in the user's
        # jurisdiction (``employer_update`` asks the same).
        paths = {path} if old is None else {path, ctx.unit_path_by_id[old[3]]}
        if writes and not all(employers.scope.allows(p) for p in paths):
            for i in group:
                rows.error(i, "out_of_scope", "unit", unit, what="用人单位")
            continue
        if old is None:
            plan.employers_insert.append((code, *new))
            employers.known[code] = (None, path)
        else:
            if employer_changed:
                plan.employers_update.append((old[1], *new))
            employers.known[code] = (old[1], path)
        for i, state in states.items():
            on = reported[i]
            if on is not None and state != "unchanged":
                before = reports.get((old[1], on)) if old is not None else None
                if before is None:
                    plan.staff_insert.append((code, on, staff[i]))
                elif before[1] != staff[i]:
                    plan.staff_update.append((before[0], staff[i]))
            if state == "inserted":
                counts.inserted += 1
            elif state == "updated":
                counts.updated += 1
            else:
                counts.unchanged += 1


# ---------------------------------------------------------------------------------------------
# 岗位
# ---------------------------------------------------------------------------------------------


def _work_unit(ctx: Context, rows: Rows, i: int, code: str) -> bool:
    if code in ctx.units:
        return True
    j = ctx.unit_rows.get(code)
    if j is not None:
        rows.reference_failed(i, "unit", "单位", ctx.rows["units"], j)
    else:
        rows.error(i, "unknown_unit", "unit", code, ref=code)
    return False


def check_postings(ctx: Context, rows: Rows, counts: Counts) -> None:
    employers = employers_of(ctx)
    numbers, usccs = rows.col("number"), _uscc_column(rows)
    values = {key: rows.col(key) for key in POSTING_VALUES}
    first: dict[str, int] = {}
    for i, number in enumerate(numbers):
        if not number:
            continue
        if number in first:
            _duplicate(rows, i, "number", number, first[number])
        else:
            first[number] = i
    good = [i for i in first.values() if i not in rows.bad]
    good = [i for i in good if not _report(rows, i, checks.uscc_problems(usccs[i]))]
    employers.fetch({usccs[i] for i in good})
    existing: dict[str, tuple[Any, ...]] = {}
    if good and not table_empty(Posting):
        fields = tuple(
            "unit_id" if f == "unit" else f
            for f in ("number", "id", "employer_id", *POSTING_VALUES, "filled")
        )
        for row in fetch_by(Posting, "number", [numbers[i] for i in good], fields):
            existing[row[0]] = row
    uscc_by_id: dict[int, str] = {}
    if existing:
        uscc_by_id = dict(
            fetch_by(Employer, "id", {row[2] for row in existing.values()}, ("id", "uscc"))
        )
    plan, today = ctx.plan, ctx.today
    unit_index = POSTING_VALUES.index("unit")
    for i in good:
        number, code = numbers[i], usccs[i]
        employer = employers.resolve(rows, i, code)
        if employer is None:
            continue
        unit = values["unit"][i]
        if not _work_unit(ctx, rows, i, unit):
            continue
        old = existing.get(number)
        given = [values[key][i] for key in POSTING_VALUES]
        if old is not None:
            stored = list(old[3:-1])
            stored[unit_index] = ctx.unit_code_by_id[stored[unit_index]]
            merged = [
                g if g is not None and g != "" else s for g, s in zip(given, stored, strict=True)
            ]
        else:
            stored = []
            merged = list(given)
            merged[POSTING_VALUES.index("public_welfare")] = (
                given[POSTING_VALUES.index("public_welfare")] is True
            )
        v = dict(zip(POSTING_VALUES, merged, strict=True))
        problems = checks.posting_problems(
            title=v["title"],
            occupation=v["occupation"],
            min_education=v["min_education"],
            age_min=v["age_min"],
            age_max=v["age_max"],
            vacancies=v["vacancies"],
            pay_min=v["pay_min"],
            pay_max=v["pay_max"],
            opens_on=v["opens_on"],
            closes_on=v["closes_on"],
        )
        problems += _future(v["opens_on"], "opens_on", ("发布日期", "opening date"), today)
        if _report(rows, i, problems):
            continue
        if not (old is not None and merged == stored) and not employers.may_write(
            rows, i, code, employer[1]
        ):
            continue
        terms = posting_terms(title=v["title"], occupation=v["occupation"], skills=v["skills"])
        if old is None:
            plan.postings_insert.append((number, code, *merged, terms))
            counts.inserted += 1
            continue
        if old[2] != employer[0]:
            rows.error(i, "posting_employer_changed", "uscc", code, old=uscc_by_id.get(old[2], "—"))
            continue
        if v["vacancies"] < old[-1]:
            rows.error(i, "vacancies_below_filled", "vacancies", v["vacancies"], filled=old[-1])
            continue
        if merged == stored:
            counts.unchanged += 1
            continue
        plan.postings_update.append((old[1], *merged, terms))
        counts.updated += 1


# ---------------------------------------------------------------------------------------------
# 劳动合同
# ---------------------------------------------------------------------------------------------


def check_contracts(ctx: Context, rows: Rows, counts: Counts) -> None:
    employers = employers_of(ctx)
    usccs = _uscc_column(rows)
    raw_ids = rows.raw_column("id_number")
    kind, on, term = rows.col("kind"), rows.col("on"), rows.col("term_months")
    today = ctx.today
    numbers: dict[int, str] = {}
    for i, cell in enumerate(raw_ids):
        text, code = normalise_id(cell)
        if code is not None:
            ctx.id_error(rows, i, cell, code)
            continue
        result = ctx.deriver(text, None)
        if result.__class__ is not tuple:
            ctx.id_error(rows, i, cell, f"id_{result.code}")  # type: ignore[union-attr]
            continue
        numbers[i] = result[0]  # type: ignore[index]
    candidates: list[int] = []
    for i in range(rows.n):
        if i in rows.bad or i not in numbers or not usccs[i]:
            continue
        problems = checks.uscc_problems(usccs[i])
        if not problems and kind[i] is not None:
            problems = checks.contract_problems(kind=kind[i], term_months=term[i])
        problems += _future(on[i], "on", ("日期", "date"), today)
        if not _report(rows, i, problems):
            candidates.append(i)
    employers.fetch({usccs[i] for i in candidates})
    keyed: dict[tuple[str, str, date], int] = {}
    resolved: dict[int, tuple[int | None, str]] = {}
    for i in candidates:
        employer = employers.resolve(rows, i, usccs[i])
        if employer is None:
            continue
        key = (usccs[i], checks.employee_key(numbers[i]), on[i])
        if key in keyed:
            _duplicate(rows, i, "id_number", numbers[i], keyed[key])
            continue
        keyed[key] = i
        resolved[i] = employer
    existing: dict[tuple[int, str, date], tuple[int, str, int | None]] = {}
    db_ids = {e[0] for e in resolved.values() if e[0] is not None}
    if db_ids and not table_empty(ContractEvent):
        for employer_id, employee, day, pk, k, months in fetch_by(
            ContractEvent,
            "employer_id",
            db_ids,
            ("employer_id", "employee_key", "on", "id", "kind", "term_months"),
        ):
            existing[(employer_id, employee, day)] = (pk, k, months)
    plan = ctx.plan
    for (code, employee, day), i in keyed.items():
        employer_id, path = resolved[i]
        before = existing.get((employer_id, employee, day)) if employer_id is not None else None
        unchanged = before is not None and (before[1], before[2]) == (kind[i], term[i])
        if not unchanged and not employers.may_write(rows, i, code, path):
            continue
        if before is None:
            number = numbers[i]
            plan.contracts_insert.append(
                (code, employee, checks.employee_masked(number), number, kind[i], day, term[i])
            )
            counts.inserted += 1
        elif (before[1], before[2]) == (kind[i], term[i]):
            counts.unchanged += 1
        else:
            plan.contracts_update.append((before[0], kind[i], term[i]))
            counts.updated += 1


# ---------------------------------------------------------------------------------------------
# 裁员
# ---------------------------------------------------------------------------------------------


def check_layoffs(ctx: Context, rows: Rows, counts: Counts) -> None:
    employers = employers_of(ctx)
    usccs = _uscc_column(rows)
    on, count, reason = rows.col("on"), rows.col("count"), rows.col("reason")
    today = ctx.today
    candidates: list[int] = []
    for i in range(rows.n):
        if i in rows.bad or not usccs[i]:
            continue
        problems = checks.uscc_problems(usccs[i])
        problems += checks.layoff_problems(count=count[i], reason=reason[i])
        problems += _future(on[i], "on", ("日期", "date"), today)
        if not _report(rows, i, problems):
            candidates.append(i)
    employers.fetch({usccs[i] for i in candidates})
    keyed: dict[tuple[str, date, str], int] = {}
    resolved: dict[int, tuple[int | None, str]] = {}
    for i in candidates:
        employer = employers.resolve(rows, i, usccs[i])
        if employer is None:
            continue
        key = (usccs[i], on[i], reason[i])
        if key in keyed:
            _duplicate(rows, i, "reason", reason[i], keyed[key])
            continue
        keyed[key] = i
        resolved[i] = employer
    existing: dict[tuple[int, date, str], tuple[int, int]] = {}
    db_ids = {e[0] for e in resolved.values() if e[0] is not None}
    if db_ids and not table_empty(Layoff):
        for employer_id, day, why, pk, n in fetch_by(
            Layoff, "employer_id", db_ids, ("employer_id", "on", "reason", "id", "count")
        ):
            existing[(employer_id, day, why)] = (pk, n)
    plan = ctx.plan
    for (code, day, why), i in keyed.items():
        employer_id, path = resolved[i]
        before = existing.get((employer_id, day, why)) if employer_id is not None else None
        unchanged = before is not None and before[1] == count[i]
        if not unchanged and not employers.may_write(rows, i, code, path):
            continue
        if before is None:
            plan.layoffs_insert.append((code, day, count[i], why))
            counts.inserted += 1
        elif before[1] == count[i]:
            counts.unchanged += 1
        else:
            plan.layoffs_update.append((before[0], count[i]))
            counts.updated += 1
