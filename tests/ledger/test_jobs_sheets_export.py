"""The employers' sheets out and back in: the export's 用人单位, 岗位, 劳动合同, 裁员 and the
persons sheet's 求职意向/技能证书; export → import into an empty database → export gives the same
workbook; contracts' numbers (full only for visible registry persons in a revealed export,
masked otherwise, and a masked one is refused on import); the template; the 岗位开发及需求 and
用工需求 ledgers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from tests.conftest import make_id
from tests.ledger.conftest import TODAY
from tests.ledger.jobs_book import JobsBook
from tests.ledger.test_export import _export, _values, _wipe

from jiuye.lib.masking import mask_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(tree: dict[str, Any]) -> Any:
    from jiuye.registry import services as registry

    household = registry.household_create(
        actor=None, number="JX-001", unit=tree["c"], hukou_type="urban"
    )
    return registry.person_create(
        actor=None,
        id_number=make_id(date(1981, 3, 4)),
        name="孙立",
        household=household,
        job_intent="保洁、保安",
        certificates="保安员证、急救证",
    )


@pytest.fixture
def jobs(tree: Any, resident: Any, tmp_path: Path, run_import: Any) -> JobsBook:
    """The employers' book imported, with the registry person's contract."""
    book = JobsBook(resident=resident.id_number)
    result = run_import(book.save(tmp_path / "jobs.xlsx"))
    assert result.ok, result.issues
    return book


def _rows(sheets: dict[str, list[tuple[Any, ...]]], name: str) -> list[dict[str, Any]]:
    head, *rows = sheets[name]
    return [dict(zip(head, row, strict=True)) for row in rows]


def test_the_data_sheets_out(jobs: JobsBook, resident: Any, tree: Any, tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    _export(path, tree["district"])
    sheets = _values(path)
    employers = _rows(sheets, "用人单位")
    assert [(e["统一社会信用代码"], e["职工人数"]) for e in employers] == [
        (jobs.usccs["a"], 40),
        (jobs.usccs["a"], 45),
        (jobs.usccs["c"], None),
    ]
    postings = _rows(sheets, "岗位")
    assert [p["岗位编号"] for p in postings] == ["GW-001", "GW-002"]
    assert postings[0]["工作地点单位代码"] == "110108001001A1" and postings[1]["公益性岗位"] == "是"
    contracts = _rows(sheets, "劳动合同")
    numbers = {c["公民身份号码"] for c in contracts}
    # Revealed: the registry person's full number; the outsider's is kept masked only.
    assert resident.id_number in numbers and mask_id_number(jobs.outsider) in numbers
    assert jobs.outsider not in numbers
    assert {c["事项"] for c in contracts} == {"签订", "续订"}
    assert _rows(sheets, "裁员")[0]["原因"] == "经营困难"
    person = _rows(sheets, "人员")[0]
    assert (person["求职意向"], person["技能证书"]) == ("保洁、保安", "保安员证、急救证")


def test_a_masked_export_masks_contracts_but_never_a_uscc(
    jobs: JobsBook, resident: Any, tree: Any, tmp_path: Path
) -> None:
    path = tmp_path / "masked.xlsx"
    _export(path, tree["district"], reveal=False)
    sheets = _values(path)
    flat = [str(v) for rows in sheets.values() for row in rows for v in row if v is not None]
    assert resident.id_number not in flat and jobs.outsider not in flat
    for name in ("用人单位", "岗位", "劳动合同", "裁员"):
        assert {r["统一社会信用代码"] for r in _rows(sheets, name)} <= set(jobs.usccs.values())
    assert jobs.usccs["a"] in {r["统一社会信用代码"] for r in _rows(sheets, "用工需求台账")}


def test_re_importing_the_export_refuses_masked_contracts_and_changes_nothing(
    jobs: JobsBook, tree: Any, tmp_path: Path, run_import: Any
) -> None:
    from tests.ledger.test_jobs_sheets import _snapshot

    path = tmp_path / "again.xlsx"
    _export(path, tree["district"])
    before = _snapshot()
    result = run_import(path)
    assert not result.written
    assert [(i.sheet, i.code) for i in result.issues] == [("劳动合同", "id_masked")] * 2
    partial = run_import(path, mode="partial")
    assert partial.written and partial.inserted == 0 and partial.updated == 0
    assert _snapshot() == before


def test_export_import_export_gives_the_same_workbook(
    tree: Any, resident: Any, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.jobs.models import ContractEvent
    from jiuye.units.models import Unit

    book = JobsBook(resident=resident.id_number)
    book.sheets["劳动合同"] = book.sheets["劳动合同"][:1] + book.sheets["劳动合同"][3:]
    assert run_import(book.save(tmp_path / "jobs.xlsx")).ok
    first = tmp_path / "first.xlsx"
    _export(first, tree["district"])
    _wipe()
    result = run_import(first)
    assert result.ok, result.issues
    assert ContractEvent.objects.get().person is not None  # linked again
    second = tmp_path / "second.xlsx"
    _export(second, Unit.objects.get(code="110108"))
    assert _values(first) == _values(second)
    assert first.read_bytes() == second.read_bytes()


def test_a_units_export_holds_its_employers_and_the_postings_there(
    jobs: JobsBook, tree: Any, personas: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "a.xlsx"
    _export(path, tree["a"])
    sheets = _values(path)
    assert {r["统一社会信用代码"] for r in _rows(sheets, "用人单位")} == {jobs.usccs["a"]}
    assert [r["岗位编号"] for r in _rows(sheets, "岗位")] == ["GW-001"]
    assert len(_rows(sheets, "劳动合同")) == 2 and not _rows(sheets, "裁员")
    # worker_b (community B) exports their own community: none of these.
    path = tmp_path / "b.xlsx"
    _export(path, tree["b"], reveal=False, actor=personas["worker_b"])
    sheets = _values(path)
    assert not _rows(sheets, "用人单位") and not _rows(sheets, "岗位")


def test_a_posting_here_of_an_employer_elsewhere_brings_its_employer_and_unit(
    jobs: JobsBook, tree: Any, tmp_path: Path
) -> None:
    from jiuye.jobs.models import Posting

    Posting.objects.filter(number="GW-002").update(unit=tree["a2"])
    path = tmp_path / "a.xlsx"
    _export(path, tree["a"])
    sheets = _values(path)
    assert [r["岗位编号"] for r in _rows(sheets, "岗位")] == ["GW-001", "GW-002"]
    employers = {r["统一社会信用代码"]: r for r in _rows(sheets, "用人单位")}
    assert set(employers) == set(jobs.usccs.values())
    assert employers[jobs.usccs["c"]]["职工人数"] is None
    assert "110108002001" in {r["代码"] for r in _rows(sheets, "单位")}


def test_the_postings_and_demand_ledgers(
    jobs: JobsBook, resident: Any, tree: Any, tmp_path: Path
) -> None:
    from jiuye.jobs.models import Employer, Posting
    from jiuye.jobs.services import hire_record

    repair = Posting.objects.get(number="GW-001")
    hire_record(
        actor=None,
        employer=Employer.objects.get(uscc=jobs.usccs["a"]),
        person=resident,
        on=date(2026, 11, 2),
        posting=repair,
        today=TODAY,
    )
    path = tmp_path / "ledgers.xlsx"
    _export(path, tree["district"], reveal=False)
    sheets = _values(path)
    developed = _rows(sheets, "岗位开发及需求台账")
    # GW-001 was published this year (the period); GW-002 in 2025 but is still open.
    assert [
        (r["岗位编号"], r["需求人数"], r["已录用"], r["空缺"], r["状态"]) for r in developed
    ] == [
        ("GW-002", 2, 0, 2, "在招"),
        ("GW-001", 3, 1, 2, "在招"),
    ]
    assert developed[1]["用人单位"] == "翠微物业公司"
    assert developed[1]["统一社会信用代码"] == jobs.usccs["a"]
    assert developed[1]["薪酬待遇"] == "4000-6000元/月"
    assert "学历初中以上" in developed[1]["岗位要求"] and "20-50岁" in developed[1]["岗位要求"]
    assert developed[0]["公益性岗位"] == "是" and developed[0]["薪酬待遇"] == "面议"
    demand = {r["统一社会信用代码"]: r for r in _rows(sheets, "用工需求台账")}
    a = demand[jobs.usccs["a"]]
    assert (
        a["职工人数"],
        a["在招岗位"],
        a["在招需求人数"],
        a["已录用"],
        a["用工需求（空缺）"],
    ) == (
        45,
        1,
        3,
        1,
        2,
    )
    assert (a["本期开发岗位"], a["本期开发需求人数"]) == (1, 3)
    c = demand[jobs.usccs["c"]]
    assert (c["用工需求（空缺）"], c["本期开发岗位"]) == (2, 0)
    info = dict(sheets["说明"])
    assert "用工需求" in info["用工需求台账"]


def test_a_closed_posting_leaves_the_demand(jobs: JobsBook, tree: Any, tmp_path: Path) -> None:
    from jiuye.jobs.models import Posting

    Posting.objects.filter(number="GW-002").update(closes_on=date(2025, 12, 31))
    path = tmp_path / "closed.xlsx"
    _export(path, tree["district"])
    sheets = _values(path)
    assert [r["岗位编号"] for r in _rows(sheets, "岗位开发及需求台账")] == ["GW-001"]
    demand = {r["统一社会信用代码"]: r for r in _rows(sheets, "用工需求台账")}
    assert demand[jobs.usccs["c"]]["用工需求（空缺）"] == 0


def test_the_template_has_the_sheets_and_columns(tmp_path: Path) -> None:
    from tests.ledger.jobs_book import CONTRACT_HEAD, EMPLOYER_HEAD, LAYOFF_HEAD, POSTING_HEAD

    from jiuye.ledger.template import write_template

    path = tmp_path / "template.xlsx"
    write_template(path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[-4:] == ["用人单位", "岗位", "劳动合同", "裁员"]
    for name, head in (
        ("用人单位", EMPLOYER_HEAD),
        ("岗位", POSTING_HEAD),
        ("劳动合同", CONTRACT_HEAD),
        ("裁员", LAYOFF_HEAD),
    ):
        assert [c.value for c in workbook[name][1]] == head
    persons = [c.value for c in workbook["人员"][1]]
    assert persons[-2:] == ["求职意向", "技能证书"]
    contracts = workbook["劳动合同"]
    lists = [dv.formula1 for dv in contracts.data_validations.dataValidation if dv.type == "list"]
    assert any("签订" in f and "续订" in f and "终止" in f for f in lists)
    described = {r[1].value for r in workbook["填写说明"].iter_rows() if r[0].value == "岗位"}
    assert "公益性岗位" in described


def test_the_command_line_exports_and_imports_them(
    jobs: JobsBook, tree: Any, tmp_path: Path
) -> None:
    import io

    from django.core.management import call_command

    path = tmp_path / "cli.xlsx"
    out = io.StringIO()
    call_command("export", "ledgers", "110108", "-o", str(path), stdout=out)
    assert "岗位开发及需求台账 2" in out.getvalue() and "用人单位 3" in out.getvalue()


def test_a_number_typed_into_an_employers_text_is_masked(
    jobs: JobsBook, tree: Any, tmp_path: Path
) -> None:
    from jiuye.jobs.models import Posting

    typed = make_id(date(1970, 7, 7))
    Posting.objects.filter(number="GW-001").update(skills=f"联系人身份证 {typed}")
    path = tmp_path / "typed.xlsx"
    _export(path, tree["district"], reveal=False)
    flat = [str(v) for rows in _values(path).values() for row in rows for v in row if v]
    assert not any(typed in cell for cell in flat)
    assert any(mask_id_number(typed) in cell for cell in flat)
