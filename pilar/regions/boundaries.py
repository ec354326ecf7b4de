"""Kelurahan outlines from the office's own boundary file (`pilar load-boundaries`,
docs/DASHBOARD.md "Map").

The file is a GeoJSON FeatureCollection of Polygon or MultiPolygon features in longitude and
latitude (WGS84), one or more features per kelurahan, each naming its kelurahan's Kemendagri
code in a property (`kode`, `kode_desa`, `KDEPUM`...; dotted 13.75.01.1001 or plain 1375011001).
Everything is checked before anything is written; a refusal names every problem found, and a
load replaces the office's outlines all at once.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.regions import geometry
from pilar.regions.loader import normalize_code
from pilar.regions.models import Area, AreaBoundary, within_areas_q

# Property names a mapping agency's layer gives the kelurahan/desa code, looked for in this
# order (case does not matter); the feature's own `id` last.
CODE_PROPERTIES = (
    "kode",
    "kode_desa",
    "kd_desa",
    "kode_kel",
    "kd_kel",
    "kode_kelurahan",
    "kodedesa",
    "kdepum",
    "kode_kemendagri",
    "kode_wilayah",
    "kd_wilayah",
    "code",
    "id",
)
MAX_BYTES = 100 * 1024 * 1024
MAX_LISTED = 30  # problems of one kind named in a refusal; the rest are counted
# Simplification: an outline keeps the detail a map of the whole office, drawn MAP_WIDTH units
# wide (pilar/regions/maps.py), shows at about three quarters of a unit; a finer file is
# simplified further until the office's outlines hold at most MAX_POINTS points, or
# POINTS_EACH a kelurahan for an office of more than 24 (an inline SVG of 24 kelurahan under
# 30 KB).
DRAWN_WIDTH = 600
TOLERANCE_UNITS = 0.75
MAX_POINTS = 2400
POINTS_EACH = 100


@dataclass
class LoadResult:
    file: str
    loaded: list[str] = field(default_factory=list)  # the kelurahan codes outlined
    replaced: int = 0  # outlines of the office that were there before
    without: list[str] = field(default_factory=list)  # the office's kelurahan left without one
    points: int = 0


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        rest = len(items) - MAX_LISTED
        shown += " " + ngettext("and %(n)s more", "and %(n)s more", rest) % {"n": rest}
    return shown


def read_collection(path: Path) -> dict:
    """The GeoJSON object in the file at `path`; ValidationError when it is no JSON object."""
    if not path.is_file():
        raise ValidationError(_("%(file)s: no such file.") % {"file": path})
    if path.stat().st_size > MAX_BYTES:
        raise ValidationError(too_large(path.name))
    return parse_collection(path.read_bytes(), path.name)


def too_large(name: str) -> str:
    return _("%(file)s is larger than %(mb)s MB: export only the office's kelurahan.") % {
        "file": name,
        "mb": MAX_BYTES // (1024 * 1024),
    }


def parse_collection(raw: bytes, name: str) -> dict:
    """The JSON object of a file's bytes (named `name` in messages); ValidationError when the
    bytes are no JSON object."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        where = ""
        if isinstance(exc, json.JSONDecodeError):
            where = " " + _("(line %(line)s, column %(column)s)") % {
                "line": exc.lineno,
                "column": exc.colno,
            }
        raise ValidationError(
            _(
                "%(file)s is not a GeoJSON file: it cannot be read as JSON%(where)s. Export the "
                "kelurahan layer from the mapping software as GeoJSON in WGS84 "
                "longitude/latitude (EPSG:4326)."
            )
            % {"file": name, "where": where}
        ) from exc
    if not isinstance(data, dict):
        raise ValidationError(
            _("%(file)s is JSON but not GeoJSON: it must be one FeatureCollection object.")
            % {"file": name}
        )
    return data


