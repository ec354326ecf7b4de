"""Casework for `pilar demo`: households in every kelurahan, the PSM's caseloads, a year of
activities in the four sectors and monthly reports in every state for July–October 2024.

Thousands of rows: written in bulk (one audit entry per kind of row says what was loaded),
unlike the registry's 390 people, which go through the services one by one.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from django.db.models import Q
from django.utils import timezone

from pilar.audit.services import Actor, audit_record
from pilar.casework.models import (
    Activity,
    ActivityType,
    Caseload,
    Household,
    HouseholdMember,
    MonthlyReport,
    NeedCategory,
    Relation,
)
from pilar.casework.services import month_end, next_month
from pilar.lib.nik import make_nik
from pilar.regions.models import Area
from pilar.registry.models import Assignment

D = datetime.date
YEAR = 2024
# Weights of the PMKS numbers among the demo's households (24 = Fakir Miskin).
CATEGORY_WEIGHTS = {24: 60, 8: 10, 9: 8, 23: 6, 2: 4, 21: 3, 25: 3, 1: 2, 11: 1, 12: 1, 17: 1}
# What each kind of pillar mostly does (activity type codes, weighted by repetition).
WORK = {
    "PSM": ["HOME_VISIT"] * 5
    + ["REFERRAL", "COUNSELLING", "ASSESSMENT", "OUTREACH"]
    + ["BANSOS_PROPOSAL", "BANSOS_PROPOSAL", "DATA_UPDATE", "DATA_UPDATE"]
    + ["PBI_PAPERS", "PBI_PAPERS", "HEALTH_ESCORT", "ATENSI", "CIVIL_DOCUMENTS"]
    + ["UEP", "TRAINING", "COMMUNITY_WORK"],
    "TKSK": ["DATA_UPDATE", "BANSOS_PROPOSAL", "TRAINING", "COMMUNITY_WORK", "ADVOCACY"],
    "TAGANA": ["DISASTER_RESPONSE", "EMERGENCY_KITCHEN", "TRAINING", "COMMUNITY_WORK"],
    "PENDAMPING_KUBE": ["KUBE_COACHING"] * 4 + ["UEP", "TRAINING"],
}
NOTES = [
    "Kondisi keluarga stabil, anak sudah sekolah kembali.",
    "Lansia sakit, disarankan periksa ke puskesmas.",
    "Berkas PBI sudah diserahkan ke kelurahan.",
    "Usulan bansos diinput ke SIKS-NG.",
    "Rumah perlu perbaikan atap, diusulkan ke program RTLH.",
    "Keluarga meminta bantuan pengurusan akta kelahiran.",
    "",
    "",
]


REASONS = {
    "returned": "Lengkapi foto dan catatan kunjungan.",
    "reopened": "Kegiatan bulan ini terlambat dicatat; dibuka kembali oleh operator.",
}


# Share of each month's reports in each state, cumulative; the rest were never submitted.
STATES = {
    "first half": [("verified", 1.0)],
    "july-september": [
        ("verified", 0.93),
        ("submitted", 0.96),
        ("returned", 0.98),
        ("reopened", 0.99),
    ],
    "october": [("verified", 0.35), ("submitted", 0.7), ("returned", 0.8)],
}


def _state(month: datetime.date, roll: float) -> str | None:
    period = (
        "first half"
        if month < D(YEAR, 7, 1)
        else "october"
        if month.month == 10
        else "july-september"
    )
    return next((state for state, upto in STATES[period] if roll < upto), None)


def _kk(rng: random.Random, area6: str, serial: int) -> str:
    day = D(rng.randrange(2008, 2024), rng.randrange(1, 13), rng.randrange(1, 29))
    return f"{area6}{day:%d%m%y}{serial:04d}"


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


class CaseworkDemo:
    def __init__(self, *, rng: random.Random, fake, by: Actor, users: dict) -> None:
        self.rng, self.fake, self.by = rng, fake, by
        self.users = users  # "operator" and one coordinator user per kecamatan code
        self.types = {t.code: t for t in ActivityType.objects.all()}
        self.categories = {c.number: c for c in NeedCategory.objects.all()}
        self.serial = 5000

    def households(self) -> dict[Area, list[Household]]:
        """About 125 households in each kelurahan (3,000), with their members."""
        rng = self.rng
        kelurahan = list(Area.objects.filter(level=Area.Level.KELURAHAN, code__startswith="13.75."))
        made, members, links = [], [], []
        for kel in kelurahan:
            area6 = kel.code_digits[:6]
            for n in range(rng.randrange(110, 140)):
                decile = rng.choices(range(1, 11), weights=[18, 18, 16, 14, 12, 8, 6, 4, 2, 2])[0]
                h = Household(
                    kk_number=_kk(rng, area6, len(made) + 1),
                    area=kel,
                    address=f"{self.fake.street_address()}, RT 0{rng.randrange(1, 9)}/RW 0"
                    f"{rng.randrange(1, 6)}",
                    dtsen_id=f"DTSEN-{area6}-{len(made) + 1:06d}" if rng.random() < 0.85 else "",
                    decile=decile,
                )
                if n % 60 == 59:
                    h.status, h.status_reason = Household.Status.MOVED, "Pindah ke Padang"
                    h.status_date = D(YEAR, rng.randrange(1, 10), 1)
                made.append(h)
        Household.objects.bulk_create(made, batch_size=1000)
        weights = list(CATEGORY_WEIGHTS.values())
        for h in made:
            for number in {
                *rng.choices(list(CATEGORY_WEIGHTS), weights=weights, k=rng.choice([1, 1, 2]))
            }:
                links.append(
                    Household.categories.through(household=h, needcategory=self.categories[number])
                )
            members += self._members(h)
        Household.categories.through.objects.bulk_create(links, batch_size=2000)
        HouseholdMember.objects.bulk_create(members, batch_size=2000)
        audit_record(
            by=self.by,
            action="demo.load",
            object_type="casework.household",
            object_repr="households",
            note=f"{len(made)} households, {len(members)} members",
        )
        by_area: dict[Area, list[Household]] = defaultdict(list)
        for h in made:
            by_area[h.area].append(h)
        return by_area

    def _members(self, h: Household) -> list[HouseholdMember]:
        rng, fake = self.rng, self.fake
        area6 = h.area.code_digits[:6]
        rows = []

        def person(relation, sex, born):
            self.serial += 1
            name = fake.name_male() if sex == "L" else fake.name_female()
            nik = make_nik(area6=area6, birth_date=born, sex=sex, serial=self.serial % 10000 or 1)
            rows.append(
                HouseholdMember(
                    household=h, nik=nik, name=name, sex=sex, birth_date=born, relation=relation
                )
            )

        head_sex = "L" if rng.random() < 0.8 else "P"
        head_born = D(rng.randrange(1945, 1995), rng.randrange(1, 13), rng.randrange(1, 29))
        person(Relation.HEAD, head_sex, head_born)
        if head_sex == "L" and rng.random() < 0.85:
            person(
                Relation.SPOUSE, "P", head_born + datetime.timedelta(days=rng.randrange(300, 2500))
            )
        for _ in range(rng.choice([0, 1, 2, 2, 3])):
            born = D(min(head_born.year + rng.randrange(20, 40), 2023), rng.randrange(1, 13), 15)
            person(Relation.CHILD, rng.choice("LP"), born)
        return rows

    def caseloads(self, by_area: dict[Area, list[Household]]) -> dict[int, list[Household]]:
        """Each PSM serving on 22 October 2024 accompanies about 8 households of their
        kelurahan; some households nobody accompanies yet."""
        rng = self.rng
        day = D(YEAR, 10, 22)
        rows, of_person = [], defaultdict(list)
        duties = (
            Assignment.objects.active_on(day)
            .filter(kind__code="PSM")
            .select_related("area")
            .order_by("area__code", "person_id")
        )
        pool = {area.pk: [h for h in hs if h.status == "active"] for area, hs in by_area.items()}
        for duty in duties:
            free = pool.get(duty.area_id, [])
            for h in free[: rng.randrange(6, 11)]:
                start = max(duty.start_date, D(YEAR, 1, 2)) + datetime.timedelta(
                    days=rng.randrange(0, 20)
                )
                rows.append(Caseload(household=h, person_id=duty.person_id, start_date=start))
                of_person[duty.person_id].append((h, start))
            pool[duty.area_id] = free[len(of_person[duty.person_id]) :]
        Caseload.objects.bulk_create(rows, batch_size=2000)
        audit_record(
            by=self.by,
            action="demo.load",
            object_type="casework.caseload",
            object_repr="caseloads",
            note=f"{len(rows)} households accompanied by {len(of_person)} PSM",
        )
        return of_person

    def activities(self, caseloads, kube_groups: dict[int, list] | None = None) -> dict:
        """A year of work by every pillar serving in 2024; returns the figures per (person,
        kind, month) for the reports."""
        rng = self.rng
        kube_groups = kube_groups or {}
        duties = (
            Assignment.objects.filter(start_date__lte=D(YEAR, 12, 31))
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=D(YEAR, 1, 1)))
            .filter(kind__code__in=list(WORK))
            .select_related("kind")
        )
        made, links, figures = [], [], defaultdict(list)
        for duty in duties:
            code = duty.kind.code
            month = D(YEAR, 1, 1)
            while month.year == YEAR:
                first = max(month, duty.start_date)
                last = min(month_end(month), duty.end_date or D(YEAR, 12, 31))
                if first <= last:
                    count = {"PSM": (3, 9), "TKSK": (3, 7), "TAGANA": (1, 4)}.get(code, (2, 6))
                    for _ in range(rng.randrange(*count)):
                        made.append(self._activity(duty, first, last, caseloads, kube_groups))
                month = next_month(month)
        Activity.objects.bulk_create([a for a, _ in made], batch_size=2000)
        for activity, households in made:
            for h in households:
                links.append(Activity.households.through(activity=activity, household=h))
            figures[(activity.person_id, activity.kind_id, activity.month)].append(
                (activity, [h.pk for h in households])
            )
        Activity.households.through.objects.bulk_create(links, batch_size=5000)
        audit_record(
            by=self.by,
            action="demo.load",
            object_type="casework.activity",
            object_repr="activities",
            note=f"{len(made)} activities in {YEAR}",
        )
        return figures

    def _activity(self, duty, first, last, caseloads, kube_groups):
        rng = self.rng
        day = first + datetime.timedelta(days=rng.randrange((last - first).days + 1))
        kind_type = self.types[rng.choice(WORK[duty.kind.code])]
        households = []
        own = [h for h, start in caseloads.get(duty.person_id, []) if start <= day]
        if own and kind_type.code not in {"COMMUNITY_WORK", "TRAINING", "DATA_UPDATE"}:
            households = rng.sample(own, k=min(len(own), rng.choice([1, 1, 1, 2])))
        group = None
        if kind_type.code == "KUBE_COACHING" and kube_groups.get(duty.person_id):
            group = rng.choice(kube_groups[duty.person_id])
        follow = None
        done = None
        if households and rng.random() < 0.2:
            follow = day + datetime.timedelta(days=rng.randrange(7, 22))
            if follow < D(YEAR, 10, 1) or rng.random() < 0.5:
                done = follow + datetime.timedelta(days=rng.randrange(0, 4))
        activity = Activity(
            person_id=duty.person_id,
            kind_id=duty.kind_id,
            area_id=duty.area_id,
            date=day,
            month=day.replace(day=1),
            sector=kind_type.sector,
            activity_type=kind_type,
            need_category=self.categories[24] if households and rng.random() < 0.5 else None,
            kube_group=group,
            notes=rng.choice(NOTES),
            follow_up_on=follow,
            follow_up_done_on=done,
        )
        return activity, households

    def reports(self, figures: dict) -> int:
        """January–September 2024 mostly verified; every state in July–October; November and
        December not yet reported."""
        rng = self.rng
        duties = {
            (d.person_id, d.kind_id): d
            for d in Assignment.objects.filter(kind__code__in=list(WORK)).select_related("area")
        }
        rows = []
        for (person_id, kind_id, month), items in sorted(figures.items(), key=lambda i: i[0]):
            if month > D(YEAR, 10, 1):
                continue
            status = _state(month, rng.random())
            if status is None:
                continue  # not submitted: shows as late
            duty = duties[(person_id, kind_id)]
            submitted = next_month(month) + datetime.timedelta(days=rng.randrange(0, 12))
            decided = submitted + datetime.timedelta(days=rng.randrange(1, 7))
            reached = {h for _, hs in items for h in hs}
            by_sector, by_type = defaultdict(int), defaultdict(int)
            for a, _ in items:
                by_sector[a.sector] += 1
                by_type[a.activity_type.name] += 1
            decider = (
                self.users.get(
                    duty.area.code.rsplit(".", 1)[0] if duty.area.level == 4 else duty.area.code
                )
                if duty.kind.code == "PSM"
                else self.users.get("operator")
            )
            rows.append(
                MonthlyReport(
                    person_id=person_id,
                    kind_id=kind_id,
                    area_id=duty.area_id,
                    month=month,
                    status=status,
                    summary={
                        "activities": len(items),
                        "by_sector": dict(by_sector),
                        "by_type": dict(sorted(by_type.items())),
                        "households": len(reached),
                        "kube_groups": len({a.kube_group_id for a, _ in items if a.kube_group_id}),
                        "follow_ups": sum(1 for a, _ in items if a.follow_up_on),
                    },
                    submitted_at=_at(submitted),
                    first_submitted_at=_at(submitted),
                    submit_count=1,
                    decided_by=decider if status != "submitted" else None,
                    decided_at=_at(decided, 14) if status != "submitted" else None,
                    return_reason=REASONS.get(status, ""),
                )
            )
        MonthlyReport.objects.bulk_create(rows, batch_size=2000)
        audit_record(
            by=self.by,
            action="demo.load",
            object_type="casework.monthlyreport",
            object_repr="monthly reports",
            note=f"{len(rows)} monthly reports, January–October {YEAR}",
        )
        return len(rows)
