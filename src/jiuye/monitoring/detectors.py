"""What each kind of warning rule finds as of a date, set-based: one query (or one evaluation)
answers for every unit, and the records behind a finding are read only for the units that fire.
Each detector returns :class:`Finding` objects; ``services.warnings_run`` stores them once per
rule version, unit and period. The rules' thresholds and levels are data (``rulebook``); the
facts are read through the rules stated once (``registry.definitions``, the roll-ups, the
standards engine)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q

from jiuye.casework.models import ServiceKind, ZeroFamilyCase
from jiuye.certification.services import common_root
from jiuye.jobs import checks
from jiuye.jobs import definitions as jobs_definitions
from jiuye.jobs.models import Layoff
from jiuye.monitoring import rollups
from jiuye.monitoring.models import LEVEL_RANK, MonthlyRollup, RollupState, WarningLevel
from jiuye.monitoring.recheck import next_recheck_on
from jiuye.monitoring.rulebook import WarningRule
from jiuye.registry import definitions
from jiuye.registry.models import DifficultyRecognition, Person, StatusEvent
from jiuye.standards.aggregates.tables import as_date, sql_value
from jiuye.standards.evaluation import evaluate_units
from jiuye.standards.models import Certification
from jiuye.standards.rulesets import ruleset_get
from jiuye.units.models import Level, Unit
from jiuye.units.sharding import outer_district

RECORDS_KEPT = 500  # records listed per warning (the total is kept beside them)


@dataclass(frozen=True)
class Record:
    detail: str
    person_id: int | None = None
    household_id: int | None = None
    unit_id: int | None = None
    employer_id: int | None = None


@dataclass
class Finding:
    unit_id: int
    period: str
    level: WarningLevel
    measure: float
    summary: str
    facts: dict[str, Any] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    records_total: int = 0


class Waiting(Exception):
    """The rule cannot be evaluated yet (its data is not kept, or not built): the reason."""


def _month_key(day: date) -> str:
    return f"{day:%Y-%m}"


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


# --------------------------------------------------------------------------------------------
# 登记失业人数环比上升
# --------------------------------------------------------------------------------------------


def registered_rise(rule: WarningRule, on: date) -> list[Finding]:
    """Each unit's registered unemployed at the end of the month before ``on``'s against the
    month before that (the roll-ups: one read for every unit)."""
    month = rollups.add_months(rollups.month_of(on), -1)
    before = rollups.add_months(month, -1)
    state = RollupState.objects.filter(pk=1).first()
    if state is None or not rollups.rollups_fresh(state):
        raise Waiting("月度汇总未生成或已过期")
    if before < state.first_month or month > state.last_month:
        raise Waiting(f"月度汇总不含 {before:%Y-%m} 至 {month:%Y-%m}")
    levels = [str(level) for level in rule.param("units", [])]
    units = {
        path: (pk, name)
        for pk, name, path in Unit.objects.filter(level__in=levels).values_list(
            "pk", "name", "path"
        )
    }
    # Every community's two month ends, added to each unit above it (by its path's prefixes).
    counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for community_path, m, registered in _community_registered(before, month):
        codes = community_path.strip("/").split("/")
        for depth in range(1, len(codes) + 1):
            prefix = "/" + "/".join(codes[:depth]) + "/"
            if prefix in units:
                counts[prefix][m] += registered
    min_base = int(rule.param("min_base", 1))
    findings: dict[str, Finding] = {}
    for path, by_month in counts.items():
        base, now = by_month.get(before, 0), by_month.get(month, 0)
        if base < max(min_base, 1):
            continue
        rise = (now - base) / base
        level = rule.level_for(rise)
        if level is None:
            continue
        unit_id, name = units[path]
        findings[path] = Finding(
            unit_id=unit_id,
            period=_month_key(month),
            level=level,
            measure=rise,
            summary=(
                f"{name}登记失业人数 {before:%Y-%m} 末 {base} 人，{month:%Y-%m} 末 {now} 人，"
                f"环比上升 {_percent(rise)}"
            ),
            facts={"before": base, "now": now, "rise": round(rise, 4), "month": f"{month:%Y-%m}"},
        )
    _new_registrations(findings, rollups.month_end(before), rollups.month_end(month))
    return list(findings.values())


def _community_registered(before: date, month: date) -> list[tuple[str, date, int]]:
    """(community path, month, registered unemployed at its end) of the two months."""
    unit = Unit._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.path, r.month, r.registered FROM {MonthlyRollup._meta.db_table} r "
            f"JOIN {unit} u ON u.id = r.unit_id WHERE r.month IN (%s, %s)",
            [sql_value(before), sql_value(month)],
        )
        return [(path, as_date(m), int(n)) for path, m, n in cursor.fetchall()]


def _new_registrations(findings: dict[str, Finding], after: date, until: date) -> None:
    """The persons behind each rise: registered unemployed in the month and still so at its
    end, read once for every unit that fired (by the path of their community)."""
    if not findings:
        return
    events = (
        StatusEvent.objects.filter(
            definitions.in_force_q(until),
            status=definitions.UNEMPLOYED,
            registered=True,
            since__gt=after,
        )
        .order_by("since", "pk")
        .values_list("person_id", "since", "person__community__path")
    )
    for person_id, since, path in events.iterator(chunk_size=5000):
        codes = path.strip("/").split("/")
        for depth in range(1, len(codes) + 1):
            finding = findings.get("/" + "/".join(codes[:depth]) + "/")
            if finding is None:
                continue
            finding.records_total += 1
            if len(finding.records) < RECORDS_KEPT:
                finding.records.append(Record(f"{since:%Y-%m-%d} 登记失业", person_id=person_id))


# --------------------------------------------------------------------------------------------
# 零就业家庭超期未消除
# --------------------------------------------------------------------------------------------


def zero_family_overdue(rule: WarningRule, on: date) -> list[Finding]:
    """Zero-employment families open on ``on`` past their CQ-2 due date (or open more than N
    days), per community (one query)."""
    by_open = rule.measure == "days_open"
    cases = ZeroFamilyCase.objects.filter(definitions.episode_open_q(on))
    if rule.param("urban_only", False):
        cases = cases.filter(definitions.urban_q("household__hukou_type"))
    # Nothing emerged in the last 27 days is past a one-month deadline (cheap pre-filter).
    if not by_open:
        cases = cases.filter(emerged_on__lt=on - timedelta(days=27))
    rows = cases.order_by("household__community_id", "emerged_on").values_list(
        "household_id", "household__community_id", "household__community__name", "emerged_on"
    )
    found: dict[int, Finding] = {}
    for household_id, community_id, name, emerged in rows:
        due = definitions.zero_family_due(emerged)
        measure = (on - emerged).days if by_open else (on - due).days
        level = rule.level_for(measure)
        if level is None:
            continue
        finding = found.get(community_id)
        if finding is None:
            finding = found[community_id] = Finding(
                community_id, _month_key(on), level, measure, "", {"households": 0}
            )
        if LEVEL_RANK[level] > LEVEL_RANK[finding.level]:
            finding.level = level
        finding.measure = max(finding.measure, measure)
        finding.records_total += 1
        finding.facts["households"] = finding.records_total
        if len(finding.records) < RECORDS_KEPT:
            detail = f"{emerged:%Y-%m-%d} 出现，应于 {due:%Y-%m-%d} 前消除"
            detail += f"，已开放 {(on - emerged).days} 天" if by_open else f"，已超期 {measure} 天"
            finding.records.append(Record(detail, household_id=household_id))
        finding.summary = (
            f"{name}有 {finding.records_total} 户零就业家庭超期未消除，最长超期 "
            f"{int(finding.measure)} 天"
            if not by_open
            else f"{name}有 {finding.records_total} 户零就业家庭开放超过阈值"
        )
    return list(found.values())


# --------------------------------------------------------------------------------------------
# 规模性失业
# --------------------------------------------------------------------------------------------


@dataclass
class _Layoffs:
    """One employer's layoffs in the window."""

    employer_id: int
    name: str
    unit_id: int
    path: str
    first: date
    last: date
    total: int = 0
    abnormal: int = 0
    staff: int | None = None  # reported before its first layoff of the window (None: unknown)
    reasons: list[str] = field(default_factory=list)
    mass: bool = False  # one of the abnormal layoffs that make a mass layoff together

    def share(self, n: int) -> float | None:
        return n / self.staff if self.staff else None


