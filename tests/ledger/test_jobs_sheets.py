"""The employers' sheets of the ledger workbook (DOMAIN §8, DESIGN "Interfaces"): 用人单位, 岗位,
劳动合同, 裁员 in; what lands; re-importing changes nothing; the modes; who may import them; the
persons sheet's 求职意向 and 技能证书."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_id
from tests.ledger.conftest import Book, codes
from tests.ledger.jobs_book import JobsBook, make_uscc

pytestmark = pytest.mark.django_db


def _jobs_counts() -> dict[str, int]:
    from jiuye.jobs.models import ContractEvent, Employer, Layoff, Posting, StaffReport

    return {
        "employers": Employer.objects.count(),
        "staff": StaffReport.objects.count(),
        "postings": Posting.objects.count(),
        "contracts": ContractEvent.objects.count(),
        "layoffs": Layoff.objects.count(),
    }


def _snapshot() -> list[Any]:
    """Every stored value of the employers' tables (to tell a re-import changed nothing)."""
    from jiuye.jobs.models import ContractEvent, Employer, Layoff, Posting, StaffReport

    return [
        list(model.objects.order_by("pk").values())
        for model in (Employer, StaffReport, Posting, ContractEvent, Layoff)
    ]


def test_the_sheets_land_and_a_re_import_changes_nothing(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.jobs import checks
    from jiuye.jobs.models import ContractEvent, Employer, Layoff, Posting, StaffReport
    from jiuye.registry import services as registry

    household = registry.household_create(
        actor=None, number="JB-001", unit=tree["c"], hukou_type="urban"
    )
    resident = registry.person_create(
        actor=None, id_number=make_id(date(1980, 1, 2)), name="钱进", household=household
    )
    book = JobsBook(resident=resident.id_number)
    path = book.save(tmp_path / "jobs.xlsx")
    result = run_import(path)
    assert result.ok, result.issues
    assert {k: (c.inserted, c.updated, c.unchanged) for k, c in result.counts.items()} == {
        "employers": (3, 0, 0),
        "postings": (2, 0, 0),
        "contracts": (3, 0, 0),
        "layoffs": (1, 0, 0),
    }
    assert _jobs_counts() == {
        "employers": 2,
        "staff": 2,
        "postings": 2,
        "contracts": 3,
        "layoffs": 1,
    }
    a = Employer.objects.get(uscc=book.usccs["a"])
    assert (a.name, a.unit, a.industry) == ("翠微物业公司", tree["a"], "物业管理")
    assert [(r.on, r.staff) for r in StaffReport.objects.filter(employer=a).order_by("on")] == [
        (date(2026, 1, 1), 40),
        (date(2026, 6, 30), 45),
    ]
    # A posting's work place may be a grid; its terms are the matcher's words.
    repair = Posting.objects.get(number="GW-001")
    assert repair.employer == a and repair.unit == tree["a1"] and repair.filled == 0
    assert (repair.vacancies, repair.pay_min, repair.pay_max) == (3, 4000, 6000)
    assert (repair.age_min, repair.age_max, repair.min_education) == (20, 50, "初中")
    assert "水电" in repair.terms.split() and "电工" in repair.terms.split()
    cleaner = Posting.objects.get(number="GW-002")
    assert cleaner.public_welfare and cleaner.closes_on is None and cleaner.age_min is None
    # Contracts keep no full number: a keyed digest and a masked number, and the registry
    # person linked when the number is theirs.
    outsider = ContractEvent.objects.filter(employee_key=checks.employee_key(book.outsider))
    assert [(e.kind, e.on, e.term_months, e.person) for e in outsider.order_by("on")] == [
        ("signed", date(2025, 1, 1), 24, None),
        ("renewed", date(2026, 11, 1), 36, None),
    ]
    assert outsider[0].employee_masked == checks.employee_masked(book.outsider)
    linked = ContractEvent.objects.get(person=resident)
    assert linked.employer.uscc == book.usccs["c"] and linked.term_months == 12
    stored = [str(v) for rows in _snapshot() for row in rows for v in row.values()]
    assert book.outsider not in stored and resident.id_number not in stored
    layoff = Layoff.objects.get()
    assert (layoff.count, layoff.reason, layoff.on) == (5, "经营困难", date(2026, 8, 1))

    before = _snapshot()
    again = run_import(path)
    assert again.ok, again.issues
    assert again.inserted == 0 and again.updated == 0 and again.unchanged == 9
    assert _snapshot() == before


def test_a_changed_row_updates_and_a_blank_cell_keeps(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.jobs.models import Employer, Posting, StaffReport

    book = JobsBook()
    assert run_import(book.save(tmp_path / "first.xlsx")).ok
    employers = book.sheets["用人单位"]
    employers[1][4] = 41  # the first report's count
    employers[3][3] = ""  # a blank industry keeps 零售
    employers[3][1] = "永定连锁超市"
    postings = book.sheets["岗位"]
    postings[1][8] = 5  # vacancies
    postings[1][4] = ""  # blank skills keep theirs
    result = run_import(book.save(tmp_path / "second.xlsx"))
    assert result.ok, result.issues
    assert result.counts["employers"].updated == 2
    assert result.counts["postings"].updated == 1
    c = Employer.objects.get(uscc=book.usccs["c"])
    assert (c.name, c.industry) == ("永定连锁超市", "零售")
    assert StaffReport.objects.get(employer__uscc=book.usccs["a"], on=date(2026, 1, 1)).staff == 41
    repair = Posting.objects.get(number="GW-001")
    assert repair.vacancies == 5 and repair.skills == "电工证，水电维修经验"


def test_postings_contracts_and_layoffs_may_name_registered_employers(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    book = JobsBook()
    assert run_import(book.save(tmp_path / "employers.xlsx", only=["用人单位"])).ok
    result = run_import(book.save(tmp_path / "rest.xlsx", only=["岗位", "劳动合同", "裁员"]))
    assert result.ok, result.issues
    assert _jobs_counts()["postings"] == 2 and _jobs_counts()["contracts"] == 2


# ---------------------------------------------------------------------------------------------
# Errors, located (sheet, row, column) and worded in both languages
# ---------------------------------------------------------------------------------------------


def _bad_uscc() -> str:
    good = make_uscc()
    return good[:-1] + ("0" if good[-1] != "0" else "1")


def _employer(book: JobsBook, row: int, column: str, value: Any) -> None:
    from tests.ledger.jobs_book import EMPLOYER_HEAD

    book.sheets["用人单位"][row][EMPLOYER_HEAD.index(column)] = value


def _posting(book: JobsBook, row: int, column: str, value: Any) -> None:
    from tests.ledger.jobs_book import POSTING_HEAD

    book.sheets["岗位"][row][POSTING_HEAD.index(column)] = value


def _contract(book: JobsBook, row: int, column: str, value: Any) -> None:
    from tests.ledger.jobs_book import CONTRACT_HEAD

    book.sheets["劳动合同"][row][CONTRACT_HEAD.index(column)] = value


def _layoff(book: JobsBook, row: int, column: str, value: Any) -> None:
    from tests.ledger.jobs_book import LAYOFF_HEAD

    book.sheets["裁员"][row][LAYOFF_HEAD.index(column)] = value


def _append(book: JobsBook, sheet: str, row: int) -> None:
    book.sheets[sheet].append(list(book.sheets[sheet][row]))


# (case, how to break the book, expected (sheet, row, column, code) among the issues)
CASES: list[tuple[str, Any, tuple[str, int, str, str]]] = [
    (
        "employer bad uscc",
        lambda b: [_employer(b, 3, "统一社会信用代码", _bad_uscc())],
        ("用人单位", 4, "统一社会信用代码", "uscc_invalid"),
    ),
    (
        "employer unknown unit",
        lambda b: _employer(b, 3, "单位代码", "110108009999"),
        ("用人单位", 4, "单位代码", "unknown_unit"),
    ),
    (
        "employer in a street",
        lambda b: _employer(b, 3, "单位代码", "110108002"),
        ("用人单位", 4, "单位代码", "employer_unit_level"),
    ),
    (
        "staff without a date",
        lambda b: _employer(b, 3, "职工人数", 12),
        ("用人单位", 4, "报告日期", "staff_report_incomplete"),
    ),
    (
        "negative staff",
        lambda b: _employer(b, 2, "职工人数", -3),
        ("用人单位", 3, "职工人数", "staff_negative"),
    ),
    (
        "report in the future",
        lambda b: _employer(b, 2, "报告日期", date(2027, 1, 1)),
        ("用人单位", 3, "报告日期", "future"),
    ),
    (
        "employer named twice differently",
        lambda b: _employer(b, 2, "名称", "另一家公司"),
        ("用人单位", 3, "名称", "employer_conflict"),
    ),
    (
        "employer report twice",
        lambda b: _append(b, "用人单位", 2),
        ("用人单位", 5, "报告日期", "duplicate_in_file"),
    ),
    (
        "posting of an unknown employer",
        lambda b: _posting(b, 2, "统一社会信用代码", make_uscc()),
        ("岗位", 3, "统一社会信用代码", "unknown_employer"),
    ),
    (
        "posting of a failed employer",
        lambda b: _employer(b, 3, "单位代码", "110108009999"),
        ("岗位", 3, "统一社会信用代码", "depends_on_failed_row"),
    ),
    (
        "posting in an unknown unit",
        lambda b: _posting(b, 1, "工作地点单位代码", "110108009999"),
        ("岗位", 2, "工作地点单位代码", "unknown_unit"),
    ),
    (
        "bad occupation code",
        lambda b: _posting(b, 1, "职业编码", "9-99"),
        ("岗位", 2, "职业编码", "occupation_invalid"),
    ),
    (
        "unknown education",
        lambda b: _posting(b, 1, "学历要求", "幼儿园"),
        ("岗位", 2, "学历要求", "education_unknown"),
    ),
    (
        "ages reversed",
        lambda b: _posting(b, 1, "年龄下限", 55),
        ("岗位", 2, "年龄上限", "age_order"),
    ),
    (
        "age out of range",
        lambda b: _posting(b, 1, "年龄上限", 80),
        ("岗位", 2, "年龄上限", "age_range"),
    ),
    (
        "pay reversed",
        lambda b: _posting(b, 1, "月薪下限", 9000),
        ("岗位", 2, "月薪上限", "pay_order"),
    ),
    ("negative pay", lambda b: _posting(b, 1, "月薪下限", -1), ("岗位", 2, "月薪下限", "int")),
    ("no vacancy", lambda b: _posting(b, 1, "招聘人数", 0), ("岗位", 2, "招聘人数", "vacancies")),
    (
        "closes before it opens",
        lambda b: _posting(b, 1, "截止日期", date(2026, 9, 1)),
        ("岗位", 2, "截止日期", "dates_order"),
    ),
    (
        "published in the future",
        lambda b: _posting(b, 1, "发布日期", date(2026, 11, 30)),
        ("岗位", 2, "发布日期", "future"),
    ),
    (
        "bad date",
        lambda b: _posting(b, 1, "发布日期", "2026-02-30"),
        ("岗位", 2, "发布日期", "date"),
    ),
    (
        "posting number twice",
        lambda b: _append(b, "岗位", 1),
        ("岗位", 4, "岗位编号", "duplicate_in_file"),
    ),
    (
        "bad contract kind",
        lambda b: _contract(b, 1, "事项", "转正"),
        ("劳动合同", 2, "事项", "enum"),
    ),
    (
        "signed without a term",
        lambda b: _contract(b, 1, "期限月数", ""),
        ("劳动合同", 2, "期限月数", "term_required"),
    ),
    (
        "ended with a term",
        lambda b: _contract(b, 2, "事项", "终止"),
        ("劳动合同", 3, "期限月数", "term_not_applicable"),
    ),
    (
        "contract masked number",
        lambda b: _contract(b, 1, "公民身份号码", b.outsider[:2] + "*" * 16),
        ("劳动合同", 2, "公民身份号码", "id_masked"),
    ),
    (
        "contract bad check digit",
        lambda b: _contract(
            b, 1, "公民身份号码", b.outsider[:-1] + ("0" if b.outsider[-1] != "0" else "1")
        ),
        ("劳动合同", 2, "公民身份号码", "id_checksum"),
    ),
    (
        "contract in the future",
        lambda b: _contract(b, 2, "日期", date(2026, 12, 1)),
        ("劳动合同", 3, "日期", "future"),
    ),
    (
        "contract twice",
        lambda b: _append(b, "劳动合同", 1),
        ("劳动合同", 4, "公民身份号码", "duplicate_in_file"),
    ),
    (
        "contract of an unknown employer",
        lambda b: _contract(b, 1, "统一社会信用代码", make_uscc()),
        ("劳动合同", 2, "统一社会信用代码", "unknown_employer"),
    ),
    ("negative layoff", lambda b: _layoff(b, 1, "人数", -2), ("裁员", 2, "人数", "count_positive")),
    ("layoff without reason", lambda b: _layoff(b, 1, "原因", ""), ("裁员", 2, "原因", "required")),
    (
        "layoff bad uscc",
        lambda b: _layoff(b, 1, "统一社会信用代码", "ABC"),
        ("裁员", 2, "统一社会信用代码", "uscc_invalid"),
    ),
    (
        "layoff twice",
        lambda b: _append(b, "裁员", 1),
        ("裁员", 3, "原因", "duplicate_in_file"),
    ),
]


@pytest.mark.parametrize(("case", "breaks", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_sheets_errors_are_located_and_nothing_is_written(
    case: str,
    breaks: Any,
    expected: tuple[str, int, str, str],
    tree: Any,
    tmp_path: Path,
    run_import: Any,
) -> None:
    book = JobsBook()
    breaks(book)
    result = run_import(book.save(tmp_path / "bad.xlsx"))
    found = [(i.sheet, i.row, i.column, i.code) for i in result.issues]
    assert expected in found, found
    issue = result.issues[found.index(expected)]
    assert issue.message_zh and issue.message_en and issue.message_zh != issue.message_en
    assert not result.written
    assert _jobs_counts() == dict.fromkeys(_jobs_counts(), 0)


def test_partial_writes_the_good_rows(tree: Any, tmp_path: Path, run_import: Any) -> None:
    from jiuye.jobs.models import Posting

    book = JobsBook()
    _employer(book, 3, "单位代码", "110108009999")  # 永定超市 fails, and its posting and layoff
    _posting(book, 1, "年龄下限", 10)
    path = book.save(tmp_path / "partial.xlsx")
    assert not run_import(path).written
    result = run_import(path, mode="partial")
    assert result.written
    assert sorted(codes(result)) == sorted(
        ["unknown_unit", "depends_on_failed_row", "depends_on_failed_row", "age_range"]
    )
    assert _jobs_counts() == {
        "employers": 1,
        "staff": 2,
        "postings": 0,
        "contracts": 2,
        "layoffs": 0,
    }
    assert result.counts["postings"].rejected == 2
    assert not Posting.objects.exists()


def test_a_dry_run_writes_nothing(tree: Any, tmp_path: Path, run_import: Any) -> None:
    result = run_import(JobsBook().save(tmp_path / "dry.xlsx"), mode="dry_run")
    assert result.ok and result.inserted == 8 and not result.written
    assert _jobs_counts() == dict.fromkeys(_jobs_counts(), 0)


def test_english_headers_and_csv_per_sheet(tree: Any, tmp_path: Path, run_import: Any) -> None:
    from tests.ledger.conftest import write_csv

    from jiuye.ledger.columns import JOBS_SHEETS

    book = JobsBook()
    files = []
    for sheet in JOBS_SHEETS:
        rows = [list(r) for r in book.sheets[sheet.zh]]
        rows[0] = [next(c.en for c in sheet.columns if c.zh == h) for h in rows[0]]
        files.append(write_csv(tmp_path / f"{sheet.en}.csv", rows))
    result = run_import(files)
    assert result.ok, result.issues
    assert _jobs_counts()["postings"] == 2 and _jobs_counts()["staff"] == 2


# ---------------------------------------------------------------------------------------------
# Who may import them (jobs.permissions.may_keep_employers)
# ---------------------------------------------------------------------------------------------


def test_a_worker_cannot_import_an_employer_of_a_sibling_community(
    personas: dict[str, Any], tmp_path: Path, run_import: Any
) -> None:
    book = JobsBook()
    _employer(book, 3, "单位代码", "110108001002")  # community B
    _posting(book, 2, "工作地点单位代码", "110108001002")
    result = run_import(book.save(tmp_path / "b.xlsx"), user=personas["worker_a"])
    found = {(i.sheet, i.row, i.code) for i in result.issues}
    assert ("用人单位", 4, "out_of_scope") in found
    assert ("岗位", 3, "depends_on_failed_row") in found
    assert ("用人单位", 2, "out_of_scope") not in found  # community A is theirs
    assert not result.written and _jobs_counts()["employers"] == 0
    # worker_b may; and a re-import of what is already registered passes whoever imports it.
    _employer(book, 1, "单位代码", "110108001002")
    _employer(book, 2, "单位代码", "110108001002")
    result = run_import(book.save(tmp_path / "b2.xlsx"), user=personas["worker_b"])
    assert result.ok, result.issues


def test_street_and_district_import_the_employers_sheets_only(
    personas: dict[str, Any], tmp_path: Path, run_import: Any
) -> None:
    book = JobsBook()
    _employer(book, 3, "单位代码", "110108001002")  # S1's community B
    _posting(book, 2, "工作地点单位代码", "110108001002")
    street = run_import(book.save(tmp_path / "s1.xlsx"), user=personas["street"])
    assert street.ok, street.issues
    assert _jobs_counts()["employers"] == 2
    # Outside the street: refused row by row.
    other = JobsBook()
    result = run_import(other.save(tmp_path / "s2.xlsx"), user=personas["street"])
    assert ("用人单位", 4, "out_of_scope") in {(i.sheet, i.row, i.code) for i in result.issues}
    # With a registry sheet: refused as a whole.
    both = Book()
    both.sheets.update(JobsBook().sheets)
    result = run_import(both.save(tmp_path / "both.xlsx"), user=personas["district"])
    assert codes(result) == ["not_permitted"]


@pytest.mark.parametrize("who", ["grid_a1", "auditor"])
def test_grid_coordinators_and_auditors_keep_no_employer(
    who: str, personas: dict[str, Any], tmp_path: Path, run_import: Any
) -> None:
    book = JobsBook()
    result = run_import(book.save(tmp_path / "g.xlsx", only=["用人单位"]), user=personas[who])
    assert not result.written
    assert set(codes(result)) <= {"out_of_scope", "not_permitted"} and codes(result)


# ---------------------------------------------------------------------------------------------
# The persons sheet's 求职意向 and 技能证书
# ---------------------------------------------------------------------------------------------


def test_job_intent_and_certificates_in(tree: Any, tmp_path: Path, run_import: Any) -> None:
    from jiuye.registry.models import Person

    book = Book()
    persons = book.sheets["人员"]
    persons[0] += ["求职意向", "技能证书"]
    persons[1] += ["电工、水电维修", "低压电工证，焊工证; 叉车证"]
    for row in persons[2:]:
        row += ["", ""]
    path = book.save(tmp_path / "persons.xlsx")
    assert run_import(path).ok
    head = Person.objects.get(id_number=book.ids["head"])
    assert head.job_intent == "电工、水电维修"
    assert head.certificates == "低压电工证、焊工证、叉车证"
    assert again_unchanged(run_import(path))
    # A blank cell keeps what is registered; a filled one changes it.
    persons[1][-2:] = ["", "电工证"]
    result = run_import(book.save(tmp_path / "persons2.xlsx"))
    assert result.ok and result.counts["persons"].updated == 1
    head.refresh_from_db()
    assert (head.job_intent, head.certificates) == ("电工、水电维修", "电工证")


def again_unchanged(result: Any) -> bool:
    return bool(result.ok and result.inserted == 0 and result.updated == 0)


def test_the_command_line_reports_the_sheets_and_writes_the_errors(
    tree: Any, tmp_path: Path
) -> None:
    import io

    import openpyxl
    from django.core.management import call_command
    from django.core.management.base import CommandError

    book = JobsBook()
    out = io.StringIO()
    call_command("import", str(book.save(tmp_path / "ok.xlsx")), "--no-progress", stdout=out)
    assert "用人单位" in out.getvalue() and "劳动合同" in out.getvalue()
    _layoff(book, 1, "人数", 0)
    errors = tmp_path / "errors.xlsx"
    with pytest.raises(CommandError):
        call_command(
            "import",
            str(book.save(tmp_path / "bad.xlsx")),
            "--no-progress",
            "--lang",
            "en",
            "--errors",
            str(errors),
            stdout=io.StringIO(),
        )
    rows = [r for r in openpyxl.load_workbook(errors).active.iter_rows(values_only=True)]
    assert any("裁员" in map(str, r) and "at least 1" in " ".join(map(str, r)) for r in rows)


def test_a_street_user_uploads_and_imports_the_employers_sheets_in_the_browser(
    personas: dict[str, Any], tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    """Issue 16: a street's labor office loads its employers from a workbook, in the browser:
    upload, the check's report, confirm."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from jiuye.ledger.models import ImportJob

    book = JobsBook()
    _employer(book, 3, "单位代码", "110108001002")  # S1's community B
    _posting(book, 2, "工作地点单位代码", "110108001002")
    path = book.save(tmp_path / "street.xlsx")
    client = Client()
    client.force_login(personas["street"])
    data = SimpleUploadedFile(path.name, path.read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("ledger:upload"), {"file": data}).status_code == 302
    check = ImportJob.objects.get(user=personas["street"])
    assert check.issue_count == 0, check.issues
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ledger:job_confirm", args=[check.pk]))
    assert response.status_code == 302
    assert _jobs_counts()["employers"] == 2
