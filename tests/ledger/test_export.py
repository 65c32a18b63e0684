"""The ten ledgers out, and back in: export → import into an empty database → export gives the
same workbook; masking, reveal and its audit; the template."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from tests.conftest import make_id
from tests.districts import district_mismatches
from tests.ledger.conftest import TODAY, codes, phone

from jiuye.lib.masking import mask_id_number, mask_phone

pytestmark = pytest.mark.django_db

LEDGER_SHEETS = [
    "劳动力资源台账",
    "下岗失业人员台账",
    "就业困难群体台账",
    "登记失业高校毕业生台账",
    "复转军人台账",
    "农民工台账",
    "就业再就业培训台账",
    "就业服务台账",
    "政策落实台账",
    "岗位开发及需求台账",
    "用工需求台账",
]
DATA_SHEETS = [
    "单位",
    "户",
    "人员",
    "就业状态",
    "困难认定",
    "服务记录",
    "用人单位",
    "岗位",
    "劳动合同",
    "裁员",
]


@pytest.fixture
def district(tree: dict[str, Any]) -> dict[str, Any]:
    """Persons in A (two grids) and C with every kind of record, made through the services."""
    from jiuye.casework import services as casework
    from jiuye.registry import services as registry

    def household(unit: str, number: str, **kw: Any) -> Any:
        return registry.household_create(
            actor=None, number=number, unit=tree[unit], hukou_type=kw.pop("hukou", "urban"), **kw
        )

    h1 = household("a1", "RT-001", address="翠微路2号", dibao=True)
    h2 = household("a2", "RT-002", hukou="agricultural")
    h3 = household("c", "RT-003", hukou="converted", address="永定路9号")
    people = {}
    people["mother"] = registry.person_create(
        actor=None,
        id_number=make_id(date(1976, 2, 3), male=False),
        name="周丽",
        household=h1,
        relation="户主",
        phone=phone(),
        female_base=50,
        education="高中",
        skill_level="初级工",
    )
    people["son"] = registry.person_create(
        actor=None,
        id_number=make_id(date(2002, 8, 9)),
        name="周明",
        household=h1,
        relation="子",
        education="本科",
        graduate_year=2024,
    )
    people["vet"] = registry.person_create(
        actor=None,
        id_number=make_id(date(1985, 4, 5)),
        name="吴军",
        household=h2,
        relation="户主",
        veteran=True,
        migrant_worker=True,
        poverty_labor=True,
        phone=phone(),
    )
    people["old"] = registry.person_create(
        actor=None,
        id_number=make_id(date(1950, 1, 1)),
        name="郑老",
        household=h3,
        relation="户主",
        able=False,
        willing=False,
    )
    change = registry.person_change_status
    change(
        actor=None,
        person=people["mother"],
        status="unit",
        since=date(2015, 1, 1),
        employer="纺织厂",
    )
    change(
        actor=None,
        person=people["mother"],
        status="unemployed",
        since=date(2025, 6, 1),
        registered=True,
        cause="企业关停",
    )
    change(actor=None, person=people["son"], status="student", since=date(2018, 9, 1))
    change(
        actor=None,
        person=people["son"],
        status="unemployed",
        since=date(2024, 7, 1),
        registered=True,
        cause="毕业未就业",
    )
    change(
        actor=None,
        person=people["vet"],
        status="flexible",
        since=date(2022, 3, 1),
        employer="外卖配送",
    )
    change(actor=None, person=people["old"], status="retired", since=date(2010, 1, 1))
    registry.recognition_create(
        actor=None, person=people["mother"], category="4050", recognized_on=date(2025, 7, 1)
    )
    registry.recognition_create(
        actor=None,
        person=people["vet"],
        category="other",
        recognized_on=date(2023, 1, 1),
        ended_on=date(2024, 1, 1),
        note="临时困难",
    )
    record = casework.service_record_create
    for person, kind, on, extra in (
        ("mother", "guidance", date(2025, 6, 3), {"note": "首次"}),
        ("mother", "guidance", date(2025, 6, 3), {"note": "首次"}),  # the same, twice
        ("mother", "referral", date(2026, 8, 1), {}),
        (
            "mother",
            "policy",
            date(2026, 2, 1),
            {"policy_name": "灵活就业社保补贴", "amount": "1234.50"},
        ),
        (
            "son",
            "training",
            date(2026, 3, 1),
            {"training_mode": "order", "completed": True, "certified": True, "by_name": "培训中心"},
        ),
        ("son", "training", date(2026, 5, 1), {"training_mode": "other", "enrolled": False}),
        ("son", "survey", date(2026, 6, 1), {"outcome": "very_satisfied"}),
        ("vet", "complaint", date(2026, 1, 9), {"valid": True, "note": "服务态度"}),
        ("vet", "visit", date(2026, 4, 4), {}),
    ):
        record(actor=None, person=people[person], kind=kind, on=on, today=TODAY, **extra)
    casework.profile_update(
        actor=None,
        person=people["mother"],
        family_situation="夫妻离异",
        training_need="家政培训",
        destination="社区岗位",
        social_insurance="灵活就业参保",
        today=TODAY,
    )
    return people


def _export(
    path: Path, unit: Any, *, reveal: bool = True, actor: Any = None, reason: str = "往返测试"
) -> Any:
    from jiuye.ledger.export import export_ledgers

    return export_ledgers(
        actor=actor,
        unit=unit,
        target=path,
        on=TODAY,
        reveal=reveal,
        reason=reason if reveal else "",
    )


def _values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    workbook = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def _wipe() -> None:
    """Empty the unit tree, the registry and casework (the audit log stays)."""
    from jiuye.accounts.models import Membership
    from jiuye.casework.models import (
        AssistanceCase,
        ServiceRecord,
        UnemployedProfile,
        ZeroFamilyCase,
    )
    from jiuye.jobs.models import Employer, Hire, Posting, Referral
    from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
    from jiuye.units.models import Unit

    for model in (
        Hire,
        Referral,
        Posting,
        Employer,
        ServiceRecord,
        UnemployedProfile,
        ZeroFamilyCase,
        AssistanceCase,
        DifficultyRecognition,
        StatusEvent,
        Person,
        Household,
        Membership,
    ):
        model.objects.all().delete()
    for unit in sorted(Unit.objects.all(), key=lambda u: -len(u.path)):
        unit.delete()


def test_export_import_export_gives_the_same_workbook(
    tree: Any, district: Any, tmp_path: Path, run_import: Any
) -> None:
    first = tmp_path / "first.xlsx"
    summary = _export(first, tree["district"])
    assert summary.persons == 4
    _wipe()
    from jiuye.registry.models import Person

    assert not Person.objects.exists()
    result = run_import(first)
    assert result.ok, result.issues
    assert district_mismatches() == {}  # ten-clears profiles included
    from jiuye.units.models import Unit

    second = tmp_path / "second.xlsx"
    _export(second, Unit.objects.get(code="110108"))
    assert _values(first) == _values(second)
    assert first.read_bytes() == second.read_bytes()


def test_round_trip_across_continuation_sheets(
    tree: Any, district: Any, tmp_path: Path, run_import: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet longer than Excel allows continues on "人员(2)"…; an import reads them as one."""
    from jiuye.ledger import export

    monkeypatch.setattr(export, "SHEET_ROWS", 2)
    first = tmp_path / "split.xlsx"
    _export(first, tree["district"])
    names = openpyxl.load_workbook(first, read_only=True).sheetnames
    assert {"人员", "人员(2)", "就业状态(3)", "服务记录(5)"} <= set(names)
    _wipe()
    assert run_import(first).ok
    from jiuye.units.models import Unit

    second = tmp_path / "split2.xlsx"
    _export(second, Unit.objects.get(code="110108"))
    assert first.read_bytes() == second.read_bytes()