def _code_of(feature: dict, code_property: str | None) -> tuple[str | None, str | None]:
    """(the code as written, the property it came from) for a feature; (None, None) when the
    feature names no code."""
    properties = feature.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    lowered = {str(key).lower(): value for key, value in properties.items()}
    if code_property:
        value = lowered.get(code_property.lower())
        return (_text(value), code_property) if _text(value) else (None, None)
    for name in CODE_PROPERTIES:
        value = _text(lowered.get(name))
        if value and _kelurahan_code(value):
            return value, name
    value = _text(feature.get("id"))
    if value and _kelurahan_code(value):
        return value, "id"
    return None, None


def _text(value) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _kelurahan_code(text: str) -> str | None:
    """The dotted kelurahan/desa code a text names, or None."""
    try:
        code = normalize_code(text)
    except ValueError:
        return None
    return code if code.count(".") == 3 else None


def _crs_problem(data: dict, name: str) -> str | None:
    crs = data.get("crs")
    if not isinstance(crs, dict):
        return None
    crs_name = str((crs.get("properties") or {}).get("name", ""))
    if not crs_name or crs_name.upper().endswith(("CRS84", "EPSG::4326", "EPSG:4326")):
        return None
    return _(
        "%(file)s is in the coordinate system %(crs)s, not WGS84 longitude/latitude: export it "
        "again in EPSG:4326."
    ) % {"file": name, "crs": crs_name}


def _polygons(geometry_object) -> tuple[list[geometry.Polygon] | None, str | None]:
    """The feature's polygons as [(lon, lat), ...] rings, or (None, what is wrong)."""
    if not isinstance(geometry_object, dict):
        return None, _("it has no geometry")
    kind = geometry_object.get("type")
    coordinates = geometry_object.get("coordinates")
    if kind == "Polygon":
        raw_polygons = [coordinates]
    elif kind == "MultiPolygon":
        raw_polygons = coordinates if isinstance(coordinates, list) else None
    else:
        return None, _("its geometry is a %(kind)s, not a Polygon or MultiPolygon") % {
            "kind": kind or "?"
        }
    if not raw_polygons:
        return None, _("its geometry has no coordinates")
    polygons = []
    for raw_polygon in raw_polygons:
        if not isinstance(raw_polygon, list) or not raw_polygon:
            return None, _("a polygon has no rings")
        rings = []
        for raw_ring in raw_polygon:
            ring, problem = _ring(raw_ring)
            if problem:
                return None, problem
            rings.append(ring)
        polygons.append(rings)
    return polygons, None


