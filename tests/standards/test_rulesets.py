"""Rule sets are data: the shipped files say exactly what DOMAIN §6 says, and a district adds its
own file in ``JIUYE_RULESETS_DIR`` without code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jiuye.standards import rulesets
from jiuye.standards.rulesets import RuleSetError, parse, ruleset_get


def _criteria(ruleset: str, level: str) -> list[tuple[str, str, str, float]]:
    return [
        (c.id, c.indicator, c.op, c.threshold_number)
        for c in ruleset_get(ruleset).level(level).criteria
    ]


def test_hd_2012_as_domain() -> None:
    assert _criteria("HD-2012", "community") == [
        ("HD-C1", "employment_rate", ">=", 0.9),
        ("HD-C2a", "difficult_employment_rate", ">=", 0.8),
        ("HD-C2b", "zero_families", "=", 0),
        ("HD-C2c", "pure_farming_families", "=", 0),
        ("HD-C3", "satisfaction_rate", ">=", 0.9),
    ]
    demo = ruleset_get("HD-2012").level("demonstration")
    assert [c.id for c in demo.criteria] == ["HD-C1", "HD-C2a", "HD-C2b", "HD-C2c", "HD-C3"]
    assert [i.id for i in demo.checklist] == ["HD-D1", "HD-D2", "HD-D3"]
    assert _criteria("HD-2012", "street") == [
        ("HD-S1", "certified_children_share", ">=", 0.8),
        ("HD-S2a", "employment_rate", ">=", 0.9),
        ("HD-S2b", "difficult_employment_rate", ">=", 0.8),
        ("HD-S2c", "zero_families", "=", 0),
        ("HD-S2d", "pure_farming_families", "=", 0),
        ("HD-S3", "satisfaction_rate", ">=", 0.9),
    ]
    assert _criteria("HD-2012", "district") == [
        ("HD-Q1", "certified_children_share", ">=", 0.8),
        ("HD-Q2a", "employment_rate", ">=", 0.9),
        ("HD-Q2b", "difficult_employment_rate", ">=", 0.8),
        ("HD-Q2c", "zero_families", "=", 0),
        ("HD-Q2d", "pure_farming_families", "=", 0),
        ("HD-Q2e", "registered_unemployment_rate", "<=", 0.015),
        ("HD-Q3", "training_mode_share", ">=", 0.5),
        # HD-Q4 computed from the employers' reports (issue 16; ticked before 2012.2)
        ("HD-Q4a", "contract_signing_rate", ">=", 0.98),
        ("HD-Q4b", "contract_renewal_rate", ">=", 0.9),
    ]
    district = ruleset_get("HD-2012").level("district")
    assert [(c.id, c.rule) for c in district.criteria][-2:] == [
        ("HD-Q4a", "HD-Q4"),
        ("HD-Q4b", "HD-Q4"),
    ]
    assert [(i.id, i.rule) for i in district.checklist] == [("HD-Q5", "HD-Q5")]


def test_cq_2007_as_domain() -> None:
    assert _criteria("CQ-2007", "community") == [
        ("CQ-1", "employment_rate", ">=", 0.95),
        ("CQ-2a", "zero_families_urban", "=", 0),
        # CQ-2 counts urban households only in every figure (DOMAIN readings of 2026-12, 3).
        ("CQ-2b", "zero_family_over_month_urban", "=", 0),
        ("CQ-3", "dibao_unemployed_share", "<=", 0.3),
        ("CQ-4", "guidance_on_time_rate", ">=", 1),
        ("CQ-5", "long_term_unemployed", "=", 0),
        ("CQ-6", "valid_complaints", "=", 0),
        ("CQ-7", "job_preparation_rate", ">=", 1),
    ]
    checklist = ruleset_get("CQ-2007").level("community").checklist
    assert {i.rule for i in checklist} == {"CQ-6", "CQ-7", "CQ-8"}
    assert len([i for i in checklist if i.rule == "CQ-8"]) == 4  # station, staff, budget, premises


def test_qg_2016_as_domain() -> None:
    assert _criteria("QG-2016", "community") == [
        ("QG-3a", "registered_unemployed_employment_rate", ">=", 0.8),
        ("QG-3b", "long_term_unemployed_urban", "=", 0),
        ("QG-3c", "zero_families", "=", 0),
        ("QG-3d", "referral_twice_rate", ">=", 1),
    ]
    checklist = ruleset_get("QG-2016").level("community").checklist
    assert {i.rule for i in checklist} == {"QG-1", "QG-2"}


def test_levels_apply_to_units() -> None:
    hd = ruleset_get("hd-2012")  # ids are case-insensitive
    assert [lv.key for lv in hd.levels_for("community")] == ["community", "demonstration"]
    assert [lv.key for lv in hd.levels_for("town")] == ["street"]
    assert hd.default_level("district").key == "district"  # type: ignore[union-attr]
    assert hd.default_level("grid") is None


EXTRA = """
id = "XC-2026"
name = "某区自定标准"
[level.community]
name = "社区"
units = ["community", "village"]
[[level.community.criteria]]
id = "XC-1"
indicator = "employment_rate"
op = ">="
threshold = 0.92
[[level.community.checklist]]
id = "XC-2"
text = "设有就业服务站"
"""


@pytest.fixture
def extra_dir(tmp_path: Path, settings: Any) -> Path:
    settings.JIUYE_RULESETS_DIR = str(tmp_path)
    rulesets.clear_cache()
    yield tmp_path
    rulesets.clear_cache()


def test_district_adds_its_own_rule_set(extra_dir: Path) -> None:
    (extra_dir / "xc-2026.toml").write_text(EXTRA, encoding="utf-8")
    rulesets.clear_cache()
    found = ruleset_get("XC-2026")
    assert found.name == "某区自定标准"
    assert [c.id for c in found.level("community").criteria] == ["XC-1"]
    assert {"HD-2012", "CQ-2007", "QG-2016", "XC-2026"} <= set(rulesets.rulesets())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = 'x'", "needs an id"),
        ("id = 'X'", "no [level.*]"),
        ("id = 'X'\n[level.a]\nunits = ['planet']", "units must be"),
        (
            "id = 'X'\n[level.a]\nunits = ['community']\n[[level.a.criteria]]\nid = 'X1'\n"
            "indicator = 'happiness'\nop = '>='\nthreshold = 1",
            "unknown indicator",
        ),
        (
            "id = 'X'\n[level.a]\nunits = ['community']\n[[level.a.criteria]]\nid = 'X1'\n"
            "indicator = 'employment_rate'\nop = '~'\nthreshold = 1",
            "unknown operator",
        ),
        (
            "id = 'X'\n[level.a]\nunits = ['community']\n[[level.a.criteria]]\nid = 'X1'\n"
            "indicator = 'employment_rate'\nop = '>='\nthreshold = 90",
            "[0, 1]",
        ),
        (
            "id = 'X'\n[level.a]\nunits = ['community']\n[[level.a.checklist]]\nid = 'X1'\n"
            "text = 'a'\n[[level.a.checklist]]\nid = 'X1'\ntext = 'b'",
            "duplicate",
        ),
        ("id = 'X'\n[level.a]\nunits = ['community']\nextends = 'b'", "extends"),
    ],
)
def test_broken_files_are_refused(text: str, message: str) -> None:
    import tomllib

    with pytest.raises(RuleSetError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(tomllib.loads(text), path="x.toml")


def test_unknown_rule_set() -> None:
    with pytest.raises(RuleSetError, match="unknown rule set"):
        ruleset_get("NOPE")