def test_the_ten_ledgers(tree: Any, district: Any, tmp_path: Path) -> None:
    path = tmp_path / "ledgers.xlsx"
    _export(path, tree["district"])
    sheets = _values(path)
    assert list(sheets) == ["说明", *LEDGER_SHEETS, *DATA_SHEETS]
    unemployed = sheets["下岗失业人员台账"]
    head = list(unemployed[0])
    for field in (
        "失业时间",
        "失业原因",
        "家庭状况",
        "就业愿望",
        "培训要求",
        "技能水平",
        "就业去向",
        "政策享受",
        "社会保险关系",
        "十清完整",
        "缺项",
    ):
        assert field in head
    rows = {r[head.index("姓名")]: dict(zip(head, r, strict=True)) for r in unemployed[1:]}
    assert set(rows) == {"周丽", "周明"}
    mother = rows["周丽"]
    assert mother["十清完整"] == "是" and mother["缺项"] is None
    assert mother["政策享受"] == "已享受：灵活就业社保补贴"
    assert rows["周明"]["十清完整"] == "否" and "家庭状况" in rows["周明"]["缺项"]
    graduates = sheets["登记失业高校毕业生台账"]
    assert [r[1] for r in graduates[1:]] == ["周明"]
    difficult = {r[1] for r in sheets["就业困难群体台账"][1:]}
    assert "周丽" in difficult  # recognised 4050, dibao household
    assert [r[1] for r in sheets["复转军人台账"][1:]] == ["吴军"]
    assert [r[1] for r in sheets["农民工台账"][1:]] == ["吴军"]
    assert len(sheets["就业再就业培训台账"]) == 3
    # Service ledgers cover the period (default: the year to the date): 2025's guidance is out.
    assert [r[6] for r in sheets["就业服务台账"][1:]] == ["职业介绍"]
    policy = sheets["政策落实台账"][1]
    assert policy[6] == "灵活就业社保补贴" and policy[7] == 1234.5
    labor = [r[1] for r in sheets["劳动力资源台账"][1:]]
    assert "郑老" not in labor and "吴军" in labor  # of working age only
    assert len(sheets["岗位开发及需求台账"]) == 1


