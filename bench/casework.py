#!/usr/bin/env python3
"""Benchmark: the coordinator's monthly status page and a pillar's caseload page against the raw
SQL behind them.

    python3 bench/casework.py [--people N] [--households N] [--activities N] [--month YYYY-MM]
                              [--repeat R] [--data-dir DIR]

Uses DATABASE_URL from the environment; without it, a SQLite file in the bench's own data
directory (--data-dir, default var/bench-casework/; PILAR_DATA_DIR is always set to it). Refuses a
database that holds any person or household outside the synthetic areas: this is for benchmark
databases only. Migrates, runs `synth` (with its casework options) unless the synthetic data has
exactly the sizes asked for, then times, median of R runs after one warm-up:

(a) GET /reports/?month=M&area=K&per_page=200 (the whole kecamatan on one page; the default
    page of 50 pillars is timed beside it) through Django's test Client, logged in as a
    coordinator scoped to synthetic kecamatan K (the kecamatan's serving TKSK), against the
    floor: the raw SQL for the same answer (K's duties in the six months, their reports, the
    activity counts per person, kind and month), three statements through a cursor with fetchall;
(b) GET /caseload/ as the PSM with the median caseload, against the raw SQL for that caseload
    (household, kelurahan, head's name, last activity date, next open follow-up), one statement.

Beside each page: the selector alone (its queries, materialised) and a bare page (the home page's
redirect for the same logged-in user: session, user, middleware) for what a request costs at all.
Checks that page and floor give the same rows and prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import log  # noqa: E402

BENCH_DATE = datetime.date(2025, 6, 30)  # `synth --as-of`
MONTH = "2025-05"  # the last month with reports before the bench date
MAX_RATIO = 2.0
COORDINATOR = "bench-casework-coordinator"
PILLAR = "bench-casework-pillar"


def parse_args() -> argparse.Namespace:
    parser = common.new_parser(__doc__)
    common.add_people(parser, 100_000)
    parser.add_argument("--households", type=int, default=1_000_000, help="default 1,000,000")
    parser.add_argument("--activities", type=int, default=10_000_000, help="default 10,000,000")
    parser.add_argument("--month", default=MONTH, help=f"the status page's month ({MONTH})")
    parser.add_argument("--repeat", type=int, default=9, help="timed runs per measure (9)")
    common.add_data_dir(parser, "bench-casework")
    return parser.parse_args()


def synthetic_sizes() -> tuple[int, int, int]:
    from pilar.casework.models import Activity, Household
    from pilar.core.synth.areas import synthetic_areas, synthetic_provinces
    from pilar.core.synth.people import synthetic_people

    codes = synthetic_provinces()
    if not codes:
        return 0, 0, 0
    areas = synthetic_areas(codes).values("id")
    return (
        synthetic_people(codes).count(),
        Household.objects.filter(area__in=areas).count(),
        Activity.objects.filter(area__in=areas).count(),
    )


def ensure_data(args) -> float | None:
    """Run `synth` unless the synthetic data has the sizes asked for; its seconds."""
    from django.core.management import call_command

    os.environ["PILAR_ALLOW_SYNTH"] = "1"  # refuse_real_data() has checked the database
    want = (args.people, args.households, args.activities)
    have = synthetic_sizes()
    if have == want:
        log(f"bench: synthetic data already there ({have[0]:,} people, {have[1]:,} households, "
            f"{have[2]:,} activities)")  # fmt: skip
        return None
    log(f"bench: have {have}, want {want}: running synth (takes minutes)")
    started = time.perf_counter()
    call_command(
        "synth",
        people=args.people,
        households=args.households,
        activities=args.activities,
        as_of=BENCH_DATE,
        reset=True,
        stdout=sys.stderr,
    )
    return time.perf_counter() - started


def pick_kecamatan():
    """The first synthetic kecamatan (they are all made alike) and its serving TKSK."""
    from pilar.core.synth.areas import synthetic_areas, synthetic_provinces
    from pilar.regions.models import Area
    from pilar.registry.models import Assignment

    kec = (
        synthetic_areas(synthetic_provinces())
        .filter(level=Area.Level.KECAMATAN)
        .order_by("code")
        .first()
    )
    tksk = (
        Assignment.objects.active_on(BENCH_DATE)
        .filter(kind__code="TKSK", area=kec)
        .select_related("person")
        .first()
    )
    return kec, tksk.person


def pick_pillar():
    """A PSM with the median number of open caseloads (ties: the lowest id)."""
    from django.db.models import Count

    from pilar.casework.models import Caseload

    sizes = list(
        Caseload.objects.filter(end_date__isnull=True, person__assignments__kind__code="PSM")
        .values("person_id")
        .annotate(n=Count("id"))
        .order_by("n", "person_id")
        .values_list("person_id", "n")
    )
    person_id, n = sizes[len(sizes) // 2]
    return person_id, n, len(sizes)


def login_user(username: str, person, role: str, area):
    from pilar.accounts.models import RoleGrant, User

    User.objects.filter(person=person).exclude(username=username).update(person=None)
    user, _ = User.objects.update_or_create(username=username, defaults={"person": person})
    user.set_unusable_password()
    user.save()
    user.grants.all().delete()
    RoleGrant.objects.create(user=user, role=role, area=area)
    return user


def status_sql() -> tuple[str, str, str]:
    """The floor for (a): the kecamatan's duties in the window (named), their reports, and the
    activity counts per person, kind and month, each the fast way in one statement."""
    from django.db import connection

    from pilar.casework.models import Activity, MonthlyReport
    from pilar.regions.models import Area
    from pilar.registry.models import Assignment, Person, PillarKind

    qn = connection.ops.quote_name
    s, p, k, a, r, act = (
        qn(m._meta.db_table)
        for m in (Assignment, Person, PillarKind, Area, MonthlyReport, Activity)
    )
    duties = (
        f"SELECT s.person_id, s.kind_id, s.area_id, s.start_date, s.end_date FROM {s} s "
        f"WHERE s.area_id IN (SELECT id FROM {a} WHERE code = %(code)s OR code LIKE %(below)s) "
        "AND s.start_date <= %(last)s AND (s.end_date IS NULL OR s.end_date >= %(first)s)"
    )
    named = (
        f"SELECT d.person_id, p.name, d.kind_id, k.code, a.name, d.start_date, d.end_date "
        f"FROM ({duties}) d JOIN {p} p ON p.id = d.person_id JOIN {k} k ON k.id = d.kind_id "
        f'JOIN {a} a ON a.id = d.area_id ORDER BY p.name, k."order", d.start_date'
    )
    reports = (
        f"SELECT r.id, r.person_id, r.kind_id, r.month, r.status, r.submitted_at FROM {r} r "
        f"WHERE r.person_id IN (SELECT person_id FROM ({duties}) d) "
        "AND r.month >= %(first)s AND r.month <= %(month)s"
    )
    counts = (
        f"SELECT x.person_id, x.kind_id, x.month, COUNT(*) FROM {act} x "
        f"WHERE x.person_id IN (SELECT person_id FROM ({duties}) d) "
        "AND x.month >= %(first)s AND x.month <= %(month)s AND x.cancelled_at IS NULL "
        "GROUP BY x.person_id, x.kind_id, x.month"
    )
    return named, reports, counts


def caseload_sql() -> str:
    """The floor for (b): one PSM's open caseloads with household, kelurahan, head, last
    activity and next open follow-up (aggregated once over the caseload's households)."""
    from django.db import connection

    from pilar.casework.models import Activity, Caseload, Household, HouseholdMember
    from pilar.regions.models import Area

    qn = connection.ops.quote_name
    c, h, a, m, act = (
        qn(x._meta.db_table) for x in (Caseload, Household, Area, HouseholdMember, Activity)
    )
    link = qn(Activity.households.through._meta.db_table)
    return (
        f"WITH cl AS (SELECT id, household_id FROM {c} WHERE person_id = %(person)s "
        "AND end_date IS NULL), "
        f"v AS (SELECT l.household_id, MAX(x.date) AS last, MIN(CASE WHEN x.follow_up_on IS NOT "
        "NULL AND x.follow_up_done_on IS NULL THEN x.follow_up_on END) AS follow "
        f"FROM {link} l JOIN {act} x ON x.id = l.activity_id "
        "WHERE l.household_id IN (SELECT household_id FROM cl) AND x.cancelled_at IS NULL "
        "GROUP BY l.household_id) "
        "SELECT cl.id, cl.household_id, h.kk_number, h.decile, a.name, hm.name, v.last, v.follow "
        f"FROM cl JOIN {h} h ON h.id = cl.household_id JOIN {a} a ON a.id = h.area_id "
        f"LEFT JOIN {m} hm ON hm.household_id = h.id AND hm.relation = 'head' "
        "AND hm.left_on IS NULL LEFT JOIN v ON v.household_id = cl.household_id "
        "ORDER BY a.code, hm.name, cl.id"
    )


def main() -> int:
    args = parse_args()
    common.start(args.data_dir)

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from pilar.casework import selectors
    from pilar.casework.services import month_end

    call_command("collectstatic", interactive=False, verbosity=0)  # as `pilar serve` does
    common.refuse_real_data("casework.py", households=True)
    synth_s = ensure_data(args)
    common.vacuum("casework", "registry", "regions", "accounts")

    month = datetime.date.fromisoformat(args.month + "-01")
    window = selectors.months_ending(month, 6)
    kec, tksk = pick_kecamatan()
    coordinator = login_user(COORDINATOR, tksk, "coordinator", kec)
    person_id, caseload_size, pillars_with_caseload = pick_pillar()
    from pilar.registry.models import Person

    pillar = login_user(PILLAR, Person.objects.get(pk=person_id), "pillar", None)

    named_sql, reports_sql, counts_sql = status_sql()
    params = {
        "code": kec.code,
        "below": kec.code + ".%",
        "first": window[0],
        "month": window[-1],
        "last": month_end(window[-1]),
    }

    def run_status_floor():
        with connection.cursor() as cursor:
            out = []
            for sql in (named_sql, reports_sql, counts_sql):
                cursor.execute(sql, params)
                out.append(cursor.fetchall())
            return out

    cl_sql = caseload_sql()

    def run_caseload_floor():
        with connection.cursor() as cursor:
            cursor.execute(cl_sql, {"person": person_id})
            return cursor.fetchall()

    clients = {}
    for user in (coordinator, pillar):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        clients[user.pk] = client

    def get(user, url):
        def run():
            response = clients[user.pk].get(url)
            if response.status_code != 200:
                raise SystemExit(f"bench: {url} answered {response.status_code}")
            return response

        return run

    def bare(user):
        def run():
            return clients[user.pk].get("/", follow=False)

        return run

    # The whole kecamatan on one page (`per_page=200`), the answer the floor gives; the default
    # page of 50 pillars is timed beside it.
    status_url = f"/reports/?month={args.month}&area={kec.code}&per_page=200"
    status_url_default = f"/reports/?month={args.month}&area={kec.code}"

    def run_status_selector():
        from pilar.accounts.models import User

        user = User.objects.get(pk=coordinator.pk)
        return selectors.monthly_status(user, month, months=6, area=kec)

    def run_caseload_selector():
        return list(selectors.caseload_of(person_id))

    get(coordinator, status_url)()
    get(pillar, "/caseload/")()
    from pilar.wsgi import freeze_loaded_objects

    freeze_loaded_objects()
    log(
        f"bench: kecamatan {kec.code}, TKSK {tksk.pk}; PSM {person_id} with {caseload_size} "
        f"households (median of {pillars_with_caseload:,}); {args.repeat} runs after a warm-up"
    )
    results = {}
    s_floor = common.timed(run_status_floor, args.repeat)
    s_page = common.timed(get(coordinator, status_url), args.repeat)
    s_default = common.timed(get(coordinator, status_url_default), args.repeat)
    s_selector = common.timed(run_status_selector, args.repeat)
    s_bare = common.timed(bare(coordinator), args.repeat)
    c_floor = common.timed(run_caseload_floor, args.repeat)
    c_page = common.timed(get(pillar, "/caseload/"), args.repeat)
    c_selector = common.timed(run_caseload_selector, args.repeat)
    c_bare = common.timed(bare(pillar), args.repeat)

    # Same answer: (a) one row per (person, kind) with six cells, the same reports linked and
    # the same activity totals; (b) the same households with the same head, dates and order.
    duties, reports, counts = s_floor[2]
    html = s_page[2].content.decode()
    pairs = {(d[0], d[2]) for d in duties}
    cells = html.count('data-testid="cell-')
    linked = len(re.findall(r'href="/reports/\d+/"', html))
    counts_shown = re.findall(r"<br><small><a [^>]*>([\d.,]+) ", html)
    activities = sum(int(re.sub(r"[.,]", "", n)) for n in counts_shown)
    status_rows = s_selector[2]
    status_ok = (
        cells == 6 * len(pairs) == 6 * len(status_rows)
        and linked == len(reports)
        and activities == sum(r[3] for r in counts)
    )
    # (SQLite's cursor gives dates as text: compare as text.)
    floor_rows = [tuple(map(str, (r[1], r[5], r[6], r[7]))) for r in c_floor[2]]
    product_rows = [
        tuple(map(str, (c.household_id, c.head_name, c.last_activity, c.follow_up)))
        for c in c_selector[2]
    ]
    counted = re.search(r'data-testid="caseload-count">(\d+)', c_page[2].content.decode())
    page_rows = int(counted.group(1)) if counted else -1
    caseload_ok = floor_rows == product_rows and page_rows == len(floor_rows)
    if not (status_ok and caseload_ok):
        log(f"bench: MISMATCH status: cells {cells} vs {6 * len(pairs)}, reports {linked} vs "
            f"{len(reports)}, activities {activities} vs {sum(r[3] for r in counts)}; caseload: "
            f"{len(product_rows)} rows ({page_rows} on the page) vs {len(floor_rows)}, equal "
            f"{floor_rows == product_rows}")  # fmt: skip
        return 1

    def measure(floor, page, selector, bare_page, **extra):
        ratio = page[0] / floor[0]
        return {
            **extra,
            "floor_ms": round(floor[0], 2),
            "page_ms": round(page[0], 2),
            "ratio": round(ratio, 2),
            "selector_ms": round(selector[0], 2),
            "bare_page_ms": round(bare_page[0], 2),
            "response_bytes": len(page[2].content),
            "floor_ms_runs": [round(t, 2) for t in floor[1]],
            "page_ms_runs": [round(t, 2) for t in page[1]],
            "budget_ok": ratio <= MAX_RATIO,
        }

    results["status"] = measure(
        s_floor, s_page, s_selector, s_bare, url=status_url, pillars=len(pairs),
        reports=len(reports), activities=activities,
        default_page_url=status_url_default, default_page_ms=round(s_default[0], 2),
    )  # fmt: skip
    results["caseload"] = measure(
        c_floor, c_page, c_selector, c_bare, url="/caseload/", person_id=person_id,
        households=len(floor_rows),
    )  # fmt: skip
    from pilar.casework.models import Activity, MonthlyReport

    result = {
        "vendor": connection.vendor,
        "people": args.people,
        "households": args.households,
        "activities": args.activities,
        "activity_households": Activity.households.through.objects.count(),
        "monthly_reports": MonthlyReport.objects.count(),
        "repeat": args.repeat,
        **results,
        "budget": {"max_ratio": MAX_RATIO},
        "synth_s": round(synth_s, 1) if synth_s is not None else None,
        "machine": common.machine(),
    }
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
