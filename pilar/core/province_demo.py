"""`pilar demo --province`: Sumatera Barat's Dinas Sosial hosting its 19 kab/kota on one
installation (docs/OFFICE.md, "Many offices").

The command first loads Bukittinggi exactly as the single-office demo does (its whole story, its
users, in Bukittinggi's office). This module then adds:

- the province's 19 kabupaten/kota, and the kecamatan and kelurahan of Kota Padang Panjang and
  Kota Payakumbuh (pilar/regions/data/sumbar.py, from the public Kemendagri list);
- an office per kab/kota and the province's office (Dinas Sosial Provinsi Sumatera Barat, area
  13), which becomes the installation's top office and only sees;
- `prov-admin` (administrator) and `prov-viewer` (viewer) in the province office;
- for Padang Panjang and Payakumbuh a smaller programme of their own, acted by that office's
  own users (`<kota>-admin`, `-operator`, `-kepala`, `-bendahara`) within
  `remembered(office=...)`: a few dozen pillars with their duties, the office's own tali kasih
  rates and budget, one batch for July–September 2025 drafted, verified, approved and paid, and
  one training with its certificates.

The other 16 kab/kota are offices without data yet. Everything made here is generated and marked
so: the people's addresses and the two kota offices' names carry SYNTHETIC, the mark `pilar
synth` gives its data (pilar/core/synth/__init__.py). Deterministic: each kota draws from its own
seed, after Bukittinggi's story, so that story never changes.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.utils import timezone
from faker import Faker

from pilar.accounts.models import Role
from pilar.accounts.services import user_create
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.lib.money import rupiah
from pilar.lib.nik import make_nik
from pilar.offices.models import Office
from pilar.offices.services import remembered, seed_values
from pilar.regions.data import sumbar
from pilar.regions.loader import load_areas
from pilar.regions.models import Area, AreaAlias
from pilar.registry import services as registry
from pilar.registry.models import Assignment, Person, PillarKind
from pilar.stipends import services as stipends
from pilar.stipends.models import FundingSource, StipendBatch
from pilar.trainings import participation
from pilar.trainings import services as trainings
from pilar.trainings.certificates.services import certificates_issue_for_event
from pilar.trainings.models import Course, Participant, TrainingEvent

D = datetime.date
SYNTHETIC = " [synth]"
PROVINCE = "13"
PROVINCE_OFFICE = "Dinas Sosial Provinsi Sumatera Barat"
BANKS = ["Bank Nagari", "BRI", "BNI", "Bank Mandiri", "BSI"]
# The kota's tali kasih: rates from January 2025, one batch for July–September 2025.
RATES_FROM = D(2025, 1, 1)
QUARTER = (D(2025, 7, 1), D(2025, 9, 1))


@dataclass(frozen=True)
class Programme:
    """One kota's own programme: who serves, what it pays, when its batch and training ran."""

    code: str
    prefix: str  # of its users' names: "<prefix>-admin", ...
    seed: int
    psm_per_kelurahan: int
    tagana: int
    rates: dict[str, int]
    budget: int
    # drafted, verified, approved, paid
    batch_days: tuple[datetime.date, datetime.date, datetime.date, datetime.date]
    training_day: datetime.date
    absent: int = 2


PROGRAMMES = [
    Programme(
        code="13.74",
        prefix="padangpanjang",
        seed=20241074,
        psm_per_kelurahan=2,
        tagana=8,
        rates={"PSM": 350_000, "TKSK": 450_000, "TAGANA": 250_000},
        budget=250_000_000,
        batch_days=(D(2025, 10, 13), D(2025, 10, 15), D(2025, 10, 16), D(2025, 10, 20)),
        training_day=D(2025, 8, 19),
    ),
    Programme(
        code="13.76",
        prefix="payakumbuh",
        seed=20241076,
        psm_per_kelurahan=1,
        tagana=10,
        rates={"PSM": 300_000, "TKSK": 375_000, "TAGANA": 150_000},
        budget=300_000_000,
        batch_days=(D(2025, 10, 14), D(2025, 10, 16), D(2025, 10, 17), D(2025, 10, 21)),
        training_day=D(2025, 9, 9),
    ),
]
STAFF = [
    ("admin", Role.ADMIN, "Admin"),
    ("operator", Role.OPERATOR, "Operator"),
    ("kepala", Role.APPROVER, "Kepala Dinas"),
    ("bendahara", Role.FINANCE, "Bendahara"),
]


