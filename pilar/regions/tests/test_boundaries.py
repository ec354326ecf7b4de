"""`pilar load-boundaries` (docs/DASHBOARD.md, "Map"): the office's kelurahan outlines from its
own GeoJSON, simplified and stored all at once, or refused naming every problem with nothing
changed. The fixture `data/kelurahan_squares.geojson` is 24 synthetic squares, one per
kelurahan of Bukittinggi (no real boundary)."""

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.loader import render_to_string
from django.utils import translation

from pilar.audit.models import AuditEntry
from pilar.regions.geometry import local_plane, simplify_line, simplify_polygons, simplify_ring
from pilar.regions.maps import area_map
from pilar.regions.models import Area, AreaBoundary

SQUARES = Path(__file__).parent / "data" / "kelurahan_squares.geojson"


def load(path, *args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("load_boundaries", str(path), *args, stdout=out)
    return out.getvalue()


def stored() -> list:
    return list(AreaBoundary.objects.order_by("area__code").values_list("area__code", "polygons"))


def refusal(path, *args) -> str:
    before = stored()
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("load_boundaries", str(path), *args, stdout=io.StringIO())
    assert stored() == before  # nothing changed
    return str(refused.value)


def squares() -> dict:
    return json.loads(SQUARES.read_text())


def write(tmp_path, data, name="batas.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_a_valid_file_stores_each_kelurahan_outline_and_the_map_draws_them(reference):
    out = load(SQUARES)
    assert "24 kelurahan outlined for Dinas Sosial Kota Bukittinggi" in out
    assert "have no outline" not in out
    boundary = AreaBoundary.objects.get(area__code="13.75.01.1001")
    assert boundary.source == "kelurahan_squares.geojson" and boundary.loaded_at
    assert boundary.polygons == [
        [[[100.36, -0.29], [100.365, -0.29], [100.365, -0.295], [100.36, -0.295], [100.36, -0.29]]]
    ]
    entry = AuditEntry.objects.get(object_type="regions.areaboundary")
    assert entry.action == "load" and entry.changes["loaded"] == [None, 24]
    figure = area_map(Area.objects.get(code="13.75"), {"13.75.01.1001": 7}, title="Peta")
    html = render_to_string("maps/map.html", {"map": figure})
    assert figure.kind == "choropleth"
    assert html.count("<path ") == 24 and "<rect" not in html
    assert "<title>Tarok Dipo: 7</title>" in html and ">TD</text>" in html


def test_properties_dotted_codes_multipolygons_and_a_named_property(reference, tmp_path):
    data = squares()
    first, second = data["features"][:2]
    first["properties"] = {"KDEPUM": "13.75.01.1001"}
    # Two features of one kelurahan (an island apart) become one outline of two polygons.
    second["properties"] = {"KDEPUM": "13.75.01.1001"}
    second["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [second["geometry"]["coordinates"]],
    }
    data["features"] = [first, second]
    load(write(tmp_path, data))
    assert len(AreaBoundary.objects.get(area__code="13.75.01.1001").polygons) == 2
    for feature in data["features"]:
        feature["properties"] = {"wilayah": "1375011001", "id": "x"}
    out = load(write(tmp_path, data), "--code-property", "Wilayah")
    assert "1 kelurahan outlined" in out
    assert "23 kelurahan of the office have no outline in the file" in out


def test_reloading_replaces_the_office_outlines_at_once(reference, tmp_path):
    load(SQUARES)
    data = squares()
    data["features"] = data["features"][:3]
    out = load(write(tmp_path, data, "baru.geojson"))
    assert "24 outlines replaced" in out
    assert AreaBoundary.objects.count() == 3
    assert set(AreaBoundary.objects.values_list("source", flat=True)) == {"baru.geojson"}
    # A map of the whole kota now lacks outlines: the tile grid, not a map with holes.
    assert area_map(Area.objects.get(code="13.75"), {}, title="t").kind == "tiles"
    kecamatan = area_map(Area.objects.get(code="13.75.01"), {}, title="t")
    assert kecamatan.kind == "tiles"  # 3 of its 7 kelurahan


def test_a_dry_run_checks_and_writes_nothing(reference):
    out = load(SQUARES, "--dry-run")
    assert "checked, nothing written" in out
    assert not AreaBoundary.objects.exists()


def test_a_file_that_is_not_json_is_refused(reference, tmp_path):
    path = tmp_path / "peta.shp"
    path.write_bytes(b"\x00\x00'\n\x00\x00\x00\x00 shapefile")
    text = refusal(path)
    assert "peta.shp is not a GeoJSON file: it cannot be read as JSON" in text
    assert "EPSG:4326" in text
    path.write_text('{"type": "FeatureCollection", "features": [')
    assert "(line 1, column" in refusal(path)
    assert "no such file" in refusal(tmp_path / "hilang.geojson")
    # Nested deeper than any reader goes: refused like any other unreadable file, not a 500.
    path.write_text("[" * 200_000 + "]" * 200_000)
    assert "it cannot be read as JSON" in refusal(path)


@pytest.mark.parametrize(
    "data, expected",
    [
        ([1, 2], "is JSON but not GeoJSON"),
        ({"type": "Feature", "geometry": None}, "not a GeoJSON FeatureCollection (its type is"),
        ({"type": "FeatureCollection", "features": []}, "holds no features"),
    ],
)
def test_json_that_is_not_a_feature_collection_is_refused(reference, tmp_path, data, expected):
    load(SQUARES)  # and what was loaded stays
    assert expected in refusal(write(tmp_path, data))
    assert AreaBoundary.objects.count() == 24


def test_features_without_codes_are_refused_naming_the_properties_seen(reference, tmp_path):
    data = squares()
    for feature in data["features"]:
        feature["properties"] = {"NAMOBJ": "Kelurahan", "luas": 12}
    text = refusal(write(tmp_path, data))
    assert "no feature has a kelurahan code" in text
    assert "kode, kode_desa" in text and "KDEPUM".lower() in text
    assert "The first feature's properties are: NAMOBJ, luas" in text
    assert "--code-property" in text
    assert "in the property kode_kel" in refusal(
        write(tmp_path, data), "--code-property", "kode_kel"
    )
    # Some features with a code, some without: those are named by number.
    data["features"][0]["properties"]["kode"] = "1375011001"
    text = refusal(write(tmp_path, data))
    assert "Features without a kelurahan code: 2, 3, 4" in text


def test_unknown_codes_and_codes_outside_the_office_are_all_listed(
    reference, other_office, tmp_path
):
    load(SQUARES)
    data = squares()
    unknown = [f"13.75.01.{2000 + i}" for i in range(35)]
    codes = ["13.74.01.1001", "13.74.01.1002", *unknown]
    for feature, code in zip(data["features"], codes[:24], strict=True):
        feature["properties"]["kode"] = code
    data["features"].extend(json.loads(json.dumps(data["features"][-13:])))
    for feature, code in zip(data["features"][24:], unknown[22:], strict=True):
        feature["properties"] = {"kode": code}
    text = refusal(write(tmp_path, data))
    assert "batas.geojson was not loaded; nothing was changed." in text
    assert "Codes outside the office's area Kota Bukittinggi (13.75): 13.74.01.1001, " in text
    assert "13.74.01.1002" in text
    assert "Codes not in the areas table" in text and "pilar load-regions" in text
    assert "13.75.01.2000, 13.75.01.2001" in text and "13.75.01.2029" in text
    assert "and 5 more" in text and "13.75.01.2034" not in text  # 30 named, the rest counted
    # The other office loads its own with --office.
    data = squares()
    data["features"] = data["features"][:2]
    data["features"][0]["properties"]["kode"] = "13.74.01.1001"
    data["features"][1]["properties"]["kode"] = "13.74.01.1002"
    out = load(write(tmp_path, data), "--office", "1374")
    assert "2 kelurahan outlined for Dinas Sosial Kota Padang Panjang" in out
    assert AreaBoundary.objects.count() == 26  # Bukittinggi's stay
    assert "13.75.01.1001" in refusal(write(tmp_path, squares()), "--office", "13.74")
    assert "--office: no office serves the area 13.99. Offices: 13.74" in refusal(
        SQUARES, "--office", "13.99"
    )
    assert "--office: write the office's area code" in refusal(SQUARES, "--office", "abc")


@pytest.mark.parametrize(
    "geometry, expected",
    [
        (None, "feature 1 (13.75.01.1001): it has no geometry"),
        ({"type": "Point", "coordinates": [100.3, -0.3]}, "is a Point, not a Polygon"),
        ({"type": "Polygon", "coordinates": [[[100.3, -0.3], [100.4, -0.3]]]}, "fewer than 4"),
        (
            {"type": "Polygon", "coordinates": [[[1, 2], [3, "x"], [5, 6], [1, 2]]]},
            "not a pair of numbers",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[651000, 9967000], [652000, 9967000], [652000, 9966000], [651000, 9967000]]
                ],
            },
            "projected coordinate system",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[100.3, -0.3], [100.4, -0.3], [100.4, -0.4], [100.3, -0.31]]],
            },
            "is not closed",
        ),
    ],
)
def test_invalid_geometry_is_refused_naming_the_feature(reference, tmp_path, geometry, expected):
    data = squares()
    data["features"][0]["geometry"] = geometry
    text = refusal(write(tmp_path, data))
    assert "Invalid geometry: feature 1 (13.75.01.1001)" in text and expected in text


