"""The monthly report's files, written from its sections (pilar/dashboard/monthly.py): an A4
PDF with the office's letterhead, a chart and a table per section and the head of office's
signature, and an XLSX with one sheet per section holding the same figures. Indonesian: the
caller writes them with the language set (`translation.override("id")`)."""

from __future__ import annotations

import datetime
import io
import re

import xlsxwriter
from django.utils.translation import gettext as _
from reportlab.lib.units import mm

from pilar.dashboard.monthly import Section
from pilar.lib.charts import draw_on_canvas
from pilar.lib.dates import long_date
from pilar.lib.months import month_label
from pilar.lib.pdf import Column, Document, Table
from pilar.offices.copies import OfficeCopy

CHART_WIDTH = 150 * mm
FIRST_COLUMN = 62 * mm


def report_title(month: datetime.date) -> str:
    return _("Monthly report, %(month)s") % {"month": month_label(month)}


def _cell(value) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return str(value)


def report_pdf(
    office: OfficeCopy, month: datetime.date, sections: list[Section], written: datetime.date
) -> bytes:
    title = report_title(month)
    doc = Document(title=f"{title} — {office.name}", office=office.letterhead())
    doc.title(title.upper())
    doc.y -= 2 * mm
    doc.labelled(
        [
            (_("Office"), office.name),
            (_("Month reported"), month_label(month)),
            (_("Written on"), long_date(written)),
        ]
    )
    for n, section in enumerate(sections, start=1):
        _section(doc, n, section)
    _signature(doc, office, written)
    return doc.finish()


def _section(doc: Document, n: int, section: Section) -> None:
    doc.on_new_page = None
    doc.need(30 * mm)
    doc.y -= 5 * mm
    doc.paragraph(f"{n}. {section.title}", size=10.5, bold=True)
    if section.note:
        doc.paragraph(section.note, size=8)
    if section.chart is not None:
        chart = section.chart.chart()
        if not chart.empty:
            height = CHART_WIDTH * chart.height / chart.width
            doc.need(height + 4 * mm)
            doc.y -= height + 2 * mm
            draw_on_canvas(doc.canvas, chart, doc.left, doc.y, CHART_WIDTH, height)
    if not section.rows:
        return
    others = len(section.columns) - 1
    # A label column as wide as a name needs; narrower beside many figures (a 12-month trend).
    first = FIRST_COLUMN if others <= 5 else 24 * mm
    rest = (doc.width - first) / max(others, 1)
    numeric = section.numeric
    columns = [Column(section.columns[0], first)] + [
        Column(title, rest, "right" if numeric[n] else "left")
        for n, title in enumerate(section.columns[1:], start=1)
    ]
    doc.y -= 2 * mm
    table = Table(doc, columns, size=8)
    table.continued = section.title
    table.header()
    for row in section.rows:
        table.row([_cell(v) for v in row])
    doc.on_new_page = None


def _signature(doc: Document, office: OfficeCopy, written: datetime.date) -> None:
    head = office.head
    width = doc.width / 2
    heading = [f"{office.city}, {long_date(written)}", head.title]
    height = doc.signature_height(width, heading=heading, name=head.name, note=head.nip_line)
    doc.need(height + 10 * mm)
    doc.signature(
        doc.left + width,
        doc.y - 8 * mm,
        width,
        heading=heading,
        name=head.name,
        note=head.nip_line,
    )


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(n: int, section: Section) -> str:
    """A sheet's name: the section's number and title, without what Excel refuses, 31 long."""
    return f"{n} {_SHEET_BAD.sub(' ', section.title)}"[:31]


def report_xlsx(office_name: str, month: datetime.date, sections: list[Section]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True})
    text = book.add_format({"num_format": "@"})
    number = book.add_format({"num_format": "#,##0"})
    for n, section in enumerate(sections, start=1):
        ws = book.add_worksheet(sheet_name(n, section))
        ws.write_string(0, 0, f"{office_name} — {report_title(month)}", bold)
        ws.write_string(1, 0, section.title, bold)
        if section.note:
            ws.write_string(2, 0, section.note)
        first = 4
        for c, title in enumerate(section.columns):
            ws.write_string(first, c, title, head)
        for r, row in enumerate(section.rows, start=first + 1):
            for c, value in enumerate(row):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    ws.write_number(r, c, value, number)
                elif value not in (None, ""):
                    ws.write_string(r, c, str(value), text)
        ws.set_column(0, 0, 44)
        ws.set_column(1, max(len(section.columns) - 1, 1), 18)
    book.close()
    return buffer.getvalue()
