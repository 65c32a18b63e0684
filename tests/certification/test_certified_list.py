"""The year's certified units (认定名单): the page and its workbook, the re-checks of later years,
the jurisdiction, a wrong year."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jiuye.certification.certified import certified_units
from tests.certification.programme_helpers import certify, client_for, recheck, revoke

D = date


@pytest.fixture(autouse=True)
def _demo(settings: Any) -> None:
    settings.DEMO_MODE = True


@pytest.fixture
def made(tree: dict[str, Any]) -> dict[str, Any]:
    a = certify(tree["a"], "CQ-2007", "community", D(2013, 5, 1))
    b = certify(tree["b"], "HD-2012", "demonstration", D(2013, 6, 1))
    s1 = certify(tree["s1"], "HD-2012", "street", D(2013, 11, 1))
    c = certify(tree["c"], "QG-2016", "community", D(2013, 12, 20))
    certify(tree["a"], "HD-2012", "community", D(2014, 3, 1))  # another year: not listed
    recheck(a, 2014, kept=True)
    recheck(a, 2015, kept=False, failed="CQ-1")
    revoke(a, D(2015, 2, 20))
    recheck(b, 2013, kept=True)  # the certification's own year: not a later re-check
    return {"a": a, "b": b, "s1": s1, "c": c}


def _list(user: Any, year: int) -> list[tuple[str, str, str]]:
    return [
        (r.certification.unit.code, r.level_name, r.rechecks_text)
        for r in certified_units(user=user, year=year)
    ]


def test_the_rows(made: dict[str, Any], personas: dict[str, Any]) -> None:
    assert _list(personas["district"], 2013) == [
        ("110108001", "充分就业街道（镇）", ""),
        ("110108001001", "充分就业社区", "2014 保留；2015 撤销（CQ-1）"),
        ("110108001002", "充分就业示范社区（村）", ""),
        ("110108002001", "充分就业村（社区）", ""),
    ]


@pytest.mark.parametrize(
    "who, codes",
    [
        ("worker_a", ["110108001001"]),
        ("worker_b", ["110108001002"]),  # nothing of the sibling A
        ("grid_a1", []),
        ("street", ["110108001", "110108001001", "110108001002"]),
        ("auditor", ["110108001", "110108001001", "110108001002", "110108002001"]),
        ("nobody", []),
    ],
)
def test_jurisdiction(
    made: dict[str, Any], personas: dict[str, Any], who: str, codes: list[str]
) -> None:
    assert [row[0] for row in _list(personas[who], 2013)] == codes
    response = client_for(personas[who]).get(reverse("certification:certified_xlsx") + "?year=2013")
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == codes


def test_the_workbook_matches_the_page(made: dict[str, Any], personas: dict[str, Any]) -> None:
    client = client_for(personas["district"])
    page = client.get(reverse("certification:certified") + "?year=2013")
    assert page.status_code == 200 and "2013 年度认定名单" in page.content.decode()
    response = client.get(reverse("certification:certified_xlsx") + "?year=2013")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="certified-2013.xlsx"; '
        f"filename*=UTF-8''{quote('认定名单-2013.xlsx')}"
    )
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert list(header) == page.context["columns"]
    assert header[:3] == ("单位代码", "单位名称", "单位层级")
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["A"].width == 16 and sheet.column_dimensions["H"].width == 36

    def shown(value: Any) -> str:
        if value is None:
            return ""
        return value.date().isoformat() if hasattr(value, "date") else str(value)

    assert [[shown(v) for v in row] for row in rows] == page.context["rows"]
    a = rows[1]
    assert a[:7] == (
        "110108001001",
        "翠微社区",
        "社区",
        "CQ-2007",
        "充分就业社区",
        a[5],
        a[6],
    )
    assert shown(a[5]) == "2013-05-01" and shown(a[6]) == "2015-02-20"
    assert sheet["F2"].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize("year", ["x", "1999", "3000"])
def test_a_bad_year(made: dict[str, Any], personas: dict[str, Any], year: str) -> None:
    client = client_for(personas["district"])
    for name in ("certification:certified", "certification:certified_xlsx"):
        response = client.get(reverse(name) + f"?year={year}")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
        assert response.context["year"] == timezone.localdate().year
        assert any("年度应为" in str(m) for m in response.context["messages"])


def test_the_queries_do_not_grow_with_rows(made: dict[str, Any], personas: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(year: int) -> int:
        user = type(personas["district"]).objects.get(pk=personas["district"].pk)
        with CaptureQueriesContext(connection) as queries:
            certified_units(user=user, year=year)
        return len(queries)

    assert count(2013) == count(2014) <= 4  # four rows or one
