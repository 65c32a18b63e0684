"""Never a 500 for a date (issue 11, finding 8).

Every page, API operation and command that takes a date is tried with a year the holiday
calendar does not know (2027-01-15 after chinesecalendar's last year, 2003-06-30 before its
first), dates out of range (9999-12-31, 0001-01-01) and malformed ones:

- pages: every URL of the URL conf (the permission matrix's specs, which fail the suite for a
  URL without one), GET and POST, with every date parameter name we use set to the value; the
  parameters a view reads are recorded, so a new date-taking page is checked without being
  listed. A wrong date is said on the page (which falls back to today); never a 5xx.
- the API: every operation of the OpenAPI schema with a date parameter: 422 for a wrong date.
- commands: every management command's date options use ``lib.dates``; a wrong date is a
  ``CommandError``.

For the years without holidays, the pages and answers that show working-day figures (the
worklist, CQ-4 and its indicator under CQ-2007) show them as not available, naming the fix
(``jiuye holidays install YEAR.toml``), and everything else as usual.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from io import StringIO
from typing import Any
from unittest.mock import patch

import pytest
from django.core.management import CommandError, call_command, get_commands, load_command_class
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiuye.casework import deadlines
from jiuye.lib import dates
from jiuye.lib.dates import DateInputError, date_argument, parse_date
from jiuye.standards.evaluation import evaluate_unit
from jiuye.standards.rules import Criterion, Level, Unavailable, evaluate
from jiuye.standards.rulesets import ruleset_get
from jiuye.units.scope import SYSTEM
from tests.security.test_permission_matrix import SPECS, url_names

D = date
# value → what it is: "calendar" (in range, no holiday calendar), "range", "malformed"
VALUES = {
    "2027-01-15": "calendar",
    "2003-06-30": "calendar",
    "9999-12-31": "range",
    "0001-01-01": "range",
    "2026-02-30": "malformed",
    "15/01/2027": "malformed",
    "1768435200": "malformed",  # a Unix timestamp (2026-01-15), which pydantic alone takes
}
WRONG = {value: kind for value, kind in VALUES.items() if kind != "calendar"}
# Every name a page, form or API operation of ours takes a date under.
DATE_NAMES = ("date", "from", "start", "end", "on", "since", "date_from", "date_to")
SAID = {"range": "1950-01-01 至 2100-12-31", "malformed": "YYYY-MM-DD"}
FIX = "jiuye holidays install {year}.toml"


def year_of(value: str) -> int:
    return int(value[:4])


@contextmanager
def reads() -> Iterator[set[str]]:
    """The query and form parameters (present in the request) read while inside."""
    seen: set[str] = set()

    def recording(method: Any) -> Any:
        def read(self: QueryDict, key: str, *args: Any, **kwargs: Any) -> Any:
            if dict.__contains__(self, key):
                seen.add(key)
            return method(self, key, *args, **kwargs)

        return read

    methods = {name: getattr(QueryDict, name) for name in ("get", "getlist", "__getitem__")}
    with patch.multiple(QueryDict, **{name: recording(m) for name, m in methods.items()}):
        yield seen


def personas_for(kind: str) -> list[str]:
    if kind == "auditor":
        return ["auditor"]
    if kind == "two_factor":
        return ["district"]
    return ["worker_a", "district"]


def page_urls(objects: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(URL name, URL, fixed parameters) of every page of the URL conf (the API apart)."""
    for name in url_names():
        spec = SPECS[name]
        if spec.api:
            continue
        place = "A" if spec.kwargs and "A" in spec.placements else None
        kwargs = spec.kwargs(objects[place]) if spec.kwargs and place else None
        fixed = dict(p.split("=", 1) for p in spec.query.split("&") if p)
        yield name, reverse(name, kwargs=kwargs), fixed


