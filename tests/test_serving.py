"""Serving as production does (docs/serving.md): gunicorn's settings and their environment,
its access log (no query strings, masked), and what the settings choose in production and
elsewhere (static files, the task queue)."""

from __future__ import annotations

import importlib
import io
import logging
import logging.config
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from tests.accounts.test_deploy import production_env
from tests.conftest import FAKE_PHONE, make_id


def _gunicorn_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for name in list(os.environ):
        if name.startswith(("JIUYE_WEB_", "JIUYE_BIND")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import jiuye.gunicorn_conf

    return importlib.reload(jiuye.gunicorn_conf)


def test_four_processes_of_two_threads_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = _gunicorn_conf(monkeypatch)
    assert (conf.workers, conf.threads, conf.worker_class) == (4, 2, "gthread")
    assert conf.bind == ["127.0.0.1:8000"]
    assert conf.max_requests == 1000 and 0 < conf.max_requests_jitter < conf.max_requests
    assert conf.timeout > 0 and conf.graceful_timeout > 0 and conf.preload_app


def test_the_environment_changes_them_strictly(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = _gunicorn_conf(
        monkeypatch, JIUYE_WEB_WORKERS="2", JIUYE_WEB_THREADS="4", JIUYE_BIND="unix:/run/j.sock"
    )
    assert (conf.workers, conf.threads, conf.bind) == (2, 4, ["unix:/run/j.sock"])
    for bad in ("0", "-1", "four", "2.5", ""):
        with pytest.raises(RuntimeError, match="JIUYE_WEB_WORKERS"):
            _gunicorn_conf(monkeypatch, JIUYE_WEB_WORKERS=bad)
    _gunicorn_conf(monkeypatch)


def test_the_access_log_has_no_query_string_and_is_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = _gunicorn_conf(monkeypatch)
    # %(U)s is the path alone; %(r)s (the request line), %(q)s and the referrer hold queries
    assert "%(U)s" in conf.access_log_format
    for atom in ("%(r)s", "%(q)s", "%(f)s"):
        assert atom not in conf.access_log_format
    stream = io.StringIO()
    config = dict(conf.logconfig_dict)
    config["handlers"] = {
        name: {**handler, "stream": stream} for name, handler in config["handlers"].items()
    }
    logger = logging.getLogger("gunicorn.access")
    saved = (logger.handlers[:], logger.propagate, logger.level)
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    try:
        logging.config.dictConfig(config)
        id_number = make_id(date(1985, 3, 1))
        logger.info('"GET /persons/%s/ HTTP/1.1" 200 %s', id_number, FAKE_PHONE)
    finally:
        logger.handlers[:], logger.propagate, logger.level = saved
        root.handlers[:], root.level = saved_root
    line = stream.getvalue()
    assert "/persons/" in line and id_number not in line and FAKE_PHONE not in line


SHOW = (
    "from django.conf import settings as s; "
    "print(s.STORAGES['staticfiles']['BACKEND'], s.WHITENOISE_USE_FINDERS, "
    "s.TASKS['default']['BACKEND'], s.MIDDLEWARE[2])"
)


def _show(env: dict[str, str]) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "jiuye.cli", "shell", "-c", SHOW],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1].split()


def test_production_serves_collected_hashed_files_and_queues_tasks(tmp_path: Path) -> None:
    storage, finders, tasks, after_security = _show(production_env(tmp_path))
    assert storage == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert finders == "False"
    assert tasks == "django_tasks_db.DatabaseBackend"
    assert after_security == "whitenoise.middleware.WhiteNoiseMiddleware"


def test_elsewhere_static_files_need_no_collectstatic(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    env["JIUYE_ENV"] = "development"
    storage, finders, tasks, _after = _show(env)
    assert storage == "django.contrib.staticfiles.storage.StaticFilesStorage"
    assert finders == "True" and tasks == "django_tasks_db.DatabaseBackend"


def test_the_task_queue_is_migrated(db: None) -> None:
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.count() == 0  # its table exists: `jiuye migrate` made it
