#!/usr/bin/env bash
# Runs a command against a throw-away Citus cluster (scripts/citus.sh: a coordinator on
# JIUYE_CITUS_PORT, default 55450, and workers on the next two ports), then stops it. The tests
# see JIUYE_CITUS=1 and the workers in JIUYE_CITUS_WORKERS (tests/citus_setup.py makes the
# test database a Citus database on every node).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/jiuye-citus.XXXXXX)
chmod 755 "$dir"  # the postgres user must be able to enter it
port=${JIUYE_CITUS_PORT:-55450}
trap '"$here/citus.sh" stop "$dir/data"; rm -rf "$dir"' EXIT
url=$("$here/citus.sh" start "$dir/data" "$port")
echo "Citus coordinator on $url"
DATABASE_URL=$url JIUYE_CITUS=1 \
  JIUYE_CITUS_WORKERS="127.0.0.1:$((port + 1)),127.0.0.1:$((port + 2))" "$@"
