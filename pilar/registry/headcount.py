"""Headcount: active duties as of a date, by kind, kecamatan and kelurahan.

One aggregate query counts active assignments per (kind, area of duty); every figure on the page,
in the API and in the exports is a sum over those same rows, so the totals cannot disagree.
Duties held above kelurahan level (a TKSK for a kecamatan, a Tagana for the city) appear in the
kelurahan table as their own "kecamatan level" / "city level" rows rather than being spread.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from pilar.accounts.access import Capability, area_scope, within_areas_q
from pilar.regions.models import Area
from pilar.registry.models import Assignment, PillarKind


@dataclass
class Row:
    code: str
    name: str
    level: int
    parent_code: str = ""
    # True when the row counts only duties held at this very area (a kecamatan's own TKSK,
    # the city's Tagana), not those of the areas below it.
    exact: bool = False
    # True for a kecamatan of which the user sees only some kelurahan: no gap is judged there.
    partial: bool = False
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def add(self, kind: str, n: int) -> None:
        self.by_kind[kind] = self.by_kind.get(kind, 0) + n


@dataclass
class Gap:
    kind: str
    area_code: str
    area_name: str
    count: int
    minimum: int | None
    maximum: int | None

    @property
    def below(self) -> bool:
        return self.minimum is not None and self.count < self.minimum


@dataclass
class Headcount:
    as_of: datetime.date
    kinds: list[PillarKind]
    by_kind: dict[str, int]
    by_kecamatan: list[Row]
    by_kelurahan: list[Row]
    gaps: list[Gap]
    scope: list[Area] | None

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    @property
    def kinds_in_use(self) -> list[PillarKind]:
        """Kinds worth a column in the area tables: counted on this date, or with a minimum."""
        return [k for k in self.kinds if self.by_kind.get(k.code) or k.min_per_area]

    def as_json(self) -> dict:
        def row(r: Row) -> dict:
            return {
                "code": r.code,
                "name": r.name,
                "level": LEVEL_NAMES[r.level],
                "kecamatan_code": r.parent_code or None,
                "total": r.total,
                "by_kind": r.by_kind,
            }

        return {
            "as_of": self.as_of.isoformat(),
            "total": self.total,
            "by_kind": self.by_kind,
            "by_kecamatan": [row(r) for r in self.by_kecamatan],
            "by_kelurahan": [row(r) for r in self.by_kelurahan],
            "gaps": [
                {
                    "kind": g.kind,
                    "area_code": g.area_code,
                    "area_name": g.area_name,
                    "count": g.count,
                    "minimum": g.minimum,
                    "maximum": g.maximum,
                    "problem": "below_minimum" if g.below else "above_maximum",
                }
                for g in self.gaps
            ],
        }


LEVEL_NAMES = {1: "province", 2: "city", 3: "kecamatan", 4: "kelurahan"}


def _code_at(code: str, level: int) -> str:
    return ".".join(code.split(".")[:level])


def headcount(*, as_of: datetime.date, user) -> Headcount:
    """Count the duties active on `as_of` that `user` may see in aggregate."""
    scope = area_scope(user, Capability.HEADCOUNT_VIEW)
    assignments = Assignment.objects.active_on(as_of)
    areas = Area.objects.filter(level__in=[Area.Level.KECAMATAN, Area.Level.KELURAHAN])
    if scope is not None:
        assignments = assignments.filter(within_areas_q(scope, "area"))
        areas = areas.filter(within_areas_q(scope, ""))
    counts = (
        assignments.values_list("kind__code", "area__code", "area__name", "area__level")
        .annotate(n=Count("id"))
        .order_by()
    )
    kinds = list(PillarKind.objects.all())
    by_kind: dict[str, int] = {k.code: 0 for k in kinds}
    kec: dict[str, Row] = {}
    kel: dict[str, Row] = {}
    for code, name, level in areas.values_list("code", "name", "level"):
        if level == Area.Level.KECAMATAN:
            kec[code] = Row(code, name, level)
            kel[code] = Row(code, name, level, parent_code=code, exact=True)
        else:
            kel[code] = Row(code, name, level, parent_code=_code_at(code, 3))
    if scope is not None:
        # Name the kecamatan of a kelurahan-scoped user, without judging its gaps.
        partial = {a.ancestor_code(Area.Level.KECAMATAN) for a in scope if a.level > 3}
        for code, name in Area.objects.filter(code__in=partial).values_list("code", "name"):
            kec.setdefault(code, Row(code, name, Area.Level.KECAMATAN, partial=True))
    higher: dict[str, Row] = {}  # duties above kecamatan level, e.g. a city's Tagana
    for kind, code, name, level, n in counts:
        by_kind[kind] = by_kind.get(kind, 0) + n
        if level >= Area.Level.KECAMATAN:
            kec_code = _code_at(code, 3)
            if kec_code not in kec:  # an area outside the listed tree (never in a sound db)
                kec[kec_code] = Row(kec_code, kec_code, Area.Level.KECAMATAN)
            kec[kec_code].add(kind, n)
            if code not in kel:
                kel[code] = Row(code, name, level, parent_code=kec_code, exact=level < 4)
            kel[code].add(kind, n)
        else:
            if code not in higher:
                higher[code] = Row(code, name, level, exact=True)
            higher[code].add(kind, n)
    kecamatan_rows = sorted(kec.values(), key=lambda r: r.code) + sorted(
        higher.values(), key=lambda r: r.code
    )
    kelurahan_rows = [
        r
        for r in sorted(kel.values(), key=lambda r: (r.parent_code, r.level, r.code))
        if r.level == Area.Level.KELURAHAN or r.total
    ] + sorted(higher.values(), key=lambda r: r.code)
    gaps = _gaps(kinds, kec, kel)
    return Headcount(
        as_of=as_of,
        kinds=kinds,
        by_kind=by_kind,
        by_kecamatan=kecamatan_rows,
        by_kelurahan=kelurahan_rows,
        gaps=gaps,
        scope=scope,
    )


def _gaps(kinds: list[PillarKind], kec: dict[str, Row], kel: dict[str, Row]) -> list[Gap]:
    gaps = []
    by_level = {
        Area.Level.KECAMATAN: [r for r in kec.values() if not r.partial],
        Area.Level.KELURAHAN: [r for r in kel.values() if r.level == Area.Level.KELURAHAN],
    }
    for kind in kinds:
        if kind.min_per_area is None and kind.max_per_area is None:
            continue
        for r in by_level.get(kind.level, []):
            n = _count_at_level(r, kind, kel)
            low = kind.min_per_area is not None and n < kind.min_per_area
            high = kind.max_per_area is not None and n > kind.max_per_area
            if low or high:
                gaps.append(Gap(kind.code, r.code, r.name, n, kind.min_per_area, kind.max_per_area))
    return gaps


def _count_at_level(r: Row, kind: PillarKind, kel: dict[str, Row]) -> int:
    if r.level == Area.Level.KECAMATAN:
        # Duties held at the kecamatan itself (the kel table keeps them under the kecamatan code).
        return kel[r.code].by_kind.get(kind.code, 0) if r.code in kel else 0
    return r.by_kind.get(kind.code, 0)


def sum_rows(rows: list[Row]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        for k, n in r.by_kind.items():
            totals[k] += n
    return dict(totals)
