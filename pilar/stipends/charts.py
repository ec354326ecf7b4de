"""Horizontal bars for money against the budget and for months outstanding, as numbers for
inline SVG (drawn on the server: no JavaScript, no external request).

Each bar is a small SVG stretched to the width of its box, with its labels in HTML beside it, so
the text keeps its size on a phone and on a wide screen alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from pilar.lib.money import rupiah
from pilar.stipends.arrears import Money, Tally


@dataclass(frozen=True)
class Segment:
    css: str
    x: str  # percent of the bar's width, with a decimal point whatever the language
    width: str
    label: str


def segments(parts: list[tuple[str, int, str]], scale: int) -> list[Segment]:
    """Consecutive segments of one bar, each `value / scale` of its width (never past the end)."""
    out, x = [], 0.0
    for css, value, label in parts:
        if value <= 0 or scale <= 0:
            continue
        width = min(100 * value / scale, 100 - x)
        out.append(Segment(css, f"{x:.2f}", f"{width:.2f}", label))
        x += width
    return out


@dataclass(frozen=True)
class MoneyBar:
    money: Money
    segments: list[Segment]
    ceiling_x: str | None  # where the ceiling falls, when there is one
    percent: int | None  # of the ceiling paid (realisasi): money only waiting is not spent
    taken_percent: int | None  # of the ceiling paid or waiting in a batch


def money_bars(money: list[Money]) -> list[MoneyBar]:
    """Per funding source: paid, then waiting in batches (committed, not yet paid), against the
    ceiling. The figure against the ceiling counts only what is paid."""
    bars = []
    for m in money:
        scale = max(m.ceiling or 0, m.taken)
        parts = [
            ("paid", m.paid, _("Paid: Rp %(n)s") % {"n": rupiah(m.paid)}),
            (
                "in_process",
                m.in_process,
                _("Committed in batches, not yet paid: Rp %(n)s") % {"n": rupiah(m.in_process)},
            ),
        ]
        ceiling_x = percent = taken = None
        if m.ceiling:
            ceiling_x = f"{100 * m.ceiling / scale:.2f}"
            percent = round(100 * m.paid / m.ceiling)
            taken = round(100 * m.taken / m.ceiling)
        bars.append(MoneyBar(m, segments(parts, scale), ceiling_x, percent, taken))
    return bars


def owed_segments(tally: Tally, scale: int) -> list[Segment]:
    """One kind's months outstanding: blocked, eligible and unpaid, in process."""
    return segments(
        [
            ("blocked", tally.blocked, _("Blocked: %(n)s") % {"n": tally.blocked}),
            (
                "eligible",
                tally.eligible,
                _("Eligible, not yet paid: %(n)s") % {"n": tally.eligible},
            ),
            ("in_process", tally.in_process, _("In process: %(n)s") % {"n": tally.in_process}),
        ],
        scale,
    )
