"""`pilar synth`: a synthetic, country-sized registry for benchmarks.

Builds an area tree (provinces, kabupaten, kecamatan, desa) under real province codes that hold
no real areas (never 13, Sumatera Barat), then N people with valid NIKs and one duty each:
one active TKSK per kecamatan (and some ended predecessors), Tagana and Penyuluh at city level,
Pendamping KUBE/PKH at kecamatan level, PSM and Karang Taruna in the desa. About 10% of the
duties ended before the bench date, 2% start after it and 5% end after it.

The rows are written straight into the tables (COPY on PostgreSQL, executemany elsewhere) in one
transaction; the registry services and the audit log are bypassed on purpose.

Synthetic provinces are recognised by the suffix " [synth]" on their name; every area under such a
province, every person residing there and every duty held there or by such a person is
synthetic, and `--reset` deletes exactly those rows.
"""

from __future__ import annotations

import datetime
import os
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from faker import Faker
from stdnum import numdb

from pilar.casework.models import Activity, Caseload, Household, HouseholdMember, MonthlyReport
from pilar.lib.nik import make_nik
from pilar.lib.params import argument, parse_date, parse_int
from pilar.regions.models import Area, AreaAlias
from pilar.registry.models import Assignment, Person, PillarKind

MARK = " [synth]"
CASEWORK_MODELS = (
    Household, HouseholdMember, Caseload, Activity, Activity.households.through, MonthlyReport,
)  # fmt: skip
BENCH_DATE = datetime.date(2025, 6, 30)
DEFAULT_SEED = 20250630
CHUNK = 20_000

# Real province codes python-stdnum knows, so that NIKs made from them validate. 13 (Sumatera
# Barat, where the office's own data lives) is deliberately absent.
PROVINCE_CODES = (
    "11", "12", "14", "15", "16", "17", "18", "19", "32", "33", "35", "51", "52", "53", "61",
    "62", "63", "64", "71", "72", "73", "74", "75", "76", "81", "82", "91",
)  # fmt: skip

# Share of the people (besides one TKSK per kecamatan) holding each kind of duty.
KIND_WEIGHTS = {
    "PSM": 80.0,
    "KARANG_TARUNA": 6.0,
    "TAGANA": 4.0,
    "PENDAMPING_PKH": 4.0,
    "PENDAMPING_KUBE": 3.0,
    "PENYULUH_SOSIAL": 1.5,
    "PELOPOR_PERDAMAIAN": 1.5,
}
ENDED_SHARE = 0.10  # ended before the bench date
FUTURE_SHARE = 0.02  # start after the bench date
ENDING_LATER_SHARE = 0.05  # active on the bench date, with an end date after it
FIRST_START = datetime.date(2014, 1, 1)
END_REASONS = [r.value for r in Assignment.EndReason if r != Assignment.EndReason.OTHER]
EDUCATION = ["sma"] * 5 + ["smp", "smp", "d3", "s1", "s1", "sd"]
BANKS = ["BRI", "BNI", "Bank Mandiri", "BSI", "BTN", "Bank Nagari", "Bank Aceh", "Bank Jatim"]
PLACE_WORDS = [
    "Koto", "Sungai", "Bukit", "Padang", "Tanjung", "Lubuk", "Air", "Pasar", "Pulau", "Muara",
    "Kampung", "Batu", "Teluk", "Simpang", "Tanah", "Pematang", "Rantau", "Ujung", "Talang",
]  # fmt: skip
STREET_PREFIXES = ("Jalan ", "Jl. ", "Gang ", "Gg. ")

PERSON_COLUMNS = (
    "id", "nik", "name", "sex", "birth_place", "birth_date", "address", "residence_id", "phone",
    "education", "bank_name", "bank_account", "bank_holder", "photo", "created_at", "updated_at",
)  # fmt: skip
ASSIGNMENT_COLUMNS = (
    "id", "person_id", "kind_id", "area_id", "sk_number", "sk_date", "sk_signer", "start_date",
    "end_date", "end_reason", "end_note", "override_reason", "created_at",
)  # fmt: skip


def _count(option: str):
    """How many rows of a kind to make: 0 up to 100 million."""
    return argument(parse_int, option, low=0, high=100_000_000)


