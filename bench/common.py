"""What the bench scripts share: progress on stderr, the Django setup in the bench's own data
directory, the common options, the guard against real data, `synth` when the synthetic registry
has the wrong size, statistics, timing, profiling and the machine's description.

Not a benchmark: the scripts import it as `common` (their own directory is on sys.path).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTED = time.perf_counter()
_elapsed = False


def log(message: str) -> None:
    """Progress on stderr; after `log_elapsed()`, each line starts with the seconds since the
    script started."""
    if _elapsed:
        message = f"[{time.perf_counter() - STARTED:6.1f} s] {message}"
    print(message, file=sys.stderr, flush=True)


def log_elapsed() -> None:
    """From now on `log` writes the seconds since the script started before each line."""
    global _elapsed
    _elapsed = True


# --- options ----------------------------------------------------------------------------------


def new_parser(doc: str) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of the script's docstring."""
    return argparse.ArgumentParser(description=doc.split("\n\n")[0])


def add_data_dir(parser: argparse.ArgumentParser, name: str) -> None:
    """--data-dir, by default var/`name` in the repository."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=ROOT / "var" / name,
        help=f"PILAR_DATA_DIR for the run (default var/{name})",
    )


def add_people(parser: argparse.ArgumentParser, default: int) -> None:
    """--people N: the size of the synthetic registry."""
    parser.add_argument("--people", type=int, default=default, help=f"pillars ({default:,})")


def add_profile(parser: argparse.ArgumentParser, what: str) -> None:
    """--profile N: the N costliest functions of `what` (words for the help)."""
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help=f"also print the N costliest functions of {what} to stderr",
    )


# --- Django and the database ------------------------------------------------------------------


def setup_django(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PILAR_DATA_DIR"] = str(data_dir.resolve())
    os.environ["DJANGO_SETTINGS_MODULE"] = "pilar.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def start(data_dir: Path) -> None:
    """Set Django up in `data_dir`, say which database the run uses and migrate it."""
    setup_django(data_dir)
    from django.core.management import call_command
    from django.db import connection

    name, data_dir = connection.settings_dict["NAME"], os.environ["PILAR_DATA_DIR"]
    log(f"bench: {connection.vendor} database {name} (data dir {data_dir})")
    call_command("migrate", verbosity=0)


def refuse_real_data(script: str, does: str = "", *, households: bool = False) -> None:
    """Stop unless every person (and with `households`, every household) in the database is
    synthetic. `script` and what it `does` to the data name the reason in the message."""
    from pilar.core.synth.areas import synthetic_areas, synthetic_provinces
    from pilar.core.synth.people import synthetic_people
    from pilar.registry.models import Person

    codes = synthetic_provinces()
    real = Person.objects.count() - (synthetic_people(codes).count() if codes else 0)
    held, real_households = f"{real:,} people", 0
    if households:
        from pilar.casework.models import Household

        areas = synthetic_areas(codes).values("id")
        real_households = Household.objects.exclude(area__in=areas).count()
        held += f" and {real_households:,} households"
    if real or real_households:
        raise SystemExit(
            f"bench: this database holds {held} that synth did not make; "
            f"{script} {does + ' and ' if does else ''}runs on benchmark databases only"
        )


def ensure_people(
    people: int, clear: Callable[[], None] | None = None, note: str = ""
) -> float | None:
    """Run `synth` unless the synthetic registry holds exactly `people`; its seconds. `clear`
    runs first (rows that protect the people synth deletes); `note` ends the progress line."""
    from django.core.management import call_command

    from pilar.core.synth.areas import synthetic_provinces
    from pilar.core.synth.people import synthetic_people

    os.environ["PILAR_ALLOW_SYNTH"] = "1"  # a benchmark database (refuse_real_data() checks)
    codes = synthetic_provinces()
    have = synthetic_people(codes).count() if codes else 0
    if have == people:
        log(f"bench: {have:,} synthetic people already there")
        return None
    log(f"bench: {have:,} synthetic people, want {people:,}: running synth{note}")
    if clear is not None:
        clear()
    started = time.perf_counter()
    call_command("synth", people=people, reset=True, stdout=sys.stderr)
    return time.perf_counter() - started


def ensure_national(
    offices: int, *, people: int, households: int, activities: int, clear: Callable[[], None]
) -> float | None:
    """Run `synth --national --offices N` unless the synthetic registry already has that shape
    (N kab/kota offices, `people`, `households`, `activities`); its seconds. `clear` runs first
    (the bench's own rows that hold synthetic people or offices)."""
    from django.core.management import call_command

    from pilar.casework.models import Activity, Household
    from pilar.core.synth.areas import synthetic_areas, synthetic_provinces
    from pilar.core.synth.offices import synthetic_offices
    from pilar.core.synth.people import synthetic_people

    os.environ["PILAR_ALLOW_SYNTH"] = "1"  # a benchmark database (refuse_real_data() checks)
    codes = synthetic_provinces()
    have = (0, 0, 0, 0)
    if codes:
        areas = synthetic_areas(codes).values("id")
        have = (
            synthetic_offices(codes).filter(area__level=2).count(),
            synthetic_people(codes).count(),
            Household.objects.filter(area__in=areas).count(),
            Activity.objects.filter(area__in=areas).count(),
        )
    want = (offices, people, households, activities)
    if have == want:
        log(f"bench: the national registry is there ({offices} offices, {people:,} people)")
        return None
    log(f"bench: synthetic registry {have}, want {want} (offices, people, households, "
        "activities): running synth --national")  # fmt: skip
    clear()
    started = time.perf_counter()
    call_command(
        "synth", national=True, offices=offices, people=people, households=households,
        activities=activities, reset=True, stdout=sys.stderr,
    )  # fmt: skip
    return time.perf_counter() - started


def start_synthetic(
    data_dir: Path, people: int, script: str, does: str, clear: Callable[[], None]
) -> float | None:
    """`start`, `refuse_real_data(script, does)`, then `ensure_people(people, clear)`: a
    migrated database holding only the synthetic registry of `people`; synth's seconds."""
    start(data_dir)
    refuse_real_data(script, does)
    return ensure_people(people, clear)


def vacuum(*labels: str) -> None:
    """Statistics as autovacuum leaves them: on PostgreSQL VACUUM (ANALYZE) of every table of
    the apps `labels`, on SQLite ANALYZE."""
    from django.apps import apps
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
            return
        qn = connection.ops.quote_name
        for label in labels:
            for model in apps.get_app_config(label).get_models(include_auto_created=True):
                cursor.execute(f"VACUUM (ANALYZE) {qn(model._meta.db_table)}")


def bench_user(username: str, role: str):
    """The bench's account `username` with `role` everywhere, read afresh."""
    from pilar.accounts.models import RoleGrant, User

    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save()
    RoleGrant.objects.get_or_create(user=user, role=role, area=None)
    return User.objects.get(pk=user.pk)


# --- measuring --------------------------------------------------------------------------------


def timed(fn, repeat: int) -> tuple[float, list[float], object]:
    """Median milliseconds of `repeat` calls after one warm-up, all timings, the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), times, result


def profiled(fn, n: int, sorts: tuple[str, ...] = ("cumulative", "tottime")) -> str:
    """The `n` costliest functions of one call of `fn` (cProfile), by each of `sorts`."""
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    for key in sorts:
        stats.sort_stats(key).print_stats(n)
    return out.getvalue()


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
