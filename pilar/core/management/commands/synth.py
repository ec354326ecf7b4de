"""`pilar synth`: a synthetic, country-sized registry for benchmarks (pilar/core/synth/).

Builds an area tree (provinces, kabupaten, kecamatan, desa) under real province codes that hold
no real areas (never 13, Sumatera Barat), then N people with valid NIKs and one duty each:
one active TKSK per kecamatan (and some ended predecessors), Tagana and Penyuluh at city level,
Pendamping KUBE/PKH at kecamatan level, PSM and Karang Taruna in the desa. About 10% of the
duties ended before the bench date, 2% start after it and 5% end after it.

The rows are written straight into the tables (COPY on PostgreSQL, executemany elsewhere) in one
transaction; the registry services and the audit log are bypassed on purpose.

With `--national` the tree has the country's shape instead: the 37 provinces besides Sumatera
Barat under their Kemendagri codes, 514 kab/kota, 7,196 kecamatan and 82,754 desa, and an office
for each synthetic kab/kota and province plus a national one at the top (docs/SCALE.md);
`--offices N` keeps only the first N kab/kota, the same ones drawn from the same numbers, so one
office's data is identical in a database of 1 office and one of 514.

Synthetic provinces are recognised by the suffix " [synth]" on their name; every area under such a
province, every person residing there and every duty held there or by such a person is
synthetic, and `--reset` deletes exactly those rows (and the synthetic offices).
"""

from __future__ import annotations

import datetime
import os
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils.translation import gettext
from faker import Faker

from pilar.core.synth.areas import (
    NATIONAL_KABKOTA,
    Node,
    by_level,
    office_seed,
    plan_areas,
    plan_national,
    save_areas,
    synthetic_areas,
    synthetic_provinces,
)
from pilar.core.synth.casework import CASEWORK_MODELS, CaseworkMaker, synthetic_casework
from pilar.core.synth.offices import delete_offices, save_offices, synthetic_offices
from pilar.core.synth.people import (
    ASSIGNMENT_COLUMNS,
    FIRST_START,
    PERSON_COLUMNS,
    PeopleMaker,
    synthetic_assignments,
    synthetic_people,
)
from pilar.core.synth.tables import (
    CHUNK,
    Sink,
    columns,
    extra_columns,
    keys_and_indexes_suspended,
    next_id,
    overlap_triggers_suspended,
    raw_delete,
)
from pilar.lib.params import argument, parse_date, parse_int
from pilar.regions.models import Area, AreaAlias
from pilar.registry.models import Assignment, Person, PillarKind

BENCH_DATE = datetime.date(2025, 6, 30)
DEFAULT_SEED = 20250630


def _count(option: str):
    """How many rows of a kind to make: 0 up to 100 million."""
    return argument(parse_int, option, low=0, high=100_000_000)


def delete_synthetic(codes: list[str]) -> dict[str, int]:
    """Delete every synthetic row (casework, duties, people, aliases, offices, areas); returns
    counts per table."""
    return {
        **{label: raw_delete(qs) for label, qs in synthetic_casework(codes)},
        "assignments": raw_delete(synthetic_assignments(codes)),
        "people": raw_delete(synthetic_people(codes)),
        "aliases": raw_delete(AreaAlias.objects.filter(area__in=synthetic_areas(codes))),
        "offices": delete_offices(codes),
        "areas": raw_delete(synthetic_areas(codes)),
    }


def _fmt(n: int) -> str:
    return f"{n:,}"


