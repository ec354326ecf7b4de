"""The synthetic area tree of `pilar synth` (pilar/core/synth/): provinces under real province
codes that hold no real areas (never 13, Sumatera Barat), with their kabupaten, kecamatan and
desa. Synthetic provinces are recognised by the suffix " [synth]" on their name; every area
under such a province is synthetic.

`plan_national` makes the country's shape instead (`synth --national`): the other 37 provinces
under their Kemendagri codes, 514 kab/kota among them (each later given an office), 14 kecamatan
each (7,196) and 11 or 12 desa per kecamatan (82,754)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.management.base import CommandError
from django.db.models import Q
from faker import Faker
from stdnum import numdb

from pilar.regions.models import Area

MARK = " [synth]"

# Real province codes python-stdnum knows, so that NIKs made from them validate. 13 (Sumatera
# Barat, where the office's own data lives) is deliberately absent.
PROVINCE_CODES = (
    "11", "12", "14", "15", "16", "17", "18", "19", "32", "33", "35", "51", "52", "53", "61",
    "62", "63", "64", "71", "72", "73", "74", "75", "76", "81", "82", "91",
)  # fmt: skip

PLACE_WORDS = [
    "Koto", "Sungai", "Bukit", "Padang", "Tanjung", "Lubuk", "Air", "Pasar", "Pulau", "Muara",
    "Kampung", "Batu", "Teluk", "Simpang", "Tanah", "Pematang", "Rantau", "Ujung", "Talang",
]  # fmt: skip
STREET_PREFIXES = ("Jalan ", "Jl. ", "Gang ", "Gg. ")

# The 38 provinces by their Kemendagri codes (since the 2022 Papua division).
NATIONAL_PROVINCES = {
    "11": "Aceh", "12": "Sumatera Utara", "13": "Sumatera Barat", "14": "Riau", "15": "Jambi",
    "16": "Sumatera Selatan", "17": "Bengkulu", "18": "Lampung",
    "19": "Kepulauan Bangka Belitung", "21": "Kepulauan Riau", "31": "DKI Jakarta",
    "32": "Jawa Barat", "33": "Jawa Tengah", "34": "DI Yogyakarta", "35": "Jawa Timur",
    "36": "Banten", "51": "Bali", "52": "Nusa Tenggara Barat", "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat", "62": "Kalimantan Tengah", "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur", "65": "Kalimantan Utara", "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah", "73": "Sulawesi Selatan", "74": "Sulawesi Tenggara",
    "75": "Gorontalo", "76": "Sulawesi Barat", "81": "Maluku", "82": "Maluku Utara",
    "91": "Papua", "92": "Papua Barat", "93": "Papua Selatan", "94": "Papua Tengah",
    "95": "Papua Pegunungan", "96": "Papua Barat Daya",
}  # fmt: skip
NATIONAL_KABKOTA = 514
NATIONAL_KECAMATAN = 14  # per kab/kota: 7,196 in all
NATIONAL_DESA = (11, 12)  # per kecamatan, alternating: 82,754 in all
# python-stdnum names the kab/kota of the provinces up to 82; Kalimantan Utara and the Papua
# provinces (re-coded in 2022) get this many kabupaten with made-up names, and the provinces
# then one more each in turn until the country has NATIONAL_KABKOTA.
UNNAMED_KABKOTA = {"65": 5, "91": 9, "92": 7, "93": 4, "94": 8, "95": 8, "96": 6}


@dataclass
class Node:
    code: str
    name: str
    level: int
    kind: str
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    pk: int | None = None


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


def office_seed(seed: int, code: str) -> str:
    """What a national kab/kota's random numbers are seeded with (its names, then its people
    and casework): the same office gets the same rows whatever else is generated."""
    return f"{seed}:{code}"


def _national_kabkota(rng, roots: list[str], provinces: list[str]) -> dict[str, list[tuple]]:
    """(code, name, kind) of the kab/kota of each province in `provinces`, NATIONAL_KABKOTA in
    all (fewer when provinces are taken)."""
    loc = numdb.get("id/loc")
    kabs: dict[str, list[tuple]] = {}
    for pcode in provinces:
        known = []
        if pcode not in UNNAMED_KABKOTA:
            for k in range(1, 100):
                info = loc.info(f"{pcode}{k:02d}")
                if len(info) == 2 and info[1][1].get("name_id"):
                    kind = Area.Kind.KOTA if k >= 71 else Area.Kind.KABUPATEN
                    known.append((f"{k:02d}", info[1][1]["name_id"].title(), kind))
        kabs[pcode] = known
    wanted = dict.fromkeys(provinces, 0) | {p: n for p, n in UNNAMED_KABKOTA.items() if p in kabs}
    total = sum(max(len(v), wanted[p]) for p, v in kabs.items())
    turn = 0
    while total < NATIONAL_KABKOTA * len(provinces) // (len(NATIONAL_PROVINCES) - 1):
        wanted[provinces[turn % len(provinces)]] += 1
        total = sum(max(len(v), wanted[p]) for p, v in kabs.items())
        turn += 1
    for pcode in provinces:
        used = {int(code) for code, _name, _kind in kabs[pcode]}
        free = (k for k in range(1, 71) if k not in used)
        while len(kabs[pcode]) < wanted[pcode]:
            name = f"{rng.choice(PLACE_WORDS)} {rng.choice(roots)}"
            kabs[pcode].append((f"{next(free):02d}", name, Area.Kind.KABUPATEN))
        kabs[pcode].sort()
    return kabs


def plan_national(
    rng: random.Random, fake: Faker, *, seed: int, offices: int, taken: set[str]
) -> list[Node]:
    """The country's synthetic tree (see the module's docstring), cut after the first `offices`
    kab/kota: whatever `offices`, the first ones are the same (each kab/kota's names are drawn
    from numbers seeded by `seed` and its code, `office_seed`)."""
    roots = _place_roots(fake, 2000)
    provinces = [c for c in NATIONAL_PROVINCES if c != "13" and c not in taken]
    kabs = _national_kabkota(rng, roots, provinces)
    tree: list[Node] = []
    made = 0
    for pcode in provinces:
        if made == offices:
            break
        province = Node(pcode, NATIONAL_PROVINCES[pcode] + MARK, 1, Area.Kind.PROVINSI)
        tree.append(province)
        for kcode, kname, kind in kabs[pcode]:
            if made == offices:
                break
            made += 1
            city = Node(f"{pcode}.{kcode}", kname, 2, kind, province)
            province.children.append(city)
            names = random.Random(office_seed(seed, city.code))
            for c in range(1, NATIONAL_KECAMATAN + 1):
                kec_name = f"{names.choice(PLACE_WORDS)} {names.choice(roots)}"
                kec = Node(f"{city.code}.{c:02d}", kec_name, 3, Area.Kind.KECAMATAN, city)
                city.children.append(kec)
                for d in range(1, NATIONAL_DESA[c % 2] + 1):
                    name = f"{names.choice(PLACE_WORDS)} {names.choice(roots)}"
                    kec.children.append(
                        Node(f"{kec.code}.{2000 + d}", name, 4, Area.Kind.DESA, kec)
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