def mass_layoff(rule: WarningRule, on: date) -> list[Finding]:
    """Each district's employers' layoffs (裁员, DOMAIN §8) in the ``window_days`` days up to
    ``on`` (one query for every district), summed per employer over the window (a layoff
    reported in several parts is one layoff), set against the employer's staff reported before
    its first layoff of the window (``jobs.definitions.staff_before``; none reported: only the
    numbers of persons count). The rule's severity, its measure:

    - 1 (III): an employer laid off at least ``notice_people`` persons or ``notice_share`` of
      its staff (a layoff that needs 30 days' notice to the union and a report to the labor
      bureau, Labor Contract Law art. 41);
    - 2 (II): an employer laid off ``single`` persons or more;
    - 3 (I): ``employers`` or more employers laid off for an abnormal reason
      (``abnormal_reasons``, default ``jobs.checks.ABNORMAL_REASONS``: 经营困难, 停产, 破产,
      转产) more than ``each_over`` persons or more than ``each_share`` of their staff each.

    Behind it: the employers whose layoffs reach the mildest level, most severe first."""
    if rule.waiting_for:
        raise Waiting(rule.waiting_for)
    window = max(int(rule.param("window_days", 30)), 1)
    since = on - timedelta(days=window - 1)
    words = tuple(str(w) for w in rule.param("abnormal_reasons", checks.ABNORMAL_REASONS))
    levels = [str(level) for level in rule.param("units", [Level.DISTRICT])]
    units = {
        path: (pk, name)
        for pk, name, path in Unit.objects.filter(level__in=levels).values_list(
            "pk", "name", "path"
        )
    }
    rows = (
        Layoff.objects.filter(on__gte=since, on__lte=on)
        .annotate(staff_before=jobs_definitions.staff_before(OuterRef("employer_id"), "on"))
        .order_by("employer_id", "on", "pk")
        .values_list(
            "employer_id",
            "employer__name",
            "employer__unit_id",
            "employer__unit__path",
            "on",
            "count",
            "reason",
            "staff_before",
        )
    )
    employers: dict[int, _Layoffs] = {}
    for employer_id, name, unit_id, path, day, n, reason, staff in rows:
        found = employers.get(employer_id)
        if found is None:  # its first layoff of the window: the staff it is set against
            found = employers[employer_id] = _Layoffs(
                employer_id, name, unit_id, path, day, day, staff=staff
            )
        found.last = day
        found.total += n
        if checks.is_abnormal(reason, words):
            found.abnormal += n
        if reason not in found.reasons:
            found.reasons.append(reason)
    by_unit: dict[str, list[tuple[int, _Layoffs]]] = defaultdict(list)
    for found in employers.values():
        severity = _layoff_severity(rule, found)
        if severity == 0:
            continue
        codes = found.path.strip("/").split("/")
        for depth in range(1, len(codes) + 1):
            prefix = "/" + "/".join(codes[:depth]) + "/"
            if prefix in units:
                by_unit[prefix].append((severity, found))
    findings = []
    for path, listed in by_unit.items():
        mass = sum(1 for _s, f in listed if f.mass)
        if mass >= int(rule.param("employers", 5)):
            measure = 3
        else:
            measure = max(severity for severity, _f in listed)
        level = rule.level_for(measure)
        if level is None:
            continue
        listed.sort(key=lambda item: (-item[1].mass, -item[0], -item[1].total, item[1].name))
        unit_id, unit_name = units[path]
        laid_off = sum(f.total for _s, f in listed)
        largest = max(f.total for _s, f in listed)
        findings.append(
            Finding(
                unit_id=unit_id,
                period=_month_key(on),
                level=level,
                measure=measure,
                summary=(
                    f"{unit_name}{since:%Y-%m-%d} 至 {on:%Y-%m-%d} 有 {len(listed)} 家用人单位"
                    f"裁员达到报告标准，共 {laid_off} 人，单家最多 {largest} 人；其中 {mass} 家"
                    f"因经营困难等异常原因规模裁员"
                ),
                facts={
                    "since": since.isoformat(),
                    "employers_reported": len(listed),
                    "employers_abnormal": mass,
                    "laid_off": laid_off,
                    "largest": largest,
                },
                records=[
                    Record(_layoff_text(f), unit_id=f.unit_id, employer_id=f.employer_id)
                    for _s, f in listed[:RECORDS_KEPT]
                ],
                records_total=len(listed),
            )
        )
    return findings


