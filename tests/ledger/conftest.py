"""Builders for ledger workbook tests: small valid workbooks in the shared unit tree.

ID and phone numbers are generated (``make_id``, :func:`phone`), never written out literally.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date
from itertools import count
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.test import TestCase
from tests.conftest import make_id

TODAY = date(2026, 11, 22)
_phones = count(1)
_numbers = count(1)

HEADERS = {
    "单位": ["代码", "名称", "层级", "上级代码"],
    "户": ["户编号", "单位代码", "户籍性质", "地址", "低保户"],
    "人员": [
        "公民身份号码",
        "姓名",
        "户编号",
        "与户主关系",
        "户籍性质",
        "联系电话",
        "劳动能力",
        "就业愿望",
        "女性退休基准",
        "文化程度",
        "技能等级",
        "残疾",
        "退役军人",
        "农民工",
        "失地农民",
        "高校毕业年份",
    ],
    "就业状态": ["公民身份号码", "状态", "起始日期", "登记失业", "单位或去向", "失业原因"],
    "困难认定": ["公民身份号码", "类别", "认定日期", "退出日期"],
    "服务记录": ["公民身份号码", "类型", "日期", "培训模式", "结果", "备注"],
}


def phone() -> str:
    """A synthetic mobile number (built, not written out)."""
    return "139" + f"{next(_phones):08d}"


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    workbook = openpyxl.Workbook()
    first = True
    for name, rows in sheets.items():
        if first:
            ws = workbook.active
            assert ws is not None
            ws.title = name
            first = False
        else:
            ws = workbook.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    workbook.save(path)
    return path


def write_csv(path: Path, rows: Sequence[Sequence[Any]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow(
                ["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row]
            )
    return path


class Book:
    """A small valid workbook: ``book.sheets`` (name → rows incl. header), ``book.ids``."""

    def __init__(self) -> None:
        n = next(_numbers)
        self.households = [f"LH{n:04d}-1", f"LH{n:04d}-2"]
        self.ids = {
            "head": make_id(date(1975, 3, 4)),
            "spouse": make_id(date(1978, 6, 7), male=False),
            "son": make_id(date(2003, 9, 10)),
            "other": make_id(date(1966, 1, 2)),
        }
        self.phone = phone()
        h1, h2 = self.households
        self.sheets: dict[str, list[list[Any]]] = {
            "单位": [
                list(HEADERS["单位"]),
                ["110108001001A3", "翠微三网格", "网格", "110108001001"],
            ],
            "户": [
                list(HEADERS["户"]),
                [h1, "110108001001A1", "城镇", "翠微路1号", "否"],
                [h2, "110108001001A3", "农业", "", "是"],
            ],
            "人员": [
                list(HEADERS["人员"]),
                [
                    self.ids["head"],
                    "张建国",
                    h1,
                    "户主",
                    "",
                    self.phone,
                    "有",
                    "有",
                    "",
                    "高中",
                    "中级工",
                    "否",
                    "是",
                    "否",
                    "否",
                    "",
                ],
                [
                    self.ids["spouse"],
                    "李秀英",
                    h1,
                    "配偶",
                    "城镇",
                    "",
                    "有",
                    "有",
                    "50",
                    "初中",
                    "",
                    "否",
                    "否",
                    "否",
                    "否",
                    "",
                ],
                [
                    self.ids["son"],
                    "张伟",
                    h1,
                    "子",
                    "",
                    "",
                    "有",
                    "有",
                    "",
                    "本科",
                    "",
                    "否",
                    "否",
                    "否",
                    "否",
                    2025,
                ],
                [
                    self.ids["other"],
                    "王强",
                    h2,
                    "户主",
                    "",
                    "",
                    "有",
                    "有",
                    "",
                    "初中",
                    "",
                    "否",
                    "否",
                    "是",
                    "否",
                    "",
                ],
            ],
            "就业状态": [
                list(HEADERS["就业状态"]),
                [self.ids["head"], "单位就业", date(2020, 1, 1), "否", "某公司", ""],
                [self.ids["spouse"], "失业", date(2021, 5, 1), "是", "", "合同到期"],
                [self.ids["son"], "在校", date(2020, 1, 1), "", "", ""],
                [self.ids["son"], "失业", "2025-07-01", "是", "", "毕业未就业"],
                [self.ids["other"], "务农", date(2019, 3, 1), "", "", ""],
            ],
            "困难认定": [
                list(HEADERS["困难认定"]),
                [self.ids["spouse"], "4050", date(2022, 1, 1), ""],
                [self.ids["other"], "低保", date(2023, 1, 1), date(2024, 1, 1)],
            ],
            "服务记录": [
                list(HEADERS["服务记录"]),
                [self.ids["spouse"], "职业指导", date(2021, 5, 3), "", "", "首次指导"],
                [self.ids["son"], "职业培训", date(2025, 8, 1), "定岗", "", ""],
                [self.ids["son"], "满意度测评", date(2025, 9, 1), "", "满意", ""],
                [self.ids["other"], "投诉", date(2024, 2, 1), "", "无效", ""],
            ],
        }

    def row_of(self, sheet: str, key: str) -> int:
        """The worksheet row number of a person's first row in ``sheet``."""
        for index, row in enumerate(self.sheets[sheet]):
            if row and row[0] == self.ids[key]:
                return index + 1
        raise KeyError(key)

    def save(self, path: Path, only: Sequence[str] | None = None) -> Path:
        sheets = {k: v for k, v in self.sheets.items() if only is None or k in only}
        return write_xlsx(path, sheets)


@pytest.fixture
def book() -> Book:
    return Book()


@pytest.fixture(autouse=True)
def _ledger_settings(settings: Any, tmp_path: Path) -> None:
    settings.LEDGER_UPLOAD_DIR = str(tmp_path / "uploads")


def committed() -> AbstractContextManager[list[Callable[[], Any]]]:
    """What the block leaves to run on commit runs at its end: a test's transaction never
    commits, and a ledger job's turn at the queue is enqueued on commit (the tests' immediate
    task backend then runs the job in the caller, as a worker would)."""
    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture(params=["here", "process"])
def reading(request: pytest.FixtureRequest, settings: Any) -> str:
    """Parse the files in the import's process, or in helper processes (as large files are)."""
    settings.LEDGER_READ_PROCESS_MB = 10_000 if request.param == "here" else 0
    return str(request.param)


@pytest.fixture
def run_import() -> Callable[..., Any]:
    """``run_import(path_or_paths, mode="all", user=None)`` → ImportResult (today = TODAY)."""
    from jiuye.ledger.services import ledger_import

    def run(
        paths: Path | Sequence[Path],
        *,
        mode: str = "all",
        user: Any = None,
        sheet: str | None = None,
    ) -> Any:
        items = [paths] if isinstance(paths, Path) else list(paths)
        return ledger_import(
            actor=user, files=[(p, p.name) for p in items], mode=mode, sheet=sheet, today=TODAY
        )  # type: ignore[arg-type]

    return run


def registry_counts() -> dict[str, int]:
    from jiuye.casework.models import ServiceRecord, UnemployedProfile, ZeroFamilyCase
    from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
    from jiuye.units.models import Unit

    return {
        "units": Unit.objects.count(),
        "households": Household.objects.count(),
        "persons": Person.objects.count(),
        "events": StatusEvent.objects.count(),
        "recognitions": DifficultyRecognition.objects.count(),
        "services": ServiceRecord.objects.count(),
        "profiles": UnemployedProfile.objects.count(),
        "zero_cases": ZeroFamilyCase.objects.count(),
    }


def codes(result: Any) -> list[str]:
    return [issue.code for issue in result.issues]
