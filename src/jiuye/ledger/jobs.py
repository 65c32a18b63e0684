"""Uploaded workbooks checked and imported in the background, with progress.

Choice: a plain thread in the web process writing to an :class:`ImportJob` row, not a task
queue. ``make demo`` runs only ``jiuye runserver --noreload``: a queue would need a second
process (django-tasks' ``db_worker``) that the demo does not start, and an upload would wait
forever. A thread needs nothing more, and a killed or restarted server loses nothing: the
import is one transaction, so an interrupted job simply wrote nothing (the job page says so).

Progress lives in memory (the import's own transaction holds SQLite's write lock, so it cannot
be written to the database meanwhile); on PostgreSQL it is also written through a second,
autocommit connection, so another server process can show it. Tests run jobs inline
(``LEDGER_JOBS_INLINE``), the thread only where a test asks for it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from pathlib import Path
from typing import cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import close_old_connections, connection, connections
from django.utils import timezone

from jiuye.accounts.models import User
from jiuye.ledger.issues import LedgerFileError, make_issue
from jiuye.ledger.models import ImportJob, JobMode, JobStatus
from jiuye.ledger.readers import max_file_bytes
from jiuye.ledger.services import Mode, aggregates_after_import, ledger_import

logger = logging.getLogger(__name__)
STALE_SECONDS = 120
ALLOWED_SUFFIXES = (".xlsx", ".csv")

_live: dict[int, tuple[str, int]] = {}  # job id → (phase, per cent) while running here
_lock = threading.Lock()


def upload_dir() -> Path:
    path = Path(
        getattr(settings, "LEDGER_UPLOAD_DIR", "") or settings.VAR_DIR / "ledger" / "uploads"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(uploaded: UploadedFile) -> tuple[str, str, int]:
    """Save an upload (streamed, size-limited): (stored name, SHA-256, size)."""
    name = uploaded.name or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise LedgerFileError(make_issue("not_excel", sheet=name))
    limit = max_file_bytes()
    if (uploaded.size or 0) > limit:
        raise LedgerFileError(
            make_issue(
                "file_too_large",
                sheet=name,
                size=round((uploaded.size or 0) / 2**20, 1),
                limit=round(limit / 2**20),
            )
        )
    stored = f"{uuid.uuid4().hex}{suffix}"
    target = upload_dir() / stored
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as handle:
        for chunk in uploaded.chunks():
            size += len(chunk)
            if size > limit:
                handle.close()
                target.unlink(missing_ok=True)
                raise LedgerFileError(
                    make_issue(
                        "file_too_large",
                        sheet=name,
                        size=round(size / 2**20, 1),
                        limit=round(limit / 2**20),
                    )
                )
            digest.update(chunk)
            handle.write(chunk)
    target.chmod(0o600)
    return stored, digest.hexdigest(), size


def remove_stale_uploads(max_age_hours: int = 24) -> None:
    cutoff = time.time() - max_age_hours * 3600
    for path in upload_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def create_check(*, user: User, uploaded: UploadedFile) -> ImportJob:
    """Store the upload and start checking it (a dry run)."""
    remove_stale_uploads()
    stored, sha256, size = store_upload(uploaded)
    job = ImportJob.objects.create(
        user=user,
        file_name=Path(uploaded.name or "upload").name[:255],
        stored=stored,
        sha256=sha256,
        size=size,
        mode=JobMode.CHECK,
    )
    start(job)
    return job


def confirm(*, check: ImportJob, partial: bool = False) -> ImportJob:
    """Import the checked file for real (validated again inside the import's transaction)."""
    job = ImportJob.objects.create(
        user=check.user,
        file_name=check.file_name,
        stored=check.stored,
        sha256=check.sha256,
        size=check.size,
        mode=JobMode.PARTIAL if partial else JobMode.IMPORT,
        check_job=check,
    )
    start(job)
    return job


def start(job: ImportJob) -> None:
    with _lock:
        _live[job.pk] = ("queued", 0)
    if getattr(settings, "LEDGER_JOBS_INLINE", False):
        run(job.pk)
        return
    thread = threading.Thread(
        target=_thread_main, args=(job.pk,), name=f"ledger-job-{job.pk}", daemon=True
    )
    thread.start()


def _thread_main(job_id: int) -> None:
    close_old_connections()
    try:
        run(job_id)
    finally:
        connection.close()  # this thread's own connection


class _Progress:
    """Maps the import's phases onto one per-cent bar; kept in memory and, on PostgreSQL,
    written through a side connection at most once a second."""

    def __init__(self, job: ImportJob) -> None:
        self.job_id = job.pk
        self.check_only = job.mode == JobMode.CHECK
        self.last = 0.0
        self.side = None
        if connection.vendor == "postgresql":
            try:
                self.side = connections.create_connection("default")
            except Exception:  # progress is a nicety; the import goes on without it
                self.side = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        share = done / total if total else 0.0
        if phase in ("read", "validate"):
            percent = int(share * (100 if self.check_only else 60))
        else:
            percent = 60 + int(share * 40)
        with _lock:
            _live[self.job_id] = (phase, min(percent, 99))
        now = time.monotonic()
        if self.side is not None and now - self.last >= 1.0:
            self.last = now
            try:
                with self.side.cursor() as cursor:
                    cursor.execute(
                        "UPDATE ledger_importjob SET phase = %s, progress = %s, updated_at = %s "
                        "WHERE id = %s",
                        [phase, min(percent, 99), timezone.now(), self.job_id],
                    )
            except Exception:
                self.side = None

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def run(job_id: int) -> None:
    """Check or import one job's file and record the outcome on the job."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    job.status = JobStatus.RUNNING
    job.save(update_fields=["status", "updated_at"])
    progress = _Progress(job)
    path = upload_dir() / job.stored
    try:
        result = ledger_import(
            actor=job.user,
            files=[(path, job.file_name)],
            mode=cast(Mode, job.mode),
            progress=progress,
        )
        job.counts = {key: counts.as_dict() for key, counts in result.counts.items()}
        job.issue_count = len(result.issues)
        job.issues = [issue.as_dict() for issue in result.issues[: ImportJob.MAX_ISSUES]]
        job.written = result.written
        job.seconds = result.seconds
        crashed = any(issue.code == "crashed" for issue in result.issues)
        job.status = JobStatus.FAILED if crashed else JobStatus.DONE
        if result.written:
            path.unlink(missing_ok=True)
    except Exception as error:  # recorded on the job; nothing was written (one transaction)
        logger.exception("ledger job %s failed", job_id)
        job.status = JobStatus.FAILED
        job.issues = [make_issue("crashed", detail=type(error).__name__).as_dict()]
        job.issue_count = 1
    finally:
        progress.close()
        job.progress = 100
        job.phase = "done"
        job.finished_at = timezone.now()
        job.save()
        with _lock:
            _live.pop(job_id, None)
    if job.written:
        try:  # the import is done and shown as such; the evaluations speed up once this ends
            aggregates_after_import(actor=job.user)
        except Exception:  # the aggregates stay stale: readers fall back to the registry
            logger.exception("rebuilding the aggregates after ledger job %s failed", job_id)


def live(job: ImportJob) -> tuple[str, int, str]:
    """(phase, per cent, status) of a job, noticing one that died with its server."""
    with _lock:
        found = _live.get(job.pk)
    if found is not None:
        return found[0], found[1], JobStatus.RUNNING
    if job.status in (JobStatus.RUNNING, JobStatus.QUEUED):
        job.refresh_from_db()
        fresh = (timezone.now() - job.updated_at).total_seconds() < STALE_SECONDS
        if job.status in (JobStatus.RUNNING, JobStatus.QUEUED) and not (
            fresh and connection.vendor == "postgresql"
        ):
            # Not running in this process, and no sign of life elsewhere: the server stopped
            # while it ran. Its transaction was rolled back, so nothing was written.
            job.status = JobStatus.FAILED
            job.issues = [make_issue("crashed", detail="server restarted").as_dict()]
            job.issue_count = 1
            job.finished_at = timezone.now()
            job.save()
    return job.phase, job.progress, job.status
