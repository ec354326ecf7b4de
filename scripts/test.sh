#!/usr/bin/env bash
# The whole quality gate: ruff, the layer contract (lint-imports), migrations check, then the
# suite (browser tests included) on SQLite and on a throwaway PostgreSQL at the same time.
# Run after `scripts/setup.sh --test`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export PILAR_DATA_DIR="${PILAR_DATA_DIR:-$(mktemp -d -t pilar-test.XXXXXX)}"

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== lint-imports (the layer contract, .importlinter)"
.venv/bin/lint-imports --no-logo
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
trap 'exit 143' INT TERM  # so that a killed run still stops its PostgreSQL
run_pg "$PGBIN/initdb -D $PGTMP/data -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync" >/dev/null
run_pg "$PGBIN/pg_ctl -D $PGTMP/data -l $PGTMP/log -w -t 30 start -o '-p $PGPORT -k $PGTMP -c listen_addresses=127.0.0.1 -c fsync=off'" >/dev/null \
  || { cat "$PGTMP/log"; exit 1; }
# Four streams on a 2-core machine: the suite on SQLite and on PostgreSQL, each split in two (the
# browser tests and the demo's loads, everything else), each half in its own database (SQLite:
# its own file under its own PILAR_DATA_DIR). Arguments (a path, -k, -m) run the chosen tests
# once per database, unsplit.
run_pg "$PGBIN/createdb -h 127.0.0.1 -p $PGPORT -U postgres pilar"
run_pg "$PGBIN/createdb -h 127.0.0.1 -p $PGPORT -U postgres pilar_browser"
PGURL="postgres://postgres@127.0.0.1:$PGPORT"

echo "== pytest on SQLite and on PostgreSQL, side by side (logs follow when all end)"
started=$(date +%s)
pids=()
names=()
stream() {  # NAME DATABASE_URL(empty for SQLite) PYTEST-ARGS...
  local name=$1 url=$2
  shift 2
  mkdir -p "$PILAR_DATA_DIR/$name"
  if [ -n "$url" ]; then
    (DATABASE_URL="$url" PILAR_DATA_DIR="$PILAR_DATA_DIR/$name" $PY -m pytest "$@"; rc=$?
     echo "(stream $name ended after $(( $(date +%s) - started )) s)"; exit $rc) >"$LOGS/$name" 2>&1 &
  else
    (env -u DATABASE_URL PILAR_DATA_DIR="$PILAR_DATA_DIR/$name" $PY -m pytest "$@"; rc=$?
     echo "(stream $name ended after $(( $(date +%s) - started )) s)"; exit $rc) >"$LOGS/$name" 2>&1 &
  fi
  pids+=($!)
  names+=("$name")
}
if [ $# -eq 0 ]; then
  # Each database's suite in two halves: the browser tests with the demo's full loads (minutes
  # each), and everything else. SQLite's whole suite in one stream was the long pole (it ran
  # on alone for minutes after both PostgreSQL halves had ended); four streams keep both cores
  # busy to the end (docs/PERFORMANCE.md, "The test suite's time").
  stream sqlite-browser "" -m "browser or demo_load" --durations=10
  stream sqlite "" -m "not browser and not demo_load" --durations=10
  stream postgresql-browser "$PGURL/pilar_browser" -m "browser or demo_load" --durations=10
  stream postgresql "$PGURL/pilar" -m "not browser and not demo_load" --durations=10
else
  stream sqlite "" "$@"
  stream postgresql "$PGURL/pilar" "$@"
fi
status=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || status=1
  echo "== pytest: ${names[$i]}"; cat "$LOGS/${names[$i]}"
done
exit $status
