"""The JSON shapes of warnings and warning rules, shared by ``jiuye warnings … --json`` and the
API (DESIGN.md "Interfaces": extend them, never break them)."""

from __future__ import annotations

from typing import Any

from jiuye.monitoring.models import EarlyWarning
from jiuye.monitoring.rulebook import WarningRule


def warning_json(warning: EarlyWarning) -> dict[str, Any]:
    return {
        "id": warning.pk,
        "rule": warning.rule_id,
        "version": warning.rule_version,
        "kind": warning.kind,
        "unit": warning.unit.code,
        "unit_name": warning.unit.name,
        "period": warning.period,
        "level": warning.level,
        "state": warning.state,
        "fired_on": warning.fired_on.isoformat(),
        "raised_on": warning.raised_on.isoformat() if warning.raised_on else None,
        "summary": warning.summary,
        "facts": warning.facts,
        "records": warning.records_total,
        "acknowledged_note": warning.acknowledged_note,
        "closed_note": warning.closed_note,
    }


def rule_json(rule: WarningRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "version": rule.version,
        "kind": rule.kind,
        "name": rule.name,
        "text": rule.text,
        "cites": list(rule.cites),
        "measure": rule.measure,
        "op": rule.op,
        "levels": [{"level": t.level.value, "threshold": t.value} for t in rule.levels],
        "params": rule.params,
        "requires": rule.requires,
    }
