"""Charts drawn on the server: the shapes say the numbers, the table says them too, and the
same chart draws onto a PDF page."""

import io
import subprocess

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from pilar.lib.charts import Series, bar_chart, draw_on_canvas, nice_top, trend_chart

MONTHS = ["01/24", "02/24", "03/24"]


def test_bars_are_as_tall_as_their_values():
    chart = trend_chart(
        title="Kegiatan", labels=MONTHS, series=[Series("Sosial", [10, 20, 0])], kind="bar"
    )
    heights = [r.height for r in chart.rects]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.2)
    assert heights[2] == 0
    # Every bar stands on the baseline.
    assert all(r.y + r.height == pytest.approx(chart.baseline, abs=0.2) for r in chart.rects)


def test_stacked_segments_sum_to_the_column_total():
    chart = trend_chart(
        title="Per sektor",
        labels=MONTHS,
        series=[
            Series("Rehabilitasi", [1, 2, 3], key="rehabilitasi"),
            Series("Jaminan", [3, 2, 1], key="jaminan"),
        ],
        kind="stacked",
    )
    columns: dict[float, float] = {}
    for r in chart.rects:
        columns[r.x] = columns.get(r.x, 0) + r.height
    # Each month totals 4: the three stacks are equally tall.
    assert len(set(round(h) for h in columns.values())) == 1
    # Sectors keep the colours they have elsewhere.
    assert {r.colour for r in chart.rects} == {"#7c5cc4", "#2f76c0"}


def test_a_line_skips_months_without_a_figure():
    chart = trend_chart(
        title="Tepat waktu", labels=MONTHS, series=[Series("%", [50, None, 75])], kind="line"
    )
    assert len(chart.lines[0].points.split()) == 2
    assert chart.rows[1].cells == ["–"]


def test_the_table_holds_every_figure_and_links_to_the_rows_behind_it():
    with translation.override("id"):
        chart = trend_chart(
            title="Dibayar",
            labels=MONTHS,
            series=[Series("Jumlah", [1500000, 2500, 0])],
            unit="Rp",
            links=["/a", None, "/c"],
        )
        html = render_to_string("charts/chart.html", {"chart": chart})
    assert [row.cells for row in chart.rows] == [["Rp 1.500.000"], ["Rp 2.500"], ["Rp 0"]]
    assert '<a href="/a">01/24</a>' in html
    # A drawing that links is a group (an image holds nothing to click); its links leave the
    # tab order to the table's, which are the same.
    assert '<a href="/a" tabindex="-1"><rect' in html
    assert 'role="group"' in html and "<title" in html
    assert html.count("<tr>") == 4  # the header and a row per month


def test_figures_are_formatted_when_the_chart_is_made():
    with translation.override("id"):
        chart = bar_chart(title="Per jenis", labels=["PSM", "TKSK"], values=[1200, 3])
    assert chart.rows[0].cells == ["1.200"]
    with translation.override("en"):
        chart = bar_chart(title="By kind", labels=["PSM", "TKSK"], values=[1200, 3])
    assert chart.rows[0].cells == ["1,200"]


def test_suppressed_cells_say_so_and_are_drawn_as_their_value():
    chart = bar_chart(
        title="Rumah tangga",
        labels=["Aur Tajungkang", "Belakang Balok"],
        values=[None, 12],
        shown=["<5", "12"],
    )
    assert [row.cells for row in chart.rows] == [["<5"], ["12"]]
    assert chart.rects[0].width == 0
    assert chart.rects[0].tip == "Aur Tajungkang: <5"


def test_axis_values_are_short():
    with translation.override("id"):
        chart = trend_chart(
            title="Dibayar", labels=MONTHS, series=[Series("Rp", [0, 2_400_000, 90_000_000])]
        )
    assert [t.value for t in chart.texts if t.anchor == "end"] == [
        "0",
        "20 jt",
        "40 jt",
        "60 jt",
        "80 jt",
        "100 jt",
    ]


def test_a_longer_bar_for_a_larger_value():
    chart = bar_chart(title="x", labels=["a", "b", "c"], values=[5, 10, None])
    assert chart.rects[1].width == pytest.approx(2 * chart.rects[0].width, abs=0.2)
    assert chart.rects[2].width == 0


def test_mismatched_series_are_refused():
    with pytest.raises(ValueError):
        trend_chart(title="x", labels=MONTHS, series=[Series("a", [1, 2])])
    with pytest.raises(ValueError):
        trend_chart(title="x", labels=MONTHS, series=[Series("a", [1, 2, 3])], kind="pie")


def test_no_data_is_an_empty_chart_that_says_so():
    chart = trend_chart(title="Kosong", labels=[], series=[])
    assert chart.empty
    html = render_to_string("charts/chart.html", {"chart": chart})
    assert "<svg" not in html


def test_a_drawing_without_links_is_an_image():
    chart = bar_chart(title="x", labels=["a"], values=[3])
    html = render_to_string("charts/chart.html", {"chart": chart})
    assert 'role="img"' in html and "<a " not in html.split("</svg>")[0]


@pytest.mark.parametrize(
    ("value", "top", "step"),
    [
        (0, 1, 1),
        (3, 3, 1),
        (9, 10, 2),
        (97, 100, 20),
        (1234, 1500, 500),
        (0.3, 0.3, 0.1),
        (0.7, 0.8, 0.2),
    ],
)
def test_the_axis_ends_on_a_round_number_above_the_highest_value(value, top, step):
    assert nice_top(value) == pytest.approx((top, step))


def test_at_most_twelve_month_labels_are_written():
    labels = [f"{m:02}/{y}" for y in (24, 25) for m in range(1, 13)]
    chart = trend_chart(title="x", labels=labels, series=[Series("a", list(range(24)))])
    month_labels = [t for t in chart.texts if t.anchor == "middle"]
    assert len(month_labels) == 12


def test_a_chart_draws_onto_a_pdf_page(tmp_path):
    chart = trend_chart(
        title="Kegiatan",
        labels=MONTHS,
        series=[Series("Sosial", [10, 20, 5], key="rehabilitasi"), Series("Lain", [1, 2, 3])],
        kind="stacked",
    )
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    draw_on_canvas(canvas, chart, 50, 400, 400, 160)
    canvas.showPage()
    canvas.save()
    path = tmp_path / "chart.pdf"
    path.write_bytes(buffer.getvalue())
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "p")], check=True)
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    colours = {image.getpixel((x, y)) for x in range(image.width) for y in range(image.height)}
    # The rehabilitation bars' purple is on the page (anti-aliasing aside, near it).
    assert any(
        abs(r - 0x7C) < 12 and abs(g - 0x5C) < 12 and abs(b - 0xC4) < 12 for r, g, b in colours
    )
