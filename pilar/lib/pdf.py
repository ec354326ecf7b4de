"""PDF documents people sign or file: A4, the office's letterhead, Indonesian.

Drawn straight onto a ReportLab canvas, row by row, rather than through platypus: a payment
list of 300,000 lines streams from the database into the file without every row being built in
memory first, and fixed geometry keeps it fast. "Halaman X dari Y" still takes one pass: the
total is a PDF form drawn on every page and defined once, after the last page.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian package fonts-dejavu-core
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
BOTTOM = 16 * mm
GREY = Color(0.35, 0.35, 0.35)
SHADE = Color(0.9, 0.92, 0.95)
PAGE_COUNT_FORM = "pilar_page_count"
SIGNATURE_HEIGHT = 34 * mm  # what `Document.signature` needs below its top line
LOGO_SIZE = 14 * mm


@dataclass(frozen=True)
class Letterhead:
    """The office as a document prints it at its top (pilar.offices.copies: as it was when the
    document was issued): name, address, and the logo's file content (PNG) or None."""

    name: str
    address: str = ""
    logo: bytes | None = None


def draw_logo(canvas: Canvas, logo: bytes | None, x: float, y: float, size: float) -> bool:
    """The logo fitted into a `size` square whose lower left corner is (x, y); False when there
    is none or it cannot be read (the document prints without it)."""
    if not logo:
        return False
    try:
        image = ImageReader(io.BytesIO(logo))
        width, height = image.getSize()
    except Exception:  # a damaged file must not stop a document
        return False
    scale = size / max(width, height)
    w, h = width * scale, height * scale
    canvas.drawImage(image, x + (size - w) / 2, y + (size - h) / 2, w, h, mask="auto")
    return True


@functools.cache
def fonts() -> tuple[str, str]:
    """The regular and bold font names, registered with ReportLab once per process.

    DejaVu Sans when installed; otherwise Bitstream Vera, DejaVu's ancestor, which ships inside
    ReportLab itself: either covers Indonesian, so a document never fails for want of a font.
    """
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        faces = {"DejaVuSans": str(regular), "DejaVuSans-Bold": str(bold)}
    else:
        faces = {"Vera": "Vera.ttf", "VeraBd": "VeraBd.ttf"}
    for name, path in faces.items():
        pdfmetrics.registerFont(TTFont(name, path))
    names = list(faces)
    pdfmetrics.registerFontFamily(names[0], normal=names[0], bold=names[1])
    return names[0], names[1]


