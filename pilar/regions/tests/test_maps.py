"""`area_map` (docs/DASHBOARD.md, "Map"): the same figure whether outlines are loaded (a
choropleth) or not (a tile grid), five classes, small counts shown as "<5", in one query."""

import io
from pathlib import Path

from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import translation

from pilar.regions.maps import area_map
from pilar.regions.models import Area

SQUARES = Path(__file__).parent / "data" / "kelurahan_squares.geojson"


def kota() -> Area:
    return Area.objects.get(code="13.75")


def render(figure) -> str:
    with translation.override("en"):
        return render_to_string("maps/map.html", {"map": figure})


def test_without_boundaries_a_tile_grid_by_kecamatan(reference):
    values = {"13.75.01.1001": 4, "13.75.01.1002": 0, "13.75.03.1008": 20}
    figure = area_map(kota(), values, title="Pilar aktif", links={"13.75.01.1001": "/x/?a=1"})
    assert figure.kind == "tiles" and len(figure.areas) == 24
    assert [g.name for g in figure.groups] == [
        "Guguak Panjang",
        "Mandiangin Koto Selayan",
        "Aur Birugo Tigo Baleh",
    ]
    html = render(figure)
    # It links (Tarok Dipo): a group, not an image, which holds nothing to click (axe).
    assert '<svg class="map-svg map-tiles"' in html and 'role="group"' in html
    assert 'role="img"' in render(area_map(kota(), values, title="Pilar aktif"))
    assert html.count("<rect ") == 24 and "<path" not in html
    assert "<title>Tarok Dipo: 4</title>" in html
    assert "<title>Koto Selayan: –</title>" in html  # no figure given
    # Short labels on the tiles, the full names in the table; the link in both.
    assert ">BCK</text>" in html and ">Bir</text>" in html
    assert html.count('href="/x/?a=1"') == 2
    assert '<th scope="rowgroup" colspan="2">Aur Birugo Tigo Baleh</th>' in html
    assert "One square per area, not to scale." in html


def test_five_classes_from_the_lowest_to_the_highest(reference):
    kelurahan = list(Area.objects.filter(level=4, code__startswith="13.75.").order_by("code"))
    values = {a.code: n for n, a in enumerate(kelurahan)}  # 0 … 23
    figure = area_map(kota(), values, title="t", legend_unit="orang")
    assert [entry.label for entry in figure.legend] == ["0–4", "5–9", "10–14", "15–19", "20–23"]
    assert [entry.css for entry in figure.legend] == [f"map-c{i}" for i in range(1, 6)]
    by_code = {a.code: a.css for a in figure.areas}
    assert by_code[kelurahan[0].code] == "map-c1" and by_code[kelurahan[23].code] == "map-c5"
    assert by_code[kelurahan[10].code] == "map-c3"
    assert "20–23 orang" in render(figure)
    # Two values only: the lightest and the darkest step; one value: the middle one.
    two = area_map(kota(), {kelurahan[0].code: 1, kelurahan[1].code: 2}, title="t")
    assert [e.css for e in two.legend[:2]] == ["map-c1", "map-c5"]
    one = area_map(kota(), {kelurahan[0].code: 3}, title="t")
    assert one.legend[0].css == "map-c3" and one.legend[0].label == "3"


def test_suppressed_counts_show_as_fewer_than_five_and_leak_no_class(reference):
    values = {"13.75.01.1001": 3, "13.75.01.1002": 40, "13.75.01.1003": 12}
    with translation.override("en"):
        figure = area_map(kota(), values, title="Publik", suppressed={"13.75.01.1001"})
    suppressed = next(a for a in figure.areas if a.code == "13.75.01.1001")
    assert suppressed.shown == "<5" and suppressed.css == "map-suppressed"
    assert suppressed.value is None
    # The classes are drawn from the published values alone.
    assert figure.legend[0].label.startswith("12")
    html = render(figure)
    assert "<title>Tarok Dipo: &lt;5</title>" in html and ">3<" not in html
    assert "fewer than 5" in html


def test_with_boundaries_the_same_figure_draws_outlines_in_one_query(
    reference, django_assert_num_queries
):
    call_command("load_boundaries", str(SQUARES), stdout=io.StringIO())
    parent = kota()
    with django_assert_num_queries(1):
        figure = area_map(parent, {"13.75.02.1001": 5}, title="t")
    assert figure.kind == "choropleth" and len(figure.areas) == 24
    assert all(a.d.startswith("M") and a.d.endswith("Z") for a in figure.areas)
    # The squares keep their proportions: 6 across, 4 down.
    assert abs(figure.width / figure.height - 6 / 4) < 0.05
    # A kecamatan's own kelurahan, and the kecamatan of the kota drawn from their kelurahan.
    kec = area_map(Area.objects.get(code="13.75.02"), {}, title="t")
    assert kec.kind == "choropleth" and len(kec.areas) == 9
    whole = area_map(kota(), {"13.75.02": 9}, title="t", level=Area.Level.KECAMATAN)
    assert [a.name for a in whole.areas] == [
        "Guguak Panjang",
        "Mandiangin Koto Selayan",
        "Aur Birugo Tigo Baleh",
    ]
    assert whole.areas[1].d.count("M") == 9 and whole.areas[1].shown == "9"


def test_without_a_parent_the_areas_named_by_the_values(reference, django_assert_num_queries):
    with django_assert_num_queries(1):
        figure = area_map(None, {"13.75.01.1001": 1, "13.75.03.1002": 2}, title="t")
    assert [a.code for a in figure.areas] == ["13.75.01.1001", "13.75.03.1002"]
    assert [g.name for g in figure.groups] == ["Guguak Panjang", "Aur Birugo Tigo Baleh"]


def test_too_many_areas_are_not_drawn(reference, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr("pilar.regions.maps.MAX_AREAS", 10)
    figure = area_map(kota(), {}, title="t")
    assert figure.too_many == 24 and not figure.areas
    assert "24 areas: too many to draw on one map." in render(figure)
    codes = Area.objects.filter(level=4).values_list("code", flat=True)
    values = dict.fromkeys(codes, 1)
    with django_assert_num_queries(0):
        assert area_map(None, values, title="t").too_many == 24


def test_in_indonesian_the_figures_are_grouped_and_the_drawing_is_not(reference):
    with translation.override("id"):
        figure = area_map(kota(), {"13.75.01.1001": 1234}, title="Pilar")
        html = render_to_string("maps/map.html", {"map": figure})
    assert "<title>Tarok Dipo: 1.234</title>" in html
    assert 'viewBox="0 0 356 450"' in html and 'transform="translate(60 26)"' in html
