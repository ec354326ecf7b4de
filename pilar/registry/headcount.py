"""Headcount: active duties as of a date, by kind, kecamatan and kelurahan.

One aggregate query counts active assignments per (kind, area of duty); every figure on the page,
in the API and in the exports is a sum over those same rows, so the totals cannot disagree.
Duties held above kelurahan level (a TKSK for a kecamatan, a Tagana for the city) appear in the
kelurahan table as their own "kecamatan level" / "city level" rows rather than being spread.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count
from django.http import Http404

from pilar.accounts.access import Capability, area_scope
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, PillarKind


class Row(dict):
    """One line of an area table: a dict exactly as the API serialises it (code, name, level,
    kecamatan_code, exact, total, by_kind), readable as attributes by code and templates.

    `exact` is true when the row counts only duties held at that very area (a kecamatan's own
    TKSK, the city's Tagana), not those of the areas below it. Rows are plain dicts because a
    national headcount has tens of thousands of them: one object each, serialised as it is.
    """

    __slots__ = ()

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def make_row(code: str, name: str, level: int, kecamatan_code: str | None, exact: bool) -> Row:
    return Row(
        code=code,
        name=name,
        level=LEVEL_NAMES[level],
        kecamatan_code=kecamatan_code,
        exact=exact,
        total=0,
        by_kind={},
    )


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
        return {
            "as_of": self.as_of.isoformat(),
            "total": self.total,
            "by_kind": self.by_kind,
            "by_kecamatan": self.by_kecamatan,
            "by_kelurahan": self.by_kelurahan,
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


def _fetch(queryset) -> list[tuple]:
    """The rows of a values_list queryset of plain integers and strings, fetched in one go
    without the ORM's per-value converters (tens of thousands of rows per headcount)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Kemendagri codes have fixed-width parts (13.75.01.1001), so a kecamatan's code is a prefix.
KECAMATAN_CODE_LENGTH = len("13.75.01")


def _kecamatan_code(code: str) -> str:
    return code[:KECAMATAN_CODE_LENGTH]


def scope_within(user, area: Area | None) -> list[Area] | None:
    """The areas a headcount of `user` counts, narrowed to `area` when one is asked (a province
    user asking for one kota, docs/OFFICE.md "Many offices"). Http404 when `area` lies wholly
    outside what the user may count: another office's area is no more reachable than another
    kecamatan (the answer is the same as for a record outside the scope)."""
    scope = area_scope(user, Capability.HEADCOUNT_VIEW)
    if area is None:
        return scope
    if scope is None:
        return [area]
    if any(area.is_within(s) for s in scope):
        return [area]
    inside = [s for s in scope if s.is_within(area)]
    if not inside:
        raise Http404
    return inside


def headcount(*, as_of: datetime.date, user, area: Area | None = None) -> Headcount:
    """Count the duties active on `as_of` that `user` may see in aggregate (within `area`,
    when given: `scope_within`)."""
    return headcount_within(as_of=as_of, scope=scope_within(user, area))


def headcount_within(*, as_of: datetime.date, scope: list[Area] | None) -> Headcount:
    """Count the duties active on `as_of` within the areas `scope` (None: everywhere); the
    public page's headcount of an office (pilar/publik), with nobody signed in."""
    assignments = Assignment.objects.active_on(as_of)
    areas = Area.objects.filter(level__in=[Area.Level.KECAMATAN, Area.Level.KELURAHAN])
    if scope is not None:
        assignments = assignments.filter(area__in=Area.objects.filter(within_areas_q(scope, "")))
        areas = areas.filter(within_areas_q(scope, ""))
    # Grouped by ids, joined to nothing: the database only scans and counts; names come from
    # the (much smaller) area table below.
    counts = _fetch(assignments.values_list("kind_id", "area_id").annotate(n=Count("*")).order_by())
    kinds = list(PillarKind.objects.all())
    kind_codes = {k.pk: k.code for k in kinds}
    by_kind: dict[str, int] = {k.code: 0 for k in kinds}
    kec: dict[str, Row] = {}  # kecamatan table
    kel: dict[str, Row] = {}  # kelurahan table, with a row for each kecamatan's own duties
    area_of: dict[int, tuple[str, str, int]] = {}
    for pk, code, name, level in _fetch(areas.values_list("id", "code", "name", "level")):
        area_of[pk] = (code, name, level)
        if level == Area.Level.KECAMATAN:
            kec[code] = make_row(code, name, level, None, exact=False)
            kel[code] = make_row(code, name, level, code, exact=True)
        else:
            kel[code] = make_row(code, name, level, _kecamatan_code(code), exact=False)
    partial: set[str] = set()
    if scope is not None:
        # Name the kecamatan of a kelurahan-scoped user, without judging its gaps.
        partial = {a.ancestor_code(Area.Level.KECAMATAN) for a in scope if a.level > 3}
        for code, name in Area.objects.filter(code__in=partial).values_list("code", "name"):
            kec.setdefault(code, make_row(code, name, Area.Level.KECAMATAN, None, exact=False))
    missing = {area_id for _kind, area_id, _n in counts if area_id not in area_of}
    for pk, code, name, level in Area.objects.filter(pk__in=missing).values_list(
        "id", "code", "name", "level"
    ):
        area_of[pk] = (code, name, level)  # duties above kecamatan level
    higher: dict[str, Row] = {}  # duties above kecamatan level, e.g. a city's Tagana

    def rows_of(area_id: int) -> tuple[Row, ...]:
        """The table rows a duty at this area counts in (once per area, then cached)."""
        code, name, level = area_of[area_id]
        if level < Area.Level.KECAMATAN:
            if code not in higher:
                higher[code] = make_row(code, name, level, None, exact=True)
            return (higher[code],)
        kec_code = _kecamatan_code(code)
        if kec_code not in kec:  # an area outside the listed tree (never in a sound db)
            kec[kec_code] = make_row(kec_code, kec_code, Area.Level.KECAMATAN, None, exact=False)
        if code not in kel:
            kel[code] = make_row(code, name, level, kec_code, exact=level < 4)
        return kec[kec_code], kel[code]

    targets: dict[int, tuple[Row, ...]] = {}
    for kind_id, area_id, n in counts:
        kind = kind_codes[kind_id]
        by_kind[kind] += n
        rows = targets.get(area_id) or targets.setdefault(area_id, rows_of(area_id))
        for row in rows:
            counted = row["by_kind"]
            counted[kind] = counted.get(kind, 0) + n
            row["total"] += n
    top = sorted(higher.values(), key=lambda r: r["code"])
    kecamatan_rows = sorted(kec.values(), key=lambda r: r["code"]) + top
    kelurahan_rows = [
        r
        for r in sorted(
            kel.values(), key=lambda r: (r["kecamatan_code"], not r["exact"], r["code"])
        )
        if r["level"] == "kelurahan" or r["total"]
    ] + top
    return Headcount(
        as_of=as_of,
        kinds=kinds,
        by_kind=by_kind,
        by_kecamatan=kecamatan_rows,
        by_kelurahan=kelurahan_rows,
        gaps=_gaps(kinds, kec, kel, partial),
        scope=scope,
    )


def _gaps(kinds: list[PillarKind], kec: dict, kel: dict, partial: set[str]) -> list[Gap]:
    """Areas below a kind's minimum or above its maximum, judged only where the user sees all."""
    gaps = []
    for kind in kinds:
        if kind.min_per_area is None and kind.max_per_area is None:
            continue
        if kind.level == Area.Level.KECAMATAN:
            # Duties held at the kecamatan itself are in its own row of the kelurahan table.
            rows = [kel[code] for code in kec if code in kel and code not in partial]
        elif kind.level == Area.Level.KELURAHAN:
            rows = [r for r in kel.values() if r["level"] == "kelurahan"]
        else:
            continue
        for r in rows:
            n = r["by_kind"].get(kind.code, 0)
            low = kind.min_per_area is not None and n < kind.min_per_area
            high = kind.max_per_area is not None and n > kind.max_per_area
            if low or high:
                gaps.append(
                    Gap(kind.code, r["code"], r["name"], n, kind.min_per_area, kind.max_per_area)
                )
    return gaps


def sum_rows(rows: list[Row]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        for k, n in r["by_kind"].items():
            totals[k] += n
    return dict(totals)