def test_masked_by_default_and_not_importable(
    tree: Any, district: Any, tmp_path: Path, run_import: Any
) -> None:
    path = tmp_path / "masked.xlsx"
    summary = _export(path, tree["district"], reveal=False)
    assert not summary.revealed
    sheets = _values(path)
    mother = district["mother"]
    flat = [str(v) for rows in sheets.values() for row in rows for v in row if v is not None]
    assert mother.id_number not in flat and mother.phone not in flat
    assert mask_id_number(mother.id_number) in flat and mask_phone(mother.phone) in flat
    result = run_import(path, mode="dry_run")
    assert "id_masked" in codes(result)


def test_reveal_needs_the_grant_and_a_reason_and_is_audited(
    personas: dict[str, Any], district: Any, tree: Any, tmp_path: Path
) -> None:
    from jiuye.audit.models import AuditEntry

    worker = personas["worker_a"]
    with pytest.raises(PermissionDenied):
        _export(tmp_path / "x.xlsx", tree["a"], actor=worker)
    worker.can_reveal = True
    worker.save()
    with pytest.raises(ValidationError):
        _export(tmp_path / "x.xlsx", tree["a"], actor=worker, reason="查")
    summary = _export(tmp_path / "x.xlsx", tree["a"], actor=worker, reason="核对失业登记")
    assert summary.revealed and summary.persons == 3  # A only
    entry = AuditEntry.objects.filter(action="export").order_by("-id").first()
    assert entry is not None and entry.actor_id == worker.pk
    assert entry.changes["filters"]["reveal"] is True
    assert entry.changes["filters"]["reason"] == "核对失业登记"
    assert entry.changes["rows"] == 3


def test_export_is_scoped(
    personas: dict[str, Any], district: Any, tree: Any, tmp_path: Path
) -> None:
    """A worker exporting the district (which they cannot see anyway) gets only their own."""
    summary = _export(
        tmp_path / "scoped.xlsx", tree["district"], actor=personas["worker_a"], reveal=False
    )
    assert summary.persons == 3
    summary = _export(tmp_path / "other.xlsx", tree["c"], actor=personas["worker_a"], reveal=False)
    assert summary.persons == 0


def test_csv_export_round_trip(tree: Any, district: Any, tmp_path: Path, run_import: Any) -> None:
    from jiuye.ledger.export import export_ledgers

    directory = tmp_path / "csv"
    export_ledgers(
        actor=None,
        unit=tree["district"],
        target=directory,
        on=TODAY,
        fmt="csv",
        reveal=True,
        reason="往返测试",
    )
    assert (directory / "人员.csv").exists() and (directory / "劳动力资源台账.csv").exists()
    before = (directory / "人员.csv").read_bytes()
    _wipe()
    files = [directory / f"{name}.csv" for name in DATA_SHEETS]
    assert run_import(files).ok
    from jiuye.units.models import Unit

    again = tmp_path / "csv2"
    export_ledgers(
        actor=None,
        unit=Unit.objects.get(code="110108"),
        target=again,
        on=TODAY,
        fmt="csv",
        reveal=True,
        reason="往返测试",
    )
    assert (again / "人员.csv").read_bytes() == before


