"""The synthetic area tree of `pilar synth` (pilar/core/synth/): provinces under real province
codes that hold no real areas (never 13, Sumatera Barat), with their kabupaten, kecamatan and
desa. Synthetic provinces are recognised by the suffix " [synth]" on their name; every area
under such a province is synthetic."""

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
