"""A bar chart of a group's monthly turnover and savings, as numbers for an inline SVG.

Drawn on the server (no JavaScript, no external request): the template places the bars."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 600
HEIGHT = 220
TOP = 10
BOTTOM = 30  # room for the month labels
LEFT = 4
MONTHS_SHOWN = 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int


@dataclass(frozen=True)
class Column:
    label: str
    label_x: float
    turnover: Bar
    savings: Bar


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: int
    top_value: int
    columns: list[Column]


def monthly_chart(records) -> Chart | None:
    """The last 12 recorded months (oldest first), each a turnover bar and a savings bar."""
    records = sorted(records, key=lambda r: r.month)[-MONTHS_SHOWN:]
    if not records:
        return None
    top_value = max(max(r.turnover, r.savings) for r in records) or 1
    plot = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT) / len(records)
    bar_w = min(slot * 0.38, 28)
    baseline = TOP + plot  # an int: the template writes it as is
    columns = []
    for i, r in enumerate(records):
        x0 = LEFT + i * slot + (slot - 2 * bar_w) / 2

        def bar(x: float, value: int) -> Bar:
            h = round(plot * value / top_value, 1)
            return Bar(
                x=round(x, 1),
                y=round(baseline - h, 1),
                width=round(bar_w, 1),
                height=h,
                value=value,
            )

        columns.append(
            Column(
                label=f"{r.month:%m/%y}",
                label_x=round(LEFT + i * slot + slot / 2, 1),
                turnover=bar(x0, r.turnover),
                savings=bar(x0 + bar_w, r.savings),
            )
        )
    return Chart(
        width=WIDTH, height=HEIGHT, baseline=baseline, top_value=top_value, columns=columns
    )
