#!/usr/bin/env python3
"""Benchmark: one office's pages and one money step cost the same whether the database holds 1
office or 514 (issue 20: within 1.2x), beside the raw SQL floor of the same reads; and, when
`pilar.dashboard.rollup` is there, the province and national roll-ups.

    python3 bench/scale.py [--offices 1,514] [--people-per-office N]
                           [--households-per-office N] [--activities-per-office N]
                           [--repeat N] [--database-urls URL,URL] [--data-dir DIR]

Each size runs in its own process and database: with --database-urls, one PostgreSQL database
per size (in the order of --offices); without, a SQLite file per size under --data-dir (default
var/bench-scale/offices-N/). A database holding a person or household that synth did not make
is refused. Each process migrates, runs `synth --national --offices N` with N times the
per-office sizes unless the synthetic registry already has that shape (the first office's rows
are identical whatever N: synth seeds each office by its code), then measures, for a user of
the first synthetic kab/kota office (11.01, roles admin and operator over the whole office):

- pages through Django's test Client (in process: the time and the queries are the page's own):
  the people list, the headcount, the households list, the office dashboard, the tali kasih
  batch list, the draft form and a drafted batch's page;
- the money step: drafting the office's June 2025 batch (`stipend_batch_draft`), in a
  transaction rolled back after each run; only that office's people have a verified June report,
  so the batch holds the same lines whatever else the database holds; and drafting its April
  2025 batch, a month for which synth gave every office's pillars their reports (as in a live
  installation: all 514 offices report every month), the office's own the same in both sizes;
- the floor: the same reads in hand-written SQL (the first page of people and of households with
  their counts, the headcount's GROUP BY, the draft's selection);
- with `pilar.dashboard.rollup`: refreshing every kab/kota office's summary row once, and the
  province (11) and national figures read by a user of that office.

Prints one JSON object: each size's figures (median ms of --repeat runs after a warm-up, query
counts, what the office holds, the machine and its load average) and the ratios of the largest
size to the smallest. Exits 1 when a page or the money step of the office costs more than 1.2x.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import log  # noqa: E402

BUDGET = 1.2
JUNE = datetime.date(2025, 6, 1)
APRIL = datetime.date(2025, 4, 1)  # a month synth gave every office's pillars their reports
BENCH_DATE = datetime.date(2025, 6, 30)  # synth's --as-of
OFFICE_CODE = "11.01"  # the first kab/kota of `synth --national`
PROVINCE_CODE = "11"
USER = "bench-scale-kota"
PROVINCE_USER = "bench-scale-province"
NATIONAL_USER = "bench-scale-national"
RATE = 300_000


def parse_args():
    parser = common.new_parser(__doc__)
    parser.add_argument("--offices", default="1,514", help="sizes to compare (1,514)")
    parser.add_argument("--people-per-office", type=int, default=196, help="196 (x514: 100,744)")
    parser.add_argument("--households-per-office", type=int, default=196)
    parser.add_argument("--activities-per-office", type=int, default=1400)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (5)")
    parser.add_argument(
        "--database-urls", default="", help="one PostgreSQL URL per size; empty: SQLite files"
    )
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    common.add_data_dir(parser, "bench-scale")
    return parser.parse_args()


# --- the parent: one process per size, then the ratios -------------------------------------------


def main() -> int:
    args = parse_args()
    if args.child:
        print(json.dumps(child(args), default=str))
        return 0
    sizes = [int(n) for n in args.offices.split(",")]
    urls = args.database_urls.split(",") if args.database_urls else [""] * len(sizes)
    if len(urls) != len(sizes):
        raise SystemExit("bench: give one --database-urls entry per --offices size")
    runs = {}
    for n, url in zip(sizes, urls, strict=True):
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        if url:
            env["DATABASE_URL"] = url
        cmd = [
            sys.executable, __file__, "--child", str(n),
            "--people-per-office", str(args.people_per_office),
            "--households-per-office", str(args.households_per_office),
            "--activities-per-office", str(args.activities_per_office),
            "--repeat", str(args.repeat), "--data-dir", str(args.data_dir / f"offices-{n}"),
        ]  # fmt: skip
        log(f"bench: {n} offices")
        done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True)  # noqa: S603
        runs[str(n)] = json.loads(done.stdout)
    small, large = runs[str(min(sizes))], runs[str(max(sizes))]
    ratios = {}
    for part in ("pages", "money", "floor"):
        for name, seen in large[part].items():
            if name in small[part] and small[part][name]["ms"]:
                ratios[f"{part}:{name}"] = round(seen["ms"] / small[part][name]["ms"], 2)
    over = {k: r for k, r in ratios.items() if not k.startswith("floor:") and r > BUDGET}
    same = small["office"] == large["office"]
    print(
        json.dumps(
            {
                "bench": "scale",
                "budget": BUDGET,
                "same_office_data": same,
                "ratios": ratios,
                "over_budget": over,
                "runs": runs,
            },
            indent=2,
            default=str,
        )
    )
    return 1 if over or not same else 0


# --- one size ---------------------------------------------------------------------------------


def child(args) -> dict:
    n = args.child
    load_before = os.getloadavg()
    common.start(args.data_dir)
    common.refuse_real_data("scale.py", "rewrites the registry", households=True)
    synth_s = common.ensure_national(
        n,
        people=args.people_per_office * n,
        households=args.households_per_office * n,
        activities=args.activities_per_office * n,
        clear=clear_bench,
    )
    common.vacuum("casework", "registry", "regions", "stipends", "offices", "accounts")
    from pilar.offices.models import Office

    office = Office.objects.select_related("area").get(area__code=OFFICE_CODE)
    user = prepare(office)
    return {
        "offices": n,
        "db": common.machine(),
        "synth_s": synth_s,
        "office": held(office),
        "money": money(user, args.repeat),  # before the pages, which commit a batch
        "pages": pages(user, args.repeat),
        "floor": floors(office, args.repeat),
        "rollup": rollups(args.repeat),
        "load_average": {"before": load_before, "after": os.getloadavg()},
    }


def clear_bench() -> None:
    """The bench's own rows (the tali kasih tables, its June reports) and its users' offices:
    synth's reset then deletes the synthetic offices."""
    from pilar.accounts.models import User
    from pilar.casework.models import MonthlyReport
    from pilar.stipends.models import BatchJob, Budget, StipendBatch, StipendLine, StipendRate

    BatchJob.objects.all().delete()
    StipendLine.objects.filter(reverses__isnull=False).delete()
    StipendLine.objects.all()._raw_delete(StipendLine.objects.db)
    StipendBatch.kinds.through.objects.all().delete()
    StipendBatch.objects.all()._raw_delete(StipendBatch.objects.db)
    StipendRate.objects.all().delete()
    Budget.objects.all().delete()
    MonthlyReport.objects.filter(month=JUNE).delete()  # synth makes none for the bench month
    User.objects.filter(username__startswith="bench-scale-").update(office=None)


