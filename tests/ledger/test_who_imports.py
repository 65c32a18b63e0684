"""Who may import, and the audit of a check (issue 11, findings 4 and 10).

- Only the roles that keep the registry import or check a workbook: a street or district user's
  import, check, upload or command-line import is refused as a whole and writes nothing.
- A check reads the whole registry (its report says which ID numbers are registered outside the
  jurisdiction), so it leaves one ``ledger.check`` audit row: how many ID numbers were looked up
  and how many were found elsewhere, never the numbers.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from tests.conftest import make_id
from tests.ledger.conftest import HEADERS, Book, registry_counts, write_xlsx

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _codes(result: Any) -> list[str]:
    return [issue.code for issue in result.issues]


@pytest.mark.parametrize("reviewer", ["street", "district"])
@pytest.mark.parametrize("mode", ["all", "dry_run"])
def test_reviewers_do_not_import(
    reviewer: str, mode: str, personas: dict[str, Any], book: Book, tmp_path: Path, run_import: Any
) -> None:
    from jiuye.audit.models import AuditEntry

    before = registry_counts()
    result = run_import(book.save(tmp_path / "book.xlsx"), user=personas[reviewer], mode=mode)
    assert _codes(result) == ["not_permitted"] and not result.written
    assert "只能查阅和审核" in result.issues[0].message_zh
    assert registry_counts() == before
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None and entry.actor_name == personas[reviewer].username
    assert entry.action == ("ledger.check" if mode == "dry_run" else "ledger.import_rejected")
    assert entry.result == "rejected"
    assert entry.changes["ids_checked"] == [None, 0]  # refused before reading the registry


def test_the_command_line_refuses_a_reviewer(
    personas: dict[str, Any], book: Book, tmp_path: Path
) -> None:
    before = registry_counts()
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import",
            str(book.save(tmp_path / "book.xlsx")),
            "--user",
            personas["district"].username,
            "--no-progress",
            stdout=out,
            stderr=io.StringIO(),
        )
    assert "只有社区工作者和网格协管员可以导入台账" in out.getvalue()
    assert registry_counts() == before


def test_reviewers_cannot_upload_the_registry(
    personas: dict[str, Any], book: Book, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    """The street and the district may upload a workbook of the employers' sheets only
    (issue 16): one with the registry's sheets is checked and refused as a whole, and nothing
    can be confirmed; the home page says what they may import."""
    from jiuye.ledger.models import ImportJob

    path = book.save(tmp_path / "book.xlsx")
    before = registry_counts()
    for reviewer in ("street", "district"):
        client = Client()
        client.force_login(personas[reviewer])
        data = SimpleUploadedFile(path.name, path.read_bytes(), content_type=XLSX)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("ledger:upload"), {"file": data})
        assert response.status_code == 302
        job = ImportJob.objects.filter(user=personas[reviewer]).get()
        assert [i["code"] for i in job.issues] == ["not_permitted"]
        page = client.get(reverse("ledger:job", args=[job.pk])).content.decode()
        assert "只能查阅和审核" in page
        home = client.get(reverse("ledger:home")).content.decode()
        assert 'id="upload-form"' in home and 'id="upload-employers-only"' in home
        assert reverse("ledger:export") in home  # they still export what they review
    assert registry_counts() == before


def test_auditors_cannot_upload(personas: dict[str, Any], book: Book, tmp_path: Path) -> None:
    from jiuye.ledger.models import ImportJob

    path = book.save(tmp_path / "book.xlsx")
    client = Client()
    client.force_login(personas["auditor"])
    data = SimpleUploadedFile(path.name, path.read_bytes(), content_type=XLSX)
    assert client.post(reverse("ledger:upload"), {"file": data}).status_code in (403, 404)
    assert not ImportJob.objects.exists()


def test_a_check_is_audited_with_counts_never_numbers(
    personas: dict[str, Any], tree: Any, tmp_path: Path, run_import: Any
) -> None:
    """The finding's probe, small: a check of ID numbers of which some are registered in a
    sibling community tells the worker so; the log says how many were looked up and how many
    were found elsewhere (so an auditor sees a probe of 1,000), and holds none of them."""
    from jiuye.audit.models import AuditEntry

    elsewhere = [make_id(date(1979, 5, i + 1)) for i in range(3)]
    fresh = [make_id(date(1990, 6, i + 1)) for i in range(4)]
    run_import(
        write_xlsx(
            tmp_path / "b.xlsx",
            {
                "户": [HEADERS["户"], ["PB-1", "110108001002", "城镇", "", ""]],
                "人员": [
                    ["公民身份号码", "姓名", "户编号"],
                    *[[n, "丙", "PB-1"] for n in elsewhere],
                ],
            },
        )
    )
    probe = write_xlsx(
        tmp_path / "probe.xlsx",
        {
            "户": [HEADERS["户"], ["PA-1", "110108001001", "城镇", "", ""]],
            "人员": [
                ["公民身份号码", "姓名", "户编号"],
                *[[n, "丙", "PA-1"] for n in elsewhere + fresh],
            ],
        },
    )
    checks_before = AuditEntry.objects.filter(action="ledger.check").count()
    result = run_import(probe, user=personas["worker_a"], mode="dry_run")
    assert _codes(result).count("registered_elsewhere") == 3 and not result.written
    entries = AuditEntry.objects.filter(action="ledger.check")
    assert entries.count() == checks_before + 1
    entry = entries.order_by("-id").first()
    assert entry is not None and entry.actor_name == "worker_a" and entry.result == "ok"
    assert entry.changes["ids_checked"] == [None, 7]
    assert entry.changes["found_elsewhere"] == [None, 3]
    assert entry.changes["files"] == [None, ["probe.xlsx"]]
    text = str(entry.changes) + entry.object_repr
    for number in elsewhere + fresh:
        assert number not in text
    # An import records the same two counts.
    result = run_import(probe, user=personas["worker_a"], mode="all")
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None and entry.action == "ledger.import_rejected"
    assert entry.changes["found_elsewhere"] == [None, 3]
