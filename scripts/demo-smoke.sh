#!/usr/bin/env bash
# Proves the README's first command on this clone: starts `make demo` on a loopback port, logs in
# as the demo community worker, opens the home page, then stops the server. Run it on a fresh
# clone (CI does): `make demo` keeps an existing database.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${JIUYE_DEMO_PORT:-8765}
log=$(mktemp /tmp/jiuye-demo.XXXXXX)
# Its own process group, so stopping it stops make, the command and the server.
setsid make demo HOST="127.0.0.1:$port" >"$log" 2>&1 &
pid=$!
trap 'kill -- -$pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
if ! python3 scripts/demo_login.py "http://127.0.0.1:$port" "$pid"; then
    echo "== make demo output"; cat "$log"
    exit 1
fi
grep -q "127.0.0.1:$port" "$log" || { echo "make demo did not print its address"; cat "$log"; exit 1; }
echo "make demo: served, the community worker logged in and opened the home page"
