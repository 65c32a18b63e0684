"""Importing a valid workbook: what lands in the registry, the modes, re-imports, upserts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.districts import district_mismatches
from tests.ledger.conftest import TODAY, Book, codes, registry_counts

pytestmark = pytest.mark.django_db


def test_valid_workbook_lands_in_the_registry(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.casework.models import ServiceRecord
    from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
    from jiuye.units.models import Unit

    result = run_import(book.save(tmp_path / "book.xlsx"))
    assert result.ok, result.issues
    assert result.written
    grid = Unit.objects.get(code="110108001001A3")
    assert (
        grid.parent == tree["a"] and grid.path == "/110108/110108001/110108001001/110108001001A3/"
    )
    h1, h2 = (Household.objects.get(number=n) for n in book.households)
    assert (h1.community, h1.grid, h1.hukou_type, h1.dibao) == (
        tree["a"],
        tree["a1"],
        "urban",
        False,
    )
    assert (h2.grid, h2.hukou_type, h2.dibao) == (grid, "agricultural", True)
    head = Person.objects.get(id_number=book.ids["head"])
    # Derived from the ID number; hukou from the household when blank; flags.
    assert head.birth_date == date(1975, 3, 4) and head.sex == "M"
    assert head.hukou_type == "urban" and head.veteran and not head.disabled
    assert head.phone == book.phone and head.skill_level == "中级工"
    assert (head.community, head.grid) == (tree["a"], tree["a1"])
    spouse = Person.objects.get(id_number=book.ids["spouse"])
    assert spouse.female_base == 50 and spouse.sex == "F"
    son = Person.objects.get(id_number=book.ids["son"])
    assert son.graduate_year == 2025
    # The status chain: until = next since; current_* = the latest event.
    events = list(StatusEvent.objects.filter(person=son).order_by("since"))
    assert [(e.status, e.since, e.until, e.registered) for e in events] == [
        ("student", date(2020, 1, 1), date(2025, 7, 1), False),
        ("unemployed", date(2025, 7, 1), None, True),
    ]
    assert (son.current_status, son.current_since, son.current_registered) == (
        "unemployed",
        date(2025, 7, 1),
        True,
    )
    assert DifficultyRecognition.objects.get(person=spouse).category == "4050"
    ended = DifficultyRecognition.objects.get(person__id_number=book.ids["other"])
    assert ended.ended_on == date(2024, 1, 1)
    kinds = dict(ServiceRecord.objects.values_list("kind", "person__id_number"))
    assert set(kinds) == {"guidance", "training", "survey", "complaint"}
    training = ServiceRecord.objects.get(kind="training")
    assert (training.training_mode, training.enrolled, training.by_id) == ("post", True, None)
    assert ServiceRecord.objects.get(kind="survey").outcome == "satisfied"
    assert ServiceRecord.objects.get(kind="complaint").valid is False
    # The distribution column: the community's district, carried to every row below it.
    assert {h1.district_id, h2.district_id} == {tree["district"].pk}
    assert district_mismatches() == {}


def test_reimport_changes_nothing_and_the_audit_says_so(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.audit.models import AuditEntry

    path = book.save(tmp_path / "book.xlsx")
    assert run_import(path).ok
    before = registry_counts()
    again = run_import(path)
    assert again.ok and again.written
    assert again.inserted == 0 and again.updated == 0
    assert again.unchanged == sum(len(rows) - 1 for rows in book.sheets.values())
    assert registry_counts() == before
    entry = AuditEntry.objects.filter(action="ledger.import").order_by("-id").first()
    assert entry is not None and entry.result == "ok"
    counts = entry.changes["counts"][1]
    assert all(c["inserted"] == 0 and c["updated"] == 0 for c in counts.values())
    # One audit row per import, not per row.
    assert AuditEntry.objects.filter(action="ledger.import").count() == 2


def test_one_bad_row_writes_nothing(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    book.sheets["人员"][3][0] = book.ids["son"][:-1] + ("0" if book.ids["son"][-1] != "0" else "1")
    before = registry_counts()
    result = run_import(book.save(tmp_path / "bad.xlsx"))
    assert not result.written
    assert "id_checksum" in codes(result)
    assert registry_counts() == before
    from jiuye.audit.models import AuditEntry

    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None and entry.action == "ledger.import_rejected"
    assert entry.result == "rejected" and entry.changes["errors"][1] == len(result.issues)


def test_dry_run_validates_and_writes_nothing(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.audit.models import AuditEntry

    before = registry_counts()
    audits = AuditEntry.objects.count()
    result = run_import(book.save(tmp_path / "book.xlsx"), mode="dry_run")
    assert result.ok and not result.written
    assert result.counts["persons"].inserted == 4
    assert registry_counts() == before
    # Issue 11, finding 10: a check reads the whole registry (it reports numbers registered
    # outside the jurisdiction), so it leaves one audit row, and only that one (it was none).
    assert AuditEntry.objects.count() == audits + 1
    assert AuditEntry.objects.order_by("-id").values_list("action", flat=True)[0] == "ledger.check"


def test_partial_writes_the_good_rows_and_fails_dependents(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.registry.models import Person, StatusEvent

    book.sheets["人员"][3][2] = "NO-SUCH-HOUSEHOLD"  # the son
    result = run_import(book.save(tmp_path / "partial.xlsx"), mode="partial")
    assert result.written
    assert set(Person.objects.values_list("id_number", flat=True)) == {
        book.ids["head"],
        book.ids["spouse"],
        book.ids["other"],
    }
    issues = {(i.sheet, i.row, i.code) for i in result.issues}
    assert ("人员", 4, "unknown_household") in issues
    # His status, training and survey rows fail with him, and say why.
    assert ("就业状态", 4, "depends_on_failed_row") in issues
    assert ("服务记录", 3, "depends_on_failed_row") in issues
    assert not StatusEvent.objects.filter(person__id_number=book.ids["son"]).exists()
    assert result.counts["persons"].rejected == 1


def test_upsert_updates_changed_values_and_blank_cells_keep_them(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.registry.models import Household, Person

    assert run_import(book.save(tmp_path / "book.xlsx")).ok
    book.sheets["人员"][1][9] = "大专"  # education changed
    book.sheets["人员"][1][5] = ""  # phone blank: kept
    book.sheets["户"][1][3] = ""  # address blank: kept
    result = run_import(book.save(tmp_path / "again.xlsx"))
    assert result.ok
    assert result.counts["persons"].updated == 1
    head = Person.objects.get(id_number=book.ids["head"])
    assert head.education == "大专" and head.phone == book.phone
    assert Household.objects.get(number=book.households[0]).address == "翠微路1号"
    assert district_mismatches() == {}


def test_status_of_the_same_day_replaces_and_rechains(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.registry.models import Person, StatusEvent

    assert run_import(book.save(tmp_path / "book.xlsx")).ok
    statuses = [
        book.sheets["就业状态"][0],
        [book.ids["son"], "灵活就业", date(2025, 7, 1), "否", "外卖配送", ""],
        [book.ids["son"], "单位就业", date(2026, 3, 1), "", "某公司", ""],
        [book.ids["son"], "在校", date(2020, 1, 1), "", "", ""],
    ]
    from tests.ledger.conftest import write_xlsx

    result = run_import(write_xlsx(tmp_path / "st.xlsx", {"就业状态": statuses}))
    assert result.ok, result.issues
    c = result.counts["statuses"]
    assert (c.inserted, c.updated, c.unchanged) == (1, 1, 1)
    events = list(StatusEvent.objects.filter(person__id_number=book.ids["son"]).order_by("since"))
    assert [(e.status, e.since, e.until, e.registered) for e in events] == [
        ("student", date(2020, 1, 1), date(2025, 7, 1), False),
        ("flexible", date(2025, 7, 1), date(2026, 3, 1), False),
        ("unit", date(2026, 3, 1), None, False),
    ]
    son = Person.objects.get(id_number=book.ids["son"])
    assert (son.current_status, son.current_since) == ("unit", date(2026, 3, 1))
    # The same rows again change nothing.
    again = run_import(write_xlsx(tmp_path / "st2.xlsx", {"就业状态": statuses}))
    assert again.ok and again.inserted == again.updated == 0


def test_identical_rows_in_a_file_are_one_record(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.registry.models import StatusEvent

    book.sheets["就业状态"].append(list(book.sheets["就业状态"][1]))
    result = run_import(book.save(tmp_path / "dup.xlsx"))
    assert result.ok
    assert StatusEvent.objects.filter(person__id_number=book.ids["head"]).count() == 1


def test_a_service_recorded_twice_a_day_stays_twice(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    """Service records have no natural key: the same record twice is kept twice, and a
    re-import of the same rows still adds nothing (a multiset, not a set)."""
    from jiuye.casework.models import ServiceRecord

    book.sheets["服务记录"].append(list(book.sheets["服务记录"][1]))
    path = book.save(tmp_path / "twice.xlsx")
    assert run_import(path).ok
    assert ServiceRecord.objects.filter(kind="guidance").count() == 2
    assert run_import(path).inserted == 0
    assert ServiceRecord.objects.filter(kind="guidance").count() == 2


def test_subset_of_sheets_against_the_registry(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    """A workbook with only some sheets refers to units, households and persons already in
    the registry."""
    assert run_import(book.save(tmp_path / "base.xlsx", only=["单位", "户", "人员"])).ok
    result = run_import(book.save(tmp_path / "rest.xlsx", only=["就业状态", "服务记录"]))
    assert result.ok, result.issues
    assert result.counts["statuses"].inserted == 5
    assert set(result.counts) == {"statuses", "services"}
    assert district_mismatches() == {}  # the registry persons' districts, read back


def test_zero_family_cases_follow_an_import(tree: Any, tmp_path: Path, run_import: Any) -> None:
    """statuses_changed is sent for new households with a zero-employment episode."""
    from tests.conftest import make_id
    from tests.ledger.conftest import HEADERS, write_xlsx

    from jiuye.casework.models import ZeroFamilyCase

    a, b = make_id(date(1980, 1, 1)), make_id(date(1982, 2, 2), male=False)
    path = write_xlsx(
        tmp_path / "zero.xlsx",
        {
            "户": [HEADERS["户"], ["Z-1", "110108001001A1", "城镇", "", ""]],
            "人员": [["公民身份号码", "姓名", "户编号"], [a, "赵一", "Z-1"], [b, "钱二", "Z-1"]],
            "就业状态": [
                HEADERS["就业状态"],
                [a, "单位就业", date(2024, 1, 1), "", "", ""],
                [b, "单位就业", date(2024, 1, 1), "", "", ""],
                [a, "失业", date(2026, 3, 1), "是", "", "裁员"],
                [b, "失业", date(2026, 4, 1), "是", "", "裁员"],
            ],
        },
    )
    assert run_import(path).ok
    case = ZeroFamilyCase.objects.get(household__number="Z-1")
    # Reading 4 (2026-12): the cases are the episodes, read as of a date (no stored status).
    assert case.emerged_on == date(2026, 4, 1) and case.open_on(TODAY)
    assert district_mismatches() == {}
    # A member employed again: the next import closes the case.
    path2 = write_xlsx(
        tmp_path / "zero2.xlsx",
        {
            "就业状态": [HEADERS["就业状态"], [a, "灵活就业", date(2026, 5, 1), "", "", ""]],
        },
    )
    assert run_import(path2).ok
    case.refresh_from_db()
    assert case.eliminated_on == date(2026, 5, 1) and not case.open_on(TODAY)
    assert date(2026, 5, 1) <= TODAY


def _zero_book(tmp_path: Path, name: str, members: list[tuple[str, list[Any]]]) -> Path:
    """A new household ``name`` of ``members``: (ID number, [(status label, since, registered)])."""
    from tests.ledger.conftest import HEADERS, write_xlsx

    return write_xlsx(
        tmp_path / f"{name}.xlsx",
        {
            "户": [HEADERS["户"], [name, "110108001001A1", "城镇", "", ""]],
            "人员": [["公民身份号码", "姓名", "户编号"], *([n, "成员", name] for n, _ in members)],
            "就业状态": [
                HEADERS["就业状态"],
                *(
                    [n, label, since, "是" if registered else "", "", ""]
                    for n, events in members
                    for label, since, registered in events
                ),
            ],
        },
    )


def test_announced_episodes_follow_the_2026_readings(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    """A new household is announced (and casework opens its case) exactly when
    ``definitions.zero_family_episodes`` finds an episode in everything recorded. Reading 1
    (2026-12): a member without a status counts nowhere, so the episode starts with the
    registration, not the member's 16th birthday; an employed member who retires before the
    unemployed one leaves a zero family on the retirement day, after today if need be."""
    from tests.conftest import make_id

    from jiuye.casework.models import ZeroFamilyCase
    from jiuye.registry.models import Person

    jobless = ("失业", date(2026, 3, 1), True)
    unknown, alone = make_id(date(1992, 1, 1)), make_id(date(1990, 1, 1))
    assert run_import(_zero_book(tmp_path, "ZA-1", [(alone, [jobless]), (unknown, [])])).ok
    case = ZeroFamilyCase.objects.get(household__number="ZA-1")
    # Open today; ends (no labor force left) on the member's retirement day, already dated.
    assert case.emerged_on == date(2026, 3, 1) and case.open_on(TODAY)
    assert case.eliminated_on == Person.objects.get(id_number=alone).retire_on

    anchor, young = make_id(date(1995, 1, 1)), make_id(date(1990, 5, 5))
    held = [(anchor, [("单位就业", date(2020, 1, 1), False)]), (young, [jobless])]
    assert run_import(_zero_book(tmp_path, "ZA-2", held)).ok
    assert not ZeroFamilyCase.objects.filter(household__number="ZA-2").exists()

    old = make_id(date(1966, 12, 1))
    leaving = [
        (old, [("单位就业", date(2020, 1, 1), False)]),
        (make_id(date(1991, 1, 1)), [jobless]),
    ]
    assert run_import(_zero_book(tmp_path, "ZA-3", leaving)).ok
    retires = Person.objects.get(id_number=old).retire_on
    assert retires > TODAY
    case = ZeroFamilyCase.objects.get(household__number="ZA-3")
    assert case.emerged_on == retires and not case.open_on(TODAY)


@pytest.mark.parametrize("seed", [20261201, 7])
def test_announcements_miss_no_household_with_an_episode(
    tree: Any, tmp_path: Path, run_import: Any, seed: int
) -> None:
    """The importer skips most new households before the sweep (necessary conditions for an
    episode); on random households the ones with a case are exactly those whose recorded
    history has an episode (``definitions.zero_family_episodes``, DOMAIN §3)."""
    import random

    from tests.conftest import make_id
    from tests.ledger.conftest import HEADERS, write_xlsx

    from jiuye.casework.models import ZeroFamilyCase
    from jiuye.lib.retirement import add_months
    from jiuye.registry.definitions import MemberTimeline, zero_family_episodes
    from jiuye.registry.models import Person, StatusEvent

    rng = random.Random(seed)
    labels = {"单位就业": False, "务农": False, "失业": True, "在校": False, "退休": False}
    households, persons, statuses = [], [], []
    for h in range(80):
        number = f"RND-{h:03d}"
        households.append([number, "110108001001A1", "城镇", "", ""])
        for _member in range(rng.randint(1, 4)):
            birth = date(rng.randint(1956, 2011), rng.randint(1, 12), rng.randint(1, 28))
            pid = make_id(birth, male=rng.random() < 0.5)
            able, willing = rng.random() < 0.9, rng.random() < 0.85
            persons.append([pid, "成员", number, "有" if able else "无", "有" if willing else "无"])
            sixteen = add_months(birth, 16 * 12)
            for day in sorted(
                {
                    date(rng.randint(2015, 2026), rng.randint(1, 10), 1)
                    for _ in range(rng.randint(0, 3))
                }
            ):
                label = rng.choice(list(labels))
                if day < sixteen:
                    label = "在校"
                registered = labels[label] and rng.random() < 0.7
                statuses.append([pid, label, day, "是" if registered else "", "", ""])
    path = write_xlsx(
        tmp_path / "random.xlsx",
        {
            "户": [HEADERS["户"], *households],
            "人员": [["公民身份号码", "姓名", "户编号", "劳动能力", "就业愿望"], *persons],
            "就业状态": [HEADERS["就业状态"], *statuses],
        },
    )
    result = run_import(path)
    assert result.ok, result.issues[:3]
    events: dict[int, list[tuple[date, str]]] = {}
    for person_id, since, status in StatusEvent.objects.values_list("person_id", "since", "status"):
        events.setdefault(person_id, []).append((since, status))
    members: dict[str, list[MemberTimeline]] = {}
    for pk, household, work_from, retire_on, able, willing in Person.objects.values_list(
        "pk", "household__number", "work_from", "retire_on", "able", "willing"
    ):
        members.setdefault(household, []).append(
            MemberTimeline(work_from, retire_on, able, willing, events.get(pk, []))
        )
    expected = {h for h, m in members.items() if zero_family_episodes(m)}
    assert expected  # the draw has some
    assert set(ZeroFamilyCase.objects.values_list("household__number", flat=True)) == expected
