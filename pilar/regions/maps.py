"""Figures on a map of kelurahan (or kecamatan), drawn as inline SVG (docs/DASHBOARD.md, "Map").

`area_map` returns one `MapFigure` whatever the office has loaded: a choropleth of the areas'
outlines when every area drawn has one (`pilar load-boundaries`), otherwise a tile grid, one
square per area grouped by kecamatan. The template `maps/map.html` draws either, with the data
table beside it; nothing is fetched from anywhere.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from django.utils.formats import localize
from django.utils.translation import gettext as _

from pilar.regions import geometry
from pilar.regions.models import Area, within_areas_q

MAP_WIDTH = 600  # viewBox units of a choropleth's longer side, as boundaries.DRAWN_WIDTH
MAX_HEIGHT = 720
PAD = 4
MAX_AREAS = 400  # more (a province's kelurahan) are not drawn: the page offers the table
CLASSES = 5  # the palette's steps: map-c1 (lightest) to map-c5 (darkest), pilar.css
TILE = 56
GAP = 4
GROUP_LABEL = 26
MAX_COLUMNS = 6  # a row of tiles still legible on a 390 px phone
LABEL_ROOM = 30  # the least width of an outline, in units, that gets its short label


@dataclass
class MapArea:
    code: str
    name: str
    group: str  # the kecamatan's name (tile grid and table); "" when drawing kecamatan
    short: str  # the tile's label
    value: int | float | None
    shown: str  # the value as the reader sees it: "12", "<5", "–"
    title: str  # "name: value" for the shape's <title>
    css: str
    href: str | None = None
    d: str = ""  # path data of a choropleth
    x: int | str = 0  # a tile's corner; a choropleth's label position ("" for no label)
    y: int | str = 0


@dataclass
class MapGroup:
    name: str
    y: int


@dataclass
class LegendEntry:
    css: str
    label: str


@dataclass
class MapFigure:
    title: str
    unit: str
    kind: str  # "choropleth" or "tiles"
    width: int = MAP_WIDTH
    height: int = 0
    areas: list[MapArea] = field(default_factory=list)
    groups: list[MapGroup] = field(default_factory=list)
    legend: list[LegendEntry] = field(default_factory=list)
    too_many: int = 0  # the number of areas, when too many to draw

    tile = TILE

    @property
    def linked(self) -> bool:
        """Whether areas link to rows: then the drawing is a group, not an image (an image holds
        nothing to click); the table beside it offers the same links to the keyboard."""
        return any(a.href for a in self.areas)

    @property
    def uid(self) -> str:
        """An id for the SVG's title, the same for the same figure, distinct between figures
        of a page."""
        key = f"{self.title}|{','.join(a.code for a in self.areas)}"
        return "map-" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:8]

    @property
    def table(self) -> list[tuple[str, list[MapArea]]]:
        """The areas by group (kecamatan), in code order, for the data table."""
        grouped: dict[str, list[MapArea]] = {}
        for area in self.areas:
            grouped.setdefault(area.group, []).append(area)
        return list(grouped.items())

    @property
    def rows(self) -> list[tuple[str, str, str, str]]:
        """(code, group, name, value as shown): the table's rows, for a spreadsheet."""
        return [(a.code, a.group, a.name, a.shown) for a in self.areas]

    @property
    def tile_text_y(self) -> tuple[int, int]:
        return (22, 44)


