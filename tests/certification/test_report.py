"""The acceptance report (验收报告): a PDF built from the steps' snapshots only (hand-made here
as the workflow writes them: ``evaluate_unit(...).as_json()`` and the rule set's facts), with
the criteria, the checklist's three columns, QG-2016's score sheet whose columns come from the
submit, review and accept steps of the current revision, and the signature block; counts only,
never the persons behind a shortfall."""

from __future__ import annotations

import copy
import re
from datetime import date
from io import BytesIO
from typing import Any

import pytest
from pypdf import PdfReader

from jiuye.certification.models import Application, Decision, State, Step, StepKind
from jiuye.certification.reports import acceptance_report_pdf, report_context
from jiuye.standards.evaluation import evaluate_unit
from jiuye.standards.models import Certification
from jiuye.standards.rulesets import ruleset_get
from tests.certification.conftest import FULL_ID

pytestmark = pytest.mark.django_db

ON = date(2026, 12, 1)
MOBILE = "139" + "8765" + "4321"  # a resident's number typed into a note (built, not literal)


def snapshot(unit: Any, ruleset_id: str, residents: list[Any]) -> dict[str, Any]:
    """A step's snapshot as the workflow writes it, with the persons behind HD-C1 / QG-3a (whom
    the report must not print)."""
    ruleset = ruleset_get(ruleset_id)
    evaluation = evaluate_unit(unit=unit, ruleset=ruleset, on=ON)
    level = evaluation.level
    first = evaluation.results[0].criterion
    return {
        "evaluation": evaluation.as_json(),
        "behind": {
            first.id: {
                "indicator": first.indicator,
                "title": "未就业人员",
                "total": len(residents),
                "capped": False,
                "rows": [
                    {
                        "kind": "person",
                        "name": p.name,
                        "detail": f"{p.id_number} {p.phone}",
                        "community": unit.pk,
                        "on": None,
                    }
                    for p in residents
                ],
            }
        },
        "ruleset": {
            "id": ruleset.id,
            "name": ruleset.name,
            "version": ruleset.version,
            "hash": ruleset.digest,
            "level": level.key,
            "level_name": level.name,
            "pass_mark": level.score.pass_mark if level.score is not None else None,
        },
        "children": [],
        "evidence": [
            {
                "item": "QG-1a",
                "role": "self",
                "name": "领导小组名单.pdf",
                "size": 20480,
                "sha256": "0123456789" * 6 + "abcd",
                "by": "社区工作人员",
                "at": "2026-11-30T09:00:00",
            }
        ],
    }


def step(
    app: Application, kind: str, snap: dict[str, Any], *, revision: int = 1, **kw: Any
) -> Step:
    decision = Decision.SUBMIT if kind in (StepKind.APPLY, StepKind.SUBMIT) else Decision.PASS
    return Step.objects.create(
        application=app,
        revision=revision,
        step=kind,
        decision=kw.pop("decision", decision),
        on=ON,
        ruleset_version=snap["ruleset"]["version"],
        ruleset_hash=snap["ruleset"]["hash"],
        snapshot=snap,
        **kw,
    )


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    reader = PdfReader(BytesIO(data))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """The text without its line breaks and spaces (a phrase may wrap in a table cell)."""
    return re.sub(r"\s+", "", text)


def no_resident(text: str, residents: list[Any]) -> None:
    for p in residents:
        assert p.name not in flat(text)
        assert p.id_number not in flat(text)
        assert p.phone not in flat(text)
    assert MOBILE not in flat(text)
    assert not re.search(FULL_ID, text)


def test_hd_community_report(tree: dict[str, Any], residents: list[Any]) -> None:
    a = tree["a"]
    app = Application.objects.create(
        unit=a, ruleset="HD-2012", level="community", year=2026, state=State.CERTIFIED
    )
    snap = snapshot(a, "HD-2012", residents)
    step(app, StepKind.APPLY, snap, user_name="社区王主任")
    step(app, StepKind.SUBMIT, snap, user_name="社区王主任", note=f"已自查，联系人电话 {MOBILE}")
    step(app, StepKind.REVIEW, snap, user_name="街道李科长", note="同意上报")
    step(app, StepKind.ACCEPT, snap, user_name="区就业局赵处长", note="验收通过")
    text = pdf_text(acceptance_report_pdf(application=app))
    words = flat(text)
    assert "验收报告" in words and "翠微社区" in words and "110108001001" in words
    hd = ruleset_get("HD-2012")
    assert hd.name in words and hd.version in words  # the edition the snapshot was judged by
    assert all(cid in words for cid in ("HD-C1", "HD-C2a", "HD-C2b", "HD-C3"))
    assert "未达标" in words and "涉及5条明细" in words  # the count behind HD-C1, not who
    for title in ("自评单位（盖章）", "街道初核意见", "区验收意见"):
        assert title in words
    assert "社区王主任" in words and "街道李科长" in words and "区就业局赵处长" in words
    assert "考核评分" not in words  # HD-2012 has no points table
    no_resident(text, residents)


def _scored(snap: dict[str, Any], role: str, points: int) -> dict[str, Any]:
    """``snap`` with every item of ``role``'s column worth ``points`` (and its total)."""
    out = copy.deepcopy(snap)
    score = out["evaluation"]["score"]
    for item in score["items"]:
        item[role] = points
    score[f"{role}_total"] = points * len(score["items"])
    return out


