#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL on loopback for tests; data under $PGTEST_DIR.
# Usage: scripts/pg.sh start|stop|url     (port: $PGTEST_PORT, default 54329)
set -euo pipefail
D=${PGTEST_DIR:-/tmp/console-pg}
PORT=${PGTEST_PORT:-54329}
PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n1)")
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
case "${1:-start}" in
  start)
    if [ ! -f "$D/data/PG_VERSION" ]; then
      mkdir -p "$D"; [ "$(id -u)" = 0 ] && chown postgres "$D"
      as_pg "$PGBIN/initdb -D $D/data -A trust -U postgres >$D/initdb.log 2>&1"
    fi
    if ! as_pg "$PGBIN/pg_ctl -D $D/data status" >/dev/null 2>&1; then
      as_pg "$PGBIN/pg_ctl -D $D/data -l $D/pg.log -w -o '-p $PORT -k $D -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off' start" >/dev/null
    fi
    for db in console console_test; do
      psql -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
        || psql -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE $db"
    done
    echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/console_test"
    ;;
  stop) as_pg "$PGBIN/pg_ctl -D $D/data -m fast stop" >/dev/null 2>&1 || true ;;
  url) echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/console_test" ;;
esac
