"""`pilar demo`: the deterministic Bukittinggi demonstration dataset.

As of 22 October 2024 exactly 300 PSM, 31 Tagana, 26 Pendamping KUBE and 3 TKSK are active (360),
PSM in all 24 kelurahan, one TKSK per kecamatan, with history: duties that ended, PSM who moved
kelurahan, a long-serving TKSK replaced, a few who joined or left after the training.
Everything is written through the registry services, so the audit log tells the same story.

That story is fixed (the same whatever the day) and runs to November 2025. The office's life
then continues up to the day the demo is loaded (`timezone.localdate()`): a few appointments
and endings every year, bank accounts handed in, activities month by month, monthly reports
(the last two months still open, in every state), quarterly tali kasih paid up to the last
complete quarter and a current draft, and certificates about to expire. The continuation draws
from its own seeds, so the fixed story never depends on the day.

The households are created by importing the demo's DTSEN extract through the real import
(pilar/dtsen/demo.py; the file is kept); on the loading day a verivali round is in progress,
with findings of every kind in every state (pilar/verivali/demo.py).

`pilar demo --province` loads that same Bukittinggi, in Bukittinggi's office, then Sumatera
Barat around it: the province's office and users, an office per kab/kota, and two kota with
programmes of their own (pilar/core/province_demo.py).
"""

from __future__ import annotations

import datetime
import random
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from faker import Faker

from pilar.accounts.models import Role
from pilar.accounts.services import user_create
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework.demo import CaseworkDemo, continue_casework, decile_releases
from pilar.core.province_demo import describe_province, load_province
from pilar.dtsen.demo import DemoExtract
from pilar.equipment.demo import load_equipment
from pilar.kube.demo import continue_records, load_kube
from pilar.kube.selectors import companion_groups
from pilar.lib.nik import make_nik
from pilar.offices.models import Office
from pilar.offices.services import current_office, remembered
from pilar.regions.models import Area
from pilar.registry import services
from pilar.registry.models import Assignment, Person, PillarKind
from pilar.registry.reference import ensure_reference_data
from pilar.stipends.demo import continue_stipends, describe, load_stipends
from pilar.tagana.demo import load_tagana
from pilar.trainings.certificates.demo import issue_demo_certificates
from pilar.trainings.demo import continue_trainings, load_trainings
from pilar.verivali.demo import describe_round, load_round
from pilar.verivali.models import Visit

D = datetime.date
TRAINING_DAY = D(2024, 10, 22)
SEED = 20241022
# The fixed story's last event is the basic PSM training of November 2025: the demo is loaded
# on a later day (earlier, its SK dates and attendance would lie in the future).
FIRST_LOAD_DAY = D(2025, 12, 1)
BANKS = ["Bank Nagari", "BRI", "BNI", "Bank Mandiri", "BSI"]
BIRTH_PLACES = ["Bukittinggi"] * 6 + ["Agam", "Padang", "Payakumbuh", "Padang Panjang", "Solok"]
# Kepala Dinas over time: who signed SKs in which years.
SIGNERS = [(2019, "Kepala Dinas Sosial"), (2021, "Linda Faroza"), (2023, "Syanji Faredy")]
OUTSIDE_AREAS = ["130601", "130602", "137101", "137104", "137601"]  # Agam, Padang, Payakumbuh


def signer_for(day: datetime.date) -> str:
    name = SIGNERS[0][1]
    for year, who in SIGNERS:
        if day.year >= year:
            name = who
    return name


