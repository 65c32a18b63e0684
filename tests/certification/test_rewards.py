"""The rewards payable (DOMAIN §6), table-driven per rule set: HD-2012 (community 5,000,
demonstration community 10,000, street 100,000), CQ-2007 (community 10,000, its street 2,000
per certified community, 3,000 a year for staying certified; a revoking re-check pays
nothing), QG-2016 (20,000); the jurisdiction; the workbook against the page."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jiuye.certification.rewards import rewards_payable
from tests.certification.programme_helpers import certify, client_for, recheck

D = date


@pytest.fixture(autouse=True)
def _demo(settings: Any) -> None:
    settings.DEMO_MODE = True


def _rows(user: Any, year: int) -> set[tuple[str, str, str, int]]:
    """(payee code, reward id, certified unit code, amount) of the year's list."""
    found = rewards_payable(user=user, year=year)
    return {(r.payee.code, r.reward.id, r.unit.code, r.amount) for r in found.rows}


A, B, C, S1, S2, DISTRICT = (
    "110108001001",
    "110108001002",
    "110108002001",
    "110108001",
    "110108002",
    "110108",
)
# rule set → (certifications: (unit key, level, certified on), expected rows of 2013)
CASES = {
    "HD-2012": (
        [
            ("a", "community", D(2013, 5, 1)),
            ("b", "demonstration", D(2013, 6, 1)),
            ("s1", "street", D(2013, 11, 1)),
            ("c", "community", D(2012, 5, 1)),
        ],  # 2012: not paid
        {(A, "HD-R3", A, 5000), (B, "HD-R2", B, 10000), (S1, "HD-R1", S1, 100000)},
    ),
    "CQ-2007": (
        [("a", "community", D(2013, 5, 1)), ("b", "community", D(2013, 6, 1))],
        {
            (A, "CQ-R1", A, 10000),
            (B, "CQ-R1", B, 10000),
            (S1, "CQ-R2", A, 2000),
            (S1, "CQ-R2", B, 2000),
        },
    ),
    "QG-2016": (
        [("c", "community", D(2013, 12, 20))],
        {(C, "QG-R1", C, 20000)},
    ),
}


@pytest.mark.parametrize("ruleset", list(CASES))
def test_certified_and_per_child(
    tree: dict[str, Any], personas: dict[str, Any], ruleset: str
) -> None:
    made, expected = CASES[ruleset]
    for key, level, on in made:
        certify(tree[key], ruleset, level, on)
    assert _rows(personas["district"], 2013) == expected
    found = rewards_payable(user=personas["district"], year=2013)
    assert found.total == sum(row[3] for row in expected)
    assert {p.payee.code: p.total for p in found.payees} == {
        code: sum(r[3] for r in expected if r[0] == code) for code in {r[0] for r in expected}
    }


def test_cq_stay_after_a_kept_recheck_only(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    kept = certify(tree["a"], "CQ-2007", "community", D(2012, 5, 1))
    lost = certify(tree["b"], "CQ-2007", "community", D(2012, 6, 1))
    recheck(kept, 2013, kept=True)
    recheck(lost, 2013, kept=False, failed="CQ-1")
    assert _rows(personas["district"], 2013) == {(A, "CQ-R3", A, 3000)}
    # The 2012 list: both certified that year, the street paid for each.
    assert _rows(personas["district"], 2012) == {
        (A, "CQ-R1", A, 10000),
        (B, "CQ-R1", B, 10000),
        (S1, "CQ-R2", A, 2000),
        (S1, "CQ-R2", B, 2000),
    }
    basis = rewards_payable(user=personas["district"], year=2013).rows[0]
    assert "2013" in basis.basis and basis.basis_on == D(2013, 2, 20)


def test_jurisdiction(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    certify(tree["a"], "CQ-2007", "community", D(2013, 5, 1))
    certify(tree["c"], "CQ-2007", "community", D(2013, 5, 1))
    # A's worker: A's own reward and what A's certification brings its street.
    assert _rows(personas["worker_a"], 2013) == {(A, "CQ-R1", A, 10000), (S1, "CQ-R2", A, 2000)}
    assert _rows(personas["worker_b"], 2013) == set()  # the sibling sees nothing of A
    assert _rows(personas["grid_a1"], 2013) == set()
    assert _rows(personas["nobody"], 2013) == set()
    assert {r[2] for r in _rows(personas["street"], 2013)} == {A}  # not S2's community C
    assert {r[2] for r in _rows(personas["district"], 2013)} == {A, C}
    html = client_for(personas["worker_b"]).get(reverse("certification:rewards") + "?year=2013")
    assert "翠微社区" not in html.content.decode()


def test_the_page_and_the_workbook_agree(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    certify(tree["a"], "CQ-2007", "community", D(2013, 5, 1))
    certify(tree["b"], "HD-2012", "demonstration", D(2013, 6, 1))
    client = client_for(personas["district"])
    page = client.get(reverse("certification:rewards") + "?year=2013")
    html = page.content.decode()
    assert 'id="rewards-total">22000<' in html and "CQ-R2" in html and "2013 年度奖励资金" in html
    response = client.get(reverse("certification:rewards") + "?year=2013&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"filename*=UTF-8''{quote('奖励名单-2013.xlsx')}" in response["Content-Disposition"]
    book = load_workbook(BytesIO(response.content))
    detail = list(book.worksheets[0].iter_rows(values_only=True))
    assert detail[0][0] == "收款单位代码" and book.worksheets[0]["A1"].font.bold
    expected = [(r.payee.code, r.reward.id, r.amount) for r in page.context["found"].rows]
    assert [(row[0], row[4], row[8]) for row in detail[1:-1]] == expected
    assert detail[-1][0] == "合计" and detail[-1][8] == 22000
    totals = list(book.worksheets[1].iter_rows(values_only=True))
    assert totals[1:] == [
        (S1, "万寿路街道", 1, 2000),  # by code: the street first
        (A, "翠微社区", 1, 10000),
        (B, "复兴社区", 1, 10000),
        ("合计", None, 3, 22000),
    ]


@pytest.mark.parametrize("year", ["abc", "1999", "2101", "2013.5", "１２"])
def test_a_bad_year_is_said_not_a_500(personas: dict[str, Any], year: str) -> None:
    client = client_for(personas["district"])
    for fmt in ("", "&format=xlsx"):
        response = client.get(reverse("certification:rewards") + f"?year={quote(year)}{fmt}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")  # the page, saying why
        messages = [str(m) for m in response.context["messages"]]
        assert any("年度应为" in m for m in messages)
        assert response.context["year"] == timezone.localdate().year


def test_the_default_year_is_this_year(personas: dict[str, Any]) -> None:
    response = client_for(personas["worker_a"]).get(reverse("certification:rewards"))
    assert response.status_code == 200 and response.context["year"] == timezone.localdate().year


def test_the_queries_do_not_grow_with_rows(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        user = type(personas["district"]).objects.get(pk=personas["district"].pk)  # no cache
        with CaptureQueriesContext(connection) as queries:
            rewards_payable(user=user, year=2013)
        return len(queries)

    recheck(certify(tree["a"], "CQ-2007", "community", D(2012, 5, 1)), 2013, kept=True)
    one = count()
    for key in ("b", "c"):
        recheck(certify(tree[key], "CQ-2007", "community", D(2012, 5, 1)), 2013, kept=True)
        certify(tree[key], "HD-2012", "community", D(2013, 5, 1))
    assert count() == one <= 4  # the user's units, their ids, certifications, re-checks