def _within(code: str, field: str = "area__code"):
    from django.db.models import Q

    return Q(**{field: code}) | Q(**{f"{field}__startswith": code + "."})


def prepare(office):
    """The office's people payable for June (a verified report each), its rates and budget, and
    the users; returns the office's user."""
    from django.db import transaction

    from pilar.accounts.models import Role, RoleGrant, User
    from pilar.audit.services import Actor
    from pilar.casework.models import MonthlyReport
    from pilar.offices.models import Office
    from pilar.offices.services import remembered
    from pilar.registry.models import Assignment, PillarKind
    from pilar.stipends import services
    from pilar.stipends.models import FundingSource

    with transaction.atomic():
        clear_bench()
        duties = Assignment.objects.filter(
            _within(office.area.code), start_date__lte=BENCH_DATE
        ).exclude(end_date__lt=JUNE)
        now = datetime.datetime.now(datetime.UTC)
        MonthlyReport.objects.bulk_create(
            MonthlyReport(
                person_id=d.person_id,
                kind_id=d.kind_id,
                area_id=d.area_id,
                month=JUNE,
                status="verified",
                submitted_at=now,
                first_submitted_at=now,
                submit_count=1,
                decided_at=now,
            )  # fmt: skip
            for d in duties
        )
        with remembered(office=office):  # the office's own rates and budget once they have one
            by = Actor.system()
            for kind in PillarKind.objects.all():
                services.stipend_rate_create(
                    by=by, kind=kind, amount=RATE, valid_from=datetime.date(2025, 1, 1),
                    funding_source=FundingSource.APBD,
                )  # fmt: skip
            services.budget_set(by=by, year=2025, funding_source=FundingSource.APBD, amount=10**12)
        users = {}
        for name, where in (
            (USER, office),
            (PROVINCE_USER, Office.objects.get(area__code=PROVINCE_CODE)),
            (NATIONAL_USER, Office.objects.get(area__isnull=True)),
        ):
            user, created = User.objects.get_or_create(username=name)
            if created:
                user.set_unusable_password()
            user.office = where
            user.save()
            for role in (Role.ADMIN, Role.OPERATOR):
                RoleGrant.objects.get_or_create(user=user, role=role, area=None)
            users[name] = user
    return User.objects.get(pk=users[USER].pk)


