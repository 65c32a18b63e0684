"""Each warning rule of the shipped rule book at its thresholds (just below, at, above, and the
level boundaries), then the run: fired once per rule version, unit and period, raised but never
lowered, a closed warning left closed, a new rule version firing again, acknowledgement and
closing with a note (audited), and the command line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import override_settings

from jiuye.audit.models import AuditEntry
from jiuye.casework import services as casework
from jiuye.monitoring import detectors, rulebook, services
from jiuye.monitoring.models import EarlyWarning, WarningLevel, WarningState
from jiuye.registry import services as registry
from jiuye.standards.models import Certification

D = date
TODAY = D(2027, 3, 1)  # service records may not lie after "today"


def rule(rule_id: str) -> rulebook.WarningRule:
    (found,) = [r for r in rulebook.rulebook().rules if r.id == rule_id]
    return found


@pytest.fixture(autouse=True)
def _fresh_rulebook() -> Iterator[None]:
    rulebook._load_cached.cache_clear()
    yield
    rulebook._load_cached.cache_clear()


def levels(findings: list[detectors.Finding]) -> dict[str, str]:
    from jiuye.units.models import Unit

    codes = dict(Unit.objects.values_list("pk", "code"))
    return {codes[f.unit_id]: f.level.value for f in findings}


# --------------------------------------------------------------------------------------------
# W-UNEMP-RISE: registered unemployed rising more than 10% / 20% / 50% month on month
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "level"),
    [
        (0, None),  # no rise
        (1, None),  # 10 → 11: exactly 10%, not more
        (2, "III"),  # 20%: above III's 10%, exactly II's 20%
        (3, "II"),  # 30%
        (5, "II"),  # 50%: exactly I's
        (6, "I"),  # 60%
    ],
)
def test_registered_rise_thresholds(
    tree: dict[str, Any], registered: Callable[..., Any], new: int, level: str | None
) -> None:
    for _ in range(10):
        registered(D(2026, 9, 1), unit="a1")
    for _ in range(new):
        registered(D(2026, 11, 10), unit="a1")
    found = levels(detectors.registered_rise(rule("W-UNEMP-RISE"), D(2026, 12, 5)))
    if level is None:
        assert found == {}
    else:
        # The community, its street and the district hold the same persons: all three rise.
        assert found == {"110108001001": level, "110108001": level, "110108": level}
        (finding,) = [
            f
            for f in detectors.registered_rise(rule("W-UNEMP-RISE"), D(2026, 12, 5))
            if f.unit_id == tree["a"].pk
        ]
        assert finding.period == "2026-11"
        assert finding.facts["before"] == 10 and finding.facts["now"] == 10 + new
        assert finding.records_total == new and all(r.person_id for r in finding.records)


def test_registered_rise_needs_a_base(tree: dict[str, Any], registered: Any) -> None:
    """Below min_base (5) at the earlier month's end no rise is computed: 4 → 8 is not 100%."""
    for _ in range(4):
        registered(D(2026, 9, 1), unit="a1")
    for _ in range(4):
        registered(D(2026, 11, 10), unit="a1")
    assert detectors.registered_rise(rule("W-UNEMP-RISE"), D(2026, 12, 5)) == []


# --------------------------------------------------------------------------------------------
# W-ZERO-OPEN: a zero family open past its CQ-2 due date (one month), by 0 / 30 / 90 days
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "level"),
    [
        (D(2026, 11, 14), None),  # a day before the due date
        (D(2026, 11, 15), None),  # the due date itself: still on time (DOMAIN §4)
        (D(2026, 11, 16), "III"),  # one day late
        (D(2026, 12, 15), "III"),  # 30 days late: exactly II's threshold, not more
        (D(2026, 12, 16), "II"),
        (D(2027, 2, 12), "II"),  # 89 days
        (D(2027, 2, 14), "I"),  # 91 days
    ],
)
def test_zero_family_overdue_thresholds(
    tree: dict[str, Any], person: Any, on: date, level: str | None
) -> None:
    person("a1", statuses=((D(2020, 1, 1), "unit"), (D(2026, 10, 15), "unemployed")))
    found = detectors.zero_family_overdue(rule("W-ZERO-OPEN"), on)
    assert levels(found) == ({} if level is None else {"110108001001": level})
    if level:
        (finding,) = found
        assert finding.records_total == 1 and finding.records[0].household_id
        assert finding.period == f"{on:%Y-%m}"


