"""Leadership pages at national scale on PostgreSQL: one office's dashboard, kinerja and outcome
pages (and any URLs given) for each of its roles and a province's user, against their floors.

The data (issue 21, item 6: 10^6 pillars, 10^7 activities): `pilar synth --national --people N`
makes the country's areas, its 552 offices and the pillars with their duties; the casework is
then written by set-based SQL in one transaction (INSERT ... SELECT over generate_series, never
row by row): households with their heads and DTSEN decile history, caseloads with a PSM serving
in the household's desa, activities of the PSM spread over `--months` months up to `--as-of`
(each PSM's share proportional to the days it served; four sectors, follow-ups, cancellations)
with the households they reached, and monthly reports of every month served. The casework
tables' foreign keys and plain indexes are dropped for the load and rebuilt from their own
definitions (as synth does); unique constraints stay. Generation is skipped when the synthetic
registry already has the sizes asked for (`--regenerate` forces it).

Then, for each role of one office (admin, operator, kepala, viewer, coordinator of a
kecamatan, a PSM with a caseload) and an admin of the province holding it: every URL through
Django's test Client, in-process (exact query counts), cold (the figure caches cleared before
each request) and warm (median of `--repeat` after one warm-up); the floor, the raw SQL of the
biggest aggregate each page needs, through its own psycopg connection; and EXPLAIN ANALYZE of
each page's slowest queries, naming every sequential scan of a large table.

PostgreSQL only (`DATABASE_URL`). Refuses a database holding non-synthetic people or
households. Prints JSON; exits 1 when a page answers 5xx or takes longer than `--budget-ms`
warm. Options: `--pillars N` (1,000,000), `--activities N` (10,000,000), `--households N`
(as many as pillars), `--months N` (24), `--as-of DATE` (2025-06-30), `--office CODE` (11.01),
`--urls U,U` ({as_of} and {month} are filled in), `--roles R,R`, `--repeat R`, `--explain N`,
`--regenerate`, `--generate-only`, `--data-dir DIR`.
"""

from __future__ import annotations

import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import log  # noqa: E402

BENCH_DATE = datetime.date(2025, 6, 30)
OFFICE_CODE = "11.01"
BUDGET_MS = 500
DEFAULT_URLS = (
    "/dashboard/?as_of={as_of}",
    "/kinerja/?month={month}",
    "/kinerja/?month={month}&level=person",
    "/kinerja/me/?month={month}",
    "/outcomes/?as_of={as_of}",
    "/headcount/?as_of={as_of}",
    "/pillars/",
    "/casework/?month={month}",
)
ROLES = ("admin", "operator", "kepala", "viewer", "coordinator", "pillar", "province")
# Tables large enough that a sequential scan of one at national scale is a finding.
LARGE_TABLES = (
    "casework_activity",
    "casework_activity_households",
    "casework_monthlyreport",
    "casework_household",
    "casework_householdmember",
    "casework_caseload",
    "casework_decilerecord",
    "registry_person",
    "registry_assignment",
)
FIRST_NAMES = [
    "Siti", "Budi", "Ani", "Dedi", "Rina", "Agus", "Dewi", "Joko", "Sri", "Eko", "Nur", "Yanti",
    "Andi", "Wati", "Rudi", "Lina", "Hendra", "Fitri", "Asep", "Ratna",
]  # fmt: skip
LAST_NAMES = [
    "Saputra", "Lestari", "Wijaya", "Hidayat", "Kusuma", "Rahman", "Siregar", "Nasution",
    "Pratama", "Sari", "Putri", "Harahap", "Simanjuntak", "Gunawan", "Syahputra", "Yusuf",
]  # fmt: skip
RETURN_REASON = "Lengkapi catatan rujukan."


def main() -> int:
    parser = common.new_parser(__doc__)
    parser.add_argument("--pillars", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--households", type=int, default=None, help="default: --pillars")
    parser.add_argument("--offices", type=int, default=514, help="kab/kota offices (514)")
    parser.add_argument("--months", type=int, default=24, help="activity months up to --as-of")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=BENCH_DATE)
    parser.add_argument("--office", default=OFFICE_CODE, help="the kab/kota office's area code")
    parser.add_argument("--urls", default=",".join(DEFAULT_URLS))
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--explain", type=int, default=3, help="slowest queries explained a page")
    parser.add_argument("--budget-ms", type=float, default=BUDGET_MS)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--generate-only", action="store_true")
    common.add_data_dir(parser, "bench-leadership")
    args = parser.parse_args()
    if args.households is None:
        args.households = args.pillars
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("bench: leadership.py runs on PostgreSQL: set DATABASE_URL")
    common.log_elapsed()
    load_before = os.getloadavg()
    common.start(args.data_dir)
    common.refuse_real_data("leadership.py", "rewrites the registry", households=True)
    generated = generate(args)
    if args.generate_only:
        print(json.dumps({"bench": "leadership", "generated": generated}, indent=2, default=str))
        return 0
    from pilar.offices.models import Office

    office = Office.objects.select_related("area").get(area__code=args.office)
    users = prepare_users(office, args.as_of)
    held = office_rows(office, args)
    refreshed = refresh_rollups(office, args.as_of)
    urls = resolvable([u.strip() for u in args.urls.split(",") if u.strip()], args)
    roles = [r for r in args.roles.split(",") if r]
    pages = measure_pages(users, roles, urls, args)
    floors = measure_floors(office, args)
    slow = {
        f"{role} {url}": seen["warm_ms"]
        for role, by_url in pages.items()
        for url, seen in by_url.items()
        if seen.get("status") == 200 and seen["warm_ms"] > args.budget_ms
    }
    errors = {
        f"{role} {url}": seen.get("status")
        for role, by_url in pages.items()
        for url, seen in by_url.items()
        if (seen.get("status") or 500) >= 500
    }
    out = {
        "bench": "leadership",
        "db": {**common.machine(), "jit": setting("jit")},
        "generated": generated,
        "office": held,
        "rollup_refresh": refreshed,
        "budget_ms": args.budget_ms,
        "over_budget_warm": slow,
        "errors": errors,
        "pages": pages,
        "floors": floors,
        "load_average": {"before": load_before, "after": os.getloadavg()},
    }
    print(json.dumps(out, indent=2, default=str))
    return 1 if errors or slow else 0


