#!/usr/bin/env bash
# The whole quality gate: ruff, migrations check, then the suite (browser tests included) on
# SQLite and on a throwaway PostgreSQL at the same time. Run after `scripts/setup.sh --test`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export PILAR_DATA_DIR="${PILAR_DATA_DIR:-$(mktemp -d -t pilar-test.XXXXXX)}"

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== makemigrations --check"
$PY manage.py makemigrations --check --dry-run

# The two databases are tested side by side (one core each on a 2-core machine); each run
# writes its own log, printed whole when both are done.
LOGS=$(mktemp -d -t pilar-logs.XXXXXX)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGPORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PGTMP=$(mktemp -d -t pgci.XXXXXX)
run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$PGTMP"
cleanup() {
  jobs -p | xargs -r kill 2>/dev/null || true
  run_pg "$PGBIN/pg_ctl -D $PGTMP/data -m fast -w stop" >/dev/null 2>&1 || true
  rm -rf "$PGTMP" "$LOGS"
}
trap cleanup EXIT
run_pg "$PGBIN/initdb -D $PGTMP/data -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync" >/dev/null
run_pg "$PGBIN/pg_ctl -D $PGTMP/data -l $PGTMP/log -w -t 30 start -o '-p $PGPORT -k $PGTMP -c listen_addresses=127.0.0.1 -c fsync=off'" >/dev/null \
  || { cat "$PGTMP/log"; exit 1; }
run_pg "$PGBIN/createdb -h 127.0.0.1 -p $PGPORT -U postgres pilar"

echo "== pytest on SQLite and on PostgreSQL, side by side (logs follow when both end)"
mkdir -p "$PILAR_DATA_DIR/sqlite" "$PILAR_DATA_DIR/postgresql"
(env -u DATABASE_URL PILAR_DATA_DIR="$PILAR_DATA_DIR/sqlite" $PY -m pytest "$@") \
  >"$LOGS/sqlite" 2>&1 &
SQLITE_PID=$!
(DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/pilar" PILAR_DATA_DIR="$PILAR_DATA_DIR/postgresql" \
  $PY -m pytest "$@") >"$LOGS/postgresql" 2>&1 &
PG_PID=$!
status=0
wait $SQLITE_PID || status=1
echo "== pytest on SQLite"; cat "$LOGS/sqlite"
wait $PG_PID || status=1
echo "== pytest on PostgreSQL"; cat "$LOGS/postgresql"
exit $status
