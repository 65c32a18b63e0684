"""Every write of monitoring: the warnings run (fire once per rule version, unit and period;
raise a level, never lower it), acknowledging and closing a warning with a note, and building
the monthly roll-ups. Each is atomic and audited."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts.models import Role, User
from jiuye.audit.services import AuditDraft, audit_record, audit_records
from jiuye.monitoring import detectors, rollups
from jiuye.monitoring.models import (
    LEVEL_RANK,
    EarlyWarning,
    WarningLevel,
    WarningRecord,
    WarningState,
)
from jiuye.monitoring.rulebook import WarningRule, rulebook
from jiuye.units.models import Level, Unit
from jiuye.units.scope import sees_all_of

NOTE_MAX = 500


@dataclass
class RuleOutcome:
    rule: str
    version: str
    found: int = 0
    fired: int = 0
    raised: int = 0
    waiting: str = ""  # why the rule was not evaluated
    seconds: float = 0.0


@dataclass
class RunSummary:
    on: date
    rules: list[RuleOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def fired(self) -> int:
        return sum(r.fired for r in self.rules)

    @property
    def raised(self) -> int:
        return sum(r.raised for r in self.rules)

    def as_json(self) -> dict[str, Any]:
        return {
            "date": self.on.isoformat(),
            "fired": self.fired,
            "raised": self.raised,
            "rules": [
                {
                    "rule": r.rule,
                    "version": r.version,
                    "found": r.found,
                    "fired": r.fired,
                    "raised": r.raised,
                    "waiting": r.waiting,
                    "seconds": round(r.seconds, 3),
                }
                for r in self.rules
            ],
            "seconds": round(self.seconds, 3),
        }


@transaction.atomic
def warnings_run(*, actor: User | None, on: date) -> RunSummary:
    """Evaluate every rule of the rule book as of ``on``. A warning fires once per rule
    version, unit and period: running again (the same day or another day of the period) adds
    nothing, unless a unit reached a more severe level, which raises its open warning. The
    roll-ups are brought up to ``on``'s month first (the daily job keeps them current)."""
    if on > timezone.localdate():
        # A run for a day still to come would store months and fire warnings for periods that
        # have not happened (and every later write would keep those months).
        raise ValidationError(_("预警日期不能晚于今天。"))
    started = time.perf_counter()
    rollups.rollups_extend(through=on)
    summary = RunSummary(on)
    for rule in rulebook().rules:
        outcome = RuleOutcome(rule.id, rule.version)
        begun = time.perf_counter()
        try:
            findings = detectors.DETECTORS[rule.kind](rule, on)
        except detectors.Waiting as waiting:
            outcome.waiting = str(waiting)
            findings = []
        outcome.found = len(findings)
        _store(actor, rule, on, findings, outcome)
        outcome.seconds = time.perf_counter() - begun
        summary.rules.append(outcome)
    summary.seconds = time.perf_counter() - started
    audit_record(
        actor=actor,
        action="monitoring.warnings_run",
        changes={
            "date": [None, on.isoformat()],
            "fired": [None, summary.fired],
            "raised": [None, summary.raised],
        },
    )
    return summary


def _store(
    actor: User | None,
    rule: WarningRule,
    on: date,
    findings: list[detectors.Finding],
    outcome: RuleOutcome,
) -> None:
    """Store what is new, in a few statements, and raise the open warnings a finding makes
    more severe. Runs are serialised (``rollups_extend`` locks the roll-up state first)."""
    if not findings:
        return
    existing = {
        (w.unit_id, w.period): w
        for w in EarlyWarning.objects.select_for_update()
        .select_related("unit")
        .filter(
            rule_id=rule.id,
            rule_version=rule.version,
            period__in={f.period for f in findings},
        )
    }
    new = [f for f in findings if (f.unit_id, f.period) not in existing]
    created = EarlyWarning.objects.bulk_create(
        [
            EarlyWarning(
                rule_id=rule.id,
                rule_version=rule.version,
                unit_id=f.unit_id,
                period=f.period,
                kind=rule.kind,
                level=f.level,
                fired_on=on,
                summary=f.summary[:500],
                facts=f.facts,
                records_total=f.records_total,
            )
            for f in new
        ],
        batch_size=1000,
    )
    WarningRecord.objects.bulk_create(
        [record for warning, f in zip(created, new, strict=True) for record in _rows(warning, f)],
        batch_size=5000,
    )
    units = {u.pk: u for u in Unit.objects.filter(pk__in={f.unit_id for f in new})}
    audit_records(
        [
            AuditDraft(
                actor,
                "monitoring.warning_fire",
                warning,
                units[warning.unit_id],
                {"level": [None, warning.level], "period": [None, warning.period]},
            )
            for warning in created
        ]
    )
    outcome.fired += len(created)
    for finding in findings:
        warning = existing.get((finding.unit_id, finding.period))
        if warning is not None and _raise(actor, warning, on, finding):
            outcome.raised += 1


