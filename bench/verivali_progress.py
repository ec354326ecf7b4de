#!/usr/bin/env python3
"""Benchmark: a verivali round's progress page over 1,000,000 households, against the raw SQL
that counts the same figures.

    DATABASE_URL=postgres://... python3 bench/verivali_progress.py [--households N] [--repeat R]

Builds on `pilar synth --people 100000 --households 1000000` (run unless the synthetic data has
those sizes), then one round over every synthetic household, written in bulk (one
`INSERT ... SELECT` of the visits, each assigned to the household's accompanying PSM where there
is one, as `round_open` assigns them), and findings for a share of the visits (`--visited`,
default 30%) in every kind and state. Then times in one run:
  (a) the floor: the figures of the round's page in hand-written SQL — per kelurahan and per
      pillar: visits, visited, waiting, accepted, returned and outstanding, with the names —
      for the whole round (the admin's view) and for one kecamatan (a coordinator's);
  (b) the round's page (/verivali/<round>/, its progress per kelurahan and per pillar)
      through Django's test client, as the admin and as the kecamatan's coordinator (the
      synthetic TKSK), with its query count and size;
and prints one JSON object (medians of R runs after a warm-up). Uses DATABASE_URL if set, else
a SQLite file in --data-dir; refuses a database holding any non-synthetic person or household,
and deletes every verivali round it finds (the bench's own) before making its own.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import log  # noqa: E402

BENCH_DATE = datetime.date(2025, 6, 30)  # `synth --as-of` (its default)
ROUND_NAME = "Bench verivali"
ADMIN, COORDINATOR = "bench-verivali-admin", "bench-verivali-coordinator"
KINDS = ["confirmed", "corrected", "moved", "deceased", "split", "not_found", "better_off"]
MAX_RATIO = 2.0  # the page against its floor, as the casework pages (docs/PERFORMANCE.md)
MAX_PAGE_MS = 1000.0  # and every page under 1 s (bench/pages.py)


def parse_args() -> argparse.Namespace:
    parser = common.new_parser(__doc__)
    common.add_people(parser, 100_000)
    parser.add_argument("--households", type=int, default=1_000_000, help="default 1,000,000")
    parser.add_argument(
        "--visited", type=float, default=0.3, help="share of visits with a finding (0.3)"
    )
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measure (7)")
    common.add_data_dir(parser, "bench-verivali")
    parser.add_argument(
        "--keep-round",
        action="store_true",
        help="reuse the round of the last run when it covers every household",
    )
    parser.add_argument(
        "--round-open",
        action="store_true",
        help="list the visits with the service `round_open` (timed) instead of INSERT ... SELECT",
    )
    common.add_profile(parser, "the admin's page")
    return parser.parse_args()


def synthetic_sizes() -> tuple[int, int]:
    from pilar.casework.models import Household
    from pilar.core.synth.areas import synthetic_areas, synthetic_provinces
    from pilar.core.synth.people import synthetic_people

    codes = synthetic_provinces()
    if not codes:
        return 0, 0
    areas = synthetic_areas(codes).values("id")
    return synthetic_people(codes).count(), Household.objects.filter(area__in=areas).count()


def ensure_data(args) -> float | None:
    """Run `synth` unless the synthetic data has the sizes asked for; its seconds."""
    from django.core.management import call_command

    from pilar.verivali.models import Finding, Round, Visit

    os.environ["PILAR_ALLOW_SYNTH"] = "1"  # refuse_real_data() has checked the database
    want = (args.people, args.households)
    have = synthetic_sizes()
    if have == want:
        log(f"bench: synthetic data already there ({have[0]:,} people, {have[1]:,} households)")
        return None
    log(f"bench: have {have}, want {want}: running synth (takes minutes)")
    Finding.objects.all().delete()
    Visit.objects.all().delete()
    Round.objects.all().delete()
    started = time.perf_counter()
    call_command(
        "synth",
        people=args.people,
        households=args.households,
        activities=0,
        as_of=BENCH_DATE,
        reset=True,
        stdout=sys.stderr,
    )
    return time.perf_counter() - started


VISITS_SQL = """
    INSERT INTO verivali_visit (round_id, household_id, area_id, person_id, proposed, created_at)
    SELECT %s, h.id, h.area_id,
           (SELECT c.person_id FROM casework_caseload c
             WHERE c.household_id = h.id AND c.end_date IS NULL
             ORDER BY c.id LIMIT 1),
           '{}', CURRENT_TIMESTAMP
    FROM casework_household h
    ORDER BY h.id