def held(office) -> dict:
    """What the office holds: equal in every size when the sizes are comparable."""
    from pilar.casework.models import Activity, Household, MonthlyReport
    from pilar.registry.models import Assignment, Person

    code = office.area.code
    return {
        "code": code,
        "name": office.name,
        "people": Person.objects.filter(_within(code, "residence__code")).count(),
        "duties": Assignment.objects.filter(_within(code)).count(),
        "households": Household.objects.filter(_within(code)).count(),
        "activities": Activity.objects.filter(_within(code)).count(),
        "june_reports": MonthlyReport.objects.filter(_within(code), month=JUNE).count(),
    }


def _measure(fn, repeat: int) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # a request resets the log when it starts: counted from 0
    with CaptureQueriesContext(connection) as ctx:
        fn()
    queries = len(ctx.captured_queries)
    ms, times, result = common.timed(fn, repeat)
    return {"ms": round(ms, 1), "runs": [round(t, 1) for t in times], "queries": queries, **(
        result if isinstance(result, dict) else {}
    )}  # fmt: skip


def pages(user, repeat: int) -> dict:
    import logging

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from pilar.audit.services import Actor
    from pilar.offices.services import remembered
    from pilar.registry.models import PillarKind
    from pilar.stipends import services

    call_command("collectstatic", interactive=False, verbosity=0)  # as `pilar serve` does
    settings.ALLOWED_HOSTS = ["*"]
    # Background jobs (a batch's files) are not run here.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    logging.getLogger("django.request").setLevel(logging.ERROR)  # 4xx: in the figures
    with remembered(user=user):
        batch = services.stipend_batch_draft(
            by=Actor.system(user=user), first_month=JUNE, last_month=JUNE,
            kinds=list(PillarKind.objects.all()), year=2025, title="Bench scale",
        )  # fmt: skip
    client = Client()
    client.force_login(user)
    client.get("/")
    urls = {
        "people": "/pillars/",
        "headcount": f"/headcount/?as_of={BENCH_DATE}",
        "households": "/households/",
        "dashboard": f"/dashboard/?as_of={BENCH_DATE}",
        "batches": "/stipends/batches/",
        "draft_form": "/stipends/batches/new/",
        "batch": f"/stipends/batches/{batch.pk}/",
    }
    out = {}
    for name, url in urls.items():

        def get(url=url):
            response = client.get(url)
            return {"status": response.status_code, "bytes": len(response.content)}

        out[name] = _measure(get, repeat)
        log(f"bench: {name} {out[name]['ms']} ms, {out[name]['queries']} queries")
    return out


def money(user, repeat: int) -> dict:
    from django.db import transaction

    from pilar.audit.services import Actor
    from pilar.offices.services import remembered
    from pilar.registry.models import PillarKind
    from pilar.stipends import services

    kinds = list(PillarKind.objects.all())

    def draft(month=JUNE):
        with transaction.atomic(), remembered(user=user):
            batch = services.stipend_batch_draft(
                by=Actor.system(user=user), first_month=month, last_month=month, kinds=kinds,
                year=2025, title="Bench scale draft",
            )  # fmt: skip
            lines = batch.lines.count()
            transaction.set_rollback(True)
        return {"lines": lines}

    out = {
        "draft": _measure(draft, repeat),
        "draft_every_office_reported": _measure(lambda: draft(APRIL), repeat),
    }
    for name, seen in out.items():
        log(f"bench: {name} {seen['ms']} ms, {seen['lines']} lines")
    return out


