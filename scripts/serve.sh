#!/usr/bin/env bash
# Serves jiuye as production does (docs/serving.md): checks the database is migrated, collects
# the static files, then runs the background workers (`jiuye db_worker`: ledger checks and
# imports) and gunicorn (4 processes × 2 threads) side by side until Ctrl-C or TERM, which
# stops them all (a second Ctrl-C stops a worker in the middle of a job: it is failed, and
# nothing of it written). If one of them stops by itself, the others are stopped too.
#
#   scripts/serve.sh [ADDRESS]        ADDRESS: host:port (default $JIUYE_BIND or 127.0.0.1:8000)
#
# Environment: BIN (the virtualenv's bin, default .venv/bin), JIUYE_TASK_WORKERS (background
# workers, default 2: as many ledger jobs as may run at once), gunicorn's JIUYE_WEB_* (see
# src/jiuye/gunicorn_conf.py) and the application's settings (README).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.venv/bin}
export JIUYE_BIND=${1:-${JIUYE_BIND:-127.0.0.1:8000}}
task_workers=${JIUYE_TASK_WORKERS:-2}
case $task_workers in '' | *[!0-9]* | 0)
    echo "JIUYE_TASK_WORKERS must be a whole number of at least 1, got '$task_workers'" >&2
    exit 2
    ;;
esac

if ! "$bin/jiuye" migrate --check >/dev/null; then
    echo "the database is not migrated: run '$bin/jiuye migrate' first" >&2
    exit 1
fi
"$bin/jiuye" collectstatic --noinput --verbosity 0
"$bin/jiuye" prune_db_task_results --min-age-days 14 --verbosity 0  # finished tasks, 2 weeks on
# The daily early-warning run (monitoring.tasks): queued once, each run queues the next.
"$bin/jiuye" warnings schedule

# Each child in its own process group (job control): a Ctrl-C in the terminal reaches only this
# script, which passes one TERM to each child (graceful: requests and jobs under way finish);
# a second Ctrl-C passes another (the workers then stop at once).
set -m
children=()
signalled=0
pass_on() {
    signalled=1
    [ ${#children[@]} -eq 0 ] || kill -TERM "${children[@]}" 2>/dev/null || true
}
trap pass_on INT TERM
trap '[ ${#children[@]} -eq 0 ] || kill -TERM "${children[@]}" 2>/dev/null || true' EXIT

for _ in $(seq "$task_workers"); do
    "$bin/jiuye" db_worker --no-reload --verbosity 1 &
    children+=($!)
done
"$bin/gunicorn" --config python:jiuye.gunicorn_conf jiuye.wsgi:application &
children+=($!)
echo "serving on http://$JIUYE_BIND/ with $task_workers background worker(s); Ctrl-C stops"

# Until a signal comes or one child ends by itself (then the others are stopped), then until
# all have ended.
status=0
wait -n || status=$?
[ "$signalled" -eq 1 ] || pass_on
until wait; do :; done
trap - EXIT
exit "$status"