def setting(name: str) -> str:
    """A PostgreSQL setting as the bench's connection has it (`jit`: `?options=-c jit=off` in
    DATABASE_URL turns it off)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


# --- data ---------------------------------------------------------------------------------------


def sizes(args) -> dict:
    """What the synthetic registry holds now (pillars, households, activities)."""
    from pilar.casework.models import Activity, Household
    from pilar.core.synth.areas import synthetic_areas, synthetic_provinces
    from pilar.core.synth.people import synthetic_people

    codes = synthetic_provinces()
    if not codes:
        return {"pillars": 0, "households": 0, "activities": 0}
    areas = synthetic_areas(codes).values("id")
    return {
        "pillars": synthetic_people(codes).count(),
        "households": Household.objects.filter(area__in=areas).count(),
        "activities": Activity.objects.filter(area__in=areas).count(),
    }


def generate(args) -> dict:
    """The national registry of the sizes asked for; seconds of each phase (None: it was
    there)."""
    from django.core.management import call_command

    want = {"pillars": args.pillars, "households": args.households, "activities": args.activities}
    have = sizes(args)
    if have == want and not args.regenerate:
        log(f"bench: the synthetic registry is there ({have})")
        return {"sizes": have, "seconds": None}
    log(f"bench: synthetic registry {have}, want {want}: generating")
    os.environ["PILAR_ALLOW_SYNTH"] = "1"  # refuse_real_data() checked the database
    clear_bench_users()
    seconds: dict[str, float] = {}
    clear_household_history()
    if have == {**want, "households": 0, "activities": 0} and not args.regenerate:
        log("bench: the pillars are there (synth without casework): adding the casework")
    else:
        started = time.perf_counter()
        call_command(
            "synth", national=True, offices=args.offices, people=args.pillars, reset=True,
            stdout=sys.stderr,
        )  # fmt: skip
        seconds["synth_people"] = round(time.perf_counter() - started, 1)
    seconds.update(casework_sql(args))
    started = time.perf_counter()
    common.vacuum("casework", "registry", "regions", "offices")
    seconds["vacuum_analyze"] = round(time.perf_counter() - started, 1)
    seconds["total"] = round(sum(seconds.values()), 1)
    got = sizes(args)
    log(f"bench: generated {got} in {seconds['total']} s")
    return {"sizes": got, "seconds": seconds, **count_rows()}


def clear_household_history() -> None:
    """Rows tied to synthetic households that synth's reset does not know (the bench's decile
    records, and any history table added since): deleted first, so that the reset can delete
    the households."""
    from pilar.casework.models import Household
    from pilar.core.synth.areas import synthetic_areas, synthetic_provinces
    from pilar.core.synth.casework import synthetic_casework
    from pilar.core.synth.tables import raw_delete

    codes = synthetic_provinces()
    if not codes:
        return
    known = {qs.model for _label, qs in synthetic_casework(codes)}
    areas = synthetic_areas(codes).values("id")
    for relation in Household._meta.related_objects:
        model = relation.related_model
        if model in known or model is Household:
            continue
        gone = raw_delete(
            model.objects.filter(**{f"{relation.field.name}__area__in": areas}).order_by()
        )
        log(f"bench: deleted {gone:,} rows of {model._meta.db_table} (synthetic households)")


def count_rows() -> dict:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in LARGE_TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - our own table names
            out[table] = cursor.fetchone()[0]
    return {"rows": out}


def _fill(model, known: tuple[str, ...]) -> tuple[str, str, list]:
    """The INSERT column list for `model`: the `known` columns, then every other one at its
    default ('id' left to the database unless known); returns (columns, defaults' placeholders,
    their values)."""
    from django.db import connection

    from pilar.core.synth.tables import columns, extra_columns

    extra_cols, extra = extra_columns(model, (*known, "id"))
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in [*columns(model, known), *extra_cols])
    marks = "".join(", %s" for _ in extra)
    return cols, marks, list(extra)


def casework_sql(args) -> dict:
    """Households, members, decile history, caseloads, activities with their households and
    monthly reports in the synthetic desa, all by INSERT ... SELECT; seconds per table."""
    from django.db import connection, transaction
    from django.utils import timezone

    from pilar.casework.models import (
        Activity,
        ActivityType,
        Caseload,
        DecileRecord,
        Household,
        HouseholdMember,
        MonthlyReport,
        NeedCategory,
    )
    from pilar.core.synth.areas import synthetic_areas, synthetic_provinces
    from pilar.core.synth.tables import keys_and_indexes_suspended, next_id
    from pilar.lib.months import add_months, month_start
    from pilar.registry.models import PillarKind

    as_of = args.as_of
    first = add_months(month_start(as_of), 1 - args.months)  # the window's first day
    report_end = month_start(as_of)  # reports for the months before the bench date's month
    now = timezone.now()
    psm = PillarKind.objects.get(code="PSM").pk
    types = list(ActivityType.objects.filter(active=True).values_list("pk", "sector", "code"))
    # Home visits are most of the work, as in synth; every other type stays in the mix.
    weighted = [
        (pk, sector) for pk, sector, code in types for _ in range(20 if code == "HOME_VISIT" else 1)
    ]
    type_ids, type_sectors = [t[0] for t in weighted], [t[1] for t in weighted]
    needs = list(NeedCategory.objects.values_list("pk", flat=True))
    link = Activity.households.through
    models = (Household, HouseholdMember, DecileRecord, Caseload, Activity, link, MonthlyReport)
    seconds: dict[str, float] = {}
    codes = synthetic_provinces()
    desa_sql, desa_params = (
        synthetic_areas(codes).filter(level=4).values("id").query.sql_with_params()
    )

    def run(label: str, sql: str, params=()) -> None:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.rowcount
        seconds[label] = round(seconds.get(label, 0) + time.perf_counter() - started, 1)
        log(f"bench: {label}: {rows:,} rows, {seconds[label]} s")

    with transaction.atomic(), keys_and_indexes_suspended(models, False):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '512MB'")
            cursor.execute("SELECT setseed(0.2025)")
        run(
            "desa",
            "CREATE TEMP TABLE b_desa ON COMMIT DROP AS SELECT id, code, "
            "replace(substr(code, 1, 8), '.', '') AS kec6, substr(code, 1, 8) AS kec, "
            f"(row_number() OVER (ORDER BY code) - 1)::int AS g FROM regions_area WHERE id IN ({desa_sql})",  # noqa: E501, S608
            desa_params,
        )
        # PSM duties in the synthetic desa; those serving on the bench date numbered per desa.
        run(
            "psm",
            "CREATE TEMP TABLE b_psm ON COMMIT DROP AS SELECT a.person_id, a.area_id, "
            "a.start_date, a.end_date, (a.start_date <= %(as_of)s AND (a.end_date IS NULL OR "
            "a.end_date >= %(as_of)s)) AS serving FROM registry_assignment a "
            "WHERE a.kind_id = %(psm)s AND a.area_id IN (SELECT id FROM b_desa)",
            {"as_of": as_of, "psm": psm},
        )
        run(
            "psm",
            "CREATE TEMP TABLE b_serving ON COMMIT DROP AS SELECT person_id, area_id, "
            "start_date, (row_number() OVER (PARTITION BY area_id ORDER BY person_id) - 1)::int "
            "AS rn, (count(*) OVER (PARTITION BY area_id))::int AS cnt FROM b_psm WHERE serving",
        )
        with connection.cursor() as cursor:
            cursor.execute("CREATE INDEX ON b_serving (area_id, rn)")
            cursor.execute("SELECT COUNT(*) FROM b_desa")
            n_desa = cursor.fetchone()[0]
        hh0 = next_id(Household)
        # Households spread evenly over the desa; KK = the kecamatan's 6 digits, an issue date
        # (DDMMYY) and a serial of at most 9999 a date, unique within the kecamatan.
        run(
            "households",
            "CREATE TEMP TABLE b_hh ON COMMIT DROP AS SELECT %(hh0)s + i AS id, d.id AS area_id, "
            "d.kec6, (row_number() OVER (PARTITION BY d.kec ORDER BY i) - 1)::int AS j, "
            "random() AS u, random() AS v FROM generate_series(0, %(n)s - 1) i "
            "JOIN b_desa d ON d.g = i %% %(d)s",
            {"hh0": hh0, "n": args.households, "d": n_desa},
        )
        cols, marks, extra = _fill(
            Household,
            ("id", "kk_number", "area_id", "address", "dtsen_id", "decile", "status",
             "status_reason", "status_date", "created_at", "updated_at"),
        )  # fmt: skip
        # The decile now (v), and a year-old one (u) a little poorer for those accompanied.
        decile = (
            "(CASE WHEN {x} < .30 THEN 1 WHEN {x} < .55 THEN 2 WHEN {x} < .73 THEN 3 "
            "WHEN {x} < .85 THEN 4 WHEN {x} < .92 THEN 5 WHEN {x} < .96 THEN 6 "
            "WHEN {x} < .98 THEN 7 WHEN {x} < .99 THEN 8 WHEN {x} < .996 THEN 9 ELSE 10 END)"
        )
        run(
            "households",
            f"INSERT INTO casework_household ({cols}) SELECT h.id, h.kec6 || "  # noqa: S608
            "to_char(date '2005-01-01' + h.j / 9999, 'DDMMYY') || lpad((h.j %% 9999 + 1)::text, 4, '0'), "  # noqa: E501
            "h.area_id, 'Jl. Sintesis No. ' || (1 + h.j %% 250), "
            "CASE WHEN h.u < 0.9 THEN 'DTSEN-' || lpad(h.id::text, 10, '0') ELSE '' END, "
            f"{decile.format(x='h.v')}, 'active', '', NULL, %s, %s{marks} FROM b_hh h",
            [now, now, *extra],
        )
        cols, marks, extra = _fill(
            HouseholdMember,
            ("household_id", "nik", "name", "sex", "birth_date", "relation", "left_on"),
        )
        # Heads' NIK: the kecamatan, a birth date (day + 40 for women), a serial 5001-9999.
        run(
            "members",
            f"INSERT INTO casework_householdmember ({cols}) SELECT h.id, h.kec6 || "  # noqa: S608
            "lpad((to_char(b.born, 'DD')::int + CASE WHEN h.j %% 5 = 0 THEN 40 ELSE 0 END)::text, "
            "2, '0') || "
            "to_char(b.born, 'MMYY') || (9999 - h.j %% 4999)::text, "
            "(%s::text[])[1 + h.id %% %s] || ' ' || (%s::text[])[1 + (h.id / 7) %% %s], "
            "CASE WHEN h.j %% 5 = 0 THEN 'P' ELSE 'L' END, b.born, 'head', NULL"
            f"{marks} FROM b_hh h CROSS JOIN LATERAL (SELECT date '1950-01-01' + h.j / 4999 "
            "AS born) b",
            [FIRST_NAMES, len(FIRST_NAMES), LAST_NAMES, len(LAST_NAMES), *extra],
        )
        # 95% of households in a desa with a serving PSM get one, from the month it began.
        cols, marks, extra = _fill(
            Caseload,
            ("household_id", "person_id", "start_date", "end_date", "end_reason", "created_at"),
        )
        run(
            "caseloads",
            f"INSERT INTO casework_caseload ({cols}) SELECT h.id, s.person_id, "  # noqa: S608
            "lo + floor(h.u * (%(as_of)s::date - lo + 1))::int, NULL, '', %(now)s"
            + "".join(f", %(x{i})s" for i in range(len(extra)))
            + " FROM b_hh h JOIN LATERAL (SELECT cnt FROM b_serving WHERE area_id = h.area_id "
            "AND rn = 0) c ON true JOIN b_serving s ON s.area_id = h.area_id "
            "AND s.rn = (h.id::bigint * 7919) %% c.cnt "
            "CROSS JOIN LATERAL (SELECT GREATEST(s.start_date, "
            "%(first)s::date - 365) AS lo) l WHERE (h.id::bigint * 31) %% 100 < 95",
            {
                "as_of": as_of,
                "now": now,
                "first": first,
                **{f"x{i}": x for i, x in enumerate(extra)},
            },
        )
        cols, marks, extra = _fill(
            DecileRecord, ("household_id", "decile", "as_of", "source", "created_at")
        )
        # Two DTSEN extracts: at the window's start and three months before the bench date.
        # A household accompanied since before the first is one decile poorer then (sometimes).
        run(
            "decile history",
            f"INSERT INTO casework_decilerecord ({cols}) SELECT h.id, "  # noqa: S608
            f"LEAST(10, GREATEST(1, {decile.format(x='h.v')} - CASE WHEN c.start_date < %s "
            "AND h.u < 0.3 THEN 1 WHEN h.u > 0.9 THEN -1 ELSE 0 END)), %s::date, 'extract', %s"
            f"{marks} FROM b_hh h LEFT JOIN casework_caseload c ON c.household_id = h.id",
            [first, first, now, *extra],
        )
        run(
            "decile history",
            f"INSERT INTO casework_decilerecord ({cols}) SELECT h.id, "  # noqa: S608
            f"{decile.format(x='h.v')}, %s::date, 'extract', %s{marks} FROM b_hh h",
            [add_months(report_end, -3), now, *extra],
        )
        with connection.cursor() as cursor:
            cursor.execute("CREATE INDEX ON b_psm (person_id)")
            # Each PSM's days in the window, and its share of the activities.
            cursor.execute(
                "CREATE TEMP TABLE b_span ON COMMIT DROP AS SELECT person_id, area_id, lo, hi, "
                "hi - lo + 1 AS days FROM (SELECT person_id, area_id, GREATEST(start_date, "
                "%(first)s::date) AS lo, LEAST(COALESCE(end_date, %(as_of)s), %(as_of)s) AS hi "
                "FROM b_psm) s WHERE lo <= hi",
                {"first": first, "as_of": as_of},
            )
            cursor.execute(
                "CREATE TEMP TABLE b_share ON COMMIT DROP AS SELECT s.*, "
                "(%(n)s::bigint * s.days / t.total)::int + CASE WHEN row_number() OVER "
                "(ORDER BY s.person_id) <= %(n)s - t.floor_sum THEN 1 ELSE 0 END AS n "
                "FROM b_span s, (SELECT SUM(days) AS total, SUM((%(n)s::bigint * days) / "
                "(SELECT SUM(days) FROM b_span)) AS floor_sum FROM b_span) t",
                {"n": args.activities},
            )
            # The households each PSM reaches: their caseload, else their desa's.
            cursor.execute(
                "CREATE TEMP TABLE b_own ON COMMIT DROP AS SELECT s.person_id, COALESCE(c.hh, "
                "d.hh) AS hh FROM b_span s LEFT JOIN (SELECT person_id, array_agg(household_id) "
                "AS hh FROM casework_caseload WHERE household_id >= %s GROUP BY person_id) c "
                "ON c.person_id = s.person_id LEFT JOIN (SELECT area_id, array_agg(id) AS hh "
                "FROM b_hh GROUP BY area_id) d ON d.area_id = s.area_id",
                [hh0],
            )
            cursor.execute("CREATE INDEX ON b_own (person_id)")
        act0 = next_id(Activity)
        cols, marks, extra = _fill(
            Activity,
            ("id", "person_id", "kind_id", "area_id", "date", "month", "sector",
             "activity_type_id", "need_category_id", "follow_up_on", "follow_up_done_on",
             "cancelled_at", "cancel_reason", "created_at"),
        )  # fmt: skip
        run(
            "activities",
            f"INSERT INTO casework_activity ({cols}) SELECT %(act0)s + row_number() OVER () - 1, "  # noqa: E501, S608
            "x.person_id, %(psm)s, x.area_id, x.day, date_trunc('month', x.day)::date, "
            "(%(sectors)s::text[])[x.t], (%(types)s::int[])[x.t], CASE WHEN x.w < 0.3 THEN "
            "(%(needs)s::int[])[1 + floor(x.w / 0.3 * %(n_needs)s)::int] END, "
            "CASE WHEN x.u < 0.12 THEN x.day + 3 + floor(x.u / 0.12 * 28)::int END, "
            "CASE WHEN x.u < 0.12 AND x.day + 3 + floor(x.u / 0.12 * 28)::int < %(as_of)s "
            "AND x.w < 0.8 THEN LEAST(x.day + 3 + floor(x.u / 0.12 * 28)::int "
            "+ floor(x.w * 6)::int, %(as_of)s) END, "
            "CASE WHEN x.u > 0.99 THEN %(now)s::timestamptz END, "
            "CASE WHEN x.u > 0.99 THEN 'Salah input' ELSE '' END, %(now)s"
            + "".join(f", %(x{i})s" for i in range(len(extra)))
            + " FROM (SELECT s.person_id, s.area_id, s.lo + floor(random() * s.days)::int AS day, "
            "random() AS u, random() AS w, 1 + floor(random() * %(n_types)s)::int AS t "
            "FROM b_share s CROSS JOIN LATERAL generate_series(1, s.n)) x",
            {
                "act0": act0, "psm": psm, "sectors": type_sectors, "types": type_ids,
                "n_types": len(type_ids), "needs": needs, "n_needs": len(needs),
                "as_of": as_of, "now": now, **{f"x{i}": x for i, x in enumerate(extra)},
            },
        )  # fmt: skip
        # 8% reach no household, 80% one, 10% two, 2% three (distinct, from the PSM's own).
        run(
            "activity households",
            "INSERT INTO casework_activity_households (activity_id, household_id) "
            "SELECT a.id, o.hh[1 + (a.r + k) %% cardinality(o.hh)] FROM (SELECT id, person_id, "
            "random() AS u, floor(random() * 1000000)::int AS r FROM casework_activity "
            "WHERE id >= %s) a JOIN b_own o ON o.person_id = a.person_id "
            "AND cardinality(o.hh) > 0 CROSS JOIN LATERAL generate_series(0, LEAST("
            "cardinality(o.hh) - 1, CASE WHEN a.u < 0.08 THEN -1 WHEN a.u < 0.88 THEN 0 "
            "WHEN a.u < 0.98 THEN 1 ELSE 2 END)) k",
            [act0],
        )
        # The month's figures as compile_month gives them (households: links, not distinct).
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE b_month ON COMMIT DROP AS SELECT person_id, month, "
                "SUM(n)::int AS n, SUM(f)::int AS f, jsonb_object_agg(sector, n) AS by_sector "
                "FROM (SELECT person_id, month, sector, COUNT(*) AS n, COUNT(follow_up_on) AS f "
                "FROM casework_activity WHERE id >= %s AND cancelled_at IS NULL "
                "AND month < %s GROUP BY 1, 2, 3) g GROUP BY 1, 2",
                [act0, report_end],
            )
            cursor.execute("CREATE INDEX ON b_month (person_id, month)")
        cols, marks, extra = _fill(
            MonthlyReport,
            ("person_id", "kind_id", "area_id", "month", "status", "summary", "submitted_at",
             "first_submitted_at", "submit_count", "decided_at", "return_reason"),
        )  # fmt: skip
        # Every month served before the bench date's: mostly verified; the last month more
        # often still submitted; some returned; about one in ten missing. Sent 0-14 days after
        # the month (some after the due day: late).
        run(
            "monthly reports",
            f"INSERT INTO casework_monthlyreport ({cols}) SELECT r.person_id, %(psm)s, "  # noqa: S608
            "r.area_id, r.month, r.status, jsonb_build_object('activities', COALESCE(m.n, 0), "
            "'by_sector', COALESCE(m.by_sector, '{}'::jsonb), 'households', COALESCE(m.n, 0), "
            "'kube_groups', 0, 'follow_ups', COALESCE(m.f, 0)), r.sent, r.sent, "
            "CASE WHEN r.status = 'returned' AND r.u > 0.9 THEN 2 ELSE 1 END, "
            "CASE WHEN r.status <> 'submitted' THEN r.sent + (1 + floor(r.u * 10)::int) "
            "* interval '1 day' END, CASE WHEN r.status = 'returned' THEN %(reason)s ELSE '' END"
            + "".join(f", %(x{i})s" for i in range(len(extra)))
            + " FROM (SELECT s.person_id, s.area_id, mo.month, q.u, "
            "(mo.month + interval '1 month' + floor(q.w * q.w * 15)::int * interval '1 day' "
            "+ (7 + floor(q.u * 13)::int) * interval '1 hour')::timestamptz AS sent, "
            "CASE WHEN mo.month = %(last)s THEN (CASE WHEN q.u < 0.40 THEN 'submitted' "
            "WHEN q.u < 0.70 THEN 'verified' WHEN q.u < 0.80 THEN 'returned' END) "
            "ELSE (CASE WHEN q.u < 0.82 THEN 'verified' WHEN q.u < 0.87 THEN 'submitted' "
            "WHEN q.u < 0.91 THEN 'returned' END) END AS status "
            "FROM b_span s JOIN LATERAL (SELECT generate_series("
            "date_trunc('month', s.lo::timestamp), "
            "LEAST(date_trunc('month', s.hi::timestamp), %(last)s::timestamp), "
            "interval '1 month')::date "
            "AS month) mo ON true CROSS JOIN LATERAL (SELECT random() AS u, random() AS w "
            "WHERE mo.month IS NOT NULL) q) r LEFT JOIN b_month m ON m.person_id = r.person_id "
            "AND m.month = r.month WHERE r.status IS NOT NULL",
            {
                "psm": psm, "reason": RETURN_REASON, "last": add_months(report_end, -1),
                **{f"x{i}": x for i, x in enumerate(extra)},
            },
        )  # fmt: skip
        started = time.perf_counter()
    seconds["indexes_and_keys"] = round(time.perf_counter() - started, 1)
    log(f"bench: indexes and foreign keys rebuilt, committed: {seconds['indexes_and_keys']} s")
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)
    return seconds


# --- users and the office -----------------------------------------------------------------------

PREFIX = "bench-lead-"


def clear_bench_users() -> None:
    """The bench's own accounts, which hold synthetic people and offices synth deletes."""
    from pilar.accounts.models import User

    User.objects.filter(username__startswith=PREFIX).delete()