"""


def make_round(visited: float, with_service: bool) -> tuple[object, dict]:
    """The bench's round over every household, its visits and findings, written in bulk (or the
    visits by `round_open`); the seconds each step took."""
    from django.db import connection

    from pilar.audit.services import Actor
    from pilar.offices import current
    from pilar.verivali import services
    from pilar.verivali.models import Finding, Round, Visit

    timings = {}
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for model in (Finding, Visit):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608
    Round.areas.through.objects.all().delete()
    Round.categories.through.objects.all().delete()
    Round.objects.all().delete()
    period = {"period_start": datetime.date(2025, 6, 1), "period_end": datetime.date(2025, 8, 31)}
    timings["delete_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    if with_service:
        rnd = services.round_open(by=Actor.system(), data={"name": ROUND_NAME, **period})
        timings["round_open_s"] = round(time.perf_counter() - t0, 1)
    else:
        rnd = Round.objects.create(office=current(), name=ROUND_NAME, deciles=[], **period)
    now = "CURRENT_TIMESTAMP"
    with connection.cursor() as cursor:
        # Each household once, with its accompanying PSM (the open caseload's) where it has one.
        if not with_service:
            cursor.execute(VISITS_SQL, [rnd.pk])
            timings["visits_s"] = round(time.perf_counter() - t0, 1)
        t1 = time.perf_counter()
        # Findings on a share of the assigned visits: every kind, and per kind every state.
        per_mille = int(visited * 1000)
        kinds = "ARRAY[" + ", ".join(f"'{k}'" for k in KINDS) + "]"
        cursor.execute(
            f"""
            INSERT INTO verivali_finding (visit_id, kind, status, visited_on, changes, moved_to,
                split_members, note, photo, recorded_by_id, recorded_at, updated_at,
                reviewed_at, review_note, applied_at, version)
            SELECT v.id, ({kinds})[1 + (v.id / 1000) %% {len(KINDS)}],
                   CASE WHEN v.id %% 10 < 5 THEN 'submitted'
                        WHEN v.id %% 10 < 9 THEN 'accepted' ELSE 'returned' END,
                   DATE '2025-06-01' + (v.id %% 29)::int,
                   '{{}}', '', '[]', '', '', v.person_id, {now}, {now},
                   CASE WHEN v.id %% 10 >= 5 THEN {now} END,
                   CASE WHEN v.id %% 10 = 9 THEN 'Lengkapi foto kunjungan.' ELSE '' END,
                   CASE WHEN v.id %% 10 BETWEEN 5 AND 8 THEN {now} END,
                   1
            FROM verivali_visit v
            WHERE v.round_id = %s AND v.person_id IS NOT NULL
              AND (v.id * 7919) %% 1000 < %s
            """,  # noqa: S608
            [rnd.pk, per_mille],
        )
        timings["findings_s"] = round(time.perf_counter() - t1, 1)
    return rnd, timings


def pick_kecamatan():
    """The first synthetic kecamatan and its serving TKSK (as bench/casework.py)."""
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


def login_user(username: str, person, role: str, area):
    from pilar.accounts.models import RoleGrant, User

    if person is not None:
        User.objects.filter(person=person).exclude(username=username).update(person=None)
    user, _ = User.objects.update_or_create(username=username, defaults={"person": person})
    user.set_unusable_password()
    user.save()
    user.grants.all().delete()
    RoleGrant.objects.create(user=user, role=role, area=area)
    return user


# The floor: the figures per kelurahan and per pillar, and the totals, within an area (a code
# prefix; the whole round for the admin). One pass over the round's visits for each grouping.
FIGURES = """
    count(*) AS visits,
    count(f.id) AS visited,
    count(*) FILTER (WHERE f.status = 'submitted') AS submitted,
    count(*) FILTER (WHERE f.status = 'accepted') AS accepted,
    count(*) FILTER (WHERE f.status = 'returned') AS returned,
    count(*) FILTER (WHERE f.id IS NULL) AS outstanding
