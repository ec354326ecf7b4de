"""The synthetic people of `pilar synth` (pilar/core/synth/): N people with valid NIKs and one
duty each: one active TKSK per kecamatan (and some ended predecessors), Tagana and Penyuluh at
city level, Pendamping KUBE/PKH at kecamatan level, PSM and Karang Taruna in the desa. About 10%
of the duties ended before the bench date, 2% start after it and 5% end after it. Every person
residing in a synthetic area and every duty held there or by such a person is synthetic."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from faker import Faker

from pilar.core.synth.areas import Node, synthetic_areas
from pilar.lib.nik import make_nik
from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person, PillarKind

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
PERSON_COLUMNS = (
    "id", "nik", "name", "sex", "birth_place", "birth_date", "address", "residence_id", "phone",
    "education", "bank_name", "bank_account", "bank_holder", "photo", "created_at", "updated_at",
)  # fmt: skip
ASSIGNMENT_COLUMNS = (
    "id", "person_id", "kind_id", "area_id", "sk_number", "sk_date", "sk_signer", "start_date",
    "end_date", "end_reason", "end_note", "override_reason", "created_at",
)  # fmt: skip


@dataclass
class Tally:
    people: int = 0
    active: int = 0
    ended: int = 0
    future: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def synthetic_people(codes: list[str]):
    return Person.objects.filter(residence__in=synthetic_areas(codes).values("id"))


def synthetic_assignments(codes: list[str]):
    areas = synthetic_areas(codes).values("id")
    return Assignment.objects.filter(
        Q(area__in=areas) | Q(person__in=synthetic_people(codes).values("id"))
    )


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