def prepare_users(office, as_of) -> dict:
    """One account per role of `office` (and the province's admin); returns {role: user}."""
    from django.db.models import Count, Q

    from pilar.accounts.models import Role, RoleGrant, User
    from pilar.casework.models import Caseload
    from pilar.offices.models import Office
    from pilar.regions.models import Area
    from pilar.registry.models import Assignment

    clear_bench_users()
    code = office.area.code
    kecamatan = Area.objects.filter(parent=office.area).order_by("code").first()
    within = Q(area__code__startswith=kecamatan.code + ".") | Q(area=kecamatan)
    tksk = (
        Assignment.objects.active_on(as_of)
        .filter(within, kind__code="TKSK")
        .order_by("pk")
        .values_list("person_id", flat=True)
        .first()
    )
    # The PSM of the kecamatan with the most households in their caseload.
    psm = (
        Caseload.objects.filter(
            end_date__isnull=True, household__area__code__startswith=kecamatan.code + "."
        )
        .values("person_id")
        .annotate(n=Count("*"))
        .order_by("-n", "person_id")
        .values_list("person_id", flat=True)
        .first()
    )
    province = Office.objects.get(area__code=code.split(".")[0])
    plan = {
        "admin": (office, [(Role.ADMIN, None), (Role.OPERATOR, None)], None),
        "operator": (office, [(Role.OPERATOR, None)], None),
        "kepala": (office, [(Role.APPROVER, None)], None),
        "viewer": (office, [(Role.VIEWER, None)], None),
        "coordinator": (office, [(Role.COORDINATOR, kecamatan), (Role.PILLAR, None)], tksk),
        "pillar": (office, [(Role.PILLAR, None)], psm),
        "province": (province, [(Role.ADMIN, None)], None),
    }
    users = {}
    for role, (where, grants, person) in plan.items():
        user = User.objects.create(username=PREFIX + role, office=where, person_id=person)
        user.set_unusable_password()
        user.save()
        for grant, area in grants:
            RoleGrant.objects.create(user=user, role=grant, area=area)
        users[role] = user
    return users