def _layoff_severity(rule: WarningRule, found: _Layoffs) -> int:
    """The employer's own severity (2: ``single`` or more; 1: a layoff that needs notice; 0:
    neither), and whether it is one of the abnormal layoffs that make a mass layoff together
    (``found.mass``: more than ``each_over`` persons, or ``each_share`` of its staff, for an
    abnormal reason). Such a layoff needs notice too, so it is never 0."""
    abnormal_share = found.share(found.abnormal)
    found.mass = found.abnormal > int(rule.param("each_over", 50)) or (
        abnormal_share is not None and abnormal_share > float(rule.param("each_share", 0.30))
    )
    if found.total >= int(rule.param("single", 200)):
        return 2
    share = found.share(found.total)
    if (
        found.mass
        or found.total >= int(rule.param("notice_people", 20))
        or (share is not None and share >= float(rule.param("notice_share", 0.10)))
    ):
        return 1
    return 0


def _layoff_text(found: _Layoffs) -> str:
    days = f"{found.first:%Y-%m-%d}" + (
        f" 至 {found.last:%Y-%m-%d}" if found.last != found.first else ""
    )
    staff = (
        f"（职工 {found.staff} 人，占 {_percent(found.total / found.staff)}）"
        if found.staff
        else "（职工人数未报告）"
    )
    text = f"{found.name}：{days} 裁员 {found.total} 人{staff}，原因：{'、'.join(found.reasons)}"
    if found.abnormal:
        text += f"；异常原因 {found.abnormal} 人"
    return text


