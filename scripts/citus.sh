#!/usr/bin/env bash
# A throw-away Citus cluster on loopback ports: a coordinator and two workers, each its own
# PostgreSQL 15 data directory (like scripts/pgtemp.sh for one server). Citus must be installed
# (../shared/citus/build.sh).
#   scripts/citus.sh start DIR [PORT]  → coordinator on PORT, workers on PORT+1 and PORT+2;
#                                         database "jiuye" with the citus extension on each,
#                                         workers registered; prints the coordinator's URL
#   scripts/citus.sh stop DIR          → stop the three servers started in DIR
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data directory}; port=${3:-55450}
here=$(cd "$(dirname "$0")" && pwd)
bindir=/usr/lib/postgresql/15/bin
libdir=$("$bindir/pg_config" --pkglibdir 2>/dev/null || pg_config --pkglibdir)
nodes=(coordinator worker1 worker2)

sql() {  # sql PORT STATEMENT: on the node's jiuye database
  "$bindir/psql" -h 127.0.0.1 -p "$1" -U jiuye -d jiuye -v ON_ERROR_STOP=1 -qtAc "$2"
}

case $cmd in
  start)
    if [ ! -f "$libdir/citus.so" ]; then
      echo "Citus is not installed: run ../shared/citus/build.sh (as root)" >&2; exit 1
    fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    for i in 0 1 2; do
      node="$dir/${nodes[$i]}"
      PGTEMP_PRELOAD=citus "$here/pgtemp.sh" start "$node" $((port + i)) >/dev/null
      sql $((port + i)) "CREATE EXTENSION IF NOT EXISTS citus"
    done
    sql "$port" "SELECT citus_set_coordinator_host('127.0.0.1', $port)" >/dev/null
    for i in 1 2; do
      sql "$port" "SELECT 1 FROM pg_dist_node WHERE nodeport = $((port + i))" | grep -q 1 ||
        sql "$port" "SELECT citus_add_node('127.0.0.1', $((port + i)))" >/dev/null
    done
    echo "postgres://jiuye@127.0.0.1:$port/jiuye"
    ;;
  stop)
    for node in "${nodes[@]}"; do
      [ -d "$dir/$node" ] && "$here/pgtemp.sh" stop "$dir/$node"
    done
    ;;
  *) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