"""
BY_AREA_SQL = f"""
    SELECT a.code, a.name, {FIGURES}
    FROM verivali_visit v
    JOIN regions_area a ON a.id = v.area_id
    LEFT JOIN verivali_finding f ON f.visit_id = v.id
    WHERE v.round_id = %(round)s AND (a.code LIKE %(below)s)
    GROUP BY a.code, a.name ORDER BY a.code
"""  # noqa: S608
BY_PERSON_SQL = f"""
    SELECT p.id, p.name, {FIGURES}
    FROM verivali_visit v
    JOIN regions_area a ON a.id = v.area_id
    LEFT JOIN registry_person p ON p.id = v.person_id
    LEFT JOIN verivali_finding f ON f.visit_id = v.id
    WHERE v.round_id = %(round)s AND (a.code LIKE %(below)s)
    GROUP BY p.id, p.name ORDER BY p.name, p.id
"""  # noqa: S608


def floor(params: dict):
    """The round page's figures: per kelurahan and per pillar (the page shows both)."""
    from django.db import connection

    out = []
    with connection.cursor() as cursor:
        for sql in (BY_AREA_SQL, BY_PERSON_SQL):
            cursor.execute(sql, params)
            out.append(cursor.fetchall())
    return out


def progress_url(rnd) -> str:
    from django.urls import reverse

    return reverse("verivali:round-detail", args=[rnd.pk])


def main() -> int:
    args = parse_args()
    common.start(args.data_dir)
    common.log_elapsed()

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("collectstatic", interactive=False, verbosity=0)  # as `pilar serve` does
    common.refuse_real_data("verivali_progress.py", "deletes every verivali round", households=True)
    synth_s = ensure_data(args)
    from pilar.verivali.models import Round

    rnd = Round.objects.filter(name=ROUND_NAME).first()
    if args.keep_round and rnd is not None and rnd.visits.count() == args.households:
        log("bench: the round of the last run kept")
        made = {}
    else:
        log("bench: the round, its visits and findings")
        rnd, made = make_round(args.visited, args.round_open)
    common.vacuum("casework", "registry", "regions", "accounts", "verivali")
    kec, tksk = pick_kecamatan()
    admin = login_user(ADMIN, None, "admin", None)
    coordinator = login_user(COORDINATOR, tksk, "coordinator", kec)
    from pilar.verivali.models import Finding, Visit

    sizes = {
        "visits": Visit.objects.filter(round=rnd).count(),
        "findings": Finding.objects.filter(visit__round=rnd).count(),
        "kecamatan_visits": Visit.objects.filter(
            round=rnd, area__code__startswith=kec.code + "."
        ).count(),
    }
    log(f"bench: {sizes}")
    url = progress_url(rnd)
    results = {}
    for label, user, below in (
        ("admin", admin, "%"),
        ("coordinator", coordinator, kec.code + ".%"),
    ):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)

        def page(client=client, label=label):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"bench: {url} answered {response.status_code} to {label}")
            return response

        params = {"round": rnd.pk, "below": below}
        floor_ms, floor_times, rows = common.timed(lambda params=params: floor(params), args.repeat)
        page_ms, page_times, response = common.timed(page, args.repeat)
        with CaptureQueriesContext(connection) as queries:
            page()
        results[label] = {
            "floor_ms": round(floor_ms, 1),
            "page_ms": round(page_ms, 1),
            "ratio": round(page_ms / floor_ms, 2),
            "queries": len(queries),
            "page_kb": round(len(response.content) / 1024, 1),
            "floor_rows": [len(r) for r in rows],
            "runs_ms": {
                "floor": [round(t, 1) for t in floor_times],
                "page": [round(t, 1) for t in page_times],
            },
        }
        log(f"bench: {label}: floor {floor_ms:.1f} ms, page {page_ms:.1f} ms")
        if args.profile and label == "admin":
            log(common.profiled(page, args.profile))
    result = {
        "benchmark": "verivali_progress",
        "database": connection.vendor,
        "url": url,
        "kecamatan": kec.code,
        "sizes": sizes,
        "synth_s": round(synth_s, 1) if synth_s is not None else None,
        "made_s": made,
        "results": results,
        "budget": {
            "ratio_max": MAX_RATIO,
            "page_ms_max": MAX_PAGE_MS,
            "met": all(
                r["ratio"] <= MAX_RATIO and r["page_ms"] < MAX_PAGE_MS for r in results.values()
            ),
        },
        "load_average": os.getloadavg(),
        "machine": common.machine(),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
