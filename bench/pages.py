#!/usr/bin/env python3
"""Benchmark: every page and every export at national scale, as an admin, a coordinator and a
pillar.

    python3 bench/pages.py [--people N] [--households N] [--activities N] [--only TEXT]
                           [--skip TEXT] [--roles R,R] [--no-exports] [--limit-ms MS]
                           [--data-dir DIR]

Uses DATABASE_URL from the environment; without it, a SQLite file in the bench's own data
directory (--data-dir, default var/bench-pages/). Refuses a database that holds any person or
household outside the synthetic areas. Migrates and runs `synth` (people, households,
activities) unless synthetic data is already there, then logs three users in through Django's
test Client (in the same process, so that each request's queries can be counted exactly and no
server or network adds to the time): an admin (city-wide), a coordinator scoped to the first
synthetic kecamatan, and a pillar (the first PSM of that kecamatan with at least five open
caseloads, linked to a user).

It walks every URL pattern outside /admin/ and /api/, fills each path parameter with a real row
(the role's own person, household, activity and report where it has them; otherwise the first
row of the model), and requests it with GET once (the process is warm: a first request to the
home page opens the connection and loads the session). Every export link a page shows
(`?format=csv|xlsx`) is requested too and read to its end. Prints one JSON object: per role
and page the status, milliseconds, bytes and query count. Exits 1 when any page (not export)
takes over --limit-ms (1000) or answers 5xx, or any export answers anything but 200.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import log  # noqa: E402

BENCH_DATE = datetime.date(2025, 6, 30)  # `synth --as-of`
USERS = {
    "admin": "bench-pages-admin",
    "coordinator": "bench-pages-coordinator",
    "pillar": "bench-pages-pillar",
}
SKIP_NAMES = {"accounts:logout", "accounts:language", "accounts:login"}
# Figures kept for a few minutes at this scale (pilar.lib.kept): requested a second time too.
KEPT = {"/dashboard/", "/casework/"}
# Pages with the filters the issue measured, beyond each pattern's bare URL ({kec}: the
# coordinator's kecamatan code; months and dates within the synthetic data).
EXTRA = [
    "/pillars/?kind=PSM", "/pillars/?page=500", "/pillars/?q=siti", "/households/?q=siti",
    "/households/?page=500", "/activities/?month=2025-05", "/activities/?page=500",
    "/casework/?month=2025-05", "/casework/?month=2025-05&open={kec}",
    "/reports/?month=2025-05", "/reports/?month=2025-05&area={kec}",
    "/headcount/?as_of=2025-06-30", "/headcount/?as_of=2025-06-30&open={kec}",
    "/dashboard/?as_of=2025-06-30", "/follow-ups/?page=50",
]  # fmt: skip
EXPORT_RE = re.compile(r'href="([^"]*[?&](?:amp;)?format=(?:csv|xlsx)[^"]*)"')


def parse_args():
    parser = common.new_parser(__doc__)
    common.add_people(parser, 1_000_000)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--only", default="", help="only URLs containing this text")
    parser.add_argument("--skip", default="", help="leave out URLs containing this text")
    parser.add_argument("--roles", default="admin,coordinator,pillar")
    parser.add_argument("--limit-ms", type=float, default=1000.0)
    parser.add_argument("--no-exports", action="store_true", help="pages only")
    common.add_data_dir(parser, "bench-pages")
    return parser.parse_args()


def ensure_data(args) -> None:
    from django.core.management import call_command

    from pilar.core.synth.areas import synthetic_provinces

    if synthetic_provinces():
        log("bench: synthetic data already there (sizes as synth left them)")
        return
    log("bench: no synthetic data: running synth (takes many minutes)")
    import os

    os.environ["PILAR_ALLOW_SYNTH"] = "1"
    call_command(
        "synth",
        people=args.people,
        households=args.households,
        activities=args.activities,
        stdout=sys.stderr,
    )


def make_users():
    """The three bench users and what each of them owns: {role: (user, ids)}."""
    from django.db.models import Count

    from pilar.accounts.models import Role, RoleGrant, User
    from pilar.casework.models import Activity, Caseload, HouseholdMember, MonthlyReport
    from pilar.core.synth.areas import synthetic_areas, synthetic_provinces
    from pilar.regions.models import Area
    from pilar.registry.models import Assignment

    kec = (
        synthetic_areas(synthetic_provinces())
        .filter(level=Area.Level.KECAMATAN)
        .order_by("code")
        .first()
    )
    # A PSM of that kecamatan with open caseloads (the first by id with at least 5).
    desa = Area.objects.filter(code__startswith=kec.code + ".").values("id")
    psm = (
        Caseload.objects.filter(
            end_date__isnull=True,
            person__assignments__kind__code="PSM",
            person__assignments__area__in=desa,
        )
        .values("person_id")
        .annotate(n=Count("id"))
        .filter(n__gte=5)
        .order_by("person_id")
        .first()
    )
    pillar_person = psm["person_id"] if psm else None

    def user(username, role, area=None, person_id=None):
        User.objects.filter(person_id=person_id).exclude(username=username).update(person=None)
        u, _ = User.objects.update_or_create(username=username, defaults={"person_id": person_id})
        u.set_unusable_password()
        u.save()
        u.grants.all().delete()
        RoleGrant.objects.create(user=u, role=role, area=area)
        return User.objects.get(pk=u.pk)

    def own_ids(person_filter, household_filter):
        act = Activity.objects.filter(
            **{k.replace("household__", "households__"): v for k, v in household_filter.items()}
        ).first()
        caseload = Caseload.objects.filter(**household_filter).first()
        member = HouseholdMember.objects.filter(**household_filter).first()
        duties = Assignment.objects.filter(**person_filter)
        return {
            "person": duties.values_list("person_id", flat=True).first(),
            "assignment": duties.values_list("pk", flat=True).first(),
            "household": caseload.household_id if caseload else None,
            "caseload": caseload.pk if caseload else None,
            "member": member.pk if member else None,
            "activity": act.pk if act else None,
            "report": MonthlyReport.objects.filter(
                person__assignments__in=Assignment.objects.filter(**person_filter)
            ).values_list("pk", flat=True).first(),
        }  # fmt: skip

    within = {"area__code__startswith": kec.code}
    coordinator_ids = own_ids(within, {"household__area__code__startswith": kec.code})
    pillar_ids = own_ids(
        {"person_id": pillar_person}, {"household__caseloads__person_id": pillar_person}
    )
    mine = {"person_id": pillar_person}
    pillar_ids["report"] = MonthlyReport.objects.filter(**mine).values_list("pk", flat=True).first()
    pillar_ids["activity"] = Activity.objects.filter(**mine).values_list("pk", flat=True).first()
    return kec, {
        "admin": (user(USERS["admin"], Role.ADMIN), coordinator_ids),
        "coordinator": (user(USERS["coordinator"], Role.COORDINATOR, area=kec), coordinator_ids),
        "pillar": (user(USERS["pillar"], Role.PILLAR, person_id=pillar_person), pillar_ids),
    }


def first_ids() -> dict:
    """The first row of each model a path parameter can name (None when the table is empty)."""
    from pilar.equipment.models import Handover, Item
    from pilar.imports.models import Import
    from pilar.kube.models import KubeGroup, KubeMember
    from pilar.stipends.models import StipendBatch, StipendLine, StipendRate
    from pilar.tagana.models import Deployment, DisasterEvent
    from pilar.trainings.models import (
        Certificate,
        CertificatePrint,
        Course,
        Participant,
        TrainingEvent,
    )

    models = {
        "import": Import, "kube": KubeGroup, "kube-member": KubeMember, "tagana": DisasterEvent,
        "deployment": Deployment, "batch": StipendBatch, "line": StipendLine,
        "rate": StipendRate, "course": Course, "event": TrainingEvent,
        "participant": Participant, "certificate": Certificate, "print": CertificatePrint,
        "item": Item, "handover": Handover,
    }  # fmt: skip
    ids = {
        key: m.objects.order_by("pk").values_list("pk", flat=True).first()
        for key, m in models.items()
    }
    cert = Certificate.objects.order_by("pk").first()
    ids["code"] = getattr(cert, "code", None) if cert else None
    return ids


# URL name (or its prefix before "-") -> the key of the row its <pk> names.
PK_OF = {
    "registry:person": "person", "registry:assignment-create": "person",
    "registry:assignment-end": "assignment", "imports:": "import",
    "casework:household": "household", "casework:member-add": "household",
    "casework:caseload-assign": "household", "casework:caseload-end": "caseload",
    "casework:member-leave": "member", "casework:activity": "activity",
    "casework:follow-up-done": "activity", "casework:report": "report",
    "kube:member-remove": "kube-member", "kube:": "kube", "tagana:deployment-end": "deployment",
    "tagana:": "tagana", "stipends:batch": "batch", "stipends:line": "line",
    "stipends:rate": "rate", "trainings:course": "course",
    "trainings:certificate-issue-event": "event", "trainings:certificate-print-event": "event",
    "trainings:certificate-print": "print", "trainings:certificate-issue": "participant",
    "trainings:certificate": "certificate", "trainings:": "event", "equipment:item": "item",
    "equipment:handover": "handover",
}  # fmt: skip


def fill(name: str, params: list[str], own: dict, first: dict) -> dict | None:
    """Path parameters for URL `name`, or None when there is no row to name."""
    kwargs = {}
    for param in params:
        if param == "pk":
            key = next(
                (
                    v
                    for k, v in sorted(PK_OF.items(), key=lambda kv: -len(kv[0]))
                    if name.startswith(k)
                ),
                None,
            )
            value = own.get(key) or first.get(key)
        elif param == "person_id":
            value = own.get("person")
        elif param == "pid":
            value = first.get("participant")
        elif param == "day":
            value = BENCH_DATE.isoformat()
        elif param == "fmt":
            value = "xlsx"
        elif param == "code":
            value = first.get("code")
        else:
            value = None
        if value is None:
            return None
        kwargs[param] = value
    return kwargs


def walk():
    """(route, name, params) of every URL pattern outside /admin/ and /api/."""
    from django.urls import URLResolver, get_resolver

    def go(patterns, prefix, ns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from go(
                    p.url_patterns,
                    prefix + str(p.pattern),
                    ns + (f"{p.namespace}:" if p.namespace else ""),
                )
            else:
                yield prefix + str(p.pattern), ns + (p.name or ""), list(p.pattern.converters)

    for route, name, params in go(get_resolver().url_patterns, "", ""):
        if not route.startswith(("admin/", "api/")) and name not in SKIP_NAMES:
            yield route, name, params


def request(client, url: str, *, export: bool = False) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        if getattr(response, "streaming", False):
            size = sum(len(chunk) for chunk in response.streaming_content)
        else:
            size = len(response.content)
        ms = (time.perf_counter() - started) * 1000
    out = {
        "status": response.status_code,
        "ms": round(ms, 1),
        "bytes": size,
        "queries": len(queries),
    }
    if not export and response.status_code == 200 and "html" in response.get("Content-Type", ""):
        out["_html"] = response.content.decode("utf-8", "replace") if not response.streaming else ""
    return out


def background_export(client, entry: dict, link: str) -> dict:
    """A big export answers with a redirect to its job's page (pilar/audit/exports.py): the
    job is run here, in this process, as the worker would (timed apart), then the file is
    downloaded like any export."""
    from pilar.audit.models import ExportJob
    from pilar.audit.work import run_job

    job = ExportJob.objects.latest("pk")
    started = time.perf_counter()
    run_job(job.pk)
    job_ms = round((time.perf_counter() - started) * 1000, 1)
    job.refresh_from_db()
    download = request(client, f"/exports/{job.pk}/download/", export=True)
    log(f"bench: {link} ran as job {job.pk}: {job.status}, {job.rows_done} rows in {job_ms} ms")
    return {
        "status": download["status"],
        "started_ms": entry["ms"],
        "job_ms": job_ms,
        "job_rows": job.rows_done,
        "bytes": download["bytes"],
    }


def line(role: str, url: str, e: dict) -> str:
    return (
        f"{role:12} {url:60} {e['status']} {e['ms']:8.1f} ms {e['bytes']:>9} B {e['queries']:>4} q"
    )


def main() -> int:
    args = parse_args()
    common.start(args.data_dir)
    common.log_elapsed()
    common.refuse_real_data("bench/pages.py", households=True)
    ensure_data(args)
    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # as `pilar serve` does
    from django.test import Client
    from django.urls import reverse

    settings.ALLOWED_HOSTS = ["*"]
    # Big exports are background jobs: nothing is queued here, the bench runs each job itself.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    logging.getLogger("django.request").setLevel(logging.ERROR)  # 403 and 405 are answers here
    kec, users = make_users()
    first = first_ids()
    log(f"bench: coordinator scoped to {kec.code} {kec.name}; ids {first}")
    results, failures = {}, []
    for role in args.roles.split(","):
        user, own = users[role]
        client = Client()
        client.force_login(user)
        client.get("/")  # open the connection, load the session
        pages = {}
        urls = []
        for route, name, params in walk():
            kwargs = fill(name, params, own, first)
            if kwargs is None:
                pages[route] = {"skipped": "no row to name"}
                continue
            urls.append(reverse(name, kwargs=kwargs))
            if urls[-1] in KEPT:
                urls.append(urls[-1])
        urls += [u.format(kec=kec.code) for u in EXTRA]
        for url in urls:
            if (args.only and args.only not in url) or (args.skip and args.skip in url):
                continue
            entry = request(client, url)
            html = entry.pop("_html", "")
            pages[url if url not in pages else url + " (again)"] = entry
            log(line(role, url, entry))
            if entry["status"] >= 500 or entry["ms"] > args.limit_ms:
                failures.append(f"{role} {url}: {entry['status']} in {entry['ms']} ms")
            if args.no_exports:
                continue
            for link in sorted({h.replace("&amp;", "&") for h in EXPORT_RE.findall(html)}):
                link = link if link.startswith("/") else url.split("?")[0] + link
                if link in pages:
                    continue
                entry = request(client, link, export=True)
                entry["export"] = True
                if entry["status"] == 302:
                    entry.update(background_export(client, entry, link))
                pages[link] = entry
                log(line(role, link, entry))
                if entry["status"] != 200:
                    failures.append(f"{role} export {link}: {entry['status']}")
        results[role] = pages
    out = {"machine": common.machine(), "limit_ms": args.limit_ms, "failures": failures}
    print(json.dumps({**out, "pages": results}, indent=1))
    if failures:
        log("bench: FAILED: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
