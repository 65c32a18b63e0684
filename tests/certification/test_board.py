"""The public notice board (公示牌): ``/board/<code>/`` and ``/board/<code>.pdf`` for anyone,
a community's counts as the standards engine computes them, no personal data at all, 404 for
anything but a community or village, and cached so that visitors do not re-evaluate."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from jiuye.certification import board as board_module
from jiuye.certification.models import Application, State
from jiuye.standards.evaluation import evaluate_unit
from jiuye.standards.indicators import fact_sheet
from jiuye.standards.models import Certification
from jiuye.standards.rules import Ratio
from jiuye.standards.rulesets import ruleset_get
from jiuye.standards.selectors import rulesets_for
from jiuye.units.models import Unit
from tests.certification.conftest import FULL_ID

pytestmark = pytest.mark.django_db

OFFICE = "010-6" + "8001" + "001"  # the station's office number (built, like every number)


def _html(client: Client, code: str, query: str = "") -> str:
    response = client.get(reverse("board:board", args=[code]) + query)
    assert response.status_code == 200
    return response.content.decode()


def _pdf_text(client: Client, code: str, query: str = "") -> str:
    response = client.get(reverse("board:pdf", args=[code]) + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(BytesIO(response.content))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4
    return "\n".join(page.extract_text() for page in reader.pages)


def _figure(html: str, key: str) -> str:
    found = re.search(rf'data-figure="{key}" data-value="([^"]*)"', html)
    assert found, key
    return found.group(1)


def _no_personal_data(text: str, residents: list[Any]) -> None:
    for p in residents:
        assert p.name not in text
        assert p.id_number not in text
        assert p.phone and p.phone not in text
    assert not re.search(FULL_ID, text)


def test_the_board_shows_the_engines_counts_and_no_resident(
    tree: dict[str, Any], residents: list[Any]
) -> None:
    a = tree["a"]
    Unit.objects.filter(pk=a.pk).update(
        station_address="翠微路1号翠微社区服务中心",
        station_phone=OFFICE,
        station_hours="周一至周五",
    )
    html = _html(Client(), a.code, "?ruleset=HD-2012")
    assert "公示" in html and "翠微社区" in html
    # The counts are the engine's: employment_rate's numerator and denominator, the zero
    # families, referral_twice_rate's denominator (registered unemployed in the labor force).
    today = timezone.localdate()
    evaluation = evaluate_unit(unit=a, ruleset=ruleset_get("HD-2012"), on=today)
    employment = evaluation.facts["employment_rate"]
    assert employment == Ratio(1, 5) and evaluation.facts["zero_families"] == 1
    registered = fact_sheet(root=a, on=today, indicators=["referral_twice_rate"]).facts_for(a)
    assert registered["referral_twice_rate"].denominator == 3  # type: ignore[union-attr]
    assert _figure(html, "labor_force") == "5"
    assert _figure(html, "employed") == "1"
    assert _figure(html, "registered_unemployed") == "3"
    assert _figure(html, "zero_families") == "1"
    assert "20%" in html  # the employment rate
    # The standing: each HD-C criterion with its threshold and value, HD-C1 failed.
    assert 'data-criterion="HD-C1" data-passed="false"' in html
    assert "≥ 90%" in html and "未达标" in html
    assert 'data-certified="false"' in html and "未认定" in html
    assert OFFICE in html and "翠微路1号翠微社区服务中心" in html
    assert f'data-date="{today.isoformat()}"' in html
    assert reverse("board:pdf", args=[a.code]) + "?ruleset=HD-2012" in html
    _no_personal_data(html, residents)


def test_the_pdf_is_a4_chinese_and_has_no_resident(
    tree: dict[str, Any], residents: list[Any]
) -> None:
    text = _pdf_text(Client(), tree["a"].code, "?ruleset=HD-2012")
    assert "公示" in text and "翠微社区" in text
    assert "HD-C1" in text and "未认定" in text
    _no_personal_data(text, residents)


def test_the_response_is_public_and_cached(
    tree: dict[str, Any], residents: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = board_module.board

    def counted(**kwargs: Any) -> Any:
        calls.append(kwargs["unit"].code)
        return original(**kwargs)

    monkeypatch.setattr(board_module, "board", counted)
    client = Client()
    first = client.get(reverse("board:board", args=[tree["a"].code]))
    second = client.get(reverse("board:board", args=[tree["a"].code]))
    assert first["Cache-Control"] == "public, max-age=600"
    assert first.content == second.content
    assert len(calls) == 1  # the second visitor read the cached page
    pdf = client.get(reverse("board:pdf", args=[tree["a"].code]))
    assert pdf["Cache-Control"] == "public, max-age=600"
    client.get(reverse("board:pdf", args=[tree["a"].code]))
    assert len(calls) == 2  # the PDF once, then from the cache
    # Another rule set is another board (evaluated once as well).
    client.get(reverse("board:board", args=[tree["a"].code]) + "?ruleset=QG-2016")
    client.get(reverse("board:board", args=[tree["a"].code]) + "?ruleset=QG-2016")
    assert calls == [tree["a"].code] * 3
    assert not first.cookies  # nothing of a visitor's session is set on a shared page


@pytest.mark.parametrize("url", ["board:board", "board:pdf"])
def test_only_communities_and_villages_have_a_board(tree: dict[str, Any], url: str) -> None:
    client = Client()
    for code in (tree["s1"].code, tree["district"].code, tree["a1"].code, "999999999999"):
        assert client.get(reverse(url, args=[code])).status_code == 404
    unknown = reverse(url, args=[tree["a"].code]) + "?ruleset=XX-1999"
    assert client.get(unknown).status_code == 404
    assert client.post(reverse(url, args=[tree["a"].code])).status_code == 405
    assert client.head(reverse(url, args=[tree["a"].code])).status_code == 200


def test_the_rule_set_follows_the_latest_application_and_the_certification_in_force(
    tree: dict[str, Any], residents: list[Any]
) -> None:
    a = tree["a"]
    client = Client()
    hd = ruleset_get("HD-2012")
    first = rulesets_for(a)[0]
    assert first.name in _html(client, a.code)  # nothing applied for: the first rule set
    Certification.objects.create(
        unit=a, ruleset="HD-2012", level="community", year=2025, certified_on=date(2025, 12, 20)
    )
    Application.objects.create(
        unit=a, ruleset="QG-2016", level="community", year=2026, state=State.APPLIED
    )
    from django.core.cache import cache

    cache.clear()
    qg = ruleset_get("QG-2016")
    html = _html(client, a.code)
    assert qg.name in html and 'data-criterion="QG-3a"' in html
    assert "未认定" in html  # no QG-2016 certification
    hd_html = _html(client, a.code, "?ruleset=HD-2012")
    assert 'data-certified="true"' in hd_html and "2025-12-20" in hd_html
    assert hd.levels["community"].name in hd_html
    _no_personal_data(hd_html, residents)


def test_under_cq_the_board_counts_urban_zero_families(
    tree: dict[str, Any], residents: list[Any], household: Any, person: Any
) -> None:
    """CQ-2007 counts urban-hukou zero families only (DOMAIN §3): the board shows its count."""
    farm = household("a", hukou_type="agricultural")
    person(hh=farm, name="公示己员", statuses=((date(2024, 2, 1), "unemployed"),))
    cq = _html(Client(), tree["a"].code, "?ruleset=CQ-2007")
    assert _figure(cq, "zero_families_urban") == "1"
    hd = _html(Client(), tree["a"].code, "?ruleset=HD-2012")
    assert _figure(hd, "zero_families") == "2"


def test_an_english_reader_gets_an_english_board_cached_apart(
    tree: dict[str, Any], residents: list[Any]
) -> None:
    url = reverse("board:board", args=[tree["a"].code]) + "?ruleset=HD-2012"
    chinese = Client().get(url).content.decode()
    english = Client(headers={"accept-language": "en"}).get(url).content.decode()
    assert "公示牌" in chinese and "Notice board" not in chinese
    assert "Notice board" in english and "Labor force and employment" in english
    assert "Data as of" in english


def test_a_demonstration_application_shows_that_level(
    tree: dict[str, Any], residents: list[Any]
) -> None:
    Application.objects.create(
        unit=tree["a"], ruleset="HD-2012", level="demonstration", year=2026, state=State.APPLIED
    )
    html = _html(Client(), tree["a"].code)
    assert ruleset_get("HD-2012").levels["demonstration"].name in html