@dataclass
class Node:
    code: str
    name: str
    level: int
    kind: str
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    pk: int | None = None


@dataclass
class Tally:
    people: int = 0
    active: int = 0
    ended: int = 0
    future: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


# --- finding and deleting synthetic rows -------------------------------------------------------


def synthetic_provinces() -> list[str]:
    """Codes of the synthetic provinces in the database."""
    return list(
        Area.objects.filter(level=Area.Level.PROVINCE, name__endswith=MARK).values_list(
            "code", flat=True
        )
    )


def synthetic_areas(codes: list[str]):
    q = reduce(or_, [Q(code=c) | Q(code__startswith=c + ".") for c in codes], Q(pk__in=[]))
    return Area.objects.filter(q)


def synthetic_people(codes: list[str]):
    return Person.objects.filter(residence__in=synthetic_areas(codes).values("id"))


def synthetic_assignments(codes: list[str]):
    areas = synthetic_areas(codes).values("id")
    return Assignment.objects.filter(
        Q(area__in=areas) | Q(person__in=synthetic_people(codes).values("id"))
    )


def _raw_delete(queryset) -> int:
    """DELETE the rows of `queryset` in one statement (no per-row collection, no signals)."""
    model = queryset.model
    sql, params = queryset.values("id").query.sql_with_params()
    qn = connection.ops.quote_name
    pk = qn(model._meta.pk.column)
    with connection.cursor() as cursor:
        # Identifiers come from model metadata and the subquery from the ORM, with params.
        table = qn(model._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({sql})", params)  # noqa: S608
        return cursor.rowcount


def synthetic_casework(codes: list[str]) -> list[tuple[str, object]]:
    """(label, queryset) of the synthetic casework rows, in the order they are deleted."""
    from pilar.casework.synth import casework_querysets

    return casework_querysets(synthetic_areas(codes))


def delete_synthetic(codes: list[str]) -> dict[str, int]:
    """Delete every synthetic row (casework, duties, people, aliases, areas); returns counts per
    table."""
    return {
        **{label: _raw_delete(qs) for label, qs in synthetic_casework(codes)},
        "assignments": _raw_delete(synthetic_assignments(codes)),
        "people": _raw_delete(synthetic_people(codes)),
        "aliases": _raw_delete(AreaAlias.objects.filter(area__in=synthetic_areas(codes))),
        "areas": _raw_delete(synthetic_areas(codes)),
    }


# --- the area tree -----------------------------------------------------------------------------


def _place_roots(fake: Faker, n: int) -> list[str]:
    roots = set()
    for _ in range(n):
        street = fake.street_name()
        for prefix in STREET_PREFIXES:
            street = street.removeprefix(prefix)
        roots.add(street)
    return sorted(roots)


def plan_areas(
    rng: random.Random, fake: Faker, *, provinces: int, cities: int, kecamatan: int,
    kelurahan: int, taken: set[str],
) -> list[Node]:  # fmt: skip
    """The synthetic tree (provinces with their descendants), not yet saved."""
    loc = numdb.get("id/loc")
    roots = _place_roots(fake, 2000)
    tree: list[Node] = []
    for pcode in PROVINCE_CODES:
        if len(tree) == provinces:
            break
        if pcode in taken:
            continue
        kabs = []
        for k in range(1, 71):  # kabupaten codes; kota start at 71
            info = loc.info(f"{pcode}{k:02d}")
            if len(info) == 2 and info[1][1].get("name_id"):
                kabs.append((f"{k:02d}", info[1][1]["name_id"].title()))
            if len(kabs) == cities:
                break
        if len(kabs) < cities:
            continue
        pname = loc.info(pcode)[0][1].get("name_id", pcode)
        province = Node(pcode, pname + MARK, 1, Area.Kind.PROVINSI)
        for kcode, kname in kabs:
            city = Node(f"{pcode}.{kcode}", kname, 2, Area.Kind.KABUPATEN, province)
            province.children.append(city)
            for c in range(1, kecamatan + 1):
                kec_name = f"{rng.choice(PLACE_WORDS)} {rng.choice(roots)}"
                kec = Node(f"{city.code}.{c:02d}", kec_name, 3, Area.Kind.KECAMATAN, city)
                city.children.append(kec)
                for d in range(1, kelurahan + 1):
                    name = f"{rng.choice(PLACE_WORDS)} {rng.choice(roots)}"
                    kec.children.append(
                        Node(f"{kec.code}.{2000 + d}", name, 4, Area.Kind.DESA, kec)
                    )
        tree.append(province)
    if len(tree) < provinces:
        raise CommandError(
            f"only {len(tree)} free province codes have {cities} regencies known to "
            f"python-stdnum; ask for fewer provinces or cities"
        )
    return tree


def by_level(tree: list[Node]) -> dict[int, list[Node]]:
    levels: dict[int, list[Node]] = {1: list(tree), 2: [], 3: [], 4: []}
    for level in (2, 3, 4):
        levels[level] = [c for n in levels[level - 1] for c in n.children]
    return levels


def save_areas(levels: dict[int, list[Node]]) -> None:
    for level in (1, 2, 3, 4):
        objs = [
            Area(
                code=n.code,
                name=n.name,
                level=n.level,
                kind=n.kind,
                parent_id=n.parent.pk if n.parent else None,
            )
            for n in levels[level]
        ]
        Area.objects.bulk_create(objs, batch_size=2000)
        for node, obj in zip(levels[level], objs, strict=True):
            node.pk = obj.pk
        if any(n.pk is None for n in levels[level]):  # a backend without RETURNING
            pks = dict(
                Area.objects.filter(code__in=[n.code for n in levels[level]]).values_list(
                    "code", "pk"
                )
            )
            for node in levels[level]:
                node.pk = pks[node.code]


# --- people and duties -------------------------------------------------------------------------


def _extra_columns(model, known: tuple[str, ...]) -> tuple[list[str], tuple]:
    """Columns this command does not fill itself, with their defaults (fails if one has none)."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.attname in known:
            continue
        if not f.has_default() and not f.null and not f.empty_strings_allowed:
            raise CommandError(f"synth does not know how to fill {model.__name__}.{f.name}")
        names.append(f.column)
        values.append(f.get_db_prep_save(f.get_default(), connection))
    return names, tuple(values)


def _columns(model, attnames: tuple[str, ...]) -> list[str]:
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
    return [by_attname[a] for a in attnames]


class Sink:
    """Writes chunks of rows: COPY on PostgreSQL, executemany elsewhere, nothing on a dry run."""

    def __init__(self, dry_run: bool) -> None:
        self.dry_run = dry_run

    def write(self, model, columns: list[str], rows: list[tuple]) -> None:
        if self.dry_run or not rows:
            return
        qn = connection.ops.quote_name
        table = qn(model._meta.db_table)
        cols = ", ".join(qn(c) for c in columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                insert = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(insert, rows)


# SQLite's overlap triggers (registry migration 0002) look for an overlapping duty of the same
# person; without planner statistics SQLite answers that through the kind_id index, i.e. by
# scanning every duty of the kind, which makes a bulk load quadratic. Each synthetic person holds
# exactly one duty, so no overlap is possible: the triggers are dropped for the load and created
# again, from their own stored SQL, in the same transaction.
OVERLAP_TRIGGER_PREFIX = "assignment_no_overlap"


@contextmanager
def overlap_triggers_suspended(dry_run: bool):
    if connection.vendor != "sqlite" or dry_run:
        yield
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [Assignment._meta.db_table],
        )
        rows = cursor.fetchall()
        triggers = [(n, sql) for n, sql in rows if n.startswith(OVERLAP_TRIGGER_PREFIX)]
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {qn(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, sql in triggers:
            cursor.execute(sql)


# PostgreSQL checks each foreign key of each copied row with a deferred trigger (queued in memory
# until the commit) and updates every index row by row: at 10^7 activities that is most of the
# time. For the casework tables, foreign keys and plain indexes are dropped for the load and
# created again from their own definitions in the same transaction, which checks each key once
# for the whole table and builds each index in one sort. Primary keys and unique constraints stay.
@contextmanager
def keys_and_indexes_suspended(models, dry_run: bool):
    if connection.vendor != "postgresql" or dry_run or not models:
        yield
        return
    tables = [m._meta.db_table for m in models]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks on these tables
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])",
            [tables],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _next_id(model) -> int:
    qn = connection.ops.quote_name
    pk, table = qn(model._meta.pk.column), qn(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")  # noqa: S608
        return cursor.fetchone()[0] + 1


class PeopleMaker:
    def __init__(self, rng: random.Random, fake: Faker, kinds: dict[str, PillarKind], as_of):
        self.rng = rng
        self.as_of = as_of
        self.kinds = kinds
        self.male = sorted({fake.first_name_male() for _ in range(3000)})
        self.female = sorted({fake.first_name_female() for _ in range(3000)})
        self.last = sorted({fake.last_name() for _ in range(3000)})
        self.streets = sorted({fake.street_name() for _ in range(3000)})
        self.cities = sorted({fake.city_name() for _ in range(1000)})
        weighted = [(kinds[c], w) for c, w in KIND_WEIGHTS.items() if c in kinds]
        self.other_kinds = [k for k, _ in weighted]
        total, cum = 0.0, []
        for _, w in weighted:
            total += w
            cum.append(total)
        self.cum_weights = cum
        self.tksk = kinds.get("TKSK")
        self.born_from = datetime.date(as_of.year - 60, 1, 1).toordinal()
        self.born_to = datetime.date(as_of.year - 20, 12, 31).toordinal()
        self.first_start = FIRST_START.toordinal()
        self.as_of_ord = as_of.toordinal()
        self.tally = Tally(by_kind={k.code: 0 for k in kinds.values()})
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())

    def dates(self, status: str) -> tuple:
        """(start, end, end_reason) for a duty that is 'active', 'ended' or 'future'."""
        rng, t = self.rng, self.tally
        if status == "ended":
            t.ended += 1
            start = rng.randint(self.first_start, self.as_of_ord - 60)
            end = rng.randint(start, self.as_of_ord - 1)
            return start, end, rng.choice(END_REASONS)
        if status == "future":
            t.future += 1
            return rng.randint(self.as_of_ord + 1, self.as_of_ord + 180), None, ""
        t.active += 1
        start = rng.randint(self.first_start, self.as_of_ord)
        if rng.random() < ENDING_LATER_SHARE:
            return start, rng.randint(self.as_of_ord, self.as_of_ord + 730), "term_ended"
        return start, None, ""

    def kecamatan_rows(self, kec: Node, n: int, person_id: int, assignment_id: int):
        """Rows for `n` people residing in kecamatan `kec`, each with one duty."""
        rng = self.rng
        city = kec.parent
        desa = kec.children
        area6 = kec.code.replace(".", "")
        serials: dict[str, int] = {}
        people, duties = [], []
        fromordinal = datetime.date.fromordinal
        for i in range(n):
            sex = "L" if rng.random() < 0.5 else "P"
            first = rng.choice(self.male if sex == "L" else self.female)
            name = f"{first} {rng.choice(self.last)}"
            while True:  # a birth date whose NIK prefix still has a free serial
                born = fromordinal(rng.randint(self.born_from, self.born_to))
                day = born.day + (40 if sex == "P" else 0)
                prefix = f"{area6}{day:02d}{born.month:02d}{born.year % 100:02d}"
                serial = serials.get(prefix, 0) + 1
                if serial <= 9999:
                    serials[prefix] = serial
                    break
            nik = f"{prefix}{serial:04d}"
            if i == 0 and make_nik(area6=area6, birth_date=born, sex=sex, serial=serial) != nik:
                raise CommandError(f"NIK layout disagrees with make_nik for {area6}")
            residence = rng.choice(desa)
            bank = rng.random() > 0.06
            people.append(
                (
                    person_id, nik, name, sex,
                    city.name if rng.random() < 0.8 else rng.choice(self.cities),
                    born, f"{rng.choice(self.streets)} No. {rng.randint(1, 250)}", residence.pk,
                    f"08{rng.randrange(10**9, 10**10)}", rng.choice(EDUCATION),
                    rng.choice(BANKS) if bank else "",
                    str(rng.randrange(10**9, 10**10)) if bank else "",
                    name if bank else "", "", self.now, self.now,
                )
            )  # fmt: skip
            if i == 0 and self.tksk is not None:
                kind, status = self.tksk, "active"
            elif i == 1 and self.tksk is not None and rng.random() < ENDED_SHARE:
                kind, status = self.tksk, "ended"
            else:
                kind = rng.choices(self.other_kinds, cum_weights=self.cum_weights)[0]
                u = rng.random()
                status = "active"
                if u < ENDED_SHARE:
                    status = "ended"
                elif u < ENDED_SHARE + FUTURE_SHARE:
                    status = "future"
            if kind.level == Area.Level.CITY:
                area = city
            elif kind.level == Area.Level.KECAMATAN:
                area = kec
            else:
                area = residence
            start, end, reason = self.dates(status)
            sk_date = fromordinal(start - rng.randint(3, 30))
            duties.append(
                (
                    assignment_id, person_id, kind.pk, area.pk,
                    f"400.9/{assignment_id}/SYNTH/{sk_date.year}", sk_date, "Kepala Dinas Sosial",
                    fromordinal(start), fromordinal(end) if end else None, reason, "", "", self.now,
                )
            )  # fmt: skip
            self.tally.by_kind[kind.code] += 1
            person_id += 1
            assignment_id += 1
        self.tally.people += n
        return people, duties


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
                        f"{_fmt(synthetic_areas(existing).count())} areas"
                    )
                else:
                    gone = delete_synthetic(existing)
                    notes.append(
                        f"deleted {_fmt(gone['households'])} households, "
                        f"{_fmt(gone['activities'])} activities, "
                        f"{_fmt(gone['monthly reports'])} monthly reports, "
                        f"{_fmt(gone['assignments'])} assignments, "
                        f"{_fmt(gone['people'])} people, {_fmt(gone['areas'])} areas"
                    )
            if o["reset"] and people == 0:  # a clean-up: nothing new is generated
                self.stdout.write(f"synth: {'; '.join(notes) or 'no synthetic rows to delete'}")
                return
            taken = set(
                Area.objects.filter(level=Area.Level.PROVINCE).values_list("code", flat=True)
            )
            if dry_run:
                taken -= set(existing)
            tree = plan_areas(
                rng, fake, provinces=o["provinces"], cities=o["cities"],
                kecamatan=o["kecamatan"], kelurahan=o["kelurahan"], taken=taken,
            )  # fmt: skip
            levels = by_level(tree)
            if dry_run:
                for level in levels.values():  # stand-in ids; nothing is saved
                    for i, node in enumerate(level, start=1):
                        node.pk = i
            else:
                save_areas(levels)
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
            f"{_fmt(len(levels[2]))} kabupaten, {_fmt(len(levels[3]))} kecamatan, "
            f"{_fmt(len(levels[4]))} desa), {_fmt(tally.people)} people, "
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

    def fill(self, kecamatan: list[Node], people: int, rng, fake, kinds, as_of, sink, o):
        """People and duties, kecamatan by kecamatan, and their casework when asked for; returns
        the two tallies (the second None without casework)."""
        maker = PeopleMaker(rng, fake, kinds, as_of)
        if people == 0:
            return maker.tally, None
        casework = None
        if o["households"] or o["activities"]:
            from pilar.casework.synth import CaseworkMaker

            casework = CaseworkMaker(
                rng, sink=sink, kinds=kinds, as_of=as_of, households=o["households"],
                activities=o["activities"], kecamatan=len(kecamatan),
                names=(maker.male, maker.female, maker.last), streets=maker.streets,
                now=maker.now,
            )  # fmt: skip
        person_cols, person_extra = _extra_columns(Person, PERSON_COLUMNS)
        duty_cols, duty_extra = _extra_columns(Assignment, ASSIGNMENT_COLUMNS)
        person_cols = _columns(Person, PERSON_COLUMNS) + person_cols
        duty_cols = _columns(Assignment, ASSIGNMENT_COLUMNS) + duty_cols
        if connection.vendor == "postgresql" and not sink.dry_run:
            qn = connection.ops.quote_name
            with connection.cursor() as cursor:
                locked = (Person, Assignment, *(CASEWORK_MODELS if casework else ()))
                tables = ", ".join(qn(m._meta.db_table) for m in locked)
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        person_id = _next_id(Person) if not sink.dry_run else 1
        duty_id = _next_id(Assignment) if not sink.dry_run else 1
        base, extra = divmod(people, len(kecamatan))
        p_rows: list[tuple] = []
        d_rows: list[tuple] = []
        for i, kec in enumerate(kecamatan):
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
