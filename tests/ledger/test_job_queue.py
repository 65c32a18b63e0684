"""Uploaded checks and imports run a few at a time (issue 11, finding 5: "checks run without a
concurrency limit"): at most ``LEDGER_JOBS_RUNNING`` at once and one per user; the rest wait
as "queued", shown with their place, and start when a slot frees; a queued job left by a
stopped worker is picked up. The limit is kept in the database (rows claimed under a lock), so
it holds across worker processes, however many run."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.ledger.conftest import Book, committed

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, path: Path) -> Any:
    data = SimpleUploadedFile(path.name, path.read_bytes(), content_type=XLSX)
    with committed():
        return client.post(reverse("ledger:upload"), {"file": data})


def _until(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _status(name: str) -> str:
    from jiuye.ledger.models import ImportJob

    return ImportJob.objects.get(file_name=name).status


class Gates:
    """Stands in for the import: each file's job runs until its gate opens, and what runs at
    once is counted (in all, and per user)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from jiuye.ledger import jobs

        self.gates: dict[str, threading.Event] = {}
        self.lock = threading.Lock()
        self.running: Counter[int] = Counter()
        self.most = 0
        self.most_per_user = 0
        real = jobs.ledger_import

        def gated(**kwargs: Any) -> Any:
            (_path, name), *_ = kwargs["files"]
            user = kwargs["actor"].pk
            with self.lock:
                self.running[user] += 1
                self.most = max(self.most, sum(self.running.values()))
                self.most_per_user = max(self.most_per_user, self.running[user])
            try:
                assert self.gates.setdefault(name, threading.Event()).wait(60)
                return real(**kwargs)
            finally:
                with self.lock:
                    self.running[user] -= 1

        monkeypatch.setattr(jobs, "ledger_import", gated)

    def open(self, name: str) -> None:
        self.gates.setdefault(name, threading.Event()).set()


class Workers:
    """Background workers (``jiuye db_worker``) in threads of the test, each with its own
    database connection, as worker processes would have."""

    def __init__(self, count: int) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        self.workers = [
            Worker(
                queue_names=["default"],
                interval=0.05,
                batch=False,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=f"test-{n}",
                excluded_queue_names=[],
            )
            for n in range(count)
        ]
        self.threads = [threading.Thread(target=self._run, args=(w,)) for w in self.workers]
        for thread in self.threads:
            thread.start()

    @staticmethod
    def _run(worker: Any) -> None:
        try:
            worker.run()
        finally:
            connections.close_all()

    def stop(self) -> None:
        for worker in self.workers:
            worker.running = False
        for thread in self.threads:
            thread.join(60)


def _settled() -> bool:
    """Every turn enqueued so far was taken: none waits, and the ones still running are the
    ones running a job (the others found nothing to start and ended)."""
    from django_tasks_db.models import DBTaskResult

    from jiuye.ledger.models import ImportJob

    turns = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"])
    return (
        not turns.filter(status="READY").exists()
        and turns.count() == ImportJob.objects.filter(status="running").count()
    )


# Workers in threads need a database that lets a writer wait: the test's in-memory SQLite
# (shared cache) answers "table is locked" at once instead, where the server's SQLite file
# waits (busy timeout). On SQLite the same rules are tested with jobs run in the caller, below.
threads_need_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threads on the in-memory SQLite test database"
)