def test_qg_report_has_the_three_score_columns_from_their_steps(
    tree: dict[str, Any], residents: list[Any]
) -> None:
    a = tree["a"]
    app = Application.objects.create(
        unit=a, ruleset="QG-2016", level="community", year=2026, state=State.CERTIFIED
    )
    base = snapshot(a, "QG-2016", residents)
    assert base["evaluation"]["score"] is not None
    checklist = base["evaluation"]["checklist"]
    checklist[0]["self"] = {
        "ticked": True,
        "note": f"已成立，{residents[0].name}负责，电话 {MOBILE}",
        "evidence": "领导小组名单",
        "by": "社区王主任",
        "at": "2026-11-30T09:00",
    }
    checklist[0]["assessor"] = {
        "ticked": True,
        "note": "属实",
        "evidence": "",
        "by": "区就业局赵处长",
        "at": "2026-12-20T15:00",
    }
    step(app, StepKind.APPLY, base, user_name="社区王主任")
    # An earlier revision's self-assessment, returned: not what the report prints.
    step(app, StepKind.SUBMIT, _scored(base, "self", 1), user_name="社区王主任")
    step(app, StepKind.REVIEW, base, user_name="街道李科长", decision=Decision.RETURN)
    app.revision = 2
    app.save(update_fields=["revision"])
    step(app, StepKind.SUBMIT, _scored(base, "self", 9), revision=2, user_name="社区王主任")
    step(app, StepKind.REVIEW, _scored(base, "street", 8), revision=2, user_name="街道李科长")
    latest = _scored(_scored(base, "assessor", 7), "self", 2)  # its own self column: not used
    step(app, StepKind.ACCEPT, latest, revision=2, user_name="区就业局赵处长")

    context = report_context(app)
    score = context["score"]
    assert score["totals"] == [72, 64, 56]  # 9, 8 and 7 points for each of the eight items
    assert [item["cells"] for item in score["items"]] == [[9, 8, 7]] * 8
    assert score["pass_mark"] is None
    assert [s["user"] for _title, s in context["signatures"]] == [
        "社区王主任",
        "街道李科长",
        "区就业局赵处长",
    ]

    text = pdf_text(acceptance_report_pdf(application=app))
    words = flat(text)
    for heading in ("标准分", "自评分", "初核分", "验收分"):
        assert heading in words
    assert "翠微社区" in words and "QG-3a" in words
    assert "文件未规定合格分数线，由验收人认定" in words
    assert "自评" in words and "初核" in words and "验收" in words  # the checklist's columns
    assert "属实" in words and "领导小组名单" in words
    assert "第2次修订" in words
    no_resident(text, residents)


def test_a_report_before_any_review_leaves_the_signatures_blank(
    tree: dict[str, Any], residents: list[Any]
) -> None:
    app = Application.objects.create(
        unit=tree["a"], ruleset="HD-2012", level="community", year=2026, state=State.SUBMITTED
    )
    snap = snapshot(tree["a"], "HD-2012", residents)
    step(app, StepKind.SUBMIT, snap, user_name="社区王主任")
    context = report_context(app)
    assert [s is None for _title, s in context["signatures"]] == [False, True, True]
    words = flat(pdf_text(acceptance_report_pdf(application=app)))
    assert "街道初核意见" in words and "经办人" in words


def test_the_report_reads_snapshots_not_live_data(
    tree: dict[str, Any], residents: list[Any], person: Any
) -> None:
    """Data and certifications that change after the steps change nothing in the report."""
    a = tree["a"]
    app = Application.objects.create(
        unit=a, ruleset="HD-2012", level="community", year=2026, state=State.REVIEWED
    )
    step(app, StepKind.SUBMIT, snapshot(a, "HD-2012", residents), user_name="社区王主任")
    before = report_context(app)
    for _ in range(3):
        person("a", statuses=((date(2020, 1, 1), "unit"),))
    Certification.objects.create(
        unit=a, ruleset="HD-2012", level="community", year=2026, certified_on=date(2026, 12, 2)
    )
    after = report_context(app)
    assert after["criteria"] == before["criteria"]
    assert next(c for c in after["criteria"] if c["id"] == "HD-C1")["ratio"] == "1/5"


def test_pdf_templates_fetch_nothing() -> None:
    from jiuye.certification.pdf import FetchRefused, html_to_pdf, no_fetch

    with pytest.raises(FetchRefused):
        no_fetch("https://cdn.example.com/bootstrap.css")
    with pytest.raises(FetchRefused):
        no_fetch("file:///etc/passwd")
    # A stray link renders without the resource instead of reaching out.
    html = '<link rel="stylesheet" href="https://cdn.example.com/x.css"><p>公示</p>'
    assert html_to_pdf(html).startswith(b"%PDF")


def test_a_streets_report_lists_its_communities_certifications(
    tree: dict[str, Any], residents: list[Any]
) -> None:
    s1 = tree["s1"]
    app = Application.objects.create(
        unit=s1, ruleset="HD-2012", level="street", year=2026, state=State.SUBMITTED
    )
    snap = snapshot(s1, "HD-2012", residents)
    snap["children"] = [
        {
            "code": tree["a"].code,
            "name": tree["a"].name,
            "level": "community",
            "certified": True,
            "certified_on": "2025-12-20",
            "certification_level": "community",
        },
        {
            "code": tree["b"].code,
            "name": tree["b"].name,
            "level": "community",
            "certified": False,
            "certified_on": None,
            "certification_level": None,
        },
    ]
    step(app, StepKind.SUBMIT, snap, user_name="街道李科长")
    context = report_context(app)
    assert context["street_column"] is False  # a street is reviewed by no street
    words = flat(pdf_text(acceptance_report_pdf(application=app)))
    assert "万寿路街道" in words and "HD-S1" in words
    assert "下级单位认定情况" in words and "已认定，2025-12-20" in words and "复兴社区" in words
