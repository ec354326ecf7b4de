#!/usr/bin/env python3
"""Benchmark: importing a 100,000-row roster, against the raw read of the same file.

    python3 bench/import.py [--rows N] [--repeat R] [--data-dir DIR]

Writes a roster XLSX in the template's columns (N rows, valid NIKs, dates as date cells, PSM
in the 24 kelurahan, Karang Taruna and Tagana), then times in one run:
  (a) the floor: opening the file with python-calamine and reading every row (median of R);
  (b) the dry run: the whole check of every row as `pilar import-roster --dry-run` does it,
      reading included (median of R) — budget: within 3x of (a);
  (c) the commit into an empty database: the stored check the page runs (ImportRow per row),
      then the commit (one transaction: people, duties, audit entries, undo list) — budget for
      the commit: under 60 s;
and the peak memory of the process plus that of the reading process it forks for a large file
(budget: under 500 MB together). Uses DATABASE_URL when set
(PostgreSQL), else a SQLite file in --data-dir. THE DATABASE IS EMPTIED FIRST: the SQLite file
is deleted; on PostgreSQL the public schema is dropped and created again (use a throwaway
database). Prints one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import log  # noqa: E402

MAX_RATIO = 3.0
MAX_COMMIT_S = 60.0
MAX_PEAK_MB = 500.0
FIRST = [
    "Siti",
    "Rina",
    "Dedi",
    "Budi",
    "Yuli",
    "Hendra",
    "Sari",
    "Rahmat",
    "Dewi",
    "Andi",
    "Putri",
    "Fajar",
    "Nur",
    "Joni",
    "Wati",
    "Rudi",
    "Intan",
    "Agus",
    "Fitri",
    "Yusuf",
]
LAST = [
    "Aminah",
    "Marlina",
    "Saputra",
    "Santoso",
    "Andriani",
    "Firmansyah",
    "Wahyuni",
    "Hidayat",
    "Lestari",
    "Pratama",
    "Rahmawati",
    "Syahputra",
    "Utami",
    "Kurniawan",
]


def parse_args() -> argparse.Namespace:
    parser = common.new_parser(__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="default 100,000")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of (a) and (b) (3)")
    common.add_data_dir(parser, "bench-import")
    parser.add_argument(
        "--phase", choices=["raw", "dry", "upload", "check", "commit"], help=argparse.SUPPRESS
    )
    return parser.parse_args()


def setup_django(data_dir: Path) -> None:
    os.environ.setdefault("PILAR_IMPORT_MAX_MB", "200")  # the bench's roster is larger
    common.setup_django(data_dir)


def empty_database(data_dir: Path) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(settings.DATABASES["default"]["NAME"]) + suffix).unlink(missing_ok=True)
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    call_command("migrate", verbosity=0)


def write_roster(path: Path, rows: int) -> None:
    """The roster as an office would send it after filling the template."""
    import xlsxwriter

    from pilar.lib.nik import make_nik
    from pilar.regions.models import Area
    from pilar.registry.roster import roster_headers

    kelurahan = list(Area.objects.filter(level=Area.Level.KELURAHAN).select_related("parent"))
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Pilar")
    date = book.add_format({"num_format": "dd-mm-yyyy"})
    sheet.write_row(0, 0, roster_headers())
    base = datetime.date(1955, 1, 1)
    start = datetime.date(2024, 1, 1)
    for i in range(rows):
        kel = kelurahan[i % len(kelurahan)]
        born = base + datetime.timedelta(days=i % 18000)  # (born, serial) is unique per row
        sex = "P" if i % 2 else "L"
        nik = make_nik(area6=kel.code_digits[:6], birth_date=born, sex=sex, serial=i // 18000 + 1)
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // 7) % len(LAST)]} {i}"
        kind = "TAGANA" if i % 50 == 0 else "KARANG_TARUNA" if i % 10 == 0 else "PSM"
        r = i + 1
        sheet.write_string(r, 0, nik)
        sheet.write_string(r, 1, name)
        sheet.write_string(r, 2, sex)
        sheet.write_string(r, 3, "Bukittinggi")
        sheet.write_datetime(r, 4, datetime.datetime.combine(born, datetime.time()), date)
        sheet.write_string(r, 5, f"Jl. Contoh No. {i % 200}")
        sheet.write_string(r, 6, kel.name)
        sheet.write_string(r, 7, f"0812{i:08d}")
        sheet.write_string(r, 8, "SMA")
        sheet.write_string(r, 9, "Bank Nagari")
        sheet.write_string(r, 10, f"{1000000000 + i}")
        sheet.write_string(r, 11, name)
        sheet.write_string(r, 12, kind)
        if kind != "TAGANA":
            sheet.write_string(r, 13, kel.parent.name)
            if kind != "TAGANA":
                sheet.write_string(r, 14, kel.name)
        sheet.write_string(r, 15, f"188.45/{i}/WAKO-2024")
        sheet.write_datetime(r, 16, datetime.datetime(2023, 12, 20), date)
        sheet.write_string(r, 17, "Wali Kota Bukittinggi")
        sheet.write_datetime(r, 18, datetime.datetime.combine(start, datetime.time()), date)
    book.close()


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median seconds of `repeat` calls, no warm-up (unlike common.timed), and the last result."""
    runs, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), result


def raw_read(path: Path) -> int:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    count = 0
    for _row in book.get_sheet_by_index(0).iter_rows():
        count += 1
    book.close()
    return count


def peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of the largest reading process it forked
    (the child's figure includes pages it shares with this process)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def phase_raw(path: Path, rows: int, repeat: int) -> dict:
    """(a) the floor."""
    log("(a) raw read with python-calamine")
    raw_s, count = timed(lambda: raw_read(path), repeat)
    assert count == rows + 1, count
    log(f"    {raw_s:.2f} s")
    return {"a_raw_read_s": round(raw_s, 3)}


def phase_dry(path: Path, rows: int, repeat: int) -> dict:
    """(b) the dry run of `pilar import-roster`."""
    from pilar.imports import services

    log("(b) dry run: the whole check, nothing stored")
    check_s, result = timed(lambda: services.check_in_memory(path, user=None), repeat)
    summary = result[0]
    assert (summary.rows, summary.new, summary.rejected) == (rows, rows, 0), summary
    log(f"    {check_s:.2f} s")
    return {"b_dry_run_s": round(check_s, 3)}


def phase_upload(path: Path, rows: int, repeat: int) -> dict:
    """(c) 1: the upload and first look, as the web process does it."""
    from pilar.audit.services import Actor
    from pilar.imports import services

    log("(c) upload, stored check and commit into the empty database")
    by = Actor.system()
    t0 = time.perf_counter()
    with path.open("rb") as fh:
        batch = services.import_upload(by=by, upload=fh, filename=path.name)
    services.import_set_mapping(by=by, batch=batch, mapping=batch.mapping)
    return {"c_upload_and_first_look_s": round(time.perf_counter() - t0, 2)}


def phase_check(path: Path, rows: int, repeat: int) -> dict:
    """(c) 2: the stored check, as the task worker does it."""
    from pilar.imports import services
    from pilar.imports.models import Import

    batch = Import.objects.get(status=Import.Status.CHECKING)
    t0 = time.perf_counter()
    batch = services.import_check(batch_id=batch.pk)
    assert batch.status == Import.Status.PREVIEW, batch.message
    stored_check_s = time.perf_counter() - t0
    log(f"    stored check {stored_check_s:.1f} s")
    return {"c_stored_check_s": round(stored_check_s, 2)}


def phase_commit(path: Path, rows: int, repeat: int) -> dict:
    """(c) 3: the commit, as the task worker does it."""
    from pilar.audit.services import Actor
    from pilar.imports.commit import import_commit, import_request_commit
    from pilar.imports.models import Import
    from pilar.registry.models import Assignment, Person

    by = Actor.system()
    batch = Import.objects.get(status=Import.Status.PREVIEW)
    import_request_commit(by=by, batch=batch, accept_warnings=True, accept_rejected=False)
    t0 = time.perf_counter()
    batch = import_commit(batch_id=batch.pk, by=by)
    commit_s = time.perf_counter() - t0
    assert batch.status == Import.Status.COMMITTED, batch.message
    people, duties = Person.objects.count(), Assignment.objects.count()
    assert (people, duties) == (rows, rows), (people, duties)
    log(f"    commit {commit_s:.1f} s")
    return {"c_commit_s": round(commit_s, 2), "people": people, "duties": duties}


PHASES = {
    "raw": phase_raw,
    "dry": phase_dry,
    "upload": phase_upload,
    "check": phase_check,
    "commit": phase_commit,
}


def run_phase(args: argparse.Namespace, phase: str) -> dict:
    """Run one phase in a fresh process, so that its memory is its own."""
    command = [
        sys.executable,
        __file__,
        "--rows",
        str(args.rows),
        "--repeat",
        str(args.repeat),
        "--data-dir",
        str(args.data_dir),
        "--phase",
        phase,
    ]
    out = subprocess.run(command, check=False, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    if out.returncode:
        raise SystemExit(f"phase {phase} failed")
    return json.loads(out.stdout)


def main() -> None:
    args = parse_args()
    setup_django(args.data_dir)
    path = args.data_dir / f"roster-{args.rows}.xlsx"
    if args.phase:
        result = PHASES[args.phase](path, args.rows, args.repeat)
        own, reader = peak_mb()
        result[f"peak_{args.phase}_mb"] = {"main": round(own, 1), "reader": round(reader, 1)}
        print(json.dumps(result))
        return
    from django.db import connection

    log(f"emptying the {connection.vendor} database and migrating")
    empty_database(args.data_dir)
    log(f"writing {args.rows} rows to {path}")
    t0 = time.perf_counter()
    write_roster(path, args.rows)
    write_s = time.perf_counter() - t0
    connection.close()
    result = {
        "benchmark": "import",
        "database": connection.vendor,
        "rows": args.rows,
        "file_mb": round(path.stat().st_size / 1024 / 1024, 2),
        "write_file_s": round(write_s, 2),
    }
    for phase in PHASES:
        result |= run_phase(args, phase)
    result["b_ratio"] = round(result["b_dry_run_s"] / result["a_raw_read_s"], 2)
    # Each phase ran in a fresh process, as the web process and the task worker do; its reading
    # child was forked from it. Both peaks are added, as if reached at the same moment (an upper
    # bound: the child's figure also counts the pages it shares with its parent).
    peak = max(sum(result[f"peak_{p}_mb"].values()) for p in PHASES)
    result["peak_memory_mb"] = round(peak, 1)
    result["budget"] = {
        "b_ratio_max": MAX_RATIO,
        "commit_s_max": MAX_COMMIT_S,
        "peak_mb_max": MAX_PEAK_MB,
        "met": result["b_ratio"] <= MAX_RATIO
        and result["c_commit_s"] < MAX_COMMIT_S
        and peak < MAX_PEAK_MB,
    }
    result["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
