"""Charts drawn on the server: a figure's numbers turned into shapes once, then written as an
inline SVG in a page (`templates/charts/chart.html`) or onto a PDF canvas (`draw_on_canvas`),
with the same numbers as a table beside them (docs/DASHBOARD.md, "Charts").

No JavaScript and nothing fetched: a chart is a few hundred bytes of SVG. The shapes are laid
out in a fixed coordinate box (`WIDTH` x the chart's height) that the page scales to its width.
Colours are SVG presentation attributes (allowed by the content security policy, unlike style
attributes) and the same in the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.translation import pgettext

WIDTH = 640
TREND_HEIGHT = 240
LEFT = 56  # room for the y-axis labels
RIGHT = 8
TOP = 12
BOTTOM = 30  # room for the x labels
BAR_ROW = 30  # a category's row in a horizontal bar chart
LABEL_SHARE = 0.36  # of the width, for a horizontal bar chart's category labels

# Colour-blind-safe hues (Okabe-Ito's order, darkened for contrast on white), then known keys.
PALETTE = ("#0b5d7a", "#d55e00", "#2e8b57", "#7c5cc4", "#b8860b", "#c4453b", "#5b6775")
KEYED = {
    # The four sectors, as their tags and bars show them elsewhere (pilar.css).
    "rehabilitasi": "#7c5cc4",
    "perlindungan": "#c4453b",
    "jaminan": "#2f76c0",
    "pemberdayaan": "#2e8b57",
}


@dataclass(frozen=True)
class Series:
    """One line or one colour of bars: a value per label (None where there is no figure).
    `shown`, when given, is what the table and the tooltips say instead of the number: for
    example "<5" for a suppressed count, whose value the caller gives as None so that no bar's
    length tells it."""

    label: str
    values: Sequence[int | float | None]
    key: str = ""
    shown: Sequence[str] | None = None


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    tip: str
    link: str | None = None


@dataclass(frozen=True)
class Line:
    points: str  # "x,y x,y ..." as SVG's polyline reads them
    colour: str
    dots: tuple[tuple[float, float, str], ...]  # (x, y, tip)


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    value: str
    anchor: str = "middle"  # SVG's text-anchor: start, middle or end


@dataclass(frozen=True)
class Key:
    label: str
    colour: str


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[str]
    link: str | None = None


@dataclass
class Chart:
    """Everything a template or a PDF needs: the shapes in the WIDTH x height box, the axis,
    the key, and the data as rows (label, one shown value per series)."""

    title: str
    kind: str
    height: int
    columns: list[str]  # the series' labels: the table's header after the label column
    rows: list[Row]
    unit: str = ""
    width: int = WIDTH
    rects: list[Rect] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    gridlines: list[float] = field(default_factory=list)  # y of each horizontal gridline
    baseline: float = 0.0
    keys: list[Key] = field(default_factory=list)

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def linked(self) -> bool:
        """Whether shapes link to rows. Such a drawing is a group, not an image (an image holds
        nothing to click), and its links are out of the tab order: the table beside it offers
        the same links to the keyboard and to screen readers."""
        return any(r.link for r in self.rects)

    @property
    def side_by_side(self) -> bool:
        """Whether the table fits beside the chart on a wide screen (a label and two columns)."""
        return self.kind != "hbar" and len(self.columns) <= 2

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def description(self) -> str:
        """What a screen reader hears after the title: the extent of the data."""
        if not self.rows:
            return ""
        return f"{self.rows[0].label} – {self.rows[-1].label}"


def shown_value(value: int | float | None, unit: str = "") -> str:
    """A value as the table shows it, in the active language's number format."""
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        text = number_format(value, 1, force_grouping=True)
    else:
        text = number_format(int(value), force_grouping=True)
    if unit == "Rp":
        return f"Rp {text}"
    return f"{text}{unit}" if unit == "%" else (f"{text} {unit}" if unit else text)


def axis_value(value: float) -> str:
    """A gridline's value, short: thousands, millions and billions abbreviated."""
    for size, word in (
        (1e9, pgettext("chart axis: billions", "%(n)s bn")),
        (1e6, pgettext("chart axis: millions", "%(n)s M")),
        (1e4, pgettext("chart axis: thousands", "%(n)s k")),
    ):
        if value >= size:
            return word % {"n": shown_value(round(value / size, 1))}
    return shown_value(value)