def area_map(
    parent: Area | None,
    values: Mapping[str, int | float | None],
    *,
    title: str,
    legend_unit: str = "",
    links: Mapping[str, str] | None = None,
    suppressed: Collection[str] = (),
    level: int = Area.Level.KELURAHAN,
) -> MapFigure:
    """The kelurahan (or, with `level`, the kecamatan) below `parent` with `values` (area code
    → value; an area not in `values` shows "–") in five classes. `parent` None: the areas
    `values` names. A code in `suppressed` shows "<5" and the colour of no class, whatever its
    value (the public page's small counts). `links`: area code → the address its shape and its
    row open. One query, whatever the number of areas (at most MAX_AREAS are drawn)."""
    figure = MapFigure(title=title, unit=legend_unit, kind="tiles")
    if parent is None and level != Area.Level.KECAMATAN and len(values) > MAX_AREAS:
        figure.too_many = len(values)  # a country's desa: not even asked for
        return figure
    kelurahan = Area.objects.filter(level=Area.Level.KELURAHAN)
    if parent is not None:
        kelurahan = kelurahan.filter(within_areas_q([parent], ""))
    elif level == Area.Level.KECAMATAN:
        kelurahan = kelurahan.filter(parent__code__in=list(values))
    else:
        kelurahan = kelurahan.filter(code__in=list(values))
    rows = list(kelurahan.select_related("parent", "boundary").order_by("code")[: MAX_AREAS + 1])
    if len(rows) > MAX_AREAS:
        figure.too_many = kelurahan.count()
        return figure
    units = _units(rows, level)
    suppressed = set(suppressed)
    links = links or {}
    classes = _classes(
        [v for code, v in values.items() if v is not None and code not in suppressed]
    )
    figure.legend = [LegendEntry(css, label) for css, _lo, _hi, label in classes]
    shorts = _short_names([name for _code, name, _group, _polygons in units])
    used = set()
    for (code, name, group, _polygons), short in zip(units, shorts, strict=True):
        value = values.get(code)
        if code in suppressed:
            shown, css = "<5", "map-suppressed"
        elif value is None:
            shown, css = "–", "map-none"
        else:
            shown = localize(value)
            css = next(c for c, lo, hi, _label in classes if lo <= value <= hi)
        used.add(css)
        figure.areas.append(
            MapArea(
                code=code,
                name=name,
                group=group,
                short=short,
                value=None if code in suppressed else value,
                shown=shown,
                title=f"{name}: {shown}{' ' + legend_unit if legend_unit else ''}",
                css=css,
                href=links.get(code),
            )
        )
    if "map-suppressed" in used:
        figure.legend.append(LegendEntry("map-suppressed", _("fewer than 5")))
    if "map-none" in used:
        figure.legend.append(LegendEntry("map-none", _("no figure")))
    if units and all(polygons for *_rest, polygons in units):
        figure.kind = "choropleth"
        _draw_outlines(figure, [polygons for *_rest, polygons in units])
    else:
        _draw_tiles(figure)
    return figure


def _units(rows: list[Area], level: int) -> list[tuple[str, str, str, list | None]]:
    """(code, name, group, polygons or None) of each area drawn: the kelurahan themselves, or
    their kecamatan, outlined by all their kelurahan's polygons (None when one has none)."""
    if level != Area.Level.KECAMATAN:
        return [(row.code, row.name, row.parent.name, _outline(row)) for row in rows]
    kecamatan: dict[str, tuple[str, list | None]] = {}
    for row in rows:
        name, polygons = kecamatan.get(row.parent.code, (row.parent.name, []))
        own = _outline(row)
        kecamatan[row.parent.code] = (
            name,
            None if polygons is None or own is None else polygons + own,
        )
    return [(code, name, "", polygons) for code, (name, polygons) in kecamatan.items()]


def _outline(area: Area) -> list | None:
    try:
        return area.boundary.polygons
    except Area.boundary.RelatedObjectDoesNotExist:
        return None


def _classes(values: list) -> list[tuple[str, float, float, str]]:
    """(css class, lowest, highest, legend label) of up to five classes of equal width between
    the lowest and the highest value, spread over the palette's steps."""
    if not values:
        return []
    lo, hi = math.floor(min(values)), math.ceil(max(values))
    if lo == hi:
        return [("map-c3", lo, hi, localize(lo))]
    count = min(CLASSES, hi - lo + 1)
    step = math.ceil((hi - lo + 1) / count)
    count = math.ceil((hi - lo + 1) / step)
    classes = []
    for i in range(count):
        low = lo + i * step
        high = min(hi, low + step - 1)
        shade = 1 + round(i * (CLASSES - 1) / (count - 1)) if count > 1 else 3
        label = localize(low) if low == high else f"{localize(low)}–{localize(high)}"
        # The top of a class reaches up to the next class's bottom for fractional values.
        classes.append((f"map-c{shade}", low, high if i == count - 1 else low + step - 1e-9, label))
    return classes


