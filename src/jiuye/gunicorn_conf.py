"""gunicorn's settings for jiuye: ``gunicorn -c python:jiuye.gunicorn_conf jiuye.wsgi``
(``scripts/serve.sh`` runs exactly that; docs/serving.md explains the numbers).

The machine class this runs on has 2 cores: 4 worker processes × 2 threads each serve 8
requests at once. Processes give the cores Python code (pages render in Python); the threads
let a worker go on while one of its requests waits on the database. Long work (ledger checks
and imports) never runs here: it is queued for the background worker (``jiuye db_worker``).

Every value may be changed through the environment, checked as strictly as settings.py does.
"""

from __future__ import annotations

import os


def _count(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise RuntimeError(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)


bind = [os.environ.get("JIUYE_BIND", "127.0.0.1:8000")]
worker_class = "gthread"
workers = _count("JIUYE_WEB_WORKERS", 4)
threads = _count("JIUYE_WEB_THREADS", 2)
# A worker is restarted when its main loop (not a request: gthread keeps beating while its
# threads work) is stuck this long; a restart waits this long for the requests under way.
timeout = _count("JIUYE_WEB_TIMEOUT", 60)
graceful_timeout = _count("JIUYE_WEB_GRACEFUL_TIMEOUT", 60)
keepalive = 5
# Each worker is replaced after about this many requests (spread, so they do not all restart
# at once): what a large export or page left allocated is given back to the system.
max_requests = _count("JIUYE_WEB_MAX_REQUESTS", 1000)
max_requests_jitter = max(1, max_requests // 10)
# The app loads before the workers fork: they share its memory until they write to it, and a
# new worker (after max_requests, or one that died) starts at once.
preload_app = True
# No control socket (gunicorn 25+ makes one in $HOME by default): nothing here uses it, and two
# servers of one user (a demo beside a test server) would fight over the same path.
control_socket_disable = True

# Access log on standard output: method, path without the query string, status, size,
# seconds. Our URLs carry no personal numbers (search terms are posted and kept in the
# session), and every line passes the same masking filter as the application's logs.
accesslog = "-"
access_log_format = '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'
errorlog = "-"
loglevel = os.environ.get("JIUYE_WEB_LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal": {"()": "jiuye.lib.masking.MaskingLogFilter"}},
    "formatters": {
        "access": {"format": "%(message)s"},
        "generic": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"},
    },
    "handlers": {
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "filters": ["mask_personal"],
            "stream": "ext://sys.stdout",
        },
        "error": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "filters": ["mask_personal"],
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
    },
    "root": {"level": "WARNING", "handlers": ["error"]},
}


def when_ready(server: object) -> None:
    """In the master, once the app is loaded and before any worker forks: import the URL
    configuration and with it every view (a second otherwise spent on each new worker's first
    request), and load the word segmenter's dictionary (half a second; matching pages and the
    posting forms use it). Nothing here opens a database connection, which the workers would
    share."""
    from django.urls import get_resolver

    from jiuye.jobs.text import warm_up

    get_resolver().url_patterns  # noqa: B018 (imported for its side effect)
    warm_up()
