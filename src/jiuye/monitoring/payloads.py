"""The JSON shapes of warnings and warning rules, shared by ``jiuye warnings … --json`` and the
API (DESIGN.md "Interfaces": extend them, never break them)."""

from __future__ import annotations

from typing import Any

from jiuye.monitoring.models import EarlyWarning, WarningRecord
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
        "waiting": bool(rule.waiting_for),  # its data (``requires``) is not kept yet
    }


def _user_name(user: Any) -> str | None:
    return (user.full_name or user.username) if user is not None else None


def _at(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def record_json(record: WarningRecord, *, visible: bool) -> dict[str, Any]:
    """A record behind a warning: what it is (``person``, ``household``, ``employer``,
    ``unit``; "" when the row is gone), its id, its name (a person's name, a household's
    number, an employer's or a unit's name; None when the caller no longer sees that person or
    household), the unit's code (of a unit, or where an employer is located) and the line in
    words. Never an ID or phone number."""
    person, household, unit = record.person, record.household, record.unit
    employer = record.employer
    kind, pk, name = "", None, None
    if person is not None:
        kind, pk, name = "person", person.pk, person.name if visible else None
    elif household is not None:
        kind, pk, name = "household", household.pk, household.number if visible else None
    elif employer is not None:
        kind, pk, name = "employer", employer.pk, employer.name
    elif unit is not None:
        kind, pk, name = "unit", unit.pk, unit.name
    return {
        "kind": kind,
        "id": pk,
        "name": name,
        "unit": unit.code if unit is not None and kind in ("unit", "employer") else None,
        "detail": record.detail,
    }


def warning_detail_json(
    warning: EarlyWarning, records: list[tuple[WarningRecord, bool]]
) -> dict[str, Any]:
    """``warning_json`` with who acknowledged and closed it, when, and the records behind it
    (``behind``; each with whether the caller sees it)."""
    return {
        **warning_json(warning),
        "acknowledged_by": _user_name(warning.acknowledged_by),
        "acknowledged_at": _at(warning.acknowledged_at),
        "closed_by": _user_name(warning.closed_by),
        "closed_at": _at(warning.closed_at),
        "behind": [record_json(record, visible=seen) for record, seen in records],
    }