def _raise(actor: User | None, warning: EarlyWarning, on: date, finding: detectors.Finding) -> bool:
    """A more severe level for an open (or acknowledged) warning; never lower, never reopen."""
    if warning.state == WarningState.CLOSED:
        return False
    if LEVEL_RANK[finding.level] <= LEVEL_RANK[WarningLevel(warning.level)]:
        return False
    old = warning.level
    warning.level = finding.level
    warning.raised_on = on
    warning.summary = finding.summary[:500]
    warning.facts = finding.facts
    warning.records_total = finding.records_total
    warning.save(update_fields=["level", "raised_on", "summary", "facts", "records_total"])
    warning.records.all().delete()
    WarningRecord.objects.bulk_create(_rows(warning, finding))
    audit_record(
        actor=actor,
        action="monitoring.warning_raise",
        obj=warning,
        unit=warning.unit,
        changes={"level": [old, warning.level]},
    )
    return True


def _rows(warning: EarlyWarning, finding: detectors.Finding) -> list[WarningRecord]:
    return [
        WarningRecord(
            warning=warning,
            person_id=record.person_id,
            household_id=record.household_id,
            unit_id=record.unit_id,
            employer_id=record.employer_id,
            detail=record.detail[:300],
        )
        for record in finding.records
    ]


# --------------------------------------------------------------------------------------------
# Acknowledge and close
# --------------------------------------------------------------------------------------------


def may_handle(user: Any, warning: EarlyWarning) -> bool:
    """A data-role user who sees all of the warning's unit (its own staff, or the street or
    district above it) may acknowledge and close it; a grid coordinator sees part of a
    community only, and the auditor reads."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return warning.unit.level != Level.GRID and sees_all_of(user, warning.unit)


def may_run(user: Any) -> bool:
    """Whether ``user`` may start a warnings run from the web or the API: the district's
    users (the daily run and the command line run as the system)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "sees_personal_data", False)) and user.role == Role.DISTRICT


def _note(note: str) -> str:
    text = (note or "").strip()
    if not text:
        raise ValidationError({"note": _("请填写说明。")})
    if "\x00" in text:  # PostgreSQL refuses NUL in text: the user's mistake, not a 500
        raise ValidationError({"note": _("说明含有无效字符。")})
    if len(text) > NOTE_MAX:
        raise ValidationError({"note": _("说明不能超过 %(n)d 个字。") % {"n": NOTE_MAX}})
    return text


def _locked(actor: User, warning: EarlyWarning) -> EarlyWarning:
    locked = EarlyWarning.objects.select_for_update().select_related("unit").get(pk=warning.pk)
    if not may_handle(actor, locked):
        raise PermissionDenied(_("您不能处理该单位的预警。"))
    return locked


@transaction.atomic
def warning_acknowledge(*, actor: User, warning: EarlyWarning, note: str) -> EarlyWarning:
    """The responsible unit has seen the warning and says what it is doing about it."""
    text = _note(note)
    locked = _locked(actor, warning)
    if locked.state != WarningState.OPEN:
        raise ValidationError(_("只有待处理的预警可以确认。"))
    locked.state = WarningState.ACKNOWLEDGED
    locked.acknowledged_by = actor
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_note = text
    locked.save(update_fields=["state", "acknowledged_by", "acknowledged_at", "acknowledged_note"])
    audit_record(
        actor=actor,
        action="monitoring.warning_acknowledge",
        obj=locked,
        unit=locked.unit,
        changes={"state": [WarningState.OPEN, locked.state], "note": [None, text]},
    )
    return locked


@transaction.atomic
def warning_close(*, actor: User, warning: EarlyWarning, note: str) -> EarlyWarning:
    """The warning is dealt with (or unfounded), with what was done. A closed warning stays
    closed for its period: the rule does not fire again for that unit until the next one."""
    text = _note(note)
    locked = _locked(actor, warning)
    if locked.state == WarningState.CLOSED:
        raise ValidationError(_("该预警已关闭。"))
    old = locked.state
    locked.state = WarningState.CLOSED
    locked.closed_by = actor
    locked.closed_at = timezone.now()
    locked.closed_note = text
    locked.save(update_fields=["state", "closed_by", "closed_at", "closed_note"])
    audit_record(
        actor=actor,
        action="monitoring.warning_close",
        obj=locked,
        unit=locked.unit,
        changes={"state": [old, locked.state], "note": [None, text]},
    )
    return locked


@transaction.atomic
def rollups_build(*, actor: User | None = None, through: date | None = None) -> Any:
    summary = rollups.rollups_build(through=through)
    audit_record(
        actor=actor,
        action="monitoring.rollups_build",
        changes={
            "months": [None, f"{summary.first_month:%Y-%m}..{summary.last_month:%Y-%m}"],
            "rows": [None, summary.rows],
        },
    )
    return summary