class Demo:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.fake = Faker("id_ID")
        self.fake.seed_instance(SEED)
        self.by = Actor.system(source=AuditEntry.Source.SYSTEM)
        self.serials: dict[str, int] = {}
        self.kinds = {k.code: k for k in PillarKind.objects.all()}
        self.kecamatan = list(
            Area.objects.filter(level=Area.Level.KECAMATAN, code__startswith="13.75.")
        )
        self.kelurahan = list(
            Area.objects.filter(level=Area.Level.KELURAHAN, code__startswith="13.75.")
        )
        self.city = Area.objects.get(code="13.75")
        self.sk_counter = 0

    def day_between(self, start: datetime.date, end: datetime.date) -> datetime.date:
        return start + datetime.timedelta(days=self.rng.randrange((end - start).days + 1))

    def person(self, *, residence: Area, min_age: int = 20, max_age: int = 58) -> Person:
        sex = self.rng.choice(["L", "P"])
        name = self.fake.name_male() if sex == "L" else self.fake.name_female()
        birth = self.day_between(
            D(TRAINING_DAY.year - max_age, 1, 1), D(TRAINING_DAY.year - min_age, 12, 31)
        )
        area6 = (
            self.rng.choice(OUTSIDE_AREAS)
            if self.rng.random() < 0.12
            else residence.code_digits[:6]
        )
        self.serials[area6] = self.serials.get(area6, 0) + 1
        nik = make_nik(area6=area6, birth_date=birth, sex=sex, serial=self.serials[area6])
        bank = self.rng.random() > 0.06  # a few have no account yet
        return services.person_create(
            by=self.by,
            data={
                "nik": nik,
                "name": name,
                "sex": sex,
                "birth_place": self.rng.choice(BIRTH_PLACES),
                "birth_date": birth,
                "address": self.fake.street_address(),
                "residence": residence,
                "phone": "08" + "".join(self.rng.choice("0123456789") for _ in range(10)),
                "education": self.rng.choice(["sma", "sma", "sma", "d3", "s1", "s1", "smp"]),
                "bank_name": self.rng.choice(BANKS) if bank else "",
                "bank_account": "".join(self.rng.choice("0123456789") for _ in range(10))
                if bank
                else "",
                "bank_holder": name if bank else "",
            },
        )

    def duty(self, person: Person, kind: str, area: Area, start: datetime.date, **kw) -> Assignment:
        adult = person.birth_date.replace(year=person.birth_date.year + 18, day=1)
        start = max(start, adult)  # nobody serves before turning 18
        self.sk_counter += 1
        sk_date = start - datetime.timedelta(days=self.rng.randrange(3, 30))
        end = kw.pop("end", None)
        assignment = services.assignment_create(
            by=self.by,
            person=person,
            kind=self.kinds[kind],
            area=area,
            start_date=start,
            sk_number=f"460/{self.sk_counter:03d}/DINSOS-BKT/{sk_date.year}",
            sk_date=sk_date,
            sk_signer=signer_for(sk_date),
            **kw,
        )
        if end:
            reason = end[1] if isinstance(end, tuple) else Assignment.EndReason.TERM_ENDED
            day = end[0] if isinstance(end, tuple) else end
            assignment = services.assignment_end(
                by=self.by, assignment=assignment, end_date=day, end_reason=reason
            )
        return assignment

    def kecamatan_of(self, kelurahan: Area) -> Area:
        return next(k for k in self.kecamatan if kelurahan.code.startswith(k.code + "."))

    def run(self) -> dict[str, list[Person]]:
        made: dict[str, list[Person]] = {"PSM": [], "TKSK": [], "TAGANA": [], "PENDAMPING_KUBE": []}
        # PSM: 300 active on the training day, 12 or 13 in each of the 24 kelurahan.
        slots = []
        for i, kel in enumerate(self.kelurahan):
            slots += [kel] * (13 if i % 2 == 0 else 12)
        assert len(slots) == 300
        for n, kel in enumerate(slots):
            moves = n % 50 == 7
            p = self.person(residence=kel, min_age=30 if moves else 20)
            if moves:  # moved: served elsewhere first, then here
                other = self.rng.choice([k for k in self.kelurahan if k != kel])
                first = self.day_between(D(2018, 1, 2), D(2020, 12, 31))
                moved = self.day_between(D(2022, 1, 3), D(2023, 6, 30))
                self.duty(p, "PSM", other, first, end=(moved, Assignment.EndReason.MOVED))
                start = moved + datetime.timedelta(days=1)
                services.person_update(
                    by=self.by,
                    person=p,
                    data={"residence": kel, "address": self.fake.street_address()},
                )
            else:
                start = self.day_between(D(2019, 1, 2), D(2024, 7, 1))
            end = None
            if n % 75 == 11:  # served on the training day, left in 2025
                end = (
                    self.day_between(D(2025, 1, 31), D(2025, 9, 30)),
                    Assignment.EndReason.RESIGNED,
                )
            self.duty(p, "PSM", kel, start, end=end)
            made["PSM"].append(p)
        # Former PSM who left before the training, and new PSM who joined after it.
        for _ in range(18):
            kel = self.rng.choice(self.kelurahan)
            p = self.person(residence=kel, min_age=30)
            start = self.day_between(D(2017, 1, 2), D(2020, 12, 31))
            end = self.day_between(D(2021, 6, 30), D(2024, 6, 30))
            self.duty(
                p,
                "PSM",
                kel,
                start,
                end=(
                    end,
                    self.rng.choice(
                        [
                            Assignment.EndReason.RESIGNED,
                            Assignment.EndReason.TERM_ENDED,
                            Assignment.EndReason.MOVED,
                        ]
                    ),
                ),
            )
        for _ in range(8):
            kel = self.rng.choice(self.kelurahan)
            p = self.person(residence=kel)
            self.duty(p, "PSM", kel, self.day_between(D(2025, 1, 2), D(2025, 11, 3)))
        # TKSK: one per kecamatan; ABTB's long-serving TKSK (2010–2022) was replaced in 2023.
        for kec in self.kecamatan:
            residence = self.rng.choice(
                [k for k in self.kelurahan if k.code.startswith(kec.code + ".")]
            )
            if kec.code.endswith(".03"):
                old = self.person(residence=residence, min_age=45, max_age=60)
                self.duty(
                    old,
                    "TKSK",
                    kec,
                    D(2010, 7, 1),
                    end=(D(2022, 12, 31), Assignment.EndReason.TERM_ENDED),
                )
                start = D(2023, 1, 2)
            else:
                start = self.day_between(D(2016, 1, 4), D(2021, 12, 1))
            p = self.person(residence=residence, min_age=25, max_age=50)
            self.duty(p, "TKSK", kec, start)
            made["TKSK"].append(p)
        # Tagana: 31 in the city unit on the training day; two left earlier, one joined later.
        for n in range(31 + 3):
            p = self.person(residence=self.rng.choice(self.kelurahan), min_age=19, max_age=40)
            if n < 31:
                self.duty(p, "TAGANA", self.city, self.day_between(D(2015, 3, 25), D(2024, 3, 25)))
                made["TAGANA"].append(p)
            elif n < 33:
                self.duty(
                    p,
                    "TAGANA",
                    self.city,
                    D(2016, 3, 25),
                    end=(D(2023, 12, 31), Assignment.EndReason.RESIGNED),
                )
            else:
                self.duty(p, "TAGANA", self.city, D(2025, 3, 25))
        # Pendamping KUBE: 26 at kecamatan level (9, 9, 8).
        for n in range(26):
            kec = self.kecamatan[n % 3]
            residence = self.rng.choice(
                [k for k in self.kelurahan if k.code.startswith(kec.code + ".")]
            )
            p = self.person(residence=residence, min_age=23, max_age=55)
            self.duty(p, "PENDAMPING_KUBE", kec, self.day_between(D(2020, 1, 2), D(2024, 8, 1)))
            made["PENDAMPING_KUBE"].append(p)
        return made

    def hand_in_account(self, person: Person) -> None:
        services.person_update(
            by=self.by,
            person=person,
            data={
                "bank_name": self.rng.choice(BANKS),
                "bank_account": "".join(self.rng.choice("0123456789") for _ in range(10)),
                "bank_holder": person.name,
            },
        )

    def continue_to(self, today: datetime.date, made: dict[str, list[Person]]) -> None:
        """The registry after the fixed story, up to `today`: everyone still serving without a
        bank account hands one in (those who left without one never did: their months stay
        blocked), and every year from 2026 three new PSM appointed and two leaving (not the demo's
        pillar users)."""
        rng = random.Random(SEED + 10)
        self.rng = rng
        serving = set(
            Assignment.objects.filter(end_date__isnull=True).values_list("person_id", flat=True)
        )
        for p in Person.objects.filter(bank_account="", pk__in=serving).order_by("pk"):
            self.hand_in_account(p)
        for year in range(2026, today.year + 1):
            last = min(D(year, 11, 30), today - datetime.timedelta(days=10))
            if last < D(year, 1, 5):
                break
            for _ in range(3):
                kel = self.rng.choice(self.kelurahan)
                self.duty(
                    self.person(residence=kel), "PSM", kel, self.day_between(D(year, 1, 5), last)
                )
            leaving = list(
                Assignment.objects.active_on(last)
                .filter(kind__code="PSM", person__in=made["PSM"][3:], start_date__lt=D(year, 1, 1))
                .order_by("pk")
            )
            for duty in self.rng.sample(leaving, 2):
                services.assignment_end(
                    by=self.by,
                    assignment=duty,
                    end_date=self.day_between(D(year, 1, 31), last),
                    end_reason=self.rng.choice(
                        [Assignment.EndReason.RESIGNED, Assignment.EndReason.MOVED]
                    ),
                )


