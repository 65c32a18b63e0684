"""A unit's ledgers exported from the browser, in the background (issue 12).

A district's ledgers take minutes to write at a million persons: longer than a web request may
run (gunicorn's 60 s), and a server slot held all along. So the export page only writes an
:class:`ExportJob` row ("queued") and, once that is committed, enqueues the task
:func:`run_export`; the background worker (``jiuye db_worker``, beside the web server) runs
``export.export_ledgers`` unchanged (it checks the reveal and audits the export and what it
names) into a file beside the uploads, ``VAR_DIR/ledger/exports/``, and marks the job done. The
job's page polls it, then offers the download to the user who asked, and nobody else; the
download of a revealed file (full ID numbers) is audited in its turn.

Files: created owner-only (0600: a revealed one holds full numbers, like the SQLite files and
the backups), written under a ``.part`` name and renamed when complete, so a crash or a
stopped worker leaves no partial workbook (the job says it failed, and why). A file is deleted
``ExportJob.EXPIRE_HOURS`` (24) after it was written: an expired one is no longer served, and
the files are removed when the next export is submitted (:func:`remove_expired_exports`).

Signs of life: while it runs, the worker writes the phase and per cent to
``progress/export-<job id>`` beside the uploads once a second, from a thread (the export's
reading holds a transaction); a running job whose file is older than ``jobs.STALE_SECONDS``
(and whose row is too) lost its worker, and the page that finds it marks it failed.

``jiuye export ledgers`` on the command line stays synchronous. Tests run the task in the
caller (the immediate backend).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from jiuye.accounts.models import User
from jiuye.audit.services import audit_record
from jiuye.ledger import jobs
from jiuye.ledger.export import DATA_SHEETS, LEDGERS, check_reveal, export_ledgers
from jiuye.ledger.models import ExportJob, JobStatus
from jiuye.lib.masking import mask_text
from jiuye.units.models import Unit
from jiuye.units.scope import units_visible

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 1.0
PART = ".part"
# The sheets the export reports as it writes them: the ledgers and the data sheets.
SHEETS = len(LEDGERS) + len(DATA_SHEETS)


def export_dir() -> Path:
    """Where the exported workbooks wait for their download: beside the uploads."""
    path = jobs.upload_dir().parent / "exports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def file_path(job: ExportJob) -> Path:
    return export_dir() / job.stored


def _progress_path(job_id: int) -> Path:
    return jobs.progress_dir() / f"export-{job_id}"


def remove_expired_exports(max_age_hours: int = ExportJob.EXPIRE_HOURS) -> None:
    """Delete the exported workbooks (and any partial one) written more than ``max_age_hours``
    ago."""
    cutoff = time.time() - max_age_hours * 3600
    for path in export_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def expired(job: ExportJob) -> bool:
    """A finished export whose file is gone or past its time (``EXPIRE_HOURS``)."""
    if job.status != JobStatus.DONE:
        return False
    cutoff = timezone.now() - timedelta(hours=ExportJob.EXPIRE_HOURS)
    if job.finished_at is not None and job.finished_at < cutoff:
        return True
    return not file_path(job).is_file()


# ---------------------------------------------------------------------------------------------
# Submitting (in the web process)
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def export_submit(
    *,
    actor: User,
    unit: Unit,
    on: date,
    start: date | None = None,
    reveal: bool = False,
    reason: str = "",
) -> ExportJob:
    """Queue the export of ``unit``'s ledgers for ``actor`` (whose jurisdiction the caller has
    checked): refused at once (PermissionDenied, ValidationError) when full numbers are asked
    for without the grant or a reason. The same export already queued or running for them is
    not queued twice (a double click)."""
    if not actor.sees_personal_data:
        raise PermissionDenied
    check_reveal(actor, reveal, reason)
    remove_expired_exports()
    reason = mask_text(reason.strip()) if reveal else ""  # (kept as the audit log keeps it)
    wanted = {"unit": unit, "on": on, "start": start, "reveal": reveal, "reason": reason}
    waiting = ExportJob.objects.filter(
        user=actor, status__in=(JobStatus.QUEUED, JobStatus.RUNNING), **wanted
    ).first()
    if waiting is not None:
        return waiting
    job = ExportJob.objects.create(user=actor, stored=f"{uuid.uuid4().hex}.xlsx", **wanted)
    job_id = job.pk
    transaction.on_commit(lambda: run_export.enqueue(job_id), robust=True)
    return job


# ---------------------------------------------------------------------------------------------
# Running (in a worker)
# ---------------------------------------------------------------------------------------------


@task()
def run_export(job_id: int) -> int | None:
    """Claim the queued export ``job_id`` and write it; the file's size, or None when the job
    was not queued (run already, or marked failed meanwhile)."""
    claimed = ExportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("user", "unit").get(pk=job_id)
    run(job)
    return job.size if job.status == JobStatus.DONE else None


class _Heartbeat:
    """The export's progress, written to its progress file every ``HEARTBEAT_SECONDS`` by a
    thread, also while the export reads and reports nothing (the sign of life the page goes
    by). Called by the export after each sheet."""

    def __init__(self, job_id: int) -> None:
        self.path = _progress_path(job_id)
        self.state = ("read", 0)
        self.sheets = 0
        self.stop = threading.Event()
        self._write()
        self.writer = threading.Thread(target=self._beat, name=f"export-{job_id}", daemon=True)
        self.writer.start()

    def __call__(self, sheet: str, rows: int) -> None:
        self.sheets += 1
        self.state = ("write", min(99, self.sheets * 100 // SHEETS))

    def _write(self) -> None:
        partial = self.path.with_name(self.path.name + PART)
        partial.write_text(f"{self.state[0]} {self.state[1]}\n")
        os.replace(partial, self.path)  # readers see the old line or the new one

    def _beat(self) -> None:
        while not self.stop.wait(HEARTBEAT_SECONDS):
            try:
                self._write()
            except OSError:  # progress is a nicety; the export goes on without it
                logger.warning("progress of export %s could not be written", self.path.name)

    def close(self) -> None:
        self.stop.set()
        self.writer.join()
        self.path.unlink(missing_ok=True)


def _read_progress(job_id: int) -> tuple[str, int] | None:
    """(phase, per cent) of a running export, as written less than ``STALE_SECONDS`` ago."""
    path = _progress_path(job_id)
    try:
        age = time.time() - path.stat().st_mtime
        phase, _space, percent = path.read_text().strip().partition(" ")
        if age > jobs.STALE_SECONDS:
            return None
        return phase, int(percent)
    except (OSError, ValueError):
        return None


def _private(path: Path) -> IO[bytes]:
    """A new file readable and writable by its owner only, whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def _still_allowed(job: ExportJob) -> None:
    """What the page checked when the job was queued, checked again when it runs."""
    user = job.user
    if not user.sees_personal_data or not units_visible(user).filter(pk=job.unit_id).exists():
        raise PermissionDenied


