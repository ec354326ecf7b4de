"""Spreadsheets built inside the tests, with the libraries offices' files come from."""

from __future__ import annotations

import csv
import datetime
import io

import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from pilar.imports.columns import TEMPLATE_COLUMNS

HEADERS = [c.header for c in TEMPLATE_COLUMNS]


def xlsx_bytes(
    rows: list[list],
    *,
    headers: list[str] | None = None,
    title: str | None = None,
    sheet: str = "Data",
    extra_sheets: dict | None = None,
    hidden: set | None = None,
    numbers_as_numbers: bool = True,
) -> bytes:
    """A workbook whose first sheet holds `headers` then `rows`; dates become date cells, ints and
    floats numbers (as Excel stores them), a string starting with '=' a formula."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    sheets = {sheet: (headers if headers is not None else HEADERS, rows, title)}
    for name, content in (extra_sheets or {}).items():
        sheets[name] = (content[0], content[1], None)
    for name, (head, body, heading) in sheets.items():
        ws = book.add_worksheet(name)
        if hidden and name in hidden:
            ws.hide()
        r = 0
        if heading:
            ws.write_string(0, 0, heading)
            r = 2
        for c, h in enumerate(head):
            ws.write_string(r, c, h)
        for row in body:
            r += 1
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, datetime.date):
                    ws.write_datetime(
                        r, c, datetime.datetime.combine(value, datetime.time()), date_format
                    )
                elif isinstance(value, int | float) and numbers_as_numbers:
                    ws.write_number(r, c, value)
                elif isinstance(value, str) and value.startswith("="):
                    ws.write_formula(r, c, value)
                else:
                    ws.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()


def csv_bytes(
    rows: list[list],
    *,
    headers: list[str] | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers if headers is not None else HEADERS)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(encoding)


def upload(content: bytes, name: str = "roster.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def template_row(**values) -> list:
    """A row in the template's column order from keyword values."""
    return [values.get(c.key, "") for c in TEMPLATE_COLUMNS]


def checked(by, content: bytes, name: str = "roster.xlsx", mapping: dict | None = None):
    """Upload `content`, keep the columns Pilar recognised (or `mapping`), check the rows."""
    from pilar.imports import services

    batch = services.import_upload(by=by, upload=upload(content, name), filename=name)
    services.import_set_mapping(by=by, batch=batch, mapping=mapping or batch.mapping)
    return services.import_check(batch_id=batch.pk)


def saved(by, batch, *, accept_warnings: bool = False, accept_rejected: bool = False):
    """Ask to save a checked import, then save it as the worker would."""
    from pilar.imports import services

    services.import_request_commit(
        by=by, batch=batch, accept_warnings=accept_warnings, accept_rejected=accept_rejected
    )
    return services.import_commit(batch_id=batch.pk, by=by)
