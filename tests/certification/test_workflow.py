"""The certification workflow (DOMAIN §7) end to end for each rule set: apply, self-assessment
(自评), street review (初核), district acceptance (验收); returns open a new revision; every
refusal; frozen snapshots; a street applying with its communities' certifications."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from jiuye.audit.models import AuditEntry
from jiuye.certification import services as cert
from jiuye.certification.models import Application, Notice, State, Step
from jiuye.standards import services as std
from jiuye.standards.evaluation import certifications_in_force
from jiuye.standards.models import Certification
from jiuye.standards.rulesets import clear_cache, ruleset_get
from tests.conftest import _user

D = date
YEAR = 2026
DAY = D(2026, 12, 10)


@pytest.fixture
def street2(tree: dict[str, Any]) -> Any:
    return _user("street_s2", "street", [tree["s2"]])


@pytest.fixture
def a_passes(person: Callable[..., Any]) -> list[Any]:
    """Community A: three employed in one household (HD-C and CQ-1 pass)."""
    hh = None
    people = []
    for _ in range(3):
        p = person("a1", statuses=((D(2020, 1, 1), "unit"),), hh=hh)
        hh = p.household
        people.append(p)
    return people


@pytest.fixture
def a_fails(person: Callable[..., Any]) -> list[Any]:
    """Community A: 1 of 3 employed (HD-C1 fails)."""
    hh = None
    people = []
    for i in range(3):
        status = (D(2020, 1, 1), "unit") if i == 0 else (D(2020, 1, 1), "unemployed", True)
        p = person("a1", statuses=(status,), hh=hh, name=f"失业者{i}")
        hh = p.household
        people.append(p)
    return people


def _steps(application: Application) -> list[tuple[int, str, str]]:
    return [(s.revision, s.step, s.decision) for s in application.steps.order_by("id")]


def test_hd_community_return_resubmit_accept(
    tree: dict[str, Any], personas: dict[str, Any], a_passes: list[Any]
) -> None:
    hd = ruleset_get("HD-2012")
    worker, street, district = personas["worker_a"], personas["street"], personas["district"]
    app = cert.certification_apply(actor=worker, unit=tree["a"], ruleset=hd, year=YEAR, on=DAY)
    assert (app.state, app.level, app.revision) == (State.APPLIED, "community", 1)
    cert.certification_submit(actor=worker, application=app, note="自评达标", on=DAY)
    app.refresh_from_db()
    assert app.state == State.SUBMITTED
    # The street returns it with reasons: a new revision, the old steps kept as they were.
    with pytest.raises(ValidationError, match="理由"):
        cert.certification_review(actor=street, application=app, passed=False, on=DAY)
    cert.certification_review(
        actor=street, application=app, passed=False, note="台账不全，请补充", on=DAY
    )
    app.refresh_from_db()
    assert (app.state, app.revision) == (State.RETURNED, 2)
    assert Notice.objects.filter(unit=tree["a"], text__contains="台账不全").exists()
    cert.certification_submit(actor=worker, application=app, on=DAY)
    cert.certification_review(actor=street, application=app, passed=True, on=DAY)
    app.refresh_from_db()
    assert app.state == State.REVIEWED
    cert.certification_accept(actor=district, application=app, passed=True, note="同意", on=DAY)
    app.refresh_from_db()
    assert app.state == State.CERTIFIED and app.certification is not None
    assert (app.certification.certified_on, app.certification.year) == (DAY, YEAR)
    assert _steps(app) == [
        (1, "apply", "submit"),
        (1, "submit", "submit"),
        (1, "review", "return"),
        (2, "submit", "submit"),
        (2, "review", "pass"),
        (2, "accept", "pass"),
    ]
    # Certified: what S1 reads, from the acceptance day on.
    assert tree["a"].pk in certifications_in_force(
        ruleset="HD-2012", on=DAY, unit_ids=[tree["a"].pk]
    )
    accept = app.steps.get(step="accept")
    assert accept.ruleset_version == hd.version and accept.ruleset_hash == hd.digest
    assert accept.snapshot["evaluation"]["passed"] is True
    assert accept.snapshot["ruleset"]["hash"] == hd.digest
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "certification.apply",
        "certification.submit",
        "certification.return",
        "certification.review",
        "certification.accept",
        "standards.certify",
    } <= actions


def test_refusals(
    tree: dict[str, Any], personas: dict[str, Any], street2: Any, a_fails: list[Any]
) -> None:
    hd = ruleset_get("HD-2012")
    worker, street, district = personas["worker_a"], personas["street"], personas["district"]
    # Only the community's own worker applies.
    for who in ("worker_b", "street", "district", "grid_a1", "sysadmin", "auditor", "nobody"):
        with pytest.raises(PermissionDenied):
            cert.certification_apply(
                actor=personas[who], unit=tree["a"], ruleset=hd, year=YEAR, on=DAY
            )
    with pytest.raises(ValidationError):  # a year not begun
        cert.certification_apply(actor=worker, unit=tree["a"], ruleset=hd, year=2027, on=DAY)
    with pytest.raises(ValidationError):  # a level that is not a community's
        cert.certification_apply(
            actor=worker, unit=tree["a"], ruleset=hd, year=YEAR, level_key="street", on=DAY
        )
    app = cert.certification_apply(actor=worker, unit=tree["a"], ruleset=hd, year=YEAR, on=DAY)
    with pytest.raises(ValidationError):  # once per unit, level and year
        cert.certification_apply(actor=worker, unit=tree["a"], ruleset=hd, year=YEAR, on=DAY)
    # Not in this state: review or accept before the self-assessment.
    with pytest.raises(ValidationError, match="状态"):
        cert.certification_review(actor=street, application=app, passed=True, on=DAY)
    with pytest.raises(ValidationError, match="状态"):
        cert.certification_accept(actor=district, application=app, passed=True, on=DAY)
    with pytest.raises(PermissionDenied):
        cert.certification_submit(actor=personas["worker_b"], application=app, on=DAY)
    cert.certification_submit(actor=worker, application=app, on=DAY)
    # Wrong role, foreign street.
    for who in (worker, district, street2, personas["worker_b"], personas["grid_a1"]):
        with pytest.raises(PermissionDenied):
            cert.certification_review(actor=who, application=app, passed=True, on=DAY)
    # Failing data-decided criteria: cannot pass the review, only be returned.
    with pytest.raises(ValidationError, match="HD-C1"):
        cert.certification_review(actor=street, application=app, passed=True, on=DAY)
    app.refresh_from_db()
    assert app.state == State.SUBMITTED
    assert _steps(app) == [(1, "apply", "submit"), (1, "submit", "submit")]


def test_failing_criteria_cannot_be_accepted(
    tree: dict[str, Any], personas: dict[str, Any], a_fails: list[Any]
) -> None:
    """The system (the demo) may take any step, but no one accepts failing data."""
    hd = ruleset_get("HD-2012")
    app = cert.certification_apply(actor=None, unit=tree["a"], ruleset=hd, year=YEAR, on=DAY)
    cert.certification_submit(actor=None, application=app, on=DAY)
    Application.objects.filter(pk=app.pk).update(state=State.REVIEWED)  # past a lenient street
    app.refresh_from_db()
    for who in (personas["street"], personas["worker_a"]):
        with pytest.raises(PermissionDenied):
            cert.certification_accept(actor=who, application=app, passed=True, on=DAY)
    with pytest.raises(ValidationError, match="HD-C1"):
        cert.certification_accept(actor=personas["district"], application=app, passed=True, on=DAY)
    assert not Certification.objects.exists()
    cert.certification_accept(
        actor=personas["district"], application=app, passed=False, note="就业率未达标", on=DAY
    )
    app.refresh_from_db()
    assert (app.state, app.revision) == (State.RETURNED, 2)


def test_snapshots_never_change(
    tree: dict[str, Any], personas: dict[str, Any], a_passes: list[Any], person: Callable
) -> None:
    """After every step the registry changes; no earlier snapshot moves."""
    hd = ruleset_get("HD-2012")
    worker, street, district = personas["worker_a"], personas["street"], personas["district"]
    app = cert.certification_apply(actor=worker, unit=tree["a"], ruleset=hd, year=YEAR, on=DAY)
    taken: dict[int, Any] = {}

    def freeze_and_change(i: int) -> None:
        for step in Step.objects.filter(application=app):
            taken.setdefault(step.pk, copy.deepcopy(step.snapshot))
        # New data after the step: one more employed person in A, then in a new household.
        person("a1", statuses=((D(2021, 1, 1), "unit"),), name=f"后来{i}")
        for step in Step.objects.filter(application=app):
            assert step.snapshot == taken[step.pk]

    freeze_and_change(0)
    cert.certification_submit(actor=worker, application=app, on=DAY)
    freeze_and_change(1)
    cert.certification_review(actor=street, application=app, passed=True, on=DAY)
    freeze_and_change(2)
    cert.certification_accept(actor=district, application=app, passed=True, on=DAY)
    freeze_and_change(3)
    labor = [
        s.snapshot["evaluation"]["criteria"][0]["denominator"] for s in app.steps.order_by("id")
    ]
    assert labor == [3, 4, 5, 6]  # each step saw the registry of its moment
    step = app.steps.first()
    assert step is not None
    step.note = "改过"
    with pytest.raises(ValueError):
        step.save()


def test_snapshot_lists_the_persons_behind_a_shortfall(
    tree: dict[str, Any], personas: dict[str, Any], a_fails: list[Any]
) -> None:
    hd = ruleset_get("HD-2012")
    app = cert.certification_apply(
        actor=personas["worker_a"], unit=tree["a"], ruleset=hd, year=YEAR, on=DAY
    )
    snap = app.steps.get().snapshot
    behind = snap["behind"]["HD-C1"]
    assert behind["total"] == 2
    assert {r["name"] for r in behind["rows"]} == {"失业者1", "失业者2"}
    assert "HD-C3" not in snap["behind"] or snap["behind"]["HD-C3"]["total"] >= 0
    text = json.dumps(snap, ensure_ascii=False)
    for p in a_fails:  # names, never ID numbers
        assert p.id_number not in text


def _tick(actor: Any, unit: Any, ruleset: Any, items: list[str], role: str) -> None:
    for item in items:
        std.checklist_tick_set(
            actor=actor,
            unit=unit,
            ruleset=ruleset,
            item=item,
            year=YEAR,
            role=role,
            ticked=True,
            note="现场核实",
            evidence="照片",
        )


def test_cq_checklist_decided_by_each_reviewer(
    tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    """Community B has nobody: every data criterion holds; CQ-8's checklist decides."""
    cq = ruleset_get("CQ-2007")
    worker_b, street, district = personas["worker_b"], personas["street"], personas["district"]
    items = [c.id for c in cq.levels["community"].checklist]
    app = cert.certification_apply(actor=worker_b, unit=tree["b"], ruleset=cq, year=YEAR, on=DAY)
    _tick(worker_b, tree["b"], cq, items, "self")
    cert.certification_submit(actor=worker_b, application=app, on=DAY)
    with pytest.raises(ValidationError, match="初核未确认"):
        cert.certification_review(actor=street, application=app, passed=True, on=DAY)
    _tick(street, tree["b"], cq, items, "street")
    cert.certification_review(actor=street, application=app, passed=True, on=DAY)
    with pytest.raises(ValidationError, match="验收未确认"):
        cert.certification_accept(actor=district, application=app, passed=True, on=DAY)
    _tick(district, tree["b"], cq, items, "assessor")
    step = cert.certification_accept(actor=district, application=app, passed=True, on=DAY)
    checklist = step.snapshot["evaluation"]["checklist"]
    assert all(
        c["self"]["ticked"] and c["street"]["ticked"] and c["assessor"]["ticked"] for c in checklist
    )
    review = app.steps.get(step="review")
    assert all(c["assessor"] is None for c in review.snapshot["evaluation"]["checklist"])