def run(job: ExportJob) -> None:
    """Write one claimed export to its file and record the outcome on the job. On any failure
    no file is left: the workbook is written under a ``.part`` name and renamed at the end."""
    target = file_path(job)
    partial = target.with_name(target.name + PART)
    # What the job says if the worker is stopped in the middle (SystemExit, KeyboardInterrupt).
    job.status = JobStatus.FAILED
    job.error = "stopped"
    heartbeat = _Heartbeat(job.pk)
    try:
        _still_allowed(job)
        with _private(partial) as handle:
            summary = export_ledgers(
                actor=job.user,
                unit=job.unit,
                target=handle,
                on=job.on,
                start=job.start,
                reveal=job.reveal,
                reason=job.reason,
                progress=heartbeat,
            )
        os.replace(partial, target)
        job.size = target.stat().st_size
        job.persons = summary.persons
        job.status = JobStatus.DONE
        job.error = ""
    except PermissionDenied:
        job.error = "denied"
    except ValidationError:
        job.error = "reason"
    except Exception as error:
        logger.exception("ledger export %s failed", job.pk)
        job.error = f"crashed:{type(error).__name__}"[:200]
    finally:
        heartbeat.close()
        if job.status != JobStatus.DONE:
            partial.unlink(missing_ok=True)
            target.unlink(missing_ok=True)
        job.finished_at = timezone.now()
        job.save()


# ---------------------------------------------------------------------------------------------
# Reading (in the web process)
# ---------------------------------------------------------------------------------------------


def live(job: ExportJob) -> tuple[str, int, str]:
    """(phase, per cent, status) of an export. A running one that shows no sign of life (its
    worker stopped) is marked failed, and whatever it had written removed."""
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return "done", 100, job.status
    job.refresh_from_db()
    if job.status == JobStatus.QUEUED:
        return "queued", 0, job.status
    if job.status != JobStatus.RUNNING:
        return "done", 100, job.status
    found = _read_progress(job.pk)
    if found is not None:
        return found[0], found[1], job.status
    cutoff = timezone.now() - timedelta(seconds=jobs.STALE_SECONDS)
    if job.updated_at >= cutoff:  # just claimed: its first beat is on its way
        return "read", 0, job.status
    stopped = ExportJob.objects.filter(
        pk=job.pk, status=JobStatus.RUNNING, updated_at__lt=cutoff
    ).update(status=JobStatus.FAILED, error="stopped", finished_at=timezone.now())
    if stopped:
        target = file_path(job)
        target.with_name(target.name + PART).unlink(missing_ok=True)
        target.unlink(missing_ok=True)
    job.refresh_from_db()
    return "done", 100, job.status


def failure(job: ExportJob) -> str:
    """Why a failed export failed, in the reader's language."""
    code, _colon, detail = job.error.partition(":")
    if code == "denied":
        return _("您已无权导出该单位的台账或完整号码，未生成文件。")
    if code == "reason":
        return _("导出完整号码须填写原因，未生成文件。")
    if code == "crashed":
        return _("导出出错（%(detail)s），未生成文件。请重新导出；如仍出错，请联系系统管理员。") % {
            "detail": detail or "?"
        }
    return _("导出中断（后台服务停止），未生成文件。请重新导出。")


def open_file(job: ExportJob) -> IO[bytes] | None:
    """The finished export's workbook, open for its download; None when it expired (a file
    past its time is deleted here)."""
    if job.status != JobStatus.DONE:
        return None
    path = file_path(job)
    if expired(job):
        path.unlink(missing_ok=True)
        return None
    try:
        return path.open("rb")
    except FileNotFoundError:  # removed meanwhile
        return None


def audit_download(*, actor: User, job: ExportJob) -> None:
    """A revealed workbook (full numbers) leaves the server: who took it, which export."""
    audit_record(
        actor=actor,
        action="export.download",
        unit=job.unit,
        changes={
            "what": "ledgers",
            "job": job.pk,
            "file": job.file_name,
            "on": job.on.isoformat(),
            "reveal": job.reveal,
            "reason": job.reason,
            "size": job.size,
        },
    )
