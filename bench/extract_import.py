#!/usr/bin/env python3
"""Benchmark: importing a 200,000-person DTSEN extract (about 60,000 households), against the
raw read of the same file.

    DATABASE_URL=postgres://... python3 bench/extract_import.py [--persons N] [--repeat R]

Writes an extract XLSX in the ministry's columns (pilar/dtsen/columns.py), written directly
with XlsxWriter for speed: households of 1 to 6 members (3.3 on average) in the 24 kelurahan
of Bukittinggi, valid KK numbers and NIKs, a head in each, deciles 1–10. Then times, each phase
in a fresh process (as the web process and the task worker run them):
  (a) the floor: opening the file with python-calamine and reading every row's cell values
      (median of R);
  (b) the dry run: the import's whole check of the file, nothing stored, as
      `pilar import-households FILE --dry-run` does it (median of R) — budget: within 3x of (a);
  (c) the commit into an empty database: the upload (as the web process), the stored check and
      the commit (one transaction; as the task worker), each in its own process — budget: the
      commit under 60 s;
  (d) a second import of the same file: upload and check, every household unchanged (and the
      request to save it refused: nothing to save);
and the peak memory of each phase's process and of the processes it forked (getrusage
RUSAGE_SELF and RUSAGE_CHILDREN) — budget: under 500 MB together. Uses DATABASE_URL when set
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
SIZES = [3, 4, 2, 5, 3, 1, 4, 3, 2, 6]  # members per household, in turn: 3.3 on average
FIRST = ["Siti", "Rina", "Dedi", "Budi", "Yuli", "Hendra", "Sari", "Rahmat", "Dewi", "Andi"]
LAST = ["Aminah", "Marlina", "Saputra", "Santoso", "Hidayat", "Lestari", "Pratama", "Utami"]
RELATIONS = ["Kepala Keluarga", "Istri", "Anak", "Anak", "Anak", "Orang Tua"]


def parse_args() -> argparse.Namespace:
    parser = common.new_parser(__doc__)
    parser.add_argument("--persons", type=int, default=200_000, help="rows (200,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of (a) and (b) (3)")
    common.add_data_dir(parser, "bench-extract")
    parser.add_argument(
        "--phase",
        choices=["raw", "dry", "upload", "check", "commit", "again"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--households", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args()


def setup_django(data_dir: Path) -> None:
    common.setup_django(data_dir)  # the import's limits as deployed (a 200,000-person file fits)


def empty_database() -> None:
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


def write_extract(path: Path, persons: int) -> tuple[int, int]:
    """The extract as the ministry sends it; (households, persons) written."""
    import xlsxwriter

    from pilar.dtsen.columns import EXTRACT_COLUMNS
    from pilar.lib.nik import make_nik
    from pilar.regions.models import Area

    kelurahan = list(
        Area.objects.filter(level=Area.Level.KELURAHAN, code__startswith="13.75.")
        .select_related("parent")
        .order_by("code")
    )
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("DTSEN")
    date = book.add_format({"num_format": "dd-mm-yyyy"})
    sheet.write_row(0, 0, [c.header for c in EXTRACT_COLUMNS])
    serials: dict[tuple, int] = {}
    row = household = 0
    while row < persons:
        kel = kelurahan[household % len(kelurahan)]
        area6 = kel.code_digits[:6]
        issued = datetime.date(2010, 1, 1) + datetime.timedelta(days=household // 9000)
        kk = f"{area6}{issued:%d%m%y}{household % 9000 + 1:04d}"
        size = min(SIZES[household % len(SIZES)], persons - row)
        head_born = datetime.date(1950, 1, 1) + datetime.timedelta(days=(household * 7) % 12000)
        cells = {
            "dtsen_id": f"3375{household + 1:012d}",
            "kk_number": kk,
            "address": f"Jl. Contoh No. {household % 300 + 1}",
            "rt_rw": f"{household % 9 + 1:03d}/{household % 5 + 1:03d}",
            "area_code": kel.code,
            "kelurahan": kel.name,
            "kecamatan": kel.parent.name,
            "decile": household % 10 + 1,
        }
        for m in range(size):
            relation = RELATIONS[m]
            sex = "P" if m == 1 or (m > 1 and (household + m) % 2) else "L"
            if m == 0 or m == 1:
                born = head_born + datetime.timedelta(days=400 * m)
            elif m == 5:
                born = head_born - datetime.timedelta(days=9000)
            else:
                born = head_born + datetime.timedelta(days=8000 + 700 * m)
            key = (area6, born, sex)
            serials[key] = serials.get(key, 0) + 1
            nik = make_nik(area6=area6, birth_date=born, sex=sex, serial=serials[key])
            name = f"{FIRST[(row + m) % len(FIRST)]} {LAST[(row // 3) % len(LAST)]} {row}"
            row += 1
            values = {**cells, "nik": nik, "name": name, "relation": relation, "sex": sex}
            for col, column in enumerate(EXTRACT_COLUMNS):
                if column.key == "birth_date":
                    when = datetime.datetime.combine(born, datetime.time())
                    sheet.write_datetime(row, col, when, date)
                elif column.key == "decile":
                    sheet.write_number(row, col, values["decile"])
                else:
                    sheet.write_string(row, col, values[column.key])
        household += 1
    book.close()
    return household, row


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median seconds of `repeat` calls, no warm-up (as bench/import.py), and the last result."""
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
    for row in book.get_sheet_by_index(0).iter_rows():
        count += len(row) > 0
    book.close()
    return count


def peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of the largest process it forked."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def phase_raw(path: Path, args) -> dict:
    """(a) the floor."""
    log("(a) raw read with python-calamine")
    raw_s, count = timed(lambda: raw_read(path), args.repeat)
    assert count == args.persons + 1, count
    log(f"    {raw_s:.2f} s")
    return {"a_raw_read_s": round(raw_s, 3)}


def phase_dry(path: Path, args) -> dict:
    """(b) the dry run: the check of every row and household, nothing stored."""
    from pilar.dtsen import services

    log("(b) dry run: the whole check, nothing stored")
    check_s, dry = timed(lambda: services.check_in_memory(path), args.repeat)
    households = dry.summary["households"]
    assert households["new"] == args.households and dry.summary["rows_rejected"] == 0, dry.summary
    log(f"    {check_s:.2f} s")
    return {"b_dry_run_s": round(check_s, 3), "b_summary": dry.summary}


def _upload(path: Path, label: str) -> tuple[dict, object]:
    """Upload and mapping (as guessed) of `path`, as the web process does them."""
    from pilar.audit.services import Actor
    from pilar.dtsen import services

    by = Actor.system()
    t0 = time.perf_counter()
    with path.open("rb") as fh:
        batch = services.extract_upload(by=by, upload=fh, filename=path.name)
    batch = services.extract_set_mapping(
        by=by, batch=batch, header_row=batch.header_row, mapping=batch.mapping, as_of=None
    )
    return {f"{label}_upload_s": round(time.perf_counter() - t0, 2)}, batch


def _check(batch, label: str) -> tuple[dict, object]:
    """The stored check, as the task worker runs it."""
    from pilar.dtsen import services
    from pilar.dtsen.models import HouseholdImport

    t0 = time.perf_counter()
    batch = services.extract_check(batch_id=batch.pk)
    assert batch.status == HouseholdImport.Status.PREVIEW, (batch.status, batch.message)
    times = {f"{label}_check_s": round(time.perf_counter() - t0, 2)}
    log(f"    {times}")
    return times, batch


def phase_upload(path: Path, args) -> dict:
    """(c) 1: the upload and first look, as the web process does it."""
    log("(c) upload, stored check and commit into the empty database")
    return _upload(path, "c")[0]


def phase_check(path: Path, args) -> dict:
    """(c) 2: the stored check, as the task worker does it."""
    from pilar.dtsen.models import HouseholdImport

    return _check(HouseholdImport.objects.get(status=HouseholdImport.Status.CHECKING), "c")[0]