def floors(office, repeat: int) -> dict:
    """The same reads in hand-written SQL: what the database itself needs."""
    from django.db import connection

    from pilar.casework.models import Household, MonthlyReport
    from pilar.regions.models import Area
    from pilar.registry.models import Assignment, Person

    qn = connection.ops.quote_name
    t = {m: qn(m._meta.db_table) for m in (Area, Assignment, Person, Household, MonthlyReport)}
    # The office's areas as a range of the area code's unique index: its own code, then every
    # code from "11.01." up to "11.01/" ("/" follows "." in the code's order).
    code = office.area.code
    within = [code, code + ".", code + "/"]
    in_office = "(ar.code = %s OR (ar.code >= %s AND ar.code < %s))"
    office_duties = (
        f"SELECT a.person_id FROM {t[Assignment]} a JOIN {t[Area]} ar ON ar.id = a.area_id "
        f"WHERE {in_office}"
    )
    sql = {
        "people": [
            (f"SELECT p.id, p.name, p.nik FROM {t[Person]} p WHERE p.id IN ({office_duties}) "
             "ORDER BY p.name, p.id LIMIT 50", within),
            (f"SELECT COUNT(DISTINCT person_id) FROM ({office_duties}) d", within),
        ],
        "headcount": [
            (f"SELECT a.kind_id, COUNT(*) FROM {t[Assignment]} a JOIN {t[Area]} ar "
             f"ON ar.id = a.area_id WHERE {in_office} AND a.start_date <= %s "
             "AND (a.end_date IS NULL OR a.end_date >= %s) GROUP BY a.kind_id",
             [*within, BENCH_DATE, BENCH_DATE]),
        ],
        "households": [
            (f"SELECT h.id, h.kk_number FROM {t[Household]} h JOIN {t[Area]} ar "
             f"ON ar.id = h.area_id WHERE {in_office} ORDER BY h.id LIMIT 50", within),
            (f"SELECT COUNT(*) FROM {t[Household]} h JOIN {t[Area]} ar ON ar.id = h.area_id "
             f"WHERE {in_office}", within),
        ],
        "draft_select": [
            (f"SELECT a.person_id, a.kind_id FROM {t[Assignment]} a JOIN {t[Area]} ar "
             f"ON ar.id = a.area_id JOIN {t[MonthlyReport]} r ON r.person_id = a.person_id "
             "AND r.kind_id = a.kind_id AND r.month = %s AND r.status = 'verified' "
             f"JOIN {t[Person]} p ON p.id = a.person_id WHERE {in_office} "
             "AND p.bank_account <> '' AND a.start_date <= %s "
             "AND (a.end_date IS NULL OR a.end_date >= %s)",
             [JUNE, *within, BENCH_DATE, JUNE]),
        ],
    }  # fmt: skip
    out = {}
    for name, statements in sql.items():

        def run(statements=statements):
            rows = 0
            with connection.cursor() as cursor:
                for statement, params in statements:
                    cursor.execute(statement, params)
                    rows += len(cursor.fetchall())
            return {"rows": rows}

        out[name] = _measure(run, repeat)
    return out


def rollups(repeat: int) -> dict:
    """Province and national roll-ups, when `pilar.dashboard.rollup` is there (issue 20's
    summary tables): refreshing each kab/kota office once, then the figures as read."""
    try:
        from pilar.dashboard import rollup
    except ImportError:
        return {"skipped": "pilar.dashboard.rollup is not there"}
    from pilar.accounts.models import User
    from pilar.core.synth.areas import MARK
    from pilar.offices.models import Office

    out: dict = {}
    offices = list(Office.objects.filter(area__level=2, name__endswith=MARK).select_related("area"))
    if hasattr(rollup, "refresh"):
        started = time.perf_counter()
        try:
            for office in offices:
                rollup.refresh(office, BENCH_DATE)
            out["refresh_all_s"] = round(time.perf_counter() - started, 2)
            out["refreshed_offices"] = len(offices)
        except Exception as exc:  # noqa: BLE001 - the module may have changed: say so
            out["refresh_error"] = repr(exc)
    if hasattr(rollup, "province_figures"):
        for label, name in (("province", PROVINCE_USER), ("national", NATIONAL_USER)):
            user = User.objects.get(username=name)
            try:
                out[label] = _measure(lambda u=user: rollup.province_figures(u, BENCH_DATE), repeat)
            except Exception as exc:  # noqa: BLE001
                out[f"{label}_error"] = repr(exc)
    return out


if __name__ == "__main__":
    sys.exit(main())
