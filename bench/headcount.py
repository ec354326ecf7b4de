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
import cProfile
import datetime
import io
import json
import os
import platform
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATE = "2025-06-30"  # the date `synth` builds its active/ended mix around
MAX_RATIO = 1.5
MAX_ENDPOINT_MS = 300.0  # on PostgreSQL, at 10^6 assignments
BENCH_USER = "bench-headcount"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000, help="default 1,000,000")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=BENCH_DATE)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measure (7)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=ROOT / "var" / "bench",
        help="PILAR_DATA_DIR for the run (default var/bench)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also print the N costliest functions of one endpoint call (cProfile) to stderr",
    )
    return parser.parse_args()


def setup_django(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PILAR_DATA_DIR"] = str(data_dir.resolve())
    os.environ["DJANGO_SETTINGS_MODULE"] = "pilar.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


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


def ensure_data(people: int) -> float | None:
    os.environ["PILAR_ALLOW_SYNTH"] = "1"  # this is a benchmark database
    """Run `synth` unless the synthetic registry holds exactly `people` people; its seconds."""
    from django.core.management import call_command

    from pilar.registry.management.commands.synth import synthetic_people, synthetic_provinces

    codes = synthetic_provinces()
    have = synthetic_people(codes).count() if codes else 0
    if have == people and codes:
        log(f"bench: {have:,} synthetic people already there")
        return None
    log(f"bench: {have:,} synthetic people, want {people:,}: running synth (takes minutes)")
    started = time.perf_counter()
    call_command("synth", people=people, reset=True, stdout=sys.stderr)
    return time.perf_counter() - started


def vacuum() -> None:
    """PostgreSQL: bring statistics and the visibility map to the state autovacuum leaves."""
    from django.db import connection

    from pilar.regions.models import Area
    from pilar.registry.models import Assignment, PillarKind

    if connection.vendor != "postgresql":
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (Assignment, PillarKind, Area):
            cursor.execute(f"VACUUM (ANALYZE) {qn(model._meta.db_table)}")


def bench_user():
    from pilar.accounts.models import RoleGrant, User

    user, created = User.objects.get_or_create(username=BENCH_USER)
    if created:
        user.set_unusable_password()
        user.save()
    RoleGrant.objects.get_or_create(user=user, role="admin", area=None)
    return user


def timed(fn, repeat: int) -> tuple[float, list[float], object]:
    """Median milliseconds of `repeat` calls after one warm-up, all timings, the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), times, result


def machine() -> dict:
    from django.db import connection

    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    import django

    return {
        "nproc": os.cpu_count(),
        "mem_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "db_version": version,
    }


def main() -> int:
    args = parse_args()
    setup_django(args.data_dir)

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from pilar.registry.headcount import headcount
    from pilar.registry.models import Assignment

    name, data_dir = connection.settings_dict["NAME"], os.environ["PILAR_DATA_DIR"]
    log(f"bench: {connection.vendor} database {name} (data dir {data_dir})")
    call_command("migrate", verbosity=0)
    synth_s = ensure_data(args.people)
    vacuum()
    rows = Assignment.objects.count()
    user = bench_user()
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
    raw_ms, raw_all, raw_rows = timed(run_sql(floor_sql), args.repeat)
    bare_ms, bare_all, _ = timed(run_sql(bare_sql), args.repeat)
    endpoint_ms, endpoint_all, response = timed(run_endpoint, args.repeat)
    function_ms, function_all, _ = timed(run_function, args.repeat)

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
        profiler = cProfile.Profile()
        profiler.enable()
        run_endpoint()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
        log(out.getvalue())

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
        "machine": machine(),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