@pytest.fixture
def pass_mark_85(settings: Any) -> Any:
    settings.JIUYE_PASS_MARKS = ["QG-2016=85"]
    clear_cache()
    yield
    clear_cache()


def test_qg_score_sheet_three_columns_and_pass_mark(
    tree: dict[str, Any], personas: dict[str, Any], pass_mark_85: Any
) -> None:
    qg = ruleset_get("QG-2016")
    assert qg.levels["community"].score.pass_mark == 85
    worker_b, street, district = personas["worker_b"], personas["street"], personas["district"]
    checklist = [c.id for c in qg.levels["community"].checklist]
    scored = qg.levels["community"].score.checklist_ids()
    app = cert.certification_apply(actor=worker_b, unit=tree["b"], ruleset=qg, year=YEAR, on=DAY)
    _tick(worker_b, tree["b"], qg, checklist + scored, "self")
    cert.certification_submit(actor=worker_b, application=app, on=DAY)
    _tick(street, tree["b"], qg, checklist + scored[:3], "street")
    cert.certification_review(actor=street, application=app, passed=True, on=DAY)
    _tick(district, tree["b"], qg, checklist, "assessor")  # no score ticks: well below 85
    with pytest.raises(ValidationError, match="合格分数线 85"):
        cert.certification_accept(actor=district, application=app, passed=True, on=DAY)
    _tick(district, tree["b"], qg, scored, "assessor")
    step = cert.certification_accept(actor=district, application=app, passed=True, on=DAY)
    score = step.snapshot["evaluation"]["score"]
    assert score["pass_mark"] == 85 and score["assessor_total"] >= 85
    assert score["self_total"] == score["assessor_total"] > score["street_total"]
    assert step.snapshot["ruleset"]["pass_mark"] == 85


