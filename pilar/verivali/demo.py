"""The verivali round of `pilar demo`, in progress on the day the demo is loaded.

"Verivali DTSEN Semester I|II <year>" (the semester of the loading day) visits the households of
deciles 1–4 in the first two kelurahan of each of Bukittinggi's three kecamatan — those of the
demo's PSM users among them — all of the demo's DTSEN extract. The round started 30 days before
the loading day and ends 45 days after it. Everything goes through the verivali services
(pilar/verivali/services.py): `round_open` gives each visit to the household's accompanying PSM
(else the kelurahan's PSM with the fewest), the pillars record their findings (the demo's PSM
users with their own accounts, the other PSM through the office's system actor, as the demo
loads the rest of their work), the kecamatan's TKSK user accepts (which applies the finding to
the household records) or returns them with a note. About 40% of the visits are not visited yet.
Every kind of finding is there, and every state; psm-001 proposes one household not on the list,
waiting for review. Visits are dated this month before the loading day (the month's report is
not sent yet); seeded, so the same day gives the same round.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from pilar.accounts.models import Role
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework.models import Relation
from pilar.lib.months import month_start
from pilar.lib.nik import make_nik
from pilar.regions.models import Area
from pilar.verivali import reviews, services
from pilar.verivali.models import Finding, Round, Visit

VISITED_SHARE = 0.6
# The kinds after the first seven findings (one of each kind first), by weight.
KIND_WEIGHTS = {
    "confirmed": 50,
    "corrected": 20,
    "moved": 5,
    "deceased": 4,
    "split": 4,
    "not_found": 5,
    "better_off": 7,
}
FIRST_KINDS = ["corrected", "moved", "deceased", "split", "not_found", "better_off", "confirmed"]
# What the coordinator did with a finding: cumulative shares; the rest wait for review.
REVIEW = [("accepted", 0.45), ("returned", 0.6)]
FIRST_STATES = ["accepted", "returned", "submitted"]
RETURN_NOTES = [
    "Foto rumah belum ada; mohon lengkapi saat kunjungan ulang.",
    "Tanggal lahir anggota tidak sesuai KK; periksa kembali.",
    "Alamat pindah belum lengkap (kelurahan dan kota).",
]
MOVED_TO = ["Padang", "Kabupaten Agam", "Payakumbuh", "Pekanbaru", "Kota Padang Panjang"]
NOT_FOUND_NOTES = [
    "Rumah kosong, tetangga tidak mengenal keluarga ini.",
    "Alamat tidak ditemukan; ketua RT tidak mengenal nama kepala keluarga.",
]
BETTER_OFF_NOTES = [
    "Kepala keluarga sudah bekerja tetap sebagai PNS; rumah sudah permanen.",
    "Keluarga membuka usaha toko dan memiliki mobil; tidak layak lagi.",
]
PSM_USERS = ("psm-001", "psm-002", "psm-003")


def semester_name(day: datetime.date) -> str:
    return f"Verivali DTSEN Semester {'I' if day.month <= 6 else 'II'} {day.year}"


def round_kelurahan() -> list[Area]:
    """The first two kelurahan (by code) of each of the city's kecamatan."""
    chosen = []
    for kec in Area.objects.filter(level=Area.Level.KECAMATAN, code__startswith="13.75.").order_by(
        "code"
    ):
        chosen += list(
            Area.objects.filter(level=Area.Level.KELURAHAN, parent=kec).order_by("code")[:2]
        )
    return chosen


