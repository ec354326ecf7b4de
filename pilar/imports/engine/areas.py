"""Working out a row's areas: the residence and the area of duty from the area columns."""

from __future__ import annotations

from django.utils.translation import gettext as _

from pilar.imports.engine.lookup import Lookup
from pilar.imports.engine.normalize import CellProblem
from pilar.imports.engine.records import ERROR, WARNING, RowResult
from pilar.regions.models import Area


def _read_areas(row: RowResult, raw: dict, lookup: Lookup) -> None:
    """The residence and the area of duty from the area columns (and the kind's level). Rows
    repeat the same few combinations: each is worked out once per run."""
    kind = row.values.get("kind")
    memo = (
        "areas",
        raw.get("residence"),
        raw.get("kecamatan"),
        raw.get("kelurahan"),
        kind.id if kind is not None else None,
    )
    found = lookup.cells.get(memo)
    if found is None:
        scratch = RowResult(number=row.number, values={"kind": kind} if kind else {})
        _work_out_areas(scratch, raw, lookup)
        scratch.values.pop("kind", None)
        found = (scratch.values, scratch.problems)
        lookup.cells[memo] = found
    row.values.update(found[0])
    if found[1]:
        row.problems.extend(found[1])


def _work_out_areas(row: RowResult, raw: dict, lookup: Lookup) -> None:
    values = row.values
    if "residence" in raw:
        try:
            area, warning = lookup.area(raw["residence"], Area.Level.KELURAHAN)
            values["residence"] = area
            if warning:
                row.add(WARNING, "residence", raw["residence"], warning)
        except CellProblem as exc:
            row.add(ERROR, "residence", raw["residence"], exc.message, exc.code)
    kecamatan = kelurahan = None
    if "kecamatan" in raw:
        try:
            kecamatan, warning = lookup.area(raw["kecamatan"], Area.Level.KECAMATAN)
            if warning:
                row.add(WARNING, "kecamatan", raw["kecamatan"], warning)
        except CellProblem as exc:
            row.add(ERROR, "kecamatan", raw["kecamatan"], exc.message, exc.code)
    if "kelurahan" in raw:
        try:
            kelurahan, warning = lookup.area(raw["kelurahan"], Area.Level.KELURAHAN, kecamatan)
            if warning:
                row.add(WARNING, "kelurahan", raw["kelurahan"], warning)
        except CellProblem as exc:
            row.add(ERROR, "kelurahan", raw["kelurahan"], exc.message, exc.code)
    kind = values.get("kind")
    if kind is None:
        return
    try:
        if kind.level == Area.Level.KELURAHAN:
            if kelurahan is None:
                if "kelurahan" not in raw:
                    row.add(
                        ERROR,
                        "kelurahan",
                        "",
                        _("%(kind)s serves a kelurahan: fill in the Kelurahan column.")
                        % {"kind": kind.code},
                    )
                return
            values["area"] = kelurahan
        elif kind.level == Area.Level.KECAMATAN:
            if kecamatan is None and kelurahan is not None:
                kecamatan = lookup.by_code[kelurahan.ancestor_code(Area.Level.KECAMATAN)]
            if kecamatan is None:
                if "kecamatan" not in raw:
                    row.add(
                        ERROR,
                        "kecamatan",
                        "",
                        _("%(kind)s serves a kecamatan: fill in the Kecamatan column.")
                        % {"kind": kind.code},
                    )
                return
            values["area"] = kecamatan
        else:
            values["area"] = lookup.city_for(kelurahan or kecamatan)
    except CellProblem as exc:
        row.add(ERROR, "kecamatan", "", exc.message, exc.code)