def _ring(raw_ring) -> tuple[geometry.Ring, str | None]:
    if not isinstance(raw_ring, list) or len(raw_ring) < 4:
        return [], _("a ring has fewer than 4 positions")
    ring = []
    for position in raw_ring:
        if (
            not isinstance(position, list)
            or len(position) < 2
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in position[:2]
            )
        ):
            return [], _("a position is not a pair of numbers")
        lon, lat = float(position[0]), float(position[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return [], _(
                "a position (%(x)s, %(y)s) is no longitude/latitude: the file seems to be in a "
                "projected coordinate system; export it in WGS84 (EPSG:4326)"
            ) % {"x": position[0], "y": position[1]}
        ring.append((lon, lat))
    if ring[0] != ring[-1]:
        return [], _("a ring is not closed (its last position is not its first)")
    return ring, None


def _check(data: dict, name: str, office_area: Area, code_property: str | None):
    """{kelurahan code: polygons} from the collection; ValidationError listing every problem."""
    if data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise ValidationError(
            _(
                "%(file)s is JSON but not a GeoJSON FeatureCollection (its type is %(type)s). "
                "Export the whole kelurahan layer as GeoJSON."
            )
            % {"file": name, "type": data.get("type") or "?"}
        )
    features = data["features"]
    if not features:
        raise ValidationError(_("%(file)s holds no features.") % {"file": name})
    crs = _crs_problem(data, name)
    if crs:
        raise ValidationError(crs)
    coded: dict[str, list[int]] = {}  # dotted code → feature numbers
    shapes: dict[str, list] = {}
    without_code: list[str] = []
    malformed: list[str] = []
    invalid: list[str] = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            invalid.append(_("feature %(n)s is not a Feature") % {"n": number})
            continue
        text, _source = _code_of(feature, code_property)
        if text is None:
            without_code.append(str(number))
            continue
        code = _kelurahan_code(text)
        if code is None:
            malformed.append(f"{text} ({number})")
            continue
        polygons, problem = _polygons(feature.get("geometry"))
        if problem:
            invalid.append(
                _("feature %(n)s (%(code)s): %(problem)s")
                % {
                    "n": number,
                    "code": code,
                    "problem": problem,
                }
            )
            continue
        coded.setdefault(code, []).append(number)
        shapes.setdefault(code, []).extend(polygons)
    if not coded and not malformed and not invalid:
        first = features[0] if isinstance(features[0], dict) else {}
        names = sorted(str(k) for k in (first.get("properties") or {}))
        if code_property:
            raise ValidationError(
                _(
                    "%(file)s: no feature has a kelurahan code in the property %(property)s. "
                    "The first feature's properties are: %(names)s."
                )
                % {"file": name, "property": code_property, "names": ", ".join(names) or "-"}
            )
        raise ValidationError(
            _(
                "%(file)s: no feature has a kelurahan code (looked in the properties "
                "%(looked)s). The first feature's properties are: %(names)s. Name the property "
                "that holds the code (the command's --code-property, the page's “Property "
                "holding the kelurahan code”)."
            )
            % {"file": name, "looked": ", ".join(CODE_PROPERTIES), "names": ", ".join(names) or "-"}
        )
    problems = []
    if without_code:
        problems.append(
            _("Features without a kelurahan code: %(list)s.") % {"list": _listed(without_code)}
        )
    if malformed:
        problems.append(
            _(
                "Codes that are not kelurahan/desa codes (13.75.01.1001 or 1375011001), with "
                "their feature numbers: %(list)s."
            )
            % {"list": _listed(malformed)}
        )
    if invalid:
        problems.append(_("Invalid geometry: %(list)s.") % {"list": _listed(invalid)})
    known = dict(Area.objects.filter(code__in=list(coded)).values_list("code", "level").order_by())
    unknown = sorted(code for code in coded if code not in known)
    if unknown:
        problems.append(
            _(
                "Codes not in the areas table (load them first with pilar load-regions, or "
                "correct the file): %(list)s."
            )
            % {"list": _listed(unknown)}
        )
    inside = set(
        Area.objects.filter(within_areas_q([office_area], ""), code__in=list(known))
        .values_list("code", flat=True)
        .order_by()
    )
    outside = sorted(code for code in known if code not in inside)
    if outside:
        problems.append(
            _("Codes outside the office's area %(area)s (%(code)s): %(list)s.")
            % {"area": office_area.label, "code": office_area.code, "list": _listed(outside)}
        )
    if problems:
        raise ValidationError(
            [_("%(file)s was not loaded; nothing was changed.") % {"file": name}, *problems]
        )
    return shapes


def _simplified(shapes: dict[str, list]) -> dict[str, list]:
    """Each kelurahan's polygons simplified at one tolerance for the whole office (so that
    neighbours' shared borders are simplified alike), coarser until MAX_POINTS are enough."""
    corners = list(geometry.polygon_points(p for polygons in shapes.values() for p in polygons))
    box = geometry.bounds(corners)
    assert box is not None
    project = geometry.local_plane((box[1] + box[3]) / 2)
    plane = geometry.bounds(project(p) for p in corners)
    assert plane is not None
    extent = max(plane[2] - plane[0], plane[3] - plane[1]) or 1e-9
    tolerance = extent / DRAWN_WIDTH * TOLERANCE_UNITS
    budget = max(MAX_POINTS, POINTS_EACH * len(shapes))
    # Past the whole extent every outline is down to its corners: the loop ends by then.
    while True:
        result = {
            code: geometry.simplify_polygons(polygons, tolerance, project)
            for code, polygons in shapes.items()
        }
        if sum(map(geometry.count_points, result.values())) <= budget or tolerance > extent:
            return result
        tolerance *= 1.5


def boundaries_load(
    *,
    office_area: Area,
    data: dict,
    file_name: str,
    by: Actor,
    code_property: str | None = None,
    dry_run: bool = False,
) -> LoadResult:
    """Replace the outlines of the kelurahan within `office_area` by those of the GeoJSON
    `data`, simplified; all or nothing, audited. A ValidationError lists every problem of the
    file (no code, a code not in the areas table or outside the office's area, an invalid
    geometry), and nothing changes."""
    try:
        shapes = _check(data, file_name, office_area, code_property)
    except ValidationError:
        raise
    except (TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError) as exc:
        # A member of an unexpected type or size somewhere in the file (properties that are a
        # number, a crs that is a string, a coordinate of 400 digits; found by the outsider):
        # refused like any other file Pilar cannot read, not a 500.
        raise ValidationError(
            _(
                "%(file)s is not GeoJSON as Pilar reads it (%(problem)s). Export the kelurahan "
                "layer from the mapping software as GeoJSON in WGS84 longitude/latitude "
                "(EPSG:4326)."
            )
            % {"file": file_name, "problem": type(exc).__name__}
        ) from exc
    except RecursionError as exc:
        raise ValidationError(
            _(
                "%(file)s is not GeoJSON as Pilar reads it (nested too deep). Export the "
                "kelurahan layer from the mapping software as GeoJSON in WGS84 "
                "longitude/latitude (EPSG:4326)."
            )
            % {"file": file_name}
        ) from exc
    simplified = _simplified(shapes)
    now = timezone.now()
    areas = dict(
        Area.objects.filter(code__in=list(simplified)).values_list("code", "pk").order_by()
    )
    user = by.user if getattr(by.user, "is_authenticated", False) else None
    result = LoadResult(file=file_name, loaded=sorted(simplified))
    with transaction.atomic():
        existing = AreaBoundary.objects.filter(area__in=Area.objects.within(office_area))
        result.replaced = existing.count()
        existing.delete()
        boundaries = []
        for code, polygons in sorted(simplified.items()):
            rounded = [
                [[[round(lon, 6), round(lat, 6)] for lon, lat in ring] for ring in polygon]
                for polygon in polygons
            ]
            points = geometry.count_points(polygons)
            result.points += points
            boundaries.append(
                AreaBoundary(
                    area_id=areas[code],
                    polygons=rounded,
                    points=points,
                    source=file_name[:255],
                    loaded_at=now,
                    loaded_by=user,
                )
            )
        AreaBoundary.objects.bulk_create(boundaries)
        result.without = list(
            Area.objects.within(office_area)
            .filter(level=Area.Level.KELURAHAN)
            .exclude(code__in=result.loaded)
            .values_list("code", flat=True)
        )
        audit_record(
            by=by,
            action=AuditEntry.Action.LOAD,
            object_type="regions.areaboundary",
            object_repr=file_name,
            changes={
                "office_area": [None, office_area.code],
                "replaced": [None, result.replaced],
                "loaded": [None, len(result.loaded)],
                "points": [None, result.points],
            },
        )
        if dry_run:
            transaction.set_rollback(True)
    return result


@dataclass
class Outlines:
    """What the office has loaded: its kelurahan, how many are outlined, the latest load."""

    kelurahan: int
    outlined: int
    latest: AreaBoundary | None


def office_outlines(office_area: Area) -> Outlines:
    kelurahan = Area.objects.within(office_area).filter(level=Area.Level.KELURAHAN)
    loaded = AreaBoundary.objects.filter(area__in=kelurahan)
    return Outlines(
        kelurahan=kelurahan.count(),
        outlined=loaded.count(),
        latest=loaded.select_related("loaded_by").order_by("-loaded_at").first(),
    )