def make_users(
    made: dict[str, list[Person]], password: str, office: Office | None = None
) -> list[str]:
    """The demo's users; in `office` when given (the province demo: Bukittinggi's), else in the
    installation's top office."""
    by = Actor.system(source=AuditEntry.Source.SYSTEM)
    names = []
    in_office = {"office": office} if office is not None else {}

    def user(username: str, role: str, *, area: Area | None = None, person=None, **extra) -> None:
        user_create(
            by=by,
            username=username,
            password=password,
            grants=[(role, area)],
            person=person,
            **in_office,
            **extra,
        )
        names.append(username)

    user("admin", Role.ADMIN, is_staff=True, is_superuser=True, first_name="Admin")
    user("operator", Role.OPERATOR, first_name="Operator")
    user("kepala", Role.APPROVER, first_name="Kepala Dinas")
    user("bendahara", Role.FINANCE, first_name="Bendahara")
    user("viewer", Role.VIEWER, first_name="Viewer")
    for tksk in made["TKSK"]:
        duty = (
            tksk.assignments.filter(kind__code="TKSK", end_date__isnull=True)
            .select_related("area")
            .get()
        )
        user(f"tksk-{duty.area.code_digits}", Role.COORDINATOR, area=duty.area, person=tksk)
    for i, p in enumerate(made["PSM"][:3] + made["TAGANA"][:2], start=1):
        kind = "psm" if i <= 3 else "tagana"
        user(f"{kind}-{i:03d}", Role.PILLAR, person=p)
    return names