@dataclass
class Loaded:
    """What the province demo made, for the command's output and the tests."""

    province: Office
    offices: list[Office]
    users: list[str]
    batches: dict[str, StipendBatch | None] = field(default_factory=dict)
    events: dict[str, TrainingEvent] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def load_areas_of_the_province() -> None:
    """The 19 kab/kota and the two programme kota's kecamatan and kelurahan."""
    rows = [
        {"code": code, "name": name, "kind": kind}
        for code, name, kind in sumbar.KAB_KOTA + sumbar.PADANG_PANJANG + sumbar.PAYAKUMBUH
    ]
    load_areas(rows, area_model=Area, alias_model=AreaAlias)


def office_create(*, by: Actor, area: Area, name: str, **policies) -> Office:
    """An office for `area`, with the installation's first values (pilar/offices/services.py,
    `seed_values`) but its own name, address and city, nobody named to sign yet, and
    `policies` (docs/STIPENDS.md) where given."""
    city = area.name
    values = (
        seed_values()
        | policies
        | {
            "name": name,
            "address": f"{area.label}, Sumatera Barat",
            "city": city,
            "head_name": "",
            "head_nip": "",
            "treasurer_name": "",
            "treasurer_nip": "",
            "signer_name": "",
            "signer_title": "",
            "signer_nip": "",
        }
    )
    office = Office.objects.create(area=area, **values)
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=office,
        note="pilar demo --province",
    )
    return office


def office_name(area: Area) -> str:
    kind = "Kota" if area.kind == Area.Kind.KOTA else "Kabupaten"
    return f"Dinas Sosial {kind} {area.name}"


def make_offices(*, bukittinggi: Office) -> tuple[Office, list[Office]]:
    """The province's office and one per kab/kota (Bukittinggi's exists already)."""
    by = Actor.system(source=AuditEntry.Source.SYSTEM)
    programmes = {p.code for p in PROGRAMMES}
    province = office_create(by=by, area=Area.objects.get(code=PROVINCE), name=PROVINCE_OFFICE)
    offices = []
    for area in Area.objects.filter(level=Area.Level.CITY, parent__code=PROVINCE).order_by("code"):
        if area.pk == bukittinggi.area_id:
            offices.append(bukittinggi)
            continue
        if area.code in programmes:
            # Their pillars keep no casework in the demo: these offices pay a month without
            # a monthly report (a policy of their own, docs/OFFICE.md).
            office = office_create(
                by=by,
                area=area,
                name=office_name(area) + SYNTHETIC,
                stipend_report_required=False,
            )
        else:
            office = office_create(by=by, area=area, name=office_name(area))
        offices.append(office)
    return province, offices


def make_province_users(province: Office, password: str) -> list[str]:
    by = Actor.system(source=AuditEntry.Source.SYSTEM)
    for username, role, first in (
        ("prov-admin", Role.ADMIN, "Admin Provinsi"),
        ("prov-viewer", Role.VIEWER, "Viewer Provinsi"),
    ):
        user_create(
            by=by,
            username=username,
            password=password,
            grants=[(role, None)],
            office=province,
            first_name=first,
        )
    return ["prov-admin", "prov-viewer"]


def make_office_users(office: Office, prefix: str, password: str) -> dict[str, object]:
    """The office's administrator, operator, head of office and treasurer."""
    by = Actor.system(source=AuditEntry.Source.SYSTEM)
    return {
        name: user_create(
            by=by,
            username=f"{prefix}-{name}",
            password=password,
            grants=[(role, None)],
            office=office,
            first_name=f"{first} {office.city}",
        )
        for name, role, first in STAFF
    }


