"""KUBE groups for the Bukittinggi demonstration data (called by `pilar demo`).

About 30 groups spread over the kelurahan that have households, each with 5–12 member
households of its kelurahan (a chair, a secretary and a treasurer), one companion from the
Pendamping KUBE of its kecamatan (every pendamping accompanies at least one group), the 2021
APBD aid of Rp25,000,000 in goods to 10 groups (5 in Guguak Panjang, 5 in ABTB)
and monthly business records for 2024. Deterministic from `rng`; written through the services
so every row is validated and audited like any other write.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from pilar.audit.services import Actor
from pilar.kube import services
from pilar.kube.models import KubeAid, KubeGroup
from pilar.lib.months import add_months, month_start, months_between
from pilar.registry.models import Assignment

D = datetime.date
GROUPS = 30
NAMES = [
    "Sejahtera",
    "Maju Bersama",
    "Saiyo Sakato",
    "Harapan Baru",
    "Mekar Sari",
    "Karya Mandiri",
    "Bunga Tanjung",
    "Ampek Angkek",
    "Rangkiang",
    "Sakato",
    "Tuah Basamo",
    "Bukik Barisan",
]
BUSINESSES = [
    "Jahit menjahit",
    "Bordir dan sulaman",
    "Kerupuk sanjai",
    "Warung kelontong",
    "Kue tradisional",
    "Ternak itik",
    "Budidaya ikan air tawar",
    "Rendang kemasan",
    "Kerajinan bambu",
    "Sayur hidroponik",
]
NOTES = [
    "Pembukuan kas sudah rutin setiap minggu.",
    "Anggota sepakat menyisihkan tabungan kelompok setiap bulan.",
    "Perlu pendampingan pemasaran; penjualan turun saat musim hujan.",
    "Bantuan peralatan sudah digunakan seluruh anggota.",
    "Rapat kelompok bulanan berjalan, notulen tersedia.",
]
AID_2021 = D(2021, 11, 15)  # the revised APBD of 2021
AID_2021_VALUE = 25_000_000


def _round_thousand(value: float) -> int:
    return int(round(value / 1000)) * 1000


def load_kube(*, rng: random.Random, fake, by: Actor, pendamping, households_by_area) -> None:
    """Create the demonstration KUBE groups (see the module docstring)."""
    duties = {
        a.person_id: a
        for a in Assignment.objects.filter(
            person__in=pendamping, kind__code=services.COMPANION_KIND, end_date__isnull=True
        ).select_related("area")
    }
    by_kecamatan: dict = defaultdict(list)
    for person in sorted(pendamping, key=lambda p: p.pk):
        duty = duties.get(person.pk)
        if duty is not None:
            by_kecamatan[duty.area.code].append(person)
    kelurahan_by_kecamatan: dict = defaultdict(list)
    for kel in sorted(households_by_area, key=lambda a: a.code):
        kecamatan = kel.ancestor_code(3)
        if kecamatan in by_kecamatan:
            kelurahan_by_kecamatan[kecamatan].append(kel)
    kecamatan_codes = sorted(k for k in by_kecamatan if kelurahan_by_kecamatan.get(k))
    if not kecamatan_codes:
        return
    # Groups per kecamatan: at least one per pendamping, the rest in turn.
    counts = {k: len(by_kecamatan[k]) for k in kecamatan_codes}
    i = 0
    while sum(counts.values()) < GROUPS:
        counts[kecamatan_codes[i % len(kecamatan_codes)]] += 1
        i += 1
    free = {
        kel: [h for h in sorted(hs, key=lambda h: h.pk) if h.status == "active"]
        for kel, hs in households_by_area.items()
    }
    for hs in free.values():
        rng.shuffle(hs)
    made: list[KubeGroup] = []
    serial = 0
    for kecamatan in kecamatan_codes:
        companions = list(by_kecamatan[kecamatan])
        rng.shuffle(companions)
        kelurahan = kelurahan_by_kecamatan[kecamatan]
        for n in range(counts[kecamatan]):
            kel = kelurahan[n % len(kelurahan)]
            size = rng.randint(5, 12)
            if len(free[kel]) < 5:
                continue
            size = min(size, len(free[kel]))
            serial += 1
            founded = D(2017, 1, 2) + datetime.timedelta(days=rng.randrange(0, 6 * 365))
            stage = (
                KubeGroup.Stage.GROWTH
                if founded.year >= 2021
                else rng.choice([KubeGroup.Stage.DEVELOPMENT, KubeGroup.Stage.INDEPENDENT])
            )
            group = services.kube_group_create(
                by=by,
                data={
                    "name": f"KUBE {NAMES[serial % len(NAMES)]} {kel.name}"[:120],
                    "area": kel,
                    "business_type": rng.choice(BUSINESSES),
                    "founded_on": founded,
                    "stage": stage,
                },
            )
            roles = ["chair", "secretary", "treasurer"] + ["member"] * (size - 3)
            for role in roles:
                services.kube_member_add(
                    by=by, group=group, household=free[kel].pop(), role=role, joined_on=founded
                )
            companion = companions[n % len(companions)]
            start = max(founded, duties[companion.pk].start_date)
            services.kube_companion_set(by=by, group=group, person=companion, start_date=start)
            for _ in range(rng.randint(1, 3)):
                day = D(2024, 1, 5) + datetime.timedelta(days=rng.randrange(0, 360))
                services.kube_note_add(by=by, group=group, date=day, text=rng.choice(NOTES))
            made.append(group)
    _aid(rng, by, made)
    _records(rng, by, made)


def _aid(rng: random.Random, by: Actor, groups: list[KubeGroup]) -> None:
    # 2021: Rp25 million in goods from the revised APBD to 5 groups in Guguak Panjang (.01)
    # and 5 in Aur Birugo Tigo Baleh (.03), as reported.
    for kecamatan in ("13.75.01", "13.75.03"):
        eligible = [
            g for g in groups if g.area.code.startswith(kecamatan + ".") and g.founded_on < AID_2021
        ]
        for group in eligible[:5]:
            services.kube_aid_add(
                by=by,
                group=group,
                date=AID_2021,
                source=KubeAid.Source.APBD,
                form=KubeAid.Form.GOODS,
                value=AID_2021_VALUE,
                description="Peralatan usaha (APBD Perubahan 2021)",
            )
    # A few older groups had the Kemensos money grant paid into their account.
    older = [g for g in groups if g.founded_on < D(2019, 1, 1)]
    for group in rng.sample(older, min(3, len(older))):
        services.kube_aid_add(
            by=by,
            group=group,
            date=group.founded_on + datetime.timedelta(days=rng.randint(60, 200)),
            source=KubeAid.Source.APBN,
            form=KubeAid.Form.MONEY,
            value=20_000_000,
            description="Bantuan modal usaha KUBE",
        )


def _records(rng: random.Random, by: Actor, groups: list[KubeGroup]) -> None:
    scale = {"growth": 3_000_000, "development": 6_000_000, "independent": 10_000_000}
    for group in groups:
        base = scale[group.stage] * rng.uniform(0.6, 1.4)
        for month in range(1, 13):
            day = D(2024, month, 1)
            if day < month_start(group.founded_on):
                continue
            turnover = _round_thousand(base * rng.uniform(0.7, 1.3) * (1 + month / 40))
            savings = _round_thousand(turnover * rng.uniform(0.04, 0.15))
            services.kube_record_add(
                by=by, group=group, month=day, turnover=turnover, savings=savings
            )


def continue_records(*, rng: random.Random, by: Actor, today: datetime.date) -> int:
    """The active groups' turnover and savings from January 2025 to the last complete month
    before `today`, growing slowly (the outcomes page's KUBE trend, docs/OUTCOMES.md)."""
    last = add_months(month_start(today), -1)
    made = 0
    groups = KubeGroup.objects.filter(status=KubeGroup.Status.ACTIVE).order_by("pk")
    for group in groups:
        latest = group.records.in_force().order_by("-month").first()
        base = latest.turnover if latest else 3_000_000
        for n, month in enumerate(months_between(D(2025, 1, 1), last), start=1):
            turnover = _round_thousand(base * rng.uniform(0.8, 1.2) * (1 + n / 60))
            savings = _round_thousand(turnover * rng.uniform(0.04, 0.15))
            services.kube_record_add(
                by=by, group=group, month=month, turnover=turnover, savings=savings
            )
            made += 1
    return made
