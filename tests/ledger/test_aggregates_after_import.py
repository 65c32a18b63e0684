"""An import bypasses the services: it marks the standards aggregates stale, and the importer
rebuilds them after its commit (the CLI and the web job); a re-import that changes nothing
leaves them alone."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from jiuye.standards.aggregates import aggregates_fresh, aggregates_rebuild

pytestmark = pytest.mark.django_db


def test_import_marks_the_aggregates_stale_and_the_command_rebuilds_them(
    tree: Any, book: Any, tmp_path: Path, run_import: Any
) -> None:
    aggregates_rebuild()
    assert aggregates_fresh()
    path = book.save(tmp_path / "book.xlsx")

    result = run_import(path)

    assert result.written
    assert not aggregates_fresh()  # evaluations read the registry until the rebuild

    out = StringIO()
    call_command("import", str(path), "--no-progress", stdout=out)  # unchanged: no rebuild
    assert "达标评估汇总已重建" in out.getvalue()  # the first import's staleness is repaired
    assert aggregates_fresh()

    out = StringIO()
    call_command("import", str(path), "--no-progress", stdout=out)
    assert "达标评估汇总" not in out.getvalue()
    assert aggregates_fresh()


def test_the_web_job_rebuilds_after_a_written_import(
    tree: Any, book: Any, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.ledger.services import aggregates_after_import

    aggregates_rebuild()
    run_import(book.save(tmp_path / "book.xlsx"))
    assert not aggregates_fresh()
    seconds = aggregates_after_import(actor=None)
    assert seconds is not None and seconds >= 0
    assert aggregates_fresh()
    assert aggregates_after_import(actor=None) is None
