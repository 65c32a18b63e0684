"""An import keeps the standards aggregates fresh: it names every household it wrote, and the
aggregates refresh those in the import's own transaction (``standards.receivers``), so no
rebuild follows and no evaluation falls back to the direct computation because of it. The
refreshed aggregates equal a computation from scratch, and evaluations read from them equal
the direct ones. Aggregates stale before the import stay stale until the rebuild the importer
runs after its commit."""

from __future__ import annotations

import random
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from tests.ledger.conftest import TODAY
from tests.monitoring.test_rollups import assert_rollups_equal_recomputation
from tests.standards.test_aggregates import assert_consistent

from jiuye.audit.services import audit_record
from jiuye.registry.models import Household, Person
from jiuye.standards import aggregates
from jiuye.standards.aggregates import aggregates_fresh, aggregates_rebuild
from jiuye.standards.evaluation import evaluate_unit
from jiuye.standards.models import AggregateState
from jiuye.standards.rulesets import ruleset_get

pytestmark = pytest.mark.django_db


def assert_evaluations_agree(tree: dict[str, Any]) -> None:
    """Every community's and the district's evaluation from the aggregates equals the direct
    computation (apart from its source)."""
    for key in ("a", "b", "district"):
        kwargs = {"unit": tree[key], "ruleset": ruleset_get("HD-2012"), "on": TODAY}
        fast = evaluate_unit(**kwargs, source="aggregates").as_json()
        slow = evaluate_unit(**kwargs, source="direct").as_json()
        assert (fast.pop("source"), slow.pop("source")) == ("aggregates", "direct")
        assert fast == slow, key


def _built_and_fresh() -> None:
    state = AggregateState.objects.get(pk=1)
    assert state.built
    assert aggregates_fresh(), aggregates.aggregates_freshness().reason


def test_an_import_keeps_the_aggregates_fresh(
    tree: Any, book: Any, tmp_path: Path, run_import: Any
) -> None:
    aggregates_rebuild()
    result = run_import(book.save(tmp_path / "book.xlsx"))

    assert result.written
    _built_and_fresh()  # refreshed in the import's transaction: no rebuild needed
    assert_consistent(tree, random.Random(1))
    assert_evaluations_agree(tree)
    assert_rollups_equal_recomputation()  # the monthly roll-ups followed (issue 15)


def test_the_command_and_the_web_job_find_nothing_to_rebuild(
    tree: Any, book: Any, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.ledger.services import aggregates_after_import

    aggregates_rebuild()
    path = book.save(tmp_path / "book.xlsx")
    out = StringIO()
    call_command("import", str(path), "--no-progress", stdout=out)
    assert "导入完成" in out.getvalue()
    assert "达标评估汇总" not in out.getvalue()  # nothing was stale: no rebuild
    _built_and_fresh()
    assert_consistent(tree)

    from tests.ledger.conftest import Book

    assert run_import(Book().save(tmp_path / "more.xlsx")).written
    _built_and_fresh()
    assert aggregates_after_import(actor=None) is None  # the web job's step: nothing to do


def test_a_large_load_keeps_them_fresh_too(
    tree: Any, book: Any, tmp_path: Path, run_import: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a district's first load does: constraints lifted and rebuilt in the background
    (PostgreSQL), ids reserved in one block with the table locked; the refresh is the same
    set-based one, inside the import's transaction."""
    from jiuye.ledger import load

    monkeypatch.setattr(load, "LIFT_ROWS", 1)
    monkeypatch.setattr(load, "RESERVE_UNLOCKED", 1)
    aggregates_rebuild()
    assert run_import(book.save(tmp_path / "book.xlsx")).written
    _built_and_fresh()
    assert_consistent(tree, random.Random(3))
    assert_evaluations_agree(tree)
    assert_rollups_equal_recomputation()


def test_a_reimport_that_moves_and_changes_keeps_them_equal(
    tree: Any, book: Any, tmp_path: Path, run_import: Any
) -> None:
    """Existing households and persons changed by a second workbook: a household moved to
    another community, a person moved to another household, a status added, a recognition
    ended, a service added."""
    aggregates_rebuild()
    assert run_import(book.save(tmp_path / "first.xlsx")).written
    h1, h2 = book.households
    moved = Household.objects.get(number=h1)
    before = moved.community_id
    book.sheets["户"][1][1] = "110108001002"  # h1 moves from community a to community b
    persons = book.sheets["人员"]
    son = next(row for row in persons if row[0] == book.ids["son"])
    son[2] = h2  # the son moves in with the other household (in community a)
    book.sheets["就业状态"].append(
        [book.ids["son"], "单位就业", date(2026, 3, 1), "否", "某厂", ""]
    )
    book.sheets["困难认定"][1][3] = date(2026, 6, 1)  # the spouse's recognition ends
    book.sheets["服务记录"].append(
        [book.ids["other"], "职业培训", date(2026, 5, 6), "订单", "", ""]
    )

    result = run_import(book.save(tmp_path / "second.xlsx"))

    assert result.written and result.updated
    moved.refresh_from_db()
    assert moved.community_id != before == tree["a"].pk
    assert Person.objects.get(id_number=book.ids["son"]).household.number == h2
    _built_and_fresh()
    assert_consistent(tree, random.Random(2))
    assert_evaluations_agree(tree)
    assert_rollups_equal_recomputation()  # a household moved: both communities follow


def test_stale_aggregates_stay_stale_until_the_rebuild_after_the_import(
    tree: Any, book: Any, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.ledger.services import aggregates_after_import

    aggregates_rebuild()
    audit_record(actor=None, action="demo.seed", unit=None, changes={})  # a seed since the build
    assert aggregates.aggregates_freshness().reason == "a bulk load since the last build"
    assert run_import(book.save(tmp_path / "book.xlsx")).written
    assert not aggregates_fresh()  # the import could not vouch for the seed's rows
    seconds = aggregates_after_import(actor=None)
    assert seconds is not None and seconds >= 0
    _built_and_fresh()
    assert_consistent(tree)
    assert aggregates_after_import(actor=None) is None


def test_rows_written_behind_the_services_make_the_import_give_up(
    tree: Any, book: Any, tmp_path: Path, run_import: Any
) -> None:
    """A household bulk-written by someone else (no upkeep saw it) is not among those the
    import names: the import cannot vouch for it and marks the aggregates stale."""
    aggregates_rebuild()
    # bulk_create skips DistrictOwned.save: a bulk writer gives the district itself.
    Household.objects.bulk_create(
        [
            Household(
                number="RAW1", community=tree["a"], district=tree["district"], hukou_type="urban"
            )
        ]
    )
    assert run_import(book.save(tmp_path / "book.xlsx")).written
    assert aggregates.aggregates_freshness().reason == "not built"
    aggregates_rebuild()
    _built_and_fresh()
    assert_consistent(tree)


def test_an_import_before_the_first_build_leaves_them_unbuilt(
    tree: Any, book: Any, tmp_path: Path, run_import: Any
) -> None:
    aggregates.aggregates_invalidate()
    assert run_import(book.save(tmp_path / "book.xlsx")).written
    assert aggregates.aggregates_freshness().reason == "not built"