def test_street_applies_with_its_communities(
    tree: dict[str, Any], personas: dict[str, Any], street2: Any, a_fails: list[Any]
) -> None:
    """S2 has community C (certified): S1 has A (failing) and B (certified), 1 of 2."""
    hd = ruleset_get("HD-2012")
    district = personas["district"]
    early = D(2026, 6, 30)
    for unit, worker in ((tree["b"], personas["worker_b"]), (tree["c"], None)):
        app = cert.certification_apply(actor=worker, unit=unit, ruleset=hd, year=YEAR, on=early)
        cert.certification_submit(actor=worker, application=app, on=early)
        cert.certification_review(actor=None, application=app, passed=True, on=early)
        cert.certification_accept(actor=district, application=app, passed=True, on=early)
    # A street is applied for by its own reviewers, and accepted by the district directly.
    with pytest.raises(PermissionDenied):
        cert.certification_apply(
            actor=personas["street"], unit=tree["s2"], ruleset=hd, year=YEAR, on=DAY
        )
    s2 = cert.certification_apply(actor=street2, unit=tree["s2"], ruleset=hd, year=YEAR, on=DAY)
    assert s2.level == "street"
    step = cert.certification_submit(actor=street2, application=s2, on=DAY)
    assert step.snapshot["children"] == [
        {
            "code": "110108002001",
            "name": "永定社区",
            "level": "community",
            "certified": True,
            "certified_on": "2026-06-30",
            "certification_level": "充分就业社区（村）",
        }
    ]
    with pytest.raises(ValidationError, match="不能初核"):  # no street review for a street
        cert.certification_review(actor=street2, application=s2, passed=True, on=DAY)
    with pytest.raises(PermissionDenied):  # nor does a street accept itself
        cert.certification_accept(actor=street2, application=s2, passed=True, on=DAY)
    cert.certification_accept(actor=district, application=s2, passed=True, on=DAY)
    s2.refresh_from_db()
    assert s2.state == State.CERTIFIED
    # S1: 1 of 2 communities certified (HD-S1 ≥ 80 % fails).
    s1 = cert.certification_apply(
        actor=personas["street"], unit=tree["s1"], ruleset=hd, year=YEAR, on=DAY
    )
    cert.certification_submit(actor=personas["street"], application=s1, on=DAY)
    with pytest.raises(ValidationError, match="HD-S1"):
        cert.certification_accept(actor=district, application=s1, passed=True, on=DAY)
    # A district's administrators do not accept their own district (a city's would).
    dist = cert.certification_apply(
        actor=district, unit=tree["district"], ruleset=hd, year=YEAR, on=DAY
    )
    cert.certification_submit(actor=district, application=dist, on=DAY)
    with pytest.raises(PermissionDenied):
        cert.certification_accept(actor=district, application=dist, passed=True, on=DAY)