def load_work(demo: Demo, made: dict[str, list[Person]]) -> DemoExtract:
    """What the pillars did: households (imported from the demo's DTSEN extract) and caseloads,
    KUBE groups, a year of activities, monthly reports (every state in July–October 2024) and
    Tagana deployments. Returns the extract, for the output."""
    User = get_user_model()
    users = {"operator": User.objects.get(username="operator")}
    for user in User.objects.filter(grants__role=Role.COORDINATOR).select_related():
        users[user.grants.get(role=Role.COORDINATOR).area.code] = user
    rng = random.Random(SEED + 1)
    work = CaseworkDemo(rng=rng, fake=demo.fake, by=demo.by, users=users)
    extract = DemoExtract(
        by=Actor(user=users["operator"], source=AuditEntry.Source.SYSTEM), seed=SEED + 30
    )
    by_area = work.households(save=extract)
    load_kube(
        rng=rng,
        fake=demo.fake,
        by=demo.by,
        pendamping=made["PENDAMPING_KUBE"],
        households_by_area=by_area,
    )
    caseloads = work.caseloads(by_area)
    work.reports(work.activities(caseloads, companion_groups()))
    load_tagana(
        rng=rng,
        fake=demo.fake,
        by=demo.by,
        members=made["TAGANA"],
        city=demo.city,
        kelurahan=demo.kelurahan,
    )
    return extract


def load_trainings_and_equipment(demo: Demo, made: dict[str, list[Person]]) -> dict:
    """The 22 October 2024 training of the 360 with its certificates and the vests and field
    bags handed to each attendee; earlier Tagana refreshers and the radios handed to Tagana;
    the basic PSM training of November 2025."""
    events = load_trainings(rng=random.Random(SEED + 2), by=demo.by, made=made)
    certificates = issue_demo_certificates(by=demo.by, events=events)
    equipment = load_equipment(
        rng=random.Random(SEED + 3),
        by=demo.by,
        event_1022=events["2024-10-22"],
        # Every Tagana member the unit has had, those who left included.
        tagana=list(
            Person.objects.filter(assignments__kind__code="TAGANA").distinct().order_by("pk")
        ),
        tksk=made["TKSK"],
    )
    return {"events": events, "certificates": certificates, "equipment": equipment}


def continue_to_today(demo: Demo, made: dict[str, list[Person]], today: datetime.date) -> dict:
    """The office's life after the fixed story, up to `today` (see the module docstring)."""
    demo.continue_to(today, made)
    User = get_user_model()
    users = {"operator": User.objects.get(username="operator")}
    for user in User.objects.filter(grants__role=Role.COORDINATOR):
        users[user.grants.get(role=Role.COORDINATOR).area.code] = user
    figures = continue_casework(
        rng=random.Random(SEED + 11),
        fake=demo.fake,
        by=demo.by,
        users=users,
        today=today,
        groups=companion_groups(),
        own={
            u.person_id: name
            for name, u in (
                (n, User.objects.get(username=n))
                for n in ("psm-001", "psm-002", "psm-003", "tagana-004", "tagana-005")
            )
        },
    )
    figures.update(continue_stipends(today=today))
    figures.update(continue_trainings(rng=random.Random(SEED + 12), by=demo.by, today=today))
    figures["KUBE monthly records"] = continue_records(
        rng=random.Random(SEED + 13), by=demo.by, today=today
    )
    return figures