class KotaProgramme:
    """One kota's programme, acted by its own users within `remembered(office=...)`."""

    def __init__(self, spec: Programme, office: Office, users: dict) -> None:
        self.spec = spec
        self.office = office
        self.rng = random.Random(spec.seed)
        self.fake = Faker("id_ID")
        self.fake.seed_instance(spec.seed)
        self.by = {
            name: Actor.system(source=AuditEntry.Source.SYSTEM, user=user)
            for name, user in users.items()
        }
        self.kinds = {k.code: k for k in PillarKind.objects.filter(code__in=spec.rates)}
        self.city = office.area
        self.kecamatan = list(Area.objects.filter(level=Area.Level.KECAMATAN, parent=self.city))
        self.kelurahan = list(
            Area.objects.filter(level=Area.Level.KELURAHAN, parent__parent=self.city)
        )
        self.serial = 5000  # above any serial the Bukittinggi story gives these areas' NIKs
        self.sk = 0

    def day_between(self, start: datetime.date, end: datetime.date) -> datetime.date:
        return start + datetime.timedelta(days=self.rng.randrange((end - start).days + 1))

    def person(self, residence: Area) -> Person:
        sex = self.rng.choice(["L", "P"])
        name = self.fake.name_male() if sex == "L" else self.fake.name_female()
        birth = self.day_between(D(1967, 1, 1), D(2001, 12, 31))
        self.serial += 1
        nik = make_nik(
            area6=residence.code_digits[:6], birth_date=birth, sex=sex, serial=self.serial
        )
        return registry.person_create(
            by=self.by["operator"],
            data={
                "nik": nik,
                "name": name,
                "sex": sex,
                "birth_place": self.city.name,
                "birth_date": birth,
                "address": self.fake.street_address() + SYNTHETIC,
                "residence": residence,
                "phone": "08" + "".join(self.rng.choice("0123456789") for _ in range(10)),
                "education": self.rng.choice(["sma", "sma", "d3", "s1"]),
                "bank_name": self.rng.choice(BANKS),
                "bank_account": "".join(self.rng.choice("0123456789") for _ in range(10)),
                "bank_holder": name,
            },
        )

    def duty(self, person: Person, kind: str, area: Area, start: datetime.date, end=None):
        self.sk += 1
        sk_date = start - datetime.timedelta(days=self.rng.randrange(3, 30))
        duty = registry.assignment_create(
            by=self.by["operator"],
            person=person,
            kind=self.kinds[kind],
            area=area,
            start_date=start,
            sk_number=f"460/{self.sk:03d}/SINTETIS/{sk_date.year}",
            sk_date=sk_date,
            sk_signer="Kepala Dinas Sosial",
        )
        if end:
            duty = registry.assignment_end(
                by=self.by["operator"],
                assignment=duty,
                end_date=end,
                end_reason=Assignment.EndReason.RESIGNED,
            )
        return duty

    def people(self) -> list[Person]:
        """PSM in every kelurahan, a TKSK per kecamatan, the kota's Tagana; a few PSM who left
        before July 2025. Everyone serving holds a bank account."""
        serving = []
        for kel in self.kelurahan:
            for _ in range(self.spec.psm_per_kelurahan):
                p = self.person(kel)
                self.duty(p, "PSM", kel, self.day_between(D(2019, 1, 2), D(2025, 6, 2)))
                serving.append(p)
        for kel in self.rng.sample(self.kelurahan, 2):
            p = self.person(kel)
            self.duty(
                p,
                "PSM",
                kel,
                self.day_between(D(2018, 1, 2), D(2021, 12, 1)),
                end=self.day_between(D(2023, 1, 31), D(2025, 5, 31)),
            )
        for kec in self.kecamatan:
            residence = self.rng.choice([k for k in self.kelurahan if k.parent_id == kec.pk])
            p = self.person(residence)
            self.duty(p, "TKSK", kec, self.day_between(D(2017, 1, 2), D(2023, 12, 1)))
            serving.append(p)
        for _ in range(self.spec.tagana):
            p = self.person(self.rng.choice(self.kelurahan))
            self.duty(p, "TAGANA", self.city, self.day_between(D(2016, 3, 25), D(2025, 3, 25)))
            serving.append(p)
        return serving

    def tali_kasih(self) -> StipendBatch:
        """The office's rates and 2025 budget (the treasurer), and July–September 2025 drafted
        by the operator, verified by the treasurer, approved by the head and paid."""
        kinds = sorted(self.kinds.values(), key=lambda k: k.order)
        for kind in kinds:
            stipends.stipend_rate_create(
                by=self.by["bendahara"],
                kind=kind,
                amount=self.spec.rates[kind.code],
                valid_from=RATES_FROM,
                funding_source=FundingSource.APBD,
                note=f"Perwako {self.city.name} 2025 (data sintetis)",
            )
        stipends.budget_set(
            by=self.by["bendahara"],
            year=2025,
            funding_source=FundingSource.APBD,
            amount=self.spec.budget,
            note=f"DPA Dinas Sosial Kota {self.city.name} 2025 (data sintetis)",
        )
        drafted, verified, approved, paid = self.spec.batch_days
        batch = stipends.stipend_batch_draft(
            by=self.by["operator"],
            first_month=QUARTER[0],
            last_month=QUARTER[1],
            kinds=kinds,
            year=2025,
            title=f"Tali kasih Triwulan III 2025 (Juli–September) Kota {self.city.name}",
        )
        same = StipendBatch.objects.filter(pk=batch.pk)
        same.update(created_at=_at(drafted, 9))
        stipends.stipend_batch_verify(by=self.by["bendahara"], batch=batch)
        same.update(verified_at=_at(verified, 14))
        batch = stipends.stipend_batch_approve(by=self.by["kepala"], batch=batch)
        same.update(approved_at=_at(approved, 9))
        batch.refresh_from_db()
        stipends.stipend_batch_mark_paid(by=self.by["bendahara"], batch=batch, paid_on=paid)
        batch.refresh_from_db()
        return batch

    def training(self) -> TrainingEvent:
        """A one-day technical training of everyone serving that day; a few did not come,
        everyone present passed and holds a certificate."""
        by = self.by["operator"]
        day = self.spec.training_day
        course = trainings.course_create(
            by=by,
            name=f"Bimbingan Teknis Pilar Sosial Kota {self.city.name}",
            level=Course.Level.ADVANCED,
            hours=8,
            kinds=[],
        )
        event = trainings.event_create(
            by=by,
            course=course,
            title=f"Bimbingan Teknis Pilar Sosial Kota {self.city.name} {day.year}",
            start_date=day,
            end_date=day,
            place=f"Kota {self.city.name}",
            organiser=self.office.name,
            note="Data sintetis (pilar demo --province).",
        )
        invited = participation.participants_invite(
            by=by, event=event, kinds=list(self.kinds.values()), area=self.city
        ).added
        absent = {p.pk for p in self.rng.sample(invited, self.spec.absent)}
        present = [p.pk for p in invited if p.pk not in absent]
        participation.attendance_record(by=by, event=event, day=day, present_ids=present)
        participation.results_record(
            by=by, event=event, results={pk: (Participant.Result.PASSED, None) for pk in present}
        )
        certificates_issue_for_event(by=self.by["kepala"], event=event)
        return event

    def run(self) -> tuple[int, StipendBatch | None, TrainingEvent]:
        with remembered(office=self.office):
            people = self.people()
            event = self.training()
            batch = self.tali_kasih()
        return len(people), batch, event


