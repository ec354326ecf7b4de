"""Tabular exports: the same rows to XLSX (XlsxWriter) and CSV (UTF-8 with BOM, for Excel)."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence

import xlsxwriter
from django.http import HttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> object:
    """A CSV cell that Excel cannot run as a formula: text starting with = + - @ gets a '."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence], *, sheet: str = "Data") -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    text = book.add_format({"num_format": "@"})
    widths = [len(h) + 2 for h in headers]
    last_row = 0
    for col, header in enumerate(headers):
        ws.write_string(0, col, header, bold)
    for r, row in enumerate(rows, start=1):
        last_row = r
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, datetime.date):
                ws.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), date_fmt)
                width = 12
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
                width = 6
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
                width = len(str(value))
            else:
                # Text stays text: a NIK or phone must never become a number in Excel.
                ws.write_string(r, c, str(value), text)
                width = len(str(value))
            widths[c] = min(max(widths[c], width + 2), 60)
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, last_row, len(headers) - 1)
    book.close()
    return buffer.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(
    fmt: str, filename: str, headers: Sequence[str], rows: Iterable[Sequence]
) -> HttpResponse:
    """An XLSX or CSV download of `rows` named `filename`.<fmt>."""
    if fmt == "xlsx":
        body, content_type = to_xlsx(headers, rows), XLSX_TYPE
    else:
        body, content_type = to_csv(headers, rows), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