class Command(BaseCommand):
    help = (
        "Generate a synthetic country-sized registry for benchmarks: an area tree under free real "
        "province codes (marked ' [synth]'), people with valid NIKs and one duty each (a tenth "
        "ended before --as-of). Writes the tables directly in one transaction (COPY on "
        "PostgreSQL): no registry services, no audit entries. Refuses to run when synthetic "
        "areas exist unless --reset, which first deletes every synthetic row (--reset --people 0 "
        "only deletes; --people 0 alone creates just the area tree)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--people", type=_count("--people"), default=1_000_000, help="default 1,000,000"
        )
        parser.add_argument(
            "--households",
            type=_count("--households"),
            default=0,
            help="casework: households in the synthetic desa, with heads and caseloads (0)",
        )
        parser.add_argument(
            "--activities",
            type=_count("--activities"),
            default=0,
            help="casework: PSM activities over the year before --as-of and up to it, with "
            "their households and monthly reports (0)",
        )
        parser.add_argument(
            "--seed", type=argument(parse_int, "--seed", low=0, high=2**32), default=DEFAULT_SEED
        )
        parser.add_argument(
            "--provinces",
            type=argument(parse_int, "--provinces", low=1, high=27),
            default=10,
            help="default 10",
        )
        parser.add_argument(
            "--cities",
            type=argument(parse_int, "--cities", low=1, high=29),
            default=5,
            help="kabupaten per province (5)",
        )
        parser.add_argument(
            "--kecamatan",
            type=argument(parse_int, "--kecamatan", low=1, high=99),
            default=10,
            help="per kabupaten (10)",
        )
        parser.add_argument(
            "--kelurahan",
            type=argument(parse_int, "--kelurahan", low=1, high=999),
            default=10,
            help="desa per kecamatan (10)",
        )
        parser.add_argument(
            "--as-of",
            type=argument(parse_date, "--as-of", low=FIRST_START + datetime.timedelta(days=366)),
            default=BENCH_DATE,
            help=f"the date the active/ended mix is built around (default {BENCH_DATE})",
        )
        parser.add_argument(
            "--national",
            action="store_true",
            help=f"the country's shape: 37 provinces, {NATIONAL_KABKOTA} kab/kota each with an "
            "office, 14 kecamatan each, 11-12 desa per kecamatan (--provinces, --cities, "
            "--kecamatan and --kelurahan are then not used)",
        )
        parser.add_argument(
            "--offices",
            type=argument(parse_int, "--offices", low=1, high=NATIONAL_KABKOTA),
            default=NATIONAL_KABKOTA,
            help=f"with --national: only the first N kab/kota and their offices "
            f"({NATIONAL_KABKOTA})",
        )
        parser.add_argument("--reset", action="store_true", help="delete synthetic rows first")
        parser.add_argument(
            "--dry-run", action="store_true", help="generate everything, write nothing"
        )

    def handle(self, *args, **o):
        if os.environ.get("PILAR_ALLOW_SYNTH") != "1":
            raise CommandError(
                gettext(
                    "synth writes a million unaudited rows into this database's registry; it is "
                    "for benchmark databases only. Set PILAR_ALLOW_SYNTH=1 to confirm (bench/ "
                    "does)."
                )
            )
        started = time.perf_counter()
        people, dry_run, as_of = o["people"], o["dry_run"], o["as_of"]
        for name, top in (("provinces", 27), ("cities", 29), ("kecamatan", 99), ("kelurahan", 999)):
            if not 1 <= o[name] <= top:
                raise CommandError(
                    gettext("--%(name)s must be between 1 and %(top)s.")
                    % {"name": name, "top": top}
                )
        if min(people, o["households"], o["activities"]) < 0:
            raise CommandError(
                gettext("--people, --households and --activities must be 0 or more.")
            )
        if (o["households"] or o["activities"]) and not people:
            raise CommandError(gettext("Casework needs pillars: give --people with --households."))
        kinds = {k.code: k for k in PillarKind.objects.all()}
        if "PSM" not in kinds:
            raise CommandError(gettext("The pillar kinds are missing: run `pilar migrate` first."))
        existing = synthetic_provinces()
        if existing and not o["reset"]:
            if people > 0:
                raise CommandError(
                    gettext(
                        "Synthetic areas already exist (provinces %(codes)s); pass --reset to "
                        "delete the synthetic rows and generate them again."
                    )
                    % {"codes": ", ".join(existing)}
                )
            self.stdout.write("synth: synthetic areas already exist; nothing to do")
            return

        rng = random.Random(o["seed"])
        fake = Faker("id_ID")
        fake.seed_instance(o["seed"])
        sink = Sink(dry_run)
        notes = []
        with transaction.atomic():
            if connection.vendor == "postgresql":  # hash joins over millions of ids
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL work_mem = '256MB'")
            if existing:
                if dry_run:
                    casework = ", ".join(
                        f"{_fmt(qs.count())} {label}" for label, qs in synthetic_casework(existing)
                    )
                    notes.append(
                        f"would delete {casework}, "
                        f"{_fmt(synthetic_assignments(existing).count())} "
                        f"assignments, {_fmt(synthetic_people(existing).count())} people, "
                        f"{_fmt(synthetic_offices(existing).count())} offices, "
                        f"{_fmt(synthetic_areas(existing).count())} areas"
                    )
                else:
                    gone = delete_synthetic(existing)
                    notes.append(
                        f"deleted {_fmt(gone['households'])} households, "
                        f"{_fmt(gone['activities'])} activities, "
                        f"{_fmt(gone['monthly reports'])} monthly reports, "
                        f"{_fmt(gone['assignments'])} assignments, "
                        f"{_fmt(gone['people'])} people, {_fmt(gone['offices'])} offices, "
                        f"{_fmt(gone['areas'])} areas"
                    )
            if o["reset"] and people == 0:  # a clean-up: nothing new is generated
                self.stdout.write(f"synth: {'; '.join(notes) or 'no synthetic rows to delete'}")
                return
            taken = set(
                Area.objects.filter(level=Area.Level.PROVINCE).values_list("code", flat=True)
            )
            if dry_run:
                taken -= set(existing)
            tree = self.plan(rng, fake, taken, o)
            levels = by_level(tree)
            offices = 0
            if dry_run:
                for level in levels.values():  # stand-in ids; nothing is saved
                    for i, node in enumerate(level, start=1):
                        node.pk = i
            else:
                save_areas(levels)
                if o["national"]:
                    offices = save_offices(levels)
            suspended = CASEWORK_MODELS if o["households"] or o["activities"] else ()
            with (
                overlap_triggers_suspended(dry_run),
                keys_and_indexes_suspended(suspended, dry_run),
            ):
                tally, casework = self.fill(levels[3], people, rng, fake, kinds, as_of, sink, o)
            if connection.vendor == "postgresql" and not dry_run:
                written = [Person, Assignment, *CASEWORK_MODELS]
                with connection.cursor() as cursor:
                    for sql in connection.ops.sequence_reset_sql(no_style(), written):
                        cursor.execute(sql)
                    tables = (Area, *written)
                    qn = connection.ops.quote_name
                    cursor.execute(f"ANALYZE {', '.join(qn(m._meta.db_table) for m in tables)}")
        n_areas = sum(len(v) for v in levels.values())
        kinds_txt = ", ".join(f"{k} {_fmt(n)}" for k, n in tally.by_kind.items() if n)
        self.stdout.write(
            f"synth{' (dry run, nothing written)' if dry_run else ''}: "
            + (f"{'; '.join(notes)}; " if notes else "")
            + f"{_fmt(n_areas)} areas ({len(levels[1])} provinces "
            f"{', '.join(n.code for n in tree)}; "
            f"{_fmt(len(levels[2]))} kab/kota, {_fmt(len(levels[3]))} kecamatan, "
            f"{_fmt(len(levels[4]))} desa{f', {_fmt(offices)} offices' if offices else ''}), "
            f"{_fmt(tally.people)} people, "
            f"{_fmt(tally.people)} assignments ({_fmt(tally.active)} active on {as_of}, "
            f"{_fmt(tally.ended)} ended before, {_fmt(tally.future)} starting after; "
            f"{kinds_txt})"
            + (
                f"; {_fmt(casework.households)} households, {_fmt(casework.caseloads)} open "
                f"caseloads, {_fmt(casework.activities)} activities with "
                f"{_fmt(casework.links)} household links, {_fmt(casework.reports)} monthly reports"
                if casework
                else ""
            )
            + f" on {connection.vendor} in {time.perf_counter() - started:.1f} s"
        )

    @staticmethod
    def plan(rng, fake, taken: set[str], o) -> list[Node]:
        """The synthetic area tree: the country's shape with --national, else the sizes asked."""
        if o["national"]:
            return plan_national(rng, fake, seed=o["seed"], offices=o["offices"], taken=taken)
        return plan_areas(
            rng, fake, provinces=o["provinces"], cities=o["cities"], kecamatan=o["kecamatan"],
            kelurahan=o["kelurahan"], taken=taken,
        )  # fmt: skip

    def fill(self, kecamatan: list[Node], people: int, rng, fake, kinds, as_of, sink, o):
        """People and duties, kecamatan by kecamatan, and their casework when asked for; returns
        the two tallies (the second None without casework)."""
        maker = PeopleMaker(rng, fake, kinds, as_of)
        if people == 0:
            return maker.tally, None
        casework = None
        if o["households"] or o["activities"]:
            casework = CaseworkMaker(
                rng, sink=sink, kinds=kinds, as_of=as_of, households=o["households"],
                activities=o["activities"], kecamatan=len(kecamatan),
                names=(maker.male, maker.female, maker.last), streets=maker.streets,
                now=maker.now,
            )  # fmt: skip
        person_cols, person_extra = extra_columns(Person, PERSON_COLUMNS)
        duty_cols, duty_extra = extra_columns(Assignment, ASSIGNMENT_COLUMNS)
        person_cols = columns(Person, PERSON_COLUMNS) + person_cols
        duty_cols = columns(Assignment, ASSIGNMENT_COLUMNS) + duty_cols
        if connection.vendor == "postgresql" and not sink.dry_run:
            qn = connection.ops.quote_name
            with connection.cursor() as cursor:
                locked = (Person, Assignment, *(CASEWORK_MODELS if casework else ()))
                tables = ", ".join(qn(m._meta.db_table) for m in locked)
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        person_id = next_id(Person) if not sink.dry_run else 1
        duty_id = next_id(Assignment) if not sink.dry_run else 1
        base, extra = divmod(people, len(kecamatan))
        p_rows: list[tuple] = []
        d_rows: list[tuple] = []
        city = None
        for i, kec in enumerate(kecamatan):
            if o["national"] and kec.parent is not city:  # each office's rows from its own seed
                city = kec.parent
                rng.seed(office_seed(o["seed"], city.code))
            n = base + (1 if i < extra else 0)
            ps, ds = maker.kecamatan_rows(kec, n, person_id, duty_id)
            person_id += n
            duty_id += n
            if person_extra:
                ps = [r + person_extra for r in ps]
            if duty_extra:
                ds = [r + duty_extra for r in ds]
            p_rows += ps
            d_rows += ds
            if len(p_rows) >= CHUNK or i == len(kecamatan) - 1:
                sink.write(Person, person_cols, p_rows)
                sink.write(Assignment, duty_cols, d_rows)
                p_rows, d_rows = [], []
            if casework is not None:
                casework.kecamatan(kec, ds)
        if casework is not None:
            casework.flush()
            return maker.tally, casework.tally
        return maker.tally, None