def phase_commit(path: Path, args) -> dict:
    """(c) 3: the commit, as the task worker does it."""
    from pilar.audit.services import Actor
    from pilar.casework.models import Household, HouseholdMember
    from pilar.dtsen import services
    from pilar.dtsen.models import HouseholdImport

    by = Actor.system()
    batch = HouseholdImport.objects.get(status=HouseholdImport.Status.PREVIEW)
    batch = services.extract_request_commit(by=by, batch=batch, accept_valid=False)
    t0 = time.perf_counter()
    batch = services.extract_commit(batch_id=batch.pk, by=by)
    assert batch.status == HouseholdImport.Status.COMMITTED, (batch.status, batch.message)
    commit_s = time.perf_counter() - t0
    log(f"    commit {commit_s:.1f} s")
    households, members = Household.objects.count(), HouseholdMember.objects.count()
    assert (households, members) == (args.households, args.persons), (households, members)
    return {"c_commit_s": round(commit_s, 2), "members": members, "c_summary": batch.summary}


def phase_again(path: Path, args) -> dict:
    """(d) the same file again: every household unchanged, so there is nothing to save (the
    request to save is refused with that reason)."""
    from django.core.exceptions import ValidationError

    from pilar.audit.services import Actor
    from pilar.dtsen import services

    log("(d) the same extract again: upload and check in one process")
    times, batch = _upload(path, "d")
    more, batch = _check(batch, "d")
    times |= more
    households = {k: n for k, n in batch.summary["households"].items() if n}
    assert households == {"unchanged": args.households}, batch.summary
    try:
        services.extract_request_commit(by=Actor.system(), batch=batch, accept_valid=False)
    except ValidationError as refused:
        times["d_commit_refused"] = " ".join(refused.messages)
    return {**times, "d_households": households}


PHASES = {
    "raw": phase_raw,
    "dry": phase_dry,
    "upload": phase_upload,
    "check": phase_check,
    "commit": phase_commit,
    "again": phase_again,
}


def run_phase(args: argparse.Namespace, phase: str) -> dict:
    """Run one phase in a fresh process, so that its memory is its own."""
    command = [sys.executable, __file__, "--persons", str(args.persons)]
    command += ["--households", str(args.households)]
    command += ["--repeat", str(args.repeat), "--data-dir", str(args.data_dir), "--phase", phase]
    out = subprocess.run(command, check=False, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    if out.returncode:
        raise SystemExit(f"phase {phase} failed")
    return json.loads(out.stdout)


def main() -> None:
    args = parse_args()
    setup_django(args.data_dir)
    path = args.data_dir / f"extract-{args.persons}.xlsx"
    if args.phase:
        result = PHASES[args.phase](path, args)
        own, forked = peak_mb()
        result[f"peak_{args.phase}_mb"] = {"main": round(own, 1), "forked": round(forked, 1)}
        print(json.dumps(result, default=str))
        return
    from django.db import connection

    log(f"emptying the {connection.vendor} database and migrating")
    empty_database()
    log(f"writing {args.persons:,} persons to {path}")
    t0 = time.perf_counter()
    households, persons = write_extract(path, args.persons)
    args.households = households
    write_s = time.perf_counter() - t0
    connection.close()
    result = {
        "benchmark": "extract_import",
        "database": connection.vendor,
        "persons": persons,
        "households": households,
        "file_mb": round(path.stat().st_size / 1024 / 1024, 2),
        "write_file_s": round(write_s, 2),
        "load_before": os.getloadavg(),
    }
    for phase in PHASES:
        result |= run_phase(args, phase)
    result["load_after"] = os.getloadavg()
    result["b_ratio"] = round(result["b_dry_run_s"] / result["a_raw_read_s"], 2)
    # Both peaks of a phase added, as if reached at the same moment (an upper bound: a forked
    # child's figure also counts the pages it shares with its parent).
    peak = max(sum(result[f"peak_{p}_mb"].values()) for p in PHASES)
    result["peak_memory_mb"] = round(peak, 1)
    result["budget"] = {
        "b_ratio_max": MAX_RATIO,
        "commit_s_max": MAX_COMMIT_S,
        "peak_mb_max": MAX_PEAK_MB,
        "b_met": result["b_ratio"] <= MAX_RATIO,
        "commit_met": result["c_commit_s"] < MAX_COMMIT_S,
        "memory_met": peak < MAX_PEAK_MB,
    }
    result["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