def bukittinggi_office() -> Office:
    """The office whose story the demo tells, for the province demo: the installation's own,
    seeded from the environment (docs/OFFICE.md) on an empty database; it must serve 13.75."""
    office = current_office()
    if office.area is None or office.area.code != "13.75":
        raise CommandError(
            gettext(
                "--province loads Bukittinggi's story into the office serving 13.75; this "
                "installation's office serves %(area)s (PILAR_OFFICE_AREA)."
            )
            % {"area": office.area.code if office.area else "-"}
        )
    return office


def refresh_planner_statistics() -> None:
    """ANALYZE what was just loaded. On PostgreSQL, tables last analyzed empty would otherwise
    be planned as if they had no rows: nested loops over seq scans that take a minute per query
    on a few hundred people. SQLite without statistics plans the tali kasih arrears (the
    dashboard's figures) as a scan per row: a minute on the demo continued to today, 0.3 s
    after ANALYZE. ANALYZE may run inside the loading transaction and sees its rows."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = (
        "Load the Bukittinggi demonstration data (360 pillars active on 22 October 2024) and "
        "demo users. Without --password a random password is generated and printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="empty the database first")
        parser.add_argument("--password", help="password for every demo user")
        parser.add_argument(
            "--province",
            action="store_true",
            help="Sumatera Barat: Bukittinggi as above in its own office, an office per "
            "kab/kota, two kota with programmes of their own, province users",
        )

    def handle(self, *args, reset: bool, password: str | None, province: bool = False, **options):
        today = timezone.localdate()
        if today < FIRST_LOAD_DAY:
            raise CommandError(
                gettext(
                    "The demo's story runs to November 2025; load it on %(first)s or later "
                    "(today is %(today)s)."
                )
                % {"first": FIRST_LOAD_DAY.isoformat(), "today": today.isoformat()}
            )
        if password is not None:
            try:
                # The site's own rules (settings.AUTH_PASSWORD_VALIDATORS), as for any user.
                validate_password(password)
            except ValidationError as error:
                raise CommandError(
                    gettext("--password is refused: %(why)s") % {"why": " ".join(error.messages)}
                ) from None
        call_command("migrate", verbosity=0, interactive=False)
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        elif Person.objects.exists() or get_user_model().objects.exists():
            self.stdout.write(
                gettext(
                    "The database already holds data; nothing loaded. "
                    "Use `pilar demo --reset` to empty it and load the demo again."
                )
            )
            return
        chosen = password or secrets.token_urlsafe(9)
        with transaction.atomic():
            ensure_reference_data()
            bukittinggi = bukittinggi_office() if province else None
            # The office is read once for the whole load (each audit entry asks which office it
            # is written for): Bukittinggi's in the province demo, else the top office.
            with remembered(office=bukittinggi):
                demo = Demo()
                made = demo.run()
                users = make_users(made, chosen, bukittinggi)
                extract = load_work(demo, made)
                trained = load_trainings_and_equipment(demo, made)
                story = load_stipends()
                living = continue_to_today(demo, made, today)
                verivali = load_round(rng=random.Random(SEED + 40), fake=demo.fake, today=today)
                living["decile records"] = decile_releases(
                    rng=random.Random(SEED + 50),
                    today=today,
                    listed=set(
                        Visit.objects.filter(household__isnull=False).values_list(
                            "household_id", flat=True
                        )
                    ),
                )
            loaded = load_province(bukittinggi=bukittinggi, password=chosen) if province else None
            if loaded is not None:
                users += loaded.users
            refresh_planner_statistics()
        active = Assignment.objects.active_on(TRAINING_DAY).count()
        self.stdout.write(
            f"Demo loaded: {Person.objects.count()} people, {active} duties active on "
            f"{TRAINING_DAY.isoformat()}; users: {', '.join(users)}"
        )
        self.stdout.write("Tali kasih:\n" + "\n".join(describe(story)))
        day = trained["events"]["2024-10-22"]
        self.stdout.write(
            f"Trainings: {len(trained['events'])} events, {trained['certificates']} certificates; "
            f"22 October 2024: {day.participants.count()} invited, "
            f"{day.participants.filter(result='passed').count()} passed, certificates and one "
            f"BAST of vests and field bags (/trainings/events/{day.pk}/)"
        )
        self.stdout.write(
            f"Continued to {today.isoformat()}: " + "; ".join(f"{k} {v}" for k, v in living.items())
        )
        self.stdout.write(f"DTSEN extract the households came from: {extract.describe()}")
        self.stdout.write(describe_round(verivali))
        if loaded is not None:
            self.stdout.write("\n".join(describe_province(loaded)))
        if password is None:
            self.stdout.write(f"Password for every demo user (shown once): {chosen}")