def test_a_projected_crs_is_refused(reference, tmp_path):
    data = squares()
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32747"}}
    assert "EPSG::32747, not WGS84" in refusal(write(tmp_path, data))
    data["crs"]["properties"]["name"] = "urn:ogc:def:crs:OGC:1.3:CRS84"
    load(write(tmp_path, data))


def wiggly(lon0, lat0, size, points) -> list:
    """A closed ring of `points` around a square cell with a small zigzag: a boundary as
    detailed as a mapping agency's."""
    ring = []
    for i in range(points):
        t = i / points * 4
        side, f = int(t), t - int(t)
        x, y = [(f, 0), (1, f), (1 - f, 1), (0, 1 - f)][side]
        wobble = 0.01 * math.sin(i * 1.7)
        ring.append([lon0 + (x + wobble) * size, lat0 - (y + wobble) * size])
    ring.append(ring[0])
    return ring


def test_a_detailed_file_is_simplified_to_an_svg_under_30_kb(reference, tmp_path):
    data = squares()
    for i, feature in enumerate(data["features"]):
        feature["geometry"]["coordinates"] = [
            wiggly(100.36 + (i % 6) * 0.005, -0.29 - (i // 6) * 0.005, 0.005, 4000)
        ]
    out = load(write(tmp_path, data))
    points = sum(AreaBoundary.objects.values_list("points", flat=True))
    assert points <= 2400 and f"({points} points)" in out
    values = {
        code: n
        for n, code in enumerate(Area.objects.filter(level=4).values_list("code", flat=True))
    }
    links = {code: f"/pillars/?area={code}" for code in values}
    html = render_to_string(
        "maps/map.html",
        {"map": area_map(Area.objects.get(code="13.75"), values, title="Peta", links=links)},
    )
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count("<path ") == 24
    assert len(svg.encode()) < 30_000


def test_douglas_peucker_keeps_the_corners():
    line = [(0, 0), (1, 0.01), (2, -0.01), (3, 0), (3, 1), (3.01, 2), (3, 3)]
    assert simplify_line(line, 0.1) == [(0, 0), (3, 0), (3, 3)]
    assert simplify_line(line, 0) == line
    square = [(0, 0), (0.5, 0.001), (1, 0), (1, 1), (0, 1), (0, 0)]
    assert simplify_ring(square, 0.01) == [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]
    assert simplify_ring([(0, 0), (0.001, 0), (0, 0.001), (0, 0)], 0.1) is None


def test_the_command_from_the_shell_refuses_without_a_traceback(tmp_path):
    path = tmp_path / "batas.geojson"
    path.write_text("not json")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pilar.settings"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env["PILAR_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "pilar.cli", "load-boundaries", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR.parent,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "batas.geojson" in done.stderr


def test_a_province_hosting_offices_names_them_instead(reference, province_office, other_office):
    text = refusal(SQUARES, "--office", "13")
    assert "hosts other offices, whose boundaries are their own" in text
    assert "(13.74, 13.75)" in text
    assert "24 kelurahan outlined" in load(SQUARES, "--office", "13.75")


def test_an_outline_smaller_than_the_tolerance_keeps_its_corners():
    tiny = [
        [(100.0, -0.3), (100.00001, -0.3), (100.00001, -0.30001), (100.0, -0.30001), (100.0, -0.3)]
    ]
    island = [[(100.1, -0.3), (100.100001, -0.3), (100.1, -0.300001), (100.1, -0.3)]]
    kept = simplify_polygons([island, tiny], 0.01, local_plane(-0.3))
    # The larger of the two, down to its extreme points: still a closed ring.
    [[ring]] = kept
    assert len(ring) >= 4 and ring[0] == ring[-1] and set(ring) <= set(tiny[0])
    assert simplify_polygons([tiny], 0.000001, local_plane(-0.3)) == [tiny]


@pytest.mark.parametrize(
    "text",
    [
        # Each once gave a traceback from the command and a 500 from the page (the outsider).
        '{"type":"FeatureCollection","crs":{"properties":"x"},"features":[{"type":"Feature"}]}',
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":5}]}',
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"kode":"13.75.01.1001"},"geometry":{"type":"Polygon","coordinates":[[[1'
        + "0" * 400
        + ",0],[1,0],[1,1],[1"
        + "0" * 400
        + ",0]]]}}]}",
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"kode":"13.75.01.1001"},"geometry":{"type":"Polygon","coordinates":'
        + "[" * 5000
        + "]" * 5000
        + "}}]}",
    ],
)
def test_a_file_of_unexpected_shape_is_refused_not_a_crash(reference, tmp_path, text):
    path = tmp_path / "aneh.geojson"
    path.write_text(text)
    for extra in ((), ("--dry-run",)):
        message = refusal(path, *extra)
        assert "aneh.geojson" in message and "GeoJSON" in message