@pytest.mark.parametrize("value", VALUES)
def test_every_page_takes_any_date(
    value: str,
    calendar_data: dict[str, Any],
    objects: dict[str, Any],
    job: Any,
    clients: dict[str, Client],
) -> None:
    kind = VALUES[value]
    problems: list[str] = []
    takes_dates: set[str] = set()
    for name, url, fixed in page_urls(objects):
        for persona in personas_for(SPECS[name].kind):
            for verb in ("get", "post"):
                data = dict.fromkeys(DATE_NAMES, value) | fixed
                client = clients[persona]
                cookies = copy.deepcopy(client.cookies)  # a logout must not end the session
                with transaction.atomic(), reads() as seen:
                    response = getattr(client, verb)(url, data)
                    transaction.set_rollback(True)
                client.cookies = cookies
                where = f"{verb.upper()} {url}?date={value} as {persona}"
                if response.status_code >= 500:
                    problems.append(f"{where}: {response.status_code}")
                    continue
                read = seen & set(DATE_NAMES)
                if not read:
                    continue
                takes_dates.add(name)
                html = response.get("Content-Type", "").startswith("text/html")
                if kind in SAID and response.status_code == 200 and html:
                    body = response.content.decode()
                    if SAID[kind] not in body:
                        problems.append(f"{where}: read {sorted(read)} but says nothing")
    assert not problems, "\n".join(problems)
    # The pages known to take a date are among those found (the recording works).
    assert {
        "casework:worklist",
        "casework:rule",
        "casework:zero_families",
        "casework:ten_clears",
        "casework:ledger",
        "standards:unit",
        "standards:behind",
        "audit_log",
        "ledger:export",
    } <= takes_dates


@pytest.mark.parametrize("value", WRONG)
def test_a_wrong_date_is_said_and_today_shown(
    value: str, calendar_data: dict[str, Any], clients: dict[str, Client], tree: dict[str, Any]
) -> None:
    today = timezone.localdate().isoformat()
    worklist = clients["worker_a"].get(reverse("casework:worklist"), {"date": value})
    body = worklist.content.decode()
    assert worklist.status_code == 200
    assert SAID[WRONG[value]] in body and f'value="{today}"' in body
    unit = clients["worker_a"].get(
        reverse("standards:unit", args=[tree["a"].code]), {"ruleset": "CQ-2007", "date": value}
    )
    body = unit.content.decode()
    assert unit.status_code == 200
    assert SAID[WRONG[value]] in body and f'id="f-date" value="{today}"' in body


