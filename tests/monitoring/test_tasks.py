"""The daily warnings run through django-tasks: queued once for the next run hour, each run
queuing the next; the run itself as the task runs it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.test import override_settings

from jiuye.monitoring import tasks
from jiuye.monitoring.models import EarlyWarning

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
SHANGHAI = ZoneInfo("Asia/Shanghai")


@override_settings(JIUYE_WARNINGS_HOUR=1, TIME_ZONE="Asia/Shanghai")
def test_the_next_run_is_the_next_run_hour() -> None:
    before = datetime(2026, 12, 4, 0, 30, tzinfo=SHANGHAI)
    after = datetime(2026, 12, 4, 1, 0, tzinfo=SHANGHAI)
    assert tasks.next_run_at(before) == datetime(2026, 12, 4, 1, 0, tzinfo=SHANGHAI)
    assert tasks.next_run_at(after) == datetime(2026, 12, 5, 1, 0, tzinfo=SHANGHAI)


def test_schedule_queues_one_daily_run(db: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    with override_settings(TASKS=DB_TASKS):
        at = tasks.schedule_daily()
        assert at is not None
        assert tasks.schedule_daily() is None  # one is waiting already
        (queued,) = DBTaskResult.objects.filter(task_path=tasks._task_path())
        assert queued.status == "READY" and queued.run_after == at


def test_the_immediate_backend_schedules_nothing(db: Any) -> None:
    assert tasks.schedule_daily() is None


def test_the_daily_task_runs_the_warnings(tree: dict[str, Any], person: Any) -> None:
    person("a1", statuses=((date(2020, 1, 1), "unit"), (date(2026, 9, 10), "unemployed")))
    result = tasks.warnings_daily_task.enqueue("2026-11-05")
    assert result.return_value["fired"] >= 1
    assert EarlyWarning.objects.filter(rule_id="W-ZERO-OPEN", period="2026-11").count() == 1
