#!/usr/bin/env bash
# Runs a command with DATABASE_URL pointing at a throw-away PostgreSQL 15 server, then stops it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/jiuye-pg.XXXXXX)
chmod 755 "$dir"  # the postgres user must be able to enter it
port=${JIUYE_PG_PORT:-55440}
url=$("$here/pgtemp.sh" start "$dir/data" "$port")
trap '"$here/pgtemp.sh" stop "$dir/data"; rm -rf "$dir"' EXIT
echo "PostgreSQL on $url"
DATABASE_URL=$url "$@"