# --------------------------------------------------------------------------------------------
# 已认定单位低于标准
# --------------------------------------------------------------------------------------------


def certified_drift(rule: WarningRule, on: date) -> list[Finding]:
    """Every certification in force on ``on`` whose unit fails a data-decided criterion of its
    level that day (the standards engine, one fact sheet per rule set and level)."""
    certifications = list(
        Certification.objects.filter(
            Q(revoked_on__isnull=True) | Q(revoked_on__gt=on), certified_on__lte=on
        )
        .select_related("unit")
        .order_by("ruleset", "level", "unit__path", "-certified_on")
    )
    groups: dict[tuple[str, str], list[Certification]] = defaultdict(list)
    seen: set[tuple[int, str, str]] = set()
    for certification in certifications:
        key = (certification.unit_id, certification.ruleset, certification.level)
        if key not in seen:  # the latest of a unit's certifications under a level
            seen.add(key)
            groups[(certification.ruleset, certification.level)].append(certification)
    findings = []
    for (ruleset_id, level_key), batch in groups.items():
        ruleset = ruleset_get(ruleset_id)
        units = [c.unit for c in batch]
        results = evaluate_units(
            root=common_root(units), ruleset=ruleset, on=on, level_key=level_key, units=units
        )
        for certification, result in zip(batch, results, strict=True):
            finding = _drift(rule, on, certification, result)
            if finding is not None:
                findings.append(finding)
    return findings


