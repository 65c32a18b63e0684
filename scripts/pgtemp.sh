#!/usr/bin/env bash
# A throw-away PostgreSQL 15 server on a loopback port, for tests and benchmarks.
#   scripts/pgtemp.sh start DIR [PORT]  → initdb in DIR (owned by postgres if we are root), start,
#                                         create database "jiuye", print its DATABASE_URL
#   scripts/pgtemp.sh stop DIR          → stop the server started in DIR
# PGTEMP_PRELOAD names shared_preload_libraries of a new cluster (citus, for scripts/citus.sh).
# PGTEMP_SHARED_BUFFERS sizes the buffer cache of a new cluster (default 1GB; the benchmarks
# give the 10M city 4GB, its hot tables' size: docs/serving.md).
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data directory}; port=${3:-55432}

bindir=""
for candidate in /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null || true)"; do
  if [ -x "$candidate/initdb" ]; then bindir=$candidate; break; fi
done
if [ -z "$bindir" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
    bindir=/usr/lib/postgresql/15/bin
  else
    echo "PostgreSQL 15 server binaries not found (install postgresql-15)" >&2; exit 1
  fi
fi

as_pg() {  # initdb and postgres refuse to run as root
  # from / : the caller's directory may be private to root (a mktemp -d clone, say)
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

case $cmd in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_pg "$bindir/initdb" -D "$dir" -U jiuye -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
      cat >> "$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = ${PGTEMP_SHARED_BUFFERS:-1GB}
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
jit = off
CONF
      if [ -n "${PGTEMP_PRELOAD:-}" ]; then  # a node of a Citus cluster (scripts/citus.sh)
        echo "shared_preload_libraries = '$PGTEMP_PRELOAD'" >> "$dir/postgresql.conf"
      fi
    fi
    as_pg "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w start >/dev/null
    "$bindir/psql" -h 127.0.0.1 -p "$port" -U jiuye -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='jiuye'" | grep -q 1 ||
      "$bindir/createdb" -h 127.0.0.1 -p "$port" -U jiuye jiuye
    echo "postgres://jiuye@127.0.0.1:$port/jiuye"
    ;;
  stop)
    as_pg "$bindir/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    ;;
  *) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
