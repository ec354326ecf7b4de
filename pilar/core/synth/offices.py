"""The synthetic offices of `pilar synth --national` (pilar/core/synth/): one per synthetic
kab/kota and per synthetic province, and a national office at the top (no area) when the
installation has none, each marked " [synth]" in its name (docs/OFFICE.md, "Many offices").
`--reset` deletes them with the areas."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db.models import ProtectedError, Q

from pilar.core.synth.areas import MARK, Node, synthetic_areas
from pilar.offices.models import Office

NATIONAL_NAME = "Kementerian Sosial" + MARK
PUBLIC_URL = "https://synth.pilar.invalid"


def _office(name: str, city: str, area_id: int | None) -> Office:
    return Office(
        area_id=area_id,
        name=name,
        city=city,
        head_title="Kepala Dinas Sosial",
        treasurer_title="Bendahara Pengeluaran",
        public_url=PUBLIC_URL,
    )


def save_offices(levels: dict[int, list[Node]]) -> int:
    """An office for each synthetic province and kab/kota (and the national one when no office
    has no area); returns how many were made."""
    offices = []
    if not Office.objects.filter(area__isnull=True).exists():
        offices.append(_office(NATIONAL_NAME, "Jakarta", None))
    for node in levels[1]:
        name = node.name.removesuffix(MARK)
        offices.append(_office(f"Dinas Sosial Provinsi {name}{MARK}", name, node.pk))
    for node in levels[2]:
        kind = "Kota" if node.kind == "kota" else "Kabupaten"
        offices.append(_office(f"Dinas Sosial {kind} {node.name}{MARK}", node.name, node.pk))
    Office.objects.bulk_create(offices, batch_size=1000)
    return len(offices)


def synthetic_offices(codes: list[str]):
    """The offices synth made: those of the synthetic areas and the national one."""
    return Office.objects.filter(
        Q(area__in=synthetic_areas(codes).filter(level__lte=2).values("id"))
        | Q(area__isnull=True, name=NATIONAL_NAME)
    )


def delete_offices(codes: list[str]) -> int:
    """Delete the synthetic offices; refused, naming what holds them, while users or records
    of those offices remain (a benchmark's own: it removes them first)."""
    try:
        return synthetic_offices(codes).delete()[1].get(Office._meta.label, 0)
    except ProtectedError as held:
        kinds = sorted({type(obj)._meta.verbose_name for obj in held.protected_objects})
        raise CommandError(
            f"the synthetic offices still have {', '.join(str(k) for k in kinds)}: remove "
            "those first (they are not synth's)"
        ) from held
