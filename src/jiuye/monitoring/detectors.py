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
from jiuye.units.models import Unit

RECORDS_KEPT = 500  # records listed per warning (the total is kept beside them)


@dataclass(frozen=True)
class Record:
    detail: str
    person_id: int | None = None
    household_id: int | None = None
    unit_id: int | None = None


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


def mass_layoff(rule: WarningRule, on: date) -> list[Finding]:
    raise Waiting("用人单位裁员报告尚未纳入系统（DOMAIN §8，用人单位与岗位）")


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
        definitions.recognition_in_force_q(on), person=OuterRef("pk")
    )
    unemployed = StatusEvent.objects.filter(
        definitions.in_force_q(on), person=OuterRef("pk"), status=definitions.UNEMPLOYED
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