def test_zero_family_eliminated_is_not_warned(tree: dict[str, Any], person: Any) -> None:
    person(
        "a1",
        statuses=((D(2020, 1, 1), "unit"), (D(2026, 9, 1), "unemployed"), (D(2026, 11, 1), "unit")),
    )
    assert detectors.zero_family_overdue(rule("W-ZERO-OPEN"), D(2026, 12, 1)) == []


# --------------------------------------------------------------------------------------------
# W-CERT-DRIFT: a certified unit failing a criterion before its re-check (730 / 90 / 30 days)
# --------------------------------------------------------------------------------------------


def _certify_a(tree: dict[str, Any]) -> Certification:
    return Certification.objects.create(
        unit=tree["a"], ruleset="HD-2012", level="community", year=2025, certified_on=D(2025, 6, 1)
    )


@pytest.mark.parametrize(
    ("on", "level"),
    [
        (D(2026, 11, 29), "III"),  # 91 days before the re-check of 2027-02-28
        (D(2026, 11, 30), "II"),  # 90 days: at most 90
        (D(2027, 1, 28), "II"),  # 31 days
        (D(2027, 1, 29), "I"),  # 30 days
    ],
)
def test_certified_drift_levels_by_days_to_the_recheck(
    tree: dict[str, Any], person: Any, on: date, level: str
) -> None:
    _certify_a(tree)
    person("a1", statuses=((D(2020, 1, 1), "unit"), (D(2026, 6, 1), "unemployed", True)))
    found = detectors.certified_drift(rule("W-CERT-DRIFT"), on)
    assert levels(found) == {"110108001001": level}
    (finding,) = found
    assert finding.period == "2027"
    assert "HD-C1" in finding.facts["failing"]
    assert any(r.detail.startswith("HD-C1") for r in finding.records)


def test_certified_unit_meeting_its_criteria_is_not_warned(
    tree: dict[str, Any], person: Any
) -> None:
    _certify_a(tree)
    person("a1", statuses=((D(2020, 1, 1), "unit"),))
    assert detectors.certified_drift(rule("W-CERT-DRIFT"), D(2026, 12, 1)) == []


def test_revoked_certification_is_not_watched(tree: dict[str, Any], person: Any) -> None:
    cert = _certify_a(tree)
    cert.revoked_on = D(2026, 2, 1)
    cert.save()
    person("a1", statuses=((D(2020, 1, 1), "unit"), (D(2026, 6, 1), "unemployed", True)))
    assert detectors.certified_drift(rule("W-CERT-DRIFT"), D(2026, 12, 1)) == []


# --------------------------------------------------------------------------------------------
# W-DIFFICULT-SERVED: a recognised difficult person unemployed after 6 / 9 / 12 services (托底)
# --------------------------------------------------------------------------------------------


def _difficult(person: Any, services_on: list[date]) -> Any:
    p = person("a1", statuses=((D(2020, 1, 1), "unit"), (D(2025, 6, 1), "unemployed", True)))
    registry.recognition_create(
        actor=None, person=p, category="other", recognized_on=D(2025, 7, 1), note="测试"
    )
    for day in services_on:
        casework.service_record_create(actor=None, person=p, kind="guidance", on=day, today=TODAY)
    return p


@pytest.mark.parametrize(
    ("count", "level"), [(5, None), (6, "III"), (8, "III"), (9, "II"), (11, "II"), (12, "I")]
)
def test_difficult_after_services_thresholds(
    tree: dict[str, Any], person: Any, count: int, level: str | None
) -> None:
    _difficult(person, [D(2026, 1, 5 + i) for i in range(count)])
    found = detectors.difficult_after_services(rule("W-DIFFICULT-SERVED"), D(2026, 12, 5))
    assert levels(found) == ({} if level is None else {"110108001001": level})


def test_difficult_services_window_is_twelve_months(tree: dict[str, Any], person: Any) -> None:
    """Up to 2026-12-05 the window starts on 2025-12-06: a service on 2025-12-05 is out."""
    five = [D(2026, 3, 1 + i) for i in range(5)]
    _difficult(person, [D(2025, 12, 5), *five])
    on = D(2026, 12, 5)
    assert detectors.difficult_after_services(rule("W-DIFFICULT-SERVED"), on) == []
    _difficult(person, [D(2025, 12, 6), *five])
    assert len(detectors.difficult_after_services(rule("W-DIFFICULT-SERVED"), on)) == 1


