"""Plane geometry for the maps (docs/DASHBOARD.md, "Map"): outlines in longitude/latitude
(WGS84) projected onto a plane and simplified.

The projection is equirectangular: x is the longitude scaled by the cosine of the middle
latitude, y the latitude. Over one kota or kabupaten (a few tens of kilometres) it keeps shapes
and relative areas well enough for a choropleth, and it needs no library. Simplification is
Douglas–Peucker: a line keeps a point only where the point lies further than a tolerance from
the straight line between the points kept either side of it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Point = tuple[float, float]
Ring = list[Point]
Polygon = list[Ring]  # outer ring first, then its holes


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    """The distance from `p` to the segment a–b (to `a` when a and b coincide)."""
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.hypot(p[0] - ax, p[1] - ay)
    t = max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / length2))
    return math.hypot(p[0] - (ax + t * dx), p[1] - (ay + t * dy))


def simplify_line(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker: the points of `points` kept at `tolerance`, first and last always.

    Iterative (a stack of spans), so a ring of a hundred thousand points needs no deep
    recursion."""
    n = len(points)
    if n < 3 or tolerance <= 0:
        return list(points)
    keep = [False] * n
    keep[0] = keep[n - 1] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        far, far_distance = -1, tolerance
        a, b = points[first], points[last]
        for i in range(first + 1, last):
            distance = _segment_distance(points[i], a, b)
            if distance > far_distance:
                far, far_distance = i, distance
        if far != -1:
            keep[far] = True
            stack.append((first, far))
            stack.append((far, last))
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def simplify_ring(ring: Sequence[Point], tolerance: float) -> Ring | None:
    """A closed ring simplified; None when fewer than three corners would be left (a ring
    smaller than the tolerance: a tiny island or hole, not drawn)."""
    if len(ring) < 4:
        return None
    # Cut the ring at its first point and at the point furthest from it, so that neither half
    # is a line whose two ends coincide.
    start = ring[0]
    far = max(
        range(len(ring)), key=lambda i: math.hypot(ring[i][0] - start[0], ring[i][1] - start[1])
    )
    if far == 0:
        return None
    first = simplify_line(ring[: far + 1], tolerance)
    second = simplify_line(ring[far:], tolerance)
    simplified = first + second[1:]
    if simplified[0] != simplified[-1]:
        simplified.append(simplified[0])
    return simplified if len(simplified) >= 4 else None


def local_plane(lat0: float):
    """The equirectangular projection about latitude `lat0`: (lon, lat) → (x, y), in degrees
    of latitude, y growing northwards."""
    k = math.cos(math.radians(lat0))

    def project(point: Sequence[float]) -> Point:
        return (point[0] * k, point[1])

    return project


def bounds(points: Iterable[Sequence[float]]) -> tuple[float, float, float, float] | None:
    """(min x, min y, max x, max y) of the points; None when there are none."""
    xs, ys = [], []
    for p in points:
        xs.append(p[0])
        ys.append(p[1])
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def polygon_points(polygons: Iterable[Polygon]) -> Iterable[Point]:
    for polygon in polygons:
        for ring in polygon:
            yield from ring


def simplify_polygons(polygons: list[Polygon], tolerance: float, project) -> list[Polygon]:
    """The polygons (in lon/lat) simplified at `tolerance` (in the units of `project`'s plane),
    returned in lon/lat. Rings that vanish are dropped; when every outer ring vanishes, the
    largest polygon's `corners` are kept, so no kelurahan loses its outline."""
    kept: list[Polygon] = []
    for polygon in polygons:
        rings = []
        for index, ring in enumerate(polygon):
            plane = [project(p) for p in ring]
            by_plane = dict(zip(plane, ring, strict=False))
            simplified = simplify_ring(plane, tolerance)
            if simplified is None:
                if index == 0:
                    break  # the outer ring vanished: so does the polygon, holes and all
                continue
            rings.append([by_plane[p] for p in simplified])
        if rings:
            kept.append(rings)
    if not kept and polygons:
        largest = max(polygons, key=lambda polygon: abs(ring_area(polygon[0])))
        kept = [[corners(largest[0])]]
    return kept


def corners(ring: Sequence[Point]) -> Ring:
    """A ring's westernmost, northernmost, easternmost and southernmost points, in the ring's
    order, closed: the least outline of a shape smaller than the tolerance."""
    picks = {
        min(range(len(ring)), key=lambda i: ring[i][0]),
        max(range(len(ring)), key=lambda i: ring[i][1]),
        max(range(len(ring)), key=lambda i: ring[i][0]),
        min(range(len(ring)), key=lambda i: ring[i][1]),
    }
    points: Ring = []
    for i in sorted(picks):
        if tuple(ring[i]) not in points:
            points.append(tuple(ring[i]))
    for point in ring:  # a sliver: any three distinct points
        if len(points) >= 3:
            break
        if tuple(point) not in points:
            points.append(tuple(point))
    return [*points, points[0]]


def ring_area(ring: Sequence[Sequence[float]]) -> float:
    """The signed area of a ring (shoelace), in the square units of its coordinates."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        total += x1 * y2 - x2 * y1
    return total / 2


def centroid(ring: Sequence[Sequence[float]]) -> Point:
    """The centre of gravity of a ring's area (its points' mean when it has no area)."""
    area = ring_area(ring)
    if area == 0:
        return (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        cross = x1 * y2 - x2 * y1
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return (cx / (6 * area), cy / (6 * area))


def count_points(polygons: Iterable[Polygon]) -> int:
    return sum(len(ring) for polygon in polygons for ring in polygon)