class RoundDemo:
    def __init__(self, *, rng: random.Random, fake, today: datetime.date, source_import=None):
        self.rng, self.fake, self.today = rng, fake, today
        self.source_import = source_import
        self.system = Actor.system(source=AuditEntry.Source.SYSTEM)
        User = get_user_model()
        self.office = User.objects.get(username="operator")
        self.pillars = {
            u.person_id: u for u in User.objects.filter(username__in=PSM_USERS).order_by("pk")
        }
        self.reviewers = {}
        for user in User.objects.filter(grants__role=Role.COORDINATOR).order_by("pk"):
            self.reviewers[user.grants.get(role=Role.COORDINATOR).area_id] = user
        # Visits this month before the loading day (the loading day itself on the 1st).
        self.first_day = month_start(today)
        self.last_day = max(today - datetime.timedelta(days=1), self.first_day)

    def actor(self, user=None) -> Actor:
        return Actor(user=user, source=AuditEntry.Source.SYSTEM) if user else self.system

    def load(self) -> dict:
        period_start = self.today - datetime.timedelta(days=30)
        rnd = services.round_open(
            by=self.actor(self.office),
            data={
                "name": semester_name(self.today),
                "period_start": period_start,
                "period_end": self.today + datetime.timedelta(days=45),
                "areas": round_kelurahan(),
                "deciles": [1, 2, 3, 4],
                "categories": [],
                "source_import": self.source_import,
            },
        )
        self.first_day = max(self.first_day, period_start)
        visits = list(
            Visit.objects.filter(round=rnd, person__isnull=False)
            .select_related("household", "area__parent", "person")
            .order_by("area__code", "pk")
        )
        # The demo users' visits first, so that each of them has findings of several kinds.
        visits.sort(key=lambda v: v.person_id not in self.pillars)
        recorded = []
        for visit in visits:
            if self.rng.random() >= VISITED_SHARE:
                continue
            finding = self.record(visit, len(recorded))
            if finding is not None:
                recorded.append(finding)
        self.propose(rnd)
        for n, finding in enumerate(recorded):
            self.review(finding, n)
        return self.describe(rnd)

    def kind_for(self, n: int) -> str:
        if n < len(FIRST_KINDS):
            return FIRST_KINDS[n]
        return self.rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]

    def day(self) -> datetime.date:
        span = (self.last_day - self.first_day).days
        return self.first_day + datetime.timedelta(days=self.rng.randrange(span + 1))

    def record(self, visit: Visit, n: int) -> Finding | None:
        """The pillar's finding on `visit` through `finding_record`; None where the service
        refuses (a kind the household cannot have falls back to confirmed)."""
        day = self.day()
        household = visit.household
        members = list(household.members.filter(left_on__isnull=True).order_by("pk"))
        others = [m for m in members if m.relation != Relation.HEAD]
        kind = self.kind_for(n)
        if kind in ("deceased", "split") and not others:
            kind = "confirmed"
        data: dict = {"kind": kind, "visited_on": day, "note": ""}
        if kind == "corrected":
            data["changes"] = self.corrections(household, members)
        elif kind == "moved":
            data["moved_to"] = self.rng.choice(MOVED_TO)
        elif kind == "deceased":
            member = self.rng.choice(others)
            data["deceased_member"] = member.pk
            data["deceased_on"] = day - datetime.timedelta(days=self.rng.randrange(20, 300))
            data["note"] = "Surat keterangan kematian dari kelurahan sudah ada."
        elif kind == "split":
            data["split_members"] = [others[-1].pk]
            data["note"] = "Anak sudah menikah dan membuat KK sendiri."
        elif kind == "not_found":
            data["note"] = self.rng.choice(NOT_FOUND_NOTES)
        elif kind == "better_off":
            data["note"] = self.rng.choice(BETTER_OFF_NOTES)
        try:
            return services.finding_record(
                by=self.actor(self.pillars.get(visit.person_id)), visit=visit, data=data
            )
        except ValidationError:
            return None  # e.g. the pillar had no duty that day: the visit stays outstanding

    def corrections(self, household, members) -> dict:
        roll = self.rng.random()
        if roll < 0.4:
            rt, rw = self.rng.randrange(1, 9), self.rng.randrange(1, 6)
            return {"rt_rw": f"{rt:03d}/{rw:03d}", "address": self.fake.street_address()}
        if roll < 0.75 and household.decile:
            decile = household.decile + (1 if household.decile < 4 else -1)
            return {"decile": decile}
        member = self.rng.choice(members)
        return {"members": {str(member.pk): {"name": f"{member.name} {self.fake.last_name()}"}}}

    def review(self, finding: Finding, n: int) -> None:
        """The kecamatan's TKSK accepts (applied to the records) or returns the finding."""
        if n < len(FIRST_STATES):
            state = FIRST_STATES[n]
        else:
            roll = self.rng.random()
            state = next((s for s, upto in REVIEW if roll < upto), "submitted")
        if state == "submitted":
            return
        reviewer = self.reviewers.get(finding.visit.area.parent_id)
        by = self.actor(reviewer)
        try:
            if state == "accepted":
                reviews.finding_accept(by=by, finding=finding, version=finding.version)
            else:
                note = self.rng.choice(RETURN_NOTES)
                reviews.finding_return(by=by, finding=finding, note=note, version=finding.version)
        except ValidationError:
            return  # the records changed since (another finding applied first): left waiting

    def propose(self, rnd: Round) -> None:
        """psm-001 proposes a family of their kelurahan not on the list (waiting for review)."""
        user = next(iter(self.pillars.values()), None)
        if user is None:
            return
        duty = user.person.assignments.filter(end_date__isnull=True).select_related("area").first()
        area = duty.area
        area6 = area.code_digits[:6]
        head_born = datetime.date(1988, 4, 17)
        wife_born = datetime.date(1991, 9, 2)
        child_born = datetime.date(2019, 1, 23)
        members = [
            (Relation.HEAD, "L", head_born, self.fake.name_male()),
            (Relation.SPOUSE, "P", wife_born, self.fake.name_female()),
            (Relation.CHILD, "P", child_born, self.fake.name_female()),
        ]
        services.visit_propose(
            by=self.actor(user),
            round=rnd,
            data={
                "kk_number": f"{area6}{datetime.date(2019, 3, 11):%d%m%y}7301",
                "area": area,
                "address": f"{self.fake.street_address()}, RT 03/RW 02",
                "rt_rw": "003/002",
                "decile": 1,
                "members": [
                    {
                        "nik": make_nik(area6=area6, birth_date=born, sex=sex, serial=7301 + i),
                        "name": name,
                        "sex": sex,
                        "birth_date": born,
                        "relation": relation,
                    }
                    for i, (relation, sex, born, name) in enumerate(members)
                ],
                "visited_on": self.day(),
                "note": "Keluarga baru pindah dari Agam, belum terdata di DTSEN.",
            },
        )

    def describe(self, rnd: Round) -> dict:
        findings = Finding.objects.filter(visit__round=rnd)
        return {
            "round": rnd,
            "visits": Visit.objects.filter(round=rnd).count(),
            "findings": findings.count(),
            "kinds": Counter(findings.values_list("kind", flat=True)),
            "states": Counter(findings.values_list("status", flat=True)),
        }


def describe_round(figures: dict) -> str:
    """The demo's output line for the round."""
    rnd = figures["round"]
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(figures["kinds"].items()))
    states = ", ".join(f"{k} {n}" for k, n in sorted(figures["states"].items()))
    return (
        f"Verivali: {rnd.name} ({rnd.period_start.isoformat()} to {rnd.period_end.isoformat()}, "
        f"/verivali/{rnd.pk}/): {figures['visits']} visits, {figures['findings']} "
        f"findings ({states}; {kinds})"
    )


def load_round(*, rng: random.Random, fake, today: datetime.date, source_import=None) -> dict:
    """The round in progress (see the module docstring); its figures for the demo's output."""
    return RoundDemo(rng=rng, fake=fake, today=today, source_import=source_import).load()