def load_province(*, bukittinggi: Office, password: str) -> Loaded:
    """Everything the province adds to Bukittinggi's story (see the module docstring)."""
    load_areas_of_the_province()
    province, offices = make_offices(bukittinggi=bukittinggi)
    loaded = Loaded(province=province, offices=offices, users=[])
    with remembered(office=province):
        loaded.users += make_province_users(province, password)
    by_area = {o.area.code: o for o in offices}
    for spec in PROGRAMMES:
        office = by_area[spec.code]
        with remembered(office=office):
            users = make_office_users(office, spec.prefix, password)
        loaded.users += [u.username for u in users.values()]
        count, batch, event = KotaProgramme(spec, office, users).run()
        loaded.people[spec.code] = count
        loaded.batches[spec.code] = batch
        loaded.events[spec.code] = event
    return loaded


def describe_province(loaded: Loaded) -> list[str]:
    """The province in a few lines of the command's output."""
    lines = [
        f"Province: {loaded.province.name} and {len(loaded.offices)} kab/kota offices "
        f"({len(loaded.offices) + 1} offices); Bukittinggi's story as in `pilar demo`"
    ]
    for spec in PROGRAMMES:
        batch = loaded.batches[spec.code]
        event = loaded.events[spec.code]
        paid = (
            f"{batch.title}: {batch.status} on {batch.paid_on.isoformat()}, "
            f"{batch.lines.count()} lines, Rp{rupiah(stipends.batch_total(batch))}"
            if batch is not None
            else f"Kota {spec.code}: no tali kasih of its own yet"
        )
        lines.append(
            f"  {paid}; {loaded.people[spec.code]} pillars serving; {event.title}: "
            f"{event.participants.count()} invited, "
            f"{event.participants.filter(certificates__isnull=False).distinct().count()} "
            f"certificates; users {spec.prefix}-admin, -operator, -kepala, -bendahara"
        )
    lines.append(
        "  Other offices without data yet: "
        + ", ".join(
            o.name
            for o in loaded.offices
            if o.area.code not in {p.code for p in PROGRAMMES} and o.area.code != "13.75"
        )
    )
    return lines