def test_template(tmp_path: Path) -> None:
    from jiuye.ledger.columns import SHEETS
    from jiuye.ledger.template import write_template

    path = tmp_path / "template.xlsx"
    write_template(path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["填写说明", *DATA_SHEETS]
    for sheet in SHEETS:
        ws = workbook[sheet.zh]
        assert [c.value for c in ws[1]] == sheet.headers
    statuses = workbook["就业状态"]
    lists = {
        str(dv.sqref).split(":")[0]: dv.formula1
        for dv in statuses.data_validations.dataValidation
        if dv.type == "list"
    }
    assert "失业" in lists["C2"] and "是" in lists["E2"]
    assert any(r[0].value == "人员" for r in workbook["填写说明"].iter_rows() if r[0].value)


@pytest.mark.django_db
def test_the_template_imports_empty(tree: Any, tmp_path: Path, run_import: Any) -> None:
    from jiuye.ledger.template import write_template

    path = tmp_path / "template.xlsx"
    write_template(path)
    result = run_import(path)
    assert result.ok and result.inserted == 0


def test_difficult_ledger_follows_the_definitions_and_the_cases(tree: Any, tmp_path: Path) -> None:
    """就业困难群体台账 decides with ``registry.definitions`` and reads the zero-family cases:
    a zero family's labor-force members (reading 4: the cases are the episodes; reading 1: a
    member whose status is unknown is not in the labor force), and CQ-3's not-employed members
    of urban dibao households (reading 5: able, of working age, a known status other than
    student/retired, unemployed or out, willing or not; reading 2: 农转非 is urban)."""
    from jiuye.casework.models import ZeroFamilyCase
    from jiuye.registry import services as registry

    def household(number: str, hukou: str, dibao: bool) -> Any:
        return registry.household_create(
            actor=None, number=number, unit=tree["a1"], hukou_type=hukou, dibao=dibao
        )

    def member(name: str, h: Any, birth: date, *events: tuple[str, date], **kw: Any) -> None:
        person = registry.person_create(
            actor=None, id_number=make_id(birth), name=name, household=h, **kw
        )
        for status, since in events:
            registry.person_change_status(actor=None, person=person, status=status, since=since)

    z = household("DL-Z", "urban", False)
    member("零甲", z, date(1990, 1, 1), ("unemployed", date(2026, 2, 1)))
    member("零乙", z, date(1992, 1, 1))  # no status on record
    d = household("DL-D", "urban", True)
    member("保甲", d, date(1992, 1, 1), ("out", date(2025, 1, 1)), willing=False)
    member("保乙", d, date(1988, 1, 1), ("unit", date(2020, 1, 1)))
    member("保丙", d, date(2004, 1, 1), ("student", date(2022, 9, 1)))
    member("保丁", d, date(1994, 1, 1))  # unknown: outside CQ-3's base
    r = household("DL-R", "agricultural", True)
    member("农甲", r, date(1990, 1, 1), ("unemployed", date(2025, 1, 1)))
    member("农乙", r, date(1988, 1, 1), ("farming", date(2020, 1, 1)))
    c = household("DL-C", "converted", True)
    member("转甲", c, date(1990, 1, 1), ("unemployed", date(2025, 1, 1)))
    member("转乙", c, date(1988, 1, 1), ("unit", date(2020, 1, 1)))

    def difficult() -> dict[str, dict[str, Any]]:
        path = tmp_path / "difficult.xlsx"
        _export(path, tree["district"])
        head, *rows = _values(path)["就业困难群体台账"]
        return {r[1]: dict(zip(head, r, strict=True)) for r in rows}

    found = difficult()
    assert set(found) == {"零甲", "保甲", "转甲"}
    assert found["零甲"]["零就业家庭"] == "是" and found["保甲"]["零就业家庭"] == "否"
    # The zero family is the case row: without it the export does not sweep one of its own.
    ZeroFamilyCase.objects.filter(household=z).delete()
    assert set(difficult()) == {"保甲", "转甲"}
