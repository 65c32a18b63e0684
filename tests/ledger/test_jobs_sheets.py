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
