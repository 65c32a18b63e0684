"""Uploaded workbooks checked and imported in the background, with progress, a few at a time.

Choice: a plain thread in the web process writing to an :class:`ImportJob` row, not a task
queue. ``make demo`` runs only ``jiuye runserver --noreload``: a queue would need a second
process (django-tasks' ``db_worker``) that the demo does not start, and an upload would wait
forever. A thread needs nothing more, and a killed or restarted server loses nothing: the
import is one transaction, so an interrupted job simply wrote nothing (the job page says so).

How many run (issue 11, finding 5): at most ``LEDGER_JOBS_RUNNING`` jobs (checks and imports)
run at once across every server process, and at most one per user; the others wait as
"queued", first come first served (a user's second job waits for their first). The rule is kept
in the database, not in the process: a job is claimed by turning its row from "queued" to
"running" in a transaction that holds a lock (PostgreSQL: an advisory lock; SQLite: transactions
begin IMMEDIATE, so they take the write lock at once) and counts the running rows first. Claims
are made when a job is submitted, when one ends (the freed slot goes to the next), and when a
page asks about a queued job, so a job still queued after a restart is picked up then. A
"running" job that shows no sign of life is marked failed, which frees its slot: on SQLite, one
not running in this process (the demo serves from one process); on PostgreSQL, one whose row was
not touched for ``STALE_SECONDS`` (a running job's row is touched every ``HEARTBEAT_SECONDS``).

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
from datetime import timedelta
from pathlib import Path
from typing import cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import close_old_connections, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from jiuye.accounts.models import User
from jiuye.ledger.issues import LedgerFileError, make_issue
from jiuye.ledger.models import ImportJob, JobMode, JobStatus
from jiuye.ledger.readers import LIMIT_CODES, MB, FileLimits, check_file
from jiuye.ledger.services import Mode, aggregates_after_import, ledger_import

logger = logging.getLogger(__name__)
STALE_SECONDS = 120
HEARTBEAT_SECONDS = 20
ALLOWED_SUFFIXES = (".xlsx", ".csv")
# pg_advisory_xact_lock key of the claims ("jiuye" and 5, for finding 5)
_CLAIM_LOCK = 0x6A69_7579_6505

_live: dict[int, tuple[str, int]] = {}  # job id → (phase, per cent) while running here
_lock = threading.Lock()
_local = threading.local()


def max_running() -> int:
    """How many checks and imports may run at once (``LEDGER_JOBS_RUNNING``, default 2: the
    cores of the machine class this runs on)."""
    return max(1, int(getattr(settings, "LEDGER_JOBS_RUNNING", 2)))


def upload_dir() -> Path:
    path = Path(
        getattr(settings, "LEDGER_UPLOAD_DIR", "") or settings.VAR_DIR / "ledger" / "uploads"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def _too_large(name: str, size: int, limit: int) -> LedgerFileError:
    return LedgerFileError(
        make_issue("file_too_large", sheet=name, size=round(size / MB, 1), limit=round(limit / MB))
    )


def store_upload(uploaded: UploadedFile) -> tuple[str, str, int]:
    """Save an upload (streamed, size-limited) and hold it to the web's limits as far as can be
    done without parsing it (``readers.check_file``: its size, and a workbook's members, their
    unpacked size and compression ratios): (stored name, SHA-256, size). A file over a limit
    is deleted and refused at once, before any job is queued."""
    name = uploaded.name or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise LedgerFileError(make_issue("not_excel", sheet=name))
    limits = FileLimits.upload()
    limit = limits.file_bytes
    if (uploaded.size or 0) > limit:
        raise _too_large(name, uploaded.size or 0, limit)
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
                raise _too_large(name, size, limit)
            digest.update(chunk)
            handle.write(chunk)
    target.chmod(0o600)
    try:
        check_file(target, Path(name).name, limits)
    except LedgerFileError as error:
        if error.issue.code in LIMIT_CODES:
            target.unlink(missing_ok=True)
            raise
        # a damaged or unsuitable file: its check reports it like any other problem
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
    """Store the upload and queue its check (a dry run); it starts at once if a slot is free."""
    remove_stale_uploads()
    stored, sha256, size = store_upload(uploaded)
    job = ImportJob.objects.create(
        user=user,
        file_name=Path(uploaded.name or "upload").name[:255],
        stored=stored,
        sha256=sha256,
        size=size,
        mode=JobMode.CHECK,
        status=JobStatus.QUEUED,
    )
    dispatch()
    job.refresh_from_db()
    return job


def confirm(*, check: ImportJob, partial: bool = False) -> ImportJob:
    """Queue the import of the checked file (validated again inside the import's transaction)."""
    job = ImportJob.objects.create(
        user=check.user,
        file_name=check.file_name,
        stored=check.stored,
        sha256=check.sha256,
        size=check.size,
        mode=JobMode.PARTIAL if partial else JobMode.IMPORT,
        status=JobStatus.QUEUED,
        check_job=check,
    )
    dispatch()
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------


def _serialise_claims() -> None:
    """Inside a transaction: make concurrent claims (from any server process) take turns."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CLAIM_LOCK])
    # SQLite: the transaction began IMMEDIATE (settings), holding the database's write lock.


def _stale_running() -> Q:
    """Running jobs that show no sign of life from this process or another."""
    with _lock:
        here = list(_live)
    dead = Q(status=JobStatus.RUNNING) & ~Q(pk__in=here)
    if connection.vendor == "postgresql":
        dead &= Q(updated_at__lt=timezone.now() - timedelta(seconds=STALE_SECONDS))
    return dead


def _reap() -> None:
    """Mark failed the running jobs whose server stopped while they ran (their transaction
    was rolled back, so nothing was written); their slots are free again."""
    now = timezone.now()
    for job in ImportJob.objects.filter(_stale_running()):
        job.status = JobStatus.FAILED
        job.issues = [make_issue("crashed", detail="server restarted").as_dict()]
        job.issue_count = 1
        job.phase = "done"
        job.progress = 100
        job.finished_at = now
        job.save()


def _claim() -> list[int]:
    """Turn the queued jobs that may start now into running ones (first come first served, at
    most one per user, at most ``max_running()`` in all); their ids, to be run here."""
    claimed: list[int] = []
    try:
        with transaction.atomic():
            _serialise_claims()
            _reap()
            running = list(
                ImportJob.objects.filter(status=JobStatus.RUNNING).values_list("user_id", flat=True)
            )
            free = max_running() - len(running)
            if free <= 0:
                return []
            busy = set(running)
            queued = (
                ImportJob.objects.filter(status=JobStatus.QUEUED)
                .order_by("created_at", "pk")
                .values_list("pk", "user_id")
            )
            for pk, user_id in queued:
                if user_id in busy:
                    continue
                claimed.append(pk)
                busy.add(user_id)
                if len(claimed) == free:
                    break
            if claimed:
                with _lock:
                    for pk in claimed:
                        _live[pk] = ("read", 0)
                ImportJob.objects.filter(pk__in=claimed).update(
                    status=JobStatus.RUNNING, phase="read", progress=0, updated_at=timezone.now()
                )
    except BaseException:
        with _lock:
            for pk in claimed:
                _live.pop(pk, None)
        raise
    return claimed


def dispatch() -> None:
    """Start the queued jobs that may run now, in this process: inline in tests
    (``LEDGER_JOBS_INLINE``, one after another until none may start), else each in a thread."""
    if getattr(_local, "dispatching", False):  # an inline job ending inside the loop below
        return
    _local.dispatching = True
    try:
        while True:
            claimed = _claim()
            if not claimed:
                return
            if not getattr(settings, "LEDGER_JOBS_INLINE", False):
                for pk in claimed:
                    threading.Thread(
                        target=_thread_main, args=(pk,), name=f"ledger-job-{pk}", daemon=True
                    ).start()
                return  # each thread claims the next job when it ends
            for pk in claimed:
                run(pk)
    finally:
        _local.dispatching = False


def _thread_main(job_id: int) -> None:
    close_old_connections()
    try:
        run(job_id)
    finally:
        connection.close()  # this thread's own connection


def ahead(job: ImportJob) -> int:
    """How many queued jobs were queued before ``job``."""
    return (
        ImportJob.objects.filter(status=JobStatus.QUEUED)
        .filter(Q(created_at__lt=job.created_at) | Q(created_at=job.created_at, pk__lt=job.pk))
        .count()
    )


# ---------------------------------------------------------------------------------------------
# Running one job
# ---------------------------------------------------------------------------------------------


class _Progress:
    """Maps the import's phases onto one per-cent bar, kept in memory; on PostgreSQL a thread
    writes it to the job's row through a side connection, at most once a second and at least
    every ``HEARTBEAT_SECONDS`` (the sign of life other processes go by)."""

    def __init__(self, job: ImportJob) -> None:
        self.job_id = job.pk
        self.check_only = job.mode == JobMode.CHECK
        self.stop = threading.Event()
        self.writer: threading.Thread | None = None
        if connection.vendor == "postgresql":
            self.writer = threading.Thread(
                target=self._write, name=f"ledger-progress-{job.pk}", daemon=True
            )
            self.writer.start()

    def __call__(self, phase: str, done: int, total: int) -> None:
        share = done / total if total else 0.0
        if phase in ("read", "validate"):
            percent = int(share * (100 if self.check_only else 60))
        else:
            percent = 60 + int(share * 40)
        with _lock:
            _live[self.job_id] = (phase, min(percent, 99))

    def _write(self) -> None:
        try:
            side = connections.create_connection("default")
        except Exception:  # progress is a nicety; the import goes on without it
            return
        written: tuple[str, int] | None = None
        last = time.monotonic()
        try:
            while not self.stop.wait(1.0):
                with _lock:
                    state = _live.get(self.job_id)
                if state is None:
                    return
                now = time.monotonic()
                if state == written and now - last < HEARTBEAT_SECONDS:
                    continue
                with side.cursor() as cursor:
                    cursor.execute(
                        "UPDATE ledger_importjob SET phase = %s, progress = %s, updated_at = %s "
                        "WHERE id = %s AND status = %s",
                        [state[0], state[1], timezone.now(), self.job_id, JobStatus.RUNNING],
                    )
                written, last = state, now
        except Exception:
            logger.warning("progress of ledger job %s is no longer written", self.job_id)
        finally:
            side.close()

    def close(self) -> None:
        self.stop.set()
        if self.writer is not None:
            self.writer.join()


def run(job_id: int) -> None:
    """Check or import one claimed job's file and record the outcome on the job; then give
    its slot to the next queued job."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status != JobStatus.RUNNING:  # claimed jobs only
        job.status = JobStatus.RUNNING
        job.save(update_fields=["status", "updated_at"])
    with _lock:
        _live[job_id] = ("read", 0)
    progress = _Progress(job)
    path = upload_dir() / job.stored
    try:
        result = ledger_import(
            actor=job.user,
            files=[(path, job.file_name)],
            mode=cast(Mode, job.mode),
            progress=progress,
            limits=FileLimits.upload(),
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
        try:
            job.save()
        finally:
            with _lock:
                _live.pop(job_id, None)
    try:
        dispatch()  # the slot is free: the next queued job starts
    except Exception:  # it starts at the next upload or page view instead
        logger.exception("starting the next ledger job after %s failed", job_id)
    if job.written:
        try:  # the import is done and shown as such; the evaluations speed up once this ends
            aggregates_after_import(actor=job.user)
        except Exception:  # the aggregates stay stale: readers fall back to the registry
            logger.exception("rebuilding the aggregates after ledger job %s failed", job_id)


def live(job: ImportJob) -> tuple[str, int, str]:
    """(phase, per cent, status) of a job. A queued job may start now (after a restart too);
    one that died with its server is marked failed."""
    with _lock:
        found = _live.get(job.pk)
    if found is not None:
        return found[0], found[1], JobStatus.RUNNING
    if job.status in (JobStatus.RUNNING, JobStatus.QUEUED):
        job.refresh_from_db()
    if job.status in (JobStatus.RUNNING, JobStatus.QUEUED) and _may_claim(job):
        dispatch()
        with _lock:
            found = _live.get(job.pk)
        if found is not None:
            return found[0], found[1], JobStatus.RUNNING
        job.refresh_from_db()
    return job.phase, job.progress, job.status


def _may_claim(job: ImportJob) -> bool:
    """Whether asking about ``job`` should try to claim jobs: it is queued, or running with no
    sign of life. Not on SQLite while a job runs in this process: its transaction may hold the
    write lock, and its end claims the next job anyway."""
    if connection.vendor != "postgresql":
        with _lock:
            if _live:
                return False
    if job.status == JobStatus.QUEUED:
        return True
    return ImportJob.objects.filter(_stale_running(), pk=job.pk).exists()