def test_difficult_person_employed_again_is_not_warned(tree: dict[str, Any], person: Any) -> None:
    p = _difficult(person, [D(2026, 1, 5 + i) for i in range(7)])
    registry.person_change_status(actor=None, person=p, status="unit", since=D(2026, 11, 1))
    assert detectors.difficult_after_services(rule("W-DIFFICULT-SERVED"), D(2026, 12, 5)) == []


def test_mass_layoff_waits_only_without_employer_data(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The employers' layoff reports are kept (the jobs app, issue 16): the rule runs (its
    levels: ``tests/monitoring/test_mass_layoff.py``). Without the app that keeps what it
    ``requires`` it would wait, saying for what."""
    assert rule("W-MASS-LAYOFF").waiting_for == ""
    assert detectors.mass_layoff(rule("W-MASS-LAYOFF"), D(2026, 12, 5)) == []
    monkeypatch.setitem(rulebook.REQUIRES, "employers", ("jiuye.absent", "用人单位裁员报告"))
    with pytest.raises(detectors.Waiting, match="用人单位"):
        detectors.mass_layoff(rule("W-MASS-LAYOFF"), D(2026, 12, 5))


# --------------------------------------------------------------------------------------------
# The run: once per rule version, unit and period
# --------------------------------------------------------------------------------------------


def _zero_family(person: Any) -> Any:
    """A zero family emerging on 2026-09-10 (due 2026-10-10)."""
    return person("a1", statuses=((D(2020, 1, 1), "unit"), (D(2026, 9, 10), "unemployed")))


def _zero_warnings() -> list[EarlyWarning]:
    return list(EarlyWarning.objects.filter(rule_id="W-ZERO-OPEN").order_by("pk"))


def test_a_run_fires_once_per_rule_version_unit_and_period(
    tree: dict[str, Any], person: Any
) -> None:
    _zero_family(person)  # due 2026-10-10
    first = services.warnings_run(actor=None, on=D(2026, 11, 5))  # 26 days late: III
    (warning,) = _zero_warnings()
    assert (warning.level, warning.period, warning.state) == ("III", "2026-11", "open")
    assert warning.records.count() == warning.records_total == 1
    assert {r.rule: r.fired for r in first.rules}["W-ZERO-OPEN"] == 1
    # Again the same day, and another day of the month at the same level: nothing new.
    for day in (D(2026, 11, 5), D(2026, 11, 8)):
        again = services.warnings_run(actor=None, on=day)
        assert again.fired == 0 and again.raised == 0
    assert len(_zero_warnings()) == 1
    # Later in the month the family is 36 days late: the warning is raised to II, not doubled.
    raised = services.warnings_run(actor=None, on=D(2026, 11, 15))
    assert raised.raised == 1
    (warning,) = _zero_warnings()
    assert (warning.level, warning.raised_on) == ("II", D(2026, 11, 15))
    # A new period (month) fires a new warning.
    services.warnings_run(actor=None, on=D(2026, 12, 1))
    assert [w.period for w in _zero_warnings()] == ["2026-11", "2026-12"]
    assert AuditEntry.objects.filter(action="monitoring.warning_fire").count() == 2
    assert AuditEntry.objects.filter(action="monitoring.warning_raise").count() == 1
    assert AuditEntry.objects.filter(action="monitoring.warnings_run").count() == 5


def test_a_closed_warning_stays_closed_for_its_period(
    tree: dict[str, Any], person: Any, personas: dict[str, Any]
) -> None:
    _zero_family(person)
    services.warnings_run(actor=None, on=D(2026, 11, 5))
    (warning,) = _zero_warnings()
    services.warning_close(actor=personas["worker_a"], warning=warning, note="已安排公益性岗位")
    services.warnings_run(actor=None, on=D(2026, 11, 15))  # would raise it to II
    (warning,) = _zero_warnings()
    assert (warning.state, warning.level) == ("closed", "III")


def test_a_new_rule_version_fires_again(tree: dict[str, Any], person: Any, tmp_path: Path) -> None:
    _zero_family(person)
    services.warnings_run(actor=None, on=D(2026, 11, 5))
    text = rulebook.DEFAULT_FILE.read_text(encoding="utf-8")
    changed = tmp_path / "rules.toml"
    changed.write_text(text.replace('version = "2026.12"', 'version = "2027.1"', 1), "utf-8")
    with override_settings(JIUYE_WARNING_RULES=str(changed)):
        services.warnings_run(actor=None, on=D(2026, 11, 5))
    assert [(w.rule_version, w.period) for w in _zero_warnings()] == [
        ("2026.12", "2026-11"),
        ("2027.1", "2026-11"),
    ]


def test_a_malformed_rule_book_is_refused_with_where(tmp_path: Path, db: Any) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'version = "1"\n[[rule]]\nid = "X"\nkind = "registered_rise"\nop = ">"\n'
        'cites = ["§10"]\nlevels = [{ level = "IV", threshold = 1 }]\n',
        "utf-8",
    )
    with pytest.raises(rulebook.RuleBookError, match=r"rule 1 \(X\): level 1"):
        rulebook.load(bad)


# --------------------------------------------------------------------------------------------
# Acknowledge and close
# --------------------------------------------------------------------------------------------


def test_acknowledge_and_close_with_a_note(
    tree: dict[str, Any], person: Any, personas: dict[str, Any]
) -> None:
    _zero_family(person)
    services.warnings_run(actor=None, on=D(2026, 11, 5))
    (warning,) = _zero_warnings()
    worker = personas["worker_a"]
    with pytest.raises(ValidationError):
        services.warning_acknowledge(actor=worker, warning=warning, note="  ")
    for outsider in ("worker_b", "grid_a1", "auditor"):
        with pytest.raises(PermissionDenied):
            services.warning_acknowledge(actor=personas[outsider], warning=warning, note="看过")
    services.warning_acknowledge(actor=worker, warning=warning, note="已入户走访")
    with pytest.raises(ValidationError):
        services.warning_acknowledge(actor=worker, warning=warning, note="再次确认")
    # The street above the community may close it too.
    services.warning_close(actor=personas["street"], warning=warning, note="已实现就业")
    with pytest.raises(ValidationError):
        services.warning_close(actor=worker, warning=warning, note="再关一次")
    warning.refresh_from_db()
    assert warning.state == WarningState.CLOSED
    assert (warning.acknowledged_by, warning.acknowledged_note) == (worker, "已入户走访")
    assert (warning.closed_by, warning.closed_note) == (personas["street"], "已实现就业")
    entries = AuditEntry.objects.filter(object_id=str(warning.pk)).order_by("pk")
    assert [e.action for e in entries if e.action.startswith("monitoring.warning_")] == [
        "monitoring.warning_fire",
        "monitoring.warning_acknowledge",
        "monitoring.warning_close",
    ]


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def test_warnings_run_and_list_commands(tree: dict[str, Any], person: Any) -> None:
    _zero_family(person)
    out = StringIO()
    call_command("warnings", "run", "--date", "2026-11-05", "--json", stdout=out)
    run = json.loads(out.getvalue())
    assert run["fired"] >= 1
    assert not any(r["waiting"] for r in run["rules"])  # W-MASS-LAYOFF runs (issue 16)
    out = StringIO()
    call_command("warnings", "run", "--date", "2026-11-05", "--json", stdout=out)
    assert json.loads(out.getvalue())["fired"] == 0
    out = StringIO()
    call_command("warnings", "list", "--unit", "110108001001", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert [(r["rule"], r["unit"], r["period"], r["level"]) for r in rows] == [
        ("W-ZERO-OPEN", "110108001001", "2026-11", WarningLevel.III.value)
    ]
    out = StringIO()
    call_command("warnings", "list", "--unit", "110108002", "--json", stdout=out)
    assert json.loads(out.getvalue()) == []


def test_a_run_for_a_day_to_come_is_refused(db: Any) -> None:
    from django.core.management.base import CommandError
    from django.utils import timezone

    tomorrow = timezone.localdate().toordinal() + 1
    with pytest.raises(ValidationError):
        services.warnings_run(actor=None, on=date.fromordinal(tomorrow))
    with pytest.raises(CommandError, match="不能晚于今天"):
        call_command("warnings", "run", "--date", date.fromordinal(tomorrow).isoformat())