def nice_top(value: float) -> tuple[float, float]:
    """An axis top at or above `value` and its step (1, 2 or 5 times a power of ten, whole
    numbers from a value of 1 up), in five steps at most."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 5, 10) if f * power >= raw - 1e-12)
    if value >= 1:
        step = max(1, round(step))
    step = round(step, 10)
    return round(step * math.ceil(value / step - 1e-9), 10), step


def _colour(series: Series, index: int) -> str:
    return KEYED.get(series.key) or PALETTE[index % len(PALETTE)]


def _shown(series: Series, i: int, unit: str) -> str:
    if series.shown is not None:
        return series.shown[i]
    return shown_value(series.values[i], unit)


def _rows(labels, series, unit, links) -> list[Row]:
    return [
        Row(
            label=str(label),
            cells=[_shown(s, i, unit) for s in series],
            link=links[i] if links else None,
        )
        for i, label in enumerate(labels)
    ]


def trend_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    kind: str = "bar",
    unit: str = "",
    links: Sequence[str | None] | None = None,
) -> Chart:
    """A value per label (months, oldest first) for each series: grouped bars ("bar"), one
    stacked bar per label ("stacked") or lines ("line")."""
    if kind not in ("bar", "stacked", "line"):
        raise ValueError(f"unknown chart kind {kind!r}")
    for s in series:
        if len(s.values) != len(labels) or (s.shown is not None and len(s.shown) != len(labels)):
            raise ValueError(f"series {s.label!r} has not one value per label")
    if links is not None and len(links) != len(labels):
        raise ValueError("links must give one link (or None) per label")
    chart = Chart(
        title=str(title),
        kind=kind,
        height=TREND_HEIGHT,
        columns=[str(s.label) for s in series],
        rows=_rows(labels, series, unit, links),
        unit=unit,
        keys=[Key(str(s.label), _colour(s, i)) for i, s in enumerate(series)],
    )
    if not labels or not series:
        return chart
    values = [[v or 0 for v in s.values] for s in series]
    if kind == "stacked":
        highest = max(sum(column) for column in zip(*values, strict=True))
    else:
        highest = max(max(v) for v in values)
    top, step = nice_top(highest)
    plot_h = TREND_HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT
    baseline = TOP + plot_h
    chart.baseline = baseline

    def y_of(value: float) -> float:
        return round(baseline - plot_h * value / top, 1)

    tick = 0.0
    while tick <= top + 1e-9:
        chart.gridlines.append(y_of(tick))
        chart.texts.append(Text(LEFT - 6, y_of(tick) + 5, axis_value(tick), "end"))
        tick += step
    slot = plot_w / len(labels)
    every = max(1, math.ceil(len(labels) / 12))  # at most 12 x labels
    for i, label in enumerate(labels):
        if i % every == 0:
            chart.texts.append(Text(round(LEFT + slot * (i + 0.5), 1), TREND_HEIGHT - 8, label))
    if kind == "line":
        for n, s in enumerate(series):
            points, dots = [], []
            for i, value in enumerate(s.values):
                if value is None:
                    continue
                x = round(LEFT + slot * (i + 0.5), 1)
                points.append(f"{x},{y_of(value)}")
                dots.append((x, y_of(value), f"{labels[i]} · {s.label}: {_shown(s, i, unit)}"))
            chart.lines.append(Line(" ".join(points), _colour(s, n), tuple(dots)))
        return chart
    for i, label in enumerate(labels):
        link = links[i] if links else None
        x0 = LEFT + slot * i + slot * 0.1
        if kind == "stacked":
            bottom = 0.0
            for n, s in enumerate(series):
                value = values[n][i]
                if value <= 0:
                    continue
                y_top, y_bottom = y_of(bottom + value), y_of(bottom)
                chart.rects.append(
                    Rect(
                        round(x0, 1),
                        y_top,
                        round(slot * 0.8, 1),
                        round(y_bottom - y_top, 1),
                        _colour(s, n),
                        f"{label} · {s.label}: {_shown(s, i, unit)}",
                        link,
                    )
                )
                bottom += value
            continue
        width = slot * 0.8 / len(series)
        for n, s in enumerate(series):
            value = values[n][i]
            chart.rects.append(
                Rect(
                    round(x0 + width * n, 1),
                    y_of(value),
                    round(width, 1),
                    round(baseline - y_of(value), 1),
                    _colour(s, n),
                    f"{label} · {s.label}: {_shown(s, i, unit)}",
                    link,
                )
            )
    return chart


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[int | float | None],
    unit: str = "",
    links: Sequence[str | None] | None = None,
    label: str = "",
    shown: Sequence[str] | None = None,
    key: str = "",
) -> Chart:
    """One horizontal bar per category (a kind, a kelurahan, a sector), its value at its end.
    `label` names the value column of the table (the title when empty)."""
    if len(values) != len(labels) or (shown is not None and len(shown) != len(labels)):
        raise ValueError("bar_chart needs one value per label")
    if links is not None and len(links) != len(labels):
        raise ValueError("links must give one link (or None) per label")
    series = Series(label=label or title, values=values, key=key, shown=shown)
    height = TOP + BAR_ROW * max(1, len(labels)) + 4
    chart = Chart(
        title=str(title),
        kind="hbar",
        height=height,
        columns=[str(series.label)],
        rows=_rows(labels, [series], unit, links),
        unit=unit,
        keys=[],
    )
    if not labels:
        return chart
    left = round(WIDTH * LABEL_SHARE)
    room = WIDTH - left - RIGHT - 80  # the value is written after the bar
    highest = max((v or 0) for v in values) or 1
    colour = _colour(series, 0)
    chart.baseline = left
    for i, category in enumerate(labels):
        y = TOP + BAR_ROW * i
        value = values[i] or 0
        width = round(room * value / highest, 1)
        text = _shown(series, i, unit)
        chart.texts.append(Text(left - 6, y + BAR_ROW * 0.62, _cut(str(category), 26), "end"))
        chart.rects.append(
            Rect(
                left,
                y + 4,
                width,
                BAR_ROW - 8,
                colour,
                f"{category}: {text}",
                links[i] if links else None,
            )
        )
        chart.texts.append(Text(round(left + width + 6, 1), y + BAR_ROW * 0.62, text, "start"))
    return chart


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def draw_on_canvas(canvas, chart: Chart, x: float, y: float, width: float, height: float):
    """The chart drawn into the box whose lower left corner is (x, y) on a ReportLab canvas,
    scaled from its own coordinates; the key, when there is one, under it."""
    from reportlab.lib.colors import HexColor

    from pilar.lib.pdf import fonts

    regular, _bold = fonts()
    key_room = 14 if chart.keys and len(chart.keys) > 1 else 0
    sx, sy = width / chart.width, (height - key_room) / chart.height

    def px(value: float) -> float:
        return x + value * sx

    def py(value: float) -> float:
        return y + key_room + (chart.height - value) * sy

    canvas.saveState()
    canvas.setStrokeColor(HexColor("#d7dee6"))
    canvas.setLineWidth(0.4)
    for g in chart.gridlines:
        canvas.line(px(LEFT), py(g), px(chart.width - RIGHT), py(g))
    for r in chart.rects:
        canvas.setFillColor(HexColor(r.colour))
        canvas.rect(px(r.x), py(r.y + r.height), r.width * sx, r.height * sy, stroke=0, fill=1)
    for line in chart.lines:
        canvas.setStrokeColor(HexColor(line.colour))
        canvas.setLineWidth(1.4)
        points = [tuple(float(c) for c in p.split(",")) for p in line.points.split()]
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            canvas.line(px(x1), py(y1), px(x2), py(y2))
        canvas.setFillColor(HexColor(line.colour))
        for dx, dy, _tip in line.dots:
            canvas.circle(px(dx), py(dy), 1.6, stroke=0, fill=1)
    canvas.setFillColor(HexColor("#1d2733"))
    size = max(5.5, min(8.0, 11 * sy))
    canvas.setFont(regular, size)
    for t in chart.texts:
        draw = {
            "end": canvas.drawRightString,
            "start": canvas.drawString,
        }.get(t.anchor, canvas.drawCentredString)
        draw(px(t.x), py(t.y), t.value)
    if key_room:
        kx = x
        for k in chart.keys:
            canvas.setFillColor(HexColor(k.colour))
            canvas.rect(kx, y + 3, 7, 7, stroke=0, fill=1)
            canvas.setFillColor(HexColor("#1d2733"))
            canvas.drawString(kx + 10, y + 4, k.label)
            kx += 14 + canvas.stringWidth(k.label, regular, size)
    canvas.restoreState()