@threads_need_postgresql
def test_a_few_at_a_time_one_per_user_the_rest_queue(
    transactional_db: Any,
    personas: dict[str, Any],
    book: Book,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jiuye.ledger.models import ImportJob

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.LEDGER_JOBS_RUNNING = 2
    gates = Gates(monkeypatch)
    path = book.save(tmp_path / "book.xlsx")
    files = {}
    for name in ("a1", "a2", "b1", "g1"):
        files[name] = tmp_path / f"{name}.xlsx"
        files[name].write_bytes(path.read_bytes())
    workers = Workers(3)  # more workers than slots: the setting is the limit
    try:
        worker_a = _client(personas["worker_a"])
        _upload(worker_a, files["a1"])
        _until(lambda: _status("a1.xlsx") == "running")
        # a second upload by the same user while the first runs: queued
        location = _upload(worker_a, files["a2"])["Location"]
        _until(_settled)
        assert _status("a2.xlsx") == "queued"
        page = worker_a.get(location).content.decode()
        assert "排队中" in page and 'id="job-progress"' in page
        # N + 1 uploads by different users: N run, one waits, behind the one queued before it
        _upload(_client(personas["worker_b"]), files["b1"])
        _until(lambda: _status("b1.xlsx") == "running")
        grid = _client(personas["grid_a1"])
        _upload(grid, files["g1"])
        _until(_settled)
        assert _status("g1.xlsx") == "queued"
        g1 = ImportJob.objects.get(file_name="g1.xlsx")
        progress = grid.get(reverse("ledger:job_progress", args=[g1.pk])).content.decode()
        assert "前面还有 1 个文件" in progress
        # worker_b's job ends: the slot goes to the grid coordinator (worker_a's second job
        # still waits for their first), without anyone asking
        gates.open("b1.xlsx")
        _until(lambda: _status("b1.xlsx") == "done")
        _until(lambda: _status("g1.xlsx") == "running")
        _until(_settled)
        assert _status("a2.xlsx") == "queued"
        gates.open("a1.xlsx")
        _until(lambda: _status("a1.xlsx") == "done")
        _until(lambda: _status("a2.xlsx") == "running")
        gates.open("a2.xlsx")
        gates.open("g1.xlsx")
        _until(lambda: _status("a2.xlsx") == "done" and _status("g1.xlsx") == "done")
    finally:
        for name in files:
            gates.open(f"{name}.xlsx")
        workers.stop()
    assert gates.most == 2 and gates.most_per_user == 1


@threads_need_postgresql
def test_the_limit_is_a_setting(
    transactional_db: Any,
    personas: dict[str, Any],
    book: Book,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.LEDGER_JOBS_RUNNING = 1
    gates = Gates(monkeypatch)
    path = book.save(tmp_path / "book.xlsx")
    workers = Workers(2)
    try:
        for name, persona in (("a", "worker_a"), ("b", "worker_b")):
            target = tmp_path / f"{name}.xlsx"
            target.write_bytes(path.read_bytes())
            _upload(_client(personas[persona]), target)
        _until(lambda: _status("a.xlsx") == "running")
        _until(_settled)
        assert _status("b.xlsx") == "queued"
        gates.open("a.xlsx")
        gates.open("b.xlsx")
        _until(lambda: _status("b.xlsx") == "done")
    finally:
        gates.open("a.xlsx")
        gates.open("b.xlsx")
        workers.stop()
    assert gates.most == 1


@pytest.mark.django_db
def test_queued_jobs_start_as_slots_free(
    personas: dict[str, Any], book: Book, tmp_path: Path, settings: Any
) -> None:
    """The same rules with jobs run in the caller (any database): two jobs hold the two slots
    (running in workers, which write their progress); further uploads queue, the same user's
    too, and each job's end starts the next queued ones (first come first served, one per
    user)."""
    from jiuye.ledger import jobs
    from jiuye.ledger.models import ImportJob

    settings.LEDGER_JOBS_RUNNING = 2
    path = book.save(tmp_path / "book.xlsx")
    holders = [
        ImportJob.objects.create(
            user=personas[name],
            file_name=f"{name}.xlsx",
            stored="x",
            sha256="0",
            mode="dry_run",
            status="running",
        )
        for name in ("worker_a", "worker_b")
    ]
    for job in holders:  # as if workers were running them
        jobs._write_progress(job.pk, "validate", 50)
    grid = _client(personas["grid_a1"])
    worker_a = _client(personas["worker_a"])
    for client, name in ((grid, "g1"), (worker_a, "a2")):
        target = tmp_path / f"{name}.xlsx"
        target.write_bytes(path.read_bytes())
        _upload(client, target)
    assert (_status("g1.xlsx"), _status("a2.xlsx")) == ("queued", "queued")
    a2 = ImportJob.objects.get(file_name="a2.xlsx")
    html = worker_a.get(reverse("ledger:job", args=[a2.pk])).content.decode()
    assert "前面还有 1 个文件" in html
    assert a2.get_status_display() in worker_a.get(reverse("ledger:home")).content.decode()
    # worker_a's running job ends: the grid coordinator's starts (it was first), then
    # worker_a's second (worker_a has nothing running any more; worker_b's job still runs)
    jobs._progress_path(holders[0].pk).unlink()
    ImportJob.objects.filter(pk=holders[0].pk).update(status="done")
    with committed():
        jobs.wake()
    assert (_status("g1.xlsx"), _status("a2.xlsx")) == ("done", "done")
    assert _status("worker_b.xlsx") == "running"


@pytest.mark.django_db
def test_a_users_second_job_waits_for_the_first(
    personas: dict[str, Any], book: Book, tmp_path: Path, settings: Any
) -> None:
    from jiuye.ledger import jobs
    from jiuye.ledger.models import ImportJob

    settings.LEDGER_JOBS_RUNNING = 2
    client = _client(personas["worker_a"])
    book.sheets["单位"] = book.sheets["单位"][:1]  # only community A's rows: a clean check
    book.sheets["户"][2][1] = "110108001001A2"
    _upload(client, book.save(tmp_path / "checked.xlsx"))
    checked = ImportJob.objects.get(file_name="checked.xlsx")
    assert checked.status == "done" and checked.issue_count == 0
    first = ImportJob.objects.create(
        user=personas["worker_a"],
        file_name="first.xlsx",
        stored="x",
        sha256="0",
        mode="dry_run",
        status="running",
    )
    jobs._write_progress(first.pk, "read", 0)  # as if a worker were running it
    page = client.get(_upload(client, book.save(tmp_path / "second.xlsx"))["Location"])
    assert _status("second.xlsx") == "queued"  # although a slot is free
    html = page.content.decode()
    assert "排队中" in html and "您的上一个文件" in html
    # confirming a checked file queues its import the same way
    with committed():
        client.post(reverse("ledger:job_confirm", args=[checked.pk]))
    imported = ImportJob.objects.get(check_job=checked)
    assert imported.status == "queued" and not imported.written
    # another user's upload starts at once: a slot is free
    _upload(_client(personas["worker_b"]), book.save(tmp_path / "other.xlsx"))
    assert _status("other.xlsx") == "done"
    # worker_a's first job ends: their next two run, in the order they came
    jobs._progress_path(first.pk).unlink()
    ImportJob.objects.filter(pk=first.pk).update(status="done")
    with committed():
        jobs.wake()
    imported.refresh_from_db()
    assert _status("second.xlsx") == "done" and imported.status == "done"
    assert imported.written
    second = ImportJob.objects.get(file_name="second.xlsx")
    assert second.finished_at is not None and imported.finished_at is not None
    assert second.finished_at <= imported.finished_at


@pytest.mark.django_db
def test_a_job_left_queued_by_a_stopped_server_is_picked_up(
    personas: dict[str, Any], book: Book, tmp_path: Path
) -> None:
    """The worker stopped with a job queued (and one running, which wrote nothing), and the
    queued job's turn was lost with it: when its page is next asked for, the running one is
    marked failed and the queued one gets a turn; the page then shows its result."""
    from jiuye.ledger import jobs
    from jiuye.ledger.models import ImportJob

    path = book.save(tmp_path / "book.xlsx")
    stored = jobs.upload_dir() / "left.xlsx"
    stored.write_bytes(path.read_bytes())
    user = personas["worker_a"]
    dead = ImportJob.objects.create(
        user=user,
        file_name="dead.xlsx",
        stored="gone.xlsx",
        sha256="0",
        mode="dry_run",
        status="running",
    )
    left = ImportJob.objects.create(
        user=user, file_name="left.xlsx", stored="left.xlsx", sha256="0", mode="dry_run"
    )
    assert left.status == "queued"
    # no sign of life for a while: claimed long ago, no progress written since
    ImportJob.objects.filter(pk=dead.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    client = _client(user)
    with committed():
        client.get(reverse("ledger:job", args=[left.pk]))
    dead.refresh_from_db()
    left.refresh_from_db()
    assert dead.status == "failed" and dead.issues[0]["code"] == "crashed"
    assert left.status == "done" and left.counts  # it ran (in the caller in tests)
    html = client.get(reverse("ledger:job", args=[left.pk])).content.decode()
    assert 'id="job-result"' in html


@threads_need_postgresql
@pytest.mark.django_db(transaction=True)
def test_claims_from_many_connections_never_exceed_the_limit(
    personas: dict[str, Any], settings: Any
) -> None:
    """Eight claimers at once (threads, each with its own database connection, as several
    worker processes would be) over ten queued jobs of ten users: two are claimed."""
    from jiuye.accounts.models import User
    from jiuye.ledger import jobs
    from jiuye.ledger.models import ImportJob

    settings.LEDGER_JOBS_RUNNING = 2
    for n in range(10):
        user = User.objects.create_user(username=f"queue{n}", password="x", role="worker")
        ImportJob.objects.create(
            user=user, file_name=f"{n}.xlsx", stored="x", sha256="0", mode="dry_run"
        )
    claimed: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)
    lock = threading.Lock()

    def claimer() -> None:
        try:
            start.wait()
            found = jobs._claim()
            with lock:
                claimed.extend(found)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claimer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(claimed) == 2
    assert ImportJob.objects.filter(status="running").count() == 2


@threads_need_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_running_job_shows_signs_of_life(
    personas: dict[str, Any],
    book: Book,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The web pages tell a running job from a dead one by its progress file, written by the
    worker also while a long phase reports nothing; a job claimed long ago that shows it is
    left alone, and its page shows its progress."""
    from jiuye.ledger import jobs
    from jiuye.ledger.models import ImportJob

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.2)
    gates = Gates(monkeypatch)
    workers = Workers(1)
    try:
        _upload(_client(personas["worker_a"]), book.save(tmp_path / "slow.xlsx"))
        _until(lambda: ImportJob.objects.get().status == "running")
        job = ImportJob.objects.get()
        written = jobs._progress_path(job.pk)
        _until(written.exists)
        first = written.stat().st_mtime_ns
        _until(lambda: written.stat().st_mtime_ns > first, seconds=10)
        ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
        assert jobs.live(job) == ("read", 0, "running")
        assert ImportJob.objects.get().status == "running"
        gates.open("slow.xlsx")
        _until(lambda: ImportJob.objects.get().status == "done")
        assert not written.exists()
    finally:
        gates.open("slow.xlsx")
        workers.stop()


@pytest.mark.django_db
def test_a_running_job_is_alive_while_its_progress_file_is_fresh(personas: dict[str, Any]) -> None:
    """Any database: a job claimed long ago is alive while its worker keeps writing its
    progress; once the file is older than ``STALE_SECONDS`` it is failed, and its slot freed."""
    import os
    import time

    from jiuye.ledger import jobs
    from jiuye.ledger.models import ImportJob

    job = ImportJob.objects.create(
        user=personas["worker_a"],
        file_name="long.xlsx",
        stored="x",
        sha256="0",
        mode="all",
        status="running",
    )
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    jobs._write_progress(job.pk, "write", 70)
    assert jobs.live(job) == ("write", 70, "running")
    jobs._claim()  # claims reap the dead: not this one
    assert ImportJob.objects.get(pk=job.pk).status == "running"
    old = time.time() - jobs.STALE_SECONDS - 5
    os.utime(jobs._progress_path(job.pk), (old, old))
    _phase, _percent, status = jobs.live(job)
    assert status == "failed"
    job.refresh_from_db()
    assert job.issues[0]["code"] == "crashed" and not jobs._progress_path(job.pk).exists()
