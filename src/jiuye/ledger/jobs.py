"""Uploaded workbooks checked and imported in the background, with progress, a few at a time.

Where they run: in the background worker (``jiuye db_worker``: django-tasks with its database
backend, started beside the web server by ``scripts/serve.sh``), never in a web process.
Submitting a job writes its :class:`ImportJob` row ("queued") and, once that is committed,
enqueues the task :func:`run_next`, a turn at the queue: a worker claims the next job that may
start and runs it. The jobs and their turns are rows, so a web process restarting loses
nothing; a worker that stops in the middle of a job leaves it "running" with its transaction
rolled back (an import is one transaction: an interrupted one wrote nothing), and the job is
failed once it shows no sign of life, which frees its slot.

How many run (issue 11, finding 5): at most ``LEDGER_JOBS_RUNNING`` jobs (checks and imports)
run at once across every worker, and at most one per user; the others wait as "queued", first
come first served (a user's second job waits for their first). The rule is kept in the
database, not in a process: a job is claimed by turning its row from "queued" to "running" in a
transaction that holds a lock (PostgreSQL: an advisory lock; SQLite: transactions begin
IMMEDIATE, so they take the write lock at once) and counts the running rows first. A turn is
enqueued when a job is submitted and when one ends (the freed slot goes to the next), and when
a page asks about a queued job that could start while no turn waits for a worker (a turn lost
to a stopped worker).

Progress and signs of life: while a job runs, its worker writes the phase and per cent to a
small file beside the uploads (``progress/<job id>``) once a second, from a thread (on SQLite
the import's own transaction holds the write lock, so the database cannot take it meanwhile).
A running job whose file is older than ``STALE_SECONDS`` (and whose row is too) has no sign of
life. Web and worker share ``VAR_DIR`` anyway: the uploaded file is there. Tests run the tasks
in the caller (the immediate backend).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db import DatabaseBackend

from jiuye.accounts.models import User
from jiuye.ledger.issues import LedgerFileError, make_issue
from jiuye.ledger.models import ImportJob, JobMode, JobStatus
from jiuye.ledger.readers import LIMIT_CODES, MB, FileLimits, check_file
from jiuye.ledger.services import Mode, aggregates_after_import, ledger_import

logger = logging.getLogger(__name__)
STALE_SECONDS = 120
HEARTBEAT_SECONDS = 1.0  # a running job's progress file is written this often
ALLOWED_SUFFIXES = (".xlsx", ".csv")
# pg_advisory_xact_lock key of the claims ("jiuye" and 5, for finding 5)
_CLAIM_LOCK = 0x6A69_7579_6505


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


def progress_dir() -> Path:
    """Where running jobs write their progress: beside the uploads."""
    path = upload_dir().parent / "progress"
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
    """Store the upload and queue its check (a dry run): a worker starts it once a slot is
    free."""
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
    wake()
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
    wake()
    return job


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------


@task()
def run_next() -> int | None:
    """A worker's turn at the queue: claim the next job that may start now and run it; its id,
    or None when none may start (the running ones' ends enqueue the next turns)."""
    claimed = _claim(limit=1)
    if not claimed:
        return None
    run(claimed[0])
    return claimed[0]


@task()
def rebuild_aggregates(user_id: int | None) -> float | None:
    """After an import that wrote: rebuild the standards aggregates it left stale (the import is
    done and shown as such; the evaluations speed up once this ends). The seconds it took."""
    actor = User.objects.filter(pk=user_id).first() if user_id is not None else None
    try:
        return aggregates_after_import(actor=actor)
    except Exception:  # the aggregates stay stale: readers fall back to the registry
        logger.exception("rebuilding the aggregates after a ledger import failed")
        return None


def _enqueue_turn() -> None:
    run_next.enqueue()


def wake() -> None:
    """Enqueue a turn at the queue once the current transaction commits (at once outside one:
    a worker must find the job's row). A failure to enqueue is logged, not raised: the job
    stays queued, and the next job's end or a look at its page enqueues a turn again."""
    transaction.on_commit(_enqueue_turn, robust=True)


def _turn_waiting() -> bool:
    """Whether a turn already waits in the database queue for a worker."""
    if not isinstance(run_next.get_backend(), DatabaseBackend):
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().filter(task_path=run_next.module_path).exists()


def _serialise_claims() -> None:
    """Inside a transaction: make concurrent claims (from any process) take turns."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CLAIM_LOCK])
    # SQLite: the transaction began IMMEDIATE (settings), holding the database's write lock.


def _progress_path(job_id: int) -> Path:
    return progress_dir() / str(job_id)


def _write_progress(job_id: int, phase: str, percent: int) -> None:
    path = _progress_path(job_id)
    partial = path.with_name(f"{job_id}.part")
    partial.write_text(f"{phase} {percent}\n")
    os.replace(partial, path)  # readers see the old line or the new one, never half of one


def _read_progress(job_id: int) -> tuple[str, int] | None:
    """(phase, per cent) of a running job, as its worker wrote them less than
    ``STALE_SECONDS`` ago; None when it shows no sign of life."""
    path = _progress_path(job_id)
    try:
        age = time.time() - path.stat().st_mtime
        phase, _space, percent = path.read_text().strip().partition(" ")
        if age > STALE_SECONDS:
            return None
        return phase, int(percent)
    except (OSError, ValueError):
        return None


def _stale_running() -> list[int]:
    """The running jobs that show no sign of life: claimed (or last written) more than
    ``STALE_SECONDS`` ago, and no progress written since."""
    cutoff = timezone.now() - timedelta(seconds=STALE_SECONDS)
    candidates = ImportJob.objects.filter(status=JobStatus.RUNNING, updated_at__lt=cutoff)
    return [pk for pk in candidates.values_list("pk", flat=True) if _read_progress(pk) is None]


def _reap() -> None:
    """Inside the claims' lock: mark failed the running jobs whose worker stopped while they
    ran (their transaction was rolled back, so nothing was written); their slots are free."""
    now = timezone.now()
    for job in ImportJob.objects.filter(pk__in=_stale_running(), status=JobStatus.RUNNING):
        job.status = JobStatus.FAILED
        job.issues = [make_issue("crashed", detail="server restarted").as_dict()]
        job.issue_count = 1
        job.phase = "done"
        job.progress = 100
        job.finished_at = now
        job.save()
        _progress_path(job.pk).unlink(missing_ok=True)


def _claim(limit: int | None = None) -> list[int]:
    """Turn the queued jobs that may start now into running ones (first come first served, at
    most one per user, at most ``max_running()`` in all, at most ``limit`` here); their ids,
    for the caller to run."""
    claimed: list[int] = []
    with transaction.atomic():
        _serialise_claims()
        _reap()
        running = list(
            ImportJob.objects.filter(status=JobStatus.RUNNING).values_list("user_id", flat=True)
        )
        free = max_running() - len(running)
        if limit is not None:
            free = min(free, limit)
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
            ImportJob.objects.filter(pk__in=claimed).update(
                status=JobStatus.RUNNING, phase="read", progress=0, updated_at=timezone.now()
            )
    return claimed


def ahead(job: ImportJob) -> int:
    """How many queued jobs were queued before ``job``."""
    return (
        ImportJob.objects.filter(status=JobStatus.QUEUED)
        .filter(Q(created_at__lt=job.created_at) | Q(created_at=job.created_at, pk__lt=job.pk))
        .count()
    )


# ---------------------------------------------------------------------------------------------
# Running one job (in a worker)
# ---------------------------------------------------------------------------------------------


class _Progress:
    """Maps the import's phases onto one per-cent bar; a thread writes it to the job's progress
    file every ``HEARTBEAT_SECONDS``, also while a long phase reports nothing (the sign of life
    the web pages go by)."""

    def __init__(self, job: ImportJob) -> None:
        self.job_id = job.pk
        self.check_only = job.mode == JobMode.CHECK
        self.state = ("read", 0)
        self.stop = threading.Event()
        _write_progress(self.job_id, *self.state)
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
        self.state = (phase, min(percent, 99))

    def _write(self) -> None:
        while not self.stop.wait(HEARTBEAT_SECONDS):
            try:
                _write_progress(self.job_id, *self.state)
            except OSError:  # progress is a nicety; the import goes on without it
                logger.warning("progress of ledger job %s could not be written", self.job_id)

    def close(self) -> None:
        self.stop.set()
        self.writer.join()
        _progress_path(self.job_id).unlink(missing_ok=True)


def run(job_id: int) -> None:
    """Check or import one claimed job's file and record the outcome on the job; then give its
    slot to the next queued job, and have the aggregates rebuilt after an import that wrote."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status != JobStatus.RUNNING:  # claimed jobs only
        job.status = JobStatus.RUNNING
        job.save(update_fields=["status", "updated_at"])
    path = upload_dir() / job.stored
    # What the job says if the worker is stopped in the middle (SystemExit, KeyboardInterrupt:
    # the import's transaction was rolled back on the way out).
    job.status = JobStatus.FAILED
    job.issues = [make_issue("crashed", detail="worker stopped").as_dict()]
    job.issue_count = 1
    progress = _Progress(job)
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
        job.household_count = len(result.households)
        job.households = sorted(result.households)[: ImportJob.MAX_HOUSEHOLDS]
        job.seconds = result.seconds
        crashed = any(issue.code == "crashed" for issue in result.issues)
        job.status = JobStatus.FAILED if crashed else JobStatus.DONE
        if result.written:
            path.unlink(missing_ok=True)
    except Exception as error:  # recorded on the job; nothing was written (one transaction)
        logger.exception("ledger job %s failed", job_id)
        job.issues = [make_issue("crashed", detail=type(error).__name__).as_dict()]
        job.issue_count = 1
    finally:
        progress.close()
        job.progress = 100
        job.phase = "done"
        job.finished_at = timezone.now()
        job.save()
    wake()  # the slot is free: the next queued job starts
    if job.written:
        user_id = job.user_id
        transaction.on_commit(lambda: rebuild_aggregates.enqueue(user_id), robust=True)


def live(job: ImportJob) -> tuple[str, int, str]:
    """(phase, per cent, status) of a job, read where its worker writes them. Running jobs with
    no sign of life are marked failed (and a turn enqueued: their slots are free); a queued job
    that could start while no turn waits for a worker gets one (after a worker stopped, say)."""
    if job.status not in (JobStatus.RUNNING, JobStatus.QUEUED):
        return job.phase, job.progress, job.status
    job.refresh_from_db()
    if job.status == JobStatus.RUNNING:
        found = _read_progress(job.pk)
        if found is not None:
            return found[0], found[1], JobStatus.RUNNING
    if job.status in (JobStatus.RUNNING, JobStatus.QUEUED) and _stale_running():
        with transaction.atomic():
            _serialise_claims()
            _reap()
        wake()
        job.refresh_from_db()
    elif job.status == JobStatus.QUEUED and _may_start(job) and not _turn_waiting():
        wake()
        job.refresh_from_db()
    return job.phase, job.progress, job.status


def _may_start(job: ImportJob) -> bool:
    """Whether a slot is free for ``job`` now (its user has nothing running)."""
    running = list(
        ImportJob.objects.filter(status=JobStatus.RUNNING).values_list("user_id", flat=True)
    )
    return len(running) < max_running() and job.user_id not in running
