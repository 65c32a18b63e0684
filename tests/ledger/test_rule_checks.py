"""The importer applies the forms' rule checks (``registry.checks``, ``casework.checks``): the same
functions, the same codes and words, each refusal a located error (sheet, row, column); all or
nothing writes nothing, ``partial`` writes the rest. DOMAIN §3 (status, recognitions, readings
of 2026-12 no. 1 and 9) and §4 (service records)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_id
from tests.ledger.conftest import HEADERS, TODAY, registry_counts, write_xlsx

from jiuye.casework import checks as casework_checks
from jiuye.registry import checks as registry_checks

pytestmark = pytest.mark.django_db

PERSONS = ["公民身份号码", "姓名", "户编号", "劳动能力", "就业愿望", "残疾", "失地农民"]
RECOGNITIONS = ["公民身份号码", "类别", "认定日期", "退出日期", "备注"]
SERVICES = [
    "公民身份号码",
    "类型",
    "日期",
    "培训模式",
    "结果",
    "备注",
    "培训进度",
    "政策名称",
    "金额",
]
GRID = "110108001001A1"
_households = iter(range(1, 10_000))


def person(number: str, household: str, *, name: str = "", flags: str = "") -> list[Any]:
    """A persons-sheet row: able and willing; ``flags`` "d" disabled, "l" landless."""
    return [
        number,
        name or f"人{number[-4:]}",
        household,
        "有",
        "有",
        "是" if "d" in flags else "否",
        "是" if "l" in flags else "否",
    ]


def status(number: str, label: str, since: date, registered: bool = False) -> list[Any]:
    return [number, label, since, "是" if registered else "", "", ""]


def book(
    tmp_path: Path,
    *,
    households: Sequence[Sequence[Any]] = (),
    persons: Sequence[Sequence[Any]] = (),
    statuses: Sequence[Sequence[Any]] = (),
    recognitions: Sequence[Sequence[Any]] = (),
    services: Sequence[Sequence[Any]] = (),
) -> Path:
    sheets: dict[str, list[Sequence[Any]]] = {}
    if households:
        sheets["户"] = [HEADERS["户"], *households]
    if persons:
        sheets["人员"] = [PERSONS, *persons]
    if statuses:
        sheets["就业状态"] = [HEADERS["就业状态"], *statuses]
    if recognitions:
        sheets["困难认定"] = [RECOGNITIONS, *recognitions]
    if services:
        sheets["服务记录"] = [SERVICES, *services]
    return write_xlsx(tmp_path / f"book{next(_households)}.xlsx", sheets)


def household(*, dibao: bool = False, hukou: str = "城镇") -> tuple[str, list[Any]]:
    number = f"RC-{next(_households):05d}"
    return number, [number, GRID, hukou, "", "是" if dibao else "否"]


def only_issue(result: Any) -> Any:
    assert len(result.issues) == 1, [(i.code, i.message_zh) for i in result.issues]
    return result.issues[0]


def refused(run_import: Any, path: Path, code: str, sheet: str, row: int, column: str) -> Any:
    """All or nothing: the one located issue, nothing written."""
    before = registry_counts()
    result = run_import(path)
    issue = only_issue(result)
    assert (issue.code, issue.sheet, issue.row, issue.column) == (code, sheet, row, column)
    assert not result.written and registry_counts() == before
    return issue


# ---------------------------------------------------------------------------------------------
# Status events (DOMAIN §3; reading 9: no employment before the 16th birthday)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "since", "code"),
    [
        ("单位就业", date(2010, 6, 14), "employed_under_16"),  # the day before the 16th birthday
        ("单位就业", date(2010, 6, 15), None),  # on it
        ("务农", date(2001, 1, 1), "employed_under_16"),  # farming is employment too
        ("在校", date(2001, 1, 1), None),  # a pupil of 6
        ("失业", date(2010, 6, 14), None),  # not employment
        ("单位就业", date(1994, 6, 14), "before_birth"),
    ],
)
def test_status_checks_as_the_form(
    tree: Any, tmp_path: Path, run_import: Any, label: str, since: date, code: str | None
) -> None:
    birth = date(1994, 6, 15)
    number = make_id(birth)
    h, row = household()
    path = book(
        tmp_path,
        households=[row],
        persons=[person(number, h)],
        statuses=[status(number, label, since)],
    )
    if code is None:
        assert run_import(path).ok
        return
    issue = refused(run_import, path, code, "就业状态", 2, "起始日期")
    (expected,) = registry_checks.status_problems(
        status={"单位就业": "unit", "务农": "farming"}[label],
        since=since,
        registered=False,
        birth_date=birth,
        work_from=date(2010, 6, 15),
    )
    assert (issue.message_zh, issue.message_en) == (expected.zh, expected.en)
    assert issue.value == since.isoformat()


def test_registered_only_when_unemployed_is_the_checks_wording(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    number = make_id(date(1980, 1, 1))
    h, row = household()
    path = book(
        tmp_path,
        households=[row],
        persons=[person(number, h)],
        statuses=[status(number, "灵活就业", date(2024, 1, 1), registered=True)],
    )
    issue = refused(run_import, path, "registered_not_unemployed", "就业状态", 2, "登记失业")
    assert issue.message_zh == registry_checks.MESSAGES["registered_not_unemployed"][0]
    assert issue.value == "是"


def test_employment_before_16_partial_imports_the_rest(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    child, adult = make_id(date(2014, 12, 1)), make_id(date(1990, 2, 2))
    h, row = household()
    path = book(
        tmp_path,
        households=[row],
        persons=[person(child, h), person(adult, h)],
        statuses=[
            status(child, "灵活就业", date(2026, 1, 1)),  # 11 years old (issue 10)
            status(adult, "灵活就业", date(2026, 1, 1)),
        ],
    )
    result = run_import(path, mode="partial")
    assert [i.code for i in result.issues] == ["employed_under_16"]
    from jiuye.registry.models import StatusEvent

    assert list(StatusEvent.objects.values_list("person__id_number", flat=True)) == [adult]


# ---------------------------------------------------------------------------------------------
# Recognitions: each category borne out on its recognition date (DOMAIN §3, reading 9)
# ---------------------------------------------------------------------------------------------


def _recognise(
    tmp_path: Path, category: str, on: date, *, note: str = "", **kw: Any
) -> tuple[Path, str]:
    """A household (``dibao``, ``hukou``) of one person (``flags``, ``birth``, ``female``) with
    ``statuses`` [(label, since, registered)], recognised in ``category`` on ``on``."""
    number = make_id(kw.get("birth", date(1980, 5, 5)), male=not kw.get("female", False))
    h, row = household(dibao=kw.get("dibao", False), hukou=kw.get("hukou", "城镇"))
    path = book(
        tmp_path,
        households=[row],
        persons=[person(number, h, flags=kw.get("flags", ""))],
        statuses=[status(number, *s) for s in kw.get("statuses", ())],
        recognitions=[[number, category, on, None, note]],
    )
    return path, number


UNEMPLOYED_2025 = [("单位就业", date(2020, 1, 1)), ("失业", date(2025, 3, 1), True)]
JOBLESS_2025 = [("失业", date(2025, 1, 1), True)]

CASES = [
    # (category, recognition date, the person and household, refused with)
    ("4050", date(2025, 5, 5), {"statuses": UNEMPLOYED_2025}, "not_4050"),  # a man of 45
    ("4050", date(2025, 5, 5), {"female": True, "statuses": UNEMPLOYED_2025}, None),  # 45
    ("4050", date(2025, 3, 1), {"birth": date(1975, 3, 1), "statuses": JOBLESS_2025}, None),
    ("4050", date(2025, 2, 28), {"birth": date(1975, 3, 1), "statuses": JOBLESS_2025}, "not_4050"),
    (
        "4050",
        date(2025, 3, 1),
        {"female": True, "birth": date(1985, 3, 1), "statuses": JOBLESS_2025},
        None,
    ),
    (
        "4050",
        date(2025, 2, 28),
        {"female": True, "birth": date(1985, 3, 1), "statuses": JOBLESS_2025},
        "not_4050",
    ),
    ("4050", date(2025, 5, 5), {"birth": date(1960, 1, 1), "statuses": UNEMPLOYED_2025}, None),
    (
        "4050",
        date(2025, 2, 28),
        {"birth": date(1960, 1, 1), "statuses": UNEMPLOYED_2025},
        "not_4050",
    ),  # employed
    ("4050", date(2025, 3, 1), {"birth": date(1970, 1, 1)}, "not_4050"),  # status unknown
    ("低保", date(2025, 1, 1), {"dibao": True}, None),
    ("低保", date(2025, 1, 1), {"dibao": False}, "not_dibao"),
    ("残疾", date(2025, 1, 1), {"flags": "d"}, None),
    ("残疾", date(2025, 1, 1), {}, "not_disabled"),
    ("失地农民", date(2025, 1, 1), {"flags": "l"}, None),
    ("失地农民", date(2025, 1, 1), {"flags": "d"}, "not_landless"),
    ("长期失业", date(2026, 3, 1), {"statuses": UNEMPLOYED_2025}, None),  # a year to the day
    ("长期失业", date(2025, 3, 10), {"statuses": UNEMPLOYED_2025}, "not_long_term"),  # 9 days
    ("长期失业", date(2026, 2, 28), {"statuses": UNEMPLOYED_2025}, "not_long_term"),
    (
        "长期失业",
        date(2026, 3, 1),
        {"statuses": [("失业", date(2025, 3, 1)), ("失业", date(2025, 6, 1), True)]},
        "not_long_term",  # registered only from June
    ),
    (
        "长期失业",
        date(2026, 3, 1),
        {"statuses": [("失业", date(2025, 3, 1), True), ("失业", date(2025, 6, 1), True)]},
        None,  # two registered events, one registration
    ),
    (
        "长期失业",
        date(2026, 3, 1),
        {"statuses": [*UNEMPLOYED_2025, ("灵活就业", date(2025, 9, 1))]},
        "not_long_term",  # no longer registered that day
    ),
    ("零就业家庭", date(2025, 3, 1), {"statuses": UNEMPLOYED_2025}, None),
    ("零就业家庭", date(2025, 2, 28), {"statuses": UNEMPLOYED_2025}, "not_zero_family"),
    ("零就业家庭", date(2025, 3, 1), {}, "not_zero_family"),  # status unknown: counted nowhere
    ("其他", date(2025, 1, 1), {}, "other_note_required"),
]


@pytest.mark.parametrize(("category", "on", "kw", "code"), CASES)
def test_each_category_on_its_recognition_date(
    tree: Any,
    tmp_path: Path,
    run_import: Any,
    category: str,
    on: date,
    kw: dict[str, Any],
    code: str | None,
) -> None:
    path, _number = _recognise(tmp_path, category, on, **kw)
    if code is None:
        result = run_import(path)
        assert result.ok, result.issues
        from jiuye.registry.models import DifficultyRecognition

        assert DifficultyRecognition.objects.filter(recognized_on=on).count() == 1
        return
    column = "备注" if code == "other_note_required" else "类别"
    issue = refused(run_import, path, code, "困难认定", 2, column)
    assert issue.message_zh.startswith(registry_checks.MESSAGES[code][0].split("{")[0])


def test_long_term_says_when_the_year_is_full(tree: Any, tmp_path: Path, run_import: Any) -> None:
    path, _ = _recognise(tmp_path, "长期失业", date(2025, 12, 1), statuses=UNEMPLOYED_2025)
    issue = refused(run_import, path, "not_long_term", "困难认定", 2, "类别")
    assert "满1年为2026-03-01" in issue.message_zh and "a year on 2026-03-01" in issue.message_en


def test_other_with_a_note_is_accepted(tree: Any, tmp_path: Path, run_import: Any) -> None:
    path, _ = _recognise(tmp_path, "其他", date(2025, 1, 1), note="家庭突发困难")
    assert run_import(path).ok


def test_a_refused_recognition_partial_imports_the_rest(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    a, b = make_id(date(1980, 1, 1)), make_id(date(1981, 1, 1))
    h, row = household(dibao=True)
    path = book(
        tmp_path,
        households=[row],
        persons=[person(a, h), person(b, h)],
        recognitions=[
            [a, "低保", date(2025, 1, 1), None, ""],
            [b, "残疾", date(2025, 1, 1), None, ""],
        ],
    )
    result = run_import(path, mode="partial")
    assert [(i.code, i.row) for i in result.issues] == [("not_disabled", 3)]
    from jiuye.registry.models import DifficultyRecognition, Person

    assert Person.objects.count() == 2  # the persons sheet is fine
    assert list(DifficultyRecognition.objects.values_list("person__id_number", flat=True)) == [a]


def test_zero_family_counts_every_member_of_file_and_registry(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    """零就业家庭 on the household as it will stand: members from the file and the registry,
    their histories merged (DOMAIN §3)."""
    a, b, c = make_id(date(1980, 1, 1)), make_id(date(1982, 1, 1)), make_id(date(1984, 1, 1))
    h, row = household()
    first = book(
        tmp_path,
        households=[row],
        persons=[person(a, h), person(b, h)],
        statuses=[status(a, "单位就业", date(2024, 1, 1)), status(b, "单位就业", date(2024, 1, 1))],
    )
    assert run_import(first).ok
    # a loses the job in the file; b, only in the registry, still works: not a zero family.
    second = book(
        tmp_path,
        statuses=[status(a, "失业", date(2026, 3, 1), True)],
        recognitions=[[a, "零就业家庭", date(2026, 3, 2), None, ""]],
    )
    refused(run_import, second, "not_zero_family", "困难认定", 2, "类别")
    # b too (in the file, later): a zero family from b's day, recognised that day.
    third = book(
        tmp_path,
        statuses=[status(a, "失业", date(2026, 3, 1), True), status(b, "失业", date(2026, 4, 1))],
        recognitions=[
            [a, "零就业家庭", date(2026, 4, 1), None, ""],
            [b, "零就业家庭", date(2026, 3, 31), None, ""],
        ],
    )
    issue = refused(run_import, third, "not_zero_family", "困难认定", 3, "类别")
    assert issue.value == "零就业家庭"
    # A new member without any status (counted nowhere) does not change it.
    fourth = book(
        tmp_path,
        persons=[person(c, h)],
        statuses=[status(a, "失业", date(2026, 3, 1), True), status(b, "失业", date(2026, 4, 1))],
        recognitions=[[a, "零就业家庭", date(2026, 4, 1), None, ""]],
    )
    assert run_import(fourth).ok


def test_categories_from_the_registry_for_a_recognitions_only_workbook(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    """The person's flags, household and registration come from the registry when the file
    gives only the recognition; the file's household row overrides the registry's standing."""
    number = make_id(date(1970, 7, 7))
    h, row = household(dibao=True)
    assert run_import(
        book(
            tmp_path,
            households=[row],
            persons=[person(number, h, flags="d")],
            statuses=[status(number, "失业", date(2025, 1, 1), True)],
        )
    ).ok
    ok = book(
        tmp_path,
        recognitions=[
            [number, "低保", date(2025, 2, 1), None, ""],
            [number, "残疾", date(2025, 2, 1), None, ""],
            [number, "4050", date(2025, 2, 1), None, ""],
            [number, "长期失业", date(2026, 1, 1), None, ""],
            [number, "零就业家庭", date(2026, 1, 1), None, ""],
        ],
    )
    result = run_import(ok)
    assert result.ok, result.issues
    assert result.counts["recognitions"].inserted == 5
    row[4] = "否"  # the same file now says the household is no longer dibao
    refused(
        run_import,
        book(
            tmp_path,
            households=[row],
            recognitions=[[number, "低保", date(2025, 3, 1), None, ""]],
        ),
        "not_dibao",
        "困难认定",
        2,
        "类别",
    )


def test_an_existing_recognition_is_not_judged_again(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    """Re-importing a recognition the registry holds changes only its end and note (as
    ``recognition_end`` does): its end may not precede its start."""
    number = make_id(date(1980, 1, 1))
    h, row = household(dibao=True)
    rec = [number, "低保", date(2025, 1, 1), None, ""]
    assert run_import(
        book(tmp_path, households=[row], persons=[person(number, h)], recognitions=[rec])
    ).ok
    rec[3] = date(2024, 12, 31)
    refused(
        run_import,
        book(tmp_path, recognitions=[rec]),
        "end_before_start",
        "困难认定",
        2,
        "退出日期",
    )
    rec[3] = date(2025, 6, 30)
    result = run_import(book(tmp_path, recognitions=[rec]))
    assert result.ok and result.counts["recognitions"].updated == 1


# ---------------------------------------------------------------------------------------------
# Service records (DOMAIN §4): casework.checks, the same words as the service form
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "code", "column"),
    [
        (
            ["职业培训", date(2026, 1, 5), "", "", "", "", "", ""],
            "training_mode_required",
            "培训模式",
        ),
        (["走访", date(2026, 1, 5), "定岗", "", "", "", "", ""], "not_applicable", "培训模式"),
        (["走访", date(2026, 1, 5), "", "", "", "已结业", "", ""], "not_applicable", "培训进度"),
        (["满意度测评", date(2026, 1, 5), "", "", "", "", "", ""], "outcome_required", "结果"),
        (["满意度测评", date(2026, 1, 5), "", "无效", "", "", "", ""], "outcome_kind", "结果"),
        (["投诉", date(2026, 1, 5), "", "满意", "", "", "", ""], "outcome_kind", "结果"),
        (["投诉", date(2026, 1, 5), "", "", "", "", "", ""], "valid_required", "结果"),
        (["走访", date(2026, 1, 5), "", "有效", "", "", "", ""], "outcome_kind", "结果"),
        (
            ["政策落实", date(2026, 1, 5), "", "", "", "", "", 100],
            "policy_name_required",
            "政策名称",
        ),
        (["走访", date(2026, 1, 5), "", "", "", "", "社保补贴", ""], "not_applicable", "政策名称"),
        (["走访", date(2026, 1, 5), "", "", "", "", "", 100], "not_applicable", "金额"),
        (["走访", date(1979, 12, 31), "", "", "", "", "", ""], "before_birth", "日期"),
        (["走访", date(2026, 11, 23), "", "", "", "", "", ""], "future", "日期"),
        (["投诉", date(2026, 1, 5), "", "有效", "", "", "", ""], None, ""),
        (["满意度测评", date(2026, 1, 5), "", "满意", "", "", "", ""], None, ""),
        (["职业培训", date(2026, 1, 5), "订单", "", "", "已取证", "", ""], None, ""),
        (["政策落实", date(2026, 1, 5), "", "", "", "", "社保补贴", 100], None, ""),
    ],
)
def test_service_checks_as_the_form(
    tree: Any, tmp_path: Path, run_import: Any, row: list[Any], code: str | None, column: str
) -> None:
    number = make_id(date(1980, 1, 1))
    h, household_row = household()
    path = book(
        tmp_path, households=[household_row], persons=[person(number, h)], services=[[number, *row]]
    )
    if code is None:
        assert run_import(path).ok
        return
    issue = refused(run_import, path, code, "服务记录", 2, column)
    zh = casework_checks.MESSAGES[code][0]
    assert issue.message_zh.startswith(zh.split("{")[0]) and issue.message_en
    if code == "future":
        assert TODAY.isoformat() in issue.message_zh


def test_no_rule_wording_is_kept_in_the_ledger() -> None:
    """Each wording exists once: the ledger's own messages hold none of the checks' codes."""
    from jiuye.ledger.issues import MESSAGES

    owned = set(registry_checks.MESSAGES) | set(casework_checks.MESSAGES)
    assert owned.isdisjoint(MESSAGES)
