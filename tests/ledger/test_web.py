"""The web pages: upload → check report → confirm; scoped to the worker's jurisdiction; the
downloads; the job run by the background worker."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from tests.ledger.conftest import Book, committed, registry_counts

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, path: Path) -> Any:
    data = SimpleUploadedFile(path.name, path.read_bytes(), content_type=XLSX)
    with committed():
        return client.post(reverse("ledger:upload"), {"file": data})


def _only_community_a(book: Book) -> Book:
    """The workbook without its new grid (a worker of A may add it, but keep it simple)."""
    book.sheets["单位"] = book.sheets["单位"][:1]
    book.sheets["户"][2][1] = "110108001001A2"
    return book


def test_upload_check_confirm(personas: dict[str, Any], book: Book, tmp_path: Path) -> None:
    from jiuye.ledger.models import ImportJob
    from jiuye.registry.models import Household, Person

    client = _client(personas["worker_a"])
    assert client.get(reverse("ledger:home")).status_code == 200
    before = registry_counts()
    response = _upload(client, _only_community_a(book).save(tmp_path / "a.xlsx"))
    assert response.status_code == 302
    check = ImportJob.objects.get()
    assert check.mode == "dry_run" and check.status == "done" and check.issue_count == 0
    assert registry_counts() == before  # a check writes nothing
    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'id="check-ok"' in html and 'id="confirm-import"' in html
    assert 'id="count-table"' in html
    with committed():
        confirmed = client.post(reverse("ledger:job_confirm", args=[check.pk]))
    imported = ImportJob.objects.exclude(pk=check.pk).get()
    assert confirmed["Location"] == reverse("ledger:job", args=[imported.pk])
    assert imported.written and imported.check_job == check
    assert Person.objects.filter(id_number=book.ids["head"]).exists()
    result = client.get(confirmed["Location"]).content.decode()
    assert 'id="import-ok"' in result
    # The result links to the households it created or changed (issue 13).
    written = Household.objects.filter(members__id_number=book.ids["head"]).get()
    assert imported.household_count >= 1 and written.pk in imported.households
    links = result[result.index('id="written-households"') :]
    assert reverse("household_detail", args=[written.pk]) in links[: links.index("</ul>")]
    # The check's page now links to the result and offers no second import.
    html = client.get(reverse("ledger:job", args=[check.pk])).content.decode()
    assert 'id="follow-link"' in html and 'id="confirm-import"' not in html
    again = client.post(reverse("ledger:job_confirm", args=[check.pk]))
    assert again.status_code == 302 and ImportJob.objects.count() == 2


def test_rows_for_foreign_units_are_errors(
    personas: dict[str, Any], book: Book, tmp_path: Path
) -> None:
    from jiuye.ledger.models import ImportJob
    from jiuye.registry.models import Person

    _only_community_a(book)
    book.sheets["户"][2][1] = "110108001002"  # community B
    client = _client(personas["worker_a"])
    _upload(client, book.save(tmp_path / "b.xlsx"))
    check = ImportJob.objects.get()
    assert check.issue_count > 0
    first = check.issues[0]
    assert (first["sheet"], first["row"], first["code"]) == ("户", 3, "out_of_scope")
    html = client.get(reverse("ledger:job", args=[check.pk])).content.decode()
    assert 'id="check-errors"' in html and 'data-code="out_of_scope"' in html
    assert 'id="confirm-partial"' in html and 'id="confirm-import"' not in html
    # Import only the good rows: community A's.
    with committed():
        client.post(reverse("ledger:job_confirm", args=[check.pk]), {"partial": "1"})
    assert set(Person.objects.values_list("household__community__code", flat=True)) == {
        "110108001001"
    }
    # The problems as a workbook.
    download = client.get(reverse("ledger:job_errors", args=[check.pk]))
    assert download.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("工作表", "行", "列") and rows[1][4] == "out_of_scope"


def test_jobs_are_private(personas: dict[str, Any], book: Book, tmp_path: Path) -> None:
    from jiuye.ledger.models import ImportJob

    _upload(_client(personas["worker_a"]), _only_community_a(book).save(tmp_path / "a.xlsx"))
    job = ImportJob.objects.get()
    other = _client(personas["worker_b"])
    assert other.get(reverse("ledger:job", args=[job.pk])).status_code == 404
    assert other.post(reverse("ledger:job_confirm", args=[job.pk])).status_code == 404
    # Roles without residents' data have no ledger pages at all.
    assert _client(personas["sysadmin"]).get(reverse("ledger:home")).status_code == 403
    assert Client().get(reverse("ledger:home")).status_code == 302  # to the login


def test_bad_upload_is_refused_before_anything(personas: dict[str, Any], tmp_path: Path) -> None:
    client = _client(personas["worker_a"])
    data = SimpleUploadedFile("notes.docx", b"PK\x03\x04junk", content_type="application/zip")
    response = client.post(reverse("ledger:upload"), {"file": data}, follow=True)
    assert "不是 Excel 工作簿" in response.content.decode()
    from jiuye.ledger.models import ImportJob

    assert not ImportJob.objects.exists()


def test_corrupt_upload_reports_and_writes_nothing(
    personas: dict[str, Any], tmp_path: Path
) -> None:
    from jiuye.ledger.models import ImportJob

    client = _client(personas["worker_a"])
    data = SimpleUploadedFile("broken.xlsx", b"PK\x03\x04" + b"\x00" * 50, content_type=XLSX)
    with committed():
        client.post(reverse("ledger:upload"), {"file": data})
    job = ImportJob.objects.get()
    assert job.status == "done" and job.issues[0]["code"] == "corrupt"


def _exported(client: Client, data: dict[str, str]) -> Any:
    """Post the export form and follow the job (run at once by the tests' task backend) to its
    download; the POST's response when it was refused."""
    with committed():
        response = client.post(reverse("ledger:export"), data)
    if response.status_code != 302:
        return response
    page = client.get(response["Location"])
    assert 'id="export-done"' in page.content.decode()
    found = client.get(response["Location"].rstrip("/") + "/download/")
    assert found.status_code == 200
    return found


def test_template_and_export_downloads(
    personas: dict[str, Any], book: Book, tmp_path: Path, run_import: Any
) -> None:
    assert run_import(_only_community_a(book).save(tmp_path / "a.xlsx")).ok
    worker = personas["worker_a"]
    client = _client(worker)
    template = client.get(reverse("ledger:template"))
    assert template.status_code == 200 and template["Content-Type"] == XLSX
    form = client.get(reverse("ledger:export"))
    assert 'name="reveal"' not in form.content.decode()  # no grant, no option
    response = _exported(client, {"unit": "110108001001", "on": "2026-11-22"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    people = [r[0] for r in workbook["人员"].iter_rows(min_row=2, values_only=True)]
    assert len(people) == 4 and all("*" in p for p in people)
    # A unit outside the jurisdiction is not offered, and answers 404 when posted all the same.
    response = _exported(client, {"unit": "110108001002", "on": "2026-11-22"})
    assert response.status_code == 404 and "attachment" not in response.get(
        "Content-Disposition", ""
    )
    # With the grant: full numbers, with a reason, audited.
    worker.can_reveal = True
    worker.save()
    response = _exported(
        client, {"unit": "110108001001", "on": "2026-11-22", "reveal": "on", "reason": "x"}
    )
    assert "attachment" not in response.get("Content-Disposition", "")
    response = _exported(
        client,
        {"unit": "110108001001", "on": "2026-11-22", "reveal": "on", "reason": "核对登记失业"},
    )
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    people = {r[0] for r in workbook["人员"].iter_rows(min_row=2, values_only=True)}
    assert book.ids["head"] in people


def test_english_report(personas: dict[str, Any], book: Book, tmp_path: Path) -> None:
    from jiuye.ledger.models import ImportJob

    _only_community_a(book)
    book.sheets["户"][1][1] = "999999999999"
    client = _client(personas["worker_a"])
    client.cookies["django_language"] = "en"
    _upload(client, book.save(tmp_path / "en.xlsx"))
    job = ImportJob.objects.get()
    html = client.get(
        reverse("ledger:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Unit code 999999999999 does not exist" in html


def test_progress_endpoint_redirects_when_done(
    personas: dict[str, Any], book: Book, tmp_path: Path
) -> None:
    from jiuye.ledger.models import ImportJob

    client = _client(personas["worker_a"])
    _upload(client, _only_community_a(book).save(tmp_path / "a.xlsx"))
    job = ImportJob.objects.get()
    response = client.get(reverse("ledger:job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("ledger:job", args=[job.pk])


def test_the_background_worker_runs_the_job(
    transactional_db: Any, personas: dict[str, Any], book: Book, tmp_path: Path, settings: Any
) -> None:
    """Outside tests a job is a task in the database queue: the upload only queues it (the web
    process runs nothing), the page shows it queued, and one run of the worker
    (``jiuye db_worker --batch``) runs it; the page then shows the report."""
    from django_tasks_db.models import DBTaskResult

    from jiuye.ledger import jobs
    from jiuye.ledger.models import ImportJob

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = _client(personas["worker_a"])
    response = _upload(client, _only_community_a(book).save(tmp_path / "a.xlsx"))
    job = ImportJob.objects.get()
    assert job.status == "queued"
    turn = DBTaskResult.objects.get()
    assert turn.status == "READY" and turn.task_path == "jiuye.ledger.jobs.run_next"
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page and 'id="job-progress"' in page
    assert DBTaskResult.objects.count() == 1  # the page saw a turn waiting: no second one
    run_worker()
    job.refresh_from_db()
    assert job.status == "done" and job.issue_count == 0 and job.counts
    assert jobs.live(job)[2] == "done"
    assert "check-ok" in client.get(response["Location"]).content.decode()
    turns = DBTaskResult.objects.order_by("enqueued_at")
    assert [t.status for t in turns] == ["SUCCESSFUL", "SUCCESSFUL"]  # the job, then the next turn
    assert turns[0].return_value == job.pk and turns[1].return_value is None
    assert not any(jobs.progress_dir().iterdir())  # the progress file went with the job


def run_worker() -> None:
    """``jiuye db_worker --batch``: run what is queued, then stop (its signal handlers are put
    back afterwards, they are the test process's)."""
    import signal

    from django.core.management import call_command

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_a_job_left_running_by_a_dead_server_is_marked(personas: dict[str, Any]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from jiuye.ledger import jobs
    from jiuye.ledger.models import ImportJob

    job = ImportJob.objects.create(
        user=personas["worker_a"],
        file_name="x.xlsx",
        stored="x",
        sha256="0",
        mode="all",
        status="running",
    )
    # No sign of life for a while (on PostgreSQL another process would have written progress).
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    _phase, _percent, status = jobs.live(job)
    assert status == "failed"
    job.refresh_from_db()
    assert job.issues[0]["code"] == "crashed"