def test_a_tick_with_a_wrong_date_is_not_saved(
    clients: dict[str, Client], tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    from jiuye.standards.models import ChecklistTick

    url = reverse("standards:tick", args=[tree["a"].code]) + "?ruleset=HD-2012&date="
    tick = {"item": "HD-D1", "role": "street", "ticked": "on", "note": "已核实"}  # 初核
    response = clients["street"].post(url + "9999-12-31", tick)
    assert response.status_code == 302
    assert not ChecklistTick.objects.exists()
    clients["street"].post(url + "2026-05-12", tick)  # the same tick, dated: saved
    assert ChecklistTick.objects.get().year == 2026


MARKED_PAGES = {
    "worklist": ("casework:worklist", [], {}),
    "CQ-4 items": ("casework:rule", ["CQ-4"], {}),
    "CQ-2007 evaluation": ("standards:unit", ["110108001001"], {"ruleset": "CQ-2007"}),
    "CQ-2007 street": ("standards:unit", ["110108001"], {"ruleset": "CQ-2007"}),
    "guidance behind": ("standards:behind", ["110108001001", "guidance_on_time_rate"], {}),
}


@pytest.mark.parametrize("value", [v for v, k in VALUES.items() if k == "calendar"])
@pytest.mark.parametrize("page", MARKED_PAGES)
def test_working_day_figures_marked_with_the_fix(
    page: str, value: str, calendar_data: dict[str, Any], clients: dict[str, Client]
) -> None:
    name, args, params = MARKED_PAGES[page]
    response = clients["district"].get(reverse(name, args=args), {"date": value, **params})
    assert response.status_code == 200
    body = response.content.decode()
    assert FIX.format(year=year_of(value)) in body
    if page == "CQ-2007 street":
        # CQ-4 of its community is undecided, not failed, with the reason.
        assert 'id="children-unavailable"' in body
        start = body.index('data-unit="110108001001"')
        assert "待定：CQ-4" in body[start : body.index("</tr>", start)]
    if page == "CQ-2007 evaluation":
        # CQ-4 is undecided, not failed; the other criteria are computed as usual.
        start = body.index('data-criterion="CQ-4"')
        row = body[start : body.index("</tr>", start)]
        assert 'data-passed="none"' in row and f'data-unavailable="{year_of(value)}"' in row
        assert FIX.format(year=year_of(value)) in row
        assert 'data-criterion="CQ-2a"' in body  # the others are there, decided as usual


@pytest.mark.parametrize("value", VALUES)
def test_every_rule_set_and_indicator(
    value: str, calendar_data: dict[str, Any], clients: dict[str, Client]
) -> None:
    """The evaluation page of every rule set and the list behind every indicator, for a
    community, a street and the district (the matrix's specs name one of each only)."""
    from jiuye.standards.indicators import INDICATORS
    from jiuye.standards.rulesets import rulesets

    problems = []
    for code in ("110108001001", "110108001", "110108"):
        urls = [
            (reverse("standards:unit", args=[code]), {"ruleset": ruleset}) for ruleset in rulesets()
        ]
        urls += [(reverse("standards:behind", args=[code, i]), {}) for i in INDICATORS]
        for url, params in urls:
            response = clients["district"].get(url, {"date": value, "from": value, **params})
            if response.status_code != 200:
                problems.append(f"{url} {params} {value}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_worklist_keeps_what_needs_no_working_days(
    calendar_data: dict[str, Any], objects: dict[str, Any], tree: dict[str, Any]
) -> None:
    on = D(2027, 1, 15)
    items = deadlines.deadline_items(tree["a"], on, user=SYSTEM)
    assert items.gaps.years == {2027} and items.gaps.undated == {"CQ-4": 1} and items.gaps.horizon
    named = {(i.rule_id, i.name) for i in items}
    # The 2026 registration's QG-6 visit and CQ-5, the 2027 one's visit and referrals: listed.
    assert ("QG-6-visit", "二七登记") in named and ("CQ-5", "二七登记") in named
    assert ("CQ-5", objects["A"]["person"].name) in named
    assert not any(rule == "CQ-4" and who == "二七登记" for rule, who in named)
    # Due soon means due within 5 calendar days then (certainly within 5 working days).
    assert all(i.due <= D(2027, 1, 20) for i in items if i.state == deadlines.State.DUE_SOON)
    text = "\n".join([items.gaps.note, *items.gaps.details()])
    assert FIX.format(year=2027) in text and "CQ-4：1 项" in text


# ---- the API ---------------------------------------------------------------------------------


def api_operations() -> list[tuple[str, list[str], list[str]]]:
    """(path, path parameters, date parameters) of every API operation taking a date."""
    from jiuye.api.api import api

    schema = api.get_openapi_schema(path_prefix="/api")
    found = []
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            params = operation.get("parameters", [])
            dated = [
                p["name"]
                for p in params
                if p["in"] == "query"
                and any(
                    s.get("format") == "date" for s in [p["schema"], *p["schema"].get("anyOf", [])]
                )
            ]
            if dated:
                found.append((path, [p["name"] for p in params if p["in"] == "path"], dated))
    return found


PATH_VALUES = {"code": "110108001001", "indicator": "guidance_on_time_rate"}


def test_the_api_operations_with_dates_are_found() -> None:
    assert {path for path, _p, _d in api_operations()} >= {
        "/api/standards/units/{code}/evaluation",
        "/api/standards/units/{code}/evaluations",
        "/api/standards/units/{code}/indicators/{indicator}/behind",
        "/api/policies/catalog/{policy_id}/eligible",
        "/api/policies/catalog/{policy_id}/explain",
        "/api/policies/escalations/candidates",
    }


@pytest.mark.parametrize("value", VALUES)
def test_every_api_date_parameter(
    value: str, calendar_data: dict[str, Any], clients: dict[str, Client]
) -> None:
    problems = []
    # The matching's paths name a person and a posting of community A (issue 16).
    place = calendar_data["objects"]["A"]
    values = PATH_VALUES | {"person_id": place["person"].pk, "posting_id": place["posting"].pk}
    # The policies' eligibility and explanation (issue 17): a policy, and whom to explain.
    values |= {"policy_id": "HD18-FLEX-SI"}
    beneficiary = {"/api/policies/catalog/{policy_id}/explain": {"person": place["person"].pk}}
    for path, path_params, dated in api_operations():
        url = path.format(**{p: values[p] for p in path_params})
        for ruleset in ("CQ-2007", "QG-2016", "HD-2012"):
            for name in dated:
                # Each date parameter alone (with the date itself when it is the period start,
                # which may not lie after the date).
                params = (
                    {"ruleset": ruleset, name: value}
                    | beneficiary.get(path, {})
                    | ({"date": value} if name == "from" else {})
                )
                response = clients["district"].get(url, params)
                where = f"{url}?ruleset={ruleset}&{name}={value}"
                if VALUES[value] == "calendar":
                    if response.status_code != 200:
                        problems.append(f"{where}: {response.status_code}")
                elif response.status_code != 422:
                    problems.append(f"{where}: {response.status_code}, not 422")
                elif name == "date" and VALUES[value] == "range":
                    assert "2100-12-31" in response.content.decode()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("value", [v for v, k in VALUES.items() if k == "calendar"])
def test_api_marks_unavailable_values(
    value: str, calendar_data: dict[str, Any], clients: dict[str, Client]
) -> None:
    year = year_of(value)
    body = (
        clients["district"]
        .get(
            "/api/standards/units/110108001001/evaluation",
            {"ruleset": "CQ-2007", "date": value},
        )
        .json()
    )
    (cq4,) = [c for c in body["criteria"] if c["indicator"] == "guidance_on_time_rate"]
    assert cq4["value"] is None and cq4["passed"] is None and cq4["gap"] is None
    assert cq4["unavailable"]["years"] == [year]
    assert FIX.format(year=year) in cq4["unavailable"]["reason"] == cq4["note"]
    assert body["passed"] is False
    others = [c for c in body["criteria"] if c is not cq4]
    assert others and all(c["unavailable"] is None for c in others)
    behind = (
        clients["district"]
        .get(
            "/api/standards/units/110108001001/indicators/guidance_on_time_rate/behind",
            {"date": value},
        )
        .json()
    )
    assert behind["unavailable"]["years"] == [year]


# ---- the commands ----------------------------------------------------------------------------

DATE_OPTIONS = {"--date", "--from", "--start", "--end", "--today", "--since", "--on"}


def command_date_options() -> list[tuple[str, str]]:
    """(command, option) for every date option of every management command of ours."""
    found = []
    for name, app in get_commands().items():
        if not app.startswith("jiuye"):
            continue
        parser = load_command_class(app, name).create_parser("jiuye", name)
        for action in parser._actions:
            for option in set(action.option_strings) & DATE_OPTIONS:
                found.append((name, option))
                assert action.type is date_argument, f"{name} {option}: use lib.dates"
    return sorted(found)


def test_every_date_option_uses_the_shared_reader() -> None:
    assert {("evaluate", "--date"), ("worklist", "--date"), ("export", "--date")} <= set(
        command_date_options()
    )


@pytest.mark.parametrize("value", WRONG)
def test_every_date_option_refuses_a_wrong_date(value: str, tree: dict[str, Any]) -> None:
    for command, option in command_date_options():
        with pytest.raises(CommandError, match=SAID[WRONG[value]]):
            call_command(command, option, value, stdout=StringIO(), stderr=StringIO())
        # ``call_command(..., date="…")`` passes the text past the parser: refused the same.
        dest = option.removeprefix("--").replace("-", "_")
        dest = {"from": "start"}.get(dest, dest)
        if command in ("evaluate", "worklist"):
            args = ["110108001001"] + (["--ruleset", "HD-2012"] if command == "evaluate" else [])
            with pytest.raises(CommandError, match=SAID[WRONG[value]]):
                call_command(command, *args, **{dest: value}, stdout=StringIO())


@pytest.mark.parametrize("value", [v for v, k in VALUES.items() if k == "calendar"])
def test_commands_mark_unavailable_values(value: str, calendar_data: dict[str, Any]) -> None:
    year = year_of(value)
    out = StringIO()
    call_command("worklist", "110108001001", "--date", value, "--all", stdout=out)
    assert FIX.format(year=year) in out.getvalue()
    out = StringIO()
    call_command(
        "evaluate", "110108001001", "--ruleset", "CQ-2007", "--date", value, "--json", stdout=out
    )
    result = json.loads(out.getvalue())
    (cq4,) = [c for c in result["criteria"] if c["indicator"] == "guidance_on_time_rate"]
    assert (cq4["value"], cq4["passed"], cq4["unavailable"]["years"]) == (None, None, [year])
    out = StringIO()
    call_command("evaluate", "110108001001", "--ruleset", "CQ-2007", "--date", value, stdout=out)
    assert FIX.format(year=year) in out.getvalue() and "待定" in out.getvalue()


# ---- the pieces ------------------------------------------------------------------------------

PARSE = {
    "ordinary": ("2026-05-12", D(2026, 5, 12)),
    "first day": ("1950-01-01", D(1950, 1, 1)),
    "last day": ("2100-12-31", D(2100, 12, 31)),
    "spaces": (" 2026-05-12 ", D(2026, 5, 12)),
    "before the range": ("1949-12-31", "1950-01-01 至 2100-12-31"),
    "after the range": ("2101-01-01", "1950-01-01 至 2100-12-31"),
    "the last date Python knows": ("9999-12-31", "1950-01-01 至 2100-12-31"),
    "year one": ("0001-01-01", "1950-01-01 至 2100-12-31"),
    "no such day": ("2026-02-30", "YYYY-MM-DD"),
    "compact ISO": ("20260512", "YYYY-MM-DD"),
    "a time": ("2026-05-12T10:00", "YYYY-MM-DD"),
    "slashes": ("2026/05/12", "YYYY-MM-DD"),
    "text": ("today", "YYYY-MM-DD"),
}


@pytest.mark.parametrize(("raw", "expected"), PARSE.values(), ids=PARSE.keys())
def test_parse_date(raw: str, expected: date | str) -> None:
    if isinstance(expected, date):
        assert parse_date(raw) == expected
    else:
        with pytest.raises(DateInputError, match=expected):
            parse_date(raw)


def test_a_wrong_value_is_repeated_masked_and_short() -> None:
    from tests.conftest import make_id

    full = make_id(D(1980, 1, 15))
    with pytest.raises(DateInputError) as info:
        parse_date(full)
    assert full not in str(info.value)
    with pytest.raises(DateInputError) as info:
        parse_date("x" * 10_000)
    assert len(str(info.value)) < 100


def test_the_date_params_fall_back_and_collect() -> None:
    params = dates.DateParams({"date": "9999-12-31", "from": "2026-01-01", "end": ""})
    assert params.get("date", D(2026, 5, 1), label="时点") == D(2026, 5, 1)
    assert params.optional("from") == D(2026, 1, 1)
    assert params.get("end", D(2026, 5, 2)) == D(2026, 5, 2)
    assert params.errors == ["时点：日期须在 1950-01-01 至 2100-12-31 之间：9999-12-31"]


UNAVAILABLE = Unavailable((2027,))


def test_an_unavailable_value_is_undecided() -> None:
    from jiuye.standards.indicators import INDICATORS

    criterion = Criterion(
        "X-1",
        "guidance_on_time_rate",
        ">=",
        parse_fraction("0.9"),
        info=INDICATORS["guidance_on_time_rate"],
    )
    other = Criterion(
        "X-2", "zero_families", "=", parse_fraction("0"), info=INDICATORS["zero_families"]
    )
    level = Level("community", "社区", ("community",), (criterion, other))
    result = evaluate(facts={"guidance_on_time_rate": UNAVAILABLE, "zero_families": 0}, level=level)
    first = result.results[0]
    assert (first.passed, first.value, first.gap, first.unavailable) == (
        None,
        None,
        None,
        UNAVAILABLE,
    )
    assert FIX.format(year=2027) in first.note
    assert not result.passed and result.undecided
    failing = evaluate(
        facts={"guidance_on_time_rate": UNAVAILABLE, "zero_families": 1}, level=level
    )
    assert not failing.passed and not failing.undecided  # a definite failure decides


def parse_fraction(text: str) -> Any:
    from fractions import Fraction

    return Fraction(text)


def test_a_score_with_an_unavailable_deduction_is_not_passed_yet() -> None:
    from jiuye.standards.scoring import Deduction, ScoreItem, ScoreTable, score

    table = ScoreTable(
        (
            ScoreItem(
                1,
                "a",
                "甲",
                10,
                (Deduction("a1", "每少联系1人扣1分", 1, "per_count", "difficult_contact_misses"),),
            ),
        ),
        pass_mark=5,
    )
    result = score(
        table=table,
        facts={"difficult_contact_misses": UNAVAILABLE},
        self_ticks={},
        assessor_ticks={},
    )
    (deduction,) = result.items[0].deductions
    assert deduction.unavailable == UNAVAILABLE and deduction.assessor_points == 0
    assert result.assessor_total == 10 and result.passed is None
    assert FIX.format(year=2027) in deduction.detail


def test_the_evaluation_json_keeps_its_contract(
    calendar_data: dict[str, Any], tree: dict[str, Any]
) -> None:
    result = evaluate_unit(unit=tree["a"], ruleset=ruleset_get("CQ-2007"), on=D(2027, 1, 15))
    data = result.as_json()
    assert isinstance(data["passed"], bool) and data["passed"] is False
    assert isinstance(data["undecided"], bool)
    for c in data["criteria"]:
        assert set(c) >= {"id", "value", "passed", "gap", "note", "unavailable"}
    json.dumps(data)
