"""A small valid workbook of the employers' sheets (用人单位, 岗位, 劳动合同, 裁员) in the shared
unit tree (``tests.conftest.tree``): employers in communities A and C, postings, contracts of a
registry person and of an employee outside the registry, a layoff.

USCCs and ID numbers are generated (:func:`make_uscc`, ``make_id``), never written out."""

from __future__ import annotations

from datetime import date
from itertools import count
from pathlib import Path
from typing import Any

from stdnum.cn import uscc as stdnum_uscc
from tests.conftest import make_id
from tests.ledger.conftest import write_xlsx

_usccs = count(1)

EMPLOYER_HEAD = ["统一社会信用代码", "名称", "单位代码", "行业", "职工人数", "报告日期"]
POSTING_HEAD = [
    "岗位编号",
    "统一社会信用代码",
    "岗位名称",
    "职业编码",
    "技能要求",
    "学历要求",
    "年龄下限",
    "年龄上限",
    "招聘人数",
    "月薪下限",
    "月薪上限",
    "工作地点单位代码",
    "公益性岗位",
    "发布日期",
    "截止日期",
]
CONTRACT_HEAD = ["统一社会信用代码", "公民身份号码", "事项", "日期", "期限月数"]
LAYOFF_HEAD = ["统一社会信用代码", "日期", "人数", "原因"]


def make_uscc() -> str:
    """A fresh valid unified social credit code (python-stdnum's check character)."""
    base = "91110108" + f"{next(_usccs) + 1000:09d}"
    return base + stdnum_uscc.calc_check_digit(base)


class JobsBook:
    """``sheets`` (name → rows incl. header); ``usccs["a"]``, ``usccs["c"]``; ``outsider``: the
    ID number of an employee who is not in the registry; ``resident``: set it to a registry
    person's number before :meth:`save` to add their contract."""

    def __init__(self, resident: str | None = None) -> None:
        self.usccs = {"a": make_uscc(), "c": make_uscc()}
        self.outsider = make_id(date(1990, 5, 6), region="110105")
        a, c = self.usccs["a"], self.usccs["c"]
        self.sheets: dict[str, list[list[Any]]] = {
            "用人单位": [
                list(EMPLOYER_HEAD),
                [a, "翠微物业公司", "110108001001", "物业管理", 40, date(2026, 1, 1)],
                [a, "翠微物业公司", "110108001001", "物业管理", 45, date(2026, 6, 30)],
                [c, "永定超市", "110108002001", "零售", "", ""],
            ],
            "岗位": [
                list(POSTING_HEAD),
                [
                    "GW-001",
                    a,
                    "水电维修工",
                    "6-29-03-01",
                    "电工证，水电维修经验",
                    "初中",
                    20,
                    50,
                    3,
                    4000,
                    6000,
                    "110108001001A1",
                    "否",
                    date(2026, 10, 1),
                    date(2026, 12, 31),
                ],
                [
                    "GW-002",
                    c,
                    "社区保洁员",
                    "",
                    "",
                    "",
                    "",
                    "",
                    2,
                    "",
                    "",
                    "110108002001",
                    "是",
                    date(2025, 3, 1),
                    "",
                ],
            ],
            "劳动合同": [
                list(CONTRACT_HEAD),
                [a, self.outsider, "签订", date(2025, 1, 1), 24],
                [a, self.outsider, "续订", date(2026, 11, 1), 36],
            ],
            "裁员": [
                list(LAYOFF_HEAD),
                [c, date(2026, 8, 1), 5, "经营困难"],
            ],
        }
        if resident is not None:
            self.sheets["劳动合同"].append([c, resident, "签订", date(2026, 2, 1), 12])

    def save(self, path: Path, only: list[str] | None = None) -> Path:
        sheets = {k: v for k, v in self.sheets.items() if only is None or k in only}
        return write_xlsx(path, sheets)