def _short_names(names: list[str]) -> list[str]:
    """A label of at most three letters for each name, distinct within the map: the initials
    of a name of several words (Bukit Cangang Kayu Ramang → BCK), the first three letters of
    one word (Birugo → Bir)."""
    shorts: list[str] = []
    seen: dict[str, int] = {}
    for name in names:
        words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
        if len(words) > 1:
            short = "".join(w[0] for w in words[:3]).upper()
        else:
            short = (words[0][:3] if words else "?").capitalize()
        seen[short] = seen.get(short, 0) + 1
        shorts.append(short if seen[short] == 1 else f"{short}{seen[short]}")
    return shorts


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _draw_outlines(figure: MapFigure, outlines: list[list]) -> None:
    """Each area's path, projected about the middle latitude of all of them and scaled to
    MAP_WIDTH (or MAX_HEIGHT) units."""
    corners = list(geometry.polygon_points(p for polygons in outlines for p in polygons))
    box = geometry.bounds(corners)
    assert box is not None
    project = geometry.local_plane((box[1] + box[3]) / 2)
    plane = geometry.bounds(project(p) for p in corners)
    assert plane is not None
    width, height = (plane[2] - plane[0]) or 1e-9, (plane[3] - plane[1]) or 1e-9
    scale = min((MAP_WIDTH - 2 * PAD) / width, (MAX_HEIGHT - 2 * PAD) / height)
    figure.width = math.ceil(width * scale + 2 * PAD)
    figure.height = math.ceil(height * scale + 2 * PAD)
    for area, polygons in zip(figure.areas, outlines, strict=True):
        parts = []
        area.x = area.y = ""
        label_room = 0.0
        for polygon in polygons:
            for index, ring in enumerate(polygon):
                points = []
                for p in ring[:-1]:
                    x, y = project(p)
                    point = (
                        _number((x - plane[0]) * scale + PAD),
                        _number((plane[3] - y) * scale + PAD),
                    )
                    if not points or points[-1] != point:
                        points.append(point)
                if index == 0 and len(points) >= 3:
                    # The short label at the middle of the widest outer ring.
                    plane_ring = [project(p) for p in ring]
                    box_ring = geometry.bounds(plane_ring)
                    width_ring = (box_ring[2] - box_ring[0]) * scale
                    if width_ring >= LABEL_ROOM and width_ring > label_room:
                        label_room = width_ring
                        cx, cy = geometry.centroid(plane_ring)
                        area.x = _number((cx - plane[0]) * scale + PAD)
                        area.y = _number((plane[3] - cy) * scale + PAD + 5)
                if len(points) >= 3:
                    head, *tail = points
                    parts.append(
                        f"M{head[0]} {head[1]}L" + " ".join(f"{x} {y}" for x, y in tail) + "Z"
                    )
        area.d = "".join(parts)


def _draw_tiles(figure: MapFigure) -> None:
    """One square per area, in rows of up to MAX_COLUMNS, under its kecamatan's name."""
    table = figure.table
    columns = max(4, min(MAX_COLUMNS, max((len(areas) for _g, areas in table), default=1)))
    y = 0
    for group, areas in table:
        if group:
            figure.groups.append(MapGroup(group, y + 18))
            y += GROUP_LABEL
        for i, area in enumerate(areas):
            area.x = (i % columns) * (TILE + GAP)
            area.y = y + (i // columns) * (TILE + GAP)
        y += math.ceil(len(areas) / columns) * (TILE + GAP) + GAP
    figure.width = columns * (TILE + GAP) - GAP
    figure.height = y