def _drift(
    rule: WarningRule, on: date, certification: Certification, result: Any
) -> Finding | None:
    failing = [r for r in result.results if r.passed is False]
    if not failing:
        return None
    due = next_recheck_on(certification=certification, on=on)
    if due is None:
        return None
    days = (due - on).days
    level = rule.level_for(days)
    if level is None:
        return None
    records = [Record(_criterion_text(r), unit_id=certification.unit_id) for r in failing]
    unit = certification.unit
    return Finding(
        unit_id=unit.pk,
        period=str(due.year),
        level=level,
        measure=days,
        summary=(
            f"{unit.name}（{certification.ruleset} {certification.year}年认定）有 {len(failing)} "
            f"项指标未达标，距 {due:%Y-%m-%d} 复核还有 {days} 天"
        ),
        facts={
            "ruleset": certification.ruleset,
            "level": certification.level,
            "recheck": due.isoformat(),
            "days": days,
            "failing": [r.criterion.id for r in failing],
        },
        records=records,
        records_total=len(records),
    )


def _criterion_text(result: Any) -> str:
    criterion = result.criterion
    value = result.value
    shown = _percent(value) if isinstance(value, float) else ("—" if value is None else str(value))
    threshold = criterion.threshold
    limit = _percent(threshold) if isinstance(threshold, float) and threshold <= 1 else threshold
    text = f"{criterion.id} {criterion.indicator}：{shown}，标准 {criterion.op} {limit}"
    if result.gap:
        text += f"，差 {result.gap}"
    return text


# --------------------------------------------------------------------------------------------
# 困难人员多次服务仍未就业（托底）
# --------------------------------------------------------------------------------------------


def difficult_after_services(rule: WarningRule, on: date) -> list[Finding]:
    """Recognised difficult persons unemployed on ``on`` with at least the mildest level's
    number of services of the listed kinds in the window (one aggregated query)."""
    months = int(rule.param("window_months", 12))
    start = _same_day(rollups.add_months(rollups.month_of(on), -months), on) + timedelta(days=1)
    kinds = [str(k) for k in rule.param("services", ServiceKind.values)]
    recognised = DifficultyRecognition.objects.filter(
        definitions.recognition_in_force_q(on), outer_district(), person=OuterRef("pk")
    )
    unemployed = StatusEvent.objects.filter(
        definitions.in_force_q(on),
        outer_district(),
        person=OuterRef("pk"),
        status=definitions.UNEMPLOYED,
    )
    served = Q(service_records__kind__in=kinds, service_records__on__gte=start) & Q(
        service_records__on__lte=on
    )
    rows = (
        Person.objects.filter(Exists(recognised), Exists(unemployed))
        .annotate(n=Count("service_records", filter=served))
        .order_by("community_id", "-n", "pk")
        .values_list("pk", "community_id", "community__name", "n")
    )
    found: dict[int, Finding] = {}
    for person_id, community_id, name, n in rows:
        level = rule.level_for(n)
        if level is None:
            continue
        finding = found.get(community_id)
        if finding is None:
            finding = found[community_id] = Finding(
                community_id, _month_key(on), level, n, "", {"persons": 0, "since": str(start)}
            )
        if LEVEL_RANK[level] > LEVEL_RANK[finding.level]:
            finding.level = level
        finding.measure = max(finding.measure, n)
        finding.records_total += 1
        finding.facts["persons"] = finding.records_total
        if len(finding.records) < RECORDS_KEPT:
            finding.records.append(
                Record(f"{start:%Y-%m-%d} 以来服务 {n} 次，仍未就业", person_id=person_id)
            )
        finding.summary = (
            f"{name}有 {finding.records_total} 名就业困难人员经多次服务仍未就业（最多 "
            f"{int(finding.measure)} 次），应转专业援助、必要时公益性岗位托底"
        )
    return list(found.values())


def _same_day(month: date, on: date) -> date:
    """``on``'s day of month in ``month`` (the month's last day when it has no such day)."""
    last = rollups.month_end(month).day
    return month.replace(day=min(on.day, last))


DETECTORS: dict[str, Callable[[WarningRule, date], list[Finding]]] = {
    "registered_rise": registered_rise,
    "zero_family_overdue": zero_family_overdue,
    "mass_layoff": mass_layoff,
    "certified_drift": certified_drift,
    "difficult_after_services": difficult_after_services,
}
