"""A large load on PostgreSQL lifts the registry's constraints and writes its first stage while
the rest is validated (``ledger.load.Pipeline``). Forced here on a small workbook: the same
rows as a plain import, every constraint and index back exactly as it was, and whatever fails
— a crash in either stage, a problem found after the first stage was written — leaves the
database as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from tests.districts import district_mismatches
from tests.ledger.conftest import Book, codes, registry_counts

from jiuye.ledger import load

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="constraints are lifted on PostgreSQL only"
    ),
]

TABLES = (
    "units_unit",
    "registry_household",
    "registry_person",
    "registry_statusevent",
    "registry_difficultyrecognition",
    "casework_servicerecord",
    "casework_unemployedprofile",
    "casework_zerofamilycase",
    "casework_assistancecase",
    "accounts_membership",
)


def catalog() -> list[tuple[Any, ...]]:
    """Every constraint and index on the registry's tables and those pointing into them."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated
               FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)
               UNION ALL
               SELECT tablename, indexname, indexdef, true FROM pg_indexes
               WHERE tablename = ANY(%s) ORDER BY 1, 2, 3""",
            [list(TABLES), list(TABLES)],
        )
        return cursor.fetchall()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Lift for any load, and record what the pipeline did."""
    monkeypatch.setattr(load, "LIFT_ROWS", 1)
    seen: list[str] = []
    real_start = load.Pipeline.start

    def start(self: load.Pipeline, plan: Any) -> None:
        real_start(self, plan)
        seen.append("background" if self.thread is not None else "none")

    monkeypatch.setattr(load.Pipeline, "start", start)
    return seen


def test_the_pipeline_writes_what_a_plain_import_writes(
    tree: Any, book: Book, tmp_path: Path, run_import: Any, started: list[str]
) -> None:
    before = catalog()
    result = run_import(book.save(tmp_path / "book.xlsx"))
    assert result.written, codes(result)
    assert started == ["background"]
    assert catalog() == before
    counts = registry_counts()
    assert (counts["persons"], counts["events"], counts["recognitions"], counts["services"]) == (
        4,
        5,
        2,
        4,
    )
    assert district_mismatches() == {}
    # a second import changes nothing (and has nothing to lift for)
    again = run_import(book.save(tmp_path / "again.xlsx"))
    assert again.written and again.inserted == 0 and again.updated == 0
    assert registry_counts() == counts
    assert catalog() == before


@pytest.mark.parametrize("failing", ["Person", "ServiceRecord"])
def test_a_crash_in_either_stage_leaves_nothing(
    transactional_db: Any,
    tree: Any,
    book: Book,
    tmp_path: Path,
    run_import: Any,
    started: list[str],
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    before, counts = catalog(), registry_counts()
    real_insert = load.insert

    def insert(model: Any, *args: Any, **kwargs: Any) -> None:
        real_insert(model, *args, **kwargs)
        if model.__name__ == failing:
            raise RuntimeError("power cut")

    monkeypatch.setattr(load, "insert", insert)
    result = run_import(book.save(tmp_path / "crash.xlsx"))
    assert not result.written and "crashed" in codes(result)
    assert registry_counts() == counts
    assert catalog() == before


def test_a_crash_while_the_indexes_are_rebuilt_leaves_nothing(
    transactional_db: Any,
    tree: Any,
    book: Book,
    tmp_path: Path,
    run_import: Any,
    started: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before, counts = catalog(), registry_counts()

    def broken(self: load.Writer) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(load.Writer, "restore_registry", broken)
    result = run_import(book.save(tmp_path / "crash.xlsx"))
    assert started == ["background"]
    assert not result.written and "crashed" in codes(result)
    assert registry_counts() == counts
    assert catalog() == before


def test_a_problem_after_the_first_stage_rolls_it_back(
    transactional_db: Any,
    tree: Any,
    book: Book,
    tmp_path: Path,
    run_import: Any,
    started: list[str],
) -> None:
    """All or nothing: the registry sheets were written in the background when a bad service
    row turned up; nothing stays."""
    before, counts = catalog(), registry_counts()
    book.sheets["服务记录"].append([book.ids["son"], "职业指导", "2031-01-01", "", "", ""])
    result = run_import(book.save(tmp_path / "late.xlsx"))
    assert started == ["background"]
    assert not result.written and codes(result) == ["future"]
    assert registry_counts() == counts
    assert catalog() == before


def test_partial_mode_keeps_the_good_rows(
    tree: Any, book: Book, tmp_path: Path, run_import: Any, started: list[str]
) -> None:
    before = catalog()
    book.sheets["服务记录"].append([book.ids["son"], "职业指导", "2031-01-01", "", "", ""])
    result = run_import(book.save(tmp_path / "partial.xlsx"), mode="partial")
    assert started == ["background"]
    assert result.written and codes(result) == ["future"]
    assert registry_counts()["services"] == 4
    assert catalog() == before


def test_no_pipeline_when_the_registry_sheets_already_failed(
    tree: Any, book: Book, tmp_path: Path, run_import: Any, started: list[str]
) -> None:
    book.sheets["人员"][1][2] = "NO-SUCH-HOUSEHOLD"
    result = run_import(book.save(tmp_path / "bad.xlsx"))
    assert not result.written and "unknown_household" in codes(result)
    assert started == []


def test_a_crash_in_the_validation_meanwhile_leaves_nothing(
    transactional_db: Any,
    tree: Any,
    book: Book,
    tmp_path: Path,
    run_import: Any,
    started: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The validation of the service records fails while the indexes may still be rebuilt
    in the background: the rebuild is stopped, and everything rolls back."""
    from jiuye.ledger.validate import Validator

    before, counts = catalog(), registry_counts()

    def broken(self: Any, rows: Any, counts: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(Validator, "check_services", broken)
    result = run_import(book.save(tmp_path / "crash.xlsx"))
    assert started == ["background"]
    assert not result.written and "crashed" in codes(result)
    assert registry_counts() == counts
    assert catalog() == before


def test_an_abandoned_import_cancels_the_background_statement(
    transactional_db: Any,
    tree: Any,
    book: Book,
    tmp_path: Path,
    run_import: Any,
    started: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long statement in the background (an index build, here a sleep) does not hold up an
    import that has failed: it is cancelled, and the rollback follows at once."""
    import time

    from jiuye.ledger.validate import Validator

    counts = registry_counts()

    def slow(self: load.Writer) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(60)")

    def broken(self: Any, rows: Any, counts: Any) -> None:
        time.sleep(0.2)  # the sleep is under way
        raise RuntimeError("bug")

    monkeypatch.setattr(load.Writer, "restore_registry", slow)
    monkeypatch.setattr(Validator, "check_services", broken)
    began = time.monotonic()
    result = run_import(book.save(tmp_path / "crash.xlsx"))
    assert time.monotonic() - began < 30
    assert not result.written and "crashed" in codes(result)
    assert registry_counts() == counts
