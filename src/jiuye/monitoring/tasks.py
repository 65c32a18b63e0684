"""Background work of monitoring (django-tasks, the database backend and ``db_worker``): the
daily warnings run, which also brings the monthly roll-ups up to the day's month, and a run a
district user asks for on the web or the API (``warnings_run_task``).

"Daily" is kept by the queue itself: each run queues the next one for the following day at
``JIUYE_WARNINGS_HOUR`` o'clock, and ``jiuye warnings schedule`` (run by ``scripts/serve.sh``
before the workers start, and safe to run again) queues one when none is waiting. A backend
that cannot defer (the tests' immediate backend) schedules nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import default_task_backend, task

from jiuye.accounts.models import User
from jiuye.monitoring import services


@task()
def warnings_daily_task(on: str | None = None) -> dict[str, Any]:
    """Run the warnings as of ``on`` (default: today), then queue tomorrow's run."""
    day = date.fromisoformat(on) if on else timezone.localdate()
    summary = services.warnings_run(actor=None, on=day)
    schedule_daily()
    return summary.as_json()


def _task_path() -> str:
    return warnings_daily_task.module_path


def next_run_at(now: datetime | None = None) -> datetime:
    """The next ``JIUYE_WARNINGS_HOUR`` o'clock (local time) after ``now``."""
    now = timezone.localtime(now or timezone.now())
    hour = int(getattr(settings, "JIUYE_WARNINGS_HOUR", 1))
    at = timezone.make_aware(datetime.combine(now.date(), time(hour)))
    return at if at > now else at + timedelta(days=1)


def schedule_daily() -> datetime | None:
    """Queue the next daily run unless one is already waiting. Returns when it will run (None:
    already queued, or the backend cannot defer)."""
    if not default_task_backend.supports_defer:
        return None
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(task_path=_task_path(), status="READY").exists()
    if waiting:
        return None
    at = next_run_at()
    warnings_daily_task.using(run_after=at).enqueue()
    return at


@task()
def warnings_run_task(user_id: int, on: str) -> dict[str, Any]:
    """A run asked for on the web or the API (``warnings:run``), as of ``on`` (an ISO date),
    as the user who asked. The user is read again here: one deactivated or no longer a
    district user since the request is refused as they would be on the page."""
    actor = User.objects.get(pk=user_id, is_active=True)
    if not services.may_run(actor):
        raise PermissionDenied(_("只有区级管理员可以运行预警。"))
    return services.warnings_run(actor=actor, on=date.fromisoformat(on)).as_json()