def wrap(text: str, width: float, font: str, size: float) -> list[str]:
    """`text` broken into lines no wider than `width` points (a word too long is cut)."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if pdfmetrics.stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while pdfmetrics.stringWidth(word, font, size) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines or [""]


class Document:
    """An A4 PDF written top to bottom: `y` is where the next thing goes.

    The first page carries the letterhead (`letterhead=True`); later pages a one-line running
    header. Every page ends with "Halaman X dari Y". `on_new_page` runs after each page break
    (a table repeats its header there).
    """

    def __init__(
        self,
        *,
        title: str,
        office: Letterhead,
        running_title: str = "",
        letterhead: bool = True,
        out=None,
    ):
        self.regular, self.bold = fonts()
        self.office = office
        # `out`: a binary file the PDF is written to at `finish()`, instead of returned bytes.
        self.out = out
        self.buffer = out if out is not None else io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=A4, pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setAuthor(office.name)
        self.canvas.setCreator("Pilar")
        self.letterhead = letterhead
        self.running_title = running_title or title
        self.left, self.right = MARGIN, PAGE_WIDTH - MARGIN
        self.width = self.right - self.left
        self.bottom = BOTTOM
        self.page = 0
        self.y = 0.0
        self.on_new_page: Callable[[], None] | None = None
        self._start_page()

    # Pages -------------------------------------------------------------------------------

    def _start_page(self) -> None:
        self.page += 1
        if self.page == 1 and self.letterhead:
            self.y = self._draw_letterhead()
        else:
            self.y = self._draw_running_header()
        self._draw_footer()

    def new_page(self) -> None:
        self.canvas.showPage()
        self._start_page()
        if self.on_new_page is not None:
            self.on_new_page()

    def need(self, height: float) -> bool:
        """Break the page unless `height` points still fit; True when it broke."""
        if self.y - height < self.bottom:
            self.new_page()
            return True
        return False

    def finish(self) -> bytes:
        """Close the last page, write the page total into every footer, return the PDF (or
        write it to `out`, returning nothing)."""
        c = self.canvas
        c.showPage()
        c.beginForm(PAGE_COUNT_FORM)
        c.setFont(self.regular, 7.5)
        c.setFillColor(GREY)
        c.drawString(0, 0, str(self.page))
        c.endForm()
        c.save()
        return b"" if self.out is not None else self.buffer.getvalue()

    def _draw_letterhead(self) -> float:
        c, middle = self.canvas, PAGE_WIDTH / 2
        top = PAGE_HEIGHT - 14 * mm
        c.setFillColor(black)
        c.setFont(self.bold, 14)
        c.drawCentredString(middle, top, self.office.name.upper())
        c.setFont(self.regular, 9)
        c.drawCentredString(middle, top - 5.5 * mm, self.office.address)
        rule = top - 8.5 * mm
        # The logo at the left, standing on the double rule; the text stays centred on the page.
        draw_logo(c, self.office.logo, self.left, rule + 1.5 * mm, LOGO_SIZE)
        c.setLineWidth(1.4)
        c.line(self.left, rule, self.right, rule)
        c.setLineWidth(0.5)
        c.line(self.left, rule - 1.2 * mm, self.right, rule - 1.2 * mm)
        return rule - 8 * mm

    def _draw_running_header(self) -> float:
        c = self.canvas
        top = PAGE_HEIGHT - 10 * mm
        c.setFillColor(GREY)
        c.setFont(self.regular, 7.5)
        c.drawString(self.left, top, self.office.name)
        c.drawRightString(self.right, top, self.running_title[:110])
        c.setLineWidth(0.4)
        c.setStrokeColor(GREY)
        c.line(self.left, top - 2 * mm, self.right, top - 2 * mm)
        c.setStrokeColor(black)
        c.setFillColor(black)
        return top - 7 * mm

    def _draw_footer(self) -> None:
        c = self.canvas
        c.saveState()
        c.setFillColor(GREY)
        c.setFont(self.regular, 7.5)
        label = f"Halaman {self.page} dari "
        x = self.right - 32 * mm
        c.drawString(x, 9 * mm, label)
        c.translate(x + pdfmetrics.stringWidth(label, self.regular, 7.5), 9 * mm)
        c.doForm(PAGE_COUNT_FORM)
        c.restoreState()

    # Text --------------------------------------------------------------------------------

    def font(self, bold: bool = False) -> str:
        return self.bold if bold else self.regular

    def text(
        self,
        x: float,
        y: float,
        value: str,
        *,
        size: float = 9,
        bold: bool = False,
        align: str = "left",
    ) -> None:
        c = self.canvas
        c.setFont(self.font(bold), size)
        if align == "right":
            c.drawRightString(x, y, value)
        elif align == "center":
            c.drawCentredString(x, y, value)
        else:
            c.drawString(x, y, value)

    def paragraph(
        self, value: str, *, size: float = 9, bold: bool = False, indent: float = 0
    ) -> None:
        """`value` wrapped to the page width below `y`, breaking the page where needed."""
        leading = size * 1.35
        for line in wrap(value, self.width - indent, self.font(bold), size):
            self.need(leading)
            self.y -= leading
            self.text(self.left + indent, self.y + size * 0.3, line, size=size, bold=bold)

    def title(self, value: str, *, size: float = 12) -> None:
        """A centred bold heading, wrapped if long."""
        leading = size * 1.3
        for line in wrap(value, self.width, self.bold, size):
            self.need(leading)
            self.y -= leading
            self.text(
                PAGE_WIDTH / 2, self.y + size * 0.25, line, size=size, bold=True, align="center"
            )

    def labelled(
        self, rows: Sequence[tuple[str, str]], *, size: float = 9, label_width: float = 38 * mm
    ) -> None:
        """Lines of label, colon and value below `y`, the values aligned and wrapped."""
        leading = size * 1.4
        for label, value in rows:
            lines = wrap(value, self.width - label_width - 4 * mm, self.regular, size)
            self.need(leading * len(lines))
            for n, line in enumerate(lines):
                self.y -= leading
                if n == 0:
                    self.text(self.left, self.y, label, size=size)
                    self.text(self.left + label_width, self.y, ":", size=size)
                self.text(self.left + label_width + 3 * mm, self.y, line, size=size)

    def _signature_lines(
        self, width: float, heading: Sequence[str], name: str, note: str, size: float
    ) -> tuple[list[str], list[str], list[str]]:
        """The heading, name and note lines of a signature block, each wrapped between words
        to the block's width: a name is never cut at a comma, only where it no longer fits."""
        room = width - 4 * mm
        heading_lines = [part for line in heading for part in wrap(line, room, self.regular, size)]
        name_lines = wrap(name, room, self.bold, size) if name else []
        note_lines = wrap(note, room, self.regular, size * 0.9) if note else []
        return heading_lines, name_lines, note_lines

    def signature_height(
        self,
        width: float,
        *,
        heading: Sequence[str],
        name: str = "",
        note: str = "",
        size: float = 9,
    ) -> float:
        """How far below its top line `signature` with these arguments reaches."""
        heading_lines, name_lines, note_lines = self._signature_lines(
            width, heading, name, note, size
        )
        leading = size * 1.4
        lines = len(heading_lines) + max(len(name_lines), 1) - 1 + len(note_lines)
        return lines * leading + 20 * mm + size

    def signature(
        self,
        x: float,
        top: float,
        width: float,
        *,
        heading: Sequence[str],
        name: str = "",
        note: str = "",
        size: float = 9,
    ) -> float:
        """A signature block centred in [x, x + width]: `heading` lines ("Bukittinggi, 22
        Oktober 2024", "Bendahara"), room to sign, then the name (or a dotted line to write
        it in) and `note` under it ("NIP. ..."). Each is printed whole, as entered, on lines of
        its own, wrapped between words when wider than the block. Returns the y below it."""
        heading_lines, name_lines, note_lines = self._signature_lines(
            width, heading, name, note, size
        )
        middle = x + width / 2
        leading = size * 1.4
        y = top
        for line in heading_lines:
            y -= leading
            self.text(middle, y, line, size=size, align="center")
        y -= 20 * mm
        if name_lines:
            self.canvas.setLineWidth(0.5)
            for n, line in enumerate(name_lines):
                if n:
                    y -= leading
                self.text(middle, y, line, size=size, bold=True, align="center")
                half = pdfmetrics.stringWidth(line, self.bold, size) / 2
                self.canvas.line(middle - half, y - 1.2, middle + half, y - 1.2)
        else:
            self.text(middle, y, "(" + "." * 48 + ")", size=size, align="center")
        for line in note_lines:
            y -= leading
            self.text(middle, y, line, size=size * 0.9, align="center")
        return y - size


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # points
    align: str = "left"  # left, right or center


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, an optional smaller grey line under it, and an indent."""

    text: str
    note: str = ""
    indent: float = 0.0


class Table:
    """Rows drawn one at a time with a grid, wrapping text in its column; the column header
    repeats after every page break, preceded by `continued` when set (a section's title)."""

    PAD = 1.4 * mm

    def __init__(
        self,
        doc: Document,
        columns: Sequence[Column],
        *,
        size: float = 8,
        min_height: float = 0,
    ):
        self.doc = doc
        self.columns = list(columns)
        self.size = size
        self.note_size = size * 0.82
        self.leading = size * 1.25
        self.min_height = min_height
        self.continued = ""
        self.edges = [doc.left]
        for column in self.columns:
            self.edges.append(self.edges[-1] + column.width)
        doc.on_new_page = self._after_break

    def _after_break(self) -> None:
        self.header()
        if self.continued:
            self.row(
                [Cell(self.continued)], span=len(self.columns), bold=True, fill=SHADE, tall=False
            )

    def header(self) -> None:
        self.row([c.title for c in self.columns], bold=True, fill=SHADE, align="center", tall=False)

    def _layout(self, cells, span: int, bold: bool, min_height: float):
        font = self.doc.font(bold)
        laid = []
        tallest = 0.0
        col = 0
        for n, cell in enumerate(cells):
            cell = cell if isinstance(cell, Cell) else Cell(str(cell))
            width_cols = span if n == 0 else 1
            left, right = self.edges[col], self.edges[col + width_cols]
            inner = right - left - 2 * self.PAD - cell.indent
            lines = wrap(cell.text, inner, font, self.size) if cell.text else []
            notes = wrap(cell.note, inner, self.doc.regular, self.note_size) if cell.note else []
            tall = len(lines) * self.leading + len(notes) * self.note_size * 1.2
            tallest = max(tallest, tall)
            laid.append((col, width_cols, cell, lines, notes))
            col += width_cols
        return laid, max(tallest + 2 * self.PAD, min_height)

    def row(
        self,
        cells: Sequence[str | Cell],
        *,
        span: int = 1,
        bold: bool = False,
        fill: Color | None = None,
        align: str | None = None,
        keep: float = 0,
        tall: bool = True,
    ) -> None:
        """One row; the first cell spans `span` columns (and then reads from the left).
        `keep` asks for that much more room below the row on the same page (a section title
        stays with its first line). Rows are at least `min_height` tall unless `tall` is off
        (a title or a subtotal needs no room to sign)."""
        min_height = self.min_height if tall else 0
        laid, height = self._layout(cells, span, bold, min_height)
        self.doc.need(height + keep)
        doc, c = self.doc, self.doc.canvas
        top, bottom = doc.y, doc.y - height
        if fill is not None:
            c.setFillColor(fill)
            c.rect(doc.left, bottom, self.edges[-1] - doc.left, height, stroke=0, fill=1)
            c.setFillColor(black)
        # One path for the grid and one text object for the words: a long list draws tens of
        # thousands of rows, and ReportLab's cost is per call.
        grid = c.beginPath()
        grid.moveTo(doc.left, top)
        grid.lineTo(self.edges[-1], top)
        grid.moveTo(doc.left, bottom)
        grid.lineTo(self.edges[-1], bottom)
        words = c.beginText()
        font = doc.font(bold)
        for col, width_cols, cell, lines, notes in laid:
            left, right = self.edges[col], self.edges[col + width_cols]
            grid.moveTo(left, top)
            grid.lineTo(left, bottom)
            how = align or ("left" if width_cols > 1 else self.columns[col].align)
            y = top - self.PAD - self.size
            words.setFont(font, self.size)
            for line in lines:
                if how == "right":
                    x = right - self.PAD - pdfmetrics.stringWidth(line, font, self.size)
                elif how == "center":
                    x = (left + right - pdfmetrics.stringWidth(line, font, self.size)) / 2
                else:
                    x = left + self.PAD + cell.indent
                words.setTextOrigin(x, y)
                words.textOut(line)
                y -= self.leading
            if notes:
                words.setFont(doc.regular, self.note_size)
                words.setFillColor(GREY)
                y = top - self.PAD - len(lines) * self.leading - self.note_size
                for line in notes:
                    words.setTextOrigin(left + self.PAD + cell.indent, y)
                    words.textOut(line)
                    y -= self.note_size * 1.2
                words.setFillColor(black)
        grid.moveTo(self.edges[-1], top)
        grid.lineTo(self.edges[-1], bottom)
        c.setLineWidth(0.4)
        c.drawPath(grid, stroke=1, fill=0)
        c.drawText(words)
        doc.y = bottom
