#!/usr/bin/env python3
"""Benchmark: GET /api/v1/headcount?as_of=... against the raw SQL that counts the same thing.

    python3 bench/headcount.py [--people N] [--as-of DATE] [--repeat R] [--profile N]

Uses DATABASE_URL from the environment; without it, a SQLite file in the bench's own data
directory (--data-dir, default var/bench/ in the repository; PILAR_DATA_DIR is always set to
it, so a developer's own data directory is never touched). Migrates, runs `synth` when the
synthetic registry does not hold exactly N people, then times (median of R runs after one
warm-up) the raw SQL floor (active duties counted per kind and area, then named from kind and
area), through a cursor with fetchall, its bare ids-only count, and the whole endpoint through
Django's test Client as an admin. Checks that floor and endpoint give the same total and
per-kind counts and prints one JSON object on stdout (progress goes to stderr).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import log  # noqa: E402

BENCH_DATE = "2025-06-30"  # the date `synth` builds its active/ended mix around
MAX_RATIO = 1.5
MAX_ENDPOINT_MS = 300.0  # on PostgreSQL, at 10^6 assignments
BENCH_USER = "bench-headcount"


def parse_args() -> argparse.Namespace:
    parser = common.new_parser(__doc__)
    common.add_people(parser, 1_000_000)
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=BENCH_DATE)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measure (7)")
    common.add_data_dir(parser, "bench")
    common.add_profile(parser, "one endpoint call (cProfile)")
    return parser.parse_args()


def raw_sql() -> tuple[str, str]:
    """(floor, bare): the raw SQL for the endpoint's answer, and its bare counting core.

    The floor counts what pilar.registry.headcount counts, duties active on the date per kind
    and area of duty, and names them (kind code, area code, name, level), as the endpoint does,
    written the fast way: aggregate by ids first, then join the few thousand groups to their
    names. The bare core (ids only, joined to nothing) is reported beside it."""
    from django.db import connection

    from pilar.regions.models import Area
    from pilar.registry.models import Assignment, PillarKind

    qn = connection.ops.quote_name
    s, k, a = (qn(m._meta.db_table) for m in (Assignment, PillarKind, Area))
    bare = (
        f"SELECT s.kind_id, s.area_id, COUNT(*) AS n FROM {s} s "
        "WHERE s.start_date <= %s AND (s.end_date IS NULL OR s.end_date >= %s) "
        "GROUP BY s.kind_id, s.area_id"
    )
    floor = (
        f"SELECT k.code, a.code, a.name, a.level, c.n FROM ({bare}) c "
        f"JOIN {k} k ON k.id = c.kind_id JOIN {a} a ON a.id = c.area_id"
    )
    return floor, bare


def vacuum() -> None:
    """PostgreSQL: bring statistics and the visibility map to the state autovacuum leaves
    (only the endpoint's three tables; unlike common.vacuum, nothing on SQLite)."""
    from django.db import connection

    from pilar.regions.models import Area
    from pilar.registry.models import Assignment, PillarKind

    if connection.vendor != "postgresql":
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (Assignment, PillarKind, Area):
            cursor.execute(f"VACUUM (ANALYZE) {qn(model._meta.db_table)}")


def main() -> int:
    args = parse_args()
    common.start(args.data_dir)

    from django.db import connection
    from django.test import Client

    from pilar.registry.headcount import headcount
    from pilar.registry.models import Assignment

    synth_s = common.ensure_people(args.people, note=" (takes minutes)")
    vacuum()
    rows = Assignment.objects.count()
    user = common.bench_user(BENCH_USER, "admin")
    as_of = args.as_of.isoformat()

    floor_sql, bare_sql = raw_sql()

    def run_sql(sql):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql, [args.as_of, args.as_of])
                return cursor.fetchall()

        return run

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = f"/api/v1/headcount?as_of={as_of}"

    def run_endpoint():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"bench: {url} answered {response.status_code}: {response.content!r}")
        return response

    def run_function():
        from pilar.accounts.models import User

        return headcount(as_of=args.as_of, user=User.objects.get(pk=user.pk)).as_json()

    run_endpoint()  # load the URLconf and views, as a server process has before its requests
    # The process then stands as `pilar serve`'s workers do: pilar.wsgi freezes what was loaded.
    from pilar.wsgi import freeze_loaded_objects

    freeze_loaded_objects()
    log(f"bench: {rows:,} assignments; timing {args.repeat} runs of each after a warm-up")
    raw_ms, raw_all, raw_rows = common.timed(run_sql(floor_sql), args.repeat)
    bare_ms, bare_all, _ = common.timed(run_sql(bare_sql), args.repeat)
    endpoint_ms, endpoint_all, response = common.timed(run_endpoint, args.repeat)
    function_ms, function_all, _ = common.timed(run_function, args.repeat)

    data = response.json()
    raw_total = sum(r[4] for r in raw_rows)
    raw_by_kind: dict[str, int] = {}
    for kind, _code, _name, _level, n in raw_rows:
        raw_by_kind[kind] = raw_by_kind.get(kind, 0) + n
    endpoint_by_kind = {k: n for k, n in data["by_kind"].items() if n}
    if data["total"] != raw_total or endpoint_by_kind != raw_by_kind:
        log(f"bench: MISMATCH endpoint total {data['total']} by kind {endpoint_by_kind}")
        log(f"bench:          raw SQL total {raw_total} by kind {raw_by_kind}")
        return 1

    if args.profile:
        log(common.profiled(run_endpoint, args.profile, sorts=("cumulative",)))

    ratio = endpoint_ms / raw_ms
    postgres = connection.vendor == "postgresql"
    result = {
        "vendor": connection.vendor,
        "rows": rows,
        "people": args.people,
        "as_of": as_of,
        "active": raw_total,
        "groups": len(raw_rows),
        "repeat": args.repeat,
        "raw_ms": round(raw_ms, 1),
        "bare_count_ms": round(bare_ms, 1),
        "endpoint_ms": round(endpoint_ms, 1),
        "ratio": round(ratio, 2),
        "function_ms": round(function_ms, 1),
        "response_bytes": len(response.content),
        "raw_ms_runs": [round(t, 1) for t in raw_all],
        "bare_count_ms_runs": [round(t, 1) for t in bare_all],
        "endpoint_ms_runs": [round(t, 1) for t in endpoint_all],
        "function_ms_runs": [round(t, 1) for t in function_all],
        "budget": {"max_ratio": MAX_RATIO, "max_endpoint_ms_postgresql": MAX_ENDPOINT_MS},
        "budget_ok": {
            "ratio": ratio <= MAX_RATIO,
            "endpoint_ms": endpoint_ms <= MAX_ENDPOINT_MS if postgres else None,
        },
        "synth_s": round(synth_s, 1) if synth_s is not None else None,
        "machine": common.machine(),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