def office_rows(office, args) -> dict:
    """What the office holds, and who the bench's users are."""
    from django.db import connection

    from pilar.accounts.models import User

    code = office.area.code
    areas = "(SELECT id FROM regions_area WHERE code = %s OR code LIKE %s)"
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM {table} WHERE area_id IN {areas})"
        for table in (
            "registry_assignment", "casework_household", "casework_activity",
            "casework_monthlyreport",
        )
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}", [code, code + ".%"] * 4)  # noqa: S608
        duties, households, activities, reports = cursor.fetchone()
    users = {
        u.username.removeprefix(PREFIX): {
            "grants": [(g.role, g.area.code if g.area else None) for g in u.grants.all()],
            "person_id": u.person_id,
        }
        for u in User.objects.filter(username__startswith=PREFIX).prefetch_related("grants__area")
    }
    return {
        "code": code,
        "name": office.name,
        "duties": duties,
        "households": households,
        "activities": activities,
        "monthly_reports": reports,
        "users": users,
    }


def refresh_rollups(office, as_of) -> dict:
    """The province's summary rows (what its dashboard reads): each of its offices refreshed."""
    from pilar.dashboard import rollup
    from pilar.offices.models import Office

    province = office.area.code.split(".")[0]
    offices = list(
        Office.objects.filter(area__level=2, area__code__startswith=province + ".").select_related(
            "area"
        )
    )
    started = time.perf_counter()
    for each in offices:
        rollup.refresh(each, as_of)
    return {"offices": len(offices), "seconds": round(time.perf_counter() - started, 2)}