def _cli(*args: str) -> str:
    out = StringIO()
    call_command("certification", *args, stdout=out)
    return out.getvalue()


def test_command_line(tree: dict[str, Any], personas: dict[str, Any], a_passes: list[Any]) -> None:
    common = ["110108001001", "--ruleset", "HD-2012", "--year", "2026", "--date", "2026-12-10"]
    _cli("apply", *common, "--user", "worker_a")
    _cli("submit", *common, "--user", "worker_a")
    with pytest.raises(CommandError, match="worker_a"):  # not a reviewer
        _cli("review", *common, "--user", "worker_a")
    with pytest.raises(CommandError, match="状态"):
        _cli("accept", *common, "--user", "district")
    _cli("review", *common, "--user", "street_s1", "--return", "--note", "补充佐证")
    _cli("submit", *common, "--user", "worker_a")
    _cli("review", *common, "--user", "street_s1")
    _cli("accept", *common, "--user", "district")
    data = json.loads(_cli("show", "110108001001", "--year", "2026", "--json"))
    assert {"unit", "ruleset", "year", "state", "revision", "steps"} <= set(data)
    assert (data["unit"], data["ruleset"], data["state"], data["revision"]) == (
        "110108001001",
        "HD-2012",
        "certified",
        2,
    )
    assert [s["step"] for s in data["steps"]] == [
        "apply",
        "submit",
        "review",
        "submit",
        "review",
        "accept",
    ]
    step = data["steps"][2]
    assert {"step", "user", "at", "decision", "note", "snapshot"} <= set(step)
    assert (step["decision"], step["note"], step["user"]) == ("return", "补充佐证", "street_s1")
    assert step["snapshot"]["evaluation"]["unit"] == "110108001001"
    with pytest.raises(CommandError):
        _cli("show", "110108001001", "--year", "2025", "--json")
    with pytest.raises(CommandError):
        _cli("submit", *common, "--user", "nosuchuser")
