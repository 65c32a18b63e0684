"""The browser's ledger export runs in the background (issue 12): the form queues a job, the
worker (here: the tests' immediate task backend) writes the workbook to an owner-only file,
the job's page offers it to the user who asked and nobody else, and it expires after a day."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.ledger.conftest import committed
from tests.ledger.test_export import DATA_SHEETS, LEDGER_SHEETS
from tests.ledger.test_export import district as district  # the fixture: persons in A and C

pytestmark = pytest.mark.django_db
ON = "2026-11-22"


def _client(user: Any, lang: str | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if lang:
        client.cookies["django_language"] = lang
    return client


def _submit(client: Client, unit: str, **data: str) -> Any:
    """Post the export form; on commit the job's task runs (immediate backend)."""
    with committed():
        return client.post(reverse("ledger:export"), {"unit": unit, "on": ON, **data})


def _export_files() -> list[Path]:
    from jiuye.ledger.export_jobs import export_dir

    return sorted(export_dir().iterdir())


def test_submit_runs_in_the_background_and_the_owner_downloads_the_workbook(
    personas: dict[str, Any], district: Any, tree: Any
) -> None:
    from jiuye.audit.models import AuditEntry
    from jiuye.ledger.models import ExportJob

    client = _client(personas["worker_a"])
    response = _submit(client, tree["a"].code)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:export_job", args=[job.pk])
    assert job.status == "done" and job.user == personas["worker_a"] and job.unit == tree["a"]
    assert str(job.on) == ON and not job.reveal and job.persons == 3 and job.size > 0
    page = client.get(response["Location"]).content.decode()
    assert 'id="export-done"' in page and 'id="export-download"' in page
    # The polling endpoint sends a finished job's page to reload.
    poll = client.get(reverse("ledger:export_progress", args=[job.pk]))
    assert poll.status_code == 204 and poll["HX-Redirect"] == response["Location"]
    download = client.get(reverse("ledger:export_download", args=[job.pk]))
    assert download.status_code == 200
    assert f"{tree['a'].code}_{ON}.xlsx" in download["Content-Disposition"]
    assert "attachment" in download["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook.sheetnames == ["说明", *LEDGER_SHEETS, *DATA_SHEETS]
    ids = [r[0] for r in workbook["人员"].iter_rows(min_row=2, values_only=True)]
    assert len(ids) == 3 and all("*" in i for i in ids)  # masked
    # The export itself is audited (by export_ledgers, in the worker); a masked download not.
    assert AuditEntry.objects.filter(action="export", actor=personas["worker_a"]).count() == 1
    assert not AuditEntry.objects.filter(action="export.download").exists()
    # The ledger home lists it, with its download.
    home = client.get(reverse("ledger:home")).content.decode()
    assert 'id="export-table"' in home
    assert reverse("ledger:export_download", args=[job.pk]) in home


def test_the_file_is_the_owners_only(personas: dict[str, Any], district: Any, tree: Any) -> None:
    from jiuye.ledger.export_jobs import file_path
    from jiuye.ledger.models import ExportJob

    old = os.umask(0)  # however permissive the worker's umask
    try:
        _submit(_client(personas["worker_a"]), tree["a"].code)
    finally:
        os.umask(old)
    job = ExportJob.objects.get()
    assert file_path(job).stat().st_mode & 0o777 == 0o600
    assert _export_files() == [file_path(job)]  # no partial file left beside it


def test_a_foreign_unit_answers_404(personas: dict[str, Any], district: Any, tree: Any) -> None:
    from jiuye.ledger.models import ExportJob

    client = _client(personas["worker_a"])
    assert _submit(client, tree["c"].code).status_code == 404
    assert _submit(client, tree["b"].code).status_code == 404
    assert not ExportJob.objects.exists()


def test_only_data_roles_export(personas: dict[str, Any], district: Any, tree: Any) -> None:
    from jiuye.ledger.models import ExportJob

    for who in ("sysadmin", "secadmin", "auditor"):
        client = _client(personas[who])
        assert client.get(reverse("ledger:export")).status_code == 403
        assert _submit(client, tree["a"].code).status_code == 403
    assert not ExportJob.objects.exists()


def test_another_users_export_is_404(personas: dict[str, Any], district: Any, tree: Any) -> None:
    from jiuye.ledger.models import ExportJob

    _submit(_client(personas["worker_a"]), tree["a"].code)
    job = ExportJob.objects.get()
    # The street sees community A's residents, but the export is worker A's.
    for who in ("worker_b", "street", "district", "grid_a1"):
        client = _client(personas[who])
        for name in ("ledger:export_job", "ledger:export_progress", "ledger:export_download"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404, (who, name)
        home = client.get(reverse("ledger:home")).content.decode()
        assert reverse("ledger:export_job", args=[job.pk]) not in home


def test_reveal_needs_the_grant_and_a_reason(
    personas: dict[str, Any], district: Any, tree: Any
) -> None:
    from jiuye.audit.models import AuditEntry
    from jiuye.ledger.models import ExportJob

    worker = personas["worker_a"]
    client = _client(worker)
    # Without the grant: asked for all the same, refused with the export's own words.
    response = _submit(client, tree["a"].code, reveal="on", reason="核对失业登记")
    assert response.status_code == 200
    assert "您没有导出完整证件号码和电话的权限。" in response.content.decode()
    worker.can_reveal = True
    worker.save()
    response = _submit(client, tree["a"].code, reveal="on", reason="查")
    assert response.status_code == 200
    assert "导出完整号码须填写原因（至少4个字）。" in response.content.decode()
    assert not ExportJob.objects.exists()
    # With both: full numbers; the export and each download of the revealed file are audited.
    _submit(client, tree["a"].code, reveal="on", reason="核对失业登记")
    job = ExportJob.objects.get()
    assert job.status == "done" and job.reveal and job.reason == "核对失业登记"
    export = AuditEntry.objects.get(action="export")
    assert export.changes["filters"]["reveal"] is True
    download = client.get(reverse("ledger:export_download", args=[job.pk]))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    ids = {r[0] for r in workbook["人员"].iter_rows(min_row=2, values_only=True)}
    assert district["mother"].id_number in ids
    entry = AuditEntry.objects.get(action="export.download")
    assert entry.actor_id == worker.pk and entry.changes["job"] == job.pk
    assert entry.changes["reason"] == "核对失业登记"
    # The grant withdrawn: the revealed file is not handed out any more.
    worker.can_reveal = False
    worker.save()
    assert client.get(reverse("ledger:export_download", args=[job.pk])).status_code == 403
    assert AuditEntry.objects.filter(action="export.download").count() == 1


def test_a_failing_export_says_why_and_leaves_no_file(
    personas: dict[str, Any], district: Any, tree: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jiuye.ledger import export_jobs
    from jiuye.ledger.models import ExportJob

    def half_then_crash(*, target: Any, **kwargs: Any) -> None:
        target.write(b"PK\x03\x04 half a workbook")
        target.flush()
        raise MemoryError

    monkeypatch.setattr(export_jobs, "export_ledgers", half_then_crash)
    client = _client(personas["worker_a"])
    response = _submit(client, tree["a"].code)
    job = ExportJob.objects.get()
    assert job.status == "failed" and job.error == "crashed:MemoryError"
    assert job.finished_at is not None
    assert _export_files() == []
    page = client.get(response["Location"]).content.decode()
    assert 'id="export-failed"' in page and "导出出错（MemoryError），未生成文件" in page
    assert 'id="export-download"' not in page
    english = _client(personas["worker_a"], lang="en").get(response["Location"])
    assert "The export failed (MemoryError)" in english.content.decode()
    assert client.get(reverse("ledger:export_download", args=[job.pk])).status_code == 404


def test_a_stopped_worker_is_found_out(personas: dict[str, Any], district: Any, tree: Any) -> None:
    """A job left running by a worker that stopped (no progress written) is marked failed by
    the page that finds it, and whatever it had written is removed."""
    from jiuye.ledger.export_jobs import file_path
    from jiuye.ledger.models import ExportJob

    job = ExportJob.objects.create(
        user=personas["worker_a"], unit=tree["a"], on=ON, stored="stopped.xlsx", status="running"
    )
    partial = file_path(job).with_name("stopped.xlsx.part")
    partial.write_bytes(b"PK")
    client = _client(personas["worker_a"])
    page = client.get(reverse("ledger:export_job", args=[job.pk])).content.decode()
    assert 'id="export-progress"' in page  # just claimed: given time
    ExportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    page = client.get(reverse("ledger:export_job", args=[job.pk])).content.decode()
    assert 'id="export-failed"' in page and "导出中断" in page
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "stopped"
    assert not partial.exists()


def test_an_expired_file_is_removed_and_said(
    personas: dict[str, Any], district: Any, tree: Any
) -> None:
    from jiuye.ledger.export_jobs import file_path
    from jiuye.ledger.models import ExportJob

    client = _client(personas["worker_a"])
    _submit(client, tree["a"].code)
    old = ExportJob.objects.get()
    path = file_path(old)
    # A day and more later: not served any more, even before the files are cleaned up.
    day_ago = timezone.now() - timedelta(hours=25)
    ExportJob.objects.filter(pk=old.pk).update(finished_at=day_ago)
    download = client.get(reverse("ledger:export_download", args=[old.pk]))
    assert download.status_code == 302
    assert download["Location"] == reverse("ledger:export_job", args=[old.pk])
    assert not path.exists()
    page = client.get(download["Location"]).content.decode()
    assert 'id="export-expired"' in page and 'id="export-download"' not in page
    home = client.get(reverse("ledger:home")).content.decode()
    assert "已过期" in home and reverse("ledger:export_download", args=[old.pk]) not in home
    english = _client(personas["worker_a"], lang="en").get(download["Location"])
    assert "The file has expired" in english.content.decode()


def test_a_new_export_removes_the_files_of_a_day_ago(
    personas: dict[str, Any], district: Any, tree: Any
) -> None:
    from jiuye.ledger.export_jobs import export_dir, file_path
    from jiuye.ledger.models import ExportJob

    client = _client(personas["worker_a"])
    _submit(client, tree["a"].code)
    old = ExportJob.objects.get()
    stray = export_dir() / "left.xlsx.part"  # a worker killed mid-file long ago
    stray.write_bytes(b"PK")
    day_ago = time.time() - 25 * 3600
    for path in (file_path(old), stray):
        os.utime(path, (day_ago, day_ago))
    _submit(client, tree["a"].code, start="2026-06-01")
    new = ExportJob.objects.exclude(pk=old.pk).get()
    assert _export_files() == [file_path(new)]
    page = client.get(reverse("ledger:export_job", args=[old.pk])).content.decode()
    assert 'id="export-expired"' in page


def test_a_double_submit_queues_one_export(
    personas: dict[str, Any], district: Any, tree: Any
) -> None:
    """Until it has run (no worker here: the task waits for the commit, which never comes),
    the same export asked for again is the one already queued; its page says it waits."""
    from jiuye.ledger.models import ExportJob

    client = _client(personas["worker_a"])
    first = client.post(reverse("ledger:export"), {"unit": tree["a"].code, "on": ON})
    again = client.post(reverse("ledger:export"), {"unit": tree["a"].code, "on": ON})
    assert first["Location"] == again["Location"]
    job = ExportJob.objects.get()
    assert job.status == "queued"
    page = client.get(first["Location"]).content.decode()
    assert 'id="export-progress"' in page and "排队中" in page
    poll = client.get(reverse("ledger:export_progress", args=[job.pk]))
    assert poll.status_code == 200 and 'id="export-phase"' in poll.content.decode()


def test_the_export_waits_in_the_database_queue_for_a_worker(
    personas: dict[str, Any], district: Any, tree: Any, settings: Any
) -> None:
    """As served: the submit only queues the task (nothing is written in the web process);
    a background worker (``jiuye db_worker``) takes it from the database and writes the file."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    from jiuye.ledger.export_jobs import file_path
    from jiuye.ledger.models import ExportJob

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = _client(personas["worker_a"])
    response = _submit(client, tree["a"].code)
    job = ExportJob.objects.get()
    assert job.status == "queued" and not file_path(job).exists()
    queued = DBTaskResult.objects.ready().get()
    assert queued.task_path == "jiuye.ledger.export_jobs.run_export"
    assert queued.args_kwargs["args"] == [job.pk]  # an id: no personal data in the queue
    page = client.get(response["Location"]).content.decode()
    assert 'id="export-progress"' in page
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    worker.run_task(queued)
    job.refresh_from_db()
    assert job.status == "done" and file_path(job).is_file()
    page = client.get(response["Location"]).content.decode()
    assert 'id="export-download"' in page


def test_the_pages_promise_re_import_only_of_full_numbers(
    personas: dict[str, Any], district: Any, tree: Any
) -> None:
    """A masked export cannot be imported again (its numbers are hidden: the importer refuses
    them), so neither page offers its data sheets as re-importable; both say what can."""
    client = _client(personas["worker_a"])
    for name in ("ledger:home", "ledger:export"):
        page = client.get(reverse(name)).content.decode()
        assert "可再导入" not in page, name
        assert "不能再导入" in page, name