# --- measuring ----------------------------------------------------------------------------------


def resolvable(urls: list[str], args) -> list[str]:
    """The URLs with {as_of} and {month} filled in, leaving out those no view answers (a page
    not merged yet), said on stderr."""
    from django.urls import Resolver404, resolve

    month = (args.as_of.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    out = []
    for url in urls:
        filled = url.format(as_of=args.as_of.isoformat(), month=month)
        try:
            resolve(filled.split("?")[0])
        except Resolver404:
            log(f"bench: {filled}: no such page here, left out")
            continue
        out.append(filled)
    return out


def measure_pages(users: dict, roles: list[str], urls: list[str], args) -> dict:
    import logging

    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("collectstatic", interactive=False, verbosity=0)  # as `pilar serve` does
    settings.ALLOWED_HOSTS = ["*"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # 4xx: in the figures
    # The process warmed first (templates, catalogues, per-process caches): each URL once as
    # the first role, not timed, so that "cold" means the figure caches only.
    warm_up = Client()
    warm_up.force_login(users[roles[0]])
    for url in urls:
        cache.clear()
        warm_up.get(url)
    out: dict = {}
    for role in roles:
        client = Client()
        client.force_login(users[role])
        client.get("/")
        out[role] = {}
        for url in urls:

            def get(url=url, client=client):
                started = time.perf_counter()
                response = client.get(url)
                ms = (time.perf_counter() - started) * 1000
                return response, ms

            cold = []
            for _ in range(max(1, args.repeat // 2)):
                cache.clear()
                cold.append(get()[1])
            reset_queries()
            cache.clear()
            with CaptureQueriesContext(connection) as ctx:
                response, _ms = get()
            queries = [(float(q["time"]) * 1000, q["sql"]) for q in ctx.captured_queries]
            get()
            warm = [get()[1] for _ in range(args.repeat)]
            seen = {
                "status": response.status_code,
                "bytes": len(response.content),
                "cold_ms": round(statistics.median(cold), 1),
                "warm_ms": round(statistics.median(warm), 1),
                "warm_runs": [round(t, 1) for t in warm],
                "queries": len(queries),
                "sql_ms": round(sum(t for t, _ in queries), 1),
            }
            if response.status_code == 200 and args.explain:
                seen["slowest"] = explain(queries, args.explain)
            out[role][url] = seen
            log(
                f"bench: {role:11} {url:40} {seen['status']} cold {seen['cold_ms']} ms, warm "
                f"{seen['warm_ms']} ms, {seen['queries']} queries ({seen['sql_ms']} ms SQL)"
            )
    return out


def explain(queries: list[tuple[float, str]], n: int) -> list[dict]:
    """The `n` slowest of a request's queries, each with EXPLAIN ANALYZE's time and the large
    tables it reads by sequential scan."""
    from django.db import connection

    out = []
    for ms, sql in sorted(queries, key=lambda q: -q[0])[:n]:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
        plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
        scans = sorted(
            {
                node["Relation Name"]
                for node in _nodes(plan["Plan"])
                if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in LARGE_TABLES
            }
        )
        out.append(
            {
                "ms": round(ms, 1),
                "explain_ms": round(plan.get("Execution Time", 0), 1),
                "seq_scans": scans,
                "sql": sql[:4000],
            }
        )
    return out


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def measure_floors(office, args) -> dict:
    """The biggest aggregate each page needs, in raw SQL through its own psycopg connection:
    what the database itself takes."""
    import psycopg

    from pilar.lib.months import add_months, month_start

    code = office.area.code
    last = month_start(args.as_of)
    first12 = add_months(last, -11)
    month = add_months(last, -1)
    areas = "SELECT id FROM regions_area WHERE code = %(code)s OR code LIKE %(below)s"
    params = {
        "code": code, "below": code + ".%", "first": first12, "last": last, "month": month,
        "as_of": args.as_of,
    }  # fmt: skip
    sql = {
        # kinerja's trend: the office's activities by sector and month over 12 months.
        "activities_by_sector_month_12": (
            f"SELECT month, sector, COUNT(*) FROM casework_activity WHERE area_id IN ({areas}) "  # noqa: S608
            "AND cancelled_at IS NULL AND month BETWEEN %(first)s AND %(last)s GROUP BY 1, 2"
        ),
        # kinerja's per-pillar table: activities by pillar and month over 12 months.
        "activities_by_pillar_month_12": (
            f"SELECT person_id, month, COUNT(*) FROM casework_activity WHERE area_id IN ({areas}) "  # noqa: S608
            "AND cancelled_at IS NULL AND month BETWEEN %(first)s AND %(last)s GROUP BY 1, 2"
        ),
        # follow-ups due in the 12 months, and those done in time.
        "follow_ups_by_month_12": (
            "SELECT date_trunc('month', follow_up_on), COUNT(*), COUNT(*) FILTER (WHERE "
            "follow_up_done_on <= follow_up_on) FROM casework_activity WHERE area_id IN "
            f"({areas}) AND cancelled_at IS NULL AND follow_up_on BETWEEN %(first)s AND "  # noqa: S608
            "%(as_of)s GROUP BY 1"
        ),
        # households reached per month (distinct), by the household's kelurahan.
        "reached_by_month_12": (
            "SELECT a.month, COUNT(DISTINCT l.household_id) FROM casework_activity_households l "
            "JOIN casework_activity a ON a.id = l.activity_id JOIN casework_household h ON "
            f"h.id = l.household_id WHERE h.area_id IN ({areas}) AND a.cancelled_at IS NULL "  # noqa: S608
            "AND a.month BETWEEN %(first)s AND %(last)s GROUP BY 1"
        ),
        # reports per month: sent, on time (by the 5th), verified.
        "reports_by_month_12": (
            "SELECT month, COUNT(*), COUNT(*) FILTER (WHERE status = 'verified') FROM "
            f"casework_monthlyreport WHERE area_id IN ({areas}) AND first_submitted_at IS NOT "  # noqa: S608
            "NULL AND month BETWEEN %(first)s AND %(last)s GROUP BY 1"
        ),
        # the dashboard's month: activities and reports by area of the previous month.
        "dashboard_month": (
            f"SELECT (SELECT COUNT(*) FROM casework_activity WHERE area_id IN ({areas}) AND "  # noqa: S608
            f"cancelled_at IS NULL AND month = %(month)s), (SELECT COUNT(*) FROM "
            f"casework_monthlyreport WHERE area_id IN ({areas}) AND month = %(month)s), "
            f"(SELECT COUNT(*) FROM casework_household WHERE area_id IN ({areas}))"
        ),
        # outcomes: decile movement of the office's households between two extracts.
        "decile_movement": (
            "SELECT d0.decile, d1.decile, COUNT(*) FROM casework_household h JOIN "
            "casework_decilerecord d0 ON d0.household_id = h.id AND d0.as_of <= %(first)s "
            "JOIN casework_decilerecord d1 ON d1.household_id = h.id AND d1.as_of > %(first)s "
            f"WHERE h.area_id IN ({areas}) GROUP BY 1, 2"  # noqa: S608
        ),
    }
    out = {}
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        for name, statement in sql.items():

            def run(statement=statement):
                with conn.cursor() as cursor:
                    cursor.execute(statement, params)
                    return len(cursor.fetchall())

            started = time.perf_counter()
            rows = run()
            cold = (time.perf_counter() - started) * 1000
            ms, times, rows = common.timed(run, args.repeat)
            with conn.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params)
                plan = cursor.fetchone()[0][0]
            scans = sorted(
                {
                    n["Relation Name"]
                    for n in _nodes(plan["Plan"])
                    if n.get("Node Type") == "Seq Scan" and n.get("Relation Name") in LARGE_TABLES
                }
            )
            out[name] = {
                "first_ms": round(cold, 1),
                "ms": round(ms, 1),
                "rows": rows,
                "seq_scans": scans,
            }
            log(f"bench: floor {name}: {out[name]['ms']} ms, {rows} rows, seq scans {scans}")
    return out


if __name__ == "__main__":
    sys.exit(main())
