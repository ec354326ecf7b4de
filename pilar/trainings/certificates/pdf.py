"""The certificate as printed: A4 landscape, one per page, in Indonesian.

The page carries the office's letterhead, the number, the name as frozen on the certificate,
what was attended (course, hours, place, dates), the validity, the signer as issued and a
QR code opening the public verification page with the code printed under it. Never the NIK or
any contact detail. Drawn on a ReportLab canvas of its own (pilar.lib.pdf's Document is a
portrait page written top to bottom); the fonts and line wrapping are pilar.lib.pdf's.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterable

import segno
from django.utils import translation
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from pilar.lib.dates import long_date
from pilar.lib.pdf import GREY, draw_logo, fonts, wrap
from pilar.offices import current
from pilar.offices.copies import logo_bytes
from pilar.trainings.certificates.numbering import grouped_code, verify_url
from pilar.trainings.models import Certificate

WIDTH, HEIGHT = landscape(A4)
ACCENT = Color(0.11, 0.30, 0.52)
PALE = Color(0.86, 0.90, 0.95)
QR_SIZE = 32 * mm
SIGNER_WIDTH = 100 * mm


def _fitted(text: str, width: float, font: str, most: int) -> tuple[float, list[str]]:
    """`text` wrapped to `width` at 11 points, or smaller (down to 8) until it takes at most
    `most` lines: the size and the lines."""
    for size in (11, 10, 9, 8):
        lines = wrap(text, width, font, size)
        if len(lines) <= most:
            break
    return size, lines


def date_range(start: datetime.date, end: datetime.date) -> str:
    """Indonesian dates of an event: 22 Oktober 2024; 21–23 Oktober 2024; 30 September –
    2 Oktober 2024; 30 Desember 2024 – 2 Januari 2025."""
    with translation.override("id"):
        if start == end:
            return long_date(start)
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}–{long_date(end)}"
        if start.year == end.year:
            return f"{long_date(start).rsplit(' ', 1)[0]} – {long_date(end)}"
        return f"{long_date(start)} – {long_date(end)}"


def validity_text(certificate: Certificate) -> str:
    if certificate.valid_until is None:
        return "Berlaku tanpa batas waktu"
    with translation.override("id"):
        return f"Berlaku sampai {long_date(certificate.valid_until)}"


def _qr(c: Canvas, data: str, x: float, y: float, size: float) -> None:
    """`data` as a QR code drawn in vector (one path of dark runs), its quiet zone included,
    in the square of side `size` whose lower left corner is (x, y)."""
    qr = segno.make(data, error="m", micro=False)
    rows = list(qr.matrix_iter(scale=1, border=4))
    module = size / len(rows)
    path = c.beginPath()
    for r, row in enumerate(rows):
        top = y + size - r * module
        col = 0
        row = list(row)
        while col < len(row):
            if not row[col]:
                col += 1
                continue
            run = col
            while run < len(row) and row[run]:
                run += 1
            path.rect(x + col * module, top - module, (run - col) * module, module)
            col = run
    c.setFillColor(black)
    c.drawPath(path, stroke=0, fill=1)


class CertificateDocument:
    """A PDF of certificates, one page each (`add`), closed by `finish`."""

    def __init__(self, *, title: str):
        self.regular, self.bold = fonts()
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=(WIDTH, HEIGHT), pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setCreator("Pilar")
        self.pages = 0
        self.office = None
        self.logo = None
        self._offices: dict[int, tuple] = {}

    def _issued_by(self, certificate: Certificate) -> None:
        """The office that issued `certificate` (docs/TRAININGS.md, "Many offices"), as it is
        now: the letterhead, the city and the public address, each office read once for the
        whole file; the signer is the one the certificate was issued with."""
        known = self._offices.get(certificate.office_id)
        if known is None:
            here = current()
            office = here if here.pk == certificate.office_id else certificate.office
            known = (office, logo_bytes(office.logo.name))  # no logo when its file has gone
            self._offices[certificate.office_id] = known
        if self.office is None:
            self.canvas.setAuthor(known[0].name)
        self.office, self.logo = known

    def _centred(self, y: float, text: str, size: float, *, bold=False, color=black) -> None:
        c = self.canvas
        c.setFillColor(color)
        c.setFont(self.bold if bold else self.regular, size)
        c.drawCentredString(WIDTH / 2, y, text)

    def _lines(self, y: float, text: str, size: float, width: float, *, bold=False) -> float:
        """`text` wrapped and centred from `y` down; returns the y below it."""
        for line in wrap(text, width, self.bold if bold else self.regular, size):
            self._centred(y, line, size, bold=bold)
            y -= size * 1.45
        return y

    def _frame(self) -> None:
        c = self.canvas
        c.setStrokeColor(ACCENT)
        c.setLineWidth(3)
        c.rect(9 * mm, 9 * mm, WIDTH - 18 * mm, HEIGHT - 18 * mm)
        c.setLineWidth(0.8)
        c.rect(12 * mm, 12 * mm, WIDTH - 24 * mm, HEIGHT - 24 * mm)
        c.setStrokeColor(black)

    def _letterhead(self) -> float:
        c = self.canvas
        top = HEIGHT - 24 * mm
        self._centred(top, self.office.name.upper(), 15, bold=True)
        self._centred(top - 6 * mm, self.office.address, 9.5, color=GREY)
        rule = top - 9.5 * mm
        draw_logo(c, self.logo, 40 * mm, rule + 1.5 * mm, 16 * mm)
        c.setStrokeColor(ACCENT)
        c.setLineWidth(1.4)
        c.line(40 * mm, rule, WIDTH - 40 * mm, rule)
        c.setLineWidth(0.5)
        c.line(40 * mm, rule - 1.2 * mm, WIDTH - 40 * mm, rule - 1.2 * mm)
        c.setStrokeColor(black)
        return rule

    def add(self, certificate: Certificate) -> None:
        """One certificate on a page of its own."""
        c = self.canvas
        if self.pages:
            c.showPage()
        self.pages += 1
        self._issued_by(certificate)
        self._frame()
        y = self._letterhead() - 17 * mm
        c.setFillColor(ACCENT)
        c.setFont(self.bold, 34)
        c.drawCentredString(WIDTH / 2, y, "SERTIFIKAT", charSpace=6)
        y -= 8 * mm
        self._centred(y, f"Nomor: {certificate.number}", 10.5, color=GREY)
        y -= 11 * mm
        self._centred(y, "diberikan kepada", 12)
        y -= 13 * mm
        name_size = 26
        while stringWidth(certificate.name, self.bold, name_size) > WIDTH - 70 * mm:
            name_size -= 1
        self._centred(y, certificate.name, name_size, bold=True)
        half = stringWidth(certificate.name, self.bold, name_size) / 2 + 6 * mm
        c.setStrokeColor(ACCENT)
        c.setLineWidth(0.8)
        c.line(WIDTH / 2 - half, y - 3 * mm, WIDTH / 2 + half, y - 3 * mm)
        y -= 12 * mm
        y = self._lines(y, "telah mengikuti", 12, WIDTH - 80 * mm)
        y -= 1.5 * mm
        # What was taught (the course, "Jenis pelatihan"), then the event's own title when it
        # has one ("Nama kegiatan"): one meaning per line (docs/TRAININGS.md).
        y = self._lines(y, certificate.course_name, 15, WIDTH - 80 * mm, bold=True)
        y -= 1 * mm
        if certificate.event_title and certificate.event_title != certificate.course_name:
            event = f"dalam kegiatan {certificate.event_title}"
            y = self._lines(y, event, 11.5, WIDTH - 80 * mm)
        held = (
            f"sebanyak {certificate.hours} jam pelajaran, yang diselenggarakan oleh "
            f"{certificate.organiser}"
        )
        y = self._lines(y, held, 11.5, WIDTH - 80 * mm)
        dates = date_range(certificate.event_start, certificate.event_end)
        where = f"di {certificate.place}, pada {dates}, dan dinyatakan LULUS."
        y = self._lines(y, where, 11.5, WIDTH - 80 * mm)
        y -= 2 * mm
        self._centred(y, validity_text(certificate), 11, bold=True, color=ACCENT)
        self._bottom(certificate)

    def _bottom(self, certificate: Certificate) -> None:
        c = self.canvas
        base = 22 * mm
        # The QR code and the code, at the left.
        qx = 26 * mm
        url = verify_url(certificate.code, base=self.office.public_url)
        _qr(c, url, qx, base + 8 * mm, QR_SIZE)
        c.setFillColor(black)
        c.setFont(self.bold, 10)
        c.drawCentredString(qx + QR_SIZE / 2, base + 3.5 * mm, grouped_code(certificate.code))
        c.setFillColor(GREY)
        c.setFont(self.regular, 7.5)
        c.drawString(qx + QR_SIZE + 3 * mm, base + 26 * mm, "Periksa keaslian sertifikat ini:")
        c.drawString(qx + QR_SIZE + 3 * mm, base + 22 * mm, "pindai kode QR, atau buka")
        c.drawString(qx + QR_SIZE + 3 * mm, base + 18 * mm, f"{self.office.public_url}/c/")
        c.drawString(qx + QR_SIZE + 3 * mm, base + 14 * mm, "dan ketik kode di bawahnya.")
        # The signer, at the right.
        middle = WIDTH - 75 * mm
        with translation.override("id"):
            place_date = f"{self.office.city}, {long_date(certificate.issued_on)}"
        c.setFillColor(black)
        c.setFont(self.regular, 11)
        c.drawCentredString(middle, base + 38 * mm, place_date)
        # The position from the top down, the name and the NIP from the bottom up, each on lines
        # of their own and whole as issued (a name is wrapped between words, never cut at a
        # comma); long ones get a smaller size so that room to sign stays between them.
        title_size, titles = _fitted(certificate.signer_title, SIGNER_WIDTH, self.regular, 2)
        c.setFont(self.regular, title_size)
        y = base + 33 * mm
        for line in titles:
            c.drawCentredString(middle, y, line)
            y -= title_size * 1.3
        y = base + 5 * mm
        if certificate.signer_nip:
            c.setFont(self.regular, 9.5)
            c.drawCentredString(middle, base + 0.5 * mm, f"NIP. {certificate.signer_nip}")
        if certificate.signer_name:
            size, names = _fitted(certificate.signer_name, SIGNER_WIDTH, self.bold, 3)
            c.setFont(self.bold, size)
            c.setLineWidth(0.5)
            y += (len(names) - 1) * size * 1.3
            for line in names:
                c.drawCentredString(middle, y, line)
                half = stringWidth(line, self.bold, size) / 2
                c.line(middle - half, y - 1 * mm, middle + half, y - 1 * mm)
                y -= size * 1.3
        else:
            c.drawCentredString(middle, y, "(" + "." * 48 + ")")

    def finish(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def certificates_pdf(
    certificates: Iterable[Certificate],
    *,
    title: str = "Sertifikat",
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """The certificates as one PDF, one page each; `progress(n)` after each page."""
    doc = CertificateDocument(title=title)
    for certificate in certificates:
        doc.add(certificate)
        if progress is not None:
            progress(doc.pages)
    return doc.finish()


def certificate_pdf(certificate: Certificate) -> bytes:
    return certificates_pdf([certificate], title=f"Sertifikat {certificate.number}")
