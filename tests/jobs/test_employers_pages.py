"""The employers' pages: the jobs landing page (search, unit filter, paging, figures), an
employer's page (404 for a foreign one, masked numbers only, abnormal layoffs marked) and its
forms, whose every refusal is shown on the form (never a 500), in Chinese and in English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from jiuye.jobs import services
from jiuye.jobs.models import ContractEvent, Employer, Hire, Layoff, Posting, StaffReport
from jiuye.registry.models import Status
from tests.conftest import make_id
from tests.jobs.fixtures_employers import employers_fixture, make_uscc  # noqa: F401

DAY = "2026-03-10"


def client_for(user: Any, language: str = "zh-hans") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    """A request in English leaves English active in the thread: back to the default after."""
    yield
    translation.deactivate()


@pytest.fixture
def worker(personas: dict[str, Any]) -> Client:
    return client_for(personas["worker_a"])


def test_landing_lists_the_users_employers_with_figures(
    personas: dict[str, Any], employers: dict[str, Any]
) -> None:
    today = timezone.localdate()
    a = employers["A"]
    Posting.objects.create(
        number="P-1", employer=a, title="电工", vacancies=2, unit=a.unit, opens_on=today
    )
    Posting.objects.create(  # closed yesterday: not counted
        number="P-2",
        employer=a,
        title="焊工",
        vacancies=2,
        unit=a.unit,
        opens_on=today - timedelta(days=30),
        closes_on=today - timedelta(days=1),
    )
    services.layoff_record(
        actor=None, employer=a, on=today - timedelta(days=30), count=5, reason="停产"
    )
    services.layoff_record(
        actor=None, employer=a, on=today - timedelta(days=400), count=9, reason="停产"
    )
    html = client_for(personas["street"]).get(reverse("jobs:index")).content.decode()
    assert a.name in html and employers["B"].name in html and employers["C"].name not in html
    row = html[html.index(f'data-employer="{a.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "120" in row and '"open">1<' in row and ">5<" in row


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"q": "翠微"}, {"A"}),
        ({"q": "测试公司"}, {"A", "B"}),
        ({"unit": "110108001002"}, {"B"}),
        ({"unit": "110108001"}, {"A", "B"}),
        ({"unit": "110108002001"}, {"A", "B"}),  # not the street's: the filter is refused
        ({"q": "x" * 500}, {"A", "B"}),  # too long: refused, the whole list
    ],
)
def test_search_and_unit_filter(
    personas: dict[str, Any], employers: dict[str, Any], query: dict[str, str], shown: set[str]
) -> None:
    response = client_for(personas["street"]).get(reverse("jobs:index"), query)
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("A", "B", "C"):
        assert (employers[key].name in html) is (key in shown), key


def test_search_by_uscc(personas: dict[str, Any], employers: dict[str, Any]) -> None:
    code = employers["B"].uscc
    for q in (code, code.lower(), f"{code[:8]} {code[8:]}"):
        html = client_for(personas["street"]).get(reverse("jobs:index"), {"q": q}).content.decode()
        assert employers["B"].name in html and employers["A"].name not in html


def test_landing_is_paged_in_the_database(
    personas: dict[str, Any], tree: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    Employer.objects.bulk_create(
        Employer(uscc=make_uscc(), name=f"公司{i:03d}", unit=tree["a"]) for i in range(120)
    )
    client = client_for(personas["worker_a"])
    client.get(reverse("jobs:index"))  # the session and the user's units, read once
    with django_assert_max_num_queries(25):
        response = client.get(reverse("jobs:index"), {"page": "2"})
    html = response.content.decode()
    assert "公司050" in html and "公司049" not in html and "公司100" not in html
    partial = client.get(
        reverse("jobs:index"),
        {"page": "3"},
        headers={"HX-Request": "true", "HX-Target": "employer-results"},
    ).content.decode()
    assert "<html" not in partial and "公司119" in partial


@pytest.mark.parametrize("who", ["worker_b", "grid_a1", "auditor", "nobody"])
def test_foreign_employer_is_404(
    personas: dict[str, Any], employers: dict[str, Any], who: str
) -> None:
    client = client_for(personas[who])
    pk = employers["A"].pk
    for name in (
        "employer_detail",
        "employer_edit",
        "employer_staff",
        "employer_contract",
        "employer_layoff",
        "employer_hire",
    ):
        assert client.get(reverse(f"jobs:{name}", args=[pk])).status_code == 404, name
        assert client.post(reverse(f"jobs:{name}", args=[pk]), {}).status_code == 404, name


def test_unknown_and_huge_ids_are_404(worker: Client) -> None:
    for pk in (999999, 2**63 - 1, 2**64):
        assert worker.get(f"/jobs/employers/{pk}/").status_code == 404


def test_detail_shows_masked_numbers_and_abnormal_layoffs(
    worker: Client, employers: dict[str, Any]
) -> None:
    a = employers["A"]
    number = make_id(date(1979, 9, 9))
    services.contract_record(
        actor=None, employer=a, id_number=number, kind="signed", on=date(2026, 2, 1), term_months=24
    )
    services.contract_record(
        actor=None,
        employer=a,
        id_number=employers["pa"].id_number,
        kind="signed",
        on=date(2026, 2, 1),
        term_months=12,
    )
    services.layoff_record(
        actor=None, employer=a, on=date(2026, 2, 2), count=3, reason="企业破产清算"
    )
    services.layoff_record(actor=None, employer=a, on=date(2026, 2, 3), count=1, reason="合同到期")
    services.hire_record(actor=None, employer=a, person=employers["pc"], on=date(2026, 2, 4))
    response = worker.get(reverse("jobs:employer_detail", args=[a.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert number not in html and employers["pa"].id_number not in html
    assert employers["pc"].id_number not in html
    assert html.count('data-abnormal="1"') == 1 and "异常裁员" in html
    # A person of the worker's registry is linked; one of another community is a masked number.
    assert reverse("person_detail", args=[employers["pa"].pk]) in html
    assert employers["pc"].name not in html
    assert f"/jobs/postings/?employer={a.pk}" in html
    assert 'id="staff-new"' in html and 'id="hire-new"' in html


def test_reviewers_get_the_forms_they_may_use(
    personas: dict[str, Any], employers: dict[str, Any]
) -> None:
    a = employers["A"]
    html = client_for(personas["street"]).get(reverse("jobs:employer_detail", args=[a.pk]))
    text = html.content.decode()
    assert 'id="staff-new"' in text and 'id="employer-edit"' in text
    assert 'id="hire-new"' not in text  # a hire writes a resident's status
    assert (
        client_for(personas["street"]).get(reverse("jobs:employer_hire", args=[a.pk])).status_code
        == 403
    )
    response = client_for(personas["street"]).post(
        reverse("jobs:employer_staff", args=[a.pk]), {"on": DAY, "staff": "77"}
    )
    assert response.status_code == 302
    assert StaffReport.objects.filter(employer=a, staff=77).exists()


def test_create_employer(worker: Client, tree: dict[str, Any]) -> None:
    code = make_uscc()
    response = worker.post(
        reverse("jobs:employer_new"),
        {
            "uscc": f" {code[:8]} {code[8:].lower()} ",
            "name": "新登记公司",
            "unit": tree["a"].pk,
            "industry": "零售",
            "staff": "15",
            "on": DAY,
        },
    )
    assert response.status_code == 302
    made = Employer.objects.get(uscc=code)
    assert made.staff_reports.get().staff == 15
    again = worker.post(
        reverse("jobs:employer_new"), {"uscc": code, "name": "重复", "unit": tree["a"].pk}
    )
    assert again.status_code == 200 and "统一社会信用代码已登记" in again.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"uscc": "91110108MA00000010"}, "uscc", "统一社会信用代码无效"),
        ({"uscc": "123"}, "uscc", "统一社会信用代码无效"),
        ({"uscc": ""}, "uscc", "这个字段是必填项"),
        ({"name": "   "}, "name", ""),
        ({"unit": "999999"}, "unit", ""),
        ({"unit": "nonsense"}, "unit", ""),
        ({"staff": "-1"}, "", ""),
        ({"staff": "99999999999999999999"}, "staff", ""),
        ({"staff": "5", "on": "2026-02-30"}, "on", "YYYY-MM-DD"),
        ({"staff": "5", "on": "9999-01-01"}, "on", ""),
        ({"staff": "5", "on": "2099-01-01"}, "on", "不能晚于今天"),
    ],
)
def test_employer_form_errors(
    worker: Client, tree: dict[str, Any], data: dict[str, str], field: str, words: str
) -> None:
    body = {"uscc": make_uscc(), "name": "某公司", "unit": str(tree["a"].pk), **data}
    response = worker.post(reverse("jobs:employer_new"), body)
    assert response.status_code == 200
    html = response.content.decode()
    assert "invalid-feedback" in html or "alert-danger" in html
    if field:
        block = html[html.index(f'data-field="{field}"') :]
        assert "invalid-feedback" in block[: block.index("</div>\n") + 200] or words in block
    assert words in html
    assert not Employer.objects.filter(name="某公司").exists()


def test_a_unit_not_kept_is_not_offered(personas: dict[str, Any], tree: dict[str, Any]) -> None:
    response = client_for(personas["worker_a"]).post(
        reverse("jobs:employer_new"), {"uscc": make_uscc(), "name": "越权", "unit": tree["b"].pk}
    )
    assert response.status_code == 200 and not Employer.objects.filter(name="越权").exists()
    for who in ("grid_a1", "auditor", "nobody"):
        assert client_for(personas[who]).get(reverse("jobs:employer_new")).status_code == 403


def test_edit_employer(worker: Client, employers: dict[str, Any], tree: dict[str, Any]) -> None:
    a = employers["A"]
    page = worker.get(reverse("jobs:employer_edit", args=[a.pk])).content.decode()
    assert a.name in page and 'name="uscc"' not in page
    response = worker.post(
        reverse("jobs:employer_edit", args=[a.pk]),
        {"name": "改名公司", "unit": tree["a"].pk, "industry": "服务业"},
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.name == "改名公司" and a.industry == "服务业"
    bad = worker.post(
        reverse("jobs:employer_edit", args=[a.pk]), {"name": "", "unit": tree["a"].pk}
    )
    assert bad.status_code == 200


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"on": "", "staff": "10"}, "必填"),
        ({"on": "2026-13-01", "staff": "10"}, "YYYY-MM-DD"),
        ({"on": DAY, "staff": "-3"}, "职工人数不能为负数"),
        ({"on": DAY, "staff": "abc"}, "整数"),
        ({"on": DAY, "staff": "1" * 30}, ""),
        ({"on": "2099-12-31", "staff": "10"}, "不能晚于今天"),
    ],
)
def test_staff_form_errors(
    worker: Client, employers: dict[str, Any], data: dict[str, str], words: str
) -> None:
    response = worker.post(reverse("jobs:employer_staff", args=[employers["A"].pk]), data)
    assert response.status_code == 200
    assert words in response.content.decode() and "invalid-feedback" in response.content.decode()
    assert StaffReport.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"kind": "signed", "term_months": ""}, "须填写期限月数"),
        ({"kind": "ended", "term_months": "12"}, "终止劳动合同不填写期限月数"),
        ({"kind": "fired", "term_months": "12"}, "选择一个有效的选项"),
        ({"kind": "signed", "term_months": "12", "id_number": "12345"}, "公民身份号码无效"),
        ({"kind": "signed", "term_months": "12", "id_number": ""}, "必填"),
        ({"kind": "signed", "term_months": "99999"}, ""),
        ({"kind": "renewed", "term_months": "0"}, "须填写期限月数"),
        ({"kind": "signed", "term_months": "12", "on": "2099-01-01"}, "不能晚于今天"),
    ],
)
def test_contract_form_errors(
    worker: Client, employers: dict[str, Any], data: dict[str, str], words: str
) -> None:
    body = {"id_number": make_id(date(1990, 1, 1)), "on": DAY, **data}
    response = worker.post(reverse("jobs:employer_contract", args=[employers["A"].pk]), body)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not ContractEvent.objects.exists()


def test_contract_form_records_a_masked_number(worker: Client, employers: dict[str, Any]) -> None:
    number = make_id(date(1992, 2, 2))
    body = {"id_number": number, "kind": "signed", "on": DAY, "term_months": "36"}
    url = reverse("jobs:employer_contract", args=[employers["A"].pk])
    assert worker.post(url, body).status_code == 302
    assert worker.post(url, body).status_code == 302  # the same report again: nothing new
    event = ContractEvent.objects.get()
    assert event.term_months == 36 and number not in event.employee_masked
    detail = worker.get(reverse("jobs:employer_detail", args=[employers["A"].pk])).content.decode()
    assert event.employee_masked in detail and number not in detail


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"count": "0", "reason": "停产"}, "人数至少为1"),
        ({"count": "-5", "reason": "停产"}, "人数至少为1"),
        ({"count": "3", "reason": "  "}, ""),
        ({"count": "3", "reason": "x" * 300}, ""),
        ({"count": "1" * 40, "reason": "停产"}, ""),
        ({"count": "3", "reason": "停产", "on": "0000-00-00"}, "YYYY-MM-DD"),
    ],
)
def test_layoff_form_errors(
    worker: Client, employers: dict[str, Any], data: dict[str, str], words: str
) -> None:
    body = {"on": DAY, **data}
    response = worker.post(reverse("jobs:employer_layoff", args=[employers["A"].pk]), body)
    assert response.status_code == 200
    assert words in response.content.decode() and "invalid-feedback" in response.content.decode()
    assert not Layoff.objects.exists()


def test_layoff_form_suggests_the_abnormal_reasons(
    worker: Client, employers: dict[str, Any]
) -> None:
    url = reverse("jobs:employer_layoff", args=[employers["A"].pk])
    html = worker.get(url).content.decode()
    assert all(f'<option value="{r}">' in html for r in ("经营困难", "停产", "破产", "转产"))
    assert worker.post(url, {"on": DAY, "count": "8", "reason": "转产"}).status_code == 302
    assert Layoff.objects.get().count == 8


def test_hire_form_changes_the_status_once(worker: Client, employers: dict[str, Any]) -> None:
    person = employers["pa"]
    url = reverse("jobs:employer_hire", args=[employers["A"].pk])
    page = worker.get(url).content.decode()
    assert "就业状态将改为" in page  # the form says what the hire does
    body = {"id_number": person.id_number, "on": DAY}
    response = worker.post(url, body, follow=True)
    assert response.redirect_chain and "已录用" in response.content.decode()
    person.refresh_from_db()
    assert person.current_status == Status.UNIT
    again = worker.post(url, body)
    assert again.status_code == 200 and "已于2026-03-10被该单位录用" in again.content.decode()
    assert person.id_number not in again.content.decode().replace(f'value="{person.id_number}"', "")
    assert Hire.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "number", "words"),
    [
        ("worker_a", "pb", "人员名册中没有"),  # another community's person: not in the registry
        ("worker_a", "bad", "公民身份号码无效"),
        ("worker_a", "unknown", "人员名册中没有"),
    ],
)
def test_hire_form_errors(
    personas: dict[str, Any], employers: dict[str, Any], who: str, number: str, words: str
) -> None:
    id_number = {
        "pb": employers["pb"].id_number,
        "bad": "11010819800101001",
        "unknown": make_id(date(1970, 7, 7)),
    }[number]
    url = reverse("jobs:employer_hire", args=[employers["A"].pk])
    response = client_for(personas[who]).post(url, {"id_number": id_number, "on": DAY})
    assert response.status_code == 200 and words in response.content.decode()
    assert not Hire.objects.exists()


def test_hire_into_a_full_posting_is_refused_on_the_form(
    worker: Client, employers: dict[str, Any]
) -> None:
    a = employers["A"]
    today = timezone.localdate()
    posting = Posting.objects.create(
        number="P-9", employer=a, title="保洁", vacancies=1, unit=a.unit, opens_on=today
    )
    url = reverse("jobs:employer_hire", args=[a.pk])
    ok = worker.post(
        url,
        {"id_number": employers["pa"].id_number, "on": today.isoformat(), "posting": posting.pk},
    )
    assert ok.status_code == 302
    posting.refresh_from_db()
    assert posting.filled == 1
    # Full now: no longer offered, so a stale choice is refused by the form.
    stale = worker.post(
        url, {"id_number": employers["pa"].id_number, "on": DAY, "posting": posting.pk}
    )
    assert stale.status_code == 200 and "invalid-feedback" in stale.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "index",
        "employer_detail",
        "employer_new",
        "employer_edit",
        "employer_staff",
        "employer_contract",
        "employer_layoff",
        "employer_hire",
    ],
)
def test_pages_render_in_english(
    personas: dict[str, Any], employers: dict[str, Any], name: str
) -> None:
    client = client_for(personas["worker_a"], "en")
    client.post(reverse("set_language"), {"language": "en"})
    args = [] if name in ("index", "employer_new") else [employers["A"].pk]
    html = client.get(reverse(f"jobs:{name}", args=args)).content.decode()
    assert 'lang="en"' in html
    for words in (
        "用人单位",
        "职工人数",
        "劳动合同",
        "裁员",
        "录用",
        "报告日期",
        "统一社会信用代码",
    ):
        assert words not in html.replace(employers["A"].name, ""), (name, words)


def test_english_errors(personas: dict[str, Any], employers: dict[str, Any]) -> None:
    client = client_for(personas["worker_a"], "en")
    client.post(reverse("set_language"), {"language": "en"})
    html = client.post(
        reverse("jobs:employer_layoff", args=[employers["A"].pk]),
        {"on": "2099-01-01", "count": "0", "reason": "停产"},
    ).content.decode()
    assert "The number of persons must be at least 1" in html
